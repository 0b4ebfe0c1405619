"""Shape ops: reshape, transpose/permute, squeeze/unsqueeze, expand, cat/stack, flip,
repeat, indexing (basic, integer arrays, boolean masks) and index assignment."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad._registry import NONDIFF, defop, implements


def _reshape_forward(x: np.ndarray, *, shape: tuple) -> np.ndarray:
    return np.reshape(x, shape)


reshape = defop("view", _reshape_forward, view=True, reads=((),),
                vjp=(lambda g, ans, x, *, shape: np.reshape(g, np.shape(x)),))


def _permute_forward(x: np.ndarray, *, axes: tuple) -> np.ndarray:
    return np.transpose(x, axes)


def _permute_vjp(g: Any, ans: Any, x: Any, *, axes: tuple) -> Any:
    return np.transpose(g, tuple(np.argsort(axes)))


permute = defop("permute", _permute_forward, vjp=(_permute_vjp,), view=True,
                save_inputs=False)


def _swap_forward(x: np.ndarray, *, dim0: int, dim1: int) -> np.ndarray:
    return np.swapaxes(x, dim0, dim1)


def _swap_vjp(g: Any, ans: Any, x: Any, *, dim0: int, dim1: int) -> Any:
    return np.swapaxes(g, dim0, dim1)


transpose = defop("transpose", _swap_forward, vjp=(_swap_vjp,), view=True, save_inputs=False)
t = defop("t", lambda x: x.T, vjp=(lambda g, ans, x: np.transpose(g),), view=True,
          save_inputs=False, grad_fn_name="TBackward0")


def _expand_forward(x: np.ndarray, *, shape: tuple) -> np.ndarray:
    return np.broadcast_to(x, shape)


# The engine's sum_to reduces the broadcast gradient: the rule is the identity.
expand = defop("expand", _expand_forward, vjp=(lambda g, ans, x, *, shape: g,), view=True,
               save_inputs=False)


def _squeeze_forward(x: np.ndarray, *, axis: Any = None) -> np.ndarray:
    return np.squeeze(x, axis=axis)


def _squeeze_forward_dims(x: np.ndarray, *, axis: Any) -> np.ndarray:
    # As in PyTorch, a listed dimension whose size is not 1 is left alone (no error).
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    return np.squeeze(x, axis=tuple(d for d in dims if d < x.ndim and x.shape[d] == 1))


def _squeeze_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None) -> Any:
    return np.reshape(g, np.shape(x))


# PyTorch's three overloads record three node names: squeeze(), squeeze(dim), squeeze(dims).
squeeze = defop("squeeze", _squeeze_forward, view=True, vjp=(_squeeze_vjp,), reads=((),),
                doc="``x.squeeze()``: every dimension of size 1 removed.")
squeeze_dim = defop("squeeze_dim", _squeeze_forward_dims, view=True, vjp=(_squeeze_vjp,),
                    reads=((),),
                    grad_fn_name="SqueezeBackward1",
                    doc="``x.squeeze(dim)``: ``dim`` removed if its size is 1.")
squeeze_dims = defop("squeeze_dims", _squeeze_forward_dims, view=True, vjp=(_squeeze_vjp,),
                     reads=((),),
                     grad_fn_name="SqueezeBackward2",
                     doc="``x.squeeze(dims)``: those of ``dims`` whose size is 1 removed.")


def _unsqueeze_forward(x: np.ndarray, *, axis: int) -> np.ndarray:
    return np.expand_dims(x, axis)


unsqueeze = defop("unsqueeze", _unsqueeze_forward, view=True, save_inputs=False,
                  vjp=(lambda g, ans, x, *, axis: np.squeeze(g, axis=axis),))


def _flip_forward(x: np.ndarray, *, axis: Any) -> np.ndarray:
    return np.flip(x, axis=axis)


flip = defop("flip", _flip_forward, save_inputs=False,
             vjp=(lambda g, ans, x, *, axis: np.flip(g, axis=axis),))


def _legacy_empty(shape: tuple, ndim: int) -> bool:
    """A ``tensor([])`` among tensors of another number of dimensions: PyTorch's ``cat``
    skips it (and gives it an empty gradient)."""
    return shape == (0,) and ndim != 1


def _cat_vjp(index: int, g: Any, ans: Any, *xs: Any, axis: int) -> Any:
    ndim = np.ndim(g)
    if _legacy_empty(np.shape(xs[index]), ndim):
        return g.reshape(-1)[:0]
    start = sum(np.shape(x)[axis] for x in xs[:index] if not _legacy_empty(np.shape(x), ndim))
    key = (slice(None),) * (axis % ndim) + (slice(start, start + np.shape(xs[index])[axis]),)
    return g[key]


def _cat_forward(*xs: np.ndarray, axis: int) -> np.ndarray:
    ndim = max(x.ndim for x in xs)
    return np.concatenate([x for x in xs if not _legacy_empty(x.shape, ndim)] or xs[:1],
                          axis=axis)


cat = defop("cat", _cat_forward, vjp=(_cat_vjp,), variadic=True, reads=())  # shapes only


def _stack_vjp(index: int, g: Any, ans: Any, *xs: Any, axis: int) -> Any:
    key = (slice(None),) * (axis % np.ndim(g)) + (index,)
    return g[key]


def _stack_forward(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.stack(xs, axis=axis)


stack = defop("stack", _stack_forward, vjp=(_stack_vjp,), save_inputs=False, variadic=True)


def _tile_forward(x: np.ndarray, *, reps: tuple) -> np.ndarray:
    return np.tile(x, reps)


def _tile_vjp(g: Any, ans: Any, x: Any, *, reps: tuple) -> Any:
    # Split every axis into (repeat, size) and sum over the repeats.
    shape = np.shape(x)
    shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
    reps = (1,) * (len(shape) - len(reps)) + tuple(reps)
    split = []
    for r, s in zip(reps, shape):
        split += [r, s]
    summed = np.sum(np.reshape(g, tuple(split)), axis=tuple(range(0, 2 * len(shape), 2)))
    return np.reshape(summed, np.shape(x))


repeat = defop("repeat", _tile_forward, vjp=(_tile_vjp,))


# --- diagonals, roll, rot90 -------------------------------------------------------------------

def _diagonal_forward(x: np.ndarray, *, offset: int, dim1: int, dim2: int) -> np.ndarray:
    out = np.diagonal(x, offset, dim1, dim2)
    if x.flags.writeable:
        # PyTorch's diagonal is a view one can write through (NumPy's is read-only by default)
        out.flags.writeable = True
    return out


def _diagonal_scatter(g: np.ndarray, *, shape: tuple, offset: int, dim1: int,
                      dim2: int) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    _diagonal_forward(out, offset=offset, dim1=dim1, dim2=dim2)[...] = g
    return out


def _diagonal_vjp(g: Any, ans: Any, x: Any, *, offset: int, dim1: int, dim2: int) -> Any:
    return diagonal_backward(g, shape=tuple(np.shape(x)), offset=offset, dim1=dim1, dim2=dim2)


def _diagonal_of_g(g: Any, ans: Any, x: Any, *, offset: int, dim1: int, dim2: int,
                   **_: Any) -> Any:
    return np.diagonal(g, offset, dim1, dim2)


diagonal = defop("diagonal", _diagonal_forward, vjp=(_diagonal_vjp,), view=True, reads=((),),
                 doc="``x.diagonal(offset, dim1, dim2)``: a view, the diagonal as the last "
                     "dimension.")
diagonal_copy = defop(
    "diagonal_copy", lambda x, **p: _diagonal_forward(x, **p).copy(), vjp=(_diagonal_vjp,),
    reads=((),), grad_fn_name="DiagonalBackward0_copy",
    doc="``torch.diag`` of a matrix: a copy of its diagonal (PyTorch's node name).")
diagonal_backward = defop(
    "diagonal_backward", _diagonal_scatter, vjp=(_diagonal_of_g,), save_inputs=False,
    grad_fn_name="DiagonalBackwardBackward0",
    doc="Zeros of ``shape`` with ``g`` on a diagonal: the VJP of ``diagonal``.")


def _diag_embed_forward(x: np.ndarray, *, offset: int, dim1: int, dim2: int) -> np.ndarray:
    n = x.shape[-1] + abs(offset)
    shape = list(x.shape[:-1])
    for d in sorted((dim1, dim2)):
        shape.insert(d, n)
    return _diagonal_scatter(x, shape=tuple(shape), offset=offset, dim1=dim1, dim2=dim2)


diag_embed = defop("diag_embed", _diag_embed_forward, vjp=(_diagonal_of_g,), save_inputs=False,
                   doc="Matrices (in ``dim1``, ``dim2``) with the last dimension of ``x`` on a "
                       "diagonal; ``torch.diag`` of a vector.")


def _roll_forward(x: np.ndarray, *, shifts: tuple, dims: tuple | None) -> np.ndarray:
    return np.roll(x, shifts if dims is not None else shifts[0], axis=dims)


def _roll_vjp(g: Any, ans: Any, x: Any, *, shifts: tuple, dims: tuple | None) -> Any:
    return np.roll(g, tuple(-s for s in shifts) if dims is not None else -shifts[0], axis=dims)


roll = defop("roll", _roll_forward, vjp=(_roll_vjp,), save_inputs=False,
             doc="Shift the elements circularly along ``dims`` (the flattened tensor if None).")


def _rot90_forward(x: np.ndarray, *, k: int, axes: tuple) -> np.ndarray:
    return np.rot90(x, k, axes).copy()  # a new tensor, as in PyTorch (NumPy gives a view)


rot90 = defop("rot90", _rot90_forward, save_inputs=False,
              vjp=(lambda g, ans, x, *, k, axes: np.rot90(g, -k, axes),),
              doc="Rotate by ``k`` quarter turns in the plane of ``axes``.")


def _take_forward(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    return x.reshape(-1)[index]


def _take_vjp(g: Any, ans: Any, x: Any, index: Any) -> Any:
    # PyTorch's zeros_like(self).put_(index, grad, accumulate=True)
    flat = index_backward(g, key=index, shape=(int(np.prod(np.shape(x))),))
    return np.reshape(flat, np.shape(x))


take = defop("take", _take_forward, vjp=(_take_vjp, NONDIFF), reads=((1,), ()),
             doc="``x.take(index)``: the elements at ``index`` of the flattened tensor.")


# --- indexing -------------------------------------------------------------------------------

def _index_forward(x: np.ndarray, *, key: Any) -> np.ndarray:
    out = x[key]
    if type(out) is not np.ndarray and type(x) is np.ndarray and _is_basic(key):
        # An integer for every axis gives a NumPy scalar, a copy; PyTorch's x[0] is a 0-d
        # view of x, which sees (and passes on) later in-place changes: index with an
        # Ellipsis added, which NumPy answers with a 0-d view.
        out = x[(*key, Ellipsis) if isinstance(key, tuple) else (key, Ellipsis)]
    return out


def _index_vjp(g: Any, ans: Any, x: Any, *, key: Any) -> Any:
    return index_backward(g, key=key, shape=np.shape(x))


def _is_basic(key: Any) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))
               for k in items)


def _index_backward_forward(g: np.ndarray, *, key: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(key):
        out[key] = g
    else:
        # Repeated integer indices accumulate.
        np.add.at(out, key, g)
    return out


index = defop("index", _index_forward, vjp=(_index_vjp,),
              reads=((),), grad_fn_name="IndexBackward0")
# ``x.index_select(dim, idx)``: indexing by one integer vector, under PyTorch's node name.
index_select_op = defop("index_select", _index_forward, vjp=(_index_vjp,),
                        reads=((),), grad_fn_name="IndexSelectBackward0")
# Basic indexing (ints, slices, None, ...) is a view. PyTorch records it as a chain of
# select / slice / unsqueeze views; dualgrad records one node, named after the outermost
# view PyTorch would record (see ``basic_index_op``). The four ops share their rules.
index_view = defop("slice", _index_forward, vjp=(_index_vjp,), reads=((),), view=True,
                   grad_fn_name="SliceBackward0",
                   doc="Basic indexing whose last effective item is a slice: ``x[1:]``.")
index_select = defop("select", _index_forward, vjp=(_index_vjp,), reads=((),), view=True,
                     grad_fn_name="SelectBackward0",
                     doc="Basic indexing whose last effective item is an integer: ``x[0]``.")
index_unsqueeze = defop("index_unsqueeze", _index_forward, vjp=(_index_vjp,),
                        reads=((),), view=True,
                        grad_fn_name="UnsqueezeBackward0",
                        doc="Basic indexing whose last effective item is None: ``x[None]``.")
index_alias = defop("alias", _index_forward, vjp=(_index_vjp,), reads=((),), view=True,
                    grad_fn_name="AliasBackward0",
                    doc="Basic indexing that selects everything: ``x[...]``, ``x[:, :]``.")


def basic_index_op(key: Any, shape: tuple) -> Any:
    """The view op for a basic ``key`` on a tensor of ``shape``, named as PyTorch names it.

    PyTorch applies the items left to right (an int selects, a slice slices, None
    unsqueezes) and skips full slices inside a tuple; the last op applied is the node that
    ``grad_fn`` shows. A key that is a single slice is always a slice.
    """
    if not isinstance(key, tuple):
        if key is None:
            return index_unsqueeze
        if key is Ellipsis:
            return index_alias
        return index_view if isinstance(key, slice) else index_select
    n_ellipsis_dims = len(shape) - sum(1 for k in key if k is not None and k is not Ellipsis)
    last, dim = index_alias, 0
    for k in key:
        if k is None:
            last = index_unsqueeze
        elif k is Ellipsis:
            dim += n_ellipsis_dims
        elif isinstance(k, slice):
            if dim < len(shape) and k.indices(shape[dim]) != (0, shape[dim], 1):
                last = index_view
            dim += 1
        else:
            last, dim = index_select, dim + 1
    return last


index_backward = defop(
    "index_backward", _index_backward_forward, save_inputs=False,
    vjp=(lambda g, ans, gg, *, key, shape: index(g, key=key),),
    grad_fn_name="IndexPutBackward0",
    doc="Scatter-add ``g`` into zeros of ``shape`` at ``key``: the VJP of indexing.")


# --- split / chunk / unbind: one node per output piece ------------------------------------
# PyTorch records one multi-output node (SplitBackward0, ...); dualgrad's nodes have one output,
# so each piece is its own view op carrying PyTorch's node name.

def _piece_key(ndim: int, axis: int, item: Any) -> tuple:
    return (slice(None),) * (axis % ndim) + (item,)


def _split_piece_forward(x: np.ndarray, *, start: int, stop: int, axis: int) -> np.ndarray:
    return x[_piece_key(x.ndim, axis, slice(start, stop))]


def _split_piece_vjp(g: Any, ans: Any, x: Any, *, start: int, stop: int, axis: int) -> Any:
    return index_backward(g, key=_piece_key(np.ndim(x), axis, slice(start, stop)),
                          shape=np.shape(x))


split_piece = defop("split_piece", _split_piece_forward, vjp=(_split_piece_vjp,), view=True,
                    reads=((),),
                    grad_fn_name="SplitBackward0",
                    doc="One piece ``[start:stop]`` along ``axis`` of ``split(int)`` / ``chunk``.")
split_with_sizes_piece = defop(
    "split_with_sizes_piece", _split_piece_forward, vjp=(_split_piece_vjp,), view=True, reads=((),),
    grad_fn_name="SplitWithSizesBackward0",
    doc="One piece ``[start:stop]`` along ``axis`` of ``split(list_of_sizes)``.")


def _unbind_piece_forward(x: np.ndarray, *, index: int, axis: int) -> np.ndarray:
    return x[_piece_key(x.ndim, axis, index)]


def _unbind_piece_vjp(g: Any, ans: Any, x: Any, *, index: int, axis: int) -> Any:
    return index_backward(g, key=_piece_key(np.ndim(x), axis, index), shape=np.shape(x))


unbind_piece = defop("unbind_piece", _unbind_piece_forward, vjp=(_unbind_piece_vjp,), reads=((),),
                     view=True, grad_fn_name="UnbindBackward0",
                     doc="Slice ``index`` along ``axis`` (that axis removed) of ``unbind``.")


def _index_put_forward(x: np.ndarray, value: np.ndarray, *, key: Any) -> np.ndarray:
    out = x.copy()
    out[key] = value
    return out


def _index_put_vjp_x(g: Any, ans: Any, x: Any, value: Any, *, key: Any) -> Any:
    keep = np.ones(np.shape(x), dtype=bool)
    keep[key] = False
    return g * keep


def _index_put_vjp_value(g: Any, ans: Any, x: Any, value: Any, *, key: Any) -> Any:
    return index(g, key=key)


index_put = defop("index_put", _index_put_forward, vjp=(_index_put_vjp_x, _index_put_vjp_value),
                  reads=((), ()),
                  grad_fn_name="CopySlices", save_inputs=True,
                  doc="``x[key] = value`` recorded out of place (``setitem``).")
index_put_advanced = defop(
    "index_put_advanced", _index_put_forward, vjp=(_index_put_vjp_x, _index_put_vjp_value),
    reads=((), ()),
    grad_fn_name="IndexPutBackward0",
    doc="``x[key] = value`` with integer arrays or a mask in ``key`` (PyTorch's index_put_).")


def _view_put_forward(x: np.ndarray, value: np.ndarray, *, view_op: Any,
                      view_params: dict) -> np.ndarray:
    out = x.copy()
    view_op.forward(out, **view_params)[...] = value
    return out


def _view_put_vjp_x(g: Any, ans: Any, x: Any, value: Any, *, view_op: Any,
                    view_params: dict) -> Any:
    keep = np.ones(np.shape(x), dtype=bool)
    view_op.forward(keep, **view_params)[...] = False
    return g * keep


def _view_put_vjp_value(g: Any, ans: Any, x: Any, value: Any, *, view_op: Any,
                        view_params: dict) -> Any:
    return view_op(g, **view_params)


view_put = defop(
    "view_put", _view_put_forward, vjp=(_view_put_vjp_x, _view_put_vjp_value),
    reads=((), ()), grad_fn_name="CopySlices",
    doc="``x`` with the elements that the view op ``view_op`` (with ``view_params``) selects "
        "replaced by ``value``: an in-place change of a view, recorded on its base.")


# --- NumPy entry points ---------------------------------------------------------------------

@implements(np.reshape)
def _np_reshape(a: Any, shape: Any = None, order: str = "C", **kw: Any) -> Any:
    if shape is None:
        shape = kw.get("newshape")
    if isinstance(shape, int):
        shape = (shape,)
    return reshape(a, shape=tuple(shape))


@implements(np.transpose)
def _np_transpose(a: Any, axes: Any = None) -> Any:
    if axes is None:
        axes = tuple(reversed(range(np.ndim(a))))
    return permute(a, axes=tuple(axes))


@implements(np.swapaxes)
def _np_swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    return transpose(a, dim0=axis1, dim1=axis2)


@implements(np.moveaxis)
def _np_moveaxis(a: Any, source: Any, destination: Any) -> Any:
    ndim = np.ndim(a)
    src = [s % ndim for s in np.atleast_1d(source)]
    dst = [d % ndim for d in np.atleast_1d(destination)]
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(a, axes=tuple(order))


@implements(np.broadcast_to)
def _np_broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    if isinstance(shape, int):
        shape = (shape,)
    return expand(array, shape=tuple(shape))


@implements(np.expand_dims)
def _np_expand_dims(a: Any, axis: Any) -> Any:
    if isinstance(axis, int):
        return unsqueeze(a, axis=axis)
    out = a
    for ax in sorted(axis):
        out = unsqueeze(out, axis=ax)
    return out


@implements(np.squeeze)
def _np_squeeze(a: Any, axis: Any = None) -> Any:
    if axis is None:
        return squeeze(a, axis=None)
    return (squeeze_dim if isinstance(axis, int) else squeeze_dims)(a, axis=axis)


@implements(np.flip)
def _np_flip(m: Any, axis: Any = None) -> Any:
    if axis is None:
        axis = tuple(range(np.ndim(m)))
    return flip(m, axis=axis)


@implements(np.concatenate)
def _np_concatenate(arrays: Any, axis: int = 0, **_: Any) -> Any:
    return cat(*arrays, axis=axis)


@implements(np.stack)
def _np_stack(arrays: Any, axis: int = 0, **_: Any) -> Any:
    return stack(*arrays, axis=axis)


@implements(np.tile)
def _np_tile(A: Any, reps: Any) -> Any:
    if isinstance(reps, int):
        reps = (reps,)
    return repeat(A, reps=tuple(reps))


@implements(np.shape)
def _np_shape(a: Any) -> tuple:
    return a.shape


@implements(np.ndim)
def _np_ndim(a: Any) -> int:
    return a.ndim


@implements(np.size)
def _np_size(a: Any, axis: Any = None) -> int:
    return a.numel() if axis is None else a.shape[axis]


@implements(np.atleast_1d)
def _np_atleast_1d(*arys: Any) -> Any:
    outs = [a if a.ndim >= 1 else reshape(a, shape=(1,)) for a in arys]
    return outs[0] if len(outs) == 1 else outs


__all__ = ["reshape", "permute", "transpose", "t", "expand", "squeeze", "squeeze_dim",
           "squeeze_dims", "unsqueeze", "flip", "cat", "stack", "repeat", "index", "index_view",
           "index_select", "index_select_op", "index_unsqueeze", "index_alias", "basic_index_op",
           "index_backward",
           "index_put", "index_put_advanced", "view_put", "split_piece", "split_with_sizes_piece",
           "unbind_piece", "NONDIFF"]


@implements(np.diagonal)
def _np_diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    ndim = np.ndim(a)
    return diagonal(a, offset=offset, dim1=axis1 % ndim, dim2=axis2 % ndim)


@implements(np.roll)
def _np_roll(a: Any, shift: Any, axis: Any = None) -> Any:
    shifts = tuple(np.atleast_1d(shift).tolist())
    dims = None if axis is None else tuple(np.atleast_1d(axis).tolist())
    if dims is not None and len(shifts) != len(dims):
        shifts = shifts * len(dims) if len(shifts) == 1 else shifts
    return roll(a, shifts=shifts, dims=dims)


@implements(np.rot90)
def _np_rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    return rot90(m, k=k, axes=tuple(axes))
