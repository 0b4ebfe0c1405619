"""In-place writes into a Tensor (``x.add_(y)``, ``x[idx] = v``, ``x.fill_(0)``).

``Tensor``'s in-place methods call :func:`inplace` with a registered op: it refuses what
PyTorch refuses (a leaf that requires grad, a view of one), records the op out of place on a
copy of the old value, writes the result into the tensor's buffer, and bumps its version
counter so that a node that saved the old value raises at backward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

# ``_tensor`` imports this module first (its class body names the functions below); the
# Tensor class, ``apply`` and ``_broadcast_error`` are looked up on it at call time.
from dualgrad import _dtypes, _grad_mode, _tensor
from dualgrad._node import Node
from dualgrad._registry import Op

if TYPE_CHECKING:
    from dualgrad._tensor import Tensor

__all__ = ["inplace", "fill_random"]

_ERR_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_ERR_VIEW_LEAF_INPLACE = ("a view of a leaf Variable that requires grad is being used in an "
                          "in-place operation.")


def inplace(self: Tensor, op: Op, *args: Any, **params: Any) -> Tensor:
    """Run ``op`` on ``self`` and the ``args`` and write the result into ``self``.

    A leaf that requires grad refuses (PyTorch's error), and so does a recorded view (of a
    leaf: PyTorch's error; of a non-leaf: dualgrad does not rebase the view's base, so it
    refuses rather than leave the base's graph stale). Otherwise the op is recorded out
    of place on a copy of the old value, this tensor takes the new node, and its version
    counter moves on, so that any node that saved the old value raises at backward.
    """
    if _grad_mode.is_grad_enabled():
        if self._node is None and self._requires_grad:
            raise RuntimeError(_ERR_LEAF_INPLACE)
        if self._node is not None and self._node.op.view:
            raise _view_inplace_error(self._node)
        tracked = self._node is not None or any(
            isinstance(a, _tensor.Tensor) and a.requires_grad for a in args
        ) or bool(_grad_mode.active_recorders())
    else:
        tracked = False
    try:
        if tracked:
            old = _tensor.Tensor.__new__(_tensor.Tensor)
            old._init(self._data.copy(), self._node)
            result = _tensor.apply(op, (old, *args), params)
            new_data, node = result._data, result._node
        else:
            arrays = [a._data if isinstance(a, _tensor.Tensor) else a for a in args]
            new_data, node = op.forward(self._data, *arrays, **params), None
    except ValueError:
        other = args[0] if args and isinstance(args[0], _tensor.Tensor) else None
        err = (None if other is None
               else _tensor._broadcast_error(self._data.shape, other._data.shape))
        if err is not None:
            raise err from None
        raise
    if np.shape(new_data) != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(np.shape(new_data))}")
    if np.result_type(new_data) != self._data.dtype and not np.can_cast(
            np.result_type(new_data), self._data.dtype, casting="same_kind"):
        raise RuntimeError(
            f"result type {_dtypes.torch_name(np.result_type(new_data))} can't be cast to "
            f"the desired output type {_dtypes.torch_name(self._data.dtype)}")
    np.copyto(self._data, new_data, casting="unsafe")
    self._vc[0] += 1
    if tracked:
        previous, self._node = self._node, node
        if previous is not None and previous.retained is not None and node is not None:
            # As in PyTorch, ``.grad`` of a retaining tensor is taken at its newest version.
            node.retained, previous.retained = previous.retained, None
    return self


def fill_random(self: Tensor, values: np.ndarray) -> Tensor:
    if _grad_mode.is_grad_enabled() and self._node is None and self._requires_grad:
        raise RuntimeError(_ERR_LEAF_INPLACE)
    self._data[...] = values
    self._vc[0] += 1
    return self


def _view_inplace_error(node: Any) -> RuntimeError:
    """In-place on a recorded view would leave its base's graph stale: refuse, never be wrong."""
    base = node
    while base.__class__ is Node and base.op.view:
        base = base.edges[0]
    if base is not None and base.__class__ is not Node:
        return RuntimeError(_ERR_VIEW_LEAF_INPLACE)
    return RuntimeError(
        f"an in-place operation on a view ({node.op.grad_fn_name}) of a tensor that requires "
        "grad is not supported by dualgrad: the base tensor's graph would be left out of date. "
        "Use the out-of-place operation (v = v * 2), or assign into the base by indexing "
        "(base[idx] = value).")
