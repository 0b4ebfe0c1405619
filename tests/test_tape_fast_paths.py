"""The GradientTape's fast paths (issue 3, "Speed") give what the general paths give.

With one tape active the engine claims an operation without asking the tape when every tensor
input is already on the tape (watched, or produced by a recorded node); ``watch`` of one
floating tensor and ``gradient`` of one target for one source skip the structure handling.
Each test puts a fast-path case next to the case that must still go the general way (an
input from outside the tape, an unwatched Variable, a structure of sources) and checks the
values against central finite differences in float64.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.tf as tf


def _fd(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``sum(f(x))`` at ``x``."""
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        g[idx] = (np.sum(f(x + step)) - np.sum(f(x - step))) / (2 * eps)
    return g


X0 = np.array([0.3, -1.2, 2.0, 0.7])


def test_persistent_tape_intermediate_and_source_match_finite_differences() -> None:
    x = dg.constant(X0)
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 2
        z = dg.sin(y)
    dz_dy = tape.gradient(z, y)
    dz_dx = tape.gradient(z, x)
    assert type(dz_dy) is dg.Tensor and type(dz_dx) is dg.Tensor
    np.testing.assert_allclose(dz_dy.numpy(), _fd(np.sin, X0 ** 2), rtol=1e-7)
    np.testing.assert_allclose(dz_dx.numpy(), _fd(lambda v: np.sin(v ** 2), X0), rtol=1e-7)
    # Results are fresh tensors: changing one changes neither the other nor a new gradient.
    dz_dx.numpy()[...] = 0.0
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), _fd(lambda v: np.sin(v ** 2), X0),
                               rtol=1e-7)


def test_result_keeps_source_dtype_and_tf_class() -> None:
    x = tf.constant(X0.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sin(x) * x
    g = tape.gradient(y, x)
    assert isinstance(g, tf.EagerTensor) and g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), _fd(lambda v: np.sin(v) * v, X0), rtol=1e-4)


def test_input_from_outside_the_tape_still_goes_through_claims() -> None:
    # ``a`` is computed PyTorch-style before the block and watched: the tape differentiates up
    # to it, not through it, and ``.grad`` of the leaf behind it stays untouched.
    w = dg.tensor(X0, requires_grad=True)
    a = w * 3.0
    c = dg.constant(np.array([1.0, 2.0, -1.0, 0.5]))  # unwatched: no gradient through it
    with dg.GradientTape() as tape:
        tape.watch(a)
        y = a ** 2
        z = y * c
    g_a, g_c, g_w = tape.gradient(z, [a, c, w])
    np.testing.assert_allclose(g_a.numpy(), _fd(lambda v: v ** 2 * c.numpy(), 3.0 * X0),
                               rtol=1e-7)
    assert g_c is None and g_w is None
    assert w.grad is None


def test_variable_is_watched_on_first_use_then_claimed_directly() -> None:
    v = dg.Variable(X0)
    frozen = dg.Variable(X0 + 1.0, trainable=False)
    with dg.GradientTape() as tape:
        y = v * v  # auto-watch through _claims
        z = dg.exp(y * 0.1) + frozen * y  # every tensor input now on the tape or unwatched
    assert tape.watched_variables() == (v,)
    g_v, g_frozen = tape.gradient(z, [v, frozen])
    assert g_frozen is None
    expected = _fd(lambda u: np.exp(u * u * 0.1) + (X0 + 1.0) * u * u, X0)
    np.testing.assert_allclose(g_v.numpy(), expected, rtol=1e-7)


def test_no_variable_watch_when_disabled() -> None:
    v = dg.Variable(X0)
    with dg.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.0
    assert tape.gradient(y, v) is None


def test_released_tape_records_nothing_even_for_watched_inputs() -> None:
    # After a non-persistent tape's one gradient, its watched tensors must not be claimed by
    # the fast path: the next gradient is TensorFlow's RuntimeError, not a value.
    x = dg.constant(X0)
    with dg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.gradient(y, x)
        tape.watch(x)
        z = x * 2.0
    assert not z.requires_grad  # not recorded: x is a constant and the tape is spent
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(z, x)


def test_watch_fast_path_and_integer_warning(caplog: pytest.LogCaptureFixture) -> None:
    x = dg.constant(X0)
    k = dg.constant([1, 2])
    with caplog.at_level(logging.WARNING, logger="dualgrad"):
        with dg.GradientTape() as tape:
            tape.watch(x)
            tape.watch(k)
            y = dg.sin(x) + (k.sum() * x)
    assert "must be floating" in caplog.text
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               _fd(lambda v: np.sin(v) + 3 * v, X0), rtol=1e-7)


def test_nested_tapes_still_give_second_derivative() -> None:
    x = dg.constant(X0)
    with dg.GradientTape() as outer:
        outer.watch(x)
        with dg.GradientTape() as inner:
            inner.watch(x)
            y = dg.sin(x) * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    np.testing.assert_allclose(dy.detach().numpy(), np.cos(X0) * X0 + np.sin(X0), rtol=1e-12)
    np.testing.assert_allclose(d2y.numpy(),
                               _fd(lambda v: np.cos(v) * v + np.sin(v), X0), rtol=1e-7)
