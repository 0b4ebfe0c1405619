"""nn: Parameter, Module registration and traversal, Linear/Sequential/activations, loss
modules, state_dict / load_state_dict (with PyTorch's error texts), initialisation."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import nn
from dualgrad.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(dg.ones(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_parameter_is_a_leaf_tensor_sharing_memory():
    data = dg.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, dg.Tensor) and p.is_leaf and p.requires_grad
    assert p._data is data._data
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert type(p * 2) is dg.Tensor
    assert not nn.Parameter(data, requires_grad=False).requires_grad


def test_module_registers_by_attribute():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias",
                                                       "fc2.weight"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert len(list(net.modules())) == 4
    assert net.fc2.bias is None
    assert sum(p.numel() for p in net.parameters()) == 1 + 12 + 4 + 8
    del net.scale
    assert "scale" not in dict(net.named_parameters())


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_module_used_twice_is_saved_under_each_name():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    every = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(model.state_dict()) == every
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == every
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in model.named_children()] == ["0", "1"]
    half = {"0.weight": dg.zeros(2, 2), "0.bias": dg.zeros(2)}
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(half)
    assert str(info.value) == ("Error(s) in loading state_dict for Sequential:\n"
                               '\tMissing key(s) in state_dict: "2.weight", "2.bias". ')
    result = model.load_state_dict(half, strict=False)
    assert result.missing_keys == ["2.weight", "2.bias"] and result.unexpected_keys == []
    assert layer.weight.abs().sum().item() == 0.0
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    m = nn.Module()
    m.register_buffer("a", dg.zeros(1))
    m.register_buffer("b", m.a)
    assert [n for n, _ in m.named_buffers()] == ["a"]
    assert [n for n, _ in m.named_buffers(remove_duplicate=False)] == ["a", "b"]


class ThreeLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.out = nn.Linear(3, 2)


def test_reassignment_keeps_the_registration_order():
    net = ThreeLayers()
    net.fc = nn.Linear(4, 3)
    assert list(net.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert [n for n, _ in net.named_children()] == ["fc", "act", "out"]
    assert repr(net).startswith("ThreeLayers(\n  (fc): Linear")
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(dg.zeros(2, 2))
    assert list(layer._parameters) == ["weight", "bias"]
    assert [p.sum().item() for p in layer.parameters()][0] == 0.0
    layer.register_parameter("weight", None)
    layer.register_parameter("weight", nn.Parameter(dg.ones(2, 2)))
    assert list(layer.state_dict()) == ["weight", "bias"]
    m = nn.Module()
    m.register_buffer("a", dg.zeros(1))
    m.register_buffer("b", dg.zeros(1))
    m.register_buffer("a", dg.ones(1), persistent=False)
    m.a = dg.ones(2)
    assert [n for n, _ in m.named_buffers()] == ["a", "b"] and list(m.state_dict()) == ["b"]
    layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU(), nn.Tanh()])
    layers[1] = nn.Sigmoid()
    assert [type(x).__name__ for x in layers] == ["Linear", "Sigmoid", "Tanh"]


def test_tied_weights_keep_their_place():
    class AutoEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(2, 2)
            self.dec = nn.Linear(2, 2)

    model = AutoEncoder()
    model.dec.weight = model.enc.weight
    assert list(model.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert [n for n, _ in model.named_parameters()] == ["enc.weight", "enc.bias", "dec.bias"]
    # The optimizer numbers parameters in this order, so its state_dict follows it too.
    opt = dg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    params = list(model.parameters())
    assert params[2] is model.dec.bias
    assert opt.state_dict()["param_groups"][0]["params"] == [0, 1, 2]


def test_reassignment_order_matches_torch():
    torch = pytest.importorskip("torch")
    orders = []
    for lib in (dg, torch):
        seq = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU(), lib.nn.Linear(2, 1))
        seq[0].weight = lib.nn.Parameter(lib.zeros(2, 2))
        setattr(seq, "0", lib.nn.Linear(2, 2))
        seq[2].bias = lib.nn.Parameter(lib.zeros(1))
        orders.append((list(seq.state_dict()), repr(seq)))
    assert orders[0] == orders[1]


def test_setattr_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(dg.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before "
                                             r"Module.__init__\(\) call"):
        Early()
    net = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter "
                                        r"'scale' \(torch.nn.Parameter or None expected\)"):
        net.scale = dg.ones(1)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope  # noqa: B018


@pytest.mark.parametrize(("register", "kind", "value"), [
    ("register_buffer", "buffer", dg.zeros(1)),
    ("register_parameter", "parameter", None),
    ("add_module", "module", nn.ReLU()),
])
def test_registered_names_are_checked(register, kind, value):
    layer = nn.Linear(2, 2)
    layer.register_buffer("buf", dg.zeros(1))
    add = getattr(layer, register)
    other = "buf" if kind == "parameter" else "weight"
    for taken in (other, "in_features", "forward", "training"):
        with pytest.raises(KeyError) as info:
            add(taken, value)
        assert info.value.args[0] == f"attribute '{taken}' already exists"
    with pytest.raises(KeyError) as info:
        add("a.b", value)
    got = ", got: a.b" if kind == "module" else ""
    assert info.value.args[0] == f'{kind} name can\'t contain "."{got}'
    with pytest.raises(KeyError) as info:
        add("", value)
    assert info.value.args[0] == f'{kind} name can\'t be empty string ""'
    with pytest.raises(TypeError) as info:
        add(3, value)
    assert str(info.value) == f"{kind} name should be a string. Got int"
    add("fresh", value)
    add("fresh", value)  # its own kind may be registered again
    assert "fresh" in dict(getattr(layer, f"_{kind}s"))


def test_registration_type_errors():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError) as info:
        layer.register_buffer("buf", [1])
    assert str(info.value) == ("cannot assign 'list' object to buffer 'buf' "
                               "(torch Tensor or None required)")
    with pytest.raises(TypeError) as info:
        layer.register_parameter("p", dg.zeros(1))
    assert str(info.value) == ("cannot assign 'torch.FloatTensor' object to parameter 'p' "
                               "(torch.nn.Parameter or None required)")
    with pytest.raises(TypeError, match="^int is not a Module subclass$"):
        layer.add_module("m", 3)
    with pytest.raises(KeyError) as info:
        layer.register_module("a.b", nn.ReLU())
    assert info.value.args[0] == 'module name can\'t contain ".", got: a.b'
    layer.register_buffer("buf", dg.zeros(1))
    with pytest.raises(TypeError) as info:
        layer.buf = 3
    assert str(info.value) == ("cannot assign 'int' as buffer 'buf' "
                               "(torch.nn.Buffer, torch.Tensor or None expected)")
    for taken in ("register_parameter", "add_module"):
        with pytest.raises(KeyError, match="attribute 'buf' already exists"):
            getattr(layer, taken)("buf", None)
    with pytest.raises(KeyError) as info:
        layer.forward = nn.Parameter(dg.zeros(1))
    assert info.value.args[0] == "attribute 'forward' already exists"
    with pytest.raises(KeyError) as info:
        setattr(layer, "a.b", nn.Parameter(dg.zeros(1)))
    assert info.value.args[0] == 'parameter name can\'t contain "."'
    # A plain attribute or a buffer may become a parameter by assignment, as in PyTorch.
    layer.note = 3
    layer.note = nn.Parameter(dg.zeros(1))
    layer.buf = nn.Parameter(dg.zeros(1))
    assert list(layer._parameters) == ["weight", "bias", "note", "buf"]
    assert list(layer._buffers) == []


def test_registration_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [("register_buffer", "weight", "tensor"), ("register_buffer", "a.b", "tensor"),
             ("register_parameter", "", None), ("add_module", "x.y", "module"),
             ("add_module", "bias", None), ("register_buffer", 1.5, None)]
    texts = []
    for lib in (dg, torch):
        layer = lib.nn.Linear(2, 2)
        values = {"tensor": lib.zeros(1), "module": lib.nn.ReLU(), None: None}
        seen = []
        for method, name, value in calls:
            with pytest.raises((KeyError, TypeError)) as info:
                getattr(layer, method)(name, values[value])
            seen.append((info.type, str(info.value)))
        texts.append(seen)
    assert texts[0] == texts[1]


def test_missing_forward():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=r'Module \[NoForward\] is missing the '
                                                  r'required "forward" function'):
        NoForward()(dg.ones(1))


def test_train_eval():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net
    assert not net.training and not net.fc1.training
    net.train()
    assert net.act.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_linear_matches_formula_and_grads(rng):
    layer = nn.Linear(3, 2).double()
    x = dg.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    out = layer(x)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() @ w.T + b, rtol=1e-12)
    g = rng.normal(size=(5, 2))
    out.backward(dg.tensor(g))
    np.testing.assert_allclose(layer.weight.grad.numpy(), g.T @ x.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), g.sum(0), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g @ w, rtol=1e-12)
    # Batched (3-D) input: the map applies to the last dimension.
    assert layer(dg.tensor(rng.normal(size=(2, 5, 3)))).shape == (2, 5, 2)


def test_linear_initialisation_is_seeded_and_bounded():
    dg.manual_seed(3)
    a = nn.Linear(100, 50)
    dg.manual_seed(3)
    b = nn.Linear(100, 50)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(100)
    w = a.weight.detach().numpy()
    assert w.dtype == np.float32 and a.bias.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # std of U(-a, a) is a / sqrt(3)
    assert nn.Linear(2, 2, dtype=dg.float64).weight.dtype == np.float64


def test_sequential_and_repr():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sigmoid())
    assert len(model) == 3 and isinstance(model[0], nn.Linear)
    assert isinstance(model[-1], nn.Sigmoid) and len(model[:2]) == 2
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]
    assert model[np.int64(-1)] is model[2]
    for key, kind in (("0", "str"), (1.0, "float"), (None, "NoneType")):
        with pytest.raises(TypeError) as info:
            model[key]
        assert str(info.value) == f"'{kind}' object cannot be interpreted as an integer"
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="^'str' object cannot be interpreted as an integer$"):
        layers["0"] = nn.Tanh()
    out = model(dg.zeros(4, 2))
    assert out.shape == (4, 3)
    assert repr(model) == ("Sequential(\n"
                           "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                           "  (1): ReLU()\n"
                           "  (2): Sigmoid()\n"
                           ")")
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert repr(Net()).startswith("Net(\n  (fc1): Linear(in_features=3, out_features=4, "
                                  "bias=True)\n  (act): Tanh()\n")


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False), nn.Tanh(),
                         nn.Sigmoid(), nn.MSELoss(), nn.CrossEntropyLoss())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Linear(3, 1, bias=False), torch.nn.Tanh(),
                                 torch.nn.Sigmoid(), torch.nn.MSELoss(),
                                 torch.nn.CrossEntropyLoss())
    assert repr(ours) == repr(theirs)


def test_activation_modules():
    x = dg.tensor([-1.0, 0.5])
    assert nn.ReLU()(x).tolist() == [0.0, 0.5]
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh([-1.0, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp([1.0, -0.5])),
                               rtol=1e-6)


def test_loss_modules_match_functional(rng):
    x = dg.tensor(rng.normal(size=(6, 3)))
    t = dg.tensor(rng.normal(size=(6, 3)))
    labels = dg.tensor(rng.integers(0, 3, 6))
    probs = dg.tensor(rng.uniform(0.1, 0.9, size=(6, 3)))
    targets01 = dg.tensor(rng.integers(0, 2, (6, 3)).astype(np.float64))
    for reduction in ("mean", "sum", "none"):
        pairs = [
            (nn.MSELoss(reduction=reduction)(x, t), F.mse_loss(x, t, reduction=reduction)),
            (nn.L1Loss(reduction=reduction)(x, t), F.l1_loss(x, t, reduction=reduction)),
            (nn.CrossEntropyLoss(reduction=reduction)(x, labels),
             F.cross_entropy(x, labels, reduction=reduction)),
            (nn.NLLLoss(reduction=reduction)(x.log_softmax(1), labels),
             F.nll_loss(x.log_softmax(1), labels, reduction=reduction)),
            (nn.BCELoss(reduction=reduction)(probs, targets01),
             F.binary_cross_entropy(probs, targets01, reduction=reduction)),
            (nn.BCEWithLogitsLoss(reduction=reduction)(x, targets01),
             F.binary_cross_entropy_with_logits(x, targets01, reduction=reduction)),
        ]
        for a, b in pairs:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # cross-entropy by hand
    xs, ls = x.numpy(), labels.numpy()
    logp = xs - np.log(np.exp(xs).sum(1, keepdims=True))
    expected = -logp[np.arange(6), ls].mean()
    assert nn.CrossEntropyLoss()(x, labels).item() == pytest.approx(expected, rel=1e-12)


def test_losses_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, 5)
    t01 = rng.integers(0, 2, (5, 4)).astype(np.float64)
    for reduction in ("mean", "sum"):
        ours = nn.CrossEntropyLoss(reduction=reduction)(dg.tensor(x), dg.tensor(labels))
        theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(torch.tensor(x),
                                                                 torch.tensor(labels))
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
        ours = nn.BCEWithLogitsLoss(reduction=reduction)(dg.tensor(x), dg.tensor(t01))
        theirs = torch.nn.BCEWithLogitsLoss(reduction=reduction)(torch.tensor(x),
                                                                  torch.tensor(t01))
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


def test_state_dict_shares_memory_and_is_detached():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert sd["fc1.weight"]._data is net.fc1.weight._data
    assert not sd["fc1.weight"].requires_grad
    assert net.state_dict(keep_vars=True)["scale"] is net.scale


def test_buffers_in_state_dict():
    m = nn.Module()
    m.register_buffer("running", dg.zeros(2))
    m.register_buffer("scratch", dg.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["running"]
    assert len(list(m.buffers())) == 2


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    for (n1, p1), (n2, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
        assert p1._data is not p2._data


def test_load_state_dict_errors_change_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.clone() for k, v in Net().state_dict().items()}
    del bad["fc1.bias"]
    bad["extra"] = dg.zeros(1)
    bad["fc1.weight"] = dg.zeros(5, 3)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "fc1.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for fc1.weight: copying a param with shape torch.Size([5, 3]) from "
        "checkpoint, the shape in current model is torch.Size([4, 3]).")
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    del bad["fc1.weight"]
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["fc1.weight", "fc1.bias"]
    assert result.unexpected_keys == ["extra"]


def test_load_state_dict_refuses_values_that_are_not_tensors():
    layer = nn.Linear(2, 2)
    before = layer.weight.tolist()
    with pytest.raises(RuntimeError) as info:
        layer.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": np.zeros(2),
                               "extra": dg.zeros(1)})
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tUnexpected key(s) in state_dict: "extra". \n'
        '\tWhile copying the parameter named "weight", expected torch.Tensor or Tensor-like '
        "object from checkpoint but received <class 'list'>\n"
        '\tWhile copying the parameter named "bias", expected torch.Tensor or Tensor-like '
        "object from checkpoint but received <class 'numpy.ndarray'>")
    with pytest.raises(RuntimeError, match="received <class 'float'>$"):
        layer.load_state_dict({"weight": dg.zeros(2, 2), "bias": 3.0}, strict=False)
    assert layer.weight.tolist() == before


def test_load_state_dict_error_text_matches_torch():
    torch = pytest.importorskip("torch")
    msgs = []
    for lib in (dg, torch):
        layer = lib.nn.Linear(2, 3)
        sd = {"weight": lib.zeros(3, 3), "junk": lib.zeros(1)}
        with pytest.raises(RuntimeError) as info:
            layer.load_state_dict(sd)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_module_zero_grad_and_requires_grad():
    net = Net()
    net(dg.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_module_trains_with_optimizer():
    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    x = dg.linspace(-1, 1, 32).reshape(-1, 1)
    y = x * 3 - 1
    opt = dg.optim.Adam(model.parameters(), lr=0.05)
    first = nn.MSELoss()(model(x), y).item()
    for _ in range(200):
        opt.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3 * first


@pytest.mark.parametrize("module", ["dualgrad.nn.modules", "dualgrad.nn.parameter"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_deepcopy_copies_parameters():
    import copy

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    assert clone[0].weight._data is not model[0].weight._data
    np.testing.assert_array_equal(clone[0].weight.detach().numpy(),
                                  model[0].weight.detach().numpy())


def test_functional_linear_forms(rng):
    w = dg.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    x = dg.tensor(rng.normal(size=(4, 3)))
    no_bias = F.linear(x, w)
    assert no_bias.grad_fn.name() == "MmBackward0"
    np.testing.assert_allclose(no_bias.detach().numpy(), x.numpy() @ w.detach().numpy().T)
    one_d = F.linear(x[0], w, dg.ones(2, dtype=dg.float64))
    np.testing.assert_allclose(one_d.detach().numpy(), x.numpy()[0] @ w.detach().numpy().T + 1)


def test_module_to_double_keeps_parameter_identity():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    opt = dg.optim.SGD(layer.parameters(), lr=0.1)
    layer.double()
    assert layer.weight is weight and weight.dtype == np.float64
    layer(dg.ones(1, 2, dtype=dg.float64)).sum().backward()
    opt.step()
    assert weight.dtype == np.float64
