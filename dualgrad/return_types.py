"""Named tuples returned by ops with several results, as in ``torch.return_types``.

Each op has its own class, so the result prints as PyTorch prints it:

>>> import dualgrad as dg
>>> dg.tensor([[1.0, 5.0], [4.0, 2.0]]).max(1)
torch.return_types.max(
values=tensor([5., 4.]),
indices=tensor([1, 0]))
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["max", "min", "sort", "topk", "median", "kthvalue", "cummax", "cummin"]


class _ValuesIndices(NamedTuple):
    """The fields every result here has; each op subclasses it under its PyTorch name."""

    values: Any
    indices: Any

    def __repr__(self) -> str:
        # PyTorch's structseq repr: one field per line, no indentation.
        fields = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{fields})"


class max(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.max(dim)``.

    Attributes
    ----------
    values:
        The largest values along ``dim`` (differentiable).
    indices:
        Where they are (an int64 tensor, outside the graph).
    """

    __slots__ = ()


class min(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.min(dim)``.

    Attributes
    ----------
    values:
        The smallest values along ``dim`` (differentiable).
    indices:
        Where they are (an int64 tensor, outside the graph).
    """

    __slots__ = ()


class sort(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.sort(dim)``: the sorted values (differentiable)
    and where they came from."""

    __slots__ = ()


class topk(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.topk(k, dim)``: the k largest (or smallest)
    values (differentiable) and where they are."""

    __slots__ = ()


class median(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.median(dim)``: the lower medians
    (differentiable) and where they are."""

    __slots__ = ()


class kthvalue(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.kthvalue(k, dim)``: the k-th smallest values
    (differentiable) and where they are."""

    __slots__ = ()


class cummax(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.cummax(dim)``: the running maxima
    (differentiable) and where each was reached."""

    __slots__ = ()


class cummin(_ValuesIndices):  # noqa: N801  (PyTorch's class name)
    """``(values, indices)`` returned by ``x.cummin(dim)``: the running minima
    (differentiable) and where each was reached."""

    __slots__ = ()
