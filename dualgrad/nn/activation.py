"""More activation modules (``LeakyReLU``, ``Hardtanh``, ``ReLU6``, ``ELU``, ``GELU``, ``SiLU``,
``Softplus``),
``Dropout``, and the ``ModuleList`` container, as in ``torch.nn``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from dualgrad._tensor import Tensor
from dualgrad.nn import functional as F
from dualgrad.nn.modules import Module, _abs_index, _addindent


class LeakyReLU(Module):
    """``x`` where positive, else ``negative_slope * x``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.LeakyReLU(0.1)(dg.tensor([-2.0, 3.0]))
    tensor([-0.2000,  3.0000])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``leaky_relu(input, negative_slope)``."""
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Hardtanh(Module):
    """``x`` limited to ``[min_val, max_val]``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.Hardtanh(-2.0, 2.0)(dg.tensor([-3.0, 1.0, 3.0]))
    tensor([-2.,  1.,  2.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:  # PyTorch's assert
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``hardtanh(input, min_val, max_val)``."""
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.ReLU6()(dg.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ELU(Module):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``elu(input, alpha)``."""
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """``x * Phi(x)``; ``approximate="tanh"`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """``gelu(input, approximate)``."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` (swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``silu(input)``."""
        return F.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        """``softplus(input, beta, threshold)``."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Dropout(Module):
    """Zero each element with probability ``p`` in training (``model.train()``), scaling the
    others by ``1 / (1 - p)``; the identity in evaluation (``model.eval()``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> drop = dg.nn.Dropout(0.5)
    >>> drop
    Dropout(p=0.5, inplace=False)
    >>> drop.eval()(dg.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``dropout(input, p, training=self.training)``."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class ModuleList(Module):
    """A list of modules, registered as children (their parameters are the list's).

    Examples
    --------
    >>> import dualgrad as dg
    >>> layers = dg.nn.ModuleList([dg.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(modules[idx])
        return modules[_abs_index(idx, len(self._modules))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_abs_index(idx, len(self._modules))), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def _child_lines(self) -> list[str]:
        # PyTorch's ModuleList (only it) prints a run of equal reprs once:
        # "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self._modules.values()]
        lines = []
        start = 0
        for i, text in enumerate(reprs):
            if i + 1 < len(reprs) and reprs[i + 1] == text:
                continue
            head = f"({start}):" if start == i else f"({start}-{i}): {i - start + 1} x"
            lines.append(_addindent(f"{head} {text}", 2))
            start = i + 1
        return lines

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns the list."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end; returns the list."""
        for module in modules:
            self.append(module)
        return self
