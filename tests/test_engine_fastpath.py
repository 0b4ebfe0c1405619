"""The engine's fast paths keep the general path's results.

At first order, ``backward()`` without sources runs ``_engine._backward_accumulate`` and
``autograd.grad`` / ``tape.gradient`` run ``_engine._backward_collect``; both walk nodes in
creation order (``_engine._walk``) instead of counting dependencies, skip ``sum_to`` when a
gradient already has its input's shape and dtype, let NumPy scalars flow between 0-d rules,
and add later arrivals in place into gradient buffers that only the engine references.
``backward(inputs=...)`` and ``create_graph=True`` take the general loop. Each test compares
with finite differences or across these paths and checks that no buffer is shared where it
must not be.
"""

from __future__ import annotations

from typing import Any

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
    gx, gw = dg.autograd.grad(_graph(x, w, dg.sin, dg.exp), (x, w))  # collecting
    _graph(x, w, dg.sin, dg.exp).backward()  # accumulating
    assert x.grad.dtype == dtype and w.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad.numpy(), gx.numpy())
    np.testing.assert_array_equal(w.grad.numpy(), gw.numpy())
    x2 = dg.tensor(xv, requires_grad=True)
    w2 = dg.tensor(wv, requires_grad=True)
    _graph(x2, w2, dg.sin, dg.exp).backward(inputs=[x2, w2])  # the general loop
    rtol = 1e-5 if dtype == np.float32 else 1e-12  # sums may be added in another order
    np.testing.assert_allclose(x2.grad.numpy(), gx.numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(w2.grad.numpy(), gw.numpy(), rtol=rtol, atol=rtol)


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


# --- creation-order walk -----------------------------------------------------------------

_UNARY = (dg.sin, dg.tanh, dg.exp, lambda t: t * 0.5, lambda t: -t)


def _random_dag(leaves: list, rng: np.random.Generator, n_ops: int) -> dg.Tensor:
    """A random graph over ``leaves``: each op takes one or two earlier values (leaves or
    results, reused freely), some results are never used, and the output sums several."""
    values = list(leaves)
    for _ in range(n_ops):
        a = values[rng.integers(len(values))]
        kind = rng.integers(4)
        if kind == 0:
            out = _UNARY[rng.integers(len(_UNARY))](a)
        elif kind == 1:
            out = a * values[rng.integers(len(values))]
        elif kind == 2:
            out = a + values[rng.integers(len(values))]
        else:
            out = a - a.sum() * 0.1  # a reduction broadcast back
        values.append(out)
    picked = rng.choice(len(values) - len(leaves), size=min(3, n_ops), replace=False)
    total = values[-1].sum()
    for i in picked:
        total = total + values[len(leaves) + i].sum()
    return total


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_agree_across_all_backward_paths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = [rng.uniform(-1, 1, 3) for _ in range(3)]

    def run(walk: str) -> list:
        leaves = [dg.tensor(d, requires_grad=True) for d in data]
        out = _random_dag(leaves, np.random.default_rng(seed + 100), n_ops=25)
        if walk == "accumulate":  # _backward_accumulate
            out.backward()
            return [t.grad.numpy() if t.grad is not None else np.zeros(3) for t in leaves]
        if walk == "collect":  # _backward_collect
            grads = dg.autograd.grad(out, leaves, allow_unused=True)
        elif walk == "general":  # the general loop (dependency counts)
            out.backward(inputs=leaves)
            grads = [t.grad for t in leaves]
        else:  # the general loop on Tensors
            grads = dg.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
        return [g.detach().numpy() if g is not None else np.zeros(3) for g in grads]

    reference = run("general")
    for walk in ("accumulate", "collect", "create_graph"):
        for got, want in zip(run(walk), reference):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_random_graph_matches_finite_differences() -> None:
    rng = np.random.default_rng(7)
    data = [rng.uniform(-1, 1, 3) for _ in range(2)]
    leaves = [dg.tensor(d, requires_grad=True) for d in data]
    _random_dag(leaves, np.random.default_rng(8), n_ops=30).backward()

    def f(a: np.ndarray) -> float:
        return float(_random_dag([dg.tensor(a), dg.tensor(data[1])],
                                 np.random.default_rng(8), n_ops=30).item())

    np.testing.assert_allclose(leaves[0].grad.numpy(), numeric_grad(f, data[0]), rtol=1e-6,
                               atol=1e-8)


def test_a_root_that_feeds_another_root_gets_both_gradients() -> None:
    # y is a root and an input of the root z: its gradient is the seed plus z's share.
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    dg.autograd.backward([y, z], [dg.ones(2), dg.ones(2)])
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0])  # PyTorch gives 8 too
    x2 = dg.tensor([1.0, 2.0], requires_grad=True)
    y2 = x2 * 2
    z2 = y2 * 3
    gx, = dg.autograd.grad([z2, y2], [x2], [dg.ones(2), dg.ones(2)])
    np.testing.assert_array_equal(gx.numpy(), [8.0, 8.0])


class _NoGradient(dg.autograd.Function):
    """An identity whose backward returns None: no gradient for its input."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x * 1

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return None


def test_a_node_reached_only_by_a_missing_gradient_is_still_freed() -> None:
    x = dg.tensor([0.5, -1.0], requires_grad=True)
    e = x.exp()  # keeps its result for backward
    s = _NoGradient.apply(e)  # its backward gives None
    (s * 2 + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert e.grad_fn.ans is None and e.grad_fn.freed  # released as after any backward


def test_collecting_skips_branches_that_lead_to_no_source() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    w = dg.tensor([0.5, 1.5], requires_grad=True)
    e = w.exp()
    calls = []
    e.register_hook(lambda g: calls.append(g))
    z = (x * x).sum() + e.sum()
    (gx,) = dg.autograd.grad(z, x)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    assert calls == []  # as in PyTorch: w's branch is not walked
    assert e.grad_fn.ans is not None  # nor freed


def test_leaf_hooks_run_only_for_the_leaves_asked_for() -> None:
    # PyTorch: autograd.grad(z, a) and z.backward(inputs=[a]) do not run b's hooks.
    a = dg.tensor([1.0, 2.0], requires_grad=True)
    b = dg.tensor([3.0, 4.0], requires_grad=True)
    seen = []
    a.register_hook(lambda g: seen.append("a"))
    b.register_hook(lambda g: seen.append("b"))
    z = (a * b).sum()
    dg.autograd.grad(z, a, retain_graph=True)
    z.backward(inputs=[a])
    assert seen == ["a", "a"] and b.grad is None


def test_tape_records_an_op_on_two_watched_constants() -> None:
    x, w = dg.constant([1.0, 2.0]), dg.constant([3.0, 4.0])
    with dg.GradientTape() as tape:
        tape.watch([x, w])
        z = x * w + x
    gx, gw = tape.gradient(z, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])


def test_collecting_the_gradient_of_an_intermediate_value() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    z = (dg.sin(y) * 3).sum()
    gy, gx = dg.autograd.grad(z, [y, x])
    np.testing.assert_allclose(gy.numpy(), 3 * np.cos([1.0, 4.0]))
    np.testing.assert_allclose(gx.numpy(), 3 * np.cos([1.0, 4.0]) * 2 * np.array([1.0, 2.0]))
    (gy_only,) = dg.autograd.grad((dg.sin(y) * 3).sum(), y)  # y leads to no other source
    np.testing.assert_allclose(gy_only.numpy(), gy.numpy())


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_on_a_tape_agree_with_the_general_walk(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = [rng.uniform(-1, 1, 3) for _ in range(3)]
    # On a tape: a watched constant, a Variable (watched on read) and an unwatched constant.
    x, v, c = dg.constant(data[0]), dg.Variable(data[1]), dg.constant(data[2])
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        out = _random_dag([x, v, c], np.random.default_rng(seed + 100), n_ops=20)
    got = tape.gradient(out, [x, v, c])
    got_again = tape.gradient(out, [x, v])  # a persistent tape answers twice
    # The same graph PyTorch-style, differentiated by the general loop (create_graph).
    leaves = [dg.tensor(d, requires_grad=True) for d in data]
    ref = dg.autograd.grad(_random_dag(leaves, np.random.default_rng(seed + 100), n_ops=20),
                           leaves[:2], create_graph=True, allow_unused=True)
    for g, r in zip(got[:2], ref):
        want = np.zeros(3) if r is None else r.detach().numpy()
        np.testing.assert_allclose(g.numpy() if g is not None else np.zeros(3), want,
                                   rtol=1e-12, atol=1e-12)
    assert got[2] is None  # c was never watched
    for g, h in zip(got[:2], got_again):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_array_equal(g.numpy(), h.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_of_a_summed_product_is_the_other_factor_exactly(dtype: type) -> None:
    # mul's rule hands on the other factor itself (read-only) when the cotangent is the
    # all-ones gradient of a sum: exact, and the forward's values stay untouched.
    av, bv = _rand(BIG, dtype=dtype), _rand(BIG, dtype=dtype, seed=1)
    a = dg.tensor(av, requires_grad=True)
    b = dg.tensor(bv, requires_grad=True)
    s, e = dg.sin(a), dg.exp(b)
    (s * e).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), (np.exp(bv) * np.cos(av)).astype(dtype))
    np.testing.assert_array_equal(b.grad.numpy(), (np.sin(av) * np.exp(bv)).astype(dtype))
    np.testing.assert_array_equal(s.detach().numpy(), np.sin(av))
    assert a.grad.dtype == dtype and not np.shares_memory(a.grad.numpy(), e.detach().numpy())
    # A broadcast factor, a mean (1/n, not ones) and small arrays take the multiplication.
    w = dg.tensor(_rand(1, dtype=dtype), requires_grad=True)
    (a * w).sum().backward()
    assert w.grad.numpy()[0] == pytest.approx(float(av.sum()), rel=1e-4)
    (a * b).mean().backward()


def test_hooks_cannot_write_into_a_forward_value_through_its_gradient() -> None:
    x = dg.tensor(_rand(BIG), requires_grad=True)
    s = dg.sin(x)
    e = dg.exp(x)
    e_before = e.detach().numpy().copy()
    seen = []

    def hook(g: dg.Tensor) -> None:
        seen.append(g)
        with pytest.raises(ValueError, match="read-only"):
            g.numpy()[0] = 0.0

    s.register_hook(hook)
    (s * e).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(e.detach().numpy(), e_before)


def test_a_root_whose_data_was_replaced_still_gets_its_nodes_gradient() -> None:
    # The walk takes a node's gradient to have the node's shape and dtype (an add hands it
    # on unchecked), so the seed of a root whose .data was swapped is brought to them first:
    # cast to the node's dtype, or refused if its shape cannot be reduced to the node's.
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0 + x
    y.data = y.data.double()
    y.backward(dg.ones(3, dtype=dg.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    # An add of two leaves hands the seed straight to them: one of shape [1] would broadcast.
    w = dg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    z = x + w
    z.data = dg.zeros(1)
    invalid = r"got \[1\] but expected shape compatible with \[3\]"
    with pytest.raises(RuntimeError, match=invalid):
        z.backward(dg.ones(1), retain_graph=True)
    assert w.grad is None
    with pytest.raises(RuntimeError, match=invalid):  # two roots: the seeds checked first
        dg.autograd.backward([z, x * 1.0], [dg.ones(1), dg.ones(3)], retain_graph=True)
    with pytest.raises(RuntimeError, match=invalid):  # collecting
        dg.autograd.grad(z, w, dg.ones(1), retain_graph=True)
    with pytest.raises(RuntimeError, match=invalid):
        dg.autograd.grad([z, x * 1.0], w, [dg.ones(1), dg.ones(3)])
    assert w.grad is None
