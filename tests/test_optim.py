"""Optimizers and schedulers: update rules against hand-written NumPy references (always) and
against torch.optim (when torch is importable), argument errors, state, apply_gradients."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import nn
from dualgrad.optim import lr_scheduler
from dualgrad.optim.keras import SGD as KerasSGD

# --- a tiny float64 problem shared by the trajectory tests ---------------------------------


def _problem(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"w1": rng.normal(size=(4, 3)), "b1": rng.normal(size=4),
            "w2": rng.normal(size=(2, 4)), "b2": rng.normal(size=2),
            "x": rng.normal(size=(8, 3)), "y": rng.normal(size=(8, 2))}


def _run(lib, data: dict, make_opt, steps: int = 50, leave_b2_without_grad: bool = False):
    """Train a small tanh MLP with ``lib`` (``dualgrad`` or ``torch``): final params, optimizer."""
    params = [lib.tensor(data[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params
    x, y = lib.tensor(data["x"]), lib.tensor(data["y"])
    opt = make_opt(lib.optim, params)
    for _ in range(steps):
        opt.zero_grad()
        h = (x @ w1.t() + b1).tanh()
        out = h @ w2.t() + (0 if leave_b2_without_grad else b2)
        ((out - y) ** 2).mean().backward()
        opt.step()
    return [p.detach().numpy() for p in params], opt


def _dg_run(data: dict, make_opt, steps: int = 50, leave_b2_without_grad: bool = False):
    return _run(dg, data, make_opt, steps, leave_b2_without_grad)


def _torch_run(torch, data: dict, make_opt, steps: int = 50):
    return _run(torch, data, make_opt, steps)[0]


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
    {"lr": 0.01, "maximize": True},
    {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05, "maximize": True},
]
ADAM_CONFIGS = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.parametrize("kwargs", SGD_CONFIGS)
def test_sgd_matches_torch_for_50_steps(kwargs, rng):
    torch = pytest.importorskip("torch")
    data = _problem(rng)
    ours, _ = _dg_run(data, lambda m, ps: m.SGD(ps, **kwargs))
    theirs = _torch_run(torch, data, lambda m, ps: m.SGD(ps, **kwargs))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), ADAM_CONFIGS)
def test_adam_matches_torch_for_50_steps(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    data = _problem(rng)
    ours, _ = _dg_run(data, lambda m, ps: getattr(m, name)(ps, **kwargs))
    theirs = _torch_run(torch, data, lambda m, ps: getattr(m, name)(ps, **kwargs))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# --- references that need no torch -----------------------------------------------------------


def _numpy_sgd(w0: np.ndarray, grad_fn, steps: int, lr: float, momentum=0.0, dampening=0.0,
               weight_decay=0.0, nesterov=False, maximize=False) -> np.ndarray:
    """PyTorch's documented SGD algorithm, written out independently."""
    w, buf = w0.copy(), None
    for _ in range(steps):
        g = grad_fn(w)
        g = -g if maximize else g
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


@pytest.mark.parametrize("kwargs", SGD_CONFIGS)
def test_sgd_matches_numpy_reference(kwargs, rng):
    a = rng.normal(size=(5, 3))
    target = rng.normal(size=5)
    w0 = rng.normal(size=3)

    def grad_fn(w):
        return a.T @ (a @ w - target)

    expected = _numpy_sgd(w0, grad_fn, 30, **kwargs)
    w = dg.tensor(w0, requires_grad=True)
    opt = dg.optim.SGD([w], **kwargs)
    at, tt = dg.tensor(a), dg.tensor(target)
    for _ in range(30):
        opt.zero_grad()
        (0.5 * ((at @ w - tt) ** 2).sum()).backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_adam_first_step_is_lr_times_sign(rng):
    # With zero state the bias corrections cancel: the first step is lr * g / (|g| + eps).
    g = rng.normal(size=6)
    w = dg.tensor(np.zeros(6), requires_grad=True)
    opt = dg.optim.Adam([w], lr=0.1, eps=1e-8)
    w.grad = dg.tensor(g)
    opt.step()
    expected = -0.1 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12)
    assert float(opt.state[w]["step"]) == 1.0


def test_sgd_reaches_least_squares_solution(rng):
    a = rng.normal(size=(20, 3))
    b = rng.normal(size=20)
    w = dg.zeros(3, dtype=dg.float64, requires_grad=True)
    opt = dg.optim.SGD([w], lr=0.02, momentum=0.9)
    at, bt = dg.tensor(a), dg.tensor(b)
    for _ in range(400):
        opt.zero_grad()
        ((at @ w - bt) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), np.linalg.lstsq(a, b, rcond=None)[0],
                               atol=1e-8)


# --- behaviour ---------------------------------------------------------------------------


def test_parameters_without_grad_are_skipped(rng):
    data = _problem(rng)
    before = data["b2"].copy()
    params, opt = _dg_run(data, lambda m, ps: m.SGD(ps, lr=0.1, momentum=0.9), steps=3,
                          leave_b2_without_grad=True)
    np.testing.assert_array_equal(params[3], before)
    assert len(opt.state) == 3


def test_step_updates_in_place_and_bumps_version():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    arr, version = w._data, w._vc[0]
    opt = dg.optim.SGD([w], lr=0.5, momentum=0.9)
    y = (w * w).sum()  # saves w for backward
    y.backward(retain_graph=True)
    opt.step()
    assert w._data is arr
    assert w._vc[0] == version + 1
    assert not w.grad.requires_grad and w.grad_fn is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_zero_grad_modes():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    opt = dg.optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_gradients_accumulate_without_zero_grad():
    w = dg.tensor([1.0], requires_grad=True)
    opt = dg.optim.SGD([w], lr=1.0)
    for _ in range(2):
        (2 * w).sum().backward()
    opt.step()
    assert w.tolist() == [-3.0]


def test_closure_is_called_and_returned():
    w = dg.tensor([3.0], requires_grad=True)
    opt = dg.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and w.item() == 1.5


def test_param_groups_have_their_own_options():
    a = dg.tensor([1.0], requires_grad=True)
    b = dg.tensor([1.0], requires_grad=True)
    opt = dg.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    (a + b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    assert opt.param_groups[1]["momentum"] == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
    ({"lr": 0.1, "weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ({"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_sgd_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        dg.optim.SGD([dg.zeros(1, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ({"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
])
def test_adam_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        dg.optim.Adam([dg.zeros(1, requires_grad=True)], **kwargs)


def test_params_errors():
    w = dg.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                        "torch.FloatTensor"):
        dg.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        dg.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        dg.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordering of tensors in sets"):
        dg.optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        dg.optim.SGD([np.zeros(2)], lr=0.1)
    opt = dg.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        opt.add_param_group({"params": [w]})


def test_named_parameters_are_accepted():
    model = nn.Linear(2, 1)
    opt = dg.optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]


def test_state_dict_round_trip_continues_identically(rng, tmp_path):
    data = _problem(rng)
    _, opt = _dg_run(data, lambda m, ps: m.Adam(ps, lr=0.01, amsgrad=True), steps=5)
    params = [g for group in opt.param_groups for g in group["params"]]
    dg.save({"opt": opt.state_dict(), "params": params}, tmp_path / "ckpt.npz")

    loaded = dg.load(tmp_path / "ckpt.npz")
    fresh = [dg.tensor(p.detach().numpy(), requires_grad=True) for p in loaded["params"]]
    opt2 = dg.optim.Adam(fresh, lr=0.5)
    opt2.load_state_dict(loaded["opt"])
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    sd1, sd2 = opt.state_dict(), opt2.state_dict()
    assert sd1["param_groups"] == sd2["param_groups"]
    for i in sd1["state"]:
        for k in sd1["state"][i]:
            np.testing.assert_array_equal(sd1["state"][i][k].numpy(), sd2["state"][i][k].numpy())
    for p, q in zip(params, fresh):
        g = dg.tensor(rng.normal(size=p.shape))
        p.grad, q.grad = g, g.clone()
    opt.step()
    opt2.step()
    for p, q in zip(params, fresh):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_mismatch_changes_nothing():
    a, b = dg.zeros(2, requires_grad=True), dg.zeros(3, requires_grad=True)
    opt = dg.optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = dg.ones(2), dg.ones(3)
    opt.step()
    sd = opt.state_dict()
    other = dg.optim.SGD([dg.zeros(2, requires_grad=True)], lr=0.3)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    swapped = dg.optim.SGD([dg.zeros(3, requires_grad=True), dg.zeros(2, requires_grad=True)],
                           lr=0.3)
    with pytest.raises(ValueError, match="of shape"):
        swapped.load_state_dict(sd)
    assert swapped.param_groups[0]["lr"] == 0.3 and len(swapped.state) == 0
    two_groups = dg.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two_groups.load_state_dict(sd)


def test_state_dict_matches_torch_layout():
    torch = pytest.importorskip("torch")
    ours_p = dg.zeros(2, requires_grad=True)
    theirs_p = torch.zeros(2, requires_grad=True)
    ours = dg.optim.SGD([ours_p], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([theirs_p], lr=0.1, momentum=0.9)
    for p, opt, lib in ((ours_p, ours, dg), (theirs_p, theirs, torch)):
        p.grad = lib.ones(2)
        opt.step()
    a, b = ours.state_dict(), theirs.state_dict()
    assert set(a) == set(b) and list(a["state"]) == list(b["state"])
    assert set(a["state"][0]) == set(b["state"][0])
    assert set(a["param_groups"][0]) == set(b["param_groups"][0])


def test_sgd_without_momentum_keeps_no_state():
    w = dg.ones(2, requires_grad=True)
    (w * w).sum().backward()
    opt = dg.optim.SGD([w], lr=0.1)
    opt.step()
    opt.apply_gradients([(dg.ones(2), w)])
    assert len(opt.state) == 0 and opt.state_dict()["state"] == {}
    momentum = dg.optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = None
    momentum.step()
    assert momentum.state_dict()["state"] == {}
    w.grad = dg.ones(2)
    momentum.step()
    assert list(momentum.state_dict()["state"]) == [0]
    assert momentum.state[w]["momentum_buffer"].tolist() == [1.0, 1.0]
    adam = dg.optim.Adam([w], lr=0.1)
    adam.step()
    assert list(adam.state_dict()["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]


def test_repr_with_two_groups():
    w, b = dg.zeros(2, requires_grad=True), dg.zeros(1, requires_grad=True)
    sgd = dg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    sgd_group = ("    dampening: 0\n    differentiable: False\n    foreach: None\n"
                 "    fused: None\n    lr: {lr}\n    maximize: False\n    momentum: 0\n"
                 "    nesterov: False\n    weight_decay: 0\n")
    assert repr(sgd) == ("SGD (\nParameter Group 0\n" + sgd_group.format(lr=0.1)
                         + "\nParameter Group 1\n" + sgd_group.format(lr=0.01) + ")")
    adam = dg.optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    adam_group = ("    amsgrad: False\n    betas: (0.9, 0.999)\n    capturable: False\n"
                  "    decoupled_weight_decay: False\n    differentiable: False\n"
                  "    eps: 1e-08\n    foreach: None\n    fused: None\n    lr: {lr}\n"
                  "    maximize: False\n    weight_decay: 0\n")
    assert repr(adam) == ("Adam (\nParameter Group 0\n" + adam_group.format(lr=0.1)
                          + "\nParameter Group 1\n" + adam_group.format(lr=0.01) + ")")
    named = dg.optim.SGD(nn.Linear(2, 1).named_parameters(), lr=0.1)
    assert "    param_names: ['weight', 'bias']\n    weight_decay: 0\n)" in repr(named)


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    reprs = []
    for lib in (dg, torch):
        model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 1))
        groups = [{"params": model[0].named_parameters()},
                  {"params": model[1].named_parameters(), "lr": 0.5, "momentum": 0.9}]
        opt = lib.optim.SGD(groups, lr=0.1, nesterov=False, weight_decay=1e-4)
        lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        reprs.append(repr(opt))
        reprs.append(repr(lib.optim.AdamW(model.parameters(), betas=(0.8, 0.9), amsgrad=True)))
    assert reprs[:2] == reprs[2:]


# --- apply_gradients and Keras-style SGD ---------------------------------------------------


def test_apply_gradients_follows_the_step_trajectory(rng):
    data = _problem(rng)
    expected, _ = _dg_run(data, lambda m, ps: m.SGD(ps, lr=0.05, momentum=0.9), steps=10)
    vs = [dg.Variable(data[k]) for k in ("w1", "b1", "w2", "b2")]
    opt = dg.optim.SGD(vs, lr=0.05, momentum=0.9)
    x, y = dg.constant(data["x"]), dg.constant(data["y"])
    for _ in range(10):
        with dg.GradientTape() as tape:
            w1, b1, w2, b2 = vs
            out = (x @ w1.t() + b1).tanh() @ w2.t() + b2
            loss = ((out - y) ** 2).mean()
        opt.apply_gradients(zip(tape.gradient(loss, vs), vs))
    for v, e in zip(vs, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-12)


def test_apply_gradients_errors():
    w = dg.zeros(2, requires_grad=True)
    opt = dg.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="not in any parameter group"):
        opt.apply_gradients([(dg.ones(2), dg.zeros(2, requires_grad=True))])
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\) does not match"):
        opt.apply_gradients([(dg.ones(3), w)])
    assert w.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("momentum", "nesterov"), [(0.0, False), (0.9, False), (0.7, True)])
def test_keras_sgd_follows_keras_equations(momentum, nesterov, rng):
    grads = rng.normal(size=(6, 3))
    w0 = rng.normal(size=3)
    lr = 0.05
    # Keras's documented update, written out independently.
    w, m = w0.copy(), np.zeros(3)
    for g in grads:
        if momentum == 0:
            w = w - lr * g
        else:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
    v = dg.Variable(w0)
    opt = KerasSGD(learning_rate=lr, momentum=momentum, nesterov=nesterov)
    for i, g in enumerate(grads):
        assert opt.apply_gradients([(dg.constant(g), v)]) == i + 1
    np.testing.assert_allclose(v.numpy(), w, rtol=1e-13)


def test_keras_sgd_momentum_must_be_in_range():
    for bad in (1.5, -0.1, 1):
        with pytest.raises(ValueError, match=r"^`momentum` must be a float between \[0, 1\]\.$"):
            KerasSGD(momentum=bad)


def test_keras_sgd_minimize_with_tape():
    v = dg.Variable([2.0, -1.0])
    opt = KerasSGD(learning_rate=0.25)
    with dg.GradientTape() as tape:
        loss = (v * v).sum()
    opt.minimize(loss, [v], tape=tape)
    assert v.numpy().tolist() == [1.0, -0.5]


# --- schedulers --------------------------------------------------------------------------


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 4}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.5}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + 0.3 * epoch)}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.7, "total_iters": 12}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 7}),
]


def test_multistep_lr_without_torch():
    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    sched = dg.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 1, 3], gamma=0.5)
    seq = []
    for _ in range(5):
        seq.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seq == [1.0, 0.5, 0.5, 0.125, 0.125]  # 3 is listed twice: gamma ** 2
    assert sched.state_dict()["milestones"] == {1: 1, 3: 2}
    with pytest.warns(UserWarning):  # the epoch argument is deprecated, as in PyTorch
        sched.step(2)
    assert sched.get_last_lr() == [0.5]  # the closed form: one milestone passed


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULERS)
def test_schedulers_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    rates = []
    for lib in (dg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.3)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        seq = []
        for _ in range(20):
            seq.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        rates.append(seq + sched.get_last_lr())
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-13)


def test_schedulers_closed_forms():
    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    opt.step()  # once, so that the schedulers below do not warn about the order
    step = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]["lr"])
        step.step()
    np.testing.assert_allclose(seen, [1, 1, 0.1, 0.1, 0.01, 0.01])

    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=2.0)
    opt.step()
    cos = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.5)
    for epoch in range(1, 11):
        cos.step()
        expected = 0.5 + 1.5 * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)

    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=2.0)
    opt.step()
    exp = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        exp.step()
    assert exp.get_last_lr() == [0.25]
    assert opt.param_groups[0]["initial_lr"] == 2.0


def test_scheduler_state_round_trips():
    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    opt.step()
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    buf = io.BytesIO()
    dg.save(sched.state_dict(), buf)
    buf.seek(0)
    opt2 = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    sched2 = lr_scheduler.StepLR(opt2, step_size=7, gamma=0.9)
    sched2.load_state_dict(dg.load(buf))
    assert (sched2.last_epoch, sched2.step_size, sched2.gamma) == (3, 2, 0.5)


def test_scheduler_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(KeyError) as info:
        lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert info.value.args[0] == (
        "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler "
        "with last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume "
        "training from a checkpoint but haven't properly loaded the optimizer state\n2. "
        "You're using last_epoch >= 0 for a fresh training run (not recommended)")


ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
    "later, you should call them in the opposite order: `optimizer.step()` before "
    "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
    "value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
EPOCH_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of the "
    "new chainable form, where available. Please open an issue if you are unable to "
    "replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")
GET_LR_WARNING = "To get the last learning rate computed by the scheduler, please use " \
                 "`get_last_lr()`."


def _warnings_of(run) -> list[str]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    assert all(w.category is UserWarning for w in caught)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULERS)
def test_scheduler_warnings(name, kwargs):
    def make():
        opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
        return opt, getattr(lr_scheduler, name)(opt, **kwargs)

    opt, sched = make()
    # Only the first scheduler step is checked, as in PyTorch.
    assert _warnings_of(lambda: [sched.step(), sched.step()]) == [ORDER_WARNING]
    opt, sched = make()
    assert _warnings_of(lambda: [opt.step(), sched.step(), sched.step()]) == []
    assert _warnings_of(lambda: sched.step(5)) == [EPOCH_WARNING]
    assert _warnings_of(sched.get_lr) == [GET_LR_WARNING]
    assert _warnings_of(sched.get_last_lr) == []
    opt, sched = make()
    opt.apply_gradients([(dg.ones(1), opt.param_groups[0]["params"][0])])
    assert _warnings_of(sched.step) == []


def test_scheduler_order_check_sees_an_overridden_step():
    class Halve(dg.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 1.0})

        def step(self, closure=None):
            """Halve every parameter."""
            for p in self.param_groups[0]["params"]:
                p._data *= 0.5

    w = dg.ones(1, requires_grad=True)
    opt = Halve([w])
    sched = lr_scheduler.StepLR(opt, step_size=1)
    assert Halve.step.__doc__ == "Halve every parameter."
    assert _warnings_of(lambda: [opt.step(), sched.step()]) == []
    assert w.tolist() == [0.5]


def test_scheduler_state_dict_keys():
    opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    common = ["base_lrs", "last_epoch", "_step_count", "_is_initial",
              "_get_lr_called_within_step", "_last_lr"]
    step = lr_scheduler.StepLR(opt, step_size=2).state_dict()
    assert list(step) == ["step_size", "gamma", *common]
    assert step["_get_lr_called_within_step"] is False and step["_is_initial"] is False
    exp = lr_scheduler.ExponentialLR(opt, gamma=0.5).state_dict()
    assert list(exp) == ["gamma", *common]
    cos = lr_scheduler.CosineAnnealingLR(opt, T_max=4).state_dict()
    assert list(cos) == ["T_max", "eta_min", *common]


def test_scheduler_warnings_and_state_match_torch():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (dg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        texts = _warnings_of(lambda s=sched: [s.step(), s.step(2), s.get_lr()])
        seen.append((texts, sched.state_dict()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("module", ["dualgrad.optim.optimizer", "dualgrad.optim.sgd",
                                    "dualgrad.optim.adam", "dualgrad.optim.lr_scheduler",
                                    "dualgrad.optim.rmsprop", "dualgrad.optim.adagrad",
                                    "dualgrad.optim.keras"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_keras_sgd_warns_and_skips_missing_gradients():
    a, b = dg.Variable([1.0]), dg.Variable([2.0])
    opt = KerasSGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['Variable"):
        opt.apply_gradients([(dg.constant([1.0]), a), (None, b)])
    assert a.numpy().tolist() == [0.5] and b.numpy().tolist() == [2.0]
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a)])



# --- RMSprop and Adagrad -------------------------------------------------------------------

RMSPROP_ADAGRAD_CONFIGS = [
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.9}),
    ("RMSprop", {"alpha": 0.3, "centered": True}),  # lerp's other branch (weight >= 1/2)
    ("RMSprop", {"maximize": True, "eps": 1e-3}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"maximize": True, "eps": 1e-3}),
]


@pytest.mark.parametrize(("name", "kwargs"), RMSPROP_ADAGRAD_CONFIGS)
def test_rmsprop_adagrad_match_torch_for_30_steps(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    data = _problem(rng)
    ours, opt = _dg_run(data, lambda m, ps: getattr(m, name)(ps, **kwargs), steps=30)
    theirs = _run(torch, data, lambda m, ps: getattr(m, name)(ps, **kwargs), steps=30)
    for a, b in zip(ours, theirs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    ours_state, their_state = opt.state_dict(), theirs[1].state_dict()
    assert ours_state["param_groups"] == their_state["param_groups"]
    for i, entry in their_state["state"].items():
        assert list(ours_state["state"][i]) == list(entry)
        for key, value in entry.items():
            np.testing.assert_allclose(ours_state["state"][i][key].numpy(), value.numpy(),
                                       rtol=1e-12, atol=1e-12)
            assert ours_state["state"][i][key].dtype.itemsize == value.dtype.itemsize


def _numpy_rmsprop(w0, grad_fn, steps, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                   momentum=0.0, centered=False, maximize=False):
    """PyTorch's documented RMSprop algorithm, written out independently."""
    w, v, b, m = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), np.zeros_like(w0)
    for _ in range(steps):
        g = grad_fn(w)
        g = (-g if maximize else g) + weight_decay * w
        v = alpha * v + (1 - alpha) * g ** 2
        denom = v
        if centered:
            m = alpha * m + (1 - alpha) * g
            denom = v - m ** 2
        step = g / (np.sqrt(denom) + eps)
        if momentum > 0:
            b = momentum * b + step
            step = b
        w = w - lr * step
    return w


def _numpy_adagrad(w0, grad_fn, steps, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                   initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    """PyTorch's documented Adagrad algorithm, written out independently."""
    w, total = w0.copy(), np.full_like(w0, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad_fn(w)
        g = (-g if maximize else g) + weight_decay * w
        total = total + g ** 2
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(total) + eps)
    return w


@pytest.mark.parametrize(("name", "kwargs"), RMSPROP_ADAGRAD_CONFIGS)
def test_rmsprop_adagrad_match_numpy_references(name, kwargs, rng):
    a, target, w0 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    reference = _numpy_rmsprop if name == "RMSprop" else _numpy_adagrad
    expected = reference(w0, lambda w: a.T @ (a @ w - target), 30, **kwargs)
    w = dg.tensor(w0, requires_grad=True)
    opt = getattr(dg.optim, name)([w], **kwargs)
    at, tt = dg.tensor(a), dg.tensor(target)
    for _ in range(30):
        opt.zero_grad()
        (0.5 * ((at @ w - tt) ** 2).sum()).backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("RMSprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("RMSprop", {"eps": -1e-3}, "Invalid epsilon value: -0.001"),
    ("RMSprop", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("RMSprop", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("RMSprop", {"alpha": -1}, "Invalid alpha value: -1"),
    ("Adagrad", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1},
     "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
])
def test_rmsprop_adagrad_argument_errors(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        getattr(dg.optim, name)([dg.zeros(1, requires_grad=True)], **kwargs)
    assert str(info.value) == message


def test_rmsprop_adagrad_state_and_repr():
    w = dg.ones(2, requires_grad=True)
    w.grad = dg.ones(2)
    plain, full = dg.optim.RMSprop([w]), dg.optim.RMSprop([w], momentum=0.9, centered=True)
    adagrad = dg.optim.Adagrad([w], initial_accumulator_value=0.5)
    # Adagrad's state exists from the start, as PyTorch's.
    assert list(adagrad.state[w]) == ["step", "sum"] and adagrad.state[w]["sum"].tolist() == \
        [0.5, 0.5] and float(adagrad.state[w]["step"]) == 0.0
    for opt in (plain, full, adagrad):
        opt.step()
    assert list(plain.state[w]) == ["step", "square_avg"]
    assert list(full.state[w]) == ["step", "square_avg", "momentum_buffer", "grad_avg"]
    assert full.state[w]["step"].dtype == dg.float32 and float(adagrad.state[w]["step"]) == 1.0
    assert repr(full) == (
        "RMSprop (\nParameter Group 0\n    alpha: 0.99\n    capturable: False\n"
        "    centered: True\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n"
        "    lr: 0.01\n    maximize: False\n    momentum: 0.9\n    weight_decay: 0\n)")
    assert repr(adagrad) == (
        "Adagrad (\nParameter Group 0\n    differentiable: False\n    eps: 1e-10\n"
        "    foreach: None\n    fused: None\n    initial_accumulator_value: 0.5\n"
        "    lr: 0.01\n    lr_decay: 0\n    maximize: False\n    weight_decay: 0\n)")
    b = dg.ones(1, requires_grad=True)
    adagrad.add_param_group({"params": [b]})
    b.grad = dg.ones(1)
    adagrad.step()  # a group added later gets its state on its first step
    assert list(adagrad.state[b]) == ["step", "sum"] and float(adagrad.state[b]["step"]) == 1.0


def test_rmsprop_adagrad_reprs_match_torch():
    torch = pytest.importorskip("torch")
    reprs = []
    for lib in (dg, torch):
        w = lib.zeros(2, requires_grad=True)
        reprs.append((repr(lib.optim.RMSprop([w], lr=0.1, centered=True)),
                      repr(lib.optim.Adagrad([w], lr_decay=0.1, maximize=True))))
    assert reprs[0] == reprs[1]



def test_new_schedulers_closed_forms_and_epoch_jumps():
    rates = {}
    for name, kwargs in [("LambdaLR", {"lr_lambda": lambda e: 0.5 ** e}),
                         ("LinearLR", {"start_factor": 0.25, "total_iters": 3}),
                         ("ConstantLR", {"factor": 0.5, "total_iters": 2})]:
        opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=2.0)
        sched = getattr(lr_scheduler, name)(opt, **kwargs)
        seq = []
        for _ in range(5):
            seq.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        with pytest.warns(UserWarning):  # the deprecated epoch argument: the closed form
            sched.step(1)
        rates[name] = seq + sched.get_last_lr()
    assert rates["LambdaLR"] == [2.0, 1.0, 0.5, 0.25, 0.125, 1.0]
    assert rates["LinearLR"] == [0.5, 1.0, 1.5, 2.0, 2.0, 1.0]
    assert rates["ConstantLR"] == [1.0, 1.0, 2.0, 2.0, 2.0, 1.0]


def test_lambda_lr_per_group_and_state():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    w, b = dg.zeros(1, requires_grad=True), dg.zeros(1, requires_grad=True)
    opt = dg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=1.0)
    with pytest.raises(ValueError) as info:
        lr_scheduler.LambdaLR(opt, [Decay(0.5)])
    assert str(info.value) == "Expected 2 lr_lambdas, but got 1"
    sched = lr_scheduler.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.5, 0.5]
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None] and "optimizer" not in state
    other = lr_scheduler.LambdaLR(opt, [Decay(0.9), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5 and other.last_epoch == 1


@pytest.mark.parametrize(("make", "message"), [
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0),
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5),
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda o: lr_scheduler.ConstantLR(o, factor=-0.1),
     "Constant multiplicative factor expected to be between 0 and 1."),
])
def test_new_scheduler_errors(make, message):
    with pytest.raises(ValueError) as info:
        make(dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0))
    assert str(info.value) == message


def test_new_scheduler_state_dicts_match_torch():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (dg, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        states = []
        for sched in (lib.optim.lr_scheduler.LinearLR(opt), lib.optim.lr_scheduler.ConstantLR(opt),
                      lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)):
            opt.step()
            sched.step()
            states.append(sched.state_dict())
        seen.append(states)
    assert seen[0] == seen[1]
