"""LeakyReLU, ELU, GELU, SiLU, Softplus, Dropout, one_hot and ModuleList, against PyTorch
where it is installed and from the math otherwise. Finite-difference checks of the ops are in
``tests/test_gradcheck_ops.py`` (their cases are in ``tests/op_cases.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dtorch

DATA = [-30.0, -2.5, -1.0, -0.1, 0.0, 0.1, 1.0, 2.5, 30.0]

ACTIVATIONS = {
    "leaky_relu": ({}, "LeakyReluBackward0"),
    "leaky_relu(0.2)": ({"negative_slope": 0.2}, "LeakyReluBackward0"),
    "elu": ({}, "EluBackward0"),
    "elu(0.5)": ({"alpha": 0.5}, "EluBackward0"),
    "gelu": ({}, "GeluBackward0"),
    "gelu(tanh)": ({"approximate": "tanh"}, "GeluBackward0"),
    "silu": ({}, "SiluBackward0"),
    "softplus": ({}, "SoftplusBackward0"),
    "softplus(2, 1)": ({"beta": 2.0, "threshold": 1.0}, "SoftplusBackward0"),
    "hardtanh": ({}, "HardtanhBackward0"),
    "hardtanh(-2, 2.5)": ({"min_val": -2.0, "max_val": 2.5}, "HardtanhBackward0"),
    "relu6": ({}, "HardtanhBackward0"),
}


def _call(lib: Any, name: str, x: Any) -> Any:
    return getattr(lib.nn.functional, name.split("(")[0])(x, **ACTIVATIONS[name][0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name: str, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, dtorch):
        x = lib.tensor(DATA, dtype=getattr(lib, dtype), requires_grad=True)
        y = _call(lib, name, x)
        y.backward(lib.linspace(-1.0, 2.0, len(DATA), dtype=getattr(lib, dtype)))
        results.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__
                        if lib is torch else y.grad_fn.name()))
    (yt, gt, nt), (yd, gd, nd) = results
    tol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(yd, yt, rtol=tol, atol=tol)
    np.testing.assert_allclose(gd, gt, rtol=tol, atol=tol)
    assert nd == nt == ACTIVATIONS[name][1]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_from_the_math(name: str) -> None:
    x = np.array(DATA)
    params = ACTIVATIONS[name][0]
    kind = name.split("(")[0]
    slope, alpha = params.get("negative_slope", 0.01), params.get("alpha", 1.0)
    beta, threshold = params.get("beta", 1.0), params.get("threshold", 20.0)
    with np.errstate(over="ignore"):
        expected = {
            "leaky_relu": np.where(x > 0, x, slope * x),
            "elu": np.where(x > 0, x, alpha * np.expm1(x)),
            "silu": x / (1 + np.exp(-x)),
            "softplus": np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta),
            "hardtanh": np.clip(x, params.get("min_val", -1.0), params.get("max_val", 1.0)),
            "relu6": np.clip(x, 0.0, 6.0),
        }.get(kind)
    if kind == "gelu":
        from scipy.special import erf

        expected = (0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))\
            if params else 0.5 * x * (1 + erf(x / np.sqrt(2)))
    out = _call(dg, name, dg.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_activations_are_differentiable_twice() -> None:
    for name in ACTIVATIONS:
        x = dg.tensor([-0.7, 0.4, 1.3], dtype=dg.float64, requires_grad=True)
        (g,) = dg.autograd.grad(_call(dg, name, x).sum(), x, create_graph=True)
        (h,) = dg.autograd.grad(g.sum(), x)
        assert h.shape == x.shape and np.isfinite(h.numpy()).all(), name


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_second_derivatives_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, dtorch):
        x = lib.tensor([-0.7, 0.4, 1.3], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(_call(lib, name, x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * x).sum(), x)
        results.append(h.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-14)


def test_integer_input_raises_pytorchs_error() -> None:
    with pytest.raises(NotImplementedError, match="^\"GeluKernelImpl\" not implemented for "
                                                  "'Long'$"):
        dg.nn.functional.gelu(dg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="^approximate argument must be either none or "
                                           "tanh.$"):
        dg.nn.functional.gelu(dg.ones(2), approximate="erf")


def test_hardtanh_and_relu6_details() -> None:
    F = dtorch.nn.functional
    x = dtorch.tensor([-2.0, -1.0, 0.0, 1.0, 7.0], requires_grad=True)
    (g,) = dtorch.autograd.grad(F.hardtanh(x).sum(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]  # zero at the bounds, as in PyTorch
    assert g.grad_fn.name() == "HardtanhBackwardBackward0"
    assert F.relu6(x).tolist() == [0.0, 0.0, 0.0, 1.0, 6.0]
    ints = F.hardtanh(dtorch.tensor([1, 5]))
    assert ints.dtype == dtorch.int64 and ints.tolist() == [1, 1]
    with pytest.raises(ValueError, match="^min_val cannot be greater than max_val$"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(TypeError, match=r"^hardtanh\(\): argument 'input' \(position 1\) must "
                                        r"be Tensor, not list$"):
        F.hardtanh([1.0])
    with pytest.raises(TypeError, match=r"^relu6\(\): argument 'input'"):
        F.relu6([1.0])
    with pytest.raises(AssertionError, match=r"^max_val \(1\) must be greater than min_val "
                                             r"\(1\)$"):
        dtorch.nn.Hardtanh(1, 1)
    assert repr(dtorch.nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(dtorch.nn.Hardtanh(-2, 3)) == "Hardtanh(min_val=-2, max_val=3)"
    assert repr(dtorch.nn.ReLU6()) == "ReLU6()"
    assert repr(dtorch.nn.ReLU6(True)) == "ReLU6(inplace=True)"
    assert dtorch.nn.ReLU6()(x).grad_fn.name() == "HardtanhBackward0"


# --- dropout -------------------------------------------------------------------------------------

def test_dropout_zeroes_and_scales_and_its_gradient_uses_the_same_mask() -> None:
    dg.manual_seed(0)
    x = dg.ones(10_000, requires_grad=True)
    y = dg.nn.functional.dropout(x, 0.3)
    assert y.grad_fn.name() == "NativeDropoutBackward0"
    values = y.detach().numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # d(x * mask)/dx = mask


def test_dropout_in_eval_mode_and_at_the_edges() -> None:
    x = dg.ones(4)
    drop = dg.nn.Dropout(0.5)
    assert repr(drop) == "Dropout(p=0.5, inplace=False)"
    assert drop.eval()(x) is x and dg.nn.functional.dropout(x, 0.0) is x
    np.testing.assert_array_equal(dg.nn.functional.dropout(x, 1.0).numpy(), [0.0] * 4)
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match="^dropout probability has to be between 0 and 1, "
                                             f"but got {bad}$"):
            dg.nn.Dropout(bad)


def test_dropout_is_reproducible_with_manual_seed() -> None:
    draws = []
    for _ in range(2):
        dg.manual_seed(7)
        draws.append(dg.nn.functional.dropout(dg.ones(50), 0.5).numpy())
    np.testing.assert_array_equal(*draws)


# --- one_hot, modules ----------------------------------------------------------------------------

def test_one_hot() -> None:
    F = dg.nn.functional
    np.testing.assert_array_equal(F.one_hot(dg.tensor([0, 2])).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(dg.tensor([[1], [0]]), 4).shape == (2, 1, 4)
    assert F.one_hot(dg.tensor([1]), 2).dtype == dg.int64
    for call, text in ((lambda: F.one_hot(dg.tensor([0, -1])), "Class values must be "
                        "non-negative."),
                       (lambda: F.one_hot(dg.tensor([0, 3]), 3), "Class values must be smaller "
                        "than num_classes."),
                       (lambda: F.one_hot(dg.tensor([0.0])), "one_hot is only applicable to "
                        "index tensor of type LongTensor.")):
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value) == text


def test_module_reprs_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for lib in (torch, dtorch):
        lib.model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.GELU(), lib.nn.Dropout(0.2),
                                      lib.nn.LeakyReLU(0.1), lib.nn.SiLU(), lib.nn.ELU(),
                                      lib.nn.Softplus(), lib.nn.GELU(approximate="tanh"))
    assert repr(dtorch.model) == repr(torch.model)


def test_module_list_registers_its_modules() -> None:
    layers = dg.nn.ModuleList([dg.nn.Linear(2, 2), dg.nn.Tanh()])
    layers.append(dg.nn.Linear(2, 1))
    assert len(layers) == 3 and isinstance(layers[-1], dg.nn.Linear)
    assert len(list(layers.parameters())) == 4
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh", "Linear"]
    assert len(layers[:2]) == 2
    layers[1] = dg.nn.ReLU()
    assert isinstance(layers[1], dg.nn.ReLU) and len(layers) == 3
    with pytest.raises(IndexError, match="^index 3 is out of range$"):
        layers[3]

    class Net(dg.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = dg.nn.ModuleList(dg.nn.Linear(3, 3) for _ in range(2))

        def forward(self, x: Any) -> Any:
            for block in self.blocks:
                x = block(x).tanh()
            return x

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    net(dg.ones(1, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_module_list_repr_groups_equal_entries() -> None:
    nn = dg.nn
    assert repr(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        ")")
    mixed = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2),
                           nn.ReLU(), nn.ReLU()])
    assert repr(mixed) == ("ModuleList(\n"
                           "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                           "  (2): ReLU()\n"
                           "  (3): Linear(in_features=2, out_features=2, bias=True)\n"
                           "  (4-5): 2 x ReLU()\n"
                           ")")
    nested = nn.ModuleList([nn.ModuleList([nn.ReLU(), nn.ReLU()]) for _ in range(2)])
    assert repr(nested) == ("ModuleList(\n"
                            "  (0-1): 2 x ModuleList(\n"
                            "    (0-1): 2 x ReLU()\n"
                            "  )\n"
                            ")")
    # Only ModuleList groups: a Sequential of equal modules lists each.
    inside = nn.Sequential(nn.ModuleList([nn.Tanh(), nn.Tanh()]), nn.ReLU(), nn.ReLU())
    assert repr(inside) == ("Sequential(\n"
                            "  (0): ModuleList(\n"
                            "    (0-1): 2 x Tanh()\n"
                            "  )\n"
                            "  (1): ReLU()\n"
                            "  (2): ReLU()\n"
                            ")")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.ModuleList([nn.Tanh()])) == "ModuleList(\n  (0): Tanh()\n)"


def test_module_list_repr_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    reprs = []
    for lib in (dg, torch):
        nn = lib.nn
        blocks = nn.ModuleList([nn.Sequential(nn.Linear(3, 3), nn.GELU()) for _ in range(3)])
        blocks.append(nn.Linear(3, 1))
        blocks.append(nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1, bias=False)]))
        reprs.append(repr(nn.Sequential(blocks, nn.Dropout(0.1))))
    assert reprs[0] == reprs[1]
