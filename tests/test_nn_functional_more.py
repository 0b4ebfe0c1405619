"""F.normalize, cosine_similarity, smooth_l1_loss, huber_loss, kl_div, logsigmoid, softsign,
pad and the loss modules: values against closed forms, gradients against finite differences,
the recorded nodes, errors and warnings (PyTorch 2.13's texts, written here). Where PyTorch is
installed, the same calls run through it too: values and gradients to 1e-12, the same nodes."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dualgrad.torch as dtorch

F = dtorch.nn.functional
_RNG = np.random.default_rng(7)
A = _RNG.normal(size=(4, 5))
B = _RNG.normal(size=(4, 5)) * 2
LOGP = A - np.log(np.exp(A).sum(1, keepdims=True))
Q = np.exp(B) / np.exp(B).sum(1, keepdims=True)
Q0 = Q.copy()
Q0[0, 0] = 0.0  # xlogy's 0 * log 0 = 0 (and a NaN gradient for the target there, as in PyTorch)

_KL_MEAN = ("reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.")


def _nodes(t: Any) -> list[str]:
    """The names of the graph's nodes, depth first (AccumulateGrad as PyTorch prints it)."""
    out: list[str] = []

    def walk(f: Any) -> None:
        if f is None:
            return
        name = f.name()
        out.append("AccumulateGrad" if name.endswith("AccumulateGrad") else name)
        for g, _ in f.next_functions:
            walk(g)

    walk(t.grad_fn)
    return out


# name: (call on a library given its tensors, the inputs as arrays)
CALLS: dict[str, tuple[Any, tuple]] = {
    "normalize": (lambda L, x: L.nn.functional.normalize(x), (A,)),
    "normalize p=1 dim=0": (lambda L, x: L.nn.functional.normalize(x, 1.0, 0), (A,)),
    "normalize zero row": (lambda L, x: L.nn.functional.normalize(x),
                           (np.vstack([A[:2], 0 * A[:1]]),)),
    "cosine_similarity": (lambda L, x, y: L.nn.functional.cosine_similarity(x, y), (A, B)),
    "cosine_similarity broadcast": (
        lambda L, x, y: L.nn.functional.cosine_similarity(x, y, dim=0), (A, B[:1])),
    "cosine_similarity tiny": (
        lambda L, x, y: L.nn.functional.cosine_similarity(x, y, eps=1.0), (A * 1e-3, B)),
    "logsigmoid": (lambda L, x: L.nn.functional.logsigmoid(x), (A * 10,)),
    "softsign": (lambda L, x: L.nn.functional.softsign(x), (A,)),
    "pad": (lambda L, x: L.nn.functional.pad(x, (1, 2, -1, 3), value=2.5), (A,)),
    "pad last dim": (lambda L, x: L.nn.functional.pad(x, (0, 2)), (A,)),
    **{f"smooth_l1 {r} beta={b}": (
        lambda L, x, y, r=r, b=b: L.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=b),
        (A, B)) for r in ("mean", "sum", "none") for b in (1.0, 0.5, 0.0)},
    **{f"huber {r}": (
        lambda L, x, y, r=r: L.nn.functional.huber_loss(x, y, reduction=r, delta=1.5), (A, B))
       for r in ("mean", "sum", "none")},
    **{f"kl_div {r} log_target={lt}": (
        lambda L, x, y, r=r, lt=lt: L.nn.functional.kl_div(x, y, reduction=r, log_target=lt),
        (LOGP, np.log(Q + 0.1) if lt else Q))
       for r in ("mean", "sum", "none", "batchmean") for lt in (False, True)},
    "kl_div zero target": (lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="sum"),
                           (LOGP, Q0)),
}


def _run(lib: Any, name: str) -> tuple[Any, list]:
    call, arrays = CALLS[name]
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = call(lib, *inputs)
    return out, inputs


# (at a zero row, normalize's gradient is 1 / eps, PyTorch's; finite differences see the kink)
@pytest.mark.parametrize("name", sorted(set(CALLS) - {"kl_div zero target",
                                                      "normalize zero row"}))
def test_gradients_match_finite_differences(name: str) -> None:
    call, arrays = CALLS[name]
    inputs = tuple(dtorch.tensor(a, requires_grad=True) for a in arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dtorch.autograd.gradcheck(lambda *xs: call(dtorch, *xs), inputs)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_values_gradients_and_nodes_as_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    ours, our_inputs = _run(dtorch, name)
    theirs, their_inputs = _run(torch, name)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-15)
    assert _nodes(ours) == _nodes(theirs)
    v = _RNG.normal(size=tuple(theirs.shape))
    ours.backward(dtorch.tensor(v))
    theirs.backward(torch.tensor(v))
    for o, t in zip(our_inputs, their_inputs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_closed_forms() -> None:
    x, y = dtorch.tensor([0.25, -2.0, 0.5]), dtorch.tensor([0.0, 0.0, 0.0])
    # |d| < beta: 0.5 d^2 / beta; else |d| - beta / 2
    assert F.smooth_l1_loss(x, y, reduction="none", beta=0.5).tolist() == [0.0625, 1.75, 0.25]
    assert F.smooth_l1_loss(x, y, beta=0.0).item() == F.l1_loss(x, y).item()
    # |d| < delta: 0.5 d^2; else delta (|d| - delta / 2)
    assert F.huber_loss(x, y, reduction="none", delta=0.5).tolist() == [0.03125, 0.875, 0.125]
    n = F.normalize(dtorch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert n.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    c = F.cosine_similarity(dtorch.tensor([[1.0, 0.0], [2.0, 2.0]]), dtorch.tensor([[0.0, 3.0]]))
    np.testing.assert_allclose(c.numpy(), [0.0, np.sqrt(0.5)], rtol=1e-6)
    p, q = np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])
    kl = F.kl_div(dtorch.tensor(np.log(p)), dtorch.tensor(q), reduction="batchmean")
    assert kl.item() == pytest.approx(float(np.sum(q * np.log(q / p))), rel=1e-14)
    assert F.logsigmoid(dtorch.tensor([-800.0], dtype=dtorch.float64)).item() == -800.0
    assert F.softsign(dtorch.tensor([-3.0, 1.0])).tolist() == [-0.75, 0.5]
    padded = F.pad(dtorch.tensor([[1, 2, 3]]), (-1, 1, 1, 0), value=7)
    assert padded.tolist() == [[7, 7, 7], [2, 3, 7]] and padded.dtype == dtorch.int64


def test_nodes_are_pytorchs() -> None:
    x = dtorch.tensor(A, requires_grad=True)
    y = dtorch.tensor(B, requires_grad=True)
    acc = "AccumulateGrad"
    assert _nodes(F.normalize(x)) == ["DivBackward0", acc, "ExpandBackward0",
                                      "ClampMinBackward0", "LinalgVectorNormBackward0", acc]
    assert _nodes(F.cosine_similarity(x, y)) == [
        "SumBackward1", "MulBackward0",
        "DivBackward0", acc, "CloneBackward0", "LinalgVectorNormBackward0", acc,
        "DivBackward0", acc, "CloneBackward0", "LinalgVectorNormBackward0", acc]
    assert _nodes(F.smooth_l1_loss(x, y))[0] == "SmoothL1LossBackward0"
    assert _nodes(F.huber_loss(x, y))[0] == "HuberLossBackward0"
    with pytest.warns(UserWarning):
        assert _nodes(F.kl_div(x, y))[:3] == ["MeanBackward0", "SubBackward0", "XlogyBackward0"]
    assert _nodes(F.kl_div(x, y, reduction="batchmean"))[:2] == ["DivBackward0", "SumBackward0"]
    assert _nodes(F.logsigmoid(x)) == ["LogSigmoidBackward0", acc]
    assert _nodes(F.softsign(x)) == ["DivBackward0", acc, "AddBackward0", "AbsBackward0", acc]
    assert _nodes(F.pad(x, (1, 1))) == ["ConstantPadNdBackward0", acc]


# name: (call on a library, exception type, PyTorch 2.13's exact message)
ERRORS: dict[str, tuple[Any, type, str]] = {
    "smooth_l1 negative beta": (
        lambda L: L.nn.functional.smooth_l1_loss(L.zeros(2), L.zeros(2), beta=-1.0),
        RuntimeError, "smooth_l1_loss does not support negative values for beta."),
    "huber zero delta": (
        lambda L: L.nn.functional.huber_loss(L.zeros(2), L.zeros(2), delta=0.0),
        RuntimeError, "huber_loss does not support non-positive values for delta."),
    "huber bad reduction": (
        lambda L: L.nn.functional.huber_loss(L.zeros(2), L.zeros(2), reduction="bad"),
        ValueError, "bad is not a valid value for reduction"),
    "kl_div bad reduction": (
        lambda L: L.nn.functional.kl_div(L.zeros(2), L.zeros(2), reduction="bad"),
        ValueError, "bad is not a valid value for reduction"),
    "logsigmoid long": (
        lambda L: L.nn.functional.logsigmoid(L.tensor([1, 2])),
        NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    "normalize long": (
        lambda L: L.nn.functional.normalize(L.tensor([1, 2])), RuntimeError,
        "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    "cosine long": (
        lambda L: L.nn.functional.cosine_similarity(L.tensor([1, 2]), L.tensor([1, 2])),
        RuntimeError, "expected common dtype to be floating point, yet common dtype is Long"),
    "cosine shapes": (
        lambda L: L.nn.functional.cosine_similarity(L.zeros(2, 3), L.zeros(4, 3)),
        RuntimeError, "The size of tensor a (2) must match the size of tensor b (4) at "
                      "non-singleton dimension 0"),
    "pad odd": (lambda L: L.nn.functional.pad(L.zeros(2, 3), (1,)),
                RuntimeError, "Padding length must be divisible by 2"),
    "pad too long": (
        lambda L: L.nn.functional.pad(L.zeros(2, 3), (1, 1, 1, 1, 1, 1)), RuntimeError,
        "Padding length should be less than or equal to two times the input dimension but got "
        "padding length 6 and input of dimension 2"),
    "pad crops too much": (lambda L: L.nn.functional.pad(L.zeros(2, 3), (-2, -2)),
                           RuntimeError, "narrow(): length must be non-negative."),
    "pad mode": (lambda L: L.nn.functional.pad(L.zeros(2, 3), (1, 1), mode="bad"),
                 NotImplementedError, "Unrecognised padding mode bad"),
}


def _libraries() -> list[Any]:
    try:
        import torch
    except ImportError:
        return [dtorch]
    return [dtorch, torch]


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_have_pytorchs_texts(name: str) -> None:
    call, error, message = ERRORS[name]
    for lib in _libraries():
        with pytest.raises(error) as info:
            call(lib)
        assert str(info.value) == message, lib.__name__


def test_kl_div_warns_for_mean_only() -> None:
    for lib in _libraries():
        x, y = lib.zeros(2, 3), lib.ones(2, 3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.functional.kl_div(x, y)
            lib.nn.KLDivLoss()(x, y)
        assert [str(w.message) for w in caught] == [_KL_MEAN, _KL_MEAN], lib.__name__
        assert caught[0].filename == __file__  # stacklevel: the caller's line
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.nn.functional.kl_div(x, y, reduction="batchmean")
            lib.nn.functional.kl_div(x, y, reduction="sum")


def test_kl_div_legacy_arguments() -> None:
    x, y = dtorch.tensor(LOGP), dtorch.tensor(Q)
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        legacy = dtorch.nn.functional.kl_div(x, y, size_average=False)
    assert legacy.item() == dtorch.nn.functional.kl_div(x, y, reduction="sum").item()


def test_loss_modules() -> None:
    x, y = dtorch.tensor(A), dtorch.tensor(B)
    modules = [(dtorch.nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss, {"beta": 0.5}),
               (dtorch.nn.HuberLoss(reduction="sum", delta=2.0), F.huber_loss,
                {"reduction": "sum", "delta": 2.0}),
               (dtorch.nn.KLDivLoss(reduction="batchmean", log_target=True), F.kl_div,
                {"reduction": "batchmean", "log_target": True})]
    for module, function, kwargs in modules:
        assert module(x, y).item() == function(x, y, **kwargs).item()
    assert [repr(m) for m, _, _ in modules] == ["SmoothL1Loss()", "HuberLoss()", "KLDivLoss()"]
    assert (modules[0][0].beta, modules[1][0].delta, modules[2][0].log_target) == (0.5, 2.0, True)
