"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum.

Reductions take ``axis`` (an int, a tuple of ints, or None for all) and ``keepdims`` as
static parameters. Ops whose PyTorch node name differs between the whole-tensor and the
per-dimension form are registered twice (``SumBackward0`` / ``SumBackward1``) with the same
rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad._registry import IDENTITY, NONDIFF, defop, implements, zeros_like_grad


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else 0 for a in axis))


def restore_reduced(g: Any, ndim: int, axis: Any, keepdims: bool) -> Any:
    """Put back the reduced axes (as size 1) so ``g`` broadcasts against the input."""
    if keepdims or ndim == 0:
        return g
    return np.reshape(g, _kept_shape(np.shape(g), ndim, axis))


def _kept_shape(reduced_shape: tuple, ndim: int, axis: Any) -> tuple:
    axes = _axes(axis, ndim)
    shape = list(reduced_shape)
    for a in axes:
        shape.insert(a, 1)
    return tuple(shape)


def _count(shape: tuple, axis: Any) -> int:
    n = 1
    for a in _axes(axis, len(shape)):
        n *= shape[a]
    return n


def _broadcast_scalar(g: Any, shape: tuple) -> Any:
    """``np.broadcast_to(g, shape)`` for a 0-d ``g``; without NumPy's Python-level overhead
    (about 2 us, more than the rest of a small backward step) when ``g`` is an array."""
    if type(g) is np.ndarray and not g.ndim:
        g = g[()]  # a NumPy scalar: its buffer is read-only, so the view is too
    if isinstance(g, np.generic):
        # A read-only view with zero strides, which is what np.broadcast_to returns.
        return np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
    return np.broadcast_to(g, shape)


def _sum_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False) -> Any:
    # x may be an InputMeta (sum keeps only its input's shape): read .shape/.ndim only.
    if axis is None and not keepdims:
        return _broadcast_scalar(g, x.shape)
    if axis is None:
        # g (all ones with keepdims) broadcasts to x's shape as it is.
        return np.broadcast_to(g, x.shape)
    return np.broadcast_to(restore_reduced(g, x.ndim, axis, keepdims), x.shape)


def _sum_forward(x: np.ndarray, *, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if type(x) is np.ndarray:
        # What np.sum does for an ndarray, minus its Python-level dispatch.
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


sum_all = defop("sum", _sum_forward, vjp=(_sum_vjp,), reads=((),))
sum_dim = defop("sum_dim", _sum_forward, vjp=(_sum_vjp,), grad_fn_name="SumBackward1",
                 reads=((),))


def _mean_forward(x: np.ndarray, *, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if axis is None and type(x) is np.ndarray and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        # np.mean's own arithmetic for float32/64 (same-dtype pairwise sum, then one
        # division), minus its Python-level overhead; float16 keeps np.mean's float32 sum.
        total = np.add.reduce(x, axis=None, keepdims=keepdims)
        return total / x.size if x.size else np.mean(x, keepdims=keepdims)
    return np.mean(x, axis=axis, keepdims=keepdims)


def _mean_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False) -> Any:
    # Divide the reduced cotangent before broadcasting it: one division, not one per element.
    n = _count(x.shape, axis)
    return _sum_vjp(g / n if n else g, ans, x, axis=axis, keepdims=keepdims)


mean_all = defop("mean", _mean_forward, vjp=(_mean_vjp,), reads=((),))
mean_dim = defop("mean_dim", _mean_forward, vjp=(_mean_vjp,), grad_fn_name="MeanBackward1",
                  reads=((),))


def _prod_forward(x: np.ndarray, *, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False) -> Any:
    ndim = np.ndim(x)
    if ndim == 0:
        return g  # PyTorch's rule for a 0-d input (x / x would be nan at 0 or inf)
    if np.size(x) == 0:
        return zeros_like_grad(x)
    if isinstance(x, np.ndarray) and not (x == 0).any():
        # PyTorch's rule when no entry is 0: grad * (result / x), with its infinities.
        return restore_reduced(g, ndim, axis, keepdims) * (
            restore_reduced(ans, ndim, axis, keepdims) / x)
    # Product of all the other elements, computed without dividing by x, so zeros are exact
    # (and differentiable again): exclusive cumulative products from the left and the right.
    axes = _axes(axis, ndim)
    moved = np.moveaxis(x, axes, tuple(range(ndim - len(axes), ndim)))
    flat_shape = np.shape(moved)[: ndim - len(axes)] + (-1,)
    flat = np.reshape(moved, flat_shape)
    # ``ans.dtype``, not ``np.asarray(ans)``: under create_graph ``ans`` is a Tensor.
    ones = np.ones(np.shape(flat)[:-1] + (1,), dtype=ans.dtype)
    left = np.concatenate([ones, np.cumprod(flat, axis=-1)[..., :-1]], axis=-1)
    right = np.flip(np.concatenate(
        [ones, np.cumprod(np.flip(flat, axis=-1), axis=-1)[..., :-1]], axis=-1), axis=-1)
    others = np.reshape(left * right, np.shape(moved))
    others = np.moveaxis(others, tuple(range(ndim - len(axes), ndim)), axes)
    return restore_reduced(g, ndim, axis, keepdims) * others


prod_all = defop("prod", _prod_forward, vjp=(_prod_vjp,), save_ans=True)
prod_dim = defop("prod_dim", _prod_forward, vjp=(_prod_vjp,), save_ans=True,
                 grad_fn_name="ProdBackward1")


def _cumprod_forward(x: np.ndarray, *, axis: int | None) -> np.ndarray:
    return np.cumprod(x, axis=axis).reshape(x.shape)  # (axis None: a 0-d x stays 0-d)


def _cumprod_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    if isinstance(x, np.ndarray) and np.all(x != 0):
        # Fast path (first order, no zeros): sum_{j>=k} g_j y_j / x_k.
        rev = np.flip(np.cumsum(np.flip(g * ans, axis=axis), axis=axis), axis=axis)
        return rev / x
    # Zero-safe: d y_j / d x_k = prod_{i<=j, i!=k} x_i for j >= k. Row k of ``others`` is x
    # with x_k replaced by 1; its cumprod gives those products for every j. This is what
    # prod's rule differentiates under create_graph, where x may hold zeros.
    n = np.shape(x)[axis]
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    diag = np.eye(n, dtype=bool)
    others = np.where(diag, 1.0, np.expand_dims(xm, -2))
    upper = np.arange(n)[:, None] <= np.arange(n)[None, :]
    terms = np.cumprod(others, axis=-1) * np.expand_dims(gm, -2) * upper
    return np.moveaxis(np.sum(terms, axis=-1), -1, axis)


cumprod = defop("cumprod", _cumprod_forward, vjp=(_cumprod_vjp,), save_ans=True,
                numpy=())


def _amax_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False) -> Any:
    # The gradient is shared equally between tied extremes (PyTorch's amax/amin).
    ndim = np.ndim(x)
    hit = x == restore_reduced(ans, ndim, axis, keepdims)
    count = np.sum(hit, axis=axis, keepdims=True)
    return restore_reduced(g, ndim, axis, keepdims) * hit / count


def _amax_forward(x: np.ndarray, *, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.amax(x, axis=axis, keepdims=keepdims)


def _amin_forward(x: np.ndarray, *, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.amin(x, axis=axis, keepdims=keepdims)


amax = defop("amax", _amax_forward, vjp=(_amax_vjp,), save_ans=True)
amin = defop("amin", _amin_forward, vjp=(_amax_vjp,), save_ans=True)


def _extreme_all_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None,
                     keepdims: bool = False) -> Any:
    # PyTorch's evenly_distribute_backward for x.max() / x.min(): the gradient is shared by
    # the elements equal to the result or, when the result is NaN, by the NaNs (amax/amin,
    # share by x == ans, which gives NaN everywhere then, in PyTorch too).
    hit = np.where(ans != ans, x != x, x == ans)
    return np.where(hit, g / np.sum(hit), 0.0)


max_all = defop("max", _amax_forward, vjp=(_extreme_all_vjp,), save_ans=True,
                grad_fn_name="MaxBackward1", doc="``x.max()`` of the whole tensor.")
min_all = defop("min", _amin_forward, vjp=(_extreme_all_vjp,), save_ans=True,
                grad_fn_name="MinBackward1", doc="``x.min()`` of the whole tensor.")


def _median_all_forward(x: np.ndarray) -> np.ndarray:
    # PyTorch's lower median: NaN if there is any NaN (or no value at all).
    flat = x.reshape(-1)
    if not flat.size or (flat != flat).any():
        return np.asarray(np.nan if x.dtype.kind == "f" else 0, dtype=x.dtype)
    k = (flat.size - 1) // 2
    return np.asarray(np.partition(flat, k)[k])


# The gradient of x.median() is shared by the elements equal to it, as for x.max().
median_all = defop("median", _median_all_forward, vjp=(_extreme_all_vjp,), save_ans=True,
                   grad_fn_name="MedianBackward0",
                   doc="``x.median()``: the lower median of all values (NaN if any is NaN).")


def _trace_forward(x: np.ndarray) -> np.ndarray:
    return np.trace(x, dtype=np.int64 if x.dtype.kind in "iu" else x.dtype)


def _trace_vjp(g: Any, ans: Any, x: Any) -> Any:
    # PyTorch's trace_backward: g on the diagonal, exact zeros elsewhere
    return np.where(np.eye(*np.shape(x), dtype=bool), g, 0.0)


trace = defop("trace", _trace_forward, vjp=(_trace_vjp,), reads=((),),
              doc="The sum of a matrix's diagonal (integers summed as int64).")


def _take_along_forward(x: np.ndarray, index: np.ndarray, *, axis: int) -> np.ndarray:
    return np.take_along_axis(x, index, axis=axis)


def _take_along_vjp(g: Any, ans: Any, x: Any, index: Any, *, axis: int) -> Any:
    return put_along(g, index, axis=axis, shape=np.shape(x))


def _put_along_forward(g: np.ndarray, index: np.ndarray, *, axis: int,
                       shape: tuple) -> np.ndarray:
    # np.put_along_axis assigns, so a repeated index would keep only its last value; the
    # gradient of a gather must add them up, hence np.add.at on the full index tuple.
    out = np.zeros(shape, dtype=g.dtype)
    g = np.asarray(g)
    np.add.at(out, along_key(np.broadcast_to(index, g.shape), axis), g)
    return out


def along_key(index: np.ndarray, axis: int) -> tuple:
    """The full NumPy index of a gather/scatter along ``axis``: ``index`` there, and each
    position's own coordinate along the other dimensions."""
    ndim = index.ndim
    axis %= max(ndim, 1)
    return tuple(index if d == axis else
                 np.arange(index.shape[d]).reshape((1,) * d + (-1,) + (1,) * (ndim - d - 1))
                 for d in range(ndim))


take_along = defop("take_along", _take_along_forward, vjp=(_take_along_vjp, NONDIFF),
                   grad_fn_name="GatherBackward0",
                   doc="``np.take_along_axis``: picks one element per index along ``axis``.")
# sort and topk pick values along a dimension like gather, under PyTorch's node names.
sort_values = defop("sort_values", _take_along_forward, vjp=(_take_along_vjp, NONDIFF),
                    reads=((1,), ()),
                    grad_fn_name="SortBackward0", doc="``x.sort(dim).values``.")
topk_values = defop("topk_values", _take_along_forward, vjp=(_take_along_vjp, NONDIFF),
                    reads=((1,), ()),
                    grad_fn_name="TopkBackward0", doc="``x.topk(k, dim).values``.")
put_along = defop("put_along", _put_along_forward,
                  vjp=(lambda g, ans, gg, index, *, axis, shape: take_along(g, index, axis=axis),
                       NONDIFF),
                  grad_fn_name="ScatterBackward0",
                  doc="Scatter into zeros along ``axis``: the VJP of ``take_along``.")


def _max_dim_forward(x: np.ndarray, index: np.ndarray, *, axis: int,
                     keepdims: bool) -> np.ndarray:
    out = np.take_along_axis(x, index, axis=axis)
    return out if keepdims else np.squeeze(out, axis=axis)


def _max_dim_vjp(g: Any, ans: Any, x: Any, index: Any, *, axis: int, keepdims: bool) -> Any:
    if not keepdims:
        g = np.expand_dims(g, axis)
    return put_along(g, index, axis=axis, shape=np.shape(x))


# ``x.max(dim)`` / ``x.min(dim)``: the method finds the indices (argmax/argmin, not
# differentiable) and these ops pick the values at them, so one rule serves both.
max_dim = defop("max_dim", _max_dim_forward, vjp=(_max_dim_vjp, NONDIFF),
                reads=((1,), ()),
                grad_fn_name="MaxBackward0",
                doc="``x.max(dim)``: the values at the argmax indices.")
min_dim = defop("min_dim", _max_dim_forward, vjp=(_max_dim_vjp, NONDIFF),
                reads=((1,), ()),
                grad_fn_name="MinBackward0",
                doc="``x.min(dim)``: the values at the argmin indices.")
median_dim = defop("median_dim", _max_dim_forward, vjp=(_max_dim_vjp, NONDIFF),
                   reads=((1,), ()), grad_fn_name="MedianBackward1",
                   doc="``x.median(dim)``: the values at the lower medians' indices.")
kthvalue = defop("kthvalue", _max_dim_forward, vjp=(_max_dim_vjp, NONDIFF), reads=((1,), ()),
                 doc="``x.kthvalue(k, dim)``: the values at the k-th smallest's indices.")
# cummax / cummin pick, at each position, the value at the running extreme's index: a
# gather, whose gradient is scattered back to those indices.
cummax_values = defop("cummax_values", _take_along_forward, vjp=(_take_along_vjp, NONDIFF),
                      reads=((1,), ()), grad_fn_name="CummaxBackward0",
                      doc="``x.cummax(dim).values``.")
cummin_values = defop("cummin_values", _take_along_forward, vjp=(_take_along_vjp, NONDIFF),
                      reads=((1,), ()), grad_fn_name="CumminBackward0",
                      doc="``x.cummin(dim).values``.")


def _leading(index: Any, axis: int) -> tuple:
    """The slices of a tensor's leading part that an ``index`` covers outside ``axis``."""
    return tuple(slice(None) if d == axis else slice(0, n)
                 for d, n in enumerate(np.shape(index)))


def _scatter_src_vjp(g: Any, ans: Any, x: Any, index: Any, src: Any, *, axis: int) -> Any:
    # PyTorch's grad.gather(dim, index): the cotangent at the places written to
    key = _leading(index, axis)
    return take_along(g[key] if np.shape(g) != np.shape(index) else g, index, axis=axis)


def _scatter_forward(x: np.ndarray, index: np.ndarray, src: np.ndarray, *,
                     axis: int) -> np.ndarray:
    out = x.copy()
    out[along_key(index, axis)] = src[tuple(slice(0, n) for n in index.shape)]
    return out


def _scatter_value_forward(x: np.ndarray, index: np.ndarray, *, axis: int,
                           value: Any) -> np.ndarray:
    out = x.copy()
    out[along_key(index, axis)] = value
    return out


def _scatter_add_forward(x: np.ndarray, index: np.ndarray, src: np.ndarray, *,
                         axis: int) -> np.ndarray:
    out = x.copy()
    np.add.at(out, along_key(index, axis), src[tuple(slice(0, n) for n in index.shape)])
    return out


def _scatter_zero(g: Any, ans: Any, x: Any, index: Any, *rest: Any, axis: int,
                  value: Any = 0) -> Any:
    # PyTorch's grad.scatter(dim, index, 0): what was overwritten gets no gradient
    return scatter_value(g, index, axis=axis, value=0)


scatter = defop("scatter", _scatter_forward, vjp=(_scatter_zero, NONDIFF, _scatter_src_vjp),
                reads=((1,), (), (1,)), grad_fn_name="ScatterBackward0",
                doc="``x.scatter(dim, index, src)``: ``src``'s values written at ``index``.")
scatter_value = defop("scatter_value", _scatter_value_forward, vjp=(_scatter_zero, NONDIFF),
                      reads=((1,), ()), grad_fn_name="ScatterBackward1",
                      doc="``x.scatter(dim, index, value)``: one number written at ``index``.")
scatter_add = defop("scatter_add", _scatter_add_forward,
                    vjp=(IDENTITY, NONDIFF, _scatter_src_vjp), reads=((), (), (1,)),
                    doc="``x.scatter_add(dim, index, src)``: ``src``'s values added at "
                        "``index`` (repeats add up).")


def _index_add_forward(x: np.ndarray, index: np.ndarray, source: np.ndarray, *, axis: int,
                       alpha: Any) -> np.ndarray:
    out = x.copy()
    np.add.at(out, (slice(None),) * axis + (index,), source if alpha == 1 else source * alpha)
    return out


def _index_add_vjp_source(g: Any, ans: Any, x: Any, index: Any, source: Any, *, axis: int,
                          alpha: Any) -> Any:
    # PyTorch's maybe_multiply(grad.index_select(dim, index), alpha)
    picked = g[(slice(None),) * axis + (index,)]
    return picked if alpha == 1 else picked * alpha


index_add = defop("index_add", _index_add_forward, vjp=(IDENTITY, NONDIFF, _index_add_vjp_source),
                  reads=((), (), (1,)),
                  doc="``x.index_add(dim, index, source, alpha=)``: ``alpha * source``'s "
                      "slices added to the slices ``index`` of ``dim``.")


def _var_forward(x: np.ndarray, *, axis: Any = None, correction: int = 1,
                 keepdims: bool = False) -> np.ndarray:
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


def _var_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, correction: int = 1,
             keepdims: bool = False) -> Any:
    # PyTorch's var_backward: (2 / (n - correction)) * g * (x - mean); with no degree of
    # freedom left, inf (nan where x equals the mean), as PyTorch gives.
    n = _count(np.shape(x), axis)
    g = restore_reduced(g, np.ndim(x), axis, keepdims)
    centered = x - np.mean(x, axis=axis, keepdims=True)
    if n - correction <= 0:
        return g * np.where(centered == 0, np.nan, np.inf)
    return (2.0 / (n - correction)) * g * centered


var = defop("var", _var_forward, vjp=(_var_vjp,))


def _std_forward(x: np.ndarray, *, axis: Any = None, correction: int = 1,
                 keepdims: bool = False) -> np.ndarray:
    return np.std(x, axis=axis, ddof=correction, keepdims=keepdims)


def _std_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None, correction: int = 1,
             keepdims: bool = False) -> Any:
    ndim = np.ndim(x)
    # Where std is 0 (all values equal) the gradient is taken as 0, as PyTorch does.
    zero = ans == 0
    g_var = np.where(zero, 0.0, g / (2 * np.where(zero, 1.0, ans)))
    return _var_vjp(g_var, None, x, axis=axis, correction=correction, keepdims=keepdims) \
        if keepdims else _var_vjp(restore_reduced(g_var, ndim, axis, False), None, x,
                                  axis=axis, correction=correction, keepdims=True)


std = defop("std", _std_forward, vjp=(_std_vjp,), save_ans=True)


def _norm_forward(x: np.ndarray, *, ord: Any = 2, axis: Any = None,
                  keepdims: bool = False) -> np.ndarray:
    a = np.abs(x)
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    if ord == 1:
        return np.sum(a, axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return np.amax(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.amin(a, axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries
        return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    return np.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _norm_vjp(g: Any, ans: Any, x: Any, *, ord: Any = 2, axis: Any = None,
              keepdims: bool = False) -> Any:
    # PyTorch's norm_backward, case by case: its masks give 0 where a formula would be 0/0
    # (the origin, a zero entry with p < 1, a norm that underflowed to 0), and its sgn is 0
    # at NaN.
    if ord == 0:
        return None  # PyTorch's rule returns an undefined gradient: x.grad stays None
    ndim = np.ndim(x)
    g = restore_reduced(g, ndim, axis, keepdims)
    n = restore_reduced(ans, ndim, axis, keepdims)
    if ord == 2:
        return g * np.where(n == 0, 0.0, x / np.where(n == 0, 1, n))
    sign = np.where(x != x, 0, np.sign(x))
    if ord == 1:
        return sign * g
    a = np.abs(x)
    if ord in (np.inf, -np.inf):
        hit = np.logical_or(a == n, a != a)
        return sign * ((g / np.sum(hit, axis=axis, keepdims=True)) * hit)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ord < 1:
            scaled = sign * np.where(x == 0, 0.0, a ** (ord - 1))
            return scaled * g * n ** (1 - ord)
        scale = np.where(n == 0, 0.0, g / n ** (ord - 1))
        if ord < 2:
            return sign * a ** (ord - 1) * scale
        return x * a ** (ord - 2) * scale


norm = defop("norm", _norm_forward, vjp=(_norm_vjp,), save_ans=True,
             grad_fn_name="LinalgVectorNormBackward0")


def _logsumexp_forward(x: np.ndarray, *, axis: Any = None,
                       keepdims: bool = False) -> np.ndarray:
    m = np.amax(x, axis=axis, keepdims=True, initial=-np.inf)  # (empty: log(0) = -inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_vjp(g: Any, ans: Any, x: Any, *, axis: Any = None,
                   keepdims: bool = False) -> Any:
    ndim = np.ndim(x)
    return restore_reduced(g, ndim, axis, keepdims) * np.exp(
        x - restore_reduced(ans, ndim, axis, keepdims))


logsumexp = defop("logsumexp", _logsumexp_forward, vjp=(_logsumexp_vjp,), save_ans=True)


# PyTorch's CPU cumsum accumulates in its acc_type: float32 in float64, float16 in float32
# (a float32 cumsum of a million 0.1s ends at 100000.0 there, at 100958.34 in float32).
_CUMSUM_ACCUMULATOR = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}


def _cumsum_forward(x: np.ndarray, *, axis: int | None) -> np.ndarray:
    wide = _CUMSUM_ACCUMULATOR.get(x.dtype)
    out = np.cumsum(x, axis=axis, dtype=wide)
    if wide is not None:
        out = out.astype(x.dtype)
    return out.reshape(x.shape)  # (axis None: a 0-d x stays 0-d)


def _cumsum_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    # PyTorch's reversed cumsum, through the same kernel (and so its accumulation); np.cumsum
    # of a Tensor (create_graph) is this op again.
    flipped = np.flip(g, axis=axis)
    summed = (_cumsum_forward(flipped, axis=axis) if isinstance(flipped, np.ndarray)
              else np.cumsum(flipped, axis=axis))
    return np.flip(summed, axis=axis)


cumsum = defop("cumsum", _cumsum_forward, vjp=(_cumsum_vjp,), save_inputs=False)


# --- NumPy entry points (used by rules running on Tensors and by users' np.* calls) ---------

def _norm_axis(axis: Any) -> Any:
    if isinstance(axis, list):
        return tuple(axis)
    return axis


@implements(np.sum)
def _np_sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, **_: Any) -> Any:
    axis = _norm_axis(axis)
    return (sum_all if axis is None and not keepdims else sum_dim)(a, axis=axis,
                                                                   keepdims=keepdims)


@implements(np.mean)
def _np_mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
             keepdims: bool = False, **_: Any) -> Any:
    axis = _norm_axis(axis)
    return (mean_all if axis is None and not keepdims else mean_dim)(a, axis=axis,
                                                                     keepdims=keepdims)


@implements(np.prod)
def _np_prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
             keepdims: bool = False, **_: Any) -> Any:
    axis = _norm_axis(axis)
    return (prod_all if axis is None and not keepdims else prod_dim)(a, axis=axis,
                                                                     keepdims=keepdims)


@implements(np.amax, np.max)
def _np_amax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
             **_: Any) -> Any:
    return amax(a, axis=_norm_axis(axis), keepdims=keepdims)


@implements(np.amin, np.min)
def _np_amin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
             **_: Any) -> Any:
    return amin(a, axis=_norm_axis(axis), keepdims=keepdims)


@implements(np.cumsum)
def _np_cumsum(a: Any, axis: Any = None, **_: Any) -> Any:
    if axis is None:
        from dualgrad.ops.shape import reshape

        return cumsum(reshape(a, shape=(-1,)), axis=0)
    return cumsum(a, axis=axis)


@implements(np.cumprod)
def _np_cumprod(a: Any, axis: Any = None, **_: Any) -> Any:
    return cumprod(a, axis=axis)


@implements(np.var)
def _np_var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
            keepdims: bool = False, **_: Any) -> Any:
    return var(a, axis=_norm_axis(axis), correction=ddof, keepdims=keepdims)


@implements(np.std)
def _np_std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
            keepdims: bool = False, **_: Any) -> Any:
    return std(a, axis=_norm_axis(axis), correction=ddof, keepdims=keepdims)


@implements(np.take_along_axis)
def _np_take_along_axis(arr: Any, indices: Any, axis: int) -> Any:
    return take_along(arr, indices, axis=axis)


@implements(np.argmax)
def _np_argmax(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    from dualgrad._tensor import from_data

    return from_data(a).argmax(axis, keepdims)


@implements(np.sort)
def _np_sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, **_: Any) -> Any:
    from dualgrad._tensor import from_data

    t = from_data(a)
    return (t.reshape(-1) if axis is None else t).sort(-1 if axis is None else axis).values


@implements(np.round, np.around)
def _np_round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    from dualgrad._tensor import from_data

    return from_data(a).round(decimals=decimals)
