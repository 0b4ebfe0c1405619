"""Activations and losses (``torch.nn.functional``), with PyTorch's ``reduction`` options."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad._tensor import Tensor, apply, not_implemented_for
from dualgrad.ops import activations as A
from dualgrad.ops import nn as N
from dualgrad.ops.linalg import linear_error

__all__ = [
    "linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss", "l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "leaky_relu", "elu", "gelu", "silu", "softplus", "dropout", "one_hot",
]

_REDUCTIONS = ("mean", "sum", "none")


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_same_size(input: Tensor, target: Tensor, name: str) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
            if name.startswith("binary") else
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: the affine map of :class:`dualgrad.nn.Linear`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([[1.0, 2.0]])
    >>> dg.nn.functional.linear(dg.tensor([[3.0, 4.0]]), w, dg.tensor([0.5]))
    tensor([[11.5000]])
    """
    input = _t(input)
    error = linear_error(input._data.shape, weight._data.shape, input._data.dtype,
                         weight._data.dtype)
    if error is not None:
        raise error
    if bias is None or input.ndim < 2:
        out = input @ weight.t()
        return out if bias is None else out + bias
    return apply(N.linear, (input, weight, bias), {})


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return _t(input).relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where positive, else ``negative_slope * input``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.functional.leaky_relu(dg.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    return apply(A.leaky_relu, (_float_input(input, "leaky_relu_cpu"),),
                 {"negative_slope": negative_slope})


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` where positive, else ``alpha * (exp(input) - 1)``."""
    return apply(A.elu, (_float_input(input, "elu_cpu"),), {"alpha": alpha})


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Phi(input)``, Phi the standard normal CDF; ``approximate="tanh"`` uses
    PyTorch's tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(A.gelu, (_float_input(input, "GeluKernelImpl"),), {"approximate": approximate})


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish)."""
    return apply(A.silu, (_float_input(input, "silu_cpu"),), {})


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * input)) / beta``, and ``input`` itself where ``beta * input`` is
    above ``threshold``."""
    return apply(A.softplus, (_float_input(input, "softplus_cpu"),),
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


def _float_input(input: Any, kernel: str) -> Tensor:
    """``input`` as a Tensor, or PyTorch's error for an integer or bool one."""
    input = _t(input)
    if input._data.dtype.kind not in "fc":
        raise not_implemented_for(kernel, input._data.dtype)
    return input


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return _t(input).sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _t(input).tanh()


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


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced."""
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=2)
    return apply(N.mse_loss, (input, target), {"reduction": reduction})


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced.

    Recorded as PyTorch records it: ``SubBackward0``, ``AbsBackward0``, then ``MeanBackward0``
    or ``SumBackward0`` (the gradient at ``input == target`` is 0).
    """
    _check_reduction(reduction)
    loss = (_t(input) - _t(target)).abs()
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def binary_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in ``[0, 1]``."""
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    _check_same_size(input, target, "binary")
    data = input._data
    if not ((data >= 0) & (data <= 1)).all():  # NaN too, as in PyTorch
        raise RuntimeError("all elements of input should be between 0 and 1")
    return apply(N.binary_cross_entropy, (input, target), {"reduction": reduction})


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one numerically stable op.

    Examples
    --------
    >>> import dualgrad as dg
    >>> z = dg.zeros(3, requires_grad=True)
    >>> loss = dg.nn.functional.binary_cross_entropy_with_logits(z, dg.ones(3))
    >>> loss.grad_fn
    <BinaryCrossEntropyWithLogitsBackward0 object at ...>
    """
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    _check_same_size(input, target, "binary")
    pw = pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight
    return apply(N.binary_cross_entropy_with_logits, (input, target),
                 {"reduction": reduction, "pos_weight": pw})


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean",
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood of class indices ``target`` given log-probabilities."""
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    _check_class_targets(input, target, ignore_index)
    return apply(N.nll_loss, (input, target), {"reduction": reduction,
                                               "ignore_index": ignore_index})


def _check_class_targets(input: Tensor, target: Tensor, ignore_index: int) -> None:
    """PyTorch's errors for class-index targets of an ``(N, C)`` input."""
    _check_class_shapes(input, target)
    N.check_target_range(target._data, input.shape[1], ignore_index)


def _check_class_shapes(input: Tensor, target: Tensor) -> None:
    """PyTorch's errors for the dtype and shape of class-index targets."""
    # int64 or uint8 by kind and size, as dtype.name tells them (np.longlong is int64 too),
    # without numpy's ``name``, a Python-level property: this runs every training step.
    dt = target._data.dtype
    if not ((dt.kind == "i" and dt.itemsize == 8) or (dt.kind == "u" and dt.itemsize == 1)):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.type()[6:-6]}")
    xs, ts = input._data.shape, target._data.shape  # plain tuples: no Size objects
    if len(xs) != 2 or len(ts) != 1 or xs[0] != ts[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0] if input.ndim else 0}) "
                         f"to match target batch_size ({target.shape[0] if target.ndim else 0}).")


def cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean",
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of scores ``input`` (N, C) or (C,) against ``target``.

    ``target`` holds class indices (N,) (``nll_loss(log_softmax(input, 1), target)``) or class
    probabilities shaped like ``input``. ``label_smoothing`` mixes the target with the uniform
    distribution over the C classes, as PyTorch does.

    Examples
    --------
    >>> import dualgrad as dg
    >>> scores = dg.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> dg.nn.functional.cross_entropy(scores, dg.tensor([0, 1]))
    tensor(0.1269, grad_fn=<NllLossBackward0>)
    """
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    if input._data.ndim == 1:  # one unbatched sample: a batch of one, reduced the same way
        loss = cross_entropy(input.unsqueeze(0), target.unsqueeze(0), reduction, ignore_index,
                             label_smoothing)
        return loss[0] if reduction == "none" else loss
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    probabilities = target._data.dtype.kind == "f" and target._data.shape == input._data.shape
    if not probabilities:
        _check_class_shapes(input, target)  # (a float target of another shape: dtype error)
    if not label_smoothing and not probabilities:
        # Class indices: one fused op (log_softmax + nll_loss), the training hot path.
        # The op's forward checks the range of the targets (it needs their bounds anyway).
        return apply(N.cross_entropy, (input, target), {"reduction": reduction,
                                                        "ignore_index": ignore_index})
    logp = input.log_softmax(1)
    n_classes = input.shape[1]
    if probabilities:
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        per_sample = -(logp * target).sum(1)
        if reduction == "none":
            return per_sample
        return per_sample.sum() if reduction == "sum" else per_sample.mean()
    nll = nll_loss(logp, target, reduction=reduction, ignore_index=ignore_index)
    if not label_smoothing:
        return nll
    # PyTorch: (1 - eps) * nll + eps / C * (-sum over classes of log p), ignored rows left out.
    keep = Tensor._make((target._data != ignore_index).astype(logp.dtype))
    smooth = -logp.sum(1) * keep
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        smooth = smooth.sum() / keep.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
