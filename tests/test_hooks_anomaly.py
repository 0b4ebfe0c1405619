"""Tensor hooks (``register_hook``, ``register_post_accumulate_grad_hook``) and anomaly
detection (``dg.autograd.detect_anomaly`` / ``set_detect_anomaly``)."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import dualgrad as dg


def leaf(values) -> dg.Tensor:
    return dg.tensor(values, dtype=dg.float64, requires_grad=True)


# --- register_hook ----------------------------------------------------------------------------


def test_leaf_hook_sees_and_replaces_the_gradient() -> None:
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.detach().numpy().copy())
        return g * 10

    x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


def test_non_leaf_hook_changes_what_flows_further() -> None:
    x = leaf([1.0, 2.0])
    y = x * x
    seen = []
    y.register_hook(lambda g: seen.append(g.detach().numpy().copy()))  # observe only
    y.register_hook(lambda g: g + 1)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    # dy/dx = 2x, applied to the replaced gradient 3.
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


def test_hook_remove_and_hooks_in_autograd_grad() -> None:
    x = leaf([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 0)
    (gx,) = dg.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [0.0, 0.0])  # hooks run for autograd.grad too
    handle.remove()
    handle.remove()  # idempotent
    (gx,) = dg.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])


def test_hook_on_a_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        dg.tensor([1.0]).register_hook(lambda g: g)


def test_gradient_clipping_with_a_hook_matches_closed_form() -> None:
    x = leaf([0.5, 3.0])
    x.register_hook(lambda g: g.clamp(-1.0, 1.0))
    (x ** 2).sum().backward()  # 2x = [1, 6] clipped to [1, 1]
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


# --- register_post_accumulate_grad_hook -------------------------------------------------------


def test_post_accumulate_hook_sees_the_accumulated_grad() -> None:
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_post_accumulate_grad_hook(
        lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(np.array(seen), [[3.0, 3.0], [6.0, 6.0]])
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_hook_can_update_the_parameter_in_place() -> None:
    # The optimizer-in-backward pattern PyTorch documents for this hook.
    w = leaf([1.0, 2.0])

    def sgd_step(t):
        with dg.no_grad():
            t.sub_(0.1 * t.grad)
        t.grad = None

    w.register_post_accumulate_grad_hook(sgd_step)
    (w ** 2).sum().backward()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    assert w.grad is None


def test_post_accumulate_hook_errors() -> None:
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        dg.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


# --- anomaly detection ----------------------------------------------------------------------


def test_detect_anomaly_names_the_op_and_the_users_line() -> None:
    x = leaf([0.0, 1.0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with dg.autograd.detect_anomaly():
            line = inspect.currentframe().f_lineno + 1
            y = (dg.sqrt(x) * 0).sum()
            with pytest.raises(RuntimeError) as err, np.errstate(invalid="ignore"):
                y.backward()
    message = str(err.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert f'{__file__}", line {line}' in message
    assert "y = (dg.sqrt(x) * 0).sum()" in message


def test_detect_anomaly_with_a_tape() -> None:
    x = dg.constant([0.0, 1.0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with dg.autograd.detect_anomaly():
            with dg.GradientTape() as tape:
                tape.watch(x)
                y = (dg.sqrt(x) * 0).sum()
            with pytest.raises(RuntimeError, match="^Function 'SqrtBackward0' returned nan"), \
                    np.errstate(invalid="ignore"):
                tape.gradient(y, x)


def test_without_anomaly_mode_nan_passes_silently() -> None:
    x = leaf([0.0, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        (dg.sqrt(x) * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])
    assert not dg.autograd.is_anomaly_enabled()


def test_detect_anomaly_as_a_decorator_and_set_detect_anomaly() -> None:
    @dg.autograd.detect_anomaly()
    def inside() -> bool:
        return dg.autograd.is_anomaly_enabled()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert inside() is True
    assert not dg.autograd.is_anomaly_enabled()
    with dg.autograd.set_detect_anomaly(True):
        assert dg.autograd.is_anomaly_enabled()
    assert not dg.autograd.is_anomaly_enabled()
    dg.autograd.set_detect_anomaly(True)
    try:
        assert dg.autograd.is_anomaly_enabled()
    finally:
        dg.autograd.set_detect_anomaly(False)
    assert not dg.autograd.is_anomaly_enabled()


def test_inplace_error_in_anomaly_mode_shows_where_the_node_was_made() -> None:
    x = leaf([1.0, 2.0])
    with dg.autograd.set_detect_anomaly(True):
        h = x * 1
        y = h.exp()  # ExpBackward0 saves its output
        with dg.no_grad():
            y.add_(1)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
    message = str(err.value)
    assert message.startswith("one of the variables needed for gradient computation has been "
                              "modified by an inplace operation")
    assert "Hint: the backtrace further above shows the operation that failed" in message
    assert "y = h.exp()" in message
