"""nn.init (gains, fans, in-place fills and their errors), nn.utils (gradient clipping) and
the containers ModuleDict, ParameterList, ParameterDict, against closed forms and PyTorch's
texts (and PyTorch itself when it is installed)."""

from __future__ import annotations

import math
import types
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import nn
from dualgrad.nn import init

# --- nn.init ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "param", "expected"), [
    ("linear", None, 1), ("conv2d", None, 1), ("conv_transpose3d", None, 1), ("sigmoid", None, 1),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 1, 1.0),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == expected


@pytest.mark.parametrize(("args", "message"), [
    (("foo",), "Unsupported nonlinearity foo"),
    (("leaky_relu", "a"), "negative_slope a not a valid number"),
    (("leaky_relu", True), "negative_slope True not a valid number"),
])
def test_calculate_gain_errors(args, message):
    with pytest.raises(ValueError) as info:
        init.calculate_gain(*args)
    assert str(info.value) == message


def test_fans():
    assert init._calculate_fan_in_and_fan_out(dg.empty(3, 4)) == (4, 3)
    assert init._calculate_fan_in_and_fan_out(dg.empty(3, 4, 5, 6)) == (120, 90)
    for f in (init._calculate_fan_in_and_fan_out, init.xavier_uniform_, init.xavier_normal_,
              init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.raises(ValueError) as info:
            f(dg.empty(3))
        assert str(info.value) == ("Fan in and fan out can not be computed for tensor with "
                                   "fewer than 2 dimensions")
    with pytest.raises(ValueError) as info:
        init.kaiming_uniform_(dg.empty(3, 4), mode="foo")
    assert str(info.value) == "Mode foo not supported, please use one of ['fan_in', 'fan_out']"
    with pytest.raises(ValueError, match="^Unsupported nonlinearity foo$"):
        init.kaiming_normal_(dg.empty(3, 4), nonlinearity="foo")


ALL_INITS = [
    (init.uniform_, ()), (init.normal_, ()), (init.constant_, (0.25,)), (init.zeros_, ()),
    (init.ones_, ()), (init.xavier_uniform_, ()), (init.xavier_normal_, ()),
    (init.kaiming_uniform_, ()), (init.kaiming_normal_, ()),
]


@pytest.mark.parametrize(("fn", "args"), ALL_INITS)
def test_inits_fill_in_place_without_recording(fn, args):
    w = nn.Parameter(dg.empty(6, 5))
    before = w._version
    assert fn(w, *args) is w
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert w._version == before + 1
    assert dg.is_grad_enabled()
    # a parameter built on a tensor shares its memory: init writes through
    t = dg.zeros(6, 5, dtype=dg.float64)
    fn(nn.Parameter(t), *args)
    if fn is not init.zeros_:
        assert t.abs().sum().item() > 0


@pytest.mark.parametrize(("fn", "args"), [f for f in ALL_INITS if f[0] in (
    init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
    init.kaiming_uniform_, init.kaiming_normal_)])
def test_random_inits_follow_manual_seed(fn, args):
    dg.manual_seed(3)
    a = fn(dg.empty(4, 5), *args).numpy().copy()
    dg.manual_seed(3)
    b = fn(dg.empty(4, 5), *args).numpy()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, fn(dg.empty(4, 5), *args).numpy())


def test_uniform_bounds_and_normal_moments():
    dg.manual_seed(0)
    fan_in, fan_out = 300, 200
    n = fan_in * fan_out
    cases = [
        (init.xavier_uniform_, {}, math.sqrt(6 / (fan_in + fan_out)), None),
        (init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(6 / (fan_in + fan_out)), None),
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, math.sqrt(3) * math.sqrt(2 / 6)
         / math.sqrt(fan_in), None),
        (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
         math.sqrt(6 / fan_out), None),
        (init.uniform_, {"a": -0.5, "b": 1.5}, None, None),
        (init.xavier_normal_, {}, None, math.sqrt(2 / (fan_in + fan_out))),
        (init.kaiming_normal_, {"nonlinearity": "relu"}, None, math.sqrt(2 / fan_in)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"}, None,
         5 / 3 / math.sqrt(fan_out)),
        (init.normal_, {"mean": 1.0, "std": 0.5}, None, 0.5),
    ]
    for fn, kwargs, bound, std in cases:
        x = fn(dg.empty(fan_out, fan_in, dtype=dg.float64), **kwargs).numpy()
        if bound is not None:
            assert -bound <= x.min() and x.max() < bound and x.max() > 0.99 * bound
            assert abs(x.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(n)
        elif std is not None:
            assert abs(x.std() - std) < 5 * std / math.sqrt(n)
        else:
            assert -0.5 <= x.min() and x.max() < 1.5
    x = init.normal_(dg.empty(10000), 1.0, 0.5).numpy()
    assert abs(x.mean() - 1.0) < 5 * 0.5 / 100


def test_float32_stays_float32_and_constants():
    w = init.kaiming_uniform_(dg.empty(3, 4))
    assert w.dtype == dg.float32
    assert init.constant_(dg.empty(2, dtype=dg.int64), 2.7).tolist() == [2, 2]
    assert init.constant_(dg.empty(2), dg.tensor(1.5)).tolist() == [1.5, 1.5]
    assert init.ones_(dg.empty(2)).tolist() == [1.0, 1.0]
    x = dg.ones(2, 3, requires_grad=True) * 2  # a non-leaf: filled, its grad_fn kept
    init.zeros_(x)
    assert x.tolist() == [[0.0] * 3] * 2 and x.grad_fn is not None


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: init.uniform_(dg.empty(3), 2, 1), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=2 > to=1"),
    (lambda: init.uniform_(dg.empty(3), 2.5, -1.25), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=2.5 > to=-1.25"),
    (lambda: init.normal_(dg.empty(3), 0, -1), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda: init.uniform_(dg.empty(3, dtype=dg.int64)), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda: init.normal_(dg.empty(3, dtype=dg.int64)), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda: init.constant_(dg.empty(2), "a"), TypeError,
     "fill_() received an invalid combination of arguments - got (str), but expected one of:\n"
     " * (Tensor value)\n      didn't match because some of the arguments have invalid types: "
     "(!str!)\n * (Number value)\n      didn't match because some of the arguments have "
     "invalid types: (!str!)\n"),
])
def test_init_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_kaiming_of_empty_tensor_warns_and_does_nothing():
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        t = dg.empty(0, 4)
        with pytest.warns(UserWarning, match="^Initializing zero-element tensors is a no-op$"):
            assert fn(t) is t
    init.xavier_uniform_(dg.empty(0, 4))  # no warning, no error (as PyTorch)


# --- nn.utils: gradient clipping ----------------------------------------------------------------


def _params_with_grads(dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    ps = [dg.zeros(3, 4, dtype=dtype, requires_grad=True),
          dg.zeros(5, dtype=dtype, requires_grad=True),
          dg.zeros(2, dtype=dtype, requires_grad=True)]  # no grad: skipped
    for p in ps[:2]:
        p.grad = dg.tensor(rng.standard_normal(p.shape) * scale, dtype=dtype)
    return ps


@pytest.mark.parametrize("dtype", [dg.float64, dg.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf"), 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_closed_form(dtype, norm_type, max_norm):
    ps = _params_with_grads(dtype)
    grads = [p.grad.numpy().astype(np.float64).ravel() for p in ps[:2]]
    flat = np.concatenate(grads)
    total = (np.abs(flat).max() if norm_type == float("inf")
             else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type))
    coef = min(max_norm / (total + 1e-6), 1.0)
    out = nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    assert out.dtype == dtype and out.shape == () and not out.requires_grad
    rtol = 1e-12 if dtype == dg.float64 else 2e-6
    np.testing.assert_allclose(out.item(), total, rtol=rtol)
    np.testing.assert_allclose(np.concatenate([p.grad.numpy().ravel() for p in ps[:2]]),
                               flat * coef, rtol=rtol * 4)
    assert ps[2].grad is None


def test_clip_grad_norm_special_cases():
    p = dg.zeros(2, requires_grad=True)
    p.grad = dg.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0  # one tensor, not a list
    assert p.grad.tolist() == pytest.approx([0.6, 0.8])
    none = nn.utils.clip_grad_norm_([], 1.0)
    assert none.item() == 0.0 and none.dtype == dg.float32
    with pytest.warns(UserWarning, match="^`parameters` is an empty generator, no gradient "
                      "clipping will occur.$"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = dg.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError) as info:
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert str(info.value) == (
        "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it "
        "cannot be clipped. To disable this error and scale the gradients by the non-finite "
        "norm anyway, set `error_if_nonfinite=False`")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert nn.utils.clip_grad_norm_(p, 1.0).item() == float("inf")
        assert np.isnan(p.grad.numpy()[0]) and p.grad.numpy()[1] == 0.0  # inf * 0, 1 * 0
        p.grad = dg.tensor([float("nan"), 1.0])
        assert np.isnan(nn.utils.clip_grad_norm_(p, 1.0).item())
        assert np.isnan(p.grad.numpy()).all()
    p.grad = dg.tensor([0.0, 0.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0


def test_clip_grad_norm_in_a_training_step():
    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = (model(dg.randn(8, 3)) * 100).sum()
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    assert total.item() > 0.1
    after = nn.utils.clip_grad_norm_(model.parameters(), 1e9)
    assert after.item() == pytest.approx(0.1, rel=1e-5)
    assert isinstance(model.parameters(), types.GeneratorType)


def test_clip_grad_value():
    p = dg.zeros(3, requires_grad=True)
    p.grad = dg.tensor([-3.0, 0.2, 4.0])
    q = dg.zeros(1, requires_grad=True)  # no grad: skipped
    assert nn.utils.clip_grad_value_([p, q], 1) is None
    assert p.grad.tolist() == pytest.approx([-1.0, 0.2, 1.0]) and q.grad is None


def test_clipping_matches_torch():
    torch = pytest.importorskip("torch")
    for dtype, tdtype in ((dg.float64, torch.float64), (dg.float32, torch.float32)):
        for norm_type in (2.0, 1.0, float("inf")):
            ps = _params_with_grads(dtype, seed=1, scale=3.0)
            tps = [torch.zeros(p.shape, dtype=tdtype, requires_grad=True) for p in ps]
            for p, t in zip(ps, tps):
                if p.grad is not None:
                    t.grad = torch.from_numpy(p.grad.numpy().copy())
            ours = nn.utils.clip_grad_norm_(ps, 1.5, norm_type)
            theirs = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type)
            # (the norms' summation orders differ: equal within a rounding or two)
            rtol = 1e-15 if dtype == dg.float64 else 1e-6
            np.testing.assert_allclose(ours.item(), theirs.item(), rtol=rtol)
            for p, t in zip(ps[:2], tps[:2]):
                np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=3 * rtol)
                t.grad = torch.from_numpy(p.grad.numpy().copy())
            nn.utils.clip_grad_value_(ps, 0.1)
            torch.nn.utils.clip_grad_value_(tps, 0.1)
            for p, t in zip(ps[:2], tps[:2]):
                np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


# --- containers ----------------------------------------------------------------------------------


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert repr(d) == ("ModuleDict(\n  (a): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (b): ReLU()\n)")
    assert list(d.state_dict()) == ["a.weight", "a.bias"]
    assert list(d) == list(d.keys()) == ["a", "b"] and len(d) == 2 and "a" in d
    d["c"] = nn.Tanh()
    d.update([("e", nn.Identity())])
    assert repr(d.pop("c")) == "Tanh()" and list(d) == ["a", "b", "e"]
    assert [type(m).__name__ for m in d.values()] == ["Linear", "ReLU", "Identity"]
    del d["e"]
    assert list(d.items())[1][0] == "b" and not hasattr(d, "e")
    d.clear()
    assert repr(d) == "ModuleDict()" and len(d) == 0 and not list(d.parameters())


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.ModuleDict()["zz"], KeyError, "'zz'"),
    (lambda: nn.ModuleDict().__setitem__("x", 3), TypeError, "int is not a Module subclass"),
    (lambda: nn.ModuleDict([1]), TypeError,
     "ModuleDict update sequence element #0 should be Iterable; isint"),
    (lambda: nn.ModuleDict([(1, 2, 3)]), ValueError,
     "ModuleDict update sequence element #0 has length 3; 2 is required"),
    (lambda: nn.ModuleDict().update(3), TypeError,
     "ModuleDict.update should be called with an iterable of key/value pairs, but got int"),
    (lambda: nn.ModuleDict({"a.b": nn.ReLU()}), KeyError,
     "'module name can\\'t contain \".\", got: a.b'"),
    (lambda: nn.ParameterDict()["zz"], AttributeError,
     "'ParameterDict' object has no attribute 'zz'"),
    (lambda: nn.ParameterDict()[1], TypeError,
     "Index given to ParameterDict cannot be used as a key as it is not a string (type is "
     "'int'). Open an issue on github if you need non-string keys."),
    (lambda: nn.ParameterDict().update(3), TypeError,
     "ParametersDict.update should be called with an iterable of key/value pairs, but got "
     "int"),
    (lambda: nn.ParameterList([dg.ones(1)])[7], IndexError, "index 7 is out of range"),
])
def test_container_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_parameter_list():
    data = dg.zeros(3, 4)
    ps = nn.ParameterList([nn.Parameter(dg.ones(2)), data])
    assert type(ps[1]) is nn.Parameter and ps[1].requires_grad
    assert ps[1]._data is data._data  # made a Parameter sharing the tensor's memory
    ps.append(nn.Parameter(dg.ones(1, dtype=dg.float64)))
    assert repr(ps) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2]\n"
        "    (1): Parameter containing: [torch.float32 of size 3x4]\n"
        "    (2): Parameter containing: [torch.float64 of size 1]\n)")
    assert list(ps.state_dict()) == ["0", "1", "2"]
    assert ps[-1].shape == (1,) and len(ps) == 3 and len(ps[1:]) == 2
    ps.extend([dg.ones(2)])
    assert len(ps) == 4 and len(list(ps.parameters())) == 4
    assert [p.shape for p in ps] == [(2,), (3, 4), (1,), (2,)]
    ps[0] = dg.full((5,), 2.0)
    assert ps[0].tolist() == [2.0] * 5 and list(ps.parameters())[0] is ps[0]
    mixed = nn.ParameterList([1.5, "a"])
    assert repr(mixed) == ("ParameterList(\n    (0): Object of type: float\n"
                           "    (1): Object of type: str\n)")
    assert mixed[0] == 1.5 and not list(mixed.parameters())
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_dict():
    pd = nn.ParameterDict({"w": nn.Parameter(dg.ones(2)), "b": dg.zeros(3)})  # sorted keys
    assert list(pd) == ["b", "w"] and list(pd.state_dict()) == ["b", "w"]
    assert repr(pd) == (
        "ParameterDict(\n"
        "    (b): Parameter containing: [torch.FloatTensor of size 3]\n"
        "    (w): Parameter containing: [torch.FloatTensor of size 2]\n)")
    ordered = nn.ParameterDict(OrderedDict([("w", dg.ones(1)), ("b", dg.ones(1))]))
    assert list(ordered) == ["w", "b"]
    assert "w" in pd and len(pd) == 2 and type(pd["b"]) is nn.Parameter
    assert pd.get("zz") is None and pd.get("w") is pd["w"]
    del pd["w"]
    assert list(pd) == ["b"] and list(pd.state_dict()) == ["b"]
    assert pd.pop("b").shape == (3,) and len(pd) == 0
    assert repr(pd) == "ParameterDict()"


def test_containers_inside_a_model_train():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict({"x": nn.Linear(2, 1)})
            self.ps = nn.ParameterList([nn.Parameter(dg.ones(1))])
            self.pd = nn.ParameterDict({"s": dg.full((1,), 2.0)})

        def forward(self, x):
            return self.layers["x"](x) * self.ps[0] * self.pd["s"]

    m = M()
    assert repr(m).splitlines()[4] == (
        "  (ps): ParameterList(  (0): Parameter containing: [torch.float32 of size 1])")
    assert list(m.state_dict()) == ["layers.x.weight", "layers.x.bias", "ps.0", "pd.s"]
    opt = dg.optim.SGD(m.parameters(), lr=0.1)
    m(dg.ones(3, 2)).sum().backward()
    assert m.pd["s"].grad is not None and m.ps[0].grad is not None
    opt.step()
    m.load_state_dict(m.state_dict())
