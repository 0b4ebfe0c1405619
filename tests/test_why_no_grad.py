"""``dg.why_no_grad``: each common reason for a None gradient, in both API styles. Every case
first shows that the gradient really is None (or cannot be computed), then checks the
explanation."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad as dg


def grad_or_none(target, source):
    """The PyTorch-style gradient, None when unconnected; None too if it cannot be asked."""
    if not (isinstance(target, dg.Tensor) and target.requires_grad and source.requires_grad):
        return None
    return dg.autograd.grad(target, source, retain_graph=True, allow_unused=True)[0]


def test_source_is_not_a_tensor() -> None:
    w = np.array([1.0, 2.0])
    assert dg.why_no_grad(dg.tensor(1.0), w).startswith("source is a ndarray, not a Tensor")


def test_integer_source() -> None:
    n = dg.tensor([1, 2])
    with pytest.raises(RuntimeError):
        n.requires_grad_()
    assert dg.why_no_grad((n * 2.0).sum(), n).startswith("source has dtype int64: only floating")


def test_source_never_required_grad() -> None:
    w = dg.tensor([1.0, 2.0])
    loss = (w * 3).sum()
    assert grad_or_none(loss, w) is None
    assert dg.why_no_grad(loss, w).startswith("source does not require grad")


def test_target_computed_under_no_grad() -> None:
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    with dg.no_grad():
        loss = (w * 3).sum()
    assert grad_or_none(loss, w) is None
    reason = dg.why_no_grad(loss, w)
    assert reason.startswith("target has no grad_fn: it was computed without recording")
    assert "no_grad" in reason


def test_target_through_a_numpy_round_trip_as_float() -> None:
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    loss = float(np.sum(w.detach().numpy() ** 2))
    assert dg.why_no_grad(loss, w).startswith("target is a float, not a Tensor")


def test_target_from_a_comparison_is_integer_or_bool() -> None:
    w = dg.tensor([1.0, -2.0], requires_grad=True)
    positive = (w > 0).sum()
    assert not positive.requires_grad
    assert dg.why_no_grad(positive, w).startswith("target has dtype int64: it comes from an "
                                                  "operation without a gradient")


def test_graph_cut_by_detach_names_the_op() -> None:
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    b = dg.tensor([0.5, 0.5], requires_grad=True)
    loss = (w.detach() * b).sum()  # MulBackward0 saves both inputs, one of them detached
    assert grad_or_none(loss, w) is None
    reason = dg.why_no_grad(loss, w)
    assert reason.startswith("the graph was cut at MulBackward0: it used a copy of source's "
                             "values that is disconnected from source")
    assert "detach()" in reason


def test_graph_cut_with_anomaly_mode_names_the_line() -> None:
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    b = dg.tensor([0.5, 0.5], requires_grad=True)
    with dg.autograd.set_detect_anomaly(True):
        loss = (dg.from_numpy(w.detach().numpy()) * b).sum()
    reason = dg.why_no_grad(loss, w)
    assert reason.startswith("the graph was cut at MulBackward0 (created at File ")
    assert "test_why_no_grad.py" in reason and "loss = (dg.from_numpy(w.detach().numpy()) * b)" \
        in reason
    # A copying round trip (dg.tensor copies) leaves no trace to find: the general reason.
    loss = (dg.tensor(w.detach().numpy()) * b).sum()
    assert "NumPy round trip" in dg.why_no_grad(loss, w)


def test_source_unrelated_to_target() -> None:
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    v = dg.tensor([1.0, 2.0], requires_grad=True)
    loss = (v + 1).sum()
    assert grad_or_none(loss, w) is None
    assert dg.why_no_grad(loss, w).startswith("target does not depend on source: no path in "
                                              "the recorded graph")


def test_rebound_source_is_not_the_tensor_used() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    x_used = x * 2
    loss = (x_used ** 2).sum()
    x = x + 1  # a new tensor: not what loss was computed from
    assert grad_or_none(loss, x) is None
    assert "replaced by a new tensor" in dg.why_no_grad(loss, x)


def test_integer_cast_on_the_path() -> None:
    w = dg.tensor([1.5, 2.5], requires_grad=True)
    loss = (w.long().float() * w).sum()
    # The gradient exists through the second factor...
    assert grad_or_none(loss, w) is not None
    assert dg.why_no_grad(loss, w).startswith("nothing is cut")
    # ...and when the cast is the only path, it is None.
    only = w.long().float().sum()
    if only.requires_grad:
        assert grad_or_none(only, w) is None
        assert "integer values carry no gradient" in dg.why_no_grad(only, w)
    else:
        assert dg.why_no_grad(only, w).startswith("target has no grad_fn")


def test_connected_says_nothing_is_cut() -> None:
    w = dg.tensor([-1.0, 2.0], requires_grad=True)
    loss = dg.relu(w).sum()
    assert grad_or_none(loss, w) is not None
    assert dg.why_no_grad(loss, w).startswith("nothing is cut")
    assert dg.why_no_grad(w, w) == "target is source: the gradient is ones, not None."


def test_leaf_target() -> None:
    w = dg.tensor([1.0], requires_grad=True)
    v = dg.tensor([1.0], requires_grad=True)
    assert dg.why_no_grad(v, w).startswith("target is a leaf tensor")


# --- tape style -------------------------------------------------------------------------------


def test_tape_constant_not_watched() -> None:
    x = dg.constant(3.0)
    with dg.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with dg.GradientTape() as tape:
        y = x * x
    assert dg.why_no_grad(y, x, tape=tape).startswith("source is not watched by the tape")


def test_tape_non_trainable_variable() -> None:
    v = dg.Variable(2.0, trainable=False)
    with dg.GradientTape(persistent=True) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    assert dg.why_no_grad(y, v, tape=tape).startswith("source is a Variable with "
                                                      "trainable=False")


def test_tape_target_computed_outside_the_block() -> None:
    v = dg.Variable(2.0)
    with dg.GradientTape(persistent=True) as tape:
        y = v * v
    z = y * 3  # after the block
    assert tape.gradient(z, v) is None
    assert dg.why_no_grad(z, v, tape=tape).startswith("target was computed outside the tape")
    assert dg.why_no_grad(y, v, tape=tape).startswith("nothing is cut")


def test_tape_already_used() -> None:
    v = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        y = v * v
    tape.gradient(y, v)
    assert dg.why_no_grad(y, v, tape=tape).startswith("the tape holds no records")


def test_tape_method_delegates_to_why_no_grad() -> None:
    x = dg.constant(3.0)
    with dg.GradientTape() as tape:
        y = x * x
    assert "not watched" in tape.why_no_grad(y, x)
    assert tape.why_no_grad(y, x) == dg.why_no_grad(y, x, tape=tape)
    assert tape.gradient(y, x) is None
    assert "no records" in tape.why_no_grad(y, x)
