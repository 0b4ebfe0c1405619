"""Grad-mode switches and anomaly options as PyTorch 2 spells them: decorators without
parentheses, ``is_inference_mode_enabled``, ``detect_anomaly(check_nan=False)``."""

import warnings

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as torch


def test_decorators_without_parentheses() -> None:
    @torch.no_grad
    def off(x):
        return x * 2, torch.is_grad_enabled()

    @torch.enable_grad
    def on(x):
        return x * 2

    @torch.inference_mode
    def inference(x):
        return x * 2, torch.is_inference_mode_enabled()

    x = torch.ones(2, requires_grad=True)
    y, enabled = off(x)
    assert (y.requires_grad, enabled, off.__name__) == (False, False, "off")
    with torch.no_grad():
        assert on(x).requires_grad
    y, inf = inference(x)
    assert (y.requires_grad, inf, torch.is_inference_mode_enabled()) == (False, True, False)
    assert torch.is_grad_enabled()


def test_no_grad_generator_without_parentheses() -> None:
    @torch.no_grad
    def gen():
        yield torch.is_grad_enabled()
        yield torch.is_grad_enabled()

    assert [(v, torch.is_grad_enabled()) for v in gen()] == [(False, True), (False, True)]


def test_inference_mode_flag() -> None:
    assert not dg.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        with torch.inference_mode(False):
            assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled()
    assert not torch.is_inference_mode_enabled()

    @torch.inference_mode()
    def f():
        return torch.is_inference_mode_enabled()

    assert f() and not torch.is_inference_mode_enabled()


def test_set_grad_enabled_refuses_non_bool() -> None:
    with pytest.raises(TypeError, match=r"^set_grad_enabled\(\): argument 'enabled' \(position "
                       r"1\) must be bool, not str$"):
        torch.set_grad_enabled("yes")
    assert torch.is_grad_enabled()


def _sqrt_backward_of_negative():
    x = torch.tensor([-1.0, 1.0], dtype=torch.float64, requires_grad=True)
    x.sqrt().sum().backward()
    return x.grad


def test_detect_anomaly_check_nan_false() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with torch.autograd.detect_anomaly(check_nan=False):
            assert torch.is_anomaly_enabled() and not torch.is_anomaly_check_nan_enabled()
            grad = _sqrt_backward_of_negative()
        assert np.isnan(grad[0].item()) and grad[1].item() == 0.5
        with torch.autograd.detect_anomaly():
            assert torch.is_anomaly_check_nan_enabled()
            with pytest.raises(RuntimeError, match="^Function 'SqrtBackward0' returned nan "
                               "values in its 0th output."):
                _sqrt_backward_of_negative()
    assert not torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()


def test_set_detect_anomaly_check_nan() -> None:
    torch.autograd.set_detect_anomaly(True, check_nan=False)
    try:
        assert torch.is_anomaly_enabled() and not torch.is_anomaly_check_nan_enabled()
        assert np.isnan(_sqrt_backward_of_negative()[0].item())
    finally:
        torch.autograd.set_detect_anomaly(False)
    assert not torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        assert not torch.is_anomaly_check_nan_enabled()
    assert not torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()


def test_against_torch() -> None:
    real = pytest.importorskip("torch")
    for lib in (real, torch):
        @lib.no_grad
        def f(x, lib=lib):
            return x * 2

        assert not f(lib.ones(2, requires_grad=True)).requires_grad
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled()
