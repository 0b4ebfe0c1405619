"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, activations.

Each op is one ``defop`` declaration; see ``dualgrad/_registry.py`` for the rule contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._registry import IDENTITY, NONDIFF, defop, implements, zeros_like_grad

_ARRAYS = (np.ndarray, np.generic)


def _is_array_like(x: Any) -> bool:
    return hasattr(x, "shape")


# --- arithmetic -----------------------------------------------------------------------------

add = defop("add", np.add, vjp=(IDENTITY, IDENTITY),
            save_inputs=False)
sub = defop("sub", np.subtract, vjp=(IDENTITY, lambda g, ans, x, y: -g),
            save_inputs=False)
rsub = defop("rsub", lambda x, y: np.subtract(y, x),
             vjp=(lambda g, ans, x, y: -g, IDENTITY),
             grad_fn_name="RsubBackward1", save_inputs=False,
             doc="``y - x`` with the tensor first: what PyTorch records for ``8 - x``.")
# Below this many elements the test in _times costs more than the multiplication it saves.
_ONES_MIN_SIZE = 4096


def _times(g: Any, factor: Any) -> Any:
    """``g * factor``, the VJP of a product for one of its inputs.

    When ``g`` is all ones (the gradient of a plain ``sum``: a zero-stride view of 1) and of
    ``factor``'s shape, the product is ``factor`` itself, exactly: it is returned without a
    pass over the data, as a hand-written gradient of ``(a * b).sum()`` would skip it. It is
    a read-only view, so that nothing (a hook, say) can write into the forward's value
    through it; the engine never writes into arrays it did not make.
    """
    if (type(g) is np.ndarray and g.size >= _ONES_MIN_SIZE and type(factor) is np.ndarray
            and factor.shape == g.shape and not any(g.strides) and g.item(0) == 1
            and factor.dtype == np.result_type(g, factor)):
        view = factor.view()
        view.flags.writeable = False
        return view
    return g * factor


def _mul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # _times inlined for its common case (no Python call more per product node backward).
    if type(g) is not np.ndarray or g.size < _ONES_MIN_SIZE:
        return g * y
    return _times(g, y)


def _mul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if type(g) is not np.ndarray or g.size < _ONES_MIN_SIZE:
        return g * x
    return _times(g, x)


mul = defop("mul", np.multiply, vjp=(_mul_vjp_x, _mul_vjp_y), reads=((1,), (0,)))


def _div_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's -grad * ((x / y) / y): y * y would overflow (or underflow) long before the
    # quotient does.
    return -g * ((x / y) / y)


div = defop("div", np.true_divide, vjp=(lambda g, ans, x, y: g / y, _div_vjp_y),
            reads=((1,), (0, 1)))
neg = defop("neg", np.negative, vjp=(lambda g, ans, x: -g,), save_inputs=False)


# --- division with rounding: floor_divide (``//``), remainder (``%``), fmod ----------------------

def _division_kernel(kernel: str, fn: Any) -> Any:
    """``fn`` (a NumPy division) with PyTorch's refusals: no bool loop (its ``"<kernel>"
    not implemented for 'Bool'``), and an integer division by zero raises instead of NumPy's
    warning and 0."""

    def forward(x: Any, y: Any) -> np.ndarray:
        dtype = np.result_type(x, y)
        if dtype.kind == "b":
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        if dtype.kind in "iu" and np.size(x) and np.any(np.equal(y, 0)):  # (empty: no error)
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan, silently as torch
            return fn(x, y)

    forward.__name__ = kernel
    return forward


def _remainder_float(x: Any, y: Any) -> Any:
    # PyTorch's remainder: fmod, plus y where the signs differ. np.remainder gives the same
    # values but a zero with y's sign (-4 % 2 is 0.0 there, -0.0 in PyTorch).
    mod = np.fmod(x, y)
    if mod.dtype.kind != "f":
        return np.remainder(x, y)
    return np.where(np.logical_and(mod != 0, (y < 0) != (mod < 0)), mod + y, mod)


def _div_trunc(x: Any, y: Any) -> Any:
    # PyTorch's trunc(x / y) for floats; for integers C's division, which NumPy lacks: x minus
    # its fmod is an exact multiple of y.
    if np.result_type(x, y).kind == "f":
        return np.trunc(np.true_divide(x, y))
    return np.floor_divide(np.subtract(x, np.fmod(x, y)), y)


_ROUNDED_DIVISIONS = {"floor": _division_kernel("div_floor_cpu", np.floor_divide),
                      "trunc": _division_kernel("div_trunc_cpu", _div_trunc)}


def _div_rounding_forward(x: Any, y: Any, *, rounding_mode: str) -> np.ndarray:
    return _ROUNDED_DIVISIONS[rounding_mode](x, y)


div_rounding = defop(
    "div_rounding", _div_rounding_forward,
    vjp=(lambda g, ans, x, y, **_: zeros_like_grad(g),
         lambda g, ans, x, y, **_: zeros_like_grad(g)),
    grad_fn_name="DivBackward2", save_inputs=False,
    doc="``x.div(y, rounding_mode=...)`` (``\"floor\"`` or ``\"trunc\"``): piecewise "
        "constant, so zero gradients, as in PyTorch.")


def _rounded_quotient(x: Any, y: Any, rounding_mode: str) -> Any:
    """The rounded quotient a rule multiplies by: NumPy on arrays, ``div_rounding`` (zero
    gradient, as PyTorch's ``div(rounding_mode=...)``) on Tensors under create_graph."""
    if isinstance(x, _ARRAYS) and isinstance(y, _ARRAYS):
        return _ROUNDED_DIVISIONS[rounding_mode](x, y)
    return div_rounding(x, y, rounding_mode=rounding_mode)


def _no_derivative(aten_name: str) -> Any:
    """The rule of an op PyTorch records without a derivative (``grad_fn=<NotImplemented>``):
    backward through it raises PyTorch's error instead of passing some gradient on."""

    def rule(g: Any, ans: Any, *inputs: Any, **params: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{aten_name} is not implemented")

    rule.no_derivative = True  # type: ignore[attr-defined]  # (for the docs' op table)
    return rule


_FLOOR_DIVIDE = _ROUNDED_DIVISIONS["floor"]
# ``x // y``: PyTorch records it, requiring grad, with no derivative (NotImplemented).
floor_divide = defop("floor_divide", _FLOOR_DIVIDE,
                     vjp=(_no_derivative("floor_divide"),) * 2, grad_fn_name="NotImplemented",
                     save_inputs=False, numpy=(np.floor_divide,),
                     doc="``x // y`` (``y`` a tensor or a number); not differentiable, as in "
                         "PyTorch.")

_REMAINDER = _division_kernel("remainder_cpu", _remainder_float)
_FMOD = _division_kernel("fmod_cpu", np.fmod)

# PyTorch's derivatives.yaml: d/dx = 1, d/dy = -(x / y rounded), floor for remainder, trunc
# for fmod; a number divisor has its own node name (...Backward0).
remainder = defop(
    "remainder", _REMAINDER,
    vjp=(IDENTITY, lambda g, ans, x, y: -g * _rounded_quotient(x, y, "floor")),
    grad_fn_name="RemainderBackward1", reads=((), (0, 1)), numpy=(np.remainder,),
    doc="``x % y`` of two tensors, with the sign of the divisor (Python's, ``torch.remainder``).")
remainder_scalar = defop("remainder_scalar", _REMAINDER, vjp=(IDENTITY, NONDIFF),
                         grad_fn_name="RemainderBackward0", save_inputs=False,
                         doc="``x % number``.")
# ``number % x`` and ``number // x``, tensor first as recorded (the number comes as a 0-d array
# of the result dtype): no derivative, as in PyTorch.
rremainder = defop("rremainder", lambda x, y: _REMAINDER(y, x),
                   vjp=(_no_derivative("remainder"),), grad_fn_name="NotImplemented",
                   save_inputs=False, doc="``number % x``: not differentiable, as in PyTorch.")
rfloor_divide = defop("rfloor_divide", lambda x, y: _FLOOR_DIVIDE(y, x),
                      vjp=(_no_derivative("floor_divide"),), grad_fn_name="NotImplemented",
                      save_inputs=False,
                      doc="``number // x``: not differentiable, as in PyTorch.")
fmod = defop(
    "fmod", _FMOD, vjp=(IDENTITY, lambda g, ans, x, y: -g * _rounded_quotient(x, y, "trunc")),
    grad_fn_name="FmodBackward1", reads=((), (0, 1)),
    doc="``torch.fmod(x, y)`` of two tensors: C's remainder, with the sign of the dividend.")
fmod_scalar = defop("fmod_scalar", _FMOD, vjp=(IDENTITY, NONDIFF), grad_fn_name="FmodBackward0",
                    save_inputs=False, doc="``torch.fmod(x, number)``.")


def _pow_vjp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's pow_backward_self: grad * (y * x**(y-1)), and 0 where y == 0 (0 * x**-1 would
    # be nan at x = 0: the constant term of polynomial features x ** arange(n)). Written
    # without ans so that x = 0, y = 2 gives 0, not nan.
    zero_exponent = y == 0
    y = np.where(zero_exponent, 1, y)  # keeps 0 * inf out of the masked entries
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** negative is inf, as in torch
        return np.where(zero_exponent, 0.0, g * (y * x ** (y - 1)))


def _pow_scalar_forward(x: np.ndarray, y: Any) -> np.ndarray:
    # PyTorch's kernels for floating x (pow_tensor_scalar_kernel): products, a reciprocal
    # square root, std::pow otherwise. The same bits as torch for these exponents (its pow
    # is SLEEF's, which no NumPy function reproduces), and cheaper than np.power with a
    # Python-number exponent. Integers keep np.power (np.square of bools would be int8).
    if x.dtype.kind == "f":
        if y == 2:
            return np.square(x)
        if y == 3:
            return x * x * x
        if y == -0.5:
            return 1 / np.sqrt(x)
        if y == -1:
            return 1 / x
        if y == -2:
            return 1 / (x * x)
    return np.power(x, y)


def _pow_scalar_vjp(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's pow_backward for a number exponent: zeros for y == 0 (not 0 * x**-1, which is
    # nan at x = 0), else grad * (y * x**(y-1)), grouped as PyTorch groups it and with its
    # x**(y-1) kernels. For y == 2, x + x is exactly 2 * x, without a Python-number operand;
    # under create_graph (a Tensor x) PyTorch's 2 * x**1 is kept, whose own derivative is
    # recorded through x**0, so that a third derivative of x**3 is zeros, not an error.
    if y == 2 and isinstance(x, _ARRAYS):
        return g * (x + x)
    if y == 0:
        return zeros_like_grad(g)
    if y > 2 and y == int(y):  # the usual case: no 0 ** negative, no root of a negative
        return g * (y * _power(x, y - 1))
    with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan as torch, silently
        return g * (y * _power(x, y - 1))


def _power(x: Any, y: Any) -> Any:
    """``x ** y`` for a number ``y``: the op's own kernels on arrays, the op on Tensors."""
    return _pow_scalar_forward(x, y) if isinstance(x, _ARRAYS) else x ** y


def _pow_vjp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's pow_backward_exponent: grad * (x**y * log(x)), taken as 0 where x == 0 and
    # y >= 0 (where x**y * log(x) would be 0 * -inf); for y < 0 it stays inf * -inf = -inf.
    zero_base = np.logical_and(x == 0, y >= 0)
    x = np.where(zero_base, 1, x)  # keeps log(0) out of the masked entries
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** negative: inf * -inf
        return g * np.where(zero_base, 0.0, ans * np.log(x))


pow_scalar = defop("pow", _pow_scalar_forward, vjp=(_pow_scalar_vjp, NONDIFF),
                   doc="``tensor ** number``.")
def _pow_tensor_forward(x: Any, y: Any) -> np.ndarray:
    try:
        return np.power(x, y)
    except ValueError:
        # NumPy refuses integers to negative integer powers (a broadcast error, also a
        # ValueError, comes back from np.power below). PyTorch computes 1 / x**-y in
        # integers: 1 for x = 1, +-1 for x = -1 by the parity of y, 0 otherwise (x = 0 too).
        negative = np.less(y, 0)
        powers = np.power(x, np.where(negative, 0, y))
        ones = np.where(np.equal(x, -1) & (np.remainder(y, 2) == 1), -1, np.equal(np.abs(x), 1))
        return np.where(negative, ones, powers).astype(powers.dtype, copy=False)


pow_tensor = defop("pow_tensor", _pow_tensor_forward, vjp=(_pow_vjp_base, _pow_vjp_exponent),
                   grad_fn_name="PowBackward1", save_ans=True, doc="``tensor ** tensor``.")
def _rpow_vjp(g: Any, ans: Any, y: Any, x: Any) -> Any:
    # PyTorch's pow_backward_exponent for a number base x: grad * (x**y * log(x)), with
    # log(x) a Python float (so float32 stays float32); for x == 0, 0 where y >= 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        if x == 0:
            return g * np.where(y >= 0, 0.0, ans * -np.inf)
        return g * (ans * float(np.log(x)))


rpow = defop("rpow", lambda y, x: _pow_tensor_forward(x, y),
             vjp=(_rpow_vjp,),
             grad_fn_name="PowBackward2", save_ans=True,
             doc="``number ** tensor`` (tensor first, as recorded).")


@implements(np.power)
def _np_power(x: Any, y: Any) -> Any:
    from dualgrad._tensor import Tensor

    if not isinstance(x, Tensor):
        return rpow(y, x) if not isinstance(y, Tensor) or not _is_array_like(x) else \
            pow_tensor(x, y)
    if isinstance(y, Tensor) or isinstance(y, np.ndarray):
        return pow_tensor(x, y)
    return pow_scalar(x, y)


square = defop("square", np.square, vjp=(lambda g, ans, x: g * (x + x),),
               grad_fn_name="PowBackward0", numpy=(np.square,))
sqrt = defop("sqrt", np.sqrt, vjp=(lambda g, ans, x: g / (2 * ans),), save_inputs=False,
             save_ans=True, numpy=(np.sqrt,))
rsqrt = defop("rsqrt", lambda x: 1 / np.sqrt(x),
              vjp=(lambda g, ans, x: -0.5 * g * (ans * ans * ans),), save_inputs=False,
              save_ans=True)
reciprocal = defop("reciprocal", np.reciprocal, vjp=(lambda g, ans, x: -g * (ans * ans),),
                   save_inputs=False, save_ans=True, numpy=(np.reciprocal,))
# (NaN's sign is 0 here, as in PyTorch: NumPy's np.sign gives NaN)
abs_ = defop("abs", np.abs, vjp=(lambda g, ans, x: g * np.where(x != x, 0, np.sign(x)),),
             numpy=(np.abs, np.absolute))

# The rules above and below group their products as PyTorch's formulas do (derivatives.yaml,
# FunctionsManual.cpp), so that the same values give the same bits, overflow included.

# --- exponentials and logarithms ------------------------------------------------------------

exp = defop("exp", np.exp, vjp=(lambda g, ans, x: g * ans,), save_inputs=False, save_ans=True,
            numpy=(np.exp,))
expm1 = defop("expm1", np.expm1, vjp=(lambda g, ans, x: g * (ans + 1),), save_inputs=False,
              save_ans=True, numpy=(np.expm1,))
log = defop("log", np.log, vjp=(lambda g, ans, x: g / x,), numpy=(np.log,))
log1p = defop("log1p", np.log1p, vjp=(lambda g, ans, x: g / (1 + x),),
              grad_fn_name="Log1PBackward0", numpy=(np.log1p,))
_LN2 = 0.6931471805599453  # PyTorch's M_LN2 and M_LN10
_LN10 = 2.302585092994046
log2 = defop("log2", np.log2, vjp=(lambda g, ans, x: g / (x * _LN2),), numpy=(np.log2,),
             doc="Logarithm to base 2, elementwise.")
log10 = defop("log10", np.log10, vjp=(lambda g, ans, x: g / (x * _LN10),),
              numpy=(np.log10,), doc="Logarithm to base 10, elementwise.")
exp2 = defop("exp2", np.exp2, vjp=(lambda g, ans, x: g * ans * _LN2,), save_inputs=False,
             save_ans=True, numpy=(np.exp2,), doc="``2 ** x``, elementwise.")

# --- trigonometry and hyperbolics -----------------------------------------------------------

sin = defop("sin", np.sin, vjp=(lambda g, ans, x: g * np.cos(x),), numpy=(np.sin,))
cos = defop("cos", np.cos, vjp=(lambda g, ans, x: -g * np.sin(x),), numpy=(np.cos,))
tan = defop("tan", np.tan, vjp=(lambda g, ans, x: g * (1 + ans * ans),), save_inputs=False,
            save_ans=True, numpy=(np.tan,))


def _tanh_vjp(g: Any, ans: Any, x: Any) -> Any:
    if (type(g) is np.ndarray and type(ans) is np.ndarray and ans.ndim
            and g.shape == ans.shape and g.dtype == ans.dtype):
        # First order on arrays (an MLP's hidden layer): one buffer instead of three.
        r = ans * ans
        np.subtract(1, r, out=r)
        r *= g
        return r
    return g * (1 - ans * ans)


tanh = defop("tanh", np.tanh, vjp=(_tanh_vjp,), save_inputs=False, save_ans=True,
             numpy=(np.tanh,))

# PyTorch's formulas (derivatives.yaml), grouped as there: rsqrt(1 - x^2) is written
# ``(-x * x + 1).rsqrt()``, computed as 1 / sqrt, as PyTorch's CPU kernel computes rsqrt.
asin = defop("asin", np.arcsin, vjp=(lambda g, ans, x: g * (1 / np.sqrt(-x * x + 1)),),
             numpy=(np.arcsin,), doc="Inverse sine, elementwise.")
acos = defop("acos", np.arccos, vjp=(lambda g, ans, x: g * -(1 / np.sqrt(-x * x + 1)),),
             numpy=(np.arccos,), doc="Inverse cosine, elementwise.")
atan = defop("atan", np.arctan, vjp=(lambda g, ans, x: g / (x * x + 1),),
             numpy=(np.arctan,), doc="Inverse tangent, elementwise.")
sinh = defop("sinh", np.sinh, vjp=(lambda g, ans, x: g * np.cosh(x),), numpy=(np.sinh,),
             doc="Hyperbolic sine, elementwise.")
cosh = defop("cosh", np.cosh, vjp=(lambda g, ans, x: g * np.sinh(x),), numpy=(np.cosh,),
             doc="Hyperbolic cosine, elementwise.")
asinh = defop("asinh", np.arcsinh, vjp=(lambda g, ans, x: g * (1 / np.sqrt(x * x + 1)),),
              numpy=(np.arcsinh,), doc="Inverse hyperbolic sine, elementwise.")
acosh = defop("acosh", np.arccosh, vjp=(lambda g, ans, x: g * (1 / np.sqrt(x * x - 1)),),
              numpy=(np.arccosh,), doc="Inverse hyperbolic cosine, elementwise.")
atanh = defop("atanh", np.arctanh, vjp=(lambda g, ans, x: g / (1 - x * x),),
              numpy=(np.arctanh,), doc="Inverse hyperbolic tangent, elementwise.")


def _atan2_vjp(g: Any, ans: Any, y: Any, x: Any, first: bool) -> Any:
    # PyTorch's atan2_backward: recip = 1 / (self^2 + other^2), then grad * other * recip
    # and grad * -self * recip.
    recip = 1 / (y * y + x * x)
    return g * x * recip if first else g * -y * recip


atan2 = defop("atan2", np.arctan2, vjp=(
    lambda g, ans, y, x: _atan2_vjp(g, ans, y, x, True),
    lambda g, ans, y, x: _atan2_vjp(g, ans, y, x, False),
), numpy=(np.arctan2,), doc="``atan(input / other)`` in the right quadrant, elementwise.")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow warning for large |x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = defop("sigmoid", _sigmoid, vjp=(lambda g, ans, x: g * (1 - ans) * ans,),
                save_inputs=False, save_ans=True)

# --- piecewise ------------------------------------------------------------------------------

# PyTorch's threshold_backward(grad, result, 0): the gradient where the result is not <= 0
# (NaN included). An op of its own so that, under create_graph, relu's gradient depends on
# the result as in PyTorch: differentiating it again gives zeros instead of an error.
threshold_backward = defop(
    "threshold_backward", lambda g, ans: np.where(ans <= 0, 0, g), vjp=(
        lambda gg, out, g, ans: np.where(ans <= 0, 0.0, gg),
        lambda gg, out, g, ans: zeros_like_grad(gg),
    ), grad_fn_name="ThresholdBackwardBackward0", reads=((1,), ()),
    doc="``relu``'s gradient: ``g`` where ``ans > 0`` (or NaN), else 0.")


def _relu_vjp(g: Any, ans: Any, x: Any) -> Any:
    if isinstance(g, _ARRAYS) and isinstance(ans, _ARRAYS):
        # First order: no node needed. A product with the mask (NaN passes, as in torch) is
        # three times faster than np.where; it differs only for an infinite g at a unit
        # that is off (inf * 0 = nan, where torch gives 0).
        return g * ~(ans <= 0)
    return threshold_backward(g, ans)


relu = defop("relu", lambda x: np.maximum(x, 0).astype(x.dtype, copy=False),
             vjp=(_relu_vjp,), save_inputs=False, save_ans=True)


def _pick_vjp(g: Any, mine: Any, other: Any, loses: Any) -> Any:
    # PyTorch's where(x == y, grad / 2, grad).masked_fill_(loses, 0): ties share the gradient
    # equally, and where a NaN makes every comparison false both inputs get all of it.
    return np.where(mine == other, g / 2, np.where(loses, 0.0, g))


maximum = defop("maximum", np.maximum, numpy=(np.maximum,), vjp=(
    lambda g, ans, x, y: _pick_vjp(g, x, y, x < y),
    lambda g, ans, x, y: _pick_vjp(g, y, x, y < x),
))
minimum = defop("minimum", np.minimum, numpy=(np.minimum,), vjp=(
    lambda g, ans, x, y: _pick_vjp(g, x, y, x > y),
    lambda g, ans, x, y: _pick_vjp(g, y, x, y > x),
))


def _clamp_forward(x: np.ndarray, *, min: Any = None, max: Any = None) -> np.ndarray:
    out = np.clip(x, min, max)
    return out.astype(x.dtype, copy=False)


def _clamp_vjp(g: Any, ans: Any, x: Any, *, min: Any = None, max: Any = None) -> Any:
    # PyTorch's clamp_backward for number bounds: as for tensor bounds below.
    return _clamp_tensor_vjp_x(g, ans, x, min, max)


clamp = defop("clamp", _clamp_forward, vjp=(_clamp_vjp,), grad_fn_name="ClampBackward1")


def _clamp_tensor_forward(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    # With lo > hi the result is hi, as in PyTorch (np.clip is minimum(maximum(x, lo), hi)).
    return np.asarray(np.clip(x, lo, hi))


def _clamp_tensor_vjp_x(g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    # PyTorch's clamp_backward: the gradient where lo <= x <= hi, bounds included, so at a
    # tie all of it goes to x (maximum/minimum would split it).
    if lo is None:
        mask = x <= hi
    elif hi is None:
        mask = x >= lo
    else:
        mask = np.logical_and(x >= lo, x <= hi)
    return np.where(mask, g, 0.0)


def _clamp_tensor_vjp_lo(g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    # PyTorch's clamp_backward_min_max: lo gets the gradient where x < lo, unless lo >= hi.
    mask = x < lo if hi is None else np.logical_and(x < lo, lo < hi)
    return np.where(mask, g, 0.0)


def _clamp_tensor_vjp_hi(g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    # ... and hi where x > hi, or everywhere where hi < lo (the result is hi there).
    mask = x > hi if lo is None else np.logical_or(x > hi, hi < lo)
    return np.where(mask, g, 0.0)


clamp_tensor = defop(
    "clamp_tensor", _clamp_tensor_forward,
    vjp=(_clamp_tensor_vjp_x, _clamp_tensor_vjp_lo, _clamp_tensor_vjp_hi),
    grad_fn_name="ClampBackward0",
    doc="``x.clamp(min, max)`` with tensor bounds (either may be None).")

def _lerp_forward(start: np.ndarray, end: np.ndarray, weight: Any) -> np.ndarray:
    # PyTorch's vectorised lerp: fma(weight, end - start, start) where |weight| < 0.5, else
    # fma(weight - 1, end - start, end), exact at both ends of the interval. For float32 the
    # fused multiply-add is computed in float64 (the product of two float32 is exact there).
    dtype = np.result_type(start, end)
    w = np.asarray(weight, dtype)
    small = np.abs(w) < 0.5
    coeff, base = np.where(small, w, w - 1), np.where(small, start, end)
    if dtype == np.float32:
        return (coeff.astype(np.float64) * (end - start) + base).astype(dtype)
    return (coeff * (end - start) + base).astype(dtype, copy=False)


def _lerp_scalar_forward(start: np.ndarray, end: np.ndarray, *, weight: float) -> np.ndarray:
    return _lerp_forward(start, end, weight)


lerp_scalar = defop(
    "lerp_scalar", _lerp_scalar_forward, save_inputs=False, grad_fn_name="LerpBackward0",
    vjp=(lambda g, ans, start, end, *, weight: g * (1 - weight),
         lambda g, ans, start, end, *, weight: g * weight),
    doc="``torch.lerp(start, end, weight)`` with a number ``weight``.")
lerp_tensor = defop(
    "lerp_tensor", _lerp_forward, grad_fn_name="LerpBackward1", reads=((2,), (2,), (0, 1)),
    vjp=(lambda g, ans, start, end, weight: g * (1 - weight),
         lambda g, ans, start, end, weight: g * weight,
         lambda g, ans, start, end, weight: g * (end - start)),
    doc="``torch.lerp(start, end, weight)`` with a tensor ``weight``.")


def _isclose_forward(a: np.ndarray, b: np.ndarray, *, rtol: float = 1e-05, atol: float = 1e-08,
                     equal_nan: bool = False) -> np.ndarray:
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


isclose = defop("isclose", _isclose_forward, vjp=(NONDIFF, NONDIFF), save_inputs=False,
                differentiable_output=False, numpy=(np.isclose,),
                doc="``|a - b| <= atol + rtol * |b|`` elementwise (equal infinities are close).")


@implements(np.isclose)
def _np_isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Any:
    return isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@implements(np.allclose)
def _np_allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
    return bool(np.all(_isclose_forward(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                                        equal_nan=equal_nan)))

where = defop("where", lambda cond, x, y: np.where(cond, x, y), vjp=(
    NONDIFF,
    lambda g, ans, cond, x, y: np.where(cond, g, 0.0),
    lambda g, ans, cond, x, y: np.where(cond, 0.0, g),
), reads=((), (0,), (0,)))


def _masked_fill_forward(x: np.ndarray, mask: np.ndarray, *, value: Any) -> np.ndarray:
    return np.where(mask, np.asarray(value, dtype=x.dtype), x)


def _masked_fill_tensor_forward(x: np.ndarray, mask: np.ndarray, value: np.ndarray) -> np.ndarray:
    # The value tensor is cast to x's dtype, as in PyTorch (the result keeps x's dtype).
    return np.where(mask, np.asarray(value).astype(x.dtype, copy=False), x)


def _masked_fill_vjp_x(g: Any, ans: Any, x: Any, mask: Any, *value: Any, **_: Any) -> Any:
    return np.where(mask, 0.0, g)


# ``x.masked_fill(mask, value)``: where's rules, under PyTorch's two node names (a number,
# or a 0-d tensor that receives the gradient of the filled places).
masked_fill = defop("masked_fill", _masked_fill_forward, vjp=(_masked_fill_vjp_x, NONDIFF),
                    grad_fn_name="MaskedFillBackward0", reads=((1,), ()),
                    doc="``x`` with ``value`` (a number) where ``mask`` is True.")
masked_fill_tensor = defop(
    "masked_fill_tensor", _masked_fill_tensor_forward, vjp=(
        _masked_fill_vjp_x, NONDIFF, lambda g, ans, x, mask, value: np.where(mask, g, 0.0)),
    grad_fn_name="MaskedFillBackward1", reads=((1,), (), (1,)),
    doc="``x`` with ``value`` (a 0-d tensor) where ``mask`` is True.")
def _sign_forward(x: np.ndarray) -> np.ndarray:
    out = np.asarray(np.sign(x))  # (a 0-d input gives a NumPy scalar)
    if out.dtype.kind == "f":
        # PyTorch's sign of NaN is 0 (NumPy's is NaN).
        nan = np.isnan(out)
        if nan.any():
            out[nan] = 0
    return out


sign = defop("sign", _sign_forward, vjp=(lambda g, ans, x: zeros_like_grad(g),),
             save_inputs=False, numpy=(np.sign,))


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf as scipy_erf  # SciPy is imported lazily: it is slow to load

    return scipy_erf(x).astype(x.dtype, copy=False)  # SciPy computes float16 in float64


erf = defop("erf", _erf,
            vjp=(lambda g, ans, x: g * (2 / np.sqrt(np.pi)) * np.exp(-(x * x)),))


def _cast(x: np.ndarray, *, dtype: np.dtype) -> np.ndarray:
    return x.astype(dtype)


cast = defop("cast", _cast, vjp=(lambda g, ans, x, *, dtype: g,), save_inputs=False,
             grad_fn_name="ToCopyBackward0", doc="Change of dtype (``x.to(dtype)``).")


def _compare(name: str, fn: Any) -> Any:
    return defop(name, fn, vjp=(NONDIFF, NONDIFF), save_inputs=False,
                 differentiable_output=False, numpy=(fn,))


eq = _compare("eq", np.equal)
ne = _compare("ne", np.not_equal)
lt = _compare("lt", np.less)
le = _compare("le", np.less_equal)
gt = _compare("gt", np.greater)
ge = _compare("ge", np.greater_equal)
logical_and = _compare("logical_and", np.logical_and)
logical_or = _compare("logical_or", np.logical_or)
logical_xor = _compare("logical_xor", np.logical_xor)


def _integer_kernel(kernel: str, fn: Any) -> Any:
    """``fn`` (a NumPy bitwise function) for bool and integer arrays; PyTorch's error for
    floating ones (``"bitwise_and_cpu" not implemented for 'Float'``), where NumPy's differs."""

    def forward(*arrays: Any) -> np.ndarray:
        dtype = np.result_type(*arrays)
        if dtype.kind not in "biu":
            raise NotImplementedError(f'"{kernel}" not implemented for '
                                      f"'{_dtypes.torch_name(dtype)}'")
        return fn(*arrays)

    forward.__name__ = kernel
    return forward


def _bitwise(name: str, fn: Any) -> Any:
    return defop(name, _integer_kernel(f"{name}_cpu", fn), vjp=(NONDIFF,) * fn.nin,
                 save_inputs=False, differentiable_output=False, numpy=(fn,),
                 doc=f"``np.{fn.__name__}`` of bool or integer tensors (``&``, ``|``, ``^``, "
                     "``~``): logical on bools, bitwise on integers.")


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)
bitwise_not = _bitwise("bitwise_not", np.invert)
logical_not = defop("logical_not", np.logical_not, vjp=(NONDIFF,), save_inputs=False,
                    differentiable_output=False, numpy=(np.logical_not,))
isnan = defop("isnan", np.isnan, vjp=(NONDIFF,), save_inputs=False,
              differentiable_output=False, numpy=(np.isnan,))
isfinite = defop("isfinite", np.isfinite, vjp=(NONDIFF,), save_inputs=False,
                 differentiable_output=False, numpy=(np.isfinite,))
isinf = defop("isinf", np.isinf, vjp=(NONDIFF,), save_inputs=False,
              differentiable_output=False, numpy=(np.isinf,))


# --- rounding: piecewise constant, so a zero gradient, as PyTorch's zeros_like(grad) ---------

def _rounding(name: str, fn: Any) -> Any:
    return defop(name, fn, vjp=(lambda g, ans, x: zeros_like_grad(g),), save_inputs=False,
                 numpy=(fn,), doc=f"``np.{fn.__name__}``, elementwise; zero gradient.")


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
round_ = _rounding("round", np.rint)  # halves to even, as torch.round
trunc = _rounding("trunc", np.trunc)
round_decimals = defop(
    "round_decimals", lambda x, *, decimals: np.round(x, decimals),
    vjp=(lambda g, ans, x, *, decimals: zeros_like_grad(g),), save_inputs=False,
    grad_fn_name="RoundBackward1",
    doc="``x.round(decimals=d)``: ``rint(x * 10**d) / 10**d``, as PyTorch; zero gradient.")


# --- triangles -----------------------------------------------------------------------------

tril = defop("tril", lambda x, *, diagonal=0: np.tril(x, diagonal),
             vjp=(lambda g, ans, x, *, diagonal=0: np.tril(g, diagonal),), save_inputs=False,
             doc="The lower triangle (of the last two dimensions), the rest zeroed.")
triu = defop("triu", lambda x, *, diagonal=0: np.triu(x, diagonal),
             vjp=(lambda g, ans, x, *, diagonal=0: np.triu(g, diagonal),), save_inputs=False,
             doc="The upper triangle (of the last two dimensions), the rest zeroed.")


@implements(np.tril)
def _np_tril(m: Any, k: int = 0) -> Any:
    return tril(m, diagonal=k)


@implements(np.triu)
def _np_triu(m: Any, k: int = 0) -> Any:
    return triu(m, diagonal=k)


# --- whole-tensor writes (``clone``, and the in-place ``fill_``, ``zero_``, ``copy_``) --------

clone = defop("clone", np.copy, vjp=(IDENTITY,), save_inputs=False)
fill = defop("fill", lambda x, value: np.full_like(x, value),
             vjp=(lambda g, ans, x, value: zeros_like_grad(g),
                  lambda g, ans, x, value: np.sum(g)),
             save_inputs=False, grad_fn_name="FillBackward2",
             doc="``x.fill_(number)``: PyTorch's node for a Python number.")
fill_tensor = defop("fill_tensor", fill.forward, vjp=fill.vjp, save_inputs=False,
                    grad_fn_name="FillBackward3",
                    doc="``x.fill_(tensor)``: the 0-d value gets the summed gradient.")
zero = defop("zero", np.zeros_like, vjp=(lambda g, ans, x: zeros_like_grad(g),), save_inputs=False,
             grad_fn_name="ZeroBackward0", doc="``x.zero_()``.")
copy = defop("copy", lambda x, src: np.broadcast_to(src, x.shape).astype(x.dtype),
             vjp=(lambda g, ans, x, src: zeros_like_grad(g), lambda g, ans, x, src: g),
             save_inputs=False, grad_fn_name="CopyBackwards")


@implements(np.add)
def _np_add(x: Any, y: Any) -> Any:
    return add(x, y)


@implements(np.subtract)
def _np_subtract(x: Any, y: Any) -> Any:
    return sub(x, y)


@implements(np.multiply)
def _np_multiply(x: Any, y: Any) -> Any:
    return mul(x, y)


@implements(np.true_divide, np.divide)
def _np_divide(x: Any, y: Any) -> Any:
    return div(x, y)


@implements(np.fmod)
def _np_fmod(x: Any, y: Any) -> Any:
    from dualgrad._tensor import from_data

    return from_data(x).fmod(y)


@implements(np.negative)
def _np_negative(x: Any) -> Any:
    return neg(x)


@implements(np.where)
def _np_where(cond: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise TypeError("np.where with one argument is not differentiable; use nonzero()")
    return where(cond, x, y)


@implements(np.real)
def _np_real(x: Any) -> Any:
    return x


@implements(np.clip)
def _np_clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    return clamp(x, min=a_min, max=a_max)
