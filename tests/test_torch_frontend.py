"""The PyTorch-style front end: flags, ``.grad``, ``grad_fn``, ``backward``'s options, grad
mode, dtypes and devices as PyTorch has them (``import dualgrad.torch as torch``)."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as torch


def fd_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar function ``f`` at ``x`` (float64)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


# --------------------------------------------------------------------------------------------
# requires_grad, leaves, .grad


def test_requires_grad_and_is_leaf() -> None:
    x = torch.tensor([1.0, 2.0])
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    x.requires_grad = False
    assert not x.requires_grad and not (x * 2).requires_grad
    # A non-leaf cannot be switched off (PyTorch's text), only detached.
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    # Results of ops on tensors that do not require grad are leaves too.
    assert (torch.ones(2) * 3).is_leaf


def test_factories_take_requires_grad() -> None:
    for t in (torch.ones(2, requires_grad=True), torch.zeros(2, 2, requires_grad=True),
              torch.randn(3, requires_grad=True), torch.rand(3, requires_grad=True),
              torch.eye(2, requires_grad=True), torch.linspace(0, 1, 3, requires_grad=True),
              torch.arange(3.0, requires_grad=True),
              torch.zeros_like(torch.ones(2), requires_grad=True),
              torch.tensor([1.0], requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.dtype == np.float32


def test_grad_accumulates_until_zeroed_or_none() -> None:
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    assert x.grad is None
    for k in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), 2 * k * np.array([1.0, -2.0, 3.0]))
    buf = x.grad
    assert x.grad.zero_() is buf
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 3)
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2)
    # The gradient is a plain tensor of the leaf's dtype, outside the graph.
    assert x.grad.dtype == x.dtype and not x.grad.requires_grad and x.grad.grad_fn is None


def test_grad_of_broadcast_leaf_is_reduced() -> None:
    b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = torch.ones(4, 3)
    (m * b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 4.0, 4.0])


# --------------------------------------------------------------------------------------------
# grad_fn and next_functions


def test_grad_fn_names() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    cases = {
        "AddBackward0": x + 1, "SubBackward0": x - x, "RsubBackward1": 1 - x,
        "MulBackward0": x * 2, "DivBackward0": x / 2, "NegBackward0": -x,
        "PowBackward0": x ** 2, "SinBackward0": x.sin(), "CosBackward0": torch.cos(x),
        "ExpBackward0": torch.exp(x), "LogBackward0": torch.log(x), "TanhBackward0": x.tanh(),
        "SigmoidBackward0": torch.sigmoid(x), "MeanBackward0": x.mean(),
        "SumBackward0": x.sum(), "MmBackward0": torch.mm(x, x),
        "TBackward0": x.t(),
    }
    for name, t in cases.items():
        assert t.grad_fn.name() == name
        assert repr(t.grad_fn).startswith(f"<{name} object at 0x")
        assert repr(t).endswith(f"grad_fn=<{name}>)")


def test_next_functions() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w + 2).sum()
    (mul_edge,) = y.grad_fn.next_functions
    add_node = mul_edge[0]
    assert add_node.name() == "AddBackward0"
    (mul_node, _), (const, _) = add_node.next_functions
    assert const is None  # the Python scalar 2 has no node
    (ax, i0), (aw, i1) = mul_node.next_functions
    assert ax.name() == aw.name() == "torch::autograd::AccumulateGrad" and i0 == i1 == 0
    assert type(ax).__name__ == "AccumulateGrad"
    assert ax.variable is x and aw.variable is w
    assert ax.next_functions == ()
    # An input that does not require grad shows as None.
    z = x * torch.ones(2)
    assert z.grad_fn.next_functions[1] == (None, 0)


# --------------------------------------------------------------------------------------------
# backward's options


def test_backward_with_gradient() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 3
    y.backward(torch.tensor([1.0, 0.5, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1, 4, 9]) * [1.0, 0.5, 2.0])
    # gradient may also be given as a keyword, and as an array
    x.grad = None
    (x * 2).backward(gradient=np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), 2)


def test_retain_graph() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward(retain_graph=True)
    first = x.grad.item()
    y.backward()
    assert x.grad.item() == pytest.approx(2 * first)
    assert first == pytest.approx(np.exp(2.0) * 3, rel=1e-6)  # d(x e^x) = (1 + x) e^x
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_create_graph_second_derivative() -> None:
    x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    (x.sin() * x ** 2).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    xs = x.detach().numpy().copy()
    np.testing.assert_allclose(g.detach().numpy(), np.cos(xs) * xs**2 + 2 * xs * np.sin(xs))
    (g2,) = torch.autograd.grad(g.sum(), x)
    # d/dx (x^2 cos x + 2x sin x) = 4x cos x + (2 - x^2) sin x
    np.testing.assert_allclose(g2.numpy(), 4 * xs * np.cos(xs) + (2 - xs**2) * np.sin(xs))


def test_backward_inputs_restricts_accumulation() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    y.backward(inputs=[x], retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert w.grad is None
    y.backward(inputs=w)
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_retain_grad() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])


def test_retain_grad_and_hooks_across_inplace() -> None:
    # PyTorch's rule: .grad of a retaining tensor is taken at its newest version, a hook
    # registered before the in-place change sees the gradient of the older version.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.mul_(3)
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]  # d/dy_new of sum(y_new^2)
    assert seen == [[18.0, 36.0]]  # d/dy_old: three times that
    assert x.grad.tolist() == [18.0, 36.0]


def test_hooks_see_and_replace_gradients() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# --------------------------------------------------------------------------------------------
# detach, .data, conversions


def test_detach_and_data_share_memory() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d is not x
    d[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    x.data.mul_(2)  # the usual manual update: no graph, no leaf error
    assert x.tolist() == [10.0, 4.0] and x.requires_grad and x.is_leaf
    y = x * 3
    assert not y.data.requires_grad and y.data.tolist() == [30.0, 12.0]


def test_item_numpy_tolist() -> None:
    t = torch.tensor([[1.5, 2.0]])
    assert t.tolist() == [[1.5, 2.0]] and isinstance(t.tolist()[0][0], float)
    assert torch.tensor([7]).item() == 7 and isinstance(torch.tensor([7]).item(), int)
    assert torch.tensor(2.5).item() == 2.5
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0, 0] = 9.0  # shares memory, as in PyTorch
    assert t[0, 0].item() == 9.0
    x = torch.tensor([1.0], requires_grad=True)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0])


def test_size_of_a_dimension() -> None:
    x = torch.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.size(np.int64(1)) == 3
    for dim in (5, -3, 2):
        with pytest.raises(IndexError) as info:
            x.size(dim)
        assert str(info.value) == ("Dimension out of range (expected to be in range of "
                                   f"[-2, 1], but got {dim})")
    for dim in (0, -1):
        with pytest.raises(IndexError) as info:
            torch.tensor(1.0).size(dim)
        assert str(info.value) == f"Dimension specified as {dim} but tensor has no dimensions"


# --------------------------------------------------------------------------------------------
# in-place ops


def test_inplace_on_non_leaf_gives_right_gradient() -> None:
    x0 = np.array([0.3, -0.7, 1.1])

    def f(v: np.ndarray) -> float:
        return float(np.sum(np.exp(np.sin(v) * 3 + 1)))

    x = torch.tensor(x0, requires_grad=True)
    y = x.sin()
    y.mul_(3)
    y += 1
    assert y.grad_fn.name() == "AddBackward0"
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), fd_grad(f, x0), rtol=1e-6)


def test_setitem_records_and_differentiates() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x * 2
    y[1] = x[0] ** 2
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 2.0, 0.0, 2.0])


def test_inplace_names_and_versions() -> None:
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    assert y.fill_(3).grad_fn.name() == "FillBackward2"
    assert (x * 2).copy_(torch.zeros(2)).grad_fn.name() == "CopyBackwards"
    t = torch.zeros(3)
    t.add_(1).mul_(4).sub_(torch.ones(3)).div_(2)
    assert t.tolist() == [1.5, 1.5, 1.5]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------------------------
# grad mode


def test_no_grad_enable_grad_nesting() -> None:
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            assert torch.is_grad_enabled()
            z = x * 2
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_grad_mode_decorators() -> None:
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def off(t):
        return t * 2

    @torch.enable_grad()
    def on(t):
        return t * 2

    @torch.set_grad_enabled(False)
    def off2(t):
        return t * 2

    # Decorating must not switch the mode of the code around it.
    assert torch.is_grad_enabled()
    assert not off(x).requires_grad and not off2(x).requires_grad
    assert torch.is_grad_enabled()
    with torch.no_grad():
        assert on(x).requires_grad
    assert off.__name__ == "off"


def test_grad_mode_decorator_on_a_generator() -> None:
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def evaluate(n):
        for _ in range(n):
            reply = yield (x * 2).requires_grad
            assert reply is None or not torch.is_grad_enabled()
        return "done"

    gen = evaluate(3)
    # The generator's body runs without grad; the caller, between steps, keeps its own mode.
    assert next(gen) is False
    assert torch.is_grad_enabled() and (x * 2).requires_grad
    assert gen.send("reply") is False and torch.is_grad_enabled()
    assert list(gen) == [False]
    assert torch.is_grad_enabled()


def test_inference_mode() -> None:
    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad

    @torch.inference_mode(False)
    def on(t):
        return t * 2

    with torch.no_grad():
        assert on(x).requires_grad


def test_set_grad_enabled_forms() -> None:
    x = torch.ones(2, requires_grad=True)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled() and (x * 2).requires_grad
    with torch.no_grad(), torch.set_grad_enabled(True):
        assert (x * 2).requires_grad
    try:
        torch.set_grad_enabled(False)  # function form: switches until switched back
        assert not torch.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()


def test_no_grad_restores_on_exception() -> None:
    with pytest.raises(ZeroDivisionError), torch.no_grad():
        _ = 1 / 0
    assert torch.is_grad_enabled()


# --------------------------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (lambda: torch.tensor(1.5), np.float32),
        (lambda: torch.tensor([1, 2]), np.int64),
        (lambda: torch.tensor(True), np.bool_),
        (lambda: torch.tensor(np.ones(2)), np.float64),
        (lambda: torch.tensor(np.ones(2, np.float32)), np.float32),
        (lambda: torch.tensor(np.arange(2, dtype=np.int32)), np.int32),
        (lambda: torch.ones(2) * 2.0, np.float32),
        (lambda: 2.0 * torch.ones(2), np.float32),
        (lambda: torch.ones(2) ** 2.0, np.float32),
        (lambda: torch.ones(2) + np.float64(2.0), np.float32),
        (lambda: np.float64(2.0) * torch.ones(2), np.float32),
        (lambda: torch.tensor([1, 2]) * 2, np.int64),
        (lambda: torch.tensor([1, 2]) * 2.5, np.float32),
        (lambda: torch.tensor([1, 2]) / 2, np.float32),
        (lambda: torch.ones(2) + torch.tensor([1, 2]), np.float32),
        (lambda: torch.tensor(2.0, dtype=torch.float64) * torch.ones(3), np.float32),
        (lambda: torch.ones(3, dtype=torch.float64) * torch.tensor(2.0), np.float64),
        (lambda: torch.ones(2) + torch.ones(2, dtype=torch.float64), np.float64),
        (lambda: torch.ones(2, dtype=torch.float64) * 2.0, np.float64),
        (lambda: torch.ones(2).double(), np.float64),
        (lambda: torch.ones(2).to(torch.float64).float(), np.float32),
        (lambda: torch.zeros(2, dtype=torch.long), np.int64),
        (lambda: torch.tensor([1.5, -2.5]) // 1, np.float32),
        (lambda: torch.tensor([1.5, -2.5]) % 2, np.float32),
        (lambda: torch.tensor([1, 5]) // 2.5, np.float32),
        (lambda: torch.tensor([0.3, 1.2], dtype=torch.float64), np.float64),
    ],
)
def test_dtypes_as_pytorch(make, dtype) -> None:
    assert make().dtype == dtype


def test_explicit_dtype_does_not_round_through_float32() -> None:
    assert torch.tensor([0.1, 1 / 3], dtype=torch.float64).tolist() == [0.1, 1 / 3]
    assert torch.tensor(0.1, dtype=torch.float64, requires_grad=True).item() == 0.1


def test_dtype_aliases() -> None:
    assert torch.float is torch.float32 or torch.float == np.float32
    assert torch.double == np.float64 and torch.long == np.int64
    assert torch.float32 == np.float32 and torch.int64 == np.int64


def test_gradient_keeps_leaf_dtype_under_promotion() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)  # float32
    w = torch.tensor([0.5, 0.25], dtype=torch.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])


# --------------------------------------------------------------------------------------------
# devices


def test_cpu_device() -> None:
    t = torch.ones(2, device="cpu")
    assert t.device == torch.device("cpu") and str(t.device) == "cpu"
    assert repr(torch.device("cpu")) == "device(type='cpu')"
    assert t.to("cpu") is t and t.cpu() is t and not t.is_cuda
    assert t.to(torch.device("cpu"), torch.float64).dtype == np.float64
    assert torch.tensor([1.0], device=torch.device("cpu")).tolist() == [1.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: torch.ones(2).to("cuda"),
        lambda: torch.ones(2).to("cuda:0"),
        lambda: torch.ones(2).cuda(),
        lambda: torch.ones(2, device="cuda"),
        lambda: torch.tensor([1.0], device="cuda"),
        lambda: torch.randn(2, device="cuda"),
        lambda: torch.device("cuda"),
        lambda: torch.ones(2).to(device="mps"),
    ],
)
def test_gpu_device_gives_clear_error(call) -> None:
    with pytest.raises(RuntimeError, match="dualgrad computes on the CPU with NumPy"):
        call()


# --------------------------------------------------------------------------------------------
# repr


def test_repr_flags() -> None:
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1.5000, 2.0000], requires_grad=True)"
    assert str(x * 2) == "tensor([3., 4.], grad_fn=<MulBackward0>)"
    assert repr(x.detach()) == "tensor([1.5000, 2.0000])"
    assert repr(torch.tensor([1.5], dtype=torch.float64, requires_grad=True)) == (
        "tensor([1.5000], dtype=torch.float64, requires_grad=True)")
    assert repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    with torch.no_grad():
        assert repr(x * 2) == "tensor([3., 4.])"


# --------------------------------------------------------------------------------------------
# NumPy functions on tensors


def test_numpy_ufunc_runs_registered_op() -> None:
    x = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
    y = np.sin(x)
    assert isinstance(y, dg.Tensor) and y.grad_fn.name() == "SinBackward0"
    z = np.sum(np.exp(y) * x)
    assert isinstance(z, dg.Tensor)
    z.backward()
    xs = np.array([0.5, 1.0])
    np.testing.assert_allclose(
        x.grad.numpy(), fd_grad(lambda v: float(np.sum(np.exp(np.sin(v)) * v)), xs), rtol=1e-7)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t: np.fft.fft(t), "fft.fft"),
        (lambda t: np.median(t), "median"),
        (lambda t: np.linalg.eigh(t.reshape(1, 3) * t.reshape(3, 1)), "linalg.eigh"),
        (lambda t: np.spacing(t), "spacing"),
        (lambda t: np.add.reduce(t), "add.reduce"),
    ],
)
def test_numpy_function_without_op_raises(call, name) -> None:
    t = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"numpy\.{name}\b.* no registered dualgrad op"):
        call(t)
