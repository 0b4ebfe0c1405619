"""Higher-order derivatives through the engine (``create_graph``), and the public
``dg.autograd.gradcheck`` / ``gradgradcheck`` (PyTorch's signature)."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad as dg
from dualgrad._registry import REGISTRY, defop
from dualgrad.autograd import GradcheckError, gradcheck, gradgradcheck


def leaf(values, dtype=dg.float64) -> dg.Tensor:
    return dg.tensor(values, dtype=dtype, requires_grad=True)


# --- gradcheck / gradgradcheck --------------------------------------------------------------


def test_gradcheck_passes_on_correct_gradients(rng: np.random.Generator) -> None:
    a = leaf(rng.normal(size=(2, 3)))
    b = leaf(rng.normal(size=(3,)))
    assert gradcheck(lambda x, y: dg.tanh(x * y) @ y, (a, b)) is True
    assert gradgradcheck(lambda x, y: dg.tanh(x * y) @ y, (a, b)) is True


def test_gradcheck_tuple_outputs_and_non_differentiated_inputs(rng: np.random.Generator
                                                              ) -> None:
    x = leaf(rng.normal(size=3))
    w = dg.tensor(rng.normal(size=3), dtype=dg.float64)  # a constant, reaches func as a Tensor

    def f(a, b, scale):
        return a.exp() * b, (a * scale).sum()

    assert gradcheck(f, (x, w, 2.0))
    assert gradgradcheck(f, (x, w, 2.0))


def test_gradgradcheck_with_given_grad_outputs(rng: np.random.Generator) -> None:
    x = leaf(rng.uniform(0.5, 1.5, size=4))
    assert gradgradcheck(lambda t: t.log() * t, (x,), dg.tensor(rng.normal(size=4)))


def test_gradcheck_float32_inputs_are_checked_in_float64(rng: np.random.Generator) -> None:
    x = leaf(rng.normal(size=3), dtype=dg.float32)
    assert gradcheck(lambda t: (t ** 3).sum(), x)


def _wrong_op(name: str, second_wrong: bool):
    # A user op whose first derivative (or only its second) is wrong.
    if second_wrong:
        # d/dx x^3 is right, but the rule uses a non-differentiable detour (a constant 3 x^2
        # computed outside the graph), so its own derivative is zero instead of 6x.
        def rule(g, ans, x):
            return g * (3 * np.asarray(x._data if isinstance(x, dg.Tensor) else x) ** 2)
    else:
        def rule(g, ans, x):
            return g * 2 * x * x

    return defop(name, lambda x: x ** 3, vjp=(rule,))


@pytest.fixture
def wrong_ops():
    names = ["test_wrong_first", "test_wrong_second"]
    ops = _wrong_op(names[0], False), _wrong_op(names[1], True)
    yield ops
    for n in names:
        REGISTRY.pop(n, None)


def test_gradcheck_detects_a_wrong_first_derivative(wrong_ops) -> None:
    wrong_first, _ = wrong_ops
    x = leaf([0.5, 1.5])
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(wrong_first, (x,))
    assert gradcheck(wrong_first, (x,), raise_exception=False) is False
    assert isinstance(GradcheckError("x"), RuntimeError)


def test_gradgradcheck_detects_a_wrong_second_derivative(wrong_ops) -> None:
    _, wrong_second = wrong_ops
    x = leaf([0.5, 1.5])
    assert gradcheck(wrong_second, (x,))
    assert gradgradcheck(wrong_second, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="second-order"):
        gradgradcheck(wrong_second, (x,))


def test_gradcheck_needs_an_input_that_requires_grad() -> None:
    with pytest.raises(ValueError, match=r"^gradcheck expects at least one input tensor to "
                                         r"require gradient"):
        gradcheck(lambda t: t * 2, (dg.tensor([1.0]),))


# --- higher order through the engine ---------------------------------------------------------


def test_hessian_vector_product_with_autograd_grad(rng: np.random.Generator) -> None:
    a = rng.normal(size=(3, 3))
    sym = a + a.T
    x = leaf(rng.normal(size=3))
    f = 0.5 * (x @ dg.tensor(sym) @ x) + dg.sin(x).sum()
    (g,) = dg.autograd.grad(f, x, create_graph=True)
    v = dg.tensor(rng.normal(size=3))
    (hv,) = dg.autograd.grad(g, x, grad_outputs=v)
    expected = (sym - np.diag(np.sin(x.detach().numpy()))) @ v.numpy()
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-12)


def test_backward_create_graph_then_backward_again() -> None:
    x = leaf(1.2)
    y = x ** 4
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == pytest.approx(4 * 1.2 ** 3)
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(12 * 1.2 ** 2)


def test_nested_gradient_tapes_third_order() -> None:
    x = dg.Variable(0.3, dtype=dg.float64)
    with dg.GradientTape() as t3:
        with dg.GradientTape() as t2:
            with dg.GradientTape() as t1:
                y = dg.exp(x) * dg.sin(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    # (e^x sin x)''' = 2 e^x (cos x - sin x)
    assert float(d3) == pytest.approx(2 * np.exp(0.3) * (np.cos(0.3) - np.sin(0.3)), rel=1e-12)


def test_functional_hessian_agrees_with_tape_jacobian_of_gradient(rng: np.random.Generator
                                                                  ) -> None:
    x0 = rng.normal(size=3)

    def f(v):
        return (v ** 2).sum() * dg.tanh(v).sum()

    x = dg.Variable(x0)
    with dg.GradientTape(persistent=True) as outer:
        with dg.GradientTape() as inner:
            y = f(x)
        g = inner.gradient(y, x)
    h_tape = outer.jacobian(g, x)
    np.testing.assert_allclose(dg.hessian(f)(x0), np.asarray(h_tape._data), rtol=1e-10)


@pytest.mark.parametrize("module", ["dualgrad.functional", "dualgrad._function",
                                    "dualgrad._gradcheck", "dualgrad.diagnose", "dualgrad.viz",
                                    "dualgrad.autograd.functional"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- derivatives past the last nonzero one: zeros, as in PyTorch, not an error ----------------


def _derivatives(f, x: dg.Tensor, n: int) -> list[dg.Tensor]:
    """The first ``n`` derivatives of ``f(x).sum()``, each summed before the next."""
    out, y = [], f(x).sum()
    for _ in range(n):
        (y,) = dg.autograd.grad(y, x, create_graph=True)
        out.append(y)
        y = y.sum()
    return out


@pytest.mark.parametrize("tensor_bounds", [False, True])
@pytest.mark.parametrize("lo, hi", [(-1.0, 1.0), (-1.0, None), (None, 1.0)])
def test_fourth_derivative_of_a_clamped_cube_is_zeros(lo, hi, tensor_bounds: bool) -> None:
    # PyTorch records x**2's rule as 2 * x**1, and x**1's as 1 * x**0, so that the fourth
    # derivative of clamp(x)**3 is zeros; the rule x + x had ended the graph a step earlier,
    # and the fourth derivative raised "does not require grad".
    values = np.array([-2.0, -0.5, 0.5, 3.0])
    x = leaf(values)
    bounds = {k: (dg.tensor(np.full(4, v)) if tensor_bounds else v)
              for k, v in (("min", lo), ("max", hi)) if v is not None}
    inside = (values >= (-np.inf if lo is None else lo)) & (values <= (np.inf if hi is None
                                                                      else hi))
    c = np.clip(values, lo, hi)
    d1, d2, d3, d4 = (d.detach().numpy() for d in _derivatives(
        lambda t: t.clamp(**bounds) ** 3, x, 4))
    np.testing.assert_array_equal(d1, np.where(inside, 3 * c * c, 0.0))
    np.testing.assert_array_equal(d2, np.where(inside, 6 * c, 0.0))
    np.testing.assert_array_equal(d3, np.where(inside, 6.0, 0.0))
    np.testing.assert_array_equal(d4, np.zeros(4))
    # the clamped places get +0.0, as from PyTorch's where(mask, grad, 0) (not g * False,
    # which is -0.0 for a negative g)
    assert not np.signbit(d2[~inside]).any()


def test_third_derivative_of_a_square_is_zeros() -> None:
    x = leaf([-1.5, 0.0, 2.0])
    d1, d2, d3 = _derivatives(lambda t: t ** 2, x, 3)
    np.testing.assert_array_equal(d2.detach().numpy(), [2.0, 2.0, 2.0])
    assert d2.grad_fn is not None and d2.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(d3.numpy(), np.zeros(3))


def test_higher_derivatives_of_piecewise_ops_match_torch() -> None:
    torch = pytest.importorskip("torch")
    import dualgrad.torch as dgt

    def derivatives(lib, f):
        x = lib.tensor([-2.0, -0.5, 0.5, 3.0], requires_grad=True)
        y, out = f(lib, x).sum(), []
        for _ in range(4):
            (y,) = lib.autograd.grad(y, x, create_graph=True)
            out.append(y.detach().numpy().copy())
            y = y.sum()
        return out

    fs = [lambda lib, x: x.clamp(-1, 1) ** 3, lambda lib, x: x.clamp(min=-1) ** 3,
          lambda lib, x: x.clamp(max=1) ** 3, lambda lib, x: x.relu() ** 3,
          lambda lib, x: lib.nn.functional.hardtanh(x) ** 3,
          lambda lib, x: lib.maximum(x, lib.tensor(0.5)) ** 3,
          lambda lib, x: lib.where(x > 0, x, -x) ** 3, lambda lib, x: x ** 3]
    for f in fs:
        for a, b in zip(derivatives(torch, f), derivatives(dgt, f)):
            np.testing.assert_array_equal(a, b)
            assert (np.signbit(a) == np.signbit(b)).all()
