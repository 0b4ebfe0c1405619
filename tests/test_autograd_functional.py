"""``torch.autograd.functional`` (``dg.autograd.functional``) and ``torch.autograd.function``:
PyTorch's layouts, values and error texts. Values are closed forms; PyTorch, when installed,
is a second check of the same cases."""

import numpy as np
import pytest

import dualgrad.torch as torch

F = torch.autograd.functional


def _x():
    return torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)


def _y():
    return torch.tensor([0.5, -1.0], dtype=torch.float64)


def _two_outputs(x, y):
    return (x[:2] * y).sin(), x.sum() * y.sum()


def _scalar(x, y):
    return (x[:2] ** 2 * y).sum() + x.prod()


def test_module_attributes() -> None:
    assert torch.autograd.function.once_differentiable is torch.autograd.once_differentiable
    assert torch.autograd.function.FunctionCtx is torch.autograd.FunctionCtx
    from dualgrad.autograd.functional import hvp, jacobian  # noqa: F401


def test_jacobian_layouts() -> None:
    x, y = _x(), _y()
    j = F.jacobian(lambda x: x.exp() * x, x)
    np.testing.assert_allclose(j.numpy(), np.diag(np.exp(x.numpy()) * (1 + x.numpy())))
    (j00, j01), (j10, j11) = F.jacobian(_two_outputs, (x, y))
    assert [tuple(t.shape) for t in (j00, j01, j10, j11)] == [(2, 3), (2, 2), (3,), (2,)]
    c = np.cos(x.numpy()[:2] * y.numpy())
    np.testing.assert_allclose(j00.numpy(), np.c_[np.diag(c * y.numpy()), np.zeros(2)])
    np.testing.assert_allclose(j01.numpy(), np.diag(c * x.numpy()[:2]))
    assert j10.tolist() == [-0.5, -0.5, -0.5] and j11.tolist() == [6.0, 6.0]
    gx, gy = F.jacobian(_scalar, (x, y))
    assert gx.tolist() == [2 * 0.5 + 6.0, -4 * 1.0 + 3.0, 2.0] and gy.tolist() == [1.0, 4.0]
    assert not gx.requires_grad


def test_jacobian_unused_and_strict() -> None:
    x, y = _x(), _y()
    jx, jy = F.jacobian(lambda x, y: x * 2, (x, y))
    assert jy.tolist() == [[0.0, 0.0]] * 3
    with pytest.raises(RuntimeError, match=r"^Output 0 of the user-provided function is "
                       r"independent of input 1\. This is not allowed in strict mode\.$"):
        F.jacobian(lambda x, y: x * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"^Output 0 of the user-provided function does not "
                       "require gradients. The outputs must be computed in a differentiable "
                       r"manner from the input when running in strict mode\.$"):
        F.jacobian(lambda x: torch.ones(2), x, strict=True)
    with pytest.raises(TypeError, match=r"^The inputs given to jacobian must be either a Tensor "
                       r"or a tuple of Tensors but the given inputs has type <class 'float'>\.$"):
        F.jacobian(lambda x: x, 1.0)
    # vectorize and strategy="forward-mode" give the same values (computed in reverse mode)
    j = F.jacobian(lambda x: x.exp() * x, x, vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(j.numpy(), F.jacobian(lambda x: x.exp() * x, x).numpy())
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(lambda x: x, x, strategy="forward-mode")


def test_jacobian_create_graph() -> None:
    x = _x().requires_grad_()
    j = F.jacobian(lambda x: x ** 3, x, create_graph=True)
    assert j.requires_grad
    (g,) = torch.autograd.grad(j.sum(), x)
    assert g.tolist() == [6.0, 12.0, 18.0]


def test_hessian() -> None:
    x, y = _x(), _y()
    h = F.hessian(lambda x: (x ** 3).sum() * x[0], x)
    a, b, c = x.tolist()
    assert h.tolist() == [[12 * a * a, 3 * b * b, 3 * c * c],
                          [3 * b * b, 6 * a * b, 0.0],
                          [3 * c * c, 0.0, 6 * a * c]]
    (hxx, hxy), (hyx, hyy) = F.hessian(_scalar, (x, y))
    assert hxy.tolist() == [[2 * a, 0.0], [0.0, 2 * b], [0.0, 0.0]]
    assert hyx.tolist() == [[2 * a, 0.0, 0.0], [0.0, 2 * b, 0.0]]
    assert hyy.tolist() == [[0.0] * 2] * 2
    with pytest.raises(RuntimeError, match="^The Tensor returned by the function given to "
                       "hessian should contain a single element$"):
        F.hessian(lambda x: x * 2, x)
    with pytest.raises(RuntimeError, match="^While computing the hessian, found that the "
                       "jacobian of the user-provided function with respect to input 0 is "
                       "independent of the input."):
        F.hessian(lambda x: (x * 2).sum(), x, strict=True)
    assert F.hessian(lambda x: (x * 2).sum(), x).tolist() == [[0.0] * 3] * 3


def test_vjp_jvp() -> None:
    x, y = _x(), _y()
    out, v = F.vjp(lambda x: x ** 2, x, torch.ones(3, dtype=torch.float64))
    assert out.tolist() == [1.0, 4.0, 9.0] and v.tolist() == [2.0, 4.0, 6.0]
    out, v = F.vjp(lambda x: (x ** 2).sum(), x)
    assert out.item() == 14.0 and v.tolist() == [2.0, 4.0, 6.0]
    out, v = F.jvp(lambda x: x ** 2, x, torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64))
    assert v.tolist() == [2.0, 0.0, 12.0]
    (o1, o2), (t1, t2) = F.jvp(_two_outputs, (x, y), (torch.ones(3, dtype=torch.float64),
                                                      torch.zeros(2, dtype=torch.float64)))
    np.testing.assert_allclose(t1.numpy(), np.cos(x.numpy()[:2] * y.numpy()) * y.numpy())
    assert t2.item() == -1.5
    with pytest.raises(RuntimeError, match="^The vector v can only be None if the "
                       "user-provided function returns a single Tensor with a single element.$"):
        F.vjp(lambda x: x * 2, x)
    with pytest.raises(RuntimeError, match=r"^v has invalid size: should be torch.Size\(\[3\]\) "
                       r"but got torch.Size\(\[2\]\)\.$"):
        F.vjp(lambda x: x * 2, x, torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"^v is a tuple of invalid length: should be 2 but "
                       r"got 1\.$"):
        F.vjp(_two_outputs, (x, y), (torch.ones(2, dtype=torch.float64),))
    with pytest.raises(RuntimeError, match="^The output of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode.$"):
        F.vjp(lambda x, y: x * 2, (x, y), torch.ones(3, dtype=torch.float64), strict=True)


def test_hvp_vhp() -> None:
    x = _x()
    v = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)

    def f(x):
        return (x ** 3).sum() * x[0]

    h = np.array(F.hessian(f, x).tolist())
    out, hv = F.hvp(f, x, v)
    assert out.item() == 36.0
    np.testing.assert_allclose(hv.numpy(), h @ v.numpy())
    _, vh = F.vhp(f, x, v)
    np.testing.assert_allclose(vh.numpy(), v.numpy() @ h)
    with pytest.raises(RuntimeError, match="^The function given to hvp should return a single "
                       "Tensor$"):
        F.hvp(lambda x: (x.sum(), x.sum()), x, v)
    _, hv = F.hvp(lambda x: (x ** 3).sum(), x.requires_grad_(), v, create_graph=True)
    assert hv.requires_grad and hv.tolist() == [6.0, -12.0, 9.0]


def test_against_torch() -> None:
    real = pytest.importorskip("torch")
    for fn in ("jacobian", "hessian"):
        args = [(lambda x: (x ** 3).sum() * x[0]), None]
        got = getattr(F, fn)(args[0], _x())
        want = getattr(real.autograd.functional, fn)(
            args[0], real.tensor([1.0, 2.0, 3.0], dtype=real.float64))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    got = F.jacobian(_two_outputs, (_x(), _y()))
    want = real.autograd.functional.jacobian(
        _two_outputs, (real.tensor([1.0, 2.0, 3.0], dtype=real.float64),
                       real.tensor([0.5, -1.0], dtype=real.float64)))
    for g_row, w_row in zip(got, want):
        for g, w in zip(g_row, w_row):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-15)
