"""The engine's fast paths keep the general path's results.

``backward()`` without sources runs ``_engine._walk_fast``; it skips ``sum_to`` when a
gradient already has its input's shape and dtype, lets NumPy scalars flow between 0-d rules,
and adds later arrivals in place into gradient buffers that only the engine references.
Each test compares with finite differences or with ``autograd.grad`` (the general path,
which collects) and checks that no buffer is shared where it must not be.
"""

from __future__ import annotations

import numpy as np
import pytest
from numeric import numeric_grad

import dualgrad as dg
from dualgrad import _engine

BIG = _engine._INPLACE_MIN_SIZE * 2  # large enough for the in-place accumulation


def _rand(*shape: int, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)



def _graph(x, w, sin, exp):
    # Reuse (x three times, h twice), broadcasting (w against x) and an add that hands the
    # same cotangent to both of its inputs.
    h = sin(x) * exp(-x * x) + x * w
    return (h * h + h).sum()


def test_fast_path_matches_finite_differences_with_broadcasting() -> None:
    xv, wv = _rand(3, 4), _rand(4, seed=1)
    x = dg.tensor(xv, requires_grad=True)
    w = dg.tensor(wv, requires_grad=True)
    _graph(x, w, dg.sin, dg.exp).backward()

    def f_x(a: np.ndarray) -> float:
        return float(_graph(a, wv, np.sin, np.exp))

    def f_w(b: np.ndarray) -> float:
        return float(_graph(xv, b, np.sin, np.exp))

    np.testing.assert_allclose(x.grad.numpy(), numeric_grad(f_x, xv), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(w.grad.numpy(), numeric_grad(f_w, wv), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_arrays_in_place_accumulation_equals_general_path(dtype: type) -> None:
    xv, wv = _rand(BIG, dtype=dtype), _rand(BIG, dtype=dtype, seed=1)
    x = dg.tensor(xv, requires_grad=True)
    w = dg.tensor(wv, requires_grad=True)
    gx, gw = dg.autograd.grad(_graph(x, w, dg.sin, dg.exp), (x, w))  # general path
    _graph(x, w, dg.sin, dg.exp).backward()  # fast path
    assert x.grad.dtype == dtype and w.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad.numpy(), gx.numpy())
    np.testing.assert_array_equal(w.grad.numpy(), gw.numpy())


def test_grad_buffers_are_not_shared() -> None:
    a = dg.tensor(np.ones(BIG), requires_grad=True)
    b = dg.tensor(np.ones(BIG), requires_grad=True)
    # add gives the same cotangent array to both inputs; sin's rule result is fresh
    (a + b + dg.sin(a)).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    expected_b = b.grad.numpy().copy()
    a.grad.numpy()[...] = 0.0
    np.testing.assert_array_equal(b.grad.numpy(), expected_b)


@pytest.mark.parametrize("sin_first", [True, False])
def test_one_array_handed_to_two_inputs_is_not_added_into(sin_first: bool) -> None:
    # mul's rule makes a fresh array; add's rule hands that same array to both a and b;
    # a gets a second arrival (before or after, by the order of the terms), which must
    # not be added into b's gradient.
    a = dg.tensor(np.ones(BIG), requires_grad=True)
    b = dg.tensor(np.ones(BIG), requires_grad=True)
    terms = [(a + b) * 2.0, dg.sin(a) * 1.0]
    if sin_first:
        terms.reverse()
    (terms[0] + terms[1]).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2.0 + np.cos(1.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(BIG, 2.0))


def test_user_gradient_is_never_modified_or_aliased() -> None:
    x = dg.tensor(np.ones(BIG), requires_grad=True)
    seed = np.full(BIG, 2.0)
    keep = seed.copy()
    (x + x + x).backward(seed)
    np.testing.assert_array_equal(seed, keep)
    np.testing.assert_array_equal(x.grad.numpy(), 3 * keep)
    assert not np.shares_memory(x.grad.numpy(), seed)


def test_hooks_see_values_that_are_not_changed_later() -> None:
    x = dg.tensor(np.ones(BIG), requires_grad=True)
    seen = []
    y = x * 2.0
    y.register_hook(lambda g: seen.append(g.numpy().copy()) or None)
    kept = []
    y.register_hook(lambda g: kept.append(g) or None)
    z = y * 3.0 + y * 5.0 + y
    z.sum().backward()
    np.testing.assert_array_equal(seen[0], np.full(BIG, 9.0))
    np.testing.assert_array_equal(kept[0].numpy(), np.full(BIG, 9.0))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(BIG, 18.0))


def test_grad_accumulates_across_calls_into_its_own_buffer() -> None:
    x = dg.tensor(np.ones(BIG), requires_grad=True)
    (x * x + dg.sin(x)).sum().backward()
    first = x.grad
    buf = first.numpy()
    (x * x + dg.sin(x)).sum().backward()
    assert x.grad is first and np.shares_memory(x.grad.numpy(), buf)
    np.testing.assert_allclose(buf, 2 * (2.0 + np.cos(1.0)))


def test_scalar_graph_grads_are_arrays() -> None:
    # 0-d arithmetic returns NumPy scalars; the leaf's .grad must still hold an ndarray.
    x = dg.tensor(2.0, requires_grad=True)
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    y.backward()
    assert type(x.grad.numpy()) is np.ndarray and x.grad.dtype == np.float32
    assert x.grad.item() == 93.0
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    y.backward()
    assert x.grad.item() == 186.0


def test_retained_non_leaf_on_fast_path() -> None:
    x = dg.tensor(np.arange(3.0), requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * y.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), 4 * y.detach().numpy())


def test_saved_values_are_released_after_fast_backward() -> None:
    x = dg.tensor(np.ones(BIG), requires_grad=True)
    y = dg.sin(x) * x
    node = y.grad_fn
    y.sum().backward()
    assert node.saved is None and node.saved_data is None and node.freed
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_in_place_change_is_still_detected_on_fast_path() -> None:
    x = dg.tensor(np.ones(3), requires_grad=True)
    y = x * 1.0
    z = y * y
    with dg.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_float32_gradients_stay_float32_all_the_way() -> None:
    x = dg.tensor(_rand(BIG, dtype=np.float32), requires_grad=True)
    seen = []
    s, e = dg.sin(x), dg.exp(-x * x)
    for t in (s, e):
        t.register_hook(lambda g: seen.append(g.dtype) or None)
    (s * e).mean().backward()
    assert seen == [np.float32, np.float32]
    assert x.grad.dtype == np.float32
    xv = x.detach().numpy().astype(np.float64)
    expected = np.exp(-xv * xv) * (np.cos(xv) - 2 * xv * np.sin(xv)) / BIG
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-4, atol=1e-9)
