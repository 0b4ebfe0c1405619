"""The TensorFlow-style front end: GradientTape, Variable, constant, stop_gradient.

Expected values come from the math (closed forms) and from central finite differences in
float64; TensorFlow is not needed. The printed forms of seed 003's TensorFlow cells are tested
in ``test_tf_namespace.py``.
"""

from __future__ import annotations

import doctest
import gc
import logging
import tracemalloc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import dualgrad as dg
import dualgrad.tf as tf
from dualgrad import tape as tape_module
from dualgrad._grad_mode import active_recorders


def _fd_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``f`` (array -> array) at ``x``, shape out + in."""
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


# --------------------------------------------------------------------------------------------
# Basics: what is recorded, what is watched


def test_variable_is_watched_automatically() -> None:
    x = dg.Variable(3.0)
    with dg.GradientTape() as tape:
        y = x ** 2
    assert tape.watched_variables() == (x,)
    g = tape.gradient(y, x)
    assert g.dtype == np.float32
    assert g.item() == pytest.approx(6.0)
    assert x.grad is None


def _needs_watch(x: dg.Tensor) -> dg.GradientTape:
    """``x`` is not recorded by a tape until watched; returns the tape that watched it."""
    with dg.GradientTape() as tape:
        y = x ** 2
    assert tape.gradient(y, x) is None
    with dg.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    assert tape.gradient(y, x).item() == pytest.approx(6.0)
    return tape


def test_constant_needs_watch() -> None:
    tape = _needs_watch(dg.constant(3.0))
    assert tape.watched_variables() == ()


def test_only_operations_inside_the_block_are_recorded() -> None:
    x = dg.Variable(2.0)
    before = x * 3
    with dg.GradientTape(persistent=True) as tape:
        inside = x * 5
    after = x * 7
    after_from_recorded = inside * 2  # a PyTorch-style node, not on the tape
    assert after_from_recorded.requires_grad
    assert tape.gradient(after_from_recorded, x) is None
    assert tape.gradient(before, x) is None
    assert tape.gradient(inside, x).item() == pytest.approx(5.0)
    assert tape.gradient(after, x) is None
    # Nothing leaks into the PyTorch side.
    assert not before.requires_grad and not after.requires_grad
    assert active_recorders() == ()


def test_watch_accessed_variables_false() -> None:
    a, b = dg.Variable(2.0), dg.Variable(3.0)
    with dg.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a ** 2 + b ** 3
    assert tape.watched_variables() == (a,)
    ga, gb = tape.gradient(y, [a, b])
    assert ga.item() == pytest.approx(4.0)
    assert gb is None


def test_non_trainable_variable_needs_watch() -> None:
    x = dg.Variable(3.0, trainable=False)
    assert not x.trainable
    _needs_watch(x)


def test_intermediate_source_and_watched_intermediate() -> None:
    x = dg.Variable(3.0)
    with dg.GradientTape(persistent=True) as tape:
        y = x ** 2
        z = dg.sin(y)
    assert tape.gradient(z, y).item() == pytest.approx(np.cos(9.0), rel=1e-6)
    # A tensor computed before the tape and then watched is a source in its own right.
    pre = dg.constant(2.0) * 3
    with dg.GradientTape() as tape:
        tape.watch(pre)
        out = pre ** 2
    assert tape.gradient(out, pre).item() == pytest.approx(12.0)


# --------------------------------------------------------------------------------------------
# gradient(): structures, targets, output_gradients, unconnected, dtypes


def test_non_scalar_target_is_summed_and_targets_add_up() -> None:
    x = dg.constant(np.array([1.0, 2.0, 3.0]))
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 2
        w = 3 * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy())
    np.testing.assert_allclose(tape.gradient([y, w], x).numpy(), 2 * x.numpy() + 3)
    np.testing.assert_allclose(tape.gradient({"a": y, "b": w}, x).numpy(), 2 * x.numpy() + 3)
    v = np.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=v).numpy(),
                               2 * x.numpy() * v)


def test_sources_keep_their_structure() -> None:
    w = dg.Variable(np.array([1.0, 2.0]))
    b = dg.Variable(0.5)
    c = dg.Variable(-1.0)
    with dg.GradientTape(persistent=True) as tape:
        loss = dg.sum(w * w) + 3 * b + 0 * c
    grads = tape.gradient(loss, {"w": w, "extra": [b, (c,)]})
    assert list(grads) == ["w", "extra"]
    np.testing.assert_allclose(grads["w"].numpy(), [2.0, 4.0])
    assert isinstance(grads["extra"], list) and isinstance(grads["extra"][1], tuple)
    assert grads["extra"][0].item() == pytest.approx(3.0)
    assert grads["extra"][1][0].item() == pytest.approx(0.0)
    gw, gb = tape.gradient(loss, (w, b))
    assert gb.item() == pytest.approx(3.0)


def test_unconnected_none_and_zero() -> None:
    x, y = dg.Variable(np.array([1.0, 2.0])), dg.Variable(np.array([3.0, 4.0, 5.0]))
    with dg.GradientTape(persistent=True) as tape:
        z = dg.sum(x * 2)
        y.numpy()  # reading the value is not an operation: y stays unconnected
    assert tape.gradient(z, y) is None
    zero = tape.gradient(z, y, unconnected_gradients=dg.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zero.numpy(), np.zeros(3))
    assert zero.dtype == y.dtype
    assert tape.gradient(z, [x, y], unconnected_gradients="zero")[1].shape == (3,)
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients"):
        tape.gradient(z, x, unconnected_gradients="ones")


def test_integer_source_gives_none_with_tensorflow_warning(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    x = dg.constant(3)
    assert x.dtype == np.int32
    with caplog.at_level(logging.WARNING, logger="dualgrad"):
        with dg.GradientTape() as tape:
            tape.watch(x)
            y = x * 2
    assert "The dtype of the watched tensor must be floating (e.g. tf.float32), got tf.int32" \
        in caplog.text
    assert tape.gradient(y, x) is None


def test_watch_rejects_non_tensors() -> None:
    with dg.GradientTape() as tape, pytest.raises(ValueError, match="not tf.Tensor"):
        tape.watch(3.0)


def test_stop_gradient_blocks() -> None:
    x = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        y = x * dg.stop_gradient(x ** 2) + x
    # d/dx [x * c + x] with c = x**2 held constant = c + 1 = 5
    assert tape.gradient(y, x).item() == pytest.approx(5.0)


def test_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    a0, b0 = rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def f(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(np.tanh(a @ b) * np.exp(b[:3])))

    a, b = dg.Variable(a0), dg.Variable(b0)
    with dg.GradientTape() as tape:
        out = dg.sum(dg.tanh(a @ b) * dg.exp(b[:3]))
    ga, gb = tape.gradient(out, [a, b])
    np.testing.assert_allclose(ga.numpy(), _fd_jacobian(lambda v: f(v, b0), a0), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(gb.numpy(), _fd_jacobian(lambda v: f(a0, v), b0), rtol=1e-6,
                               atol=1e-8)


def test_a_target_that_is_a_source_gets_ones() -> None:
    # TensorFlow's guide: ``result = v0`` (no operation) still gives d result / d v0 = 1.
    v0, v1 = dg.Variable(2.0), dg.Variable(np.array([1.0, 2.0]))
    with dg.GradientTape(persistent=True) as tape:
        result = v0
        other = v1 * 3
    g0, g1 = tape.gradient(result, [v0, v1])
    assert g0.item() == 1.0 and g1 is None
    assert tape.gradient(v1, v1).numpy().tolist() == [1.0, 1.0]
    # ... and adds up with the gradient through recorded operations.
    np.testing.assert_allclose(tape.gradient([other, v1], v1).numpy(), [4.0, 4.0])


def test_output_gradients_follow_the_targets() -> None:
    x = dg.Variable(np.array([1.0, 2.0]))
    with dg.GradientTape(persistent=True) as tape:
        y = x ** 2
        w = x * 10
    g = tape.gradient([y, w], x, output_gradients=[np.array([1.0, 0.0]), None])
    np.testing.assert_allclose(g.numpy(), [2.0 + 10.0, 10.0])
    with pytest.raises(ValueError, match="output_gradients has 1 entries for 2 targets"):
        tape.gradient([y, w], x, output_gradients=[None])


def test_non_persistent_gradient_inside_the_block_stops_recording() -> None:
    x = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        y = x * x
        assert tape.gradient(y, x).item() == pytest.approx(4.0)
        z = x * 3
    assert z.grad_fn is None  # the used-up tape records nothing more
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(z, x)


def test_persistent_gradient_inside_the_block_warns(caplog: pytest.LogCaptureFixture) -> None:
    tape_module._warned_inside = False
    x = dg.Variable(2.0)
    with caplog.at_level(logging.WARNING, logger="dualgrad"):
        with dg.GradientTape(persistent=True) as tape:
            tape.gradient(x * x, x)
    assert "Calling GradientTape.gradient on a persistent tape inside its context" in caplog.text


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_both_front_ends_give_the_same_gradients(shapes, seed: int) -> None:
    # The tape and the PyTorch style run the same nodes through the same engine; with
    # broadcasting, the engine's sum_to must bring each gradient back to its input's shape.
    rng = np.random.default_rng(seed)
    a0, b0 = (rng.uniform(0.5, 1.5, size=s) for s in shapes.input_shapes)

    def f(a, b):
        return dg.sum(dg.exp(a * b) / (a + b) - dg.sin(b) * a)

    a, b = dg.Variable(a0), dg.Variable(b0)
    with dg.GradientTape() as tape:
        out = f(a, b)
    ga, gb = tape.gradient(out, [a, b])
    at, bt = dg.tensor(a0, requires_grad=True), dg.tensor(b0, requires_grad=True)
    f(at, bt).backward()
    assert ga.shape == a0.shape and gb.shape == b0.shape
    np.testing.assert_allclose(ga.numpy(), at.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(gb.numpy(), bt.grad.numpy(), rtol=1e-14)

    def f_np(av: np.ndarray, bv: np.ndarray) -> float:
        return float(np.sum(np.exp(av * bv) / (av + bv) - np.sin(bv) * av))

    np.testing.assert_allclose(ga.numpy(), _fd_jacobian(lambda v: f_np(v, b0), a0),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb.numpy(), _fd_jacobian(lambda v: f_np(a0, v), b0),
                               rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------------------
# Persistence, errors, stop_recording, reset


def test_non_persistent_tape_second_call_raises() -> None:
    x = dg.Variable(3.0)
    with dg.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=r"^A non-persistent GradientTape can only be used to "
                       r"compute one set of gradients \(or jacobians\)$"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.jacobian(y, x)


def test_non_persistent_tape_frees_saved_values() -> None:
    x = dg.Variable(np.array([1.0, 2.0]))
    with dg.GradientTape() as tape:
        y = x * 2
        z = dg.sin(y)
    y_ref = weakref.ref(y)
    del y
    tape.gradient(z, x)
    gc.collect()
    assert y_ref() is None  # the saved input of sin was released
    # TensorFlow still lists the variables the released tape watched.
    assert tape._nodes == set() and tape.watched_variables() == (x,)


def test_persistent_tape_many_calls() -> None:
    x = dg.constant(3.0)
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    for _ in range(3):
        assert tape.gradient(z, x).item() == pytest.approx(108.0)
        assert tape.gradient(y, x).item() == pytest.approx(6.0)


def test_reentering_an_active_tape_raises() -> None:
    tape = dg.GradientTape()
    with tape, pytest.raises(ValueError, match=r"^Tape is still recording, This can happen if "
                             r"you try to re-enter an already-active tape\.$"):
        with tape:
            pass
    assert active_recorders() == ()


def test_persistent_tape_can_be_entered_again() -> None:
    x = dg.Variable(2.0)
    tape = dg.GradientTape(persistent=True)
    with tape:
        y = x ** 2
    with tape:
        z = y * 3
    assert tape.gradient(z, x).item() == pytest.approx(12.0)


def test_stop_recording() -> None:
    x = dg.Variable(3.0)
    with dg.GradientTape(persistent=True) as tape:
        y = x ** 2
        with tape.stop_recording():
            unrecorded = x ** 3
        z = x * 4
    assert tape.gradient(y, x).item() == pytest.approx(6.0)
    assert tape.gradient(unrecorded, x) is None
    assert tape.gradient(z, x).item() == pytest.approx(4.0)
    # After its block, as in TensorFlow 2.18; a tape that never recorded: RuntimeError.
    with pytest.raises(ValueError, match=r"^Tape is not recording\.$"):
        with tape.stop_recording():
            pass
    with pytest.raises(RuntimeError, match=r"^Trying to stop recording a tape which is not "
                       r"recording\.$"):
        with dg.GradientTape().stop_recording():
            pass


def test_reset() -> None:
    x = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        loss = x ** 3
        tape.reset()
        loss = loss + x ** 2
    # Only what happened after reset counts: d(x**2)/dx = 4.
    assert tape.gradient(loss, x).item() == pytest.approx(4.0)


def test_gradient_on_a_tape_never_entered_raises() -> None:
    x = dg.Variable(1.0)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        dg.GradientTape().gradient(x, x)


# --------------------------------------------------------------------------------------------
# Higher order, jacobian


def test_nested_tapes_second_and_third_derivatives() -> None:
    x0 = 0.7
    x = dg.constant(np.float64(x0))
    with dg.GradientTape() as t3:
        t3.watch(x)
        with dg.GradientTape() as t2:
            t2.watch(x)
            with dg.GradientTape() as t1:
                t1.watch(x)
                y = dg.sin(x ** 2)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    s, c = np.sin(x0 ** 2), np.cos(x0 ** 2)
    assert d1.item() == pytest.approx(2 * x0 * c, rel=1e-12)
    assert d2.item() == pytest.approx(2 * c - 4 * x0 ** 2 * s, rel=1e-12)
    assert d3.item() == pytest.approx(-12 * x0 * s - 8 * x0 ** 3 * c, rel=1e-12)


def test_persistent_gradient_inside_its_own_context_is_recorded() -> None:
    x = dg.Variable(np.float64(1.5))
    with dg.GradientTape(persistent=True) as tape:
        y = x ** 3
        dy = tape.gradient(y, x)
    assert tape.gradient(dy, x).item() == pytest.approx(6 * 1.5)


def test_jacobian_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    a0 = rng.normal(size=(2, 3))
    x0 = rng.normal(size=(3,))
    x = dg.constant(x0)
    a = dg.Variable(a0)
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = dg.tanh(a @ x) * x[:2]
    jx = tape.jacobian(y, x)
    ja = tape.jacobian(y, a)
    assert jx.shape == (2, 3) and ja.shape == (2, 2, 3)
    np.testing.assert_allclose(jx.numpy(), _fd_jacobian(lambda v: np.tanh(a0 @ v) * v[:2], x0),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ja.numpy(), _fd_jacobian(lambda m: np.tanh(m @ x0) * x0[:2], a0),
                               rtol=1e-6, atol=1e-8)
    jd = tape.jacobian(y, {"x": x, "u": dg.constant(1.0)},
                       unconnected_gradients=dg.UnconnectedGradients.ZERO)
    assert jd["u"].shape == (2,)
    with dg.GradientTape() as once:
        once.watch(x)
        y1 = x * 2
    with pytest.raises(RuntimeError, match="with  experimental_use_pfor set to False"):
        once.jacobian(y1, x, experimental_use_pfor=False)


def test_nested_jacobian_is_the_hessian() -> None:
    x0 = np.array([0.3, -0.8])
    x = dg.constant(x0)
    with dg.GradientTape() as outer:
        outer.watch(x)
        with dg.GradientTape() as inner:
            inner.watch(x)
            y = dg.sum(x ** 3) + x[0] * x[1]
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)
    np.testing.assert_allclose(h.numpy(), [[6 * x0[0], 1.0], [1.0, 6 * x0[1]]], rtol=1e-12)


def test_batch_jacobian() -> None:
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(4, 3))
    w0 = rng.normal(size=(3, 2))
    x = dg.constant(x0)
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = dg.tanh(x @ dg.constant(w0))
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (4, 2, 3)
    full = tape.jacobian(y, x).numpy()  # (4, 2, 4, 3)
    for b in range(4):
        np.testing.assert_allclose(bj.numpy()[b], full[b, :, b, :], rtol=1e-12)
    np.testing.assert_allclose(
        bj.numpy()[1], _fd_jacobian(lambda v: np.tanh(v @ w0), x0[1]), rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        tape.batch_jacobian(y, dg.constant(np.zeros((5, 3))))


# --------------------------------------------------------------------------------------------
# Variable


def test_variable_dtypes_and_assign() -> None:
    assert dg.Variable(3.0).dtype == np.float32
    assert dg.Variable(3).dtype == np.int32
    assert dg.Variable(np.arange(3.0)).dtype == np.float64
    v = dg.Variable([1.0, 2.0], name="w")
    assert v.name == "w:0"
    snapshot = v.numpy()
    version = v._vc[0]
    assert v.assign([5.0, 6.0]) is v
    v.assign_add([1.0, 1.0])
    v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_allclose(v.numpy(), [5.5, 6.5])
    np.testing.assert_allclose(snapshot, [1.0, 2.0])  # numpy() is a copy
    assert v._vc[0] == version + 3
    with pytest.raises(ValueError, match="Shape mismatch"):
        v.assign([1.0, 2.0, 3.0])


def test_variable_copies_its_initial_value() -> None:
    src = np.array([1.0, 2.0])
    v = dg.Variable(src)
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(src, [1.0, 2.0])


def test_variable_assignments_are_not_recorded() -> None:
    v = dg.Variable(1.0)
    with dg.GradientTape() as tape:
        v.assign(5.0)
        v.assign_add(2.0)
        y = v * 3
        v2 = v + 1
        v2 += 1  # rebinds to a new tensor, the variable is unchanged
    assert v.item() == pytest.approx(7.0)
    assert v.is_leaf and not v.requires_grad
    assert tape.gradient(y, v).item() == pytest.approx(3.0)


def test_variable_read_value_is_a_snapshot_that_records() -> None:
    v = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        r = v.read_value()
        y = r * r
    v.assign(10.0)
    assert r.item() == pytest.approx(2.0)
    assert tape.gradient(y, v).item() == pytest.approx(4.0)


def test_assigning_a_variable_keeps_the_value_the_tape_read() -> None:
    # TensorFlow: reads of a variable are snapshots, so the gradient is at the old value.
    v = dg.Variable(2.0)
    with dg.GradientTape() as tape:
        y = v * v
    v.assign(3.0)
    assert tape.gradient(y, v).item() == 4.0 and v.numpy() == 3.0


def test_persistent_tape_after_an_optimizer_step_uses_the_values_read() -> None:
    # The GAN pattern: one persistent tape, update with one gradient, then take another.
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        loss1 = tf.reduce_sum(w * w)
        loss2 = tf.reduce_sum(w * w * w)
    (g1,) = tape.gradient(loss1, [w])
    opt.apply_gradients(zip([g1], [w]))
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    (g2,) = tape.gradient(loss2, [w])
    np.testing.assert_allclose(g2.numpy(), [3.0, 12.0])  # 3 w^2 at the values read


def test_updates_are_in_place_when_no_recorded_read_holds_the_variable() -> None:
    # A training loop's non-persistent tape has released its reads by the update: no copy.
    w = dg.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(3):
        with dg.GradientTape() as tape:
            loss = (w * w).sum()
        grads = tape.gradient(loss, [w])
        vc, version = w._vc, w._vc[0]
        opt.apply_gradients(zip(grads, [w]))
        w.assign_sub(dg.constant([0.0, 0.0]))
        assert w._vc is vc and vc[0] == version + 2  # written in place, twice


def test_second_order_through_a_reassigned_variable_raises() -> None:
    from dualgrad._engine import ERR_REASSIGNED

    v = dg.Variable(2.0)
    with dg.GradientTape():  # the outer tape records inner.gradient: second order
        with dg.GradientTape() as inner:
            y = v ** 3
        v.assign(3.0)
        with pytest.raises(RuntimeError) as err:
            inner.gradient(y, v)
    assert str(err.value) == ERR_REASSIGNED


# --------------------------------------------------------------------------------------------
# Interop with the PyTorch-style front end


def test_tape_can_watch_a_requires_grad_tensor_and_leaves_grad_alone() -> None:
    x = dg.tensor(3.0, requires_grad=True)
    with dg.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    assert tape.gradient(y, x).item() == pytest.approx(6.0)
    assert x.grad is None
    # The same graph still serves backward(): the tape did not free what it shares.
    y.backward()
    assert x.grad.item() == pytest.approx(6.0)


def test_backward_inside_a_tape_still_accumulates() -> None:
    x = dg.tensor(2.0, requires_grad=True)
    v = dg.Variable(5.0)
    with dg.GradientTape(persistent=True) as tape:
        y = x * v
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
    assert x.grad.item() == pytest.approx(10.0)  # accumulated twice
    assert tape.gradient(y, v).item() == pytest.approx(2.0)
    # x is not watched by the tape: the tape gives it no gradient.
    assert tape.gradient(y, x) is None


# --------------------------------------------------------------------------------------------
# Memory


def test_many_non_persistent_tapes_do_not_grow_memory() -> None:
    w = dg.Variable(np.ones(64))

    def step() -> None:
        with dg.GradientTape() as tape:
            loss = dg.sum(dg.sin(w * 2.0) ** 2)
        tape.gradient(loss, w)

    for _ in range(20):  # warm up caches
        step()
    gc.collect()
    tracemalloc.start()
    try:
        step()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            step()
        gc.collect()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 1,000 tapes each holding a few KB of arrays and nodes: a leak would show as megabytes.
    assert now - base < 100_000


def test_deleted_persistent_tape_releases_its_records() -> None:
    x = dg.Variable(np.ones(4))
    with dg.GradientTape(persistent=True) as tape:
        z = dg.sin(x * 2)
    tape.gradient(z, x)
    node_ref = weakref.ref(z.grad_fn)
    del z
    gc.collect()
    assert node_ref() is not None  # the tape still holds its records
    del tape
    gc.collect()
    assert node_ref() is None


def test_docstring_examples() -> None:
    result = doctest.testmod(tape_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5
    assert result.failed == 0


def test_hessian_from_nested_tapes_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, a0 = rng.normal(size=3), rng.normal(size=(3, 3))

    x = dg.constant(x0)
    with dg.GradientTape() as outer:
        outer.watch(x)
        with dg.GradientTape() as inner:
            inner.watch(x)
            y = dg.sum(dg.tanh(dg.constant(a0) @ x) * dg.exp(x))
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)

    def f(v):
        return (torch.tanh(torch.tensor(a0) @ v) * torch.exp(v)).sum()

    expected = torch.autograd.functional.hessian(f, torch.tensor(x0)).numpy()
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-14)
