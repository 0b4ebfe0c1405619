"""Gradients at edge inputs, compared with PyTorch: zeros, ties, NaN and infinities,
overflow, and the dtype and dim conventions that smooth random tests never reach.

Each case is written once against a namespace ``L`` (``torch`` or ``dualgrad.torch``), run in
both, and compared exactly: values, dtypes and every leaf's ``.grad`` (None included), with
NaN equal to NaN. Only the sign of a zero is not compared. A few cases are also checked from
the math at the bottom, so that they run without PyTorch.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dgt

inf, nan = float("inf"), float("nan")


def _leaf(L: Any, value: Any, dtype: str = "float64") -> Any:
    return L.tensor(value, dtype=getattr(L, dtype)).requires_grad_(True)


def one(fn: Callable, value: Any, dtype: str = "float64") -> Callable:
    def build(L: Any) -> tuple:
        x = _leaf(L, value, dtype)
        return fn(L, x), [x]
    return build


def two(fn: Callable, a: Any, b: Any, dtype: str = "float64") -> Callable:
    def build(L: Any) -> tuple:
        x, y = _leaf(L, a, dtype), _leaf(L, b, dtype)
        return fn(L, x, y), [x, y]
    return build


def F(L: Any) -> Any:
    return L.nn.functional


def _relu_twice(L: Any) -> tuple:
    x = _leaf(L, [0.5, -1.0, 2.0])
    (g,) = L.autograd.grad(x.relu().sum(), x, create_graph=True)
    (h,) = L.autograd.grad((g * x).sum(), x)  # d/dx of relu'(x) * x: relu'(x) (zeros + it)
    return h, []


CASES = {
    # x ** y with a tensor exponent: 0 ** 0 has derivative 0, not 0 * 0 ** -1 = nan
    "polynomial features at 0": one(lambda L, x: x[:, None] ** L.arange(4), [0.0, 2.0]),
    "pow(x, tensor(0.)) at 0, -0, nan": one(
        lambda L, x: L.pow(x, L.tensor(0.0, dtype=L.float64)), [0.0, -0.0, nan]),
    "x ** y at (0, 0), both leaves": two(lambda L, x, y: x ** y, [0.0], [0.0]),
    "x ** y, exponent grad at base 0": two(lambda L, x, y: x ** y, [0.0, 0.0, 2.0],
                                           [2.0, -1.0, 0.5]),
    "0 ** x": one(lambda L, x: 0.0 ** x, [1.0, 0.0, -1.0]),
    # clamp with tensor bounds: at a tie the whole gradient goes to x
    "clamp(min=tensor) at ties": two(lambda L, x, lo: x.clamp(min=lo), [0.0, 0.5, 1.0],
                                     [0.0, 0.5, 2.0]),
    "clamp(max=tensor) at ties": two(lambda L, x, hi: x.clamp(max=hi), [1.0, 3.0], [1.0, 2.0]),
    "clamp(tensor, tensor) with min > max": one(
        lambda L, x: x.clamp(L.tensor([0.0, 2.0, 0.0], dtype=L.float64),
                             L.tensor([1.0, 1.0, 1.0], dtype=L.float64)), [0.0, 1.5, 1.0]),
    "clamp(0-d tensors) at the bounds": one(
        lambda L, x: x.clamp(L.tensor(0.0, dtype=L.float64), L.tensor(1.0, dtype=L.float64)),
        [0.0, 1.0, 0.5]),
    # mean over no counted target: 0 / 0
    "cross_entropy, every target ignored": one(
        lambda L, x: F(L).cross_entropy(x, L.tensor([-100, -100])), [[1.0, 2.0], [0.0, 0.0]]),
    "nll_loss, every target ignored": one(
        lambda L, x: F(L).nll_loss(x, L.tensor([1]), ignore_index=1), [[1.0, 2.0]]),
    # the denominator's gradient as -g * ((x / y) / y): y * y overflows first
    "float32 a / b, b * b overflows": two(lambda L, a, b: a / b, [1e30], [1e20], "float32"),
    "float32 a / b, b * b underflows": two(lambda L, a, b: a / b, [1e-30], [1e-23], "float32"),
    "float32 x / x.sum(), large sum": one(lambda L, x: x / x.sum(), [3e19, 3e19], "float32"),
    "float64 a / b, b = 1e160": two(lambda L, a, b: a / b, [1e10], [1e160]),
    # softmax without dim: dim 0 for 0-, 1- and 3-D input, else 1
    "softmax without dim, 3-D": one(lambda L, x: F(L).softmax(x), [[[1.0, 2.0], [3.0, 5.0]]]),
    "log_softmax without dim, 2-D": one(lambda L, x: F(L).log_softmax(x),
                                        [[1.0, 2.0], [3.0, 5.0]]),
    # NaN: x.max() shares the gradient among the NaNs; maximum and relu let it through
    "max() with NaN": one(lambda L, x: x.max(), [1.0, nan, 2.0, nan]),
    "min() with NaN": one(lambda L, x: x.min(), [nan, 1.0, nan]),
    "max() with ties": one(lambda L, x: x.max(), [2.0, 1.0, 2.0]),
    "maximum with NaN": two(lambda L, a, b: L.maximum(a, b), [1.0, nan, 2.0],
                            [nan, 1.0, 2.0]),
    "minimum with NaN": two(lambda L, a, b: L.minimum(a, b), [1.0, nan, 2.0],
                            [nan, 1.0, 2.0]),
    "relu at NaN": one(lambda L, x: x.relu(), [nan, 1.0, -1.0]),
    "relu's gradient, differentiated again": _relu_twice,
    # vector norms
    "norm(-inf)": one(lambda L, x: x.norm(-inf), [0.5, 1.0, -2.0]),
    "vector_norm(-inf)": one(lambda L, x: L.linalg.vector_norm(x, -inf), [0.5, 1.0, -2.0]),
    "norm(0): nonzero count, no gradient": one(lambda L, x: x.norm(0), [0.0, 1.0, -2.0]),
    "norm(-1) with a zero": one(lambda L, x: x.norm(-1), [0.0, 1.0, -2.0]),
    "norm(inf) with NaN": one(lambda L, x: x.norm(inf), [1.0, nan, -2.0]),
    "norm(inf) with ties": one(lambda L, x: x.norm(inf), [2.0, -2.0, 1.0]),
    "norm(1) with NaN": one(lambda L, x: x.norm(1), [1.0, nan, -2.0]),
    "norm() underflowing to 0": one(lambda L, x: x.norm(), [1e-200, 1e-200]),
    "norm() at the origin": one(lambda L, x: x.norm(), [0.0, 0.0]),
    "norm(3) at the origin": one(lambda L, x: x.norm(3), [0.0, 0.0]),
    "norm(1.5) at the origin": one(lambda L, x: x.norm(1.5), [0.0, 0.0]),
    # an empty dim list reduces every dimension
    "sum(dim=[])": one(lambda L, x: x.sum(dim=[]), [[1.0, 2.0], [3.0, 4.0]]),
    "mean(dim=[])": one(lambda L, x: x.mean(dim=[]), [[1.0, 2.0], [3.0, 4.0]]),
    "amax(dim=())": one(lambda L, x: x.amax(dim=()), [[1.0, 5.0], [3.0, 4.0]]),
    # a 0-d tensor takes dim 0 (or -1) and reduces its one value
    "0-d sum(0)": one(lambda L, x: x.sum(0), 3.0),
    "0-d mean(-1)": one(lambda L, x: x.mean(-1), 3.0),
    "0-d max(0)": one(lambda L, x: x.max(0)[0], 3.0),
    "0-d prod(0)": one(lambda L, x: x.prod(0), 3.0),
    "0-d cumsum(0)": one(lambda L, x: x.cumsum(0), 3.0),
    "0-d cumprod(0)": one(lambda L, x: x.cumprod(0), 3.0),
    "0-d softmax(0)": one(lambda L, x: x.softmax(0), 3.0),
    # prod: PyTorch's grad * (result / x) when no entry is 0, with its infinities
    "prod with an inf": one(lambda L, x: x.prod(), [1.0, inf, 2.0]),
    "prod overflowing": one(lambda L, x: x.prod(), [1e300, 1e300]),
    "prod(1) with a zero": one(lambda L, x: x.prod(1), [[1.0, 0.0, 3.0], [2.0, 4.0, 5.0]]),
    "prod of an empty tensor": one(lambda L, x: x.prod(), []),
    # cat/stack promote as PyTorch (int with float: float32), and skip a legacy tensor([])
    "cat of int64 and float32": lambda L: (L.cat([L.tensor([1, 2]), L.tensor([0.5])]), []),
    "stack of int64 and float32": lambda L: (L.stack([L.tensor([1, 2]), L.tensor([0.5, 1.5])]),
                                             []),
    "cat onto tensor([])": lambda L: (L.cat([L.tensor([]), L.ones(2, 3)]), []),
    "cat of tensor([]) and int64": lambda L: (L.cat([L.tensor([]), L.tensor([1, 2])]), []),
    "cat of float64 and float32 leaves": two(lambda L, a, b: L.cat([a, b.float()]), [1.0],
                                             [2.0, 3.0]),
    "view of a row slice": one(lambda L, x: x[1:].view(-1), [[1.0, 2.0], [3.0, 4.0]]),
    # empty inputs
    "softmax of an empty tensor": one(lambda L, x: x.softmax(0), []),
    "log_softmax of an empty tensor": one(lambda L, x: x.log_softmax(0), []),
    "logsumexp of an empty tensor": one(lambda L, x: x.logsumexp(0), []),
    "max(1) of a (0, 2) tensor": lambda L: (L.ones(0, 2).max(1)[0], []),
    # binary_cross_entropy: PyTorch's float epsilon, and -logit(p) for the target
    "binary_cross_entropy at p = 0, tiny, 1": two(
        lambda L, p, y: F(L).binary_cross_entropy(p, y), [0.0, 1e-310, 1.0], [0.0, 0.5, 0.0]),
    # softmax's gradient as PyTorch orders it: y * (g - sum(g * y))
    "softmax(0) with weights": one(lambda L, x: x.softmax(0) * L.tensor(
        [1.0, -2.0, 0.5, 3.0], dtype=L.float64), [1.0, 3.0, 3.0, 2.0]),
    # zero derivatives give zeros
    "sign": one(lambda L, x: x.sign(), [0.0, -1.5, 2.0]),
    "sign of nan and inf": one(lambda L, x: x.sign() * x, [nan, -inf, inf, -0.0]),
    "sign of a 0-d nan": one(lambda L, x: x.sign() + x, nan),
    "abs at nan and inf": one(lambda L, x: x.abs(), [nan, -inf, inf, -1.0]),
    "l1_loss at nan": two(lambda L, x, y: F(L).l1_loss(x, y), [nan, 1.0, -2.0], [0.0, nan, 1.0]),
    "x ** 0 at 0": one(lambda L, x: x ** 0, [0.0, 3.0]),
    # linear algebra with NaN: NaN out (LAPACK's LU would pivot around it)
    "det with NaN": one(lambda L, a: L.linalg.det(a), [[nan, 1.0], [1.0, 1.0]]),
    "inv with NaN": one(lambda L, a: L.linalg.inv(a), [[nan, 1.0], [1.0, 1.0]]),
    "solve with NaN": one(lambda L, a: L.linalg.solve(a, L.ones(2, dtype=L.float64)),
                          [[nan, 1.0], [1.0, 1.0]]),
    "batched inv, one with NaN": one(lambda L, a: L.linalg.inv(a),
                                     [[[nan, 1.0], [1.0, 1.0]], [[2.0, 1.0], [1.0, 1.0]]]),
    # dtypes
    "int64.clamp(min=0.5)": lambda L: (L.tensor([0, 1, -2, 3]).clamp(min=0.5), []),
    "bool.clamp(0, 1)": lambda L: (L.tensor([True, False]).clamp(0, 1), []),
    "int64.clamp(min=float tensor)": lambda L: (
        L.tensor([1, 2]).clamp(min=L.tensor([1.5, 0.5])), []),
    "bool.square()": lambda L: (L.tensor([True, False]).square(), []),
    "bool.sign()": lambda L: (L.tensor([True, False]).sign(), []),
    "float16 erf": one(lambda L, x: x.erf(), [0.5, -1.0], "float16"),
    "int64.logsumexp(0)": lambda L: (L.tensor([1, 2]).logsumexp(0), []),
    "where(c, int64, 0.5)": lambda L: (L.where(L.tensor([1, -1]) > 0, L.tensor([1, -1]), 0.5),
                                       []),
    "where(c, float64, float32)": two(lambda L, a, b: L.where(a > 0, a, b.float()),
                                      [1.0, -1.0], [2.0, 3.0]),
}


def _run(L: Any, build: Callable) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecations and NumPy's overflow notes
        out, leaves = build(L)
        result = {"value": out.detach().numpy().copy(), "dtype": str(out.dtype)}
        if out.requires_grad:
            out.backward(L.ones_like(out))
        result["grads"] = [None if x.grad is None else x.grad.numpy().copy() for x in leaves]
    return result


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_input_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    theirs, ours = _run(torch, CASES[name]), _run(dgt, CASES[name])
    assert ours["dtype"] == theirs["dtype"]
    assert _same(ours["value"], theirs["value"]), (ours["value"], theirs["value"])
    assert len(ours["grads"]) == len(theirs["grads"])
    for mine, reference in zip(ours["grads"], theirs["grads"], strict=True):
        assert _same(mine, reference), (mine, reference)


# --- from the math, without PyTorch --------------------------------------------------------------

def test_polynomial_features_have_a_finite_gradient_at_zero() -> None:
    x = dg.tensor([0.0, 2.0], dtype=dg.float64, requires_grad=True)
    (x[:, None] ** dg.arange(4)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1 + 2 * 2 + 3 * 4])


def test_a_clamp_tie_sends_the_gradient_to_the_input() -> None:
    x = dg.tensor([0.0, 0.5, 1.0], dtype=dg.float64, requires_grad=True)
    lo = dg.tensor([0.0, 0.5, 2.0], dtype=dg.float64, requires_grad=True)
    y = x.clamp(min=lo)
    assert y.grad_fn.name() == "ClampBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0.0, 0.0, 1.0])


def test_the_quotients_gradient_does_not_overflow() -> None:
    a = dg.tensor([1e30], requires_grad=True)
    b = dg.tensor([1e20], requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [-1e-10], rtol=1e-6)


def test_relus_gradient_can_be_differentiated_again() -> None:
    x = dg.tensor([0.5, -1.0], requires_grad=True)
    (g,) = dg.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "ThresholdBackwardBackward0"
    (h,) = dg.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0])


def test_softmax_without_dim_warns_and_picks_pytorchs_dim() -> None:
    x = dg.tensor([[1.0, 2.0], [3.0, 5.0]])
    with pytest.warns(UserWarning, match="^Implicit dimension choice for softmax has been "
                                         "deprecated"):
        y = dg.nn.functional.softmax(x)
    np.testing.assert_allclose(y.sum(1).numpy(), [1.0, 1.0], rtol=1e-6)


def test_norms_negative_infinity_and_zero() -> None:
    x = dg.tensor([0.5, 1.0, -2.0, 0.0], dtype=dg.float64, requires_grad=True)
    assert x.norm(-inf).item() == 0.0
    assert x.norm(0).item() == 3.0
    x.norm(0).backward()
    assert x.grad is None
    assert dg.tensor([0.5, -3.0]).norm(-inf).item() == 0.5


def test_cross_entropy_over_no_counted_target_is_nan() -> None:
    scores = dg.tensor([[1.0, 2.0]], requires_grad=True)
    loss = dg.nn.functional.cross_entropy(scores, dg.tensor([-100]))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(scores.grad.numpy(), [[0.0, 0.0]])


SINGULAR = {
    "inv": lambda L: L.linalg.inv(L.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "inverse": lambda L: L.inverse(L.tensor([[0.0, 0.0], [0.0, 1.0]])),
    "batched inv": lambda L: L.linalg.inv(L.stack([L.eye(2), L.zeros(2, 2)])),
    "solve": lambda L: L.linalg.solve(L.zeros(2, 2), L.ones(2)),
    "batched solve": lambda L: L.linalg.solve(L.stack([L.eye(2), L.zeros(2, 2)]),
                                              L.ones(2, 2)),
}


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_a_singular_matrix_raises_pytorchs_error(name: str) -> None:
    with pytest.raises(dg.linalg.LinAlgError) as ours:
        SINGULAR[name](dgt)
    assert isinstance(ours.value, RuntimeError)
    torch = pytest.importorskip("torch")
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        SINGULAR[name](torch)
    assert str(ours.value) == str(theirs.value)


def test_singular_error_texts_from_the_source() -> None:
    with pytest.raises(RuntimeError, match=r"^linalg\.inv: \(Batch element 1\): The diagonal "
                       r"element 1 is zero, the inversion could not be completed because the "
                       r"input matrix is singular\.$"):
        dg.linalg.inv(dg.stack([dg.eye(2), dg.zeros(2, 2)]))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.solve: The solver failed because "
                       r"the input matrix is singular\.$"):
        dg.linalg.solve(dg.zeros(2, 2), dg.ones(2))


WRONG_DTYPE = {
    "int64.var()": lambda L: L.tensor([1, 2]).var(),
    "int64.std(0)": lambda L: L.tensor([1, 2]).std(0),
    "int64.norm()": lambda L: L.tensor([1, 2]).norm(),
    "int64.softmax(0)": lambda L: L.tensor([1, 2]).softmax(0),
    "int64.softmax(0) of 2-D": lambda L: L.tensor([[1, 2]]).softmax(0),
    "int64.log_softmax(1)": lambda L: L.tensor([[1, 2]]).log_softmax(1),
    "int64 ** -1": lambda L: L.tensor([1, 2]) ** -1,
    "bool.relu()": lambda L: L.tensor([True]).relu(),
    "bool.abs()": lambda L: L.tensor([True]).abs(),
    # products of mismatched dtypes or shapes (feeding float64 NumPy data to a float32 model)
    "Linear on float64 input": lambda L: L.nn.Linear(4, 2)(L.ones(3, 4, dtype=L.float64)),
    "Linear on int64 input": lambda L: L.nn.Linear(4, 2)(L.ones(3, 4, dtype=L.int64)),
    "Linear on the wrong width": lambda L: L.nn.Linear(4, 2)(L.ones(3, 5)),
    "Linear on a 3-D batch of the wrong width": lambda L: L.nn.Linear(4, 2)(L.ones(2, 3, 5)),
    "Linear on a vector of the wrong width": lambda L: L.nn.Linear(4, 2)(L.ones(5)),
    "float32 @ float64": lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64),
    "float32 @ int64": lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.int64),
    "vector @ float64 matrix": lambda L: L.ones(2) @ L.ones(2, 2, dtype=L.float64),
    "dot of float32 and float64": lambda L: L.ones(2).dot(L.ones(2, dtype=L.float64)),
    "mv of float32 and float64": lambda L: L.ones(2, 2).mv(L.ones(2, dtype=L.float64)),
    "batched float32 @ float64": lambda L: L.ones(3, 2, 2) @ L.ones(3, 2, 2, dtype=L.float64),
    # shapes and dims
    "cat of mismatched sizes": lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)]),
    "cat of different ranks": lambda L: L.cat([L.ones(2, 3), L.ones(3)]),
    "cat along dim 2 of matrices": lambda L: L.cat([L.ones(2, 3), L.ones(2, 3)], dim=2),
    "cat of 0-d tensors": lambda L: L.cat([L.tensor(1.0), L.tensor(2.0)]),
    "cat of nothing": lambda L: L.cat([]),
    "stack of mismatched sizes": lambda L: L.stack([L.ones(2, 3), L.ones(2, 3), L.ones(2, 4)]),
    "stack along dim 3 of matrices": lambda L: L.stack([L.ones(2, 3), L.ones(2, 3)], dim=3),
    "stack of nothing": lambda L: L.stack([]),
    "unsqueeze(3) of a matrix": lambda L: L.ones(2, 3).unsqueeze(3),
    "squeeze(2) of a matrix": lambda L: L.ones(2, 3).squeeze(2),
    "transpose(0, 2) of a matrix": lambda L: L.ones(2, 3).transpose(0, 2),
    "flip(2) of a matrix": lambda L: L.ones(2, 3).flip(2),
    "expand to a mismatched size": lambda L: L.ones(2, 3, 4).expand(2, 5, 4),
    "expand to fewer dims": lambda L: L.ones(2, 3).expand(3),
    "view of a transpose": lambda L: L.arange(6.0).reshape(2, 3).t().view(6),
    "view of a column slice": lambda L: L.ones(3, 4)[:, :2].view(-1),
    "view(-1, -1)": lambda L: L.ones(6).view(-1, -1),
    "view(4, -1) of 6": lambda L: L.ones(6).view(4, -1),
    "index 5 of 5": lambda L: L.arange(5.0)[5],
    "index -6 of 5": lambda L: L.arange(5.0)[-6],
    "index [:, 3] of 2x3": lambda L: L.ones(2, 3)[:, 3],
    "index of a 0-d tensor": lambda L: L.tensor(1.0)[0],
    "setitem at 5 of 5": lambda L: L.arange(5.0).__setitem__(5, 1.0),
    # class-index targets of the wrong dtype
    "cross_entropy with float (N,) targets": lambda L: L.nn.functional.cross_entropy(
        L.ones(2, 3), L.tensor([0.0, 1.0])),
    "cross_entropy with int32 targets": lambda L: L.nn.functional.cross_entropy(
        L.ones(2, 3), L.tensor([0, 1], dtype=L.int32)),
    "nll_loss with float targets": lambda L: L.nn.functional.nll_loss(
        L.ones(2, 3), L.tensor([0.0, 1.0])),
    # writing into a leaf that requires grad: through a view (x[0] = v) or not (x[mask] = v)
    "x[0] = 5 on a leaf": lambda L: L.ones(3, requires_grad=True).__setitem__(0, 5.0),
    "x[:2] = 5 on a leaf": lambda L: L.ones(3, requires_grad=True).__setitem__(slice(0, 2), 5.0),
    "x[mask] = 5 on a leaf": lambda L: L.ones(3, requires_grad=True).__setitem__(
        L.tensor([True, False, True]), 5.0),
    # a number the dtype cannot hold
    "float32 clamp(max=1e300)": lambda L: L.tensor([1.0]).clamp(max=1e300),
    "float16 clamp(min=-1e39)": lambda L: L.tensor([1.0], dtype=L.float16).clamp(min=-1e39),
    "float32 masked_fill 1e300": lambda L: L.tensor([1.0]).masked_fill(L.tensor([True]), 1e300),
    "float32 fill_ 1e300": lambda L: L.tensor([1.0]).fill_(1e300),
    "float32 full 1e300": lambda L: L.full((2,), 1e300, dtype=L.float32),
}


DIM_OUT_OF_RANGE = {
    "sum(2)": lambda L: L.ones(2, 3).sum(2),
    "mean(-3)": lambda L: L.ones(2, 3).mean(-3),
    "max(5)": lambda L: L.ones(2, 3).max(5),
    "amax([0, 2])": lambda L: L.ones(2, 3).amax([0, 2]),
    "argmax(2)": lambda L: L.ones(2, 3).argmax(2),
    "cumsum(2)": lambda L: L.ones(2, 3).cumsum(2),
    "softmax(2)": lambda L: L.ones(2, 3).softmax(2),
    "0-d sum(1)": lambda L: L.tensor(1.0).sum(1),
    "var(3)": lambda L: L.ones(2, 3).var(3),
}


@pytest.mark.parametrize("name", sorted(DIM_OUT_OF_RANGE))
def test_a_dim_out_of_range_raises_pytorchs_index_error(name: str) -> None:
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range "
                                         r"of \[-\d, \d\], but got -?\d\)$") as ours:
        DIM_OUT_OF_RANGE[name](dgt)
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError) as theirs:
        DIM_OUT_OF_RANGE[name](torch)
    assert str(ours.value) == str(theirs.value)


EMPTY = {
    "max()": lambda L: L.ones(0).max(),
    "min()": lambda L: L.ones(0).min(),
    "amax()": lambda L: L.ones(0).amax(),
    "argmax()": lambda L: L.ones(0).argmax(),
    "argmax(0)": lambda L: L.ones(0, 2).argmax(0),
    "argmin(-2)": lambda L: L.ones(0, 2).argmin(-2),
    "max(0)": lambda L: L.ones(0, 2).max(0),
    "binary_cross_entropy with NaN": lambda L: L.nn.functional.binary_cross_entropy(
        L.tensor([nan]), L.tensor([1.0])),
}


@pytest.mark.parametrize("name", sorted(WRONG_DTYPE) + sorted(EMPTY))
def test_a_refused_call_raises_pytorchs_error(name: str) -> None:
    """A dtype the op refuses, a number the dtype cannot hold, or a reduction over nothing:
    PyTorch's exception and text."""
    call = WRONG_DTYPE.get(name) or EMPTY[name]
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(dgt)
    assert str(ours.value) == str(theirs.value)


# Ops whose forward has PyTorch's bits (no libm functions): their rules group products as
# PyTorch's formulas do, so the gradients have its bits too, at ordinary values. (sqrt and
# std are not here: PyTorch's float32 sqrt gradient differs in the last bit, though it is
# written grad / (2 * result) there too.)
SAME_BITS = {
    "reciprocal": lambda L, x, y: x.reciprocal(),
    "rsqrt": lambda L, x, y: x.abs().rsqrt(),
    "square": lambda L, x, y: x.square(),
    "x ** 3": lambda L, x, y: x ** 3,
    "x / y": lambda L, x, y: x / y,
    "3 / y": lambda L, x, y: 3.0 / y,
    "x * y": lambda L, x, y: x * y,
    "relu": lambda L, x, y: x.relu(),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "mse_loss": lambda L, x, y: F(L).mse_loss(x, y).reshape(1),
    "mse_loss sum": lambda L, x, y: F(L).mse_loss(x, y, reduction="sum").reshape(1),
    "var": lambda L, x, y: x.var(0),
    "prod(1)": lambda L, x, y: x.prod(1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SAME_BITS))
def test_rules_round_as_pytorchs(name: str, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    a, b = (rng.standard_normal((4, 5)) * 10.0 ** rng.uniform(-3, 3, (4, 5)) for _ in "ab")
    results = []
    for L in (torch, dgt):
        x = L.tensor(a, dtype=getattr(L, dtype), requires_grad=True)
        y = L.tensor(b, dtype=getattr(L, dtype), requires_grad=True)
        out = SAME_BITS[name](L, x, y)
        seed = np.random.default_rng(3).standard_normal(tuple(out.shape))
        out.backward(L.tensor(seed, dtype=out.dtype))
        results.append([None if t.grad is None else t.grad.numpy() for t in (x, y)])
    for theirs, ours in zip(*results, strict=True):
        assert _same(ours, theirs), (ours, theirs)


def test_sign_of_nan_is_zero_as_in_pytorch() -> None:
    x = dg.tensor([nan, -inf, inf, -2.0, 0.0], dtype=dg.float64, requires_grad=True)
    y = x.sign()
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, -1.0, 1.0, -1.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(5))
    assert dg.tensor(nan).sign().item() == 0.0  # 0-d: NumPy gives a scalar there


def test_numpy_runtime_warnings_from_inside_dualgrad_are_dropped() -> None:
    # PyTorch computes these inf and nan silently; NumPy's warning would name a line of
    # dualgrad. Run as a script runs (pytest restores the warning filters it found before
    # collection, so the filter dualgrad installs at import is not active in tests).
    script = """
import numpy as np
import dualgrad as dg
x = dg.tensor([0.0, 1.0], requires_grad=True)
(dg.sqrt(x) * x).sum().backward()
dg.tensor([-1.0, 0.0]).log()
np.log(dg.tensor([0.0]))
assert np.isnan(x.grad.numpy()[0])
np.log(np.array([0.0]))  # the user's own NumPy call still warns
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    warned = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 1  # the user's line (<string>), not dualgrad's
    assert warned[0].startswith("<string>:")
    assert warned[0].endswith("RuntimeWarning: divide by zero encountered in log")



def test_a_legacy_empty_tensor_in_cat_gets_an_empty_gradient() -> None:
    # PyTorch skips a tensor([]) among tensors of more dimensions but keeps it in the graph:
    # its gradient is empty, not "unused".
    e = dgt.ones(0, requires_grad=True)
    b = dgt.ones(2, 3, requires_grad=True)
    ge, gb = dgt.autograd.grad(dgt.cat([b, e, b], 1).sum(), [e, b])
    assert ge.shape == (0,)
    np.testing.assert_array_equal(gb.numpy(), np.full((2, 3), 2.0))
    c = dgt.tensor([1.0, 2.0], requires_grad=True)
    y = dgt.cat([e, c, e]) * dgt.tensor([3.0, 4.0])  # all 1-D: nothing skipped
    ge, gc = dgt.autograd.grad(y.sum(), [e, c])
    assert ge.shape == (0,)
    assert gc.tolist() == [3.0, 4.0]
