"""Python's operators on tensors where PyTorch's semantics differ from NumPy's: ``%`` and
``fmod`` (differentiable), ``//`` (recorded without a derivative), their promotion and integer
division by zero; the bitwise operators on integers; integer powers; NumPy operands; clamp_
with tensor bounds; the dtypes and accumulation of sums and products.

The expected values, dtypes, node names and error texts are PyTorch 2.13's, written out; the
``*_like_torch`` tests compare with PyTorch itself where it is installed. Finite-difference
checks of the new ops are in ``tests/test_gradcheck_ops.py`` (their cases in
``tests/op_cases.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualgrad.torch as dtorch


def _bits(t: Any) -> tuple:
    """Values (with the sign of zeros; any NaN as one NaN: their sign bits vary between
    PyTorch's kernels), dtype and shape, for exact comparisons."""
    a = np.asarray(t.detach().numpy())
    if a.dtype.kind == "f":
        a = np.where(np.isnan(a), np.array(np.nan, a.dtype), a)
    return a.tobytes(), str(a.dtype), a.shape


# --- remainder, fmod, floor_divide ------------------------------------------------------------

def test_remainder_is_differentiable() -> None:
    x = dtorch.tensor([0.3, 2.5], requires_grad=True)
    (x % 1.0 + x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert (x % 2).requires_grad and (x % 2).grad_fn.name() == "RemainderBackward0"


@pytest.mark.parametrize(("call", "name"), [
    (lambda x, y: x % 2, "RemainderBackward0"),
    (lambda x, y: x % 2.0, "RemainderBackward0"),
    (lambda x, y: dtorch.remainder(x, 2), "RemainderBackward0"),
    (lambda x, y: x % y, "RemainderBackward1"),
    (lambda x, y: x.remainder(y), "RemainderBackward1"),
    (lambda x, y: dtorch.fmod(x, 2), "FmodBackward0"),
    (lambda x, y: x.fmod(y), "FmodBackward1"),
    (lambda x, y: dtorch.fmod(x, y), "FmodBackward1"),
    (lambda x, y: x.div(y, rounding_mode="floor"), "DivBackward2"),
    (lambda x, y: x.div(2, rounding_mode="trunc"), "DivBackward2"),
    (lambda x, y: x // 2, "NotImplemented"),
    (lambda x, y: x // y, "NotImplemented"),
    (lambda x, y: 2 // x, "NotImplemented"),
    (lambda x, y: dtorch.floor_divide(x, y), "NotImplemented"),
    (lambda x, y: 2 % x, "NotImplemented"),
    (lambda x, y: dtorch.remainder(2.5, x), "NotImplemented"),
])
def test_node_names(call: Callable, name: str) -> None:
    x = dtorch.tensor([0.3, 2.5], requires_grad=True)
    y = dtorch.tensor([0.7, -1.5], requires_grad=True)
    out = call(x, y)
    assert out.requires_grad and f"grad_fn=<{name}>" in repr(out)
    if name == "NotImplemented":
        name = "torch::autograd::NotImplemented"  # (a C++ class, as in PyTorch)
    assert out.grad_fn.name() == name


def test_remainder_and_fmod_gradients() -> None:
    # d/dx = 1; d/dy = -floor(x / y) for remainder, -trunc(x / y) for fmod (PyTorch's
    # derivatives.yaml); the second derivatives are zero.
    x = dtorch.tensor([0.3, 2.5, -3.7, 5.0], dtype=dtorch.float64, requires_grad=True)
    y = dtorch.tensor([0.7, -1.5, 1.2, -2.2], dtype=dtorch.float64, requires_grad=True)
    gx, gy = dtorch.autograd.grad(dtorch.remainder(x, y).sum(), (x, y), create_graph=True)
    assert gx.tolist() == [1.0, 1.0, 1.0, 1.0] and gy.tolist() == [-0.0, 2.0, 4.0, 3.0]
    assert [g.tolist() for g in dtorch.autograd.grad(gy.sum(), (x, y))] == [[0.0] * 4] * 2
    gx, gy = dtorch.autograd.grad(dtorch.fmod(x, y).sum(), (x, y))
    assert gx.tolist() == [1.0, 1.0, 1.0, 1.0] and gy.tolist() == [-0.0, 1.0, 3.0, 2.0]


def test_no_derivative_errors() -> None:
    x = dtorch.tensor([0.3, 2.5], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^derivative for aten::floor_divide is not "
                                           r"implemented$"):
        (x // 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"^derivative for aten::remainder is not "
                                           r"implemented$"):
        (2 % x).sum().backward()


def test_values() -> None:
    a = dtorch.tensor([5.0, -3.0, -4.0, 4.0, 7.5])
    b = dtorch.tensor([-2.0, 2.0, 2.0, -2.0, 2.0])
    assert (a % b).tolist() == [-1.0, 1.0, 0.0, 0.0, 1.5]
    # PyTorch's zero keeps the dividend's sign (NumPy's np.remainder takes the divisor's)
    assert np.signbit((a % b).numpy()).tolist() == [True, False, True, False, False]
    assert dtorch.fmod(a, b).tolist() == [1.0, -1.0, -0.0, 0.0, 1.5]
    assert (a // b).tolist() == [-3.0, -2.0, -2.0, -2.0, 3.0]
    assert a.div(b, rounding_mode="trunc").tolist() == [-2.0, -1.0, -2.0, -2.0, 3.0]
    assert (dtorch.tensor([1.0]) // 0.1).tolist() == [9.0]  # not floor(1 / 0.1) = 10
    i = dtorch.tensor([5, -3])
    assert (i % -2).tolist() == [-1, -1] and (i // -2).tolist() == [-3, 1]
    assert (5 % dtorch.tensor([2, -3])).tolist() == [1, -1]
    assert (5 // dtorch.tensor([2, -3])).tolist() == [2, -2]
    assert dtorch.tensor([-7, 7]).fmod(-2).tolist() == [-1, 1]
    assert dtorch.tensor([-7]).div(2, rounding_mode="trunc").tolist() == [-3]
    with pytest.raises(RuntimeError, match="^div expected rounding_mode to be one of None, "
                                           "'trunc', or 'floor' but found 'bad'$"):
        a.div(b, rounding_mode="bad")


@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda: dtorch.tensor([7.5]) % dtorch.tensor([2, 2]), "float32", [1.5, 1.5]),
    (lambda: dtorch.tensor([7.5]) % dtorch.tensor(2.0, dtype=dtorch.float64), "float32", [1.5]),
    (lambda: dtorch.tensor(7) // dtorch.tensor([2, 3], dtype=dtorch.int32), "int32", [3, 2]),
    (lambda: dtorch.tensor([5, -3]) % 2.5, "float32", [0.0, 2.0]),
    (lambda: dtorch.tensor([5, -3]) // 2.5, "float32", [2.0, -2.0]),
    (lambda: 5.5 % dtorch.tensor([2, -3]), "float32", [1.5, -0.5]),
    (lambda: 5.0 // dtorch.tensor([2, -3]), "float32", [2.0, -2.0]),
    (lambda: dtorch.fmod(dtorch.tensor([5, -3]), 2.5), "float32", [0.0, -0.5]),
    (lambda: dtorch.tensor([True]) // 2, "int64", [0]),
    (lambda: dtorch.tensor([3.0]) // dtorch.tensor([True]), "float32", [3.0]),
])
def test_promotion(call: Callable, dtype: str, values: list) -> None:
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


@pytest.mark.parametrize("call", [
    lambda: dtorch.tensor([5]) // 0,
    lambda: dtorch.tensor(1) % 0,
    lambda: dtorch.tensor([5]) // dtorch.tensor([0]),
    lambda: dtorch.tensor([5]) % dtorch.tensor([0, 1]),
    lambda: dtorch.fmod(dtorch.tensor([5]), 0),
    lambda: 5 // dtorch.tensor([0]),
    lambda: dtorch.tensor([5], dtype=dtorch.uint8) // 0,
    lambda: dtorch.tensor([5], dtype=dtorch.int32) % dtorch.tensor(0),
    lambda: dtorch.tensor([5]).div(0, rounding_mode="trunc"),
])
def test_integer_division_by_zero_raises(call: Callable) -> None:
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        call()


def test_float_division_by_zero_is_inf_and_nan(recwarn: Any) -> None:
    x = dtorch.tensor([5.0, -1.0, 0.0])
    assert str((x // 0).tolist()) == "[inf, -inf, nan]"
    assert str((x % 0).tolist()) == "[nan, nan, nan]"
    assert str(dtorch.fmod(x, 0).tolist()) == "[nan, nan, nan]"
    assert (dtorch.tensor([], dtype=dtorch.int64) // 0).tolist() == []
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(("call", "kernel"), [
    (lambda b: b // b, "div_floor_cpu"),
    (lambda b: b % b, "remainder_cpu"),
    (lambda b: b.fmod(b), "fmod_cpu"),
    (lambda b: b.div(b, rounding_mode="trunc"), "div_trunc_cpu"),
])
def test_bool_division_is_refused(call: Callable, kernel: str) -> None:
    with pytest.raises(NotImplementedError) as info:
        call(dtorch.tensor([True]))
    assert str(info.value) == f'"{kernel}" not implemented for \'Bool\''


def test_numpy_ufuncs_follow_the_operators() -> None:
    x = dtorch.tensor([7.5, -7.5], requires_grad=True)
    assert np.remainder(x, 2).grad_fn.name() == "RemainderBackward0"
    assert np.floor_divide(x, 2).tolist() == [3.0, -4.0]
    assert np.fmod(x, 2).tolist() == [1.5, -1.5]


DIVISION_CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "remainder": lambda L, a, b: a % b,
    "remainder scalar": lambda L, a, b: a % -1.5,
    "rremainder": lambda L, a, b: 2.5 % b,
    "fmod": lambda L, a, b: L.fmod(a, b),
    "fmod scalar": lambda L, a, b: a.fmod(-1.5),
    "floor_divide": lambda L, a, b: a // b,
    "rfloor_divide": lambda L, a, b: 2.5 // b,
    "div floor": lambda L, a, b: a.div(b, rounding_mode="floor"),
    "div trunc": lambda L, a, b: a.div(b, rounding_mode="trunc"),
}


@pytest.mark.parametrize("name", sorted(DIVISION_CASES))
def test_division_like_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    edge = np.array([-4.0, 4.0, -0.0, 0.0, 1.0, 0.1, 3.7, -3.7, 1e30, np.inf, -np.inf, np.nan])
    a = np.concatenate([np.repeat(edge, edge.size), rng.standard_normal(200) * 10])
    b = np.concatenate([np.tile(edge, edge.size), rng.standard_normal(200)])
    for dtype in (np.float32, np.float64):
        results = []
        for L in (torch, dtorch):
            ta = L.tensor(a.astype(dtype), requires_grad=True)
            tb = L.tensor(b.astype(dtype), requires_grad=True)
            out = DIVISION_CASES[name](L, ta, tb)
            results.append((_bits(out), out.grad_fn.name()))
        assert results[0] == results[1]


# --- NumPy scalars ----------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda: dtorch.tensor([1, 2]) + np.True_, "float32", [2.0, 3.0]),
    (lambda: np.True_ + dtorch.tensor([1, 2]), "float32", [2.0, 3.0]),
    (lambda: dtorch.tensor([True, False]) + np.True_, "float32", [2.0, 1.0]),
    (lambda: dtorch.tensor([1, 2]) + True, "int64", [2, 3]),
    (lambda: dtorch.tensor([1, 2], dtype=dtorch.int32) + np.int64(2), "int32", [3, 4]),
    (lambda: dtorch.tensor([1, 2]) + np.float64(2.5), "float32", [3.5, 4.5]),
])
def test_numpy_scalars_promote_as_in_pytorch(call: Callable, dtype: str, values: list) -> None:
    # PyTorch takes a NumPy bool for a float (a Python bool stays a bool).
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


# --- bitwise operators ------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda: dtorch.tensor([6, 5]) & dtorch.tensor([3, 3]), "int64", [2, 1]),
    (lambda: dtorch.tensor([6, 5]) | dtorch.tensor([3, 3]), "int64", [7, 7]),
    (lambda: dtorch.tensor([6, 5]) ^ dtorch.tensor([3, 3]), "int64", [5, 6]),
    (lambda: ~dtorch.tensor([6, 0]), "int64", [-7, -1]),
    (lambda: ~dtorch.tensor([6, 0], dtype=dtorch.uint8), "uint8", [249, 255]),
    (lambda: dtorch.tensor([6, 5]) & 3, "int64", [2, 1]),
    (lambda: 3 & dtorch.tensor([6, 5]), "int64", [2, 1]),
    (lambda: dtorch.tensor([6, 5]) & True, "int64", [0, 1]),
    (lambda: dtorch.tensor([True, False]) & dtorch.tensor([3, 2]), "int64", [1, 0]),
    (lambda: dtorch.tensor([True, False]) & True, "bool", [True, False]),
    (lambda: dtorch.tensor([True, False]) & 1, "int64", [1, 0]),
    (lambda: dtorch.tensor([True, False]) ^ dtorch.tensor([True, True]), "bool", [False, True]),
    (lambda: ~dtorch.tensor([True, False]), "bool", [False, True]),
    (lambda: dtorch.tensor([7], dtype=dtorch.int32) & dtorch.tensor(3), "int32", [3]),
    (lambda: dtorch.bitwise_and(dtorch.tensor([6, 5]), dtorch.tensor([3, 3])), "int64", [2, 1]),
    (lambda: dtorch.bitwise_and(3, dtorch.tensor([6, 0])), "int64", [2, 0]),
    (lambda: dtorch.tensor([6, 0]).bitwise_xor(3), "int64", [5, 3]),
    (lambda: dtorch.bitwise_not(dtorch.tensor([6, 0])), "int64", [-7, -1]),
    (lambda: dtorch.logical_and(dtorch.tensor([6, 0]), dtorch.tensor([3, 3])), "bool",
     [True, False]),
    (lambda: dtorch.logical_xor(dtorch.tensor([6.0, 0]), dtorch.tensor([3.0, 3])), "bool",
     [False, True]),
    (lambda: dtorch.tensor([6.0, 0]).logical_xor(dtorch.tensor([0.0, 0])), "bool",
     [True, False]),
    (lambda: dtorch.logical_not(dtorch.tensor([6.0, 0])), "bool", [False, True]),
    (lambda: dtorch.tensor([6.0, 0]).logical_or(dtorch.tensor([0, 0])), "bool", [True, False]),
])
def test_bitwise(call: Callable, dtype: str, values: list) -> None:
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


@pytest.mark.parametrize(("call", "error", "text"), [
    (lambda f: f & f, NotImplementedError, '"bitwise_and_cpu" not implemented for \'Float\''),
    (lambda f: f | f, NotImplementedError, '"bitwise_or_cpu" not implemented for \'Float\''),
    (lambda f: f ^ f, NotImplementedError, '"bitwise_xor_cpu" not implemented for \'Float\''),
    (lambda f: f.double() & f.double(), NotImplementedError,
     '"bitwise_and_cpu" not implemented for \'Double\''),
    (lambda f: dtorch.tensor([1]) & f, NotImplementedError,
     '"bitwise_and_cpu" not implemented for \'Float\''),
    (lambda f: dtorch.tensor([1]) & 1.5, NotImplementedError,
     '"bitwise_and_cpu" not implemented for \'Float\''),
    (lambda f: dtorch.tensor([1]) & np.True_, NotImplementedError,
     '"bitwise_and_cpu" not implemented for \'Float\''),
    (lambda f: f & 1, NotImplementedError, '"bitwise_and_cpu" not implemented for \'Float\''),
    (lambda f: ~f, TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    (lambda f: dtorch.bitwise_not(f), NotImplementedError,
     '"bitwise_not_cpu" not implemented for \'Float\''),
])
def test_bitwise_refuses_floats(call: Callable, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        call(dtorch.tensor([1.0], requires_grad=True))
    assert str(info.value) == text


# --- clamp_ with tensor bounds ----------------------------------------------------------------

def _clamp_in_place(L: Any) -> tuple:
    x = L.tensor([0.2, 0.7, 1.5], requires_grad=True)
    lo = L.tensor(0.5, requires_grad=True)
    hi = L.tensor([1.0, 1.0, 1.2], dtype=L.float64, requires_grad=True)
    y = x * 1
    y.clamp_(min=lo, max=hi)
    (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
    return y, x.grad, lo.grad, hi.grad


def test_clamp_in_place_with_tensor_bounds() -> None:
    y, gx, glo, ghi = _clamp_in_place(dtorch)
    assert y.dtype == dtorch.float32 and y.grad_fn.name() == "ClampBackward0"
    assert y.tolist() == [0.5, 0.699999988079071, 1.2000000476837158]
    assert gx.tolist() == [0.0, 2.0, 0.0] and glo.tolist() == 1.0 and ghi.tolist() == [0, 0, 3]
    x = dtorch.tensor([0.2, 0.7, 1.5])
    assert x.clamp_(min=dtorch.tensor(0.5)) is x and x.tolist()[0] == 0.5
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                                           "output type Long$"):
        dtorch.tensor([1, 2, 3]).clamp_(min=dtorch.tensor(1.5))
    with pytest.raises(RuntimeError, match=r"^output with shape \[1\] doesn't match the "
                                           r"broadcast shape \[2\]$"):
        dtorch.zeros(1).clamp_(min=dtorch.tensor([0.5, 1.0]))


def test_clamp_in_place_like_torch() -> None:
    torch = pytest.importorskip("torch")
    for mine, theirs in zip(_clamp_in_place(dtorch), _clamp_in_place(torch)):
        assert _bits(mine) == _bits(theirs)


# --- NumPy arrays as operands -----------------------------------------------------------------

@pytest.mark.parametrize(("call", "dtype", "values"), [
    # PyTorch leaves these to NumPy (the array's reflected operator): NumPy's promotion.
    (lambda: dtorch.ones(2) * np.array([1, 2]), "float64", [1.0, 2.0]),
    (lambda: dtorch.ones(2) + np.array(1.5), "float64", [2.5, 2.5]),
    (lambda: dtorch.ones(2) * np.array([1.5, 2.0]), "float64", [1.5, 2.0]),
    (lambda: dtorch.ones(2) * np.array([1.5, 2.0], dtype=np.float32), "float32", [1.5, 2.0]),
    (lambda: dtorch.ones(2) * np.array([1, 2], dtype=np.int32), "float64", [1.0, 2.0]),
    (lambda: dtorch.ones(2) / np.array([1, 2]), "float64", [1.0, 0.5]),
    (lambda: dtorch.tensor([1, 2]) * np.array([1.5, 2.0]), "float64", [1.5, 4.0]),
    (lambda: dtorch.tensor([5.0]) % np.array([2, 3]), "float64", [1.0, 2.0]),
    (lambda: dtorch.tensor([6, 5]) & np.array([3, 3]), "int64", [2, 1]),
])
def test_numpy_array_operands(call: Callable, dtype: str, values: list) -> None:
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


def test_numpy_array_operand_keeps_the_graph() -> None:
    # (PyTorch refuses a tensor that requires grad here: "Can't call numpy() on Tensor that
    # requires grad"; dualgrad records the op, with NumPy's dtype, as its NumPy functions do.)
    x = dtorch.ones(2, requires_grad=True)
    y = x * np.array([1, 2])
    assert y.dtype == dtorch.float64 and y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.dtype == dtorch.float32 and x.grad.tolist() == [1.0, 2.0]


# --- dtypes and accumulation of products and sums ---------------------------------------------

@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda: dtorch.outer(dtorch.tensor([1, 2]), dtorch.tensor([1.0, 2.0])), "float32",
     [[1.0, 2.0], [2.0, 4.0]]),
    (lambda: dtorch.outer(dtorch.tensor([1, 2], dtype=dtorch.int32), dtorch.tensor([1, 2])),
     "int64", [[1, 2], [2, 4]]),
    (lambda: dtorch.tensor([200, 100], dtype=dtorch.uint8).sum(), "int64", 300),
    (lambda: dtorch.tensor([[200, 100]], dtype=dtorch.uint8).sum(1), "int64", [300]),
    (lambda: dtorch.tensor([200, 100], dtype=dtorch.uint8).prod(), "int64", 20000),
    (lambda: dtorch.tensor([[200, 100]], dtype=dtorch.uint8).prod(1), "int64", [20000]),
    (lambda: dtorch.tensor([200, 100], dtype=dtorch.uint8).cumsum(0), "int64", [200, 300]),
    (lambda: dtorch.tensor([200, 100], dtype=dtorch.uint8).cumprod(0), "int64", [200, 20000]),
    (lambda: dtorch.tensor([True, True]).sum(), "int64", 2),
    (lambda: dtorch.tensor([True, True]).prod(), "int64", 1),
    (lambda: dtorch.tensor([True, True]).cumsum(0), "int64", [1, 2]),
    (lambda: dtorch.tensor([1, 2], dtype=dtorch.int32).cumsum(0), "int64", [1, 3]),
    (lambda: dtorch.tensor([1, 2], dtype=dtorch.int8).cumprod(0), "int64", [1, 2]),
])
def test_reduction_dtypes(call: Callable, dtype: str, values: Any) -> None:
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


def test_mean_of_bytes_names_the_dtype() -> None:
    with pytest.raises(RuntimeError, match="Got: Byte$"):
        dtorch.tensor([200], dtype=dtorch.uint8).mean()


def test_float32_cumsum_accumulates_in_float64() -> None:
    assert dtorch.full((10**6,), 0.1).cumsum(0)[-1].item() == 100000.0  # float32: 100958.34
    x = dtorch.ones(10**6, requires_grad=True)
    (x.cumsum(0) * 0.1).sum().backward()  # the reversed cumsum of the gradient too
    assert x.grad.dtype == dtorch.float32 and x.grad[0].item() == 100000.0


def test_cumsum_like_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for dtype, shape, dim in ((np.float32, (10**4,), 0), (np.float32, (7, 300), 1),
                              (np.float32, (300, 7), 0), (np.float16, (1000,), 0)):
        a = (rng.standard_normal(shape) * 10).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        results = []
        for L in (torch, dtorch):
            x = L.tensor(a, requires_grad=True)
            y = x.cumsum(dim)
            y.backward(L.tensor(g))
            results.append((_bits(y), _bits(x.grad)))
        assert results[0] == results[1]


# --- integer powers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda: dtorch.tensor([2, -1, 1]) ** dtorch.tensor([-1, -3, -2]), "int64", [0, -1, 1]),
    (lambda: dtorch.tensor([-2, -1, -1, 1, 0, 5, 3]) ** dtorch.tensor([-2, -4, -5, -7, -3, -1, 2]),
     "int64", [0, 1, -1, 1, 0, 0, 9]),
    (lambda: dtorch.tensor([2, 1]) ** dtorch.tensor(-1), "int64", [0, 1]),
    (lambda: dtorch.tensor([2, -1], dtype=dtorch.int8)
     ** dtorch.tensor([-1, -1], dtype=dtorch.int8),
     "int8", [0, -1]),
    (lambda: dtorch.tensor([3], dtype=dtorch.int8) ** dtorch.tensor([5], dtype=dtorch.int8),
     "int8", [-13]),  # wraps, as in PyTorch
    (lambda: 2 ** dtorch.tensor([-1, 2]), "int64", [0, 4]),
    (lambda: dtorch.pow(1, dtorch.tensor([-1, 2])), "int64", [1, 1]),
])
def test_integer_powers(call: Callable, dtype: str, values: list) -> None:
    out = call()
    assert str(out.dtype) == f"torch.{dtype}" and out.tolist() == values


def test_integer_to_negative_number_power_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"^Integers to negative integer powers are not "
                                           r"allowed\.$"):
        dtorch.tensor([2]) ** -1
