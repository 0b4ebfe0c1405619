"""``Size`` and ``device``: the small value types PyTorch code prints and passes around."""

from __future__ import annotations

from typing import Any

__all__ = ["Size", "device", "check_device"]


class Size(tuple):
    """A tensor's shape: a tuple that prints as PyTorch's ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    # Slices and concatenations stay shapes, as in PyTorch (``x.shape[1:]`` prints as
    # ``torch.Size([3])``); indexing gives an int.
    def __getitem__(self, key: Any) -> Any:
        item = tuple.__getitem__(self, key)
        return type(self)(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> Any:
        return type(self)(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: Any) -> Any:
        return type(self)(tuple(other) + tuple(self))

    def __mul__(self, count: Any) -> Any:
        return type(self)(tuple.__mul__(self, count))

    __rmul__ = __mul__

    def numel(self) -> int:
        """Number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """A compute device. dualgrad computes on the CPU with NumPy: only ``"cpu"`` exists."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        if ":" in name:
            name, _, idx = name.partition(":")
            index = int(idx)
        check_device(name)
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other: object) -> bool:
        return str(other).split(":")[0] == self.type

    def __hash__(self) -> int:
        return hash(self.type)


def check_device(dev: Any) -> None:
    """Raise a clear error for any device but the CPU."""
    if dev is None:
        return
    name = dev.type if isinstance(dev, device) else str(dev).split(":")[0]
    if name != "cpu":
        raise RuntimeError(
            f"dualgrad computes on the CPU with NumPy: device '{dev}' is not available. "
            "Use device='cpu' (or leave the device out)."
        )
