"""Python numbers as operands of floating tensors, and rules whose derivative is zero.

``t * 0.999`` hands NumPy a cached 0-d array of ``t``'s dtype instead of the Python float
(``dualgrad._dtypes.scalar_operand``): NumPy resolves a Python-number operand on every call,
which costs more than the arithmetic on small arrays. These tests pin down that the results
are the bits NumPy gives for the Python number itself, forward and backward, for the values
where a cache could go wrong (signed zeros, NaN, overflow, huge integers).

When ``t`` needs a gradient, ``t + 0.5``, ``t - 0.5``, ``0.5 - t`` and ``t * 0.5`` are recorded
by ``_engine.apply_number``, which reads the output's shape and dtype from ``t``'s node
instead of the array: they must record exactly the node the general ``apply`` records.

Zero derivatives (``sign``, ``x ** 0``, inputs overwritten by ``fill_``/``zero_``/``copy_``)
give a gradient of zeros, as PyTorch's ``zeros_like(grad)`` rules do, not None.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np
import pytest
from numeric import numeric_grad

import dualgrad as dg
import dualgrad.tf as tf
from dualgrad import _dtypes, _engine
from dualgrad._tensor import _binary_method
from dualgrad.ops import elementwise as E

SCALARS = [0.999, 0.1, 1 / 3, -2.5, 3, 7, -1, 2 ** 40 + 1, 2 ** 60 + 1, 1e-45, 1e40, -1e300,
           0.0, -0.0, 0, float("inf"), float("-inf"), float("nan")]
OPS = {
    "add": (operator.add, np.add),
    "sub": (operator.sub, np.subtract),
    "rsub": (lambda t, s: s - t, lambda a, s: np.subtract(s, a)),
    "mul": (operator.mul, np.multiply),
    "rmul": (lambda t, s: s * t, lambda a, s: np.multiply(s, a)),
    "div": (operator.truediv, np.true_divide),
}


def _same_bits(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)  # NaN equals NaN here
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))  # and -0.0 != 0.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_results_are_numpys_bits_for_the_python_number(dtype: type, name: str) -> None:
    ours_op, numpy_op = OPS[name]
    data = np.array([0.0, -0.0, 1.5, -3.25, 1e-3, 6e4, np.inf], dtype=dtype)
    for s in SCALARS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # overflow and 0/0, the same on both sides
            theirs = numpy_op(data, s)
            for _ in range(2):  # the second time the operand comes from the cache
                _same_bits(ours_op(dg.tensor(data), s).numpy(), theirs)


def _rmul(x: Any, s: Any) -> Any:
    return s * x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_are_the_python_numbers_bits(dtype: type) -> None:
    data = np.array([0.5, -2.0, 3.0], dtype=dtype)
    ones = np.ones_like(data)
    for s in (0.999, 0.1, 1 / 3, 7, -0.0, 1e40):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for f, expected in ((operator.mul, ones * s), (_rmul, ones * s),
                                (operator.truediv, ones / s)):
                x = dg.tensor(data, requires_grad=True)
                f(x, s).sum().backward()
                _same_bits(x.grad.numpy(), expected)


def test_the_cache_holds_read_only_arrays_and_stays_bounded() -> None:
    dtype = np.dtype(np.float32)
    operand = _dtypes.scalar_operand(0.25, dtype)
    assert isinstance(operand, np.ndarray) and operand.shape == () and operand.dtype == dtype
    assert not operand.flags.writeable
    assert _dtypes.scalar_operand(0.25, dtype) is operand
    for value in (0.0, -0.0, float("nan"), 1e40, 2 ** 60):
        # kept as Python numbers: a cache keyed by value would lose the sign of zero, never
        # find NaN, and the others do not survive the cast unchanged
        assert _dtypes.scalar_operand(value, dtype) is value
    for i in range(3 * _dtypes._OPERANDS_MAX):
        _dtypes.scalar_operand(1.0 + i, dtype)
    assert len(_dtypes._OPERANDS[dtype]) <= _dtypes._OPERANDS_MAX


def test_integer_tensors_keep_python_integers_and_floats_promote() -> None:
    t = dg.tensor([1, 2, 3])
    assert (t * 2).dtype == dg.int64
    assert (t * 0.5).dtype == dg.float32
    np.testing.assert_array_equal((t * 0.5).numpy(), [0.5, 1.0, 1.5])


# --- zero derivatives -------------------------------------------------------------------------

def _sign(x: Any) -> Any:
    return x.sign()


def _pow0(x: Any) -> Any:
    return x ** 0


def _fill(x: Any) -> Any:
    return (x * 1).fill_(2.0)


def _zero(x: Any) -> Any:
    return (x * 1).zero_()


def _copy(x: Any, module: Any = dg) -> Any:
    return (x * 1).copy_(module.tensor([3.0, 4.0, 5.0], dtype=x.dtype))


ZERO_DERIVATIVES = {"sign": _sign, "pow0": _pow0, "fill_": _fill, "zero_": _zero,
                    "copy_": _copy}


@pytest.mark.parametrize("name", sorted(ZERO_DERIVATIVES))
def test_a_zero_derivative_gives_zeros_not_none(name: str) -> None:
    f = ZERO_DERIVATIVES[name]
    x = dg.tensor([0.0, -1.5, 2.0], dtype=dg.float64, requires_grad=True)
    f(x).sum().backward()
    assert x.grad is not None
    _same_bits(x.grad.numpy(), np.zeros(3))  # x ** 0 at 0 included: no NaN
    x2 = dg.tensor([0.0, -1.5, 2.0], dtype=dg.float64, requires_grad=True)
    (g,) = dg.autograd.grad(f(x2).sum(), x2)
    _same_bits(g.numpy(), np.zeros(3))


@pytest.mark.parametrize("name", sorted(ZERO_DERIVATIVES))
def test_a_zero_derivative_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    f = ZERO_DERIVATIVES[name]
    x = torch.tensor([0.0, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    (f(x, torch) if name == "copy_" else f(x)).sum().backward()
    y = dg.tensor([0.0, -1.5, 2.0], dtype=dg.float64, requires_grad=True)
    f(y).sum().backward()
    _same_bits(y.grad.numpy(), x.grad.numpy())


def test_a_tape_gives_zeros_for_sign_as_tensorflow_does() -> None:
    # TensorFlow registers zeros as the gradient of Sign.
    x = tf.Variable([0.0, -1.5, 2.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.sign(x) * x
    g = tape.gradient(y, x)
    _same_bits(np.asarray(g.numpy()), np.array([0.0, -1.0, 1.0]))


# --- x ** number -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_square_by_pow_has_numpys_bits(dtype: type) -> None:
    rng = np.random.default_rng(5)
    data = (rng.standard_normal(1000) * 10.0 ** rng.uniform(-15, 15, 1000)).astype(dtype)
    seed = rng.standard_normal(1000).astype(dtype)
    x = dg.tensor(data, requires_grad=True)
    y = x ** 2
    _same_bits(y.detach().numpy(), np.power(data, 2))
    y.backward(dg.tensor(seed))
    _same_bits(x.grad.numpy(), seed * (2 * data))  # PyTorch's grad * (2 * x)


# Exponents whose kernels PyTorch writes with products and square roots: the same bits here.
# (Its other powers are SLEEF's std::pow, which differs from the C library's in the last
# bit.) What is compared: the value, the gradient, or both.
TORCH_EXACT_POWERS = {2: "both", 3: "both", 1: "both", -1: "both", 0.5: "grad",
                      -0.5: "value", -2: "value"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", sorted(TORCH_EXACT_POWERS))
def test_powers_have_torchs_bits(dtype: str, exponent: float) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    data = np.abs(rng.standard_normal(500) * 10.0 ** rng.uniform(-5, 5, 500)).astype(dtype)
    data[:4] = [0.0, -0.0, np.inf, -np.inf]
    results = []
    for lib in (torch, dg):
        x = lib.tensor(data, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x ** exponent
            y.backward(lib.ones_like(y))
        results.append((y.detach().numpy(), x.grad.numpy()))
    (value_t, grad_t), (value_d, grad_d) = results
    if TORCH_EXACT_POWERS[exponent] in ("both", "value"):
        _same_bits(value_d, value_t)
    if TORCH_EXACT_POWERS[exponent] in ("both", "grad"):
        _same_bits(grad_d, grad_t)


NUMBER_EXPRESSIONS = {
    "x + s": lambda x, s: x + s, "s + x": lambda x, s: s + x,
    "x - s": lambda x, s: x - s, "s - x": lambda x, s: s - x,
    "x * s": lambda x, s: x * s, "s * x": lambda x, s: s * x,
}


def _node_fields(node: Any) -> tuple:
    saved = tuple(type(v).__name__ if isinstance(v, dg.Tensor) else v for v in node.saved or ())
    return (node.op, node.params, node.saved is node.saved_data, saved, node.versions,
            node.out_shape, node.out_dtype, node.ans)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("expression", sorted(NUMBER_EXPRESSIONS))
def test_a_number_operand_records_the_node_apply_records(dtype: type, shape: tuple,
                                                         leaf: bool, expression: str) -> None:
    f = NUMBER_EXPRESSIONS[expression]
    values = np.random.default_rng(0).uniform(0.5, 2.0, shape).astype(dtype)
    x0 = dg.tensor(values, requires_grad=True)
    x = x0 if leaf else dg.sin(x0)  # a leaf, or the output of a node
    for s in (0.25, 3, -0.0, float("nan"), 1e40):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # overflow, the same on both sides
            y = f(x, s)
            node = y.grad_fn
            operand = node.saved_data[1] if node.saved_data is not None else None
            if operand is None:  # (add and sub keep nothing: the operand as the method makes it)
                operand = _dtypes.scalar_operand(s, x._data.dtype)
            reference = _engine.apply(node.op, (x, operand), {})
        assert type(y._data) is np.ndarray
        _same_bits(y._data, reference._data)
        assert node.edges == reference.grad_fn.edges == (x0 if leaf else x.grad_fn, None)
        assert _node_fields(node) == _node_fields(reference.grad_fn)


@pytest.mark.parametrize("expression", sorted(NUMBER_EXPRESSIONS))
@pytest.mark.parametrize("leaf", [True, False])
def test_a_number_operand_gives_the_finite_difference_gradient(expression: str,
                                                               leaf: bool) -> None:
    f = NUMBER_EXPRESSIONS[expression]
    values = np.random.default_rng(1).uniform(0.5, 2.0, (2, 3))

    def value(a: Any) -> Any:
        h = a if leaf else np.sin(a)
        return (f(h, 0.7) * f(h, 3)).sum()

    x = dg.tensor(values, requires_grad=True)
    h = x if leaf else dg.sin(x)
    (f(h, 0.7) * f(h, 3)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), numeric_grad(value, values), rtol=1e-7)
    assert x.grad.dtype == np.float64


def test_a_number_operand_outside_recording_and_on_a_tape() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with dg.no_grad():
        assert (x * 2.0).grad_fn is None
    assert (dg.tensor([1.0, 2.0]) * 2.0).grad_fn is None
    v = tf.Variable([1.0, 2.0])
    c = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(c)
        y = (3.0 * v - 1.0) * (c * 2.0 + 1.0)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [9.0, 15.0])
    np.testing.assert_allclose(tape.gradient(y, c).numpy(), [4.0, 10.0])


def test_an_in_place_change_after_a_number_operand_is_allowed_as_in_torch() -> None:
    # x * 0.5 keeps no x (its rule reads only the number): changing x later is no error.
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = h * 0.5
    h.add_(1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_only_ops_that_qualify_take_the_number_path() -> None:
    for op in (E.add, E.sub, E.rsub, E.mul):
        assert _engine.takes_numbers(op)
    for op in (E.maximum, E.pow_tensor, E.div):
        if not _engine.takes_numbers(op):
            with pytest.raises(ValueError, match="apply_number cannot apply it"):
                _binary_method(op)
    assert not _engine.takes_numbers(E.maximum)  # its rule for x reads x
