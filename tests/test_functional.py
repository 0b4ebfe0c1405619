"""The functional transforms (grad, value_and_grad, vjp, jvp, jacobian, hessian,
elementwise_grad) and the PyTorch-form ``dg.autograd.grad``: closed forms, finite
differences, kinds in and out, errors, and graph release."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numeric import numeric_grad

import dualgrad as dg


def rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 2 + 1200 * x[i] ** 2 - 400 * x[i + 1]
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


# --- closed forms ---------------------------------------------------------------------------


@given(st.floats(-2.0, 2.0))
def test_second_derivative_of_sin_x_squared(x: float) -> None:
    d2 = dg.grad(dg.grad(lambda t: dg.sin(t ** 2)))(x)
    assert isinstance(d2, float)
    assert d2 == pytest.approx(2 * np.cos(x * x) - 4 * x * x * np.sin(x * x), abs=1e-12)


def test_rosenbrock_hessian_matches_closed_form(rng: np.random.Generator) -> None:
    x = rng.uniform(-1.5, 1.5, size=4)
    h = dg.hessian(rosenbrock)(x)
    assert isinstance(h, np.ndarray) and h.shape == (4, 4) and h.dtype == np.float64
    np.testing.assert_allclose(h, rosenbrock_hessian(x), rtol=1e-12, atol=1e-10)


def test_rosenbrock_gradient_vs_finite_differences(rng: np.random.Generator) -> None:
    x = rng.uniform(-1.5, 1.5, size=5)
    np.testing.assert_allclose(dg.grad(rosenbrock)(x), numeric_grad(rosenbrock, x),
                               rtol=1e-6, atol=1e-6)


def test_derivatives_of_any_order() -> None:
    d = [lambda t: t ** 5]
    for _ in range(5):
        d.append(dg.grad(d[-1]))
    x = 1.3
    expected = [x ** 5, 5 * x ** 4, 20 * x ** 3, 60 * x ** 2, 120 * x, 120.0]
    assert [f(x) for f in d] == pytest.approx(expected, rel=1e-12)


def test_elementwise_grad_of_tanh(rng: np.random.Generator) -> None:
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(dg.elementwise_grad(dg.tanh)(x), 1 - np.tanh(x) ** 2,
                               rtol=1e-12)
    # Second order: d/dx (1 - tanh^2) = -2 tanh (1 - tanh^2).
    d2 = dg.elementwise_grad(dg.elementwise_grad(dg.tanh))(x)
    np.testing.assert_allclose(d2, -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-10)


def test_jacobian_of_linear_map_is_the_matrix(rng: np.random.Generator) -> None:
    a = rng.normal(size=(3, 4))
    x = rng.normal(size=4)
    np.testing.assert_allclose(dg.jacobian(lambda v: dg.tensor(a) @ v)(x), a, rtol=1e-14)


def test_jacobian_shapes_and_argnums(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(2, 3)), rng.normal(size=3)
    jx, jy = dg.jacobian(lambda a, b: a * b, argnums=(0, 1))(x, y)
    assert jx.shape == (2, 3, 2, 3) and jy.shape == (2, 3, 3)
    np.testing.assert_allclose(jx.reshape(6, 6), np.diag(np.broadcast_to(y, (2, 3)).ravel()))
    expected_jy = np.zeros((2, 3, 3))
    for i in range(2):
        expected_jy[i] = np.diag(x[i])
    np.testing.assert_allclose(jy, expected_jy)


def test_jacobian_of_tuple_output(rng: np.random.Generator) -> None:
    x = rng.normal(size=3)
    j_sin, j_sum = dg.jacobian(lambda v: (dg.sin(v), v.sum()))(x)
    np.testing.assert_allclose(j_sin, np.diag(np.cos(x)), rtol=1e-14)
    np.testing.assert_allclose(j_sum, np.ones(3))


def test_hessian_with_two_arguments() -> None:
    # f = x^2 y^3: H = [[2y^3, 6xy^2], [6xy^2, 6x^2 y]]
    (hxx, hxy), (hyx, hyy) = dg.hessian(lambda x, y: x ** 2 * y ** 3, argnums=(0, 1))(1.5, 2.0)
    assert (hxx, hxy, hyx, hyy) == pytest.approx((16.0, 36.0, 36.0, 27.0))


def test_vjp_and_jvp_agree_with_the_jacobian(rng: np.random.Generator) -> None:
    def f(x, y):
        return dg.tanh(x @ y) * x.sum()

    x, y = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    jx, jy = dg.jacobian(f, argnums=(0, 1))(x, y)
    out, vjp_fn = dg.vjp(f, x, y)
    np.testing.assert_allclose(out, np.tanh(x @ y) * x.sum(), rtol=1e-14)
    v = rng.normal(size=out.shape)
    gx, gy = vjp_fn(v)
    np.testing.assert_allclose(gx, np.tensordot(v, jx, axes=2), rtol=1e-10)
    np.testing.assert_allclose(gy, np.tensordot(v, jy, axes=2), rtol=1e-10)
    # vjp_fn may be called again.
    np.testing.assert_allclose(vjp_fn(v)[0], gx)
    tx, ty = rng.normal(size=x.shape), rng.normal(size=y.shape)
    out2, t_out = dg.jvp(f, (x, y), (tx, ty))
    np.testing.assert_allclose(out2, out)
    np.testing.assert_allclose(
        t_out, np.tensordot(jx, tx, axes=2) + np.tensordot(jy, ty, axes=2), rtol=1e-10)


def test_jvp_closed_form_and_finite_differences(rng: np.random.Generator) -> None:
    assert dg.jvp(lambda x: x ** 3, (2.0,), (0.5,)) == pytest.approx((8.0, 6.0))
    x, t = rng.normal(size=4), rng.normal(size=4)

    def f(v):
        return dg.exp(v) * dg.sin(v[::-1])

    _, tangent = dg.jvp(f, (x,), (t,))
    eps = 1e-6
    numeric = (dg.vjp(f, x + eps * t)[0] - dg.vjp(f, x - eps * t)[0]) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8)


def test_jvp_of_constant_output_is_zero() -> None:
    out, t = dg.jvp(lambda x: dg.tensor([1.0, 2.0]), (np.array([3.0]),), (np.array([1.0]),))
    np.testing.assert_array_equal(t, [0.0, 0.0])


def test_value_and_grad_and_has_aux() -> None:
    assert dg.value_and_grad(lambda x: x ** 2)(3.0) == (9.0, 6.0)
    (value, aux), g = dg.value_and_grad(lambda x: (x ** 2, "aux"), has_aux=True)(3.0)
    assert (value, aux, g) == (9.0, "aux", 6.0)
    g, aux = dg.grad(lambda x: (x ** 3, {"x": x}), has_aux=True)(2.0)
    assert g == 12.0 and float(aux["x"]) == 2.0


def test_argnums_tuple_negative_and_kwargs() -> None:
    def f(x, y, *, scale):
        return scale * x * y ** 2

    assert dg.grad(f, argnums=(0, 1))(2.0, 3.0, scale=2.0) == (18.0, 24.0)
    assert dg.grad(f, argnums=-1)(2.0, 3.0, scale=1.0) == 12.0


# --- kinds in, kinds out --------------------------------------------------------------------


def test_kinds_are_preserved() -> None:
    f = dg.grad(lambda x: (x ** 2).sum())
    g = f(3.0)
    assert type(g) is float and g == 6.0
    arr32 = np.array([1.0, 2.0], dtype=np.float32)
    g = f(arr32)
    assert type(g) is np.ndarray and g.dtype == np.float32
    np.testing.assert_array_equal(g, [2.0, 4.0])
    g = f(np.float64(1.5))
    assert isinstance(g, np.float64) and g == 3.0
    t = dg.tensor([1.0, 2.0])
    g = f(t)
    assert isinstance(g, dg.Tensor) and not g.requires_grad and g.dtype == np.float32
    g = f([1.0, 2.0])
    assert type(g) is np.ndarray


def test_tensor_input_that_requires_grad_keeps_the_graph() -> None:
    x = dg.tensor(2.0, dtype=dg.float64, requires_grad=True)
    g = dg.grad(lambda t: t ** 3)(x)
    assert g.requires_grad and g.item() == 12.0
    g.backward()
    assert x.grad.item() == 12.0  # d/dx 3x^2 = 6x
    assert x.grad is not None and x.is_leaf


def test_works_under_no_grad_and_returns_plain_values() -> None:
    with dg.no_grad():
        g = dg.grad(lambda x: dg.sin(x))(0.0)
    assert g == 1.0


def test_no_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x, not 4x (which counting x twice would give).
    assert dg.grad(lambda x: x * dg.grad(lambda y: x * y)(x))(2.0) == 4.0
    # A closed-over outer variable with a float inner argument.
    assert dg.grad(lambda x: dg.grad(lambda y: x * y ** 2)(3.0))(1.0) == 6.0


def test_nested_inside_a_gradient_tape() -> None:
    x = dg.constant(0.7, dtype=dg.float64)
    with dg.GradientTape() as tape:
        tape.watch(x)
        g = dg.grad(lambda y: dg.sin(y ** 2))(x)
    assert float(g) == pytest.approx(2 * 0.7 * np.cos(0.49))
    assert float(tape.gradient(g, x)) == pytest.approx(2 * np.cos(0.49) - 4 * 0.49 * np.sin(0.49))


# --- errors ---------------------------------------------------------------------------------


def test_non_scalar_output_points_to_vjp_and_jacobian() -> None:
    with pytest.raises(TypeError, match=r"^Gradient only defined for scalar-output functions\. "
                                        r"Output had shape: \(3,\)\.") as err:
        dg.grad(lambda x: x ** 2)(np.ones(3))
    assert "dg.vjp" in str(err.value) and "dg.jacobian" in str(err.value)


@pytest.mark.parametrize("value", [1, np.array([1, 2]), dg.tensor([1, 2])])
def test_integer_input_raises_jax_text(value) -> None:
    with pytest.raises(TypeError, match=r"^grad requires real- or complex-valued inputs \(input "
                                        r"dtype that is a sub-dtype of np.inexact\), but got "
                                        r"int64\. If you want to use Boolean- or integer-valued "
                                        r"inputs, use vjp or set allow_int to True\.$"):
        dg.grad(lambda x: (x * 2.0).sum())(value)


def test_allow_int_gives_none() -> None:
    assert dg.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3) == (3.0, None)


def test_complex_output_is_refused() -> None:
    with pytest.raises(TypeError, match="grad requires real-valued outputs"):
        dg.grad(lambda x: x * 1j)(1.0)


def test_bad_aux_and_argnums() -> None:
    with pytest.raises(TypeError, match=r"has_aux=True\) requires the function to return a pair"):
        dg.grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(ValueError, match="argnums=2 is out of range"):
        dg.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_independent_output_warns_and_gives_zeros() -> None:
    with pytest.warns(UserWarning, match="Output seems independent of input."):
        g = dg.grad(lambda x: dg.tensor(3.0))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_vjp_cotangent_shape_error() -> None:
    _, vjp_fn = dg.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"cotangent input to vjp pullback function \(2,\)"):
        vjp_fn(np.ones(2))


def test_jvp_shape_error() -> None:
    with pytest.raises(ValueError, match="primal and tangent arguments to jvp must have equal"):
        dg.jvp(lambda x: x, (np.ones(3),), (np.ones(2),))


# --- dg.autograd.grad (PyTorch form) ---------------------------------------------------------


def test_autograd_grad_unused_input_error_and_allow_unused() -> None:
    x = dg.tensor(1.0, requires_grad=True)
    y = dg.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^One of the differentiated Tensors appears to not "
                                           r"have been used in the graph\. Set allow_unused=True "
                                           r"if this is the desired behavior\.(\n|$)"):
        dg.autograd.grad(x * 3, (x, y))
    gx, gy = dg.autograd.grad(x * 3, (x, y), allow_unused=True)
    assert gx.item() == 3.0 and gy is None
    gx, gy = dg.autograd.grad(x * 3, (x, y), materialize_grads=True)
    assert gy.item() == 0.0


def test_autograd_grad_create_graph_and_third_order() -> None:
    x = dg.tensor(0.5, dtype=dg.float64, requires_grad=True)
    y = dg.exp(2 * x)
    (g1,) = dg.autograd.grad(y, x, create_graph=True)
    (g2,) = dg.autograd.grad(g1, x, create_graph=True)
    (g3,) = dg.autograd.grad(g2, x)
    assert g1.requires_grad and g2.requires_grad and not g3.requires_grad
    assert [g1.item(), g2.item(), g3.item()] == pytest.approx(
        [2 * np.e, 4 * np.e, 8 * np.e], rel=1e-14)
    assert x.grad is None  # autograd.grad never touches .grad


def test_autograd_grad_without_create_graph_is_not_differentiable() -> None:
    x = dg.tensor(2.0, requires_grad=True)
    (g,) = dg.autograd.grad(x ** 2, x)
    assert not g.requires_grad and g.grad_fn is None


def test_functional_grad_releases_its_graph() -> None:
    # No reference cycle: reference counting alone frees the recorded backward graph.
    x = dg.tensor(1.5, dtype=dg.float64, requires_grad=True)
    gc.disable()
    try:
        g = dg.grad(lambda t: dg.sin(t) ** 2)(x)
        node = weakref.ref(g.grad_fn)
        del g
        assert node() is None
    finally:
        gc.enable()


def test_create_graph_backward_graph_is_released_once_dropped() -> None:
    # PyTorch's parameter -> .grad -> graph -> parameter cycle would keep this alive forever.
    x = dg.tensor([1.0, 2.0], dtype=dg.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    node = weakref.ref(x.grad.grad_fn)
    leaf = weakref.ref(x)
    del x
    gc.collect()
    assert node() is None and leaf() is None


def test_against_torch_hessian(rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    x = rng.uniform(-1, 1, size=3)

    def f_dg(v):
        return (dg.tanh(v) * v[::-1]).sum() + (v ** 3).prod()

    def f_torch(v):
        return (torch.tanh(v) * v.flip(0)).sum() + (v ** 3).prod()

    expected = torch.autograd.functional.hessian(f_torch, torch.tensor(x)).numpy()
    np.testing.assert_allclose(dg.hessian(f_dg)(x), expected, rtol=1e-10, atol=1e-12)


def test_transforms_compose() -> None:
    def f(x):
        return dg.sin(x) * x ** 2

    x0 = 0.8
    exact = -np.sin(x0) * x0 ** 2 + 4 * x0 * np.cos(x0) + 2 * np.sin(x0)  # f''(x0)
    candidates = [
        dg.grad(lambda x: dg.jvp(f, (x,), (1.0,))[1])(x0),
        dg.jvp(dg.grad(f), (x0,), (1.0,))[1],
        dg.grad(lambda x: dg.vjp(f, x)[1](1.0)[0])(x0),
        dg.jacobian(dg.grad(f))(x0),
        dg.grad(dg.jacobian(f))(x0),
        dg.grad(dg.elementwise_grad(f))(x0),
    ]
    assert candidates == pytest.approx([exact] * len(candidates), rel=1e-13)
    v = np.array([1.0, 2.0])
    _, hv = dg.jvp(dg.grad(lambda x: x[0] ** 2 * x[1] ** 3), (v,), (np.array([1.0, 0.0]),))
    np.testing.assert_allclose(hv, [16.0, 24.0])  # first column of the Hessian


def test_identity_and_zero_functions() -> None:
    assert dg.grad(lambda x: x)(3.0) == 1.0
    assert dg.grad(lambda x: x * 0)(3.0) == 0.0
