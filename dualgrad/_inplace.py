"""In-place writes into a Tensor (``x.add_(y)``, ``x[idx] = v``, ``x.fill_(0)``).

``Tensor``'s in-place methods call :func:`inplace` with a registered op: it refuses what
PyTorch refuses (a leaf that requires grad, a view of one), records the op out of place on a
copy of the old value, writes the result into the tensor's buffer, and bumps its version
counter so that a node that saved the old value raises at backward.

Views. A view shares its base's memory, so an in-place change of either changes both, and
the graph must follow, as PyTorch's does:

* after an in-place op on a tensor, the nodes of its live views are made again from its new
  node (:func:`track_view` keeps weak references to them), so a view used afterwards has
  the new value *and* its gradient (before, a view kept the node of the old value: a
  silently wrong gradient); a view made under ``no_grad`` gets a node that raises
  PyTorch's error instead;
* an in-place op on a view (``y[0].mul_(2)``, ``y[:, 1] += 1``, ``y.t().add_(1)``) is
  recorded on the base as the op ``view_put`` (PyTorch's CopySlices: the base with the
  view's elements replaced by the new value), and the view then reads from the base's new
  node. An expanded tensor (one element in several places) refuses any in-place op, with
  PyTorch's error.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

# ``_tensor`` imports this module first (its class body names the functions below); the
# Tensor class, ``apply`` and ``_broadcast_error`` are looked up on it at call time.
from dualgrad import _dtypes, _grad_mode, _tensor
from dualgrad._node import new_node
from dualgrad._registry import Op
from dualgrad.ops import shape as _shape_ops

if TYPE_CHECKING:
    from dualgrad._tensor import Tensor

__all__ = ["inplace", "fill_random", "track_view", "refresh_views", "check_cast"]

_ERR_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.")
# View op -> the same op named AsStridedBackward0: what PyTorch calls a view's node once it
# was made again after an in-place change (unregistered twins, made on first use).
_AS_STRIDED: dict[Op, Op] = {}

_ERR_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_ERR_VIEW_LEAF_INPLACE = ("a view of a leaf Variable that requires grad is being used in an "
                          "in-place operation.")


def inplace(self: Tensor, op: Op, *args: Any, **params: Any) -> Tensor:
    """Run ``op`` on ``self`` and the ``args`` and write the result into ``self``.

    A leaf that requires grad refuses (PyTorch's error), and so does a view of one; so does
    an expanded tensor. A recorded view writes through its base (see the module docstring).
    Otherwise the op is recorded out of place on a copy of the old value, this tensor takes
    the new node, its version counter moves on (so that any node that saved the old value
    raises at backward), and its views' nodes are made again from the new one.
    """
    data = self._data
    if 0 in data.strides and data.size and any(
            st == 0 and n > 1 for st, n in zip(data.strides, data.shape)):
        # an expanded tensor: one element, several places (an empty one has no elements)
        raise RuntimeError(_ERR_OVERLAP)
    view_base = None
    if _grad_mode.is_grad_enabled():
        made_without_grad = getattr(self, "_no_grad_view", None)
        if made_without_grad is not None:
            _refuse_no_grad_view(self, made_without_grad, args)
        if self._node is None and self._requires_grad:
            raise RuntimeError(_ERR_LEAF_INPLACE)
        if self._node is not None and self._node.op.view:
            if self._node.op is _NO_GRAD_VIEW:
                raise RuntimeError(_ERR_NO_GRAD_VIEW)
            # (None for the result of a view op that had to copy: an ordinary tensor)
            view_base = getattr(self, "_base", None)
            if view_base is not None and view_base._node is None and view_base._requires_grad:
                raise RuntimeError(_ERR_VIEW_LEAF_INPLACE)
        tracked = self._node is not None or any(
            isinstance(a, _tensor.Tensor) and a.requires_grad for a in args
        ) or bool(_grad_mode.active_recorders())
        if view_base is None and tracked and self._node is None:
            view_base = getattr(self, "_base", None)
            if view_base is not None:
                # A view of a tensor without a graph (``out[1:].copy_(x)`` with ``out`` from
                # zeros) written with an operand that has one: recorded on the base too, as
                # PyTorch's CopySlices, with the view op remembered by ``track_view``.
                view_entry = _view_entry(view_base, self)
                if view_entry is None:
                    view_base = None
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
    check_cast(np.result_type(new_data), self._data.dtype)
    if view_base is not None:
        # Written into the base through the view op (CopySlices), which records the base's
        # new node and makes this view's node again from it.
        if self._node is not None and self._node.op.view:
            view_op, view_params = self._node.op, self._node.params
        else:
            view_op, view_params = view_entry
        view_base._inplace(_shape_ops.view_put, result, view_op=view_op,
                           view_params=view_params)
        return self
    np.copyto(self._data, new_data, casting="unsafe")
    self._vc[0] += 1
    if tracked:
        previous, self._node = self._node, node
        if previous is not None and previous.retained is not None and node is not None:
            # As in PyTorch, ``.grad`` of a retaining tensor is taken at its newest version.
            node.retained, previous.retained = previous.retained, None
        if getattr(self, "_views", None):
            refresh_views(self)
    return self


def check_cast(result: np.dtype, target: np.dtype) -> None:
    """PyTorch's error for an in-place result that does not cast to the tensor's dtype
    (a float result into an integer tensor)."""
    if result != target and not np.can_cast(result, target, casting="same_kind"):
        raise RuntimeError(f"result type {_dtypes.torch_name(result)} can't be cast to the "
                           f"desired output type {_dtypes.torch_name(target)}")


def track_view(base: Tensor, view: Tensor, op: Op, params: dict) -> None:
    """``view`` was just made from ``base`` by the view op ``op`` (with ``params``) and shares
    its memory: it shares its version counter too, and (unless ``base`` is a leaf that
    requires grad, whose views' nodes never go stale) is remembered, so that an in-place
    change of ``base`` makes the view's node again."""
    view._vc = base._vc  # one storage, one version counter
    view._base = base
    grad_enabled = _grad_mode.is_grad_enabled()
    if not grad_enabled:
        view._no_grad_view = ""
    elif getattr(base, "_no_grad_view", None) is not None:
        # (PyTorch's CreationMeta is inherited: a view of such a view is refused too, and
        # its error names the view op)
        view._no_grad_view = op.grad_fn_name.removesuffix("Backward0")
    if base._requires_grad:
        return
    entry = (weakref.ref(view), op, params, grad_enabled)
    views = getattr(base, "_views", None)
    if views is None:
        views = base._views = _Views()
    elif len(views) >= views.limit:
        # Views are often short-lived (``y[i]`` in a loop): drop the dead ones, and next time
        # only after as many again (amortised constant time, even with many views alive).
        views[:] = [e for e in views if e[0]() is not None]
        views.limit = max(8, 2 * len(views))
    views.append(entry)


def _view_entry(base: Tensor, view: Tensor) -> tuple[Op, dict] | None:
    """The view op and its parameters that made ``view`` from ``base`` (None if untracked)."""
    for ref, op, params, _ in getattr(base, "_views", None) or ():
        if ref() is view:
            return op, params
    return None


class _Views(list):
    """A tensor's live views (weak references), pruned when ``limit`` is reached."""

    __slots__ = ("limit",)

    def __init__(self, entries: Any = ()) -> None:
        super().__init__(entries)
        self.limit = max(8, 2 * len(self))


def refresh_views(tensor: Tensor) -> None:
    """After ``tensor`` took a new node: each live view of it gets the node of its view op
    applied to ``tensor`` now (and so on for views of views), as PyTorch regenerates a
    view's ``grad_fn``. A view made under ``no_grad`` gets a node that raises PyTorch's
    error if a gradient reaches it (PyTorch raises when it is used)."""
    views = tensor._views
    tensor._views = None  # the view ops below register fresh views: forget those
    alive = []
    for entry in views:
        ref, op, params, made_with_grad = entry
        view = ref()
        if view is None or getattr(view, "_base", None) is not tensor:
            continue
        alive.append(entry)
        old = view._node
        if made_with_grad:
            view._node = _tensor.apply(_as_strided(op), (tensor,), params)._node
        elif tensor._node is not None:
            view._node = new_node(_NO_GRAD_VIEW, {}, (tensor._node,), None, None, None,
                              view._data.shape, view._data.dtype)
        if old is not None and old.retained is not None and view._node is not None:
            view._node.retained, old.retained = old.retained, None
        if getattr(view, "_views", None):
            refresh_views(view)
    tensor._views = _Views(alive) if alive else None


_ERR_NO_GRAD_VIEW = (
    "A view was created in no_grad mode and its base or another view of its base has been "
    "modified inplace with grad mode enabled. Given that this use case is ambiguous and "
    "error-prone, it is forbidden. You can clarify your code by moving both the view and the "
    "inplace either both inside the no_grad block (if you don't want the inplace to be "
    "tracked) or both outside (if you want the inplace to be tracked).")


_ERR_INPLACE_ON_NO_GRAD_VIEW = (
    "{} created in no_grad mode and is being modified inplace with grad mode enabled. Given "
    "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if "
    "you don't want the inplace to be tracked) or both outside (if you want the inplace to "
    "be tracked).")


def _refuse_no_grad_view(view: Tensor, view_op_name: str, args: tuple) -> None:
    """PyTorch's error for an in-place op, with grad mode on, on a view made under
    ``no_grad`` (or on a view of one: ``view_op_name`` then names its view op), when the
    view's base or an operand requires grad: the op cannot be recorded on the base, which
    would silently keep its old gradient."""
    root = view
    while getattr(root, "_base", None) is not None:
        root = root._base
    if not (root._requires_grad or root._node is not None or any(
            isinstance(a, _tensor.Tensor) and a.requires_grad for a in args)):
        return
    subject = (f"Output 0 of {view_op_name} is a view of a view which was" if view_op_name
               else "A view was")
    raise RuntimeError(_ERR_INPLACE_ON_NO_GRAD_VIEW.format(subject))


def basic_key_view_name(key: Any) -> str:
    """The name PyTorch gives (in errors) to the last view op that indexing with the basic
    ``key`` applies: ``"Select"`` for an int, ``"Slice"`` for a slice, ``"Unsqueeze"`` for
    None; ``""`` if there is none (``...``, full slices)."""
    name = ""
    for k in key if isinstance(key, tuple) else (key,):
        if k is None:
            name = "Unsqueeze"
        elif isinstance(k, slice):
            if not (k.start is None and k.stop is None and k.step in (None, 1)):
                name = "Slice"
        elif k is not Ellipsis:
            name = "Select"
    return name


def _no_grad_view_vjp(g: Any, ans: Any, *inputs: Any) -> Any:
    raise RuntimeError(_ERR_NO_GRAD_VIEW)


# The node of a view made under no_grad whose base then changed in place with grad mode on:
# not registered (no forward of its own); its rule raises PyTorch's error.
_NO_GRAD_VIEW = Op(name="no_grad_view", forward=_no_grad_view_vjp, vjp=(_no_grad_view_vjp,),
                   grad_fn_name="AsStridedBackward0", save_inputs=False, view=True)


def fill_random(self: Tensor, values: np.ndarray) -> Tensor:
    if _grad_mode.is_grad_enabled() and self._node is None and self._requires_grad:
        raise RuntimeError(_ERR_LEAF_INPLACE)
    self._data[...] = values
    self._vc[0] += 1
    return self


def _as_strided(op: Op) -> Op:
    if op.grad_fn_name == "AsStridedBackward0":
        return op
    twin = _AS_STRIDED.get(op)
    if twin is None:
        twin = _AS_STRIDED[op] = dataclasses.replace(op, grad_fn_name="AsStridedBackward0")
    return twin
