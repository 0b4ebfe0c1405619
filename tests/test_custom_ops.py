"""User-defined operations: ``dg.autograd.Function``, ``dg.custom_gradient`` and ops declared
through the public registry call ``dg.defop``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualgrad as dg
from dualgrad._registry import NUMPY_IMPLS, REGISTRY
from dualgrad.autograd import Function, gradcheck, gradgradcheck, once_differentiable


def leaf(values, dtype=dg.float64) -> dg.Tensor:
    return dg.tensor(values, dtype=dtype, requires_grad=True)


class Cube(Function):
    """x ** 3 with a differentiable backward (uses a saved input)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Exp(Function):
    """Saves its output, as PyTorch's documentation example does."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaleShift(Function):
    """Mixed Tensor and non-Tensor inputs; records needs_input_grad."""

    seen: tuple = ()

    @staticmethod
    def forward(ctx, x, w, shift):
        ScaleShift.seen = ctx.needs_input_grad
        ctx.save_for_backward(x, w)
        return x * w + shift

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = g * w if ctx.needs_input_grad[0] else None
        gw = (g * x) if ctx.needs_input_grad[1] else None
        return gx, gw, None


class SinCos(Function):
    """Two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        (x,) = ctx.saved_tensors
        return g_sin * x.cos() - g_cos * x.sin()


# --- Function ---------------------------------------------------------------------------------


def test_function_node_name_and_gradient() -> None:
    x = leaf([0.5, -1.0, 2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    assert "grad_fn=<CubeBackward>" in repr(y)
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([0.5, -1.0, 2.0]) ** 2)


def test_function_gradcheck_and_second_order(rng: np.random.Generator) -> None:
    x = leaf(rng.normal(size=4))
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))  # the saved output stays connected to the graph
    assert dg.grad(dg.grad(lambda t: Cube.apply(t)))(1.5) == pytest.approx(9.0)


def test_needs_input_grad_and_none_gradients() -> None:
    x, w = leaf([1.0, 2.0]), dg.tensor([3.0, 4.0], dtype=dg.float64)
    y = ScaleShift.apply(x, w, 1.0)
    assert ScaleShift.seen == (True, False, False)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert w.grad is None
    assert gradcheck(ScaleShift.apply, (x, leaf([3.0, 4.0]), 1.0))


def test_multiple_outputs_are_summed_into_one_backward(rng: np.random.Generator) -> None:
    x = leaf(rng.normal(size=3))
    s, c = SinCos.apply(x)
    assert s.grad_fn.name() == c.grad_fn.name() == "SinCosBackward"
    (2 * s + 3 * c).sum().backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(xv) - 3 * np.sin(xv), rtol=1e-12)
    assert gradcheck(SinCos.apply, (x,))
    assert gradgradcheck(SinCos.apply, (x,))


def test_mark_non_differentiable() -> None:
    class WithMask(Function):
        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return x * mask, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            assert float(g_mask.abs().sum()) == 0.0  # materialized zeros
            (mask,) = ctx.saved_tensors
            return g * mask

    x = leaf([-1.0, 2.0])
    y, mask = WithMask.apply(x)
    assert y.requires_grad and not mask.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_set_materialize_grads_false_gives_none() -> None:
    class Two(Function):
        got: list = []

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            Two.got.append((ga is None, gb is None))
            return (ga if ga is not None else 0) * 2 + (gb if gb is not None else 0) * 3

    x = leaf([1.0])
    a, _ = Two.apply(x)
    a.sum().backward()
    assert Two.got == [(False, True)]
    assert x.grad.item() == 2.0


def test_function_under_no_grad_and_with_a_tape() -> None:
    x = leaf([1.0, 2.0])
    with dg.no_grad():
        assert Cube.apply(x).grad_fn is None
    v = dg.Variable(np.array([1.0, 2.0]))
    with dg.GradientTape() as tape:
        y = Cube.apply(v).sum()
    np.testing.assert_allclose(np.asarray(tape.gradient(y, v)._data), [3.0, 12.0])


def test_inplace_change_of_a_saved_tensor_raises_pytorch_text() -> None:
    x = leaf([1.0, 2.0])
    h = x * 1
    y = Cube.apply(h)
    with dg.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match=r"^one of the variables needed for gradient "
                                           r"computation has been modified by an inplace "
                                           r"operation: \[torch\.DoubleTensor \[2\]\], which is "
                                           r"output 0 of MulBackward0, is at version 1; "
                                           r"expected version 0 instead\."):
        y.sum().backward()


def test_second_backward_through_a_function_raises_unless_retained() -> None:
    # PyTorch's behaviour: a Function's node is released by backward like any other.
    from dualgrad._engine import ERR_BACKWARD_TWICE

    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 24.0])
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == ERR_BACKWARD_TWICE
    z = Cube.apply(x).sum()
    dg.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        dg.autograd.grad(z, x)


def test_backward_releases_a_functions_saved_tensors() -> None:
    import weakref

    made = []

    class Scaled(Function):
        @staticmethod
        def forward(ctx, x):
            h = x * 3.0  # an intermediate only the context keeps
            made.append(weakref.ref(h))
            ctx.save_for_backward(h)
            return h * x

        @staticmethod
        def backward(ctx, g):
            (h,) = ctx.saved_tensors
            return g * 2 * h

    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = Scaled.apply(x).sum()
    assert made[0]() is not None
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])
    assert made[0]() is None  # freed by backward, while y (and its graph) is still alive


class _Exp_(Function):
    """In-place exp, PyTorch's mark_dirty example: the output is saved for backward."""

    @staticmethod
    def forward(ctx, x):
        x.data.exp_()
        ctx.mark_dirty(x)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, g):
        (result,) = ctx.saved_tensors
        return g * result


def _mark_dirty_program(lib: Any, fn: Any) -> tuple:
    a = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
    b = a * 2
    out = fn.apply(b)
    same = out is b
    (out * a).sum().backward()
    return same, b.detach().numpy().copy(), a.grad.numpy().copy()


def test_mark_dirty_returns_the_input_as_the_output() -> None:
    same, value, grad = _mark_dirty_program(dg, _Exp_)
    av = np.array([0.5, -1.0])
    assert same
    np.testing.assert_allclose(value, np.exp(2 * av))
    # d/da sum(exp(2a) * a) = 2 exp(2a) a + exp(2a)
    np.testing.assert_allclose(grad, 2 * np.exp(2 * av) * av + np.exp(2 * av))


def test_mark_dirty_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")

    class Exp_(torch.autograd.Function):
        forward = staticmethod(lambda ctx, x: _torch_exp_(ctx, x))
        backward = staticmethod(lambda ctx, g: g * ctx.saved_tensors[0])

    def _torch_exp_(ctx, x):
        x.exp_()
        ctx.mark_dirty(x)
        ctx.save_for_backward(x)
        return x

    for ours, theirs in zip(_mark_dirty_program(dg, _Exp_), _mark_dirty_program(torch, Exp_)):
        np.testing.assert_allclose(ours, theirs)


def test_mark_dirty_errors() -> None:
    a = dg.tensor([0.5, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad has been used "
                                           "in an in-place operation.$"):
        _Exp_.apply(a)
    b = a * 1
    c = b * b  # saves b
    _Exp_.apply(b)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()

    class Marks(Function):  # marks a tensor that is not one of its inputs
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_dirty(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(RuntimeError, match="^mark_dirty only accepts input tensors"):
        Marks.apply(a * 1)
    view = (a * 1)[0:1]
    with pytest.raises(RuntimeError, match="^an in-place custom Function "
                                           r"\(ctx.mark_dirty\) on a view is not supported"):
        _Exp_.apply(view)


def test_wrong_number_of_gradients() -> None:
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"^function BadBackward returned an incorrect number "
                                           r"of gradients \(expected 2, got 1\)$"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_gradient_for_a_non_tensor_input() -> None:
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"^function BadBackward returned a gradient "
                                           r"different than None at position 2, but the "
                                           r"corresponding forward input was not a Variable$"):
        Bad.apply(leaf([1.0]), 2.0).sum().backward()


def test_gradient_of_the_wrong_shape() -> None:
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return dg.ones(5)

    with pytest.raises(RuntimeError, match=r"^Function BadBackward returned an invalid gradient "
                                           r"at index 0 - got \[5\] but expected shape "
                                           r"compatible with \[3\]"):
        Bad.apply(leaf([1.0, 2.0, 3.0])).sum().backward()


def test_legacy_call_and_missing_methods() -> None:
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward"):
        Cube()(leaf([1.0]))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="You must implement either the backward"):
        NoBackward.apply(leaf([1.0])).sum().backward()


def test_once_differentiable_refuses_a_second_derivative() -> None:
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = leaf([3.0])
    (g,) = dg.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()
    x2 = leaf([3.0])
    Square.apply(x2).sum().backward()
    assert x2.grad.item() == 6.0


# --- custom_gradient ----------------------------------------------------------------------


@dg.custom_gradient
def log1pexp(x):
    e = dg.exp(x)

    def grad_fn(upstream):
        return upstream * (1 - 1 / (1 + e))

    return dg.log(1 + e), grad_fn


def test_custom_gradient_is_used_and_stable() -> None:
    x = leaf([0.0, 2.0, 100.0])
    y = log1pexp(x)
    assert y.grad_fn.name() == "Log1pexpBackward"
    y.sum().backward()
    xv = np.array([0.0, 2.0, 100.0])
    np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.exp(-xv)), rtol=1e-12)
    # At x = 1000, exp overflows: the composed gradient is inf / inf = NaN, the custom one 1.
    with np.errstate(over="ignore", invalid="ignore"):
        x2 = leaf([1000.0])
        dg.log(1 + dg.exp(x2)).sum().backward()
        assert np.isnan(x2.grad.item())
        x3 = leaf([1000.0])
        log1pexp(x3).sum().backward()
    assert x3.grad.item() == 1.0


def test_custom_gradient_second_order() -> None:
    # d2/dx2 log(1 + e^x) = sigmoid(x) (1 - sigmoid(x))
    x = 0.7
    s = 1 / (1 + np.exp(-x))
    assert dg.grad(dg.grad(log1pexp))(x) == pytest.approx(s * (1 - s), rel=1e-12)


def test_custom_gradient_two_inputs_and_tape() -> None:
    @dg.custom_gradient
    def clipped_mul(a, b):
        def grad_fn(g):
            return (g * b).clamp(-1, 1), (g * a).clamp(-1, 1)

        return a * b, grad_fn

    a, b = dg.Variable(np.array([0.5, 3.0])), dg.Variable(np.array([2.0, 0.1]))
    with dg.GradientTape() as tape:
        y = clipped_mul(a, b).sum()
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(np.asarray(ga._data), [1.0, 0.1])
    np.testing.assert_allclose(np.asarray(gb._data), [0.5, 1.0])


def test_custom_gradient_must_return_a_function() -> None:
    @dg.custom_gradient
    def bad(x):
        return x * 2, 3.0

    with pytest.raises(TypeError, match="bad must return \\(value, grad_fn\\)"):
        bad(leaf([1.0]))


# --- dg.defop: adding an op through the public registry call ----------------------------------


@pytest.fixture
def user_ops():
    """Ops registered by a test are removed afterwards (the registry is global)."""
    before = set(REGISTRY)
    numpy_before = dict(NUMPY_IMPLS)
    yield
    for name in set(REGISTRY) - before:
        del REGISTRY[name]
    NUMPY_IMPLS.clear()
    NUMPY_IMPLS.update(numpy_before)


def test_defop_user_op_first_and_second_order(user_ops, rng: np.random.Generator) -> None:
    softplus = dg.defop("test_softplus", lambda x: np.logaddexp(0, x),
                        vjp=(lambda g, ans, x: g / (1 + np.exp(-x)),))
    x = leaf(rng.normal(size=5))
    y = softplus(x)
    assert y.grad_fn.name() == "TestSoftplusBackward0"
    np.testing.assert_allclose(y.detach().numpy(), np.logaddexp(0, x.detach().numpy()))
    assert gradcheck(softplus, (x,))
    assert gradgradcheck(softplus, (x,))


def test_defop_serves_a_numpy_function(user_ops) -> None:
    cbrt = dg.defop("test_cbrt", np.cbrt, vjp=(lambda g, ans, x: g / (3 * ans * ans),),
                    save_inputs=False, save_ans=True, numpy=(np.cbrt,))
    x = leaf([1.0, -8.0])
    y = np.cbrt(x)
    assert y.grad_fn.name() == "TestCbrtBackward0" and cbrt.name == "test_cbrt"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1 / 12])
    assert gradgradcheck(cbrt, (leaf([0.5, 2.0]),))


def test_defop_refuses_a_duplicate_name(user_ops) -> None:
    with pytest.raises(ValueError, match="an op named 'mul' is already registered"):
        dg.defop("mul", np.multiply, vjp=(None, None))
