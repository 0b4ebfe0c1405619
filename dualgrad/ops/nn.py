"""Neural-network ops: softmax, log_softmax and the losses, as numerically stable primitives."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from dualgrad._registry import IDENTITY, NONDIFF, defop
from dualgrad.ops.elementwise import _sigmoid


def _softmax_forward(x: np.ndarray, *, axis: int) -> np.ndarray:
    # (initial=-inf: an empty input gives an empty result, as in PyTorch.)
    e = np.exp(x - np.amax(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    # PyTorch's y * (g - sum(g * y)), in its order (the same value, other roundings).
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


softmax = defop("softmax", _softmax_forward, vjp=(_softmax_vjp,), save_inputs=False,
                save_ans=True)


def _log_softmax_forward(x: np.ndarray, *, axis: int) -> np.ndarray:
    shifted = x - np.amax(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_vjp(g: Any, ans: Any, x: Any, *, axis: int) -> Any:
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


log_softmax = defop("log_softmax", _log_softmax_forward, vjp=(_log_softmax_vjp,),
                    save_inputs=False, save_ans=True)


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return np.mean(loss)
    if reduction == "sum":
        return np.sum(loss)
    return loss


def _reduced_grad(g: Any, shape: tuple, reduction: str) -> Any:
    if reduction == "mean":
        return g / max(int(np.prod(shape)), 1)
    return g


def _bce_logits_forward(x: np.ndarray, y: np.ndarray, *, reduction: str = "mean",
                        pos_weight: Any = None) -> np.ndarray:
    # max(x, 0) - x*y + log(1 + exp(-|x|)), weighted for positives: stable for large |x|.
    log_sig_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # -log(sigmoid(x))
    if pos_weight is None:
        loss = (1 - y) * x + log_sig_neg
    else:
        loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * log_sig_neg
    # In the target's dtype, as PyTorch (which builds the loss from ``1 - target``).
    return _reduce(loss, reduction).astype(np.result_type(y), copy=False)


def _bce_logits_vjp_x(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean",
                      pos_weight: Any = None) -> Any:
    s = _sigmoid_any(x)
    if pos_weight is None:
        d = s - y
    else:
        d = s * (1 + (pos_weight - 1) * y) - pos_weight * y
    return _reduced_grad(g, np.shape(x), reduction) * d


def _bce_logits_vjp_y(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean",
                      pos_weight: Any = None) -> Any:
    log_sig_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
    if pos_weight is None:
        d = -x
    else:
        d = -x + (pos_weight - 1) * log_sig_neg
    return _reduced_grad(g, np.shape(x), reduction) * d


def _sigmoid_any(x: Any) -> Any:
    from dualgrad.ops.elementwise import sigmoid

    return sigmoid(x) if not isinstance(x, np.ndarray) else _sigmoid(x)


binary_cross_entropy_with_logits = defop(
    "binary_cross_entropy_with_logits", _bce_logits_forward,
    vjp=(_bce_logits_vjp_x, _bce_logits_vjp_y))


def _bce_forward(p: np.ndarray, y: np.ndarray, *, reduction: str = "mean") -> np.ndarray:
    # PyTorch clamps the logs at -100 so that p = 0 or 1 gives a finite loss.
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    return _reduce(loss, reduction).astype(p.dtype, copy=False)


# PyTorch's EPSILON in binary_cross_entropy_backward: a C++ float, 1e-12 rounded to float32.
_BCE_EPSILON = float(np.float32(1e-12))


def _bce_vjp_p(g: Any, ans: Any, p: Any, y: Any, *, reduction: str = "mean") -> Any:
    # In PyTorch's order: (p - y) / max(p (1 - p), eps) * g, then / n for the mean.
    d = (p - y) / np.maximum(p * (1 - p), _BCE_EPSILON)
    return _mean_after(d * g, np.shape(p), reduction)


def _bce_vjp_y(g: Any, ans: Any, p: Any, y: Any, *, reduction: str = "mean") -> Any:
    # PyTorch's -logit(p) * g, not clamped like the loss: infinite at p = 0 and p = 1.
    with np.errstate(divide="ignore"):
        d = -np.log(p / (1 - p))
    return _mean_after(d * g, np.shape(p), reduction)


def _mean_after(grad: Any, shape: tuple, reduction: str) -> Any:
    return grad / max(int(np.prod(shape)), 1) if reduction == "mean" else grad


binary_cross_entropy = defop("binary_cross_entropy", _bce_forward,
                             vjp=(_bce_vjp_p, _bce_vjp_y))


def _mse_forward(x: np.ndarray, y: np.ndarray, *, reduction: str = "mean") -> np.ndarray:
    d = x - y
    return _reduce(d * d, reduction)


def _mse_vjp_x(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean") -> Any:
    # PyTorch's mse_loss_backward: norm * (x - y) * g, norm = 2 / n for the mean, else 2.
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    norm = 2.0 / max(int(np.prod(shape)), 1) if reduction == "mean" else 2.0
    return norm * (x - y) * g


def _mse_vjp_y(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean") -> Any:
    return _mse_vjp_x(g, ans, y, x, reduction=reduction)  # as PyTorch: (y - x), not -(x - y)


mse_loss = defop("mse_loss", _mse_forward, vjp=(_mse_vjp_x, _mse_vjp_y))


def _nll_forward(logp: np.ndarray, target: np.ndarray, *, reduction: str = "mean",
                 ignore_index: int = -100) -> np.ndarray:
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = -np.take_along_axis(logp, safe[:, None], axis=1)[:, 0] * valid
    if reduction == "mean":
        count = int(np.sum(valid))
        if not count:  # every target is ignore_index: 0 / 0 = nan, as in PyTorch
            return np.array(np.nan, dtype=logp.dtype)
        return (np.sum(picked) / count).astype(logp.dtype)
    if reduction == "sum":
        return np.sum(picked)
    return picked


def _nll_vjp(g: Any, ans: Any, logp: Any, target: Any, *, reduction: str = "mean",
             ignore_index: int = -100) -> Any:
    target = np.asarray(target)
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    onehot = np.zeros(np.shape(logp), dtype=bool)
    onehot[np.arange(len(safe)), safe] = True
    onehot &= valid[:, None]
    if reduction == "mean":
        scale = -1.0 / max(int(np.sum(valid)), 1)
        return g * scale * onehot
    if reduction == "sum":
        return -g * onehot
    return -np.expand_dims(g, -1) * onehot


nll_loss = defop("nll_loss", _nll_forward, vjp=(_nll_vjp, NONDIFF))


_FLOAT32 = np.dtype(np.float32)
# Where ``_linear_forward`` swaps the operands (float32 only): batch rows, and the least
# number of input and of output features. benchmarks/bench_linear_layout.py reads them.
SWAP_BATCH_ROWS = (16, 64)
SWAP_MIN_FEATURES = 128


def _linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    if (x.dtype is _FLOAT32 and w.dtype is _FLOAT32 and b.dtype is _FLOAT32 and x.ndim == 2
            and SWAP_BATCH_ROWS[0] <= x.shape[0] <= SWAP_BATCH_ROWS[1]
            and w.shape[0] >= SWAP_MIN_FEATURES and w.shape[1] >= SWAP_MIN_FEATURES):
        # ``x @ w.T`` computed as ``(w @ x.T).T``: for float32 batches of 16 to 64 rows
        # through layers of at least 128 by 128, OpenBLAS's sgemm takes 0.4 to 1.0 of the
        # time with the operands this way round, and gives the same bits
        # (benchmarks/bench_linear_layout.py). Adding the bias makes the row-major output.
        return np.add(np.matmul(w, x.T).T, b, order="C")
    out = np.matmul(x, w.T)
    out += b  # the matmul result is fresh: add the bias in place, no second array
    return out


# ``nn.Linear`` as one op: one node instead of t + mm + add, and the weight gradient comes out
# as ``g.T @ x`` in the weight's own (row-major) layout, with no transposed copy. Batched
# inputs give a batched weight gradient that the engine's sum_to reduces.
def _linear_vjp_w(g: Any, ans: Any, x: Any, w: Any, b: Any) -> Any:
    if type(g) is np.ndarray and g.ndim == 2:
        return g.T @ x  # the hot path, without np.swapaxes's dispatch wrapper
    return np.matmul(np.swapaxes(g, -1, -2), x)


def _linear_vjp_b(g: Any, ans: Any, x: Any, w: Any, b: Any) -> Any:
    if type(g) is np.ndarray and g.ndim == 2:
        # The hot path: sum the batch rows here, as one would by hand, instead of returning
        # ``g`` for sum_to to reduce (its axis bookkeeping and reshape cost more than the sum).
        return np.add.reduce(g, 0)
    return g  # batched inputs and Tensors (create_graph): the engine's sum_to reduces


# (reads: as PyTorch's AddmmBackward0, x is kept only for w's gradient, w only for x's, and
# the bias never, so changing a parameter in place between forward and backward is an error
# only where PyTorch makes it one)
linear = defop("linear", _linear_forward, vjp=(
    lambda g, ans, x, w, b: np.matmul(g, w),
    _linear_vjp_w,
    _linear_vjp_b,
), reads=((1,), (0,), ()), grad_fn_name="AddmmBackward0",
    doc="``x @ w.T + b`` (``nn.functional.linear``).")


# The last first-order forward's softmax pieces, for its backward: ``(x, target, params,
# exp(x - rowmax), row sums, rows, every target valid)``. The rule takes them only if it gets
# the very same input arrays (identity, not equality) with the same params, and clears the
# slot, so a second backward (retain_graph) or any other call recomputes from ``x``. The
# engine's version counters have already rejected an input modified in place by then.
# One slot, not a per-node store: the training loop's loss is the case that matters, and at
# most one (N, C) array per thread is held past its graph. Per thread, so that two threads
# never both take (and modify in place) the same pieces.
_ce_slot = threading.local()


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def check_target_range(target: np.ndarray, n_classes: int, ignore_index: int) -> bool:
    """Raise PyTorch's error for a class index outside ``[0, n_classes)`` that is not
    ``ignore_index``; return whether every target is valid (none is ``ignore_index``)."""
    if not target.size:
        return True
    if ignore_index < 0 and target.dtype.kind == "i":
        # The usual case in one reduction: viewed as unsigned, a negative target is huge, so
        # the largest is below n_classes only if every target is in range; a negative
        # ignore_index then occurs nowhere.
        if np.maximum.reduce(target.view(_UNSIGNED[target.dtype.itemsize]), None) < n_classes:
            return True
    # Two reductions settle the rest of the usual cases (every target in range, ignore_index
    # outside them); only otherwise look element by element.
    lo, hi = np.minimum.reduce(target, None), np.maximum.reduce(target, None)
    if lo < 0 or hi >= n_classes:
        bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
        if bad.any():
            raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")
    if ignore_index < lo or ignore_index > hi:
        return True
    return bool((target != ignore_index).all())


def _cross_entropy_forward(x: np.ndarray, target: np.ndarray, *, reduction: str = "mean",
                           ignore_index: int = -100) -> np.ndarray:
    all_valid = check_target_range(target, x.shape[1], ignore_index)
    # On arrays only, so ufunc methods (no np.* or ndarray-method wrappers: this is the hot
    # path).
    shifted = x - np.maximum.reduce(x, 1, keepdims=True)
    e = np.exp(shifted)
    sums = np.add.reduce(e, 1, keepdims=True)
    lse = np.log(sums[:, 0])
    rows = np.arange(len(target))
    if all_valid:
        picked = lse - shifted[rows, target]
        count = len(target)
    else:
        valid = target != ignore_index
        picked = (lse - shifted[rows, np.where(valid, target, 0)]) * valid
        count = int(valid.sum())
    _ce_slot.last = (x, target, reduction, ignore_index, e, sums, rows, all_valid)
    if reduction == "mean":
        # A NumPy scalar of x's dtype (Python's int count is weak under NEP 50); apply()
        # makes the 0-d array. No target counted (all ignore_index, or none): 0 / 0 = nan,
        # as in PyTorch.
        if not count:
            return np.array(np.nan, dtype=x.dtype)
        return np.add.reduce(picked, None) / count
    if reduction == "sum":
        return np.add.reduce(picked, None)
    return picked


def _cross_entropy_vjp(g: Any, ans: Any, x: Any, target: Any, *, reduction: str = "mean",
                       ignore_index: int = -100) -> Any:
    # d/dx of -log_softmax(x)[t] is softmax(x) - onehot(t), scaled per row by g (and by
    # 1/count for the mean); rows whose target is ignore_index get nothing.
    last = getattr(_ce_slot, "last", None)
    if (last is not None and last[0] is x and last[1] is target and last[2] == reduction
            and last[3] == ignore_index and type(g) is np.ndarray):
        _ce_slot.last = None
        e, sums, rows, all_valid = last[4:]
        if all_valid:
            safe = target
            weight = 1 / max(len(target), 1) if reduction == "mean" else 1
        else:
            valid = target != ignore_index
            safe = np.where(valid, target, 0)
            weight = valid[:, None] / max(int(valid.sum()), 1) if reduction == "mean" else \
                valid[:, None]
        if reduction == "none":
            g = np.expand_dims(g, -1)
        # ``e`` is ours alone now (the slot is cleared): the result is built in it, in place.
        e /= sums
        e[rows, safe] -= 1
        e *= weight * g
        return e
    target = np.asarray(target)
    valid = target != ignore_index
    rows = np.arange(len(target))
    if valid.all():  # the usual case: a scalar weight, no masking
        safe = target
        weight = 1 / max(len(target), 1) if reduction == "mean" else 1
    else:
        safe = np.where(valid, target, 0)
        weight = valid[:, None] / max(int(valid.sum()), 1) if reduction == "mean" else \
            valid[:, None]
    if reduction == "none":
        g = np.expand_dims(g, -1)
    if type(x) is np.ndarray and type(g) is np.ndarray:
        # First order on arrays: build the result in one buffer, in place.
        p = np.exp(x - x.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[rows, safe] -= 1
        p *= weight * g
        return p
    onehot = np.zeros(np.shape(x), dtype=bool)
    onehot[rows, safe] = True
    return (_softmax_forward(x, axis=1) - onehot) * (weight * g)


# ``nn.functional.cross_entropy`` with class indices as one op (log_softmax + nll_loss fused):
# one node instead of two, and the gradient is the softmax minus the one-hot, with no
# log-probability gradient in between. PyTorch names its result's grad_fn NllLossBackward0.
cross_entropy = defop("cross_entropy", _cross_entropy_forward,
                      vjp=(_cross_entropy_vjp, NONDIFF), grad_fn_name="NllLossBackward0",
                      doc="Softmax cross-entropy of logits ``(N, C)`` and class indices ``(N,)``.")


# --- embedding ------------------------------------------------------------------------------

def check_embedding_indices(indices: np.ndarray, num_weights: int) -> None:
    """PyTorch's error for an index outside ``[0, num_weights)``."""
    if indices.size and (np.minimum.reduce(indices, None) < 0
                         or np.maximum.reduce(indices, None) >= num_weights):
        raise IndexError("index out of range in self")


def _embedding_forward(weight: np.ndarray, indices: np.ndarray, *,
                       padding_idx: int = -1) -> np.ndarray:
    check_embedding_indices(indices, weight.shape[0])
    return np.take(weight, indices, axis=0)


def _embedding_vjp(g: Any, ans: Any, weight: Any, indices: Any, *,
                   padding_idx: int = -1) -> Any:
    return embedding_dense_backward(g, indices, num_weights=np.shape(weight)[0],
                                    padding_idx=padding_idx)


# ``weight[indices]`` (``F.embedding``): the rows of ``weight`` picked by integer ``indices``.
# ``padding_idx`` (or -1 for none) only changes the gradient: that row gets none.
embedding = defop("embedding", _embedding_forward, vjp=(_embedding_vjp, NONDIFF),
                  reads=((1,), ()),
                  doc="The rows ``weight[indices]``; ``padding_idx``'s row gets no gradient.")


def _embedding_dense_backward_forward(g: np.ndarray, indices: np.ndarray, *, num_weights: int,
                                      padding_idx: int = -1) -> np.ndarray:
    rows = g.reshape(-1, *g.shape[indices.ndim:])
    flat = indices.reshape(-1)
    if padding_idx >= 0:
        keep = flat != padding_idx
        rows, flat = rows[keep], flat[keep]
    out = np.zeros((num_weights, *g.shape[indices.ndim:]), dtype=g.dtype)
    np.add.at(out, flat, rows)  # repeated indices accumulate
    return out


def _embedding_dense_backward_vjp(g: Any, ans: Any, grad: Any, indices: Any, *,
                                  num_weights: int, padding_idx: int = -1) -> Any:
    # PyTorch's embedding_dense_double_backward: the rows of g picked again, with padding_idx's
    # rows set to zero.
    picked = embedding(g, indices)
    if padding_idx < 0:
        return picked
    return np.where(np.expand_dims(np.asarray(indices) == padding_idx, -1), 0, picked)


embedding_dense_backward = defop(
    "embedding_dense_backward", _embedding_dense_backward_forward,
    vjp=(_embedding_dense_backward_vjp, NONDIFF), reads=((1,), ()),
    doc="Scatter-add ``g``'s rows into zeros of ``num_weights`` rows at ``indices`` (but "
        "``padding_idx``): the VJP of ``embedding``.")


# --- layer norm -----------------------------------------------------------------------------

def _layer_norm_stats(x: Any, normalized_ndim: int, eps: float) -> tuple[Any, Any, tuple]:
    """``x - mean`` and ``1 / sqrt(var + eps)`` over the last ``normalized_ndim`` axes."""
    ndim = np.ndim(x)
    axes = tuple(range(ndim - normalized_ndim, ndim))
    centered = x - np.mean(x, axis=axes, keepdims=True)
    rstd = 1 / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + eps)
    return centered, rstd, axes


def _layer_norm_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, *,
                        normalized_ndim: int, eps: float) -> np.ndarray:
    if not x.size:
        return np.empty(x.shape, x.dtype)
    centered, rstd, _ = _layer_norm_stats(x, normalized_ndim, eps)
    out = centered * rstd
    out *= weight
    out += bias
    return out


def _layer_norm_vjp_x(g: Any, ans: Any, x: Any, weight: Any, bias: Any, *,
                      normalized_ndim: int, eps: float) -> Any:
    # rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = g * weight, means over the
    # normalized axes.
    centered, rstd, axes = _layer_norm_stats(x, normalized_ndim, eps)
    xhat = centered * rstd
    gw = g * weight
    return rstd * (gw - np.mean(gw, axis=axes, keepdims=True)
                   - xhat * np.mean(gw * xhat, axis=axes, keepdims=True))


def _layer_norm_vjp_weight(g: Any, ans: Any, x: Any, weight: Any, bias: Any, *,
                           normalized_ndim: int, eps: float) -> Any:
    centered, rstd, _ = _layer_norm_stats(x, normalized_ndim, eps)
    return g * (centered * rstd)  # summed over the leading axes by the engine


# ``F.layer_norm`` as one op, PyTorch's ``native_layer_norm``: normalize over the last
# ``normalized_ndim`` axes, then scale by ``weight`` and shift by ``bias`` (shaped like those
# axes; F.layer_norm passes ones and zeros for those it is not given). The rules recompute the
# mean and the reciprocal standard deviation from x, which PyTorch's node saves instead.
native_layer_norm = defop(
    "native_layer_norm", _layer_norm_forward,
    vjp=(_layer_norm_vjp_x, _layer_norm_vjp_weight, IDENTITY), reads=((0, 1), (0,), ()),
    doc="``(x - mean) / sqrt(var + eps) * weight + bias`` over the last "
        "``normalized_ndim`` axes (``F.layer_norm``).")


def _softmax_xent_forward(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    # TensorFlow's kernel over the last axis: sum(labels * (log(sum(exp(s))) - s)) with the
    # shifted logits s = x - max(x); labels broadcast against x. (Infinite logits give NaN
    # and no class gives 0, silently, as in TensorFlow.)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = x - np.amax(x, axis=-1, keepdims=True, initial=-np.inf)
        lse = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        return np.sum(labels * (lse - shifted), axis=-1)


def _softmax_xent_vjp_x(g: Any, ans: Any, x: Any, labels: Any) -> Any:
    # TensorFlow's gradient, softmax(x) - labels, whatever the labels sum to (the derivative
    # of the formula is sum(labels) * softmax(x) - labels: they agree for distributions).
    return np.expand_dims(g, -1) * (_softmax_forward(x, axis=-1) - labels)


def _softmax_xent_vjp_labels(g: Any, ans: Any, x: Any, labels: Any) -> Any:
    return np.expand_dims(g, -1) * -_log_softmax_forward(x, axis=-1)


# TensorFlow's ``tf.nn.softmax_cross_entropy_with_logits`` (soft labels, one loss per row):
# an op of its own because TensorFlow's gradient for the logits is softmax - labels, which no
# composition of log_softmax gives for labels that do not sum to 1.
softmax_cross_entropy_with_logits = defop(
    "softmax_cross_entropy_with_logits", _softmax_xent_forward,
    vjp=(_softmax_xent_vjp_x, _softmax_xent_vjp_labels), reads=((0, 1), (0,)),
    doc="TensorFlow's softmax cross-entropy of logits and soft labels over the last axis; "
        "its logits gradient is ``softmax(x) - labels``, as TensorFlow's.")


# --- normalize, the smooth losses, kl_div, logsigmoid, pad ----------------------------------

def _clamp_min_vjp(g: Any, ans: Any, x: Any, *, min: Any) -> Any:
    from dualgrad.ops.elementwise import _clamp_tensor_vjp_x

    return _clamp_tensor_vjp_x(g, ans, x, min, None)  # PyTorch's: where(x >= min, g, 0)


# ``x.clamp_min(number)`` as PyTorch's ``clamp_min`` records it (``ClampMinBackward0``, where
# ``clamp`` records ``ClampBackward1``): ``F.normalize`` uses it.
clamp_min = defop("clamp_min", lambda x, *, min: np.maximum(x, min), vjp=(_clamp_min_vjp,),
                  doc="``max(x, min)`` for a number ``min``; NaN stays NaN.")


def _smooth_l1_forward(x: np.ndarray, y: np.ndarray, *, reduction: str = "mean",
                       beta: float = 1.0) -> np.ndarray:
    z = np.abs(x - y)  # PyTorch's kernel: z < beta ? 0.5 * z * z / beta : z - 0.5 * beta
    return _reduce(np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


def _smooth_l1_vjp(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean",
                   beta: float = 1.0) -> Any:
    # PyTorch's smooth_l1_loss_backward (for the target, the same with the inputs swapped):
    # -norm * g below -beta, norm * g above beta, norm * d * g / beta between, d = x - y.
    d = x - y
    norm = _reduced_grad(1.0, np.shape(d), reduction)
    return np.where(d <= -beta, -norm * g, np.where(d >= beta, norm * g, norm * d * g / beta))


smooth_l1_loss = defop("smooth_l1_loss", _smooth_l1_forward, vjp=(
    _smooth_l1_vjp,
    lambda g, ans, x, y, **params: _smooth_l1_vjp(g, ans, y, x, **params),
), doc="``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``, ``d = x - y``; "
       "reduced.")


def _huber_forward(x: np.ndarray, y: np.ndarray, *, reduction: str = "mean",
                   delta: float = 1.0) -> np.ndarray:
    z = np.abs(x - y)  # PyTorch's kernel: z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta)
    return _reduce(np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def _huber_vjp(g: Any, ans: Any, x: Any, y: Any, *, reduction: str = "mean",
               delta: float = 1.0) -> Any:
    # PyTorch's huber_loss_backward: -norm * g * delta, norm * g * delta, or norm * d * g.
    d = x - y
    norm = _reduced_grad(1.0, np.shape(d), reduction)
    return np.where(d <= -delta, -norm * g * delta,
                    np.where(d >= delta, norm * g * delta, norm * d * g))


huber_loss = defop("huber_loss", _huber_forward, vjp=(
    _huber_vjp,
    lambda g, ans, x, y, **params: _huber_vjp(g, ans, y, x, **params),
), doc="``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``, "
       "``d = x - y``; reduced.")


def _xlogy_forward(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # PyTorch's kernel: NaN where y is NaN, else 0 where x == 0, else x * log(y).
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(y != y, np.nan, np.where(x == 0, 0.0, x * np.log(y))),
                          dtype=np.result_type(x, y))


def _xlogy_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's grad * xlogy(x != 0, y): log(y) where x is not 0, kept differentiable in y.
    return g * xlogy(x != 0, y)


xlogy = defop("xlogy", _xlogy_forward, vjp=(
    _xlogy_vjp_x,
    lambda g, ans, x, y: g * x / y,
), doc="``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN); ``F.kl_div`` uses it.")


def _log_sigmoid_forward(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))  # PyTorch's CPU kernel


def _log_sigmoid_vjp(g: Any, ans: Any, x: Any) -> Any:
    # PyTorch's log_sigmoid_backward: (max_deriv - sign * z / (1 + z)) * g, z = exp(-|x|),
    # with max_deriv, sign = 1, 1 for x < 0, else 0, -1: the same values as below.
    z = np.exp(-np.abs(x))
    q = z / (1 + z)
    return np.where(x < 0, 1 - q, q) * g


log_sigmoid = defop("log_sigmoid", _log_sigmoid_forward, vjp=(_log_sigmoid_vjp,),
                    doc="``log(sigmoid(x))``, as ``min(x, 0) - log1p(exp(-|x|))``.")


def _pad_widths(shape: tuple, pad: tuple) -> list[tuple[int, int]]:
    """``pad`` (pairs from the last axis backwards, as PyTorch) as one pair per axis."""
    n = len(pad) // 2
    return [(0, 0)] * (len(shape) - n) + [(pad[2 * i], pad[2 * i + 1])
                                           for i in reversed(range(n))]


def _constant_pad_forward(x: np.ndarray, *, pad: tuple, value: Any = 0) -> np.ndarray:
    widths = _pad_widths(x.shape, pad)
    # Negative widths crop, as in PyTorch; the rest is np.pad's constant mode.
    kept = x[tuple(slice(max(-lo, 0), size - max(-hi, 0))
                   for (lo, hi), size in zip(widths, x.shape))]
    return np.pad(kept, [(max(lo, 0), max(hi, 0)) for lo, hi in widths],
                  constant_values=value)


constant_pad_nd = defop(
    "constant_pad_nd", _constant_pad_forward,
    # PyTorch's constant_pad_nd_backward: the gradient cropped back, the padding negated.
    vjp=(lambda g, ans, x, *, pad, value=0: constant_pad_nd(g, pad=tuple(-p for p in pad)),),
    save_inputs=False,
    doc="``x`` padded with ``value`` (cropped by negative widths); ``pad`` holds pairs from "
        "the last axis backwards (``F.pad``'s constant mode).")


def _pad_index(size: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along one axis (``size + lo + hi`` of them), the input
    position it copies; negative widths crop, as PyTorch's kernels do."""
    j = np.arange(-lo, size + hi)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= size, 2 * (size - 1) - j, j)
    return np.clip(j, 0, size - 1)


def _mode_pad_forward(x: np.ndarray, *, pad: tuple, mode: str) -> np.ndarray:
    for axis, (lo, hi) in enumerate(_pad_widths(x.shape, pad)):
        if lo or hi:
            x = np.take(x, _pad_index(x.shape[axis], lo, hi, mode), axis=axis)
    return x


def _mode_pad_backward(g: np.ndarray, *, pad: tuple, mode: str) -> np.ndarray:
    # The adjoint of the gather above: each gradient entry added to the input position it
    # was copied from (the reflected or replicated borders fold back onto the input).
    for axis, (lo, hi) in enumerate(_pad_widths(g.shape, pad)):
        if lo or hi:
            size = g.shape[axis] - lo - hi
            shape = list(g.shape)
            shape[axis] = size
            out = np.zeros(shape, dtype=g.dtype)
            np.add.at(out, (slice(None),) * axis + (_pad_index(size, lo, hi, mode),), g)
            g = out
    return g


def _mode_pad_ops(kind: str, mode: str, dims: int) -> tuple:
    """``{kind}_pad{dims}d`` and its backward, each the other's derivative (both linear), so
    that second derivatives work; PyTorch's ``ReflectionPad1DBackward0`` and
    ``ReflectionPad1DBackwardBackward0``."""
    name = f"{kind}_pad{dims}d"
    fwd: Any = None
    bwd: Any = None

    def forward(x: np.ndarray, *, pad: tuple) -> np.ndarray:
        return _mode_pad_forward(x, pad=pad, mode=mode)

    def backward(g: np.ndarray, *, pad: tuple) -> np.ndarray:
        return _mode_pad_backward(g, pad=pad, mode=mode)

    fwd = defop(name, forward, vjp=(lambda g, ans, x, *, pad: bwd(g, pad=pad),),
                save_inputs=False,
                doc=f"``x``'s last {dims} axes padded in ``F.pad``'s ``{mode}`` mode "
                    "(``pad`` as PyTorch: pairs from the last axis backwards).")
    bwd = defop(f"{name}_backward", backward,
                vjp=(lambda g, ans, x, *, pad: fwd(g, pad=pad),), save_inputs=False,
                doc=f"The gradient of ``{name}``: the padded borders added back onto the "
                    "positions they copy.")
    return fwd, bwd


reflection_pad1d, reflection_pad1d_backward = _mode_pad_ops("reflection", "reflect", 1)
reflection_pad2d, reflection_pad2d_backward = _mode_pad_ops("reflection", "reflect", 2)
reflection_pad3d, reflection_pad3d_backward = _mode_pad_ops("reflection", "reflect", 3)
replication_pad1d, replication_pad1d_backward = _mode_pad_ops("replication", "replicate", 1)
replication_pad2d, replication_pad2d_backward = _mode_pad_ops("replication", "replicate", 2)
replication_pad3d, replication_pad3d_backward = _mode_pad_ops("replication", "replicate", 3)
