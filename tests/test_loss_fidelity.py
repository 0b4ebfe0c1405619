"""nn.functional losses and linear against PyTorch 2.13, case by case: the errors (type and
exact text, taken from PyTorch and written here, so that the tests run without it), the
warnings, the legacy ``size_average`` / ``reduce`` arguments, unbatched and K-dimensional
class-index targets (values against a NumPy reference, gradients against finite
differences), non-Tensor arguments, and ``Module.cuda``. Where PyTorch is installed, the same
calls run through it too."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dtorch

_SIZE = "This will likely lead to incorrect results due to broadcasting. Please ensure they " \
        "have the same size."


def _long(*shape: int) -> Any:
    return lambda L: L.zeros(*shape, dtype=L.long)


# name: (call on a library, exception type, PyTorch's exact message)
ERRORS: dict[str, tuple[Any, type, str]] = {
    "bce: int target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]), L.tensor([1, 0])),
        RuntimeError, "Found dtype Long but expected Float"),
    "bce: double target": (
        lambda L: L.nn.functional.binary_cross_entropy(
            L.tensor([.5, .5]), L.tensor([1., 0.], dtype=L.float64)),
        RuntimeError, "Found dtype Double but expected Float"),
    "bce: bool target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]),
                                                       L.tensor([True, False])),
        RuntimeError, "Found dtype Bool but expected Float"),
    "bce: int input and target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([1, 0]), L.tensor([1, 0])),
        NotImplementedError, "\"binary_cross_entropy\" not implemented for 'Long'"),
    "bce: target above 1": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]), L.tensor([2., 0.])),
        RuntimeError, "all elements of target should be between 0 and 1"),
    "bce: negative target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]),
                                                       L.tensor([-.5, 0.])),
        RuntimeError, "all elements of target should be between 0 and 1"),
    "bce: NaN target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]),
                                                       L.tensor([float("nan"), 0.])),
        RuntimeError, "all elements of target should be between 0 and 1"),
    "bce: input checked before target": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([1.5, .5]), L.tensor([2., 0.])),
        RuntimeError, "all elements of input should be between 0 and 1"),
    "bce: target shape": (
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([.5, .5]),
                                                       L.tensor([[1., 0.]])),
        ValueError, "Using a target size (torch.Size([1, 2])) that is different to the input "
                    "size (torch.Size([2])) is deprecated. Please ensure they have the same "
                    "size."),
    "bce with logits: int target": (
        lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.tensor([.5, .5]),
                                                                   L.tensor([1, 0])),
        RuntimeError, "result type Float can't be cast to the desired output type Long"),
    "bce with logits: bool target": (
        lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.tensor([.5, .5]),
                                                                   L.tensor([True, False])),
        RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. "
                      "Use the `^` or `logical_xor()` operator instead."),
    "bce with logits: int input": (
        lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.tensor([1, 0]),
                                                                   L.tensor([1., 0.])),
        NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    "bce with logits: target shape": (
        lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.tensor([.5, .5]),
                                                                   L.tensor([[1., 0.]])),
        ValueError, "Target size (torch.Size([1, 2])) must be the same as input size "
                    "(torch.Size([2]))"),
    "cross_entropy: 2-D target, other shape": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), _long(4, 1)(L)),
        RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    "cross_entropy: int target shaped like the input": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), _long(4, 3)(L)),
        RuntimeError, "Expected floating point type for target with class probabilities, "
                      "got Long"),
    "cross_entropy: float target of another shape": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), L.zeros(4, 2)),
        RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    "cross_entropy: float target of another batch": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), L.zeros(5, 3)),
        ValueError, "Expected input batch_size (4) to match target batch_size (5)."),
    "cross_entropy: float (N,) target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), L.zeros(4)),
        RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    "cross_entropy: probabilities with ignore_index": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3), L.full((2, 3), .3),
                                                ignore_index=1),
        RuntimeError, "ignore_index is not supported for floating point target"),
    "cross_entropy: batch sizes": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), _long(5)(L)),
        ValueError, "Expected input batch_size (4) to match target batch_size (5)."),
    "cross_entropy: 0-d target for a batch": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), L.tensor(0)),
        ValueError, "Expected input batch_size (4) to match target batch_size (0)."),
    "cross_entropy: 3-D input, target of other positions": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4), _long(2, 5)(L)),
        RuntimeError, "Expected target size [2, 4], got [2, 5]"),
    "cross_entropy: 3-D input, 3-D target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4), _long(2, 4, 1)(L)),
        RuntimeError, "Expected target size [2, 4], got [2, 4, 1]"),
    "cross_entropy: 3-D input, batch sizes": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4), _long(3, 4)(L)),
        ValueError, "Expected input batch_size (2) to match target batch_size (3)."),
    "cross_entropy: 3-D input, int32 target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4),
                                                L.zeros(2, 4, dtype=L.int32)),
        RuntimeError, "expected target dtype to be Long or Byte, but got Int"),
    "cross_entropy: 4-D input, target of other positions": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4, 5), _long(2, 4, 6)(L)),
        RuntimeError, "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 6]"),
    "cross_entropy: 4-D input, 2-D target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4, 5), _long(2, 4)(L)),
        RuntimeError, "only batches of spatial targets supported (3D tensors) but got targets "
                      "of dimension: 2"),
    "cross_entropy: 4-D input, float target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4, 5), L.zeros(2, 4, 6)),
        RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    "cross_entropy: 5-D input, target of other positions": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4, 5, 6), _long(2, 4, 5)(L)),
        RuntimeError, "Expected target size [2, 4, 5, 6], got [2, 4, 5]"),
    "cross_entropy: 3-D input, target out of range": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3, 4), L.full((2, 4), 3)),
        IndexError, "Target 3 is out of bounds."),
    "cross_entropy: unbatched, target (2,)": (
        lambda L: L.nn.functional.cross_entropy(L.ones(3), L.tensor([0, 1])),
        ValueError, "For 1D input, 1D target must have size 1, but got target size: 2"),
    "cross_entropy: unbatched, 2-D target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(3), L.tensor([[0, 1]])),
        RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    "cross_entropy: unbatched, float 0-d target": (
        lambda L: L.nn.functional.cross_entropy(L.ones(3), L.tensor(0.)),
        RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    "cross_entropy: unbatched, target out of range": (
        lambda L: L.nn.functional.cross_entropy(L.ones(3), L.tensor(5)),
        IndexError, "Target 5 is out of bounds."),
    "cross_entropy: 0-d input": (
        lambda L: L.nn.functional.cross_entropy(L.tensor(1.), L.tensor(0)),
        RuntimeError, "Expected floating point type for target with class probabilities, "
                      "got Long"),
    "cross_entropy: label_smoothing above 1": (
        lambda L: L.nn.functional.cross_entropy(L.ones(4, 3), _long(5)(L),
                                                label_smoothing=2.0),
        RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 2"),
    "nll_loss: 2-D target": (
        lambda L: L.nn.functional.nll_loss(L.ones(4, 3), _long(4, 3)(L)),
        RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    "nll_loss: float 2-D target": (
        lambda L: L.nn.functional.nll_loss(L.ones(2, 3), L.zeros(2, 3)),
        RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    "nll_loss: 3-D input, (N,) target": (
        lambda L: L.nn.functional.nll_loss(L.ones(4, 3, 2), L.tensor([0, 1, 2, 1])),
        RuntimeError, "Expected target size [4, 2], got [4]"),
    "nll_loss: 4-D input, int32 2-D target": (
        lambda L: L.nn.functional.nll_loss(L.ones(2, 3, 4, 5), L.zeros(2, 4, dtype=L.int32)),
        RuntimeError, "only batches of spatial targets supported (3D tensors) but got targets "
                      "of dimension: 2"),
    "nll_loss: 0-d input": (
        lambda L: L.nn.functional.nll_loss(L.tensor(1.), L.tensor(0)),
        ValueError, "Expected 1 or more dimensions (got 0)"),
    "nll_loss: unbatched, target (3,)": (
        lambda L: L.nn.functional.nll_loss(L.ones(3), L.tensor([0, 1, 2])),
        ValueError, "For 1D input, 1D target must have size 1, but got target size: 3"),
    "nll_loss: unbatched, float target (2,)": (
        lambda L: L.nn.functional.nll_loss(L.ones(3), L.zeros(2)),
        RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    "mse_loss: shapes that do not broadcast": (
        lambda L: L.nn.functional.mse_loss(L.ones(4), L.ones(3)),
        RuntimeError, "The size of tensor a (4) must match the size of tensor b (3) at "
                      "non-singleton dimension 0"),
    "mse_loss: shapes that do not broadcast, 2-D": (
        lambda L: L.nn.functional.mse_loss(L.ones(4, 2), L.ones(3)),
        RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at "
                      "non-singleton dimension 1"),
    "l1_loss: shapes that do not broadcast": (
        lambda L: L.nn.functional.l1_loss(L.ones(4), L.ones(3)),
        RuntimeError, "The size of tensor a (4) must match the size of tensor b (3) at "
                      "non-singleton dimension 0"),
    "mse_loss: reduction": (
        lambda L: L.nn.functional.mse_loss(L.ones(2), L.ones(2), reduction="x"),
        ValueError, "x is not a valid value for reduction"),
    "cross_entropy: reduction": (
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3), _long(2)(L), reduction="x"),
        ValueError, "x is not a valid value for reduction"),
    "linear: bias of the wrong size": (
        lambda L: L.nn.functional.linear(L.ones(4, 3), L.ones(2, 3), L.ones(3)),
        RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
                      "non-singleton dimension 1.  Target sizes: [4, 2].  Tensor sizes: [3]"),
    "linear: bias of the wrong size, 3-D input": (
        lambda L: L.nn.functional.linear(L.ones(5, 4, 3), L.ones(2, 3), L.ones(3)),
        RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
                      "non-singleton dimension 1.  Target sizes: [20, 2].  Tensor sizes: [3]"),
    "linear: bias of the wrong size, 1-D input": (
        lambda L: L.nn.functional.linear(L.ones(3), L.ones(2, 3), L.ones(3)),
        RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
                      "non-singleton dimension 1.  Target sizes: [1, 2].  Tensor sizes: [3]"),
    "linear: 3-D bias": (
        lambda L: L.nn.functional.linear(L.ones(4, 3), L.ones(2, 3), L.ones(4, 2, 1)),
        RuntimeError, "expand(torch.FloatTensor{[4, 2, 1]}, size=[4, 2]): the number of sizes "
                      "provided (2) must be greater or equal to the number of dimensions in "
                      "the tensor (3)"),
    # PyTorch adds a bias with one dimension that is not 1 in addmm (expanded to the rows),
    # any other in place: NumPy's broadcasting would accept all three.
    "linear: (4, 1) bias of a 3-D input": (
        lambda L: L.nn.functional.linear(L.ones(5, 4, 3), L.ones(2, 3), L.ones(4, 1)),
        RuntimeError, "The expanded size of the tensor (20) must match the existing size (4) "
                      "at non-singleton dimension 0.  Target sizes: [20, 2].  Tensor sizes: "
                      "[4, 1]"),
    "linear: bias that would enlarge the output": (
        lambda L: L.nn.functional.linear(L.ones(5, 4, 3), L.ones(2, 3), L.ones(2, 5, 4, 2)),
        RuntimeError, "output with shape [5, 4, 2] doesn't match the broadcast shape "
                      "[2, 5, 4, 2]"),
    "linear: (2, 2) bias of a 1-D input": (
        lambda L: L.nn.functional.linear(L.ones(3), L.ones(2, 3), L.ones(2, 2)),
        RuntimeError, "output with shape [2] doesn't match the broadcast shape [2, 2]"),
    "Linear: bias replaced by one of the wrong size": (
        lambda L: _with_bias(L, L.ones(3))(L.ones(4, 3)),
        RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
                      "non-singleton dimension 1.  Target sizes: [4, 2].  Tensor sizes: [3]"),
    "Linear: 0-d input": (
        lambda L: L.nn.Linear(3, 2)(L.tensor(1.0)),
        RuntimeError, "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    "linear: 3-D weight": (
        lambda L: L.nn.functional.linear(L.ones(3), L.ones(1, 2, 3)),
        RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    "Linear: NumPy input": (
        lambda L: L.nn.Linear(2, 2)(np.ones((1, 2))),
        TypeError, "linear(): argument 'input' (position 1) must be Tensor, not numpy.ndarray"),
    "Linear: list input": (
        lambda L: L.nn.Linear(2, 2)([[1.0, 2.0]]),
        TypeError, "linear(): argument 'input' (position 1) must be Tensor, not list"),
    "linear: NumPy weight": (
        lambda L: L.nn.functional.linear(L.ones(1, 2), np.ones((2, 2))),
        TypeError, "linear(): argument 'weight' (position 2) must be Tensor, not numpy.ndarray"),
    "linear: NumPy bias": (
        lambda L: L.nn.functional.linear(L.ones(1, 2), L.ones(2, 2), np.ones(2)),
        TypeError, "linear(): argument 'bias' (position 3) must be Tensor, not numpy.ndarray"),
    "ReLU: NumPy input": (
        lambda L: L.nn.ReLU()(np.ones(2)),
        TypeError, "relu(): argument 'input' (position 1) must be Tensor, not numpy.ndarray"),
    "Tanh: None": (
        lambda L: L.nn.Tanh()(None),
        TypeError, "tanh(): argument 'input' (position 1) must be Tensor, not NoneType"),
    "Sigmoid: float": (
        lambda L: L.nn.Sigmoid()(1.0),
        TypeError, "sigmoid(): argument 'input' (position 1) must be Tensor, not float"),
    "relu: None": (
        lambda L: L.nn.functional.relu(None),
        TypeError, "relu(): argument 'input' (position 1) must be Tensor, not NoneType"),
    "relu: list": (
        lambda L: L.nn.functional.relu([1.0]),
        TypeError, "relu(): argument 'input' (position 1) must be Tensor, not list"),
    "leaky_relu: NumPy input": (
        lambda L: L.nn.functional.leaky_relu(np.ones(2)),
        TypeError, "leaky_relu(): argument 'input' (position 1) must be Tensor, not "
                   "numpy.ndarray"),
    "gelu: NumPy input": (
        lambda L: L.nn.functional.gelu(np.ones(2)),
        TypeError, "gelu(): argument 'input' (position 1) must be Tensor, not numpy.ndarray"),
    # F.tanh and F.sigmoid are Python functions calling input.tanh() in PyTorch.
    "tanh: NumPy input": (
        lambda L: L.nn.functional.tanh(np.ones(2)),
        AttributeError, "'numpy.ndarray' object has no attribute 'tanh'"),
    "sigmoid: None": (
        lambda L: L.nn.functional.sigmoid(None),
        AttributeError, "'NoneType' object has no attribute 'sigmoid'"),
}


def _with_bias(L: Any, bias: Any) -> Any:
    layer = L.nn.Linear(3, 2)
    layer.bias = L.nn.Parameter(bias)
    return layer


def _raises(call: Any, lib: Any, error: type, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call(lib)
    assert str(info.value) == message


@pytest.mark.parametrize("case", ERRORS)
def test_error_type_and_text(case: str) -> None:
    call, error, message = ERRORS[case]
    _raises(call, dtorch, error, message)


@pytest.mark.parametrize("case", ERRORS)
def test_error_against_pytorch(case: str) -> None:
    torch = pytest.importorskip("torch")
    call, error, message = ERRORS[case]
    _raises(call, torch, error, message)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
def test_target_size_warning(loss: str) -> None:
    fn = getattr(dtorch.nn.functional, loss)
    with pytest.warns(UserWarning) as record:
        out = fn(dtorch.ones(4, 1), dtorch.ones(4))
    assert [str(w.message) for w in record] == [
        "Using a target size (torch.Size([4])) that is different to the input size "
        f"(torch.Size([4, 1])). {_SIZE}"]
    assert out.item() == 0.0
    with pytest.warns(UserWarning, match="different to the input size"), \
            pytest.raises(RuntimeError, match=r"size of tensor a \(4\)"):
        fn(dtorch.ones(4), dtorch.ones(3))


_LEGACY = [(sa, rd) for sa in (None, True, False) for rd in (None, True, False)
           if (sa, rd) != (None, None)]


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    # PyTorch's table (_Reduction.legacy_get_string), spelled out.
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


_LOSSES = {
    "mse_loss": (lambda: dg.tensor([1.0, 2.0]), lambda: dg.tensor([0.0, 4.0])),
    "l1_loss": (lambda: dg.tensor([1.0, 2.0]), lambda: dg.tensor([0.0, 4.0])),
    "binary_cross_entropy": (lambda: dg.tensor([0.2, 0.7]), lambda: dg.tensor([0.0, 1.0])),
    "binary_cross_entropy_with_logits": (lambda: dg.tensor([1.0, -2.0]),
                                         lambda: dg.tensor([0.0, 1.0])),
    "cross_entropy": (lambda: dg.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]]),
                      lambda: dg.tensor([0, 1])),
    "nll_loss": (lambda: dg.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]]),
                 lambda: dg.tensor([0, 1])),
}


@pytest.mark.parametrize("loss", _LOSSES)
@pytest.mark.parametrize(("size_average", "reduce"), _LEGACY)
def test_legacy_size_average_and_reduce(loss: str, size_average: Any, reduce: Any) -> None:
    fn = getattr(dtorch.nn.functional, loss)
    x, y = (make() for make in _LOSSES[loss])
    expected = _legacy_reduction(size_average, reduce)
    with pytest.warns(UserWarning) as record:
        # reduction= is ignored when a legacy argument is given, as in PyTorch
        out = fn(x, y, size_average=size_average, reduce=reduce, reduction="sum")
    assert [str(w.message) for w in record] == [
        f"size_average and reduce args will be deprecated, please use "
        f"reduction='{expected}' instead."]
    np.testing.assert_array_equal(out.numpy(), fn(x, y, reduction=expected).numpy())


def test_legacy_arguments_take_pytorchs_positions() -> None:
    F = dtorch.nn.functional
    x, t = _LOSSES["nll_loss"][0](), dg.tensor([0, 1])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.nll_loss(x, t, None, False).item() == F.nll_loss(x, t, reduction="sum").item()
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.mse_loss(dg.ones(2), dg.zeros(2), False).item() == 2.0
    with pytest.raises(TypeError, match="weight argument is not supported"):
        F.cross_entropy(x, t, dg.ones(3))


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _reference(name: str, x: np.ndarray, t: np.ndarray, reduction: str,
               ignore_index: int = -100, label_smoothing: float = 0.0) -> np.ndarray:
    """cross_entropy / nll_loss for any layout, written directly (class axis 1, or 0 for
    one sample)."""
    axis = 0 if x.ndim == 1 else 1
    t = t.reshape(()) if x.ndim == 1 else t  # one sample: a 0-d target, or (1,)
    logp = _log_softmax(x, axis) if name == "cross_entropy" else x
    valid = t != ignore_index
    picked = np.take_along_axis(logp, np.expand_dims(np.where(valid, t, 0), axis), axis)
    loss = -np.squeeze(picked, axis) * valid
    if label_smoothing:
        smooth = -logp.sum(axis) * valid
        c = x.shape[axis]
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    return loss.sum() / valid.sum() if reduction == "mean" else loss.sum()


_LAYOUTS = {
    "unbatched": ((3,), ()),
    "unbatched, target (1,)": ((3,), (1,)),
    "3-D": ((2, 3, 4), (2, 4)),
    "4-D": ((2, 3, 2, 3), (2, 2, 3)),
    "5-D": ((2, 3, 2, 1, 2), (2, 2, 1, 2)),
}


def _class_case(layout: str, ignore_index: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs, ts = _LAYOUTS[layout]
    c = xs[0] if len(xs) == 1 else xs[1]
    x = rng.normal(size=xs)
    t = rng.integers(0, c, size=ts)
    if ignore_index != -100 and t.size > 1:
        t.flat[0] = ignore_index
        t.flat[1] = (ignore_index + 1) % c
    return x, t


@pytest.mark.parametrize("layout", _LAYOUTS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_unbatched_and_k_dimensional_values_and_gradients(layout: str, name: str,
                                                          reduction: str,
                                                          ignore_index: int) -> None:
    x, t = _class_case(layout, ignore_index)
    fn = getattr(dtorch.nn.functional, name)
    xt = dg.tensor(x, requires_grad=True)
    out = fn(xt, dg.tensor(t), reduction=reduction, ignore_index=ignore_index)
    expected = _reference(name, x, t, reduction, ignore_index)
    assert out.shape == expected.shape  # unbatched: 0-d even for 'none' and target (1,)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    if np.isnan(expected).any():
        return  # one unbatched sample, ignored, averaged: 0 / 0 as in PyTorch
    if layout.startswith("unbatched") or reduction != "none":
        assert out.grad_fn.name() == "NllLossBackward0"
    dg.autograd.gradcheck(lambda v: fn(v, dg.tensor(t), reduction=reduction,
                                       ignore_index=ignore_index), (xt,))
    dg.autograd.gradgradcheck(lambda v: fn(v, dg.tensor(t), reduction=reduction,
                                           ignore_index=ignore_index), (xt,))


@pytest.mark.parametrize("layout", ["unbatched", "3-D", "4-D"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_any_layout(layout: str, reduction: str) -> None:
    x, t = _class_case(layout, 1)
    xt = dg.tensor(x, requires_grad=True)

    def f(v: Any) -> Any:
        return dtorch.nn.functional.cross_entropy(v, dg.tensor(t), reduction=reduction,
                                                  ignore_index=1, label_smoothing=0.2)

    expected = _reference("cross_entropy", x, t, reduction, 1, 0.2)
    np.testing.assert_allclose(f(xt).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    dg.autograd.gradcheck(f, (xt,))


@pytest.mark.parametrize("layout", ["unbatched", "3-D"])
def test_probability_targets_any_layout(layout: str) -> None:
    xs = _LAYOUTS[layout][0]
    rng = np.random.default_rng(1)
    x, p = rng.normal(size=xs), rng.random(xs)
    axis = 0 if len(xs) == 1 else 1
    xt = dg.tensor(x, requires_grad=True)
    out = dtorch.nn.functional.cross_entropy(xt, dg.tensor(p), reduction="none")
    expected = -(_log_softmax(x, axis) * p).sum(axis)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    dg.autograd.gradcheck(lambda v: dtorch.nn.functional.cross_entropy(v, dg.tensor(p)), (xt,))


def test_negative_label_smoothing_is_no_smoothing_as_in_pytorch() -> None:
    x, t = dg.tensor([[1.0, 2.0, 0.5]]), dg.tensor([2])
    F = dtorch.nn.functional
    assert F.cross_entropy(x, t, label_smoothing=-0.5).item() == F.cross_entropy(x, t).item()


@pytest.mark.parametrize("layout", ["unbatched", "3-D", "4-D", "5-D"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_layouts_against_pytorch(layout: str, reduction: str, name: str) -> None:
    torch = pytest.importorskip("torch")
    x, t = _class_case(layout, 1, seed=3)
    outs, grads = [], []
    for L in (torch, dtorch):
        xt = L.tensor(x, requires_grad=True)
        out = getattr(L.nn.functional, name)(xt, L.tensor(t), reduction=reduction,
                                             ignore_index=1)
        out.sum().backward()
        outs.append(out.detach().numpy())
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-13, atol=1e-15)


def test_bce_with_logits_has_the_targets_dtype() -> None:
    x = dg.tensor([0.5, 0.5], requires_grad=True)
    F = dtorch.nn.functional
    out = F.binary_cross_entropy_with_logits(x, dg.tensor([1.0, 0.0], dtype=dg.float64))
    assert out.dtype == dg.float64  # as PyTorch: tensor(0.7241, dtype=torch.float64)
    out.backward()
    assert x.grad.dtype == dg.float32
    out = F.binary_cross_entropy_with_logits(dg.tensor([0.5, 0.5], dtype=dg.float64),
                                             dg.tensor([1.0, 0.0]))
    assert out.dtype == dg.float32


def test_module_cuda_and_cpu() -> None:
    layer = dtorch.nn.Linear(2, 2)
    assert layer.cpu() is layer
    with pytest.raises(RuntimeError, match="dualgrad computes on the CPU with NumPy: device "
                                           "'cuda' is not available"):
        layer.cuda()
    with pytest.raises(RuntimeError, match="device 'cuda:1' is not available"):
        layer.cuda(1)


def test_linear_still_accepts_what_pytorch_accepts() -> None:
    F = dtorch.nn.functional
    x, w = dg.ones(4, 3), dg.ones(2, 3)
    for bias in (dg.ones(2), dg.ones(1), dg.ones(4, 2), dg.ones(4, 1), dg.tensor(1.0)):
        np.testing.assert_array_equal(F.linear(x, w, bias).numpy(), np.full((4, 2), 4.0))
    assert F.linear(dg.ones(5, 4, 3), w, dg.ones(1, 2)).shape == (5, 4, 2)
    assert F.linear(dg.ones(5, 4, 3), w, dg.ones(4, 2)).shape == (5, 4, 2)
    assert F.linear(dg.ones(3), w).shape == (2,)
    assert F.linear(dg.ones(3), w, dg.ones(1, 2)).shape == (2,)  # not (1, 2)


def test_linear_bias_shapes_against_pytorch() -> None:
    torch = pytest.importorskip("torch")

    def result(L: Any, xs: tuple, bs: tuple) -> Any:
        try:
            return tuple(L.nn.functional.linear(L.ones(xs), L.ones(2, 3), L.ones(bs)).shape)
        except RuntimeError as e:
            return str(e)

    for xs in [(3,), (4, 3), (5, 4, 3)]:
        for bs in [(), (1,), (2,), (3,), (1, 2), (2, 1), (1, 1), (4, 2), (4, 1), (5, 4, 2),
                   (1, 1, 2), (2, 5, 4, 2), (3, 4, 2), (20, 2), (2, 2)]:
            assert result(dtorch, xs, bs) == result(torch, xs, bs), (xs, bs)
