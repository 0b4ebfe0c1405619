"""Activation functions beyond relu/tanh/sigmoid, and dropout: PyTorch's formulas, forward and
backward (``torch/csrc/autograd/FunctionsManual.cpp``, ``aten/src/ATen/native``), with its
node names (``LeakyReluBackward0``, ``GeluBackward0``, ...).

Each rule uses only NumPy calls with registered ops, so every activation can be
differentiated again (``create_graph=True``, nested tapes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualgrad._registry import NONDIFF, defop, zeros_like_grad
from dualgrad.ops.elementwise import _sigmoid
from dualgrad.ops.elementwise import erf as _erf_op

_ARRAYS = (np.ndarray, np.generic)


def _erf(x: Any) -> Any:
    """erf of an array (SciPy, imported on first use) or of a Tensor (the registered op)."""
    if isinstance(x, _ARRAYS):
        from scipy.special import erf

        return erf(x).astype(np.result_type(x), copy=False)
    return _erf_op(x)


# --- leaky_relu ---------------------------------------------------------------------------------

def _leaky_relu_forward(x: np.ndarray, *, negative_slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_grad(g: Any, x: Any, *, negative_slope: float = 0.01) -> Any:
    return np.where(x > 0, g, g * negative_slope)


# PyTorch's leaky_relu_backward as an op of its own (as relu's threshold_backward): under
# create_graph the gradient then depends on x, and differentiating it again gives zeros
# (WGAN-GP's gradient penalty through LeakyReLU) instead of an error.
leaky_relu_backward = defop(
    "leaky_relu_backward", _leaky_relu_grad, vjp=(
        lambda gg, out, g, x, *, negative_slope=0.01: _leaky_relu_grad(
            gg, x, negative_slope=negative_slope),
        lambda gg, out, g, x, *, negative_slope=0.01: zeros_like_grad(gg),
    ), grad_fn_name="LeakyReluBackwardBackward0", reads=((1,), ()),
    doc="``leaky_relu``'s gradient: ``g`` where ``x > 0``, else ``negative_slope * g``.")


def _leaky_relu_vjp(g: Any, ans: Any, x: Any, *, negative_slope: float = 0.01) -> Any:
    if isinstance(g, _ARRAYS) and isinstance(x, _ARRAYS):
        return _leaky_relu_grad(g, x, negative_slope=negative_slope)
    return leaky_relu_backward(g, x, negative_slope=negative_slope)


leaky_relu = defop("leaky_relu", _leaky_relu_forward, vjp=(_leaky_relu_vjp,),
                   grad_fn_name="LeakyReluBackward0",
                   doc="``x`` where positive, else ``negative_slope * x``.")


# --- hardtanh (and relu6) -----------------------------------------------------------------------

def _hardtanh_grad(g: Any, x: Any, *, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    # PyTorch's hardtanh_backward: zero where x <= min_val or x >= max_val (the bounds
    # themselves included), g elsewhere, NaN included.
    return np.where(np.logical_or(x <= min_val, x >= max_val), 0.0, g)


# An op of its own, as leaky_relu_backward: under create_graph the gradient depends on x, and
# differentiating it again gives zeros, as PyTorch's HardtanhBackwardBackward0.
hardtanh_backward = defop(
    "hardtanh_backward", _hardtanh_grad, vjp=(
        lambda gg, out, g, x, *, min_val=-1.0, max_val=1.0: _hardtanh_grad(
            gg, x, min_val=min_val, max_val=max_val),
        lambda gg, out, g, x, *, min_val=-1.0, max_val=1.0: zeros_like_grad(gg),
    ), grad_fn_name="HardtanhBackwardBackward0", reads=((1,), ()),
    doc="``hardtanh``'s gradient: ``g`` where ``min_val < x < max_val``, else 0.")


def _hardtanh_vjp(g: Any, ans: Any, x: Any, *, min_val: float = -1.0,
                  max_val: float = 1.0) -> Any:
    if isinstance(g, _ARRAYS) and isinstance(x, _ARRAYS):
        return _hardtanh_grad(g, x, min_val=min_val, max_val=max_val)
    return hardtanh_backward(g, x, min_val=min_val, max_val=max_val)


hardtanh = defop(
    "hardtanh",
    lambda x, *, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val).astype(
        x.dtype, copy=False),
    vjp=(_hardtanh_vjp,), grad_fn_name="HardtanhBackward0",
    doc="``x`` limited to ``[min_val, max_val]``; ``relu6`` is ``hardtanh(x, 0, 6)``.")


# --- elu ----------------------------------------------------------------------------------------

def _elu_forward(x: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    with np.errstate(over="ignore"):  # expm1 of the large positives np.where discards
        return np.where(x > 0, x, alpha * np.expm1(x))


def _elu_vjp(g: Any, ans: Any, x: Any, *, alpha: float = 1.0) -> Any:
    # PyTorch's elu_backward on the input: alpha * exp(x) where x <= 0 (x = 0 included).
    with np.errstate(over="ignore"):
        return np.where(x <= 0, g * (alpha * np.exp(x)), g)


elu = defop("elu", _elu_forward, vjp=(_elu_vjp,), grad_fn_name="EluBackward0",
            doc="``x`` where positive, else ``alpha * (exp(x) - 1)``.")


# --- gelu ---------------------------------------------------------------------------------------

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _gelu_forward(x: np.ndarray, *, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1 + np.tanh(inner))
    return x * 0.5 * (1 + _erf(x * _SQRT_HALF))


def _gelu_vjp(g: Any, ans: Any, x: Any, *, approximate: str = "none") -> Any:
    if approximate == "tanh":
        x_sq = x * x
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x_sq * x)
        t = np.tanh(inner)
        left = 0.5 * x * (1 - t * t) * (_SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x_sq))
        return g * (0.5 * (1 + t) + left)
    cdf = 0.5 * (1 + _erf(x * _SQRT_HALF))
    pdf = np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


gelu = defop("gelu", _gelu_forward, vjp=(_gelu_vjp,), grad_fn_name="GeluBackward0",
             doc="``x * Phi(x)`` (``approximate='tanh'``: the tanh approximation).")


# --- silu ---------------------------------------------------------------------------------------

def _silu_vjp(g: Any, ans: Any, x: Any) -> Any:
    # PyTorch's silu_backward: g * s * (1 + x * (1 - s)), s = sigmoid(x).
    s = _sigmoid(x) if isinstance(x, _ARRAYS) else 1 / (1 + np.exp(-x))
    return g * s * (1 + x * (1 - s))


silu = defop("silu", lambda x: x * _sigmoid(x), vjp=(_silu_vjp,), grad_fn_name="SiluBackward0",
             doc="``x * sigmoid(x)`` (swish).")


# --- softplus -----------------------------------------------------------------------------------

def _softplus_forward(x: np.ndarray, *, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    # Above the threshold PyTorch returns x itself (log1p(exp(bx)) / b == x in floating point).
    bx = x * beta
    with np.errstate(over="ignore"):
        return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta)


def _softplus_vjp(g: Any, ans: Any, x: Any, *, beta: float = 1.0,
                  threshold: float = 20.0) -> Any:
    # PyTorch's softplus_backward: g * z / (z + 1), z = exp(beta x), below the threshold.
    bx = x * beta
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.exp(bx)
        return np.where(bx > threshold, g, g * z / (z + 1))


softplus = defop("softplus", _softplus_forward, vjp=(_softplus_vjp,),
                 grad_fn_name="SoftplusBackward0",
                 doc="``log(1 + exp(beta x)) / beta``, linear above ``threshold``.")


# --- dropout ------------------------------------------------------------------------------------

# The mask (already scaled by 1 / (1 - p)) is an input of its own, drawn by the caller, so the
# op itself is deterministic and its backward multiplies by the same mask.
dropout = defop("dropout", lambda x, mask: np.multiply(x, mask, dtype=x.dtype),
                vjp=(lambda g, ans, x, mask: g * mask, NONDIFF),
                grad_fn_name="NativeDropoutBackward0", reads=((1,), ()),
                doc="``x * mask``, the mask scaled by ``1 / (1 - p)``: PyTorch's dropout.")
