"""Activations and losses (``torch.nn.functional``), with PyTorch's ``reduction`` options."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualgrad._dtypes import torch_name
from dualgrad._tensor import Tensor, _broadcast_error, apply, expand_error, not_implemented_for
from dualgrad.ops import activations as A
from dualgrad.ops import nn as N
from dualgrad.ops import shape as S
from dualgrad.ops.linalg import linear_error

__all__ = [
    "linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss", "l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "leaky_relu", "elu", "gelu", "silu", "softplus", "dropout", "one_hot", "hardtanh", "relu6",
    "embedding", "layer_norm", "normalize", "cosine_similarity", "smooth_l1_loss", "huber_loss",
    "kl_div", "logsigmoid", "softsign", "pad",
]

_REDUCTIONS = ("mean", "sum", "none")


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def type_name(value: Any) -> str:
    """The name PyTorch's argument errors give a Python value's type: ``list``,
    ``numpy.ndarray``, ``NoneType``."""
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def not_a_tensor(function: str, argument: str, position: int, value: Any) -> TypeError:
    """PyTorch's error for a non-Tensor passed where its C++ binding takes a Tensor only:
    ``linear(): argument 'input' (position 1) must be Tensor, not numpy.ndarray``."""
    return TypeError(f"{function}(): argument '{argument}' (position {position}) must be "
                     f"Tensor, not {type_name(value)}")


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction to apply: PyTorch's mapping of the legacy ``size_average`` and ``reduce``
    (with its deprecation warning; ``reduction`` is then ignored, as there), else
    ``reduction``, checked."""
    if size_average is not None or reduce is not None:
        import warnings

        # As PyTorch's _Reduction.legacy_get_string: None counts as True.
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else "mean" if size_average else "sum"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    elif reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _no_weight(weight: Any, function: str) -> None:
    """Refuse a ``weight`` (not implemented here) rather than ignore it."""
    if weight is not None:
        raise TypeError(f"{function}(): the weight argument is not supported by dualgrad yet "
                        "(see docs/how-to/migrate-pytorch.md)")


def _warn_target_size(input: Tensor, target: Tensor) -> None:
    """PyTorch's warning for mse_loss and l1_loss when the shapes differ (they broadcast)."""
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: the affine map of :class:`dualgrad.nn.Linear`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([[1.0, 2.0]])
    >>> dg.nn.functional.linear(dg.tensor([[3.0, 4.0]]), w, dg.tensor([0.5]))
    tensor([[11.5000]])
    """
    for position, (name, value) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(value, Tensor):
            raise not_a_tensor("linear", name, position, value)
    if bias is not None and not isinstance(bias, Tensor):
        raise not_a_tensor("linear", "bias", 3, bias)
    error = linear_error(input._data.shape, weight._data.shape, input._data.dtype,
                         weight._data.dtype)
    if error is not None:
        raise error
    if bias is not None and bias._data.ndim > 1 and input._data.ndim != 2:
        # (rare) PyTorch's rules differ from NumPy's broadcasting here: check them first.
        linear_bias_check(input, weight, bias)
        bias = bias.reshape(-1) if input._data.ndim == 1 and bias._data.ndim > 1 else bias
    try:
        if bias is None or input.ndim < 2:
            out = input @ weight.t()
            return out if bias is None else out + bias
        return apply(N.linear, (input, weight, bias), {})
    except (ValueError, RuntimeError):
        linear_bias_check(input, weight, bias)  # PyTorch's text if the bias was the fault
        raise


def linear_bias_check(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """Raise PyTorch's error for a bias that does not fit ``linear``'s output.

    PyTorch adds a bias with one dimension that is not 1 (the usual ``(out,)``), and any bias
    of a 2-D input, in ``addmm``, expanded to ``(rows, out)`` (the input flattened to rows);
    any other bias is added in place to the output, which it must not enlarge.
    """
    if bias is None or weight._data.ndim != 2:
        return
    xs, bs = input._data.shape, bias._data.shape
    out = (*xs[:-1], weight._data.shape[0])
    if len(xs) == 2 or sum(s != 1 for s in bs) == 1:
        error = expand_error(bs, (math.prod(out[:-1]), out[-1]), bias._data.dtype)
    else:
        error = _broadcast_error(out, bs)
        if error is None and (len(bs) > len(out) or any(
                o == 1 != b for o, b in zip(out[::-1], bs[::-1], strict=False))):
            grown = list(np.broadcast_shapes(out, bs))
            error = RuntimeError(f"output with shape {list(out)} doesn't match the broadcast "
                                 f"shape {grown}")
    if error is not None:
        raise error from None


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("relu", "input", 1, input)
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where positive, else ``negative_slope * input``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.leaky_relu(dg.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    return apply(A.leaky_relu, (_float_input(input, "leaky_relu_cpu", "leaky_relu"),),
                 {"negative_slope": negative_slope})


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``input`` limited to ``[min_val, max_val]`` (``HardtanhBackward0``); the gradient is
    zero at the bounds themselves, as in PyTorch. Integer tensors stay integers.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.hardtanh(dg.tensor([-2.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("hardtanh", "input", 1, input)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    # (``inplace`` is accepted and a new tensor returned, as by the other activations here)
    return apply(A.hardtanh, (input,), {"min_val": min_val, "max_val": max_val})


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``: ``hardtanh(input, 0, 6)``, recorded as
    ``HardtanhBackward0`` as in PyTorch.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.relu6(dg.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("relu6", "input", 1, input)
    return apply(A.hardtanh, (input,), {"min_val": 0.0, "max_val": 6.0})


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` where positive, else ``alpha * (exp(input) - 1)``."""
    return apply(A.elu, (_float_input(input, "elu_cpu", "elu"),), {"alpha": alpha})


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Phi(input)``, Phi the standard normal CDF; ``approximate="tanh"`` uses
    PyTorch's tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(A.gelu, (_float_input(input, "GeluKernelImpl", "gelu"),),
                 {"approximate": approximate})


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish)."""
    return apply(A.silu, (_float_input(input, "silu_cpu", "silu"),), {})


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where ``beta * input`` is
    above ``threshold``."""
    return apply(A.softplus, (_float_input(input, "softplus_cpu", "softplus"),),
                 {"beta": beta, "threshold": threshold})


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``, in
    training; the identity otherwise. The mask is drawn from the generator that
    ``manual_seed`` seeds.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.ones(4)
    >>> dg.nn.functional.dropout(x, 0.5, training=False) is x
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _t(input)
    if not training or p == 0.0:
        return input
    from dualgrad._creation import _generator

    data = input._data
    if p == 1.0:
        mask = np.zeros(data.shape, dtype=data.dtype)
    else:
        keep = _generator().random(data.shape) >= p
        mask = keep.astype(data.dtype) * np.asarray(1 / (1 - p), dtype=data.dtype)
    return apply(A.dropout, (input, mask), {})


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices ``(*)`` as one-hot rows ``(*, num_classes)`` of int64 (not recorded).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.one_hot(dg.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    data = _t(tensor)._data
    if data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    elif data.size and data.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((data[..., None] == np.arange(num_classes)).astype(np.int64))


def _float_input(input: Any, kernel: str, function: str) -> Tensor:
    """``input`` itself, or PyTorch's error for a non-Tensor or an integer or bool one."""
    if not isinstance(input, Tensor):
        raise not_a_tensor(function, "input", 1, input)
    if input._data.dtype.kind not in "fc":
        raise not_implemented_for(kernel, input._data.dtype)
    return input


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return input.sigmoid()  # as PyTorch: a non-Tensor has no such attribute (AttributeError)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()  # as PyTorch: a non-Tensor has no such attribute (AttributeError)


def _implicit_softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's choice (and warning) when ``dim`` is not given: 0 for 0-, 1- and 3-D input
    (an unbatched vector or image), else 1 (the class axis of a batch)."""
    import warnings

    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """Softmax along ``dim`` (without ``dim``: PyTorch's implicit choice, with its warning)."""
    input = _t(input)
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.ndim)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """Log-softmax along ``dim`` (without ``dim``: PyTorch's implicit choice, with its
    warning)."""
    input = _t(input)
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.ndim)
    return input.log_softmax(dim)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced.

    ``size_average`` and ``reduce`` are PyTorch's legacy arguments: given, they choose the
    reduction (with PyTorch's deprecation warning) and ``reduction`` is ignored.
    """
    input, target = _t(input), _t(target)
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _no_weight(weight, "mse_loss")
    error = _broadcast_error(input._data.shape, target._data.shape)
    if error is not None:
        raise error
    return apply(N.mse_loss, (input, target), {"reduction": reduction})


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced (legacy ``size_average`` and
    ``reduce`` as in :func:`mse_loss`).

    Recorded as PyTorch records it: ``SubBackward0``, ``AbsBackward0``, then ``MeanBackward0``
    or ``SumBackward0`` (the gradient at ``input == target`` is 0).
    """
    input, target = _t(input), _t(target)
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _no_weight(weight, "l1_loss")
    return _l1(input, target, reduction)


def _l1(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """``|input - target|`` reduced, recorded as PyTorch's ``l1_loss``."""
    loss = (input - target).abs()
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in ``[0, 1]`` against targets in
    ``[0, 1]`` of the same shape and dtype (legacy ``size_average`` and ``reduce`` as in
    :func:`mse_loss`)."""
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size.")
    _no_weight(weight, "binary_cross_entropy")
    x, y = input._data, target._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"Found dtype {torch_name(y.dtype)} but expected "
                           f"{torch_name(x.dtype)}")
    if x.dtype.kind not in "fc":
        raise not_implemented_for("binary_cross_entropy", x.dtype)
    for name, data in (("input", x), ("target", y)):
        if not ((data >= 0) & (data <= 1)).all():  # NaN too, as in PyTorch
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    return apply(N.binary_cross_entropy, (input, target), {"reduction": reduction})


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Any = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one numerically stable op (legacy ``size_average``
    and ``reduce`` as in :func:`mse_loss`).

    The target is floating, of the input's shape; the loss has the target's dtype, as in
    PyTorch.

    Examples
    --------
    >>> import dualgrad as dg
    >>> z = dg.zeros(3, requires_grad=True)
    >>> loss = dg.nn.functional.binary_cross_entropy_with_logits(z, dg.ones(3))
    >>> loss.grad_fn
    <BinaryCrossEntropyWithLogitsBackward0 object at ...>
    """
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    _no_weight(weight, "binary_cross_entropy_with_logits")
    x, y = input._data.dtype, target._data.dtype
    if x.kind not in "fc":
        raise not_implemented_for("log_sigmoid_cpu", x)
    if y.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if y.kind not in "fc":
        raise RuntimeError(f"result type {torch_name(x)} can't be cast to the desired output "
                           f"type {torch_name(y)}")
    pw = pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight
    return apply(N.binary_cross_entropy_with_logits, (input, target),
                 {"reduction": reduction, "pos_weight": pw})


def _long_or_byte(target: Tensor) -> bool:
    # int64 or uint8 by kind and size, as dtype.name tells them (np.longlong is int64 too),
    # without numpy's ``name``, a Python-level property: this runs every training step.
    dt = target._data.dtype
    return (dt.kind == "i" and dt.itemsize == 8) or (dt.kind == "u" and dt.itemsize == 1)


def _target_dtype_error(target: Tensor) -> RuntimeError:
    return RuntimeError(f"expected target dtype to be Long or Byte, but got "
                        f"{torch_name(target._data.dtype)}")


def _class_layout(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor, tuple] | None:
    """None for the usual class-index call, input ``(N, C)`` and target ``(N,)`` of int64
    (or uint8); else PyTorch's error for the call, in PyTorch's order (``nll_loss_nd``'s
    checks, then those of the kernel it picks), or the input as ``(M, C)`` and the target as
    ``(M,)`` with the shape of the unreduced loss: ``()`` for one unbatched sample ``(C,)``,
    ``(N, d1, ...)`` for K-dimensional input ``(N, C, d1, ...)``."""
    xs, ts = input._data.shape, target._data.shape  # plain tuples: no Size objects
    if len(xs) == 2 and len(ts) == 1 and xs[0] == ts[0] and _long_or_byte(target):
        return None  # the usual case: O(1) checks, as this runs every training step
    if not xs:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(xs) != 1 and xs[0] != (ts[0] if ts else 0):
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size "
                         f"({ts[0] if ts else 0}).")
    if len(xs) <= 2:
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not _long_or_byte(target):
            raise _target_dtype_error(target)
        if len(xs) == 2:  # an empty batch with a 0-d target is all that is left
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if ts and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
        return input.unsqueeze(0), target.reshape(1), ()
    if len(xs) == 4:  # PyTorch's nll_loss2d
        if len(ts) != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {len(ts)}")
        if not _long_or_byte(target):
            raise _target_dtype_error(target)
        if ts[1:] != xs[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(xs)} , target: {list(ts)}")
    else:
        if ts[1:] != xs[2:]:
            raise RuntimeError(f"Expected target size {[xs[0], *xs[2:]]}, got {list(ts)}")
        if not _long_or_byte(target):
            raise _target_dtype_error(target)
    # The class axis last, then one row per position: the (M, C) case, whose mean over the
    # counted rows is PyTorch's mean over all positions.
    rows = math.prod(ts)
    flat = input.permute(0, *range(2, len(xs)), 1).reshape(rows, xs[1])
    return flat, target.reshape(rows), ts


def _class_loss(op: Any, input: Tensor, target: Tensor, shape: tuple, reduction: str,
                ignore_index: int) -> Tensor:
    """``op`` (cross_entropy or nll_loss) on a layout from :func:`_class_layout`."""
    if reduction == "none" and not shape:
        # One unbatched sample: its sum is its loss, a 0-d tensor whose node is the op's, as in
        # PyTorch (an ignored sample gives 0, as 'none' does).
        reduction = "sum"
    loss = apply(op, (input, target), {"reduction": reduction, "ignore_index": ignore_index})
    return loss.reshape(shape) if reduction == "none" and len(shape) > 1 else loss


def nll_loss(input: Tensor, target: Tensor, weight: Any = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` given log-probabilities ``input``.

    Shapes as in PyTorch: input ``(N, C)`` with target ``(N,)``, one sample ``(C,)`` with a
    0-d target, or ``(N, C, d1, ...)`` with ``(N, d1, ...)``. Legacy ``size_average`` and
    ``reduce`` as in :func:`mse_loss`.
    """
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _t(input), _t(target)
    _no_weight(weight, "nll_loss")
    input, target, shape = _class_layout(input, target) or (input, target, target.shape)
    N.check_target_range(target._data, input.shape[1], ignore_index)
    return _class_loss(N.nll_loss, input, target, shape, reduction, ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Any = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of scores ``input`` against ``target``.

    ``target`` holds class indices, ``nll_loss(log_softmax(input, 1), target)`` with
    :func:`nll_loss`'s shapes (``(N, C)`` and ``(N,)``, ``(C,)`` and a 0-d target,
    ``(N, C, d1, ...)`` and ``(N, d1, ...)``), or class probabilities shaped like ``input``.
    ``label_smoothing`` mixes the target with the uniform distribution over the C classes, as
    PyTorch does. Legacy ``size_average`` and ``reduce`` as in :func:`mse_loss`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> scores = dg.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> dg.nn.functional.cross_entropy(scores, dg.tensor([0, 1]))
    tensor(0.1269, grad_fn=<NllLossBackward0>)
    """
    # (The training hot path: only O(1) checks before the fused op, each a branch taken
    # only by the rare calls.)
    if size_average is not None or reduce is not None or reduction not in _REDUCTIONS:
        reduction = _reduction(size_average, reduce, reduction)
    input, target = _t(input), _t(target)
    if weight is not None:
        _no_weight(weight, "cross_entropy")
    if target._data.shape == input._data.shape:
        return _cross_entropy_probabilities(input, target, reduction, ignore_index,
                                            label_smoothing)
    if label_smoothing > 0.0:  # (PyTorch ignores a negative label_smoothing here)
        return _cross_entropy_smoothed(input, target, reduction, ignore_index, label_smoothing)
    layout = _class_layout(input, target)
    if layout is not None:
        return _class_loss(N.cross_entropy, *layout, reduction, ignore_index)
    # Class indices (N, C) and (N,): one fused op (log_softmax + nll_loss). The op's forward
    # checks the range of the targets (it needs their bounds anyway).
    return apply(N.cross_entropy, (input, target), {"reduction": reduction,
                                                    "ignore_index": ignore_index})


def _check_label_smoothing(label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")  # :g prints as C++ does: 2, not 2.0


def _cross_entropy_probabilities(input: Tensor, target: Tensor, reduction: str,
                                 ignore_index: int, label_smoothing: float) -> Tensor:
    """Cross-entropy against class probabilities shaped like ``input`` (classes on dim 1, or
    dim 0 for one unbatched sample)."""
    if target._data.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {torch_name(target._data.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    _check_label_smoothing(label_smoothing)
    dim = 0 if input._data.ndim == 1 else 1
    logp = input.log_softmax(dim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / input.shape[dim]
    per_sample = -(logp * target).sum(dim)
    if reduction == "none":
        return per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def _cross_entropy_smoothed(input: Tensor, target: Tensor, reduction: str, ignore_index: int,
                            label_smoothing: float) -> Tensor:
    """Cross-entropy of class indices with ``label_smoothing`` > 0, any layout."""
    _check_label_smoothing(label_smoothing)
    input, target, shape = _class_layout(input, target) or (input, target, target.shape)
    logp = input.log_softmax(1)
    nll = nll_loss(logp, target, reduction=reduction, ignore_index=ignore_index)
    # PyTorch: (1 - eps) * nll + eps / C * (-sum over classes of log p), ignored rows left out.
    keep = Tensor._make((target._data != ignore_index).astype(logp.dtype))
    smooth = -logp.sum(1) * keep
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        smooth = smooth.sum() / keep.sum()
    loss = nll * (1 - label_smoothing) + smooth * (label_smoothing / input.shape[1])
    return loss.reshape(shape) if reduction == "none" and loss.shape != shape else loss


# --- embedding and layer norm ----------------------------------------------------------------


def _padding_index(padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` counted from the front (None stays None), or PyTorch's assertion."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < max(num_embeddings, 1):
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num_embeddings if padding_idx < 0 else padding_idx


def _indices_type(indices: Tensor) -> str:
    """The name PyTorch's ``checkScalarTypes`` gives an index tensor's type."""
    return "CPUBoolType" if indices._data.dtype.kind == "b" else indices.type()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` ``(num_embeddings, embedding_dim)`` picked by the integer
    tensor ``input`` (any shape): ``weight[input]``, shaped ``(*input.shape, embedding_dim)``,
    recorded as ``EmbeddingBackward0``.

    Repeated indices add up their gradients; the row ``padding_idx`` gets none. With
    ``max_norm``, the rows that ``input`` picks are first rescaled in place (not recorded)
    to a ``norm_type``-norm of at most ``max_norm``, as in PyTorch.

    Raises
    ------
    IndexError
        ``index out of range in self`` for an index outside ``[0, num_embeddings)``.
    RuntimeError
        For indices that are not int64 or int32, or a weight that is not 2-D.
    AssertionError
        ``Padding_idx must be within num_embeddings``.
    NotImplementedError
        For ``scale_grad_by_freq=True`` or ``sparse=True`` (not supported yet).

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], requires_grad=True)
    >>> out = dg.nn.functional.embedding(dg.tensor([2, 0, 2]), w, padding_idx=0)
    >>> out
    tensor([[4., 5.],
            [0., 1.],
            [4., 5.]], grad_fn=<EmbeddingBackward0>)
    >>> out.sum().backward()
    >>> w.grad
    tensor([[0., 0.],
            [0., 0.],
            [2., 2.]])
    """
    if not isinstance(weight, Tensor):
        raise not_a_tensor("embedding", "weight", 1, weight)
    pad = _padding_index(padding_idx, weight.shape[0] if weight._data.ndim else 0)
    if not isinstance(input, Tensor):
        raise not_a_tensor("embedding", "indices", 2, input)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(): scale_grad_by_freq=True and sparse=True are "
                                  "not supported by dualgrad yet")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    indices = input._data
    if indices.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{_indices_type(input)} instead (while checking arguments for "
                           "embedding)")
    if max_norm is not None:
        _embedding_renorm(weight, indices, max_norm, norm_type)
    return apply(N.embedding, (weight, input), {"padding_idx": -1 if pad is None else pad})


def _embedding_renorm(weight: Tensor, indices: np.ndarray, max_norm: float,
                      norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: each row picked by ``indices`` whose norm is above
    ``max_norm`` is scaled in place by ``max_norm / (norm + 1e-7)``."""
    N.check_embedding_indices(indices, weight.shape[0])
    data = weight._data
    rows = np.unique(indices)
    norms = np.linalg.norm(data[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        data[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(data.dtype)
        weight._vc[0] += 1


def _shape_list(shape: tuple) -> str:
    return f"[{', '.join(str(s) for s in shape)}]"


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dimensions ``normalized_shape``: ``(x - mean) /
    sqrt(var + eps) * weight + bias``, the variance biased (divided by n), recorded as
    PyTorch's ``NativeLayerNormBackward0``.

    Raises
    ------
    RuntimeError
        PyTorch's texts for an input, weight or bias whose shape does not fit
        ``normalized_shape``, an empty ``normalized_shape``, or mixed dtypes.
    TypeError
        For a ``normalized_shape`` that is not a tuple or list of ints.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.layer_norm(dg.tensor([[1.0, 2.0, 3.0]]), (3,))
    tensor([[-1.2247,  0.0000,  1.2247]])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("layer_norm", "input", 1, input)
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type_name(normalized_shape)}")
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    dtype = input._data.dtype
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and value._data.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {_shape_list(value._data.shape)} and "
                               f"normalized_shape = {_shape_list(shape)}")
    xs = input._data.shape
    if xs[len(xs) - len(shape):] != shape or len(xs) < len(shape):
        raise RuntimeError(f"Given normalized_shape={_shape_list(shape)}, expected input with "
                           f"shape [*, {', '.join(str(s) for s in shape)}], but got input of "
                           f"size{_shape_list(xs)}")
    if dtype.kind not in "fc":
        raise not_implemented_for("LayerNormKernelImpl", dtype)
    if any(v is not None and v._data.dtype != dtype for v in (weight, bias)):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if weight is None:
        weight = Tensor._make(np.ones(shape, dtype))
    if bias is None:
        bias = Tensor._make(np.zeros(shape, dtype))
    return apply(N.native_layer_norm, (input, weight, bias),
                 {"normalized_ndim": len(shape), "eps": float(eps)})


# --- distances, the smooth losses, kl_div, pad ------------------------------------------------


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: None = None) -> Tensor:
    """``input / max(norm(input, p, dim), eps)``: unit ``p``-norm slices along ``dim``.

    Recorded as PyTorch's ``F.normalize``: ``LinalgVectorNormBackward0``,
    ``ClampMinBackward0``, ``ExpandBackward0``, ``DivBackward0`` (``out`` is not supported).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.normalize(dg.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6000, 0.8000],
            [0.0000, 0.0000]])
    """
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported by dualgrad")
    if not isinstance(input, Tensor):
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'norm'")
    norm = input.norm(p, dim, keepdim=True)
    return input / apply(N.clamp_min, (norm,), {"min": eps}).expand_as(input)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (they broadcast).

    PyTorch's formula: each input is divided by its 2-norm along ``dim`` (clamped below at
    ``eps`` without recording the clamp, so its gradient passes as if unclamped), then the
    products are summed: ``sum(x1 / |x1| * (x2 / |x2|), dim)``, with PyTorch's nodes.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.cosine_similarity(dg.tensor([[1.0, 0.0]]), dg.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    from dualgrad._dtypes import result_dtype
    from dualgrad._grad_mode import no_grad

    for position, (name, value) in enumerate((("x1", x1), ("x2", x2)), 1):
        if not isinstance(value, Tensor):
            raise not_a_tensor("cosine_similarity", name, position, value)
    dtype = result_dtype([t._data.dtype for t in (x1, x2) if t._data.ndim],
                         [t._data.dtype for t in (x1, x2) if not t._data.ndim])
    if dtype.kind != "f":
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{torch_name(dtype)}")
    x1, x2 = (t if t._data.dtype.kind in "fc" else t.to(dtype) for t in (x1, x2))
    if x1._data.shape != x2._data.shape:  # PyTorch's expand_outplace: both are expanded
        error = _broadcast_error(x1._data.shape, x2._data.shape)
        if error is not None:
            raise error
        shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1, n2 = x1.norm(2, dim, keepdim=True).clone(), x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _smooth_loss(op: Any, input: Tensor, target: Tensor, reduction: str, params: dict
                 ) -> Tensor:
    """``op`` (smooth_l1_loss or huber_loss) after PyTorch's checks."""
    error = _broadcast_error(input._data.shape, target._data.shape)
    if error is not None:
        raise error
    return apply(op, (input, target), {"reduction": reduction, **params})


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1 loss: ``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``,
    ``d = input - target``, reduced (``SmoothL1LossBackward0``). ``beta=0`` is
    :func:`l1_loss`, as in PyTorch; legacy ``size_average`` and ``reduce`` as in
    :func:`mse_loss`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.smooth_l1_loss(dg.tensor([0.5, 3.0]), dg.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    input, target = _t(input), _t(target)
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _l1(input, target, reduction)
    return _smooth_loss(N.smooth_l1_loss, input, target, reduction,
                        {"beta": float(beta)})


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Huber loss: ``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``,
    ``d = input - target``, reduced (``HuberLossBackward0``): ``delta`` times
    :func:`smooth_l1_loss` with ``beta = delta``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.huber_loss(dg.tensor([0.5, 3.0]), dg.tensor([0.0, 0.0]), delta=2.0)
    tensor(2.0625)
    """
    input, target = _t(input), _t(target)
    _warn_target_size(input, target)
    _no_weight(weight, "huber_loss")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _smooth_loss(N.huber_loss, input, target, reduction,
                        {"delta": float(delta)})


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``:
    ``xlogy(target, target) - target * input`` pointwise (``exp(target) * (target - input)``
    with ``log_target``), then reduced, recorded as in PyTorch.

    ``reduction="batchmean"`` divides the sum by the batch size (the divergence's definition);
    ``"mean"`` divides by the number of elements and warns as PyTorch does. Legacy
    ``size_average`` and ``reduce`` as in :func:`mse_loss`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> logp = dg.tensor([[0.5, 0.5]]).log()
    >>> dg.nn.functional.kl_div(logp, dg.tensor([[0.9, 0.1]]), reduction="batchmean")
    tensor(0.3681)
    """
    import warnings

    if size_average is not None or reduce is not None:
        applied = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.", UserWarning, stacklevel=2)
        applied = "sum" if reduction == "batchmean" else reduction
        if applied not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _t(input), _t(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = apply(N.xlogy, (target, target), {}) - target * input
    if applied == "mean":
        return loss.mean()
    if applied == "sum":
        loss = loss.sum()
    # (as PyTorch: the batch size divides whenever "batchmean" was asked for)
    return loss / input.shape[0] if reduction == "batchmean" and input.ndim else loss


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(input))``, computed stably (``LogSigmoidBackward0``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.logsigmoid(dg.tensor([-100.0, 0.0]))
    tensor([-100.0000,   -0.6931])
    """
    return apply(N.log_sigmoid, (_float_input(input, "log_sigmoid_cpu", "logsigmoid"),), {})


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)``, recorded as PyTorch records it (``AbsBackward0``,
    ``AddBackward0``, ``DivBackward0``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.softsign(dg.tensor([-3.0, 1.0]))
    tensor([-0.7500,  0.5000])
    """
    return input / (input.abs() + 1)  # a non-Tensor has no abs(): AttributeError, as there


_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_PAD_OPS = {("reflect", 1): N.reflection_pad1d, ("reflect", 2): N.reflection_pad2d,
            ("reflect", 3): N.reflection_pad3d, ("replicate", 1): N.replication_pad1d,
            ("replicate", 2): N.replication_pad2d, ("replicate", 3): N.replication_pad3d}


def _slice(t: Tensor, axis: int, start: int, stop: int) -> Tensor:
    """``t.slice(axis, start, stop)`` as at::slice records it: SliceBackward0, full or not."""
    return apply(S.index_view, (t,), {"key": (slice(None),) * axis + (slice(start, stop),)})


def _copy_within(out: Tensor, axis: int, to: tuple[int, int], source: tuple[int, int]) -> None:
    """``out.slice(axis, *to).copy_(out.slice(axis, *source))``, refused as PyTorch's copy_
    refuses ranges that overlap in part (a crop that leaves less than a border to wrap)."""
    if out._data.size and to != source and max(to[0], source[0]) < min(to[1], source[1]):
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please "
                           "clone() the tensor before performing the operation.")
    out[(slice(None),) * axis + (slice(*to),)] = _slice(out, axis, *source)


def _pad_circular(input: Tensor, pad: tuple) -> Tensor:
    """PyTorch's ``_pad_circular``, step by step, so that the graph is its graph: an empty
    output, the (cropped) input copied into its middle, then for each padded dimension from
    the last the wrapped borders copied from the output itself (CopySlices over
    SliceBackward0s)."""
    shape = input._data.shape
    dims = len(pad) // 2
    out_shape = list(shape)
    for axis in range(len(shape) - dims, len(shape)):
        lo, hi = pad[2 * (len(shape) - 1 - axis)], pad[2 * (len(shape) - 1 - axis) + 1]
        out_shape[axis] = shape[axis] + lo + hi
        if lo > shape[axis] or hi > shape[axis]:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if out_shape[axis] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = input.new_zeros(out_shape)
    # Each copy writes one box of ``out`` (a CopySlices node over the value's node).
    box = [slice(None)] * len(shape)
    in_slice = input
    for i in range(dims):
        axis, lo, hi = len(shape) - 1 - i, pad[2 * i], pad[2 * i + 1]
        box[axis] = slice(max(lo, 0), out_shape[axis] - max(hi, 0))
        in_slice = _slice(in_slice, axis, max(-lo, 0), shape[axis] - max(-hi, 0))
    out[tuple(box)] = in_slice
    for i in range(dims):
        axis, lo, hi = len(shape) - 1 - i, pad[2 * i], pad[2 * i + 1]
        size = out_shape[axis]
        if lo > 0:
            _copy_within(out, axis, (0, lo), (size - lo - max(hi, 0), size - max(hi, 0)))
        if hi > 0:
            _copy_within(out, axis, (size - hi, size), (max(lo, 0), max(lo, 0) + hi))
    return out


def _mode_pad(input: Tensor, pad: tuple, mode: str, value: float | None) -> Tensor:
    """``F.pad``'s non-constant modes, with PyTorch 2.13's checks in its order (at::pad, then
    the kernels' shape checks)."""
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    shape = input._data.shape
    dims = len(pad) // 2
    if dims not in (1, 2, 3) or len(shape) not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {len(shape)}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular":
        return _pad_circular(input, pad)
    kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{dims}d"
    if input._data.dtype.kind == "b":
        raise not_implemented_for(kernel, input._data.dtype)
    # Every dimension but a batch one must be non-empty.
    if 0 in shape[len(shape) == dims + 2:]:
        raise RuntimeError(f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with "
                           "possibly 0 batch size and other non-zero dimensions for input, "
                           f"but got: {list(shape)}")
    sizes = shape[-dims:]  # (D, H, W) order
    widths = [(pad[2 * i], pad[2 * i + 1]) for i in range(dims)]  # W, H, D
    if mode == "reflect":
        for i, (lo, hi) in enumerate(widths):
            if lo >= sizes[-1 - i] or hi >= sizes[-1 - i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the "
                    "corresponding input dimension, but got: padding "
                    f"({lo}, {hi}) at dimension {len(shape) - 1 - i} of input {list(shape)}")
    out = [size + lo + hi for size, (lo, hi) in zip(sizes, reversed(widths))]
    if all(o < 1 for o in out):  # (the kernels' texts, spacing included)
        given = {1: "W: {}", 2: "H: {}, W: {}" + " " * (mode == "replicate"),
                 3: "D: {} H: {}, W: {}"}[dims].format(*sizes)
        names = "DHW"[3 - dims:]
        raise RuntimeError(f"input ({given}) is too small. Calculated output "
                           + " ".join(f"{n}: {o}" for n, o in zip(names, out)))
    if min(out) < 0:  # (replicate's text; reflect's is about an overflow)
        raise RuntimeError("Trying to create tensor with negative dimension "
                           f"{min(out)}: {list(shape[:-dims]) + out}")
    return apply(_PAD_OPS[mode, dims], (input,), {"pad": pad})


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """Pad ``input`` by ``pad = (left, right, top, bottom, ...)``: pairs of widths from the
    last dimension backwards, each filled with ``value`` (0 if None); negative widths crop.
    Recorded as ``ConstantPadNdBackward0``. ``mode="reflect"`` (mirrored without the edge)
    and ``"replicate"`` (the edge repeated) pad the last 1, 2 or 3 dimensions of an input
    with 1 or 2 more (``ReflectionPad1DBackward0``, ``ReplicationPad2DBackward0``, ...);
    ``"circular"`` (wrapped around) likewise, recorded as PyTorch records it: copies into an
    empty tensor (``CopySlices`` over ``SliceBackward0``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.pad(dg.tensor([[1.0, 2.0]]), (1, 0, 0, 1), value=9.0)
    tensor([[9., 1., 2.],
            [9., 9., 9.]])
    """
    if not isinstance(input, Tensor):
        raise not_a_tensor("pad", "input", 1, input)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = tuple(int(p) for p in pad)
    shape = input._data.shape
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * len(shape):
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {len(shape)}")
    if mode != "constant":
        return _mode_pad(input, pad, mode, value)
    for (lo, hi), size in zip(N._pad_widths(shape, pad), shape):
        if size + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    return apply(N.constant_pad_nd, (input,), {"pad": pad, "value": 0 if value is None
                                               else value})
