"""F.normalize, cosine_similarity, smooth_l1_loss, huber_loss, kl_div, logsigmoid, softsign,
pad (all four modes) and the loss modules: values against closed forms, gradients against
finite differences, the recorded nodes, errors and warnings (PyTorch 2.13's texts, written
here). Where PyTorch is installed, the same calls run through it too: values and gradients to
1e-12, the same nodes."""

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
C3 = _RNG.normal(size=(2, 4, 5))
C4 = _RNG.normal(size=(1, 3, 4, 5))

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
        name = f.name().removeprefix("torch::autograd::")  # (PyTorch's CopySlices too)
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
    **{f"pad {mode} {len(p) // 2}d": (
        lambda L, x, p=p, mode=mode: L.nn.functional.pad(x, p, mode=mode), (a,))
       for a, pads in ((A, {"reflect": (2, 4), "replicate": (7, -1), "circular": (3, 5)}),
                       (C3, {"reflect": (-1, 2, 3, 1), "replicate": (2, 0, -2, 5),
                             "circular": (1, -2, 4, 2)}),
                       (C4, {"reflect": (1, 2, 3, -1, 2, 1), "replicate": (0, 3, 1, 1, -1, 4),
                             "circular": (-1, 2, 0, 3, 2, 3)}))
       for mode, p in pads.items()},
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
    row = dtorch.tensor([[1, 2, 3, 4]])
    assert F.pad(row, (3, 2), mode="reflect").tolist() == [[4, 3, 2, 1, 2, 3, 4, 3, 2]]
    assert F.pad(row, (-1, 2), mode="reflect").tolist() == [[2, 3, 4, 3, 2]]
    assert F.pad(row, (5, -2), mode="replicate").tolist() == [[1, 1, 1, 1, 1, 1, 2]]
    assert F.pad(row, (4, 1), mode="circular").tolist() == [[1, 2, 3, 4, 1, 2, 3, 4, 1]]
    assert F.pad(row, (-2, 2), mode="circular").tolist() == [[3, 4, 3, 4]]
    grid = dtorch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    assert F.pad(grid, (1, 0, 0, 1), mode="reflect").tolist() == [[[2, 1, 2], [4, 3, 4],
                                                                   [2, 1, 2]]]
    assert F.pad(grid, (0, 1, 1, 0), mode="replicate").tolist() == [[[1, 2, 2], [1, 2, 2],
                                                                     [3, 4, 4]]]
    assert F.pad(grid, (1, 0, 1, 0), mode="circular").tolist() == [[[4, 3, 4], [2, 1, 2],
                                                                    [4, 3, 4]]]
    flags = dtorch.tensor([[True, False]])
    assert F.pad(flags, (1, 1), mode="circular").tolist() == [[False, True, False, True]]
    assert F.pad(grid, (1, 1), mode="reflect", value=0.0).shape == (1, 2, 4)


def test_mode_pad_gradients_fold_the_borders_back() -> None:
    # Each input entry receives the gradient of every output entry that copies it.
    x = dtorch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    weights = dtorch.tensor([[1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]])
    # (2, 1) reads x at: reflect 2 1 0 1 2 1, replicate 0 0 0 1 2 2, circular 1 2 0 1 2 0
    for mode, expected in (("reflect", [[100.0, 101010.0, 10001.0]]),
                           ("replicate", [[111.0, 1000.0, 110000.0]]),
                           ("circular", [[100100.0, 1001.0, 10010.0]])):
        x.grad = None
        (F.pad(x, (2, 1), mode=mode) * weights).sum().backward()
        assert x.grad.tolist() == expected, mode


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
    assert _nodes(F.pad(x, (1, 1), mode="reflect")) == ["ReflectionPad1DBackward0", acc]
    assert _nodes(F.pad(x[None], (1, 1, 1, 1), mode="replicate")) == [
        "ReplicationPad2DBackward0", "UnsqueezeBackward0", acc]
    # circular: the input copied into an empty tensor, then the wrapped borders from the
    # result itself (PyTorch's _pad_circular): copy_ of x, of its left border, of its right
    middle = ["CopySlices", "SliceBackward0", acc]
    left = ["CopySlices", *middle, "SliceBackward0", *middle]
    assert _nodes(F.pad(x, (1, 1), mode="circular")) == ["CopySlices", *left, "SliceBackward0",
                                                         *left]
    gx, = dtorch.autograd.grad(F.pad(x, (1, 2), mode="reflect"), x,
                               dtorch.ones(4, 8, dtype=x.dtype, requires_grad=True),
                               create_graph=True)
    assert _nodes(gx)[0] == "ReflectionPad1DBackwardBackward0"


_SUPPORTED = ("\nSupported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")

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
    "pad reflect value": (
        lambda L: L.nn.functional.pad(L.zeros(2, 3), (1, 1), mode="reflect", value=1.0),
        RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
    "pad circular 1d": (
        lambda L: L.nn.functional.pad(L.zeros(3), (1, 1), mode="circular"),
        NotImplementedError, "Padding size 2 is not supported for 1D input tensor." + _SUPPORTED),
    "pad replicate 5d by 4": (
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 2, 2, 2), (1, 1, 1, 1), mode="replicate"),
        NotImplementedError, "Padding size 4 is not supported for 5D input tensor." + _SUPPORTED),
    "pad reflect too wide": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (4, 0), mode="reflect"), RuntimeError,
        "Argument #4: Padding size should be less than the corresponding input dimension, but "
        "got: padding (4, 0) at dimension 2 of input [1, 3, 4]"),
    "pad reflect too high": (
        lambda L: L.nn.functional.pad(L.zeros(1, 2, 3, 4), (0, 0, 3, 0, 0, 0), mode="reflect"),
        RuntimeError, "Argument #6: Padding size should be less than the corresponding input "
                      "dimension, but got: padding (3, 0) at dimension 2 of input [1, 2, 3, 4]"),
    "pad reflect too deep": (
        lambda L: L.nn.functional.pad(L.zeros(1, 2, 3, 4), (0, 0, 0, 0, 2, 0), mode="reflect"),
        RuntimeError, "Argument #8: Padding size should be less than the corresponding input "
                      "dimension, but got: padding (2, 0) at dimension 1 of input [1, 2, 3, 4]"),
    "pad reflect 3d by 6": (  # (the 3-D padding needs a 4-D or 5-D input)
        lambda L: L.nn.functional.pad(L.zeros(2, 3, 4), (1, 1, 1, 1, 1, 1), mode="reflect"),
        NotImplementedError, "Padding size 6 is not supported for 3D input tensor." + _SUPPORTED),
    "pad reflect bool": (
        lambda L: L.nn.functional.pad(L.ones(2, 3, 4, dtype=L.bool), (1, 1, 1, 1),
                                      mode="reflect"),
        NotImplementedError, "\"reflection_pad2d\" not implemented for 'Bool'"),
    "pad replicate empty": (
        lambda L: L.nn.functional.pad(L.zeros(2, 0, 3), (1, 1), mode="replicate"),
        RuntimeError, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and "
                      "other non-zero dimensions for input, but got: [2, 0, 3]"),
    "pad replicate crops all": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (-2, -2), mode="replicate"),
        RuntimeError, "input (W: 4) is too small. Calculated output W: 0"),
    "pad replicate crops all 2d": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (-2, -2, -3, 0), mode="replicate"),
        RuntimeError, "input (H: 3, W: 4 ) is too small. Calculated output H: 0 W: 0"),
    "pad reflect crops all 2d": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (-2, -2, -2, -2), mode="reflect"),
        RuntimeError, "input (H: 3, W: 4) is too small. Calculated output H: -1 W: 0"),
    "pad reflect crops all 3d": (
        lambda L: L.nn.functional.pad(L.zeros(1, 2, 3, 4), (-2, -2, -2, -2, -2, -2),
                                      mode="reflect"),
        RuntimeError, "input (D: 2 H: 3, W: 4) is too small. Calculated output D: -2 H: -1 W: 0"),
    "pad circular wraps twice": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (5, 1), mode="circular"),
        RuntimeError, "Padding value causes wrapping around more than once."),
    "pad circular wraps a crop": (
        lambda L: L.nn.functional.pad(L.zeros(1, 4), (2, -3), mode="circular"), RuntimeError,
        "unsupported operation: some elements of the input tensor and the written-to tensor "
        "refer to a single memory location. Please clone() the tensor before performing the "
        "operation."),
    "pad circular negative": (
        lambda L: L.nn.functional.pad(L.zeros(1, 3, 4), (0, 0, -3, -1), mode="circular"),
        RuntimeError, "Negative padding value is resulting in an empty dimension"),
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


@pytest.mark.parametrize("name", sorted(n for n in CALLS if n.startswith("pad ")
                                        and n.split()[1] in ("reflect", "replicate",
                                                             "circular")))
def test_mode_pad_second_derivatives_match_pytorch(name: str) -> None:
    # The backward of a pad is linear in the incoming gradient: differentiating it again
    # (create_graph) gives the pad back, applied to the new cotangent.
    torch = pytest.importorskip("torch")
    call, (a,) = CALLS[name]
    results = []
    for lib in (dtorch, torch):
        x = lib.tensor(a, requires_grad=True)
        y = call(lib, x)
        v = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)),
                       requires_grad=True)
        gx, = lib.autograd.grad(y, x, v, create_graph=True)
        gv, = lib.autograd.grad(gx, v, lib.tensor(np.sin(np.arange(gx.numel())).reshape(
            tuple(gx.shape))))
        results.append((gx.detach().numpy(), gv.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-14)
