"""The same programs in dualgrad and in PyTorch: same values, same gradients, same grad_fn names.

PyTorch is an optional oracle: without it this module is skipped. Every program is written
once against a namespace ``T`` that is either ``dualgrad.torch`` or ``torch``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualgrad.torch as dgt

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1234)


def as_numpy(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def run_both(program: Callable, inputs: list[np.ndarray], grad_mask: list[bool] | None = None,
             gradient: np.ndarray | None = None) -> tuple[dict, dict]:
    """Run ``program(T, *tensors)`` in both frameworks; backward from its output.

    Returns, per framework, the output, the input tensors and the output's grad_fn name.
    """
    results = {}
    for name, T in (("dg", dgt), ("torch", torch)):
        mask = grad_mask or [a.dtype.kind == "f" for a in inputs]
        tensors = [T.tensor(a.copy(), requires_grad=m) for a, m in zip(inputs, mask)]
        out = program(T, *tensors)
        node = out.grad_fn.name() if out.grad_fn is not None else None
        if gradient is None:
            out.backward()
        else:
            out.backward(T.tensor(gradient))
        results[name] = {"out": out, "inputs": tensors, "node": node}
    return results["dg"], results["torch"]


def assert_same(program: Callable, inputs: list[np.ndarray], *, rtol: float = 2e-5,
                atol: float = 1e-6, check_node: bool = True, **kwargs: Any) -> None:
    ours, theirs = run_both(program, inputs, **kwargs)
    if check_node:
        assert ours["node"] == theirs["node"]
    assert ours["out"].shape == tuple(theirs["out"].shape)
    assert str(ours["out"].dtype) == str(theirs["out"].dtype)
    np.testing.assert_allclose(as_numpy(ours["out"]), as_numpy(theirs["out"]), rtol=rtol,
                               atol=atol)
    for a, b in zip(ours["inputs"], theirs["inputs"]):
        if b.grad is None:
            assert a.grad is None
        else:
            assert a.grad is not None and a.grad.shape == tuple(b.grad.shape)
            np.testing.assert_allclose(as_numpy(a.grad), as_numpy(b.grad), rtol=rtol * 10,
                                       atol=atol * 10)


def f32(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


# --------------------------------------------------------------------------------------------
# the seed graphs


def test_seed000_graph() -> None:
    assert_same(lambda T, x: ((x + 2) * (x + 2) * 2).mean(), [f32(3)])
    v = np.array([0.1, 1.0, 0.001], dtype=np.float32)
    assert_same(lambda T, x: (x + 2) * (x + 2) * 2, [f32(3)], gradient=v)
    assert_same(lambda T, w: (w * 10).sum(), [np.ones(4, np.float32)])


def test_seed001_graph() -> None:
    x, y = np.ones(5, np.float32), np.zeros(3, np.float32)
    W, b = RNG.random((5, 3)).astype(np.float32), RNG.random(3).astype(np.float32)
    assert_same(lambda T, x, W, b, y: T.nn.functional.binary_cross_entropy_with_logits(
        T.matmul(x, W) + b, y), [x, W, b, y], grad_mask=[False, True, True, False])
    inp = np.eye(4, 5, dtype=np.float32)
    assert_same(lambda T, i: (i + 1).pow(2).t(), [inp], gradient=np.ones((5, 4), np.float32))


def test_seed002_graphs() -> None:
    assert_same(lambda T, x: 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1,
                [np.array(2.0, np.float32)])
    assert_same(lambda T, x: (2 * (3 * x + 2) ** 2).mean(),
                [np.array([[1.0, 2, 3], [3, 2, 1]], np.float32)])

    def rnn(T, Wh, Wx, h, x):
        return (T.mm(Wh, h.t()) + T.mm(Wx, x.t()) + 5).tanh().sum()

    assert_same(rnn, [f32(3, 3) * 0.3, f32(3, 2) * 0.3, f32(1, 3), f32(1, 2)],
                grad_mask=[True, True, False, False])


def test_seed003_graphs() -> None:
    for program in (lambda T, x: x**2, lambda T, x: 2 * x, lambda T, x: 9 / x,
                    lambda T, x: 8 - x, lambda T, x: 11 + x, lambda T, x: T.sin(x**2),
                    lambda T, x: 2 * x * T.cos(x**2)):
        assert_same(program, [np.array(3.0, np.float32)])
    x = np.linspace(0, 3.0, 20).astype(np.float32)
    assert_same(lambda T, x: T.sin(x**2).sum(), [x])


def test_seed003_retain_grad_matches() -> None:
    grads = []
    for T in (dgt, torch):
        x = T.tensor(np.linspace(0, 3.0, 20), dtype=T.float32, requires_grad=True)
        y = x**2
        y.retain_grad()
        T.sin(y).sum().backward()
        grads.append((as_numpy(y.grad), as_numpy(x.grad)))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_seed004_graphs() -> None:
    x = np.array([[1, 3], [2, 2]], np.float32)
    assert_same(lambda T, x: (3 * (x + 2) ** 2).sum(), [x])
    assert_same(lambda T, x: ((x + 2) * (x + 2)).mean(), [x])
    assert_same(lambda T, x: 2 * x + x * x * 3, [np.array([3.0], np.float32)])
    g = np.array([[2, 2, 2], [3, 4, 5]], np.float32)
    v = np.array([[1, 1, 2], [2, 2, 2]], np.float32)
    assert_same(lambda T, g: g * g * g + 3 * g, [g], gradient=v)


# --------------------------------------------------------------------------------------------
# composite graphs


def test_mlp_cross_entropy() -> None:
    def mlp(T, x, W1, b1, W2, b2, target):
        h = T.tanh(x @ W1 + b1)
        s = T.sigmoid(h) * h
        logits = s @ W2 + b2
        return T.nn.functional.cross_entropy(logits, target)

    target = np.array([0, 2, 1, 2, 0], dtype=np.int64)
    assert_same(mlp, [f32(5, 4), f32(4, 6) * 0.5, f32(6) * 0.1, f32(6, 3) * 0.5, f32(3) * 0.1,
                      target])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_variants(reduction: str, smoothing: float) -> None:
    x = f32(4, 3)
    probs = RNG.dirichlet(np.ones(3), size=4).astype(np.float32)

    def weighted(T, loss):
        # a non-uniform cotangent for reduction="none"
        return (loss * T.arange(1.0, 5.0)).sum() if reduction == "none" else loss

    def ce(T, a, t, **kw):
        return T.nn.functional.cross_entropy(a, t, reduction=reduction,
                                             label_smoothing=smoothing, **kw)

    # The composite forms (probabilities, smoothing) print other grad_fn names than
    # PyTorch's fused kernel; values and gradients must agree.
    assert_same(lambda T, a, t: weighted(T, ce(T, a, t)), [x, np.array([0, 2, 1, 2])],
                check_node=False)
    assert_same(lambda T, a, t: weighted(T, ce(T, a, t, ignore_index=1)),
                [x, np.array([0, 1, 1, 2])], check_node=False)
    assert_same(lambda T, a, t: weighted(T, ce(T, a, t)), [x, probs],
                grad_mask=[True, False], check_node=False)
    assert_same(lambda T, a, t: ce(T, a, t).sum(), [x[0], np.array(2)], check_node=False)


def test_softmax_log_softmax_mse() -> None:
    x, t = f32(4, 5), f32(4, 5)
    assert_same(lambda T, x: (T.softmax(x, dim=1) * T.arange(5.0)).sum(), [x])
    assert_same(lambda T, x: T.log_softmax(x, dim=0)[1:3].sum(), [x])
    assert_same(lambda T, x, t: T.nn.functional.mse_loss(T.relu(x), t), [x, t],
                grad_mask=[True, False])
    assert_same(lambda T, x, t: T.nn.functional.binary_cross_entropy_with_logits(x, t.sigmoid()),
                [x, t])


def test_broadcasting() -> None:
    assert_same(lambda T, a, b, c: ((a * b + c) / (1 + b * b)).sum(),
                [f32(4, 1, 3), f32(2, 1), f32(3)])
    assert_same(lambda T, a, b: (a - b).abs().mean(dim=1).sum(), [f32(5, 3), f32(1, 3)])
    assert_same(lambda T, a, b: T.matmul(a, b).exp().sum(), [f32(2, 1, 3, 4) * 0.3,
                                                            f32(5, 4, 2) * 0.3])


def test_indexing() -> None:
    x = f32(5, 4)
    assert_same(lambda T, x: x[1:4, ::2].sum() + x[-1].prod(), [x])
    idx = np.array([0, 2, 2, 4, 0])  # repeated indices accumulate
    assert_same(lambda T, x: (x[T.tensor(idx)] ** 2).sum(), [x])
    assert_same(lambda T, x: x[x > 0].sum() + x[:, [1, 1, 3]].mean(), [x])


def test_inplace_on_non_leaf() -> None:
    def program(T, x, w):
        y = x * w
        y.mul_(3)
        y += 1
        y[0] = w * x[2] * 2
        y.exp_()
        return y.sum()

    assert_same(program, [f32(3, 2) * 0.3, f32(2) * 0.3])


def test_reductions() -> None:
    x = f32(3, 4)
    assert_same(lambda T, x: x.max(dim=1).values.sum() + x.min(), [x])
    assert_same(lambda T, x: x.var(dim=0).sum() + x.std(), [x])
    assert_same(lambda T, x: T.logsumexp(x, dim=1).sum() + x.norm(), [x])
    assert_same(lambda T, x: x.cumsum(dim=1).sum() + x.amax(dim=0).mean(), [x])


def test_second_derivative() -> None:
    values = []
    for T in (dgt, torch):
        x = T.tensor([0.3, -1.2], dtype=T.float64, requires_grad=True)
        y = (T.tanh(x) * x**3).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        values.append((as_numpy(g), as_numpy(h)))
    for ours, theirs in zip(*values):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_dtype_promotion_matches() -> None:
    cases = [
        lambda T: T.ones(2) * 2.0,
        lambda T: T.tensor([1, 2]) * 2.5,
        lambda T: T.tensor([1, 2]) / 2,
        lambda T: T.ones(2) + T.tensor([1, 2]),
        lambda T: T.tensor(2.0, dtype=T.float64) * T.ones(3),
        lambda T: T.ones(3, dtype=T.float64) * T.tensor(2.0),
        lambda T: T.ones(2) + np.float64(2.0),
        lambda T: T.tensor(np.ones(2)),
        lambda T: T.tensor([1, 2]) + True,
    ]
    for make in cases:
        ours, theirs = make(dgt), make(torch)
        assert str(ours.dtype) == str(theirs.dtype)


def test_printed_forms_match() -> None:
    def show(T):
        x = T.tensor([[1.0, 2, 3], [3, 2, 1]], requires_grad=True)
        y = 3 * x + 2
        return [repr(x), repr(y), repr(2 * y**2), repr((2 * y**2).mean()),
                repr(T.tensor([0.1, 1.0, 0.001]) * 100), repr(T.tensor(3.0) / 7)]

    assert show(dgt) == show(torch)


_DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
_BINARY = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "sub": lambda a, b: a - b, "rsub": lambda a, b: b - a, "rdiv": lambda a, b: b / a,
    "pow": lambda a, b: a ** b, "radd": lambda a, b: b + a, "rmul": lambda a, b: b * a,
}


def _ones(T, dtype: str, ndim: int) -> Any:
    return T.ones((2,) * ndim, dtype=T.bool if dtype == "bool" else getattr(T, dtype))


def _result_dtype(op: Callable, *args: Any) -> str:
    try:
        return str(op(*args).dtype)
    except (RuntimeError, TypeError) as e:
        return type(e).__name__


@pytest.mark.parametrize("dtype", _DTYPES)
def test_promotion_with_scalars_matches(dtype: str) -> None:
    # Python and NumPy scalars on either side never upcast a tensor of the same kind.
    scalars = [2, 2.5, np.float64(2.5), np.int32(2), np.float32(2.5)]
    for ndim in (0, 1):
        for scalar in scalars:
            for name, op in _BINARY.items():
                if dtype == "bool" and name in ("sub", "rsub"):
                    continue  # PyTorch refuses ``-`` on bool tensors; dualgrad computes it
                ours = _result_dtype(op, _ones(dgt, dtype, ndim), scalar)
                theirs = _result_dtype(op, _ones(torch, dtype, ndim), scalar)
                assert ours == theirs, (name, dtype, ndim, scalar)


def test_promotion_between_tensors_matches() -> None:
    for a, b in [(a, b) for a in _DTYPES for b in _DTYPES]:
        for na, nb in ((0, 0), (0, 1), (1, 0), (1, 1)):
            for name in ("add", "mul", "div"):
                op = _BINARY[name]
                ours = _result_dtype(op, _ones(dgt, a, na), _ones(dgt, b, nb))
                theirs = _result_dtype(op, _ones(torch, a, na), _ones(torch, b, nb))
                assert ours == theirs, (name, a, na, b, nb)
