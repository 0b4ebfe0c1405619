"""Engine properties: iterative walk, diamonds, sum-before-call, grad mode in contextvars,
retain_graph and differentiable gradients."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import numpy as np
import pytest

import dualgrad as dg
from dualgrad._registry import REGISTRY, defop


@contextlib.contextmanager
def temporary_op(name: str, forward, vjp, **kwargs):
    """Register an op for one test only, so the registry's own tests never see it."""
    op = defop(name, forward, vjp=vjp, **kwargs)
    try:
        yield op
    finally:
        REGISTRY.pop(name, None)


def test_deep_chain_is_iterative() -> None:
    # 100,000 recorded adds: a recursive walk would hit RecursionError long before.
    x = dg.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert y.item() == pytest.approx(100_000.5)
    del y  # freeing the chain must not recurse either


def test_deep_chain_through_autograd_grad() -> None:
    x = dg.tensor(2.0, dtype=dg.float64, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = y * 1.0001
    (g,) = dg.autograd.grad(y, x)
    assert g.item() == pytest.approx(1.0001 ** 5_000, rel=1e-9)


def test_diamond_reuse() -> None:
    a = dg.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    a.grad = None
    (a - a).backward()
    assert a.grad.item() == 0.0
    a.grad = None
    (a * a * a).backward()  # a reaches the product through two paths and directly
    assert a.grad.item() == 27.0


def test_wide_diamond() -> None:
    a = dg.tensor([1.0, 2.0], dtype=dg.float64, requires_grad=True)
    h = a.exp()
    outs = [h * k for k in range(1, 6)]
    total = outs[0]
    for o in outs[1:]:
        total = total + o
    total.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 15 * np.exp([1.0, 2.0]))


def test_incoming_gradients_are_summed_before_the_rule_runs_once() -> None:
    calls: list[np.ndarray] = []

    def rule(g, ans, x):
        calls.append(np.array(g))
        return g * 2

    with temporary_op("test_engine_counted_double", lambda x: x * 2, (rule,)) as op:
        x = dg.tensor([1.0, 2.0], dtype=dg.float64, requires_grad=True)
        y = op(x)
        assert y.grad_fn.name() == "TestEngineCountedDoubleBackward0"
        z = (y * 2 + y * 3 + y + y.sin()).sum()
        z.backward()
    assert len(calls) == 1
    y0 = np.array([2.0, 4.0])
    np.testing.assert_allclose(calls[0], 6 + np.cos(y0))
    np.testing.assert_allclose(x.grad.numpy(), 2 * (6 + np.cos(y0)))


def test_rules_not_needed_are_not_run() -> None:
    calls: list[int] = []

    def rule_x(g, ans, x, w):
        calls.append(0)
        return g * w

    def rule_w(g, ans, x, w):
        calls.append(1)
        return g * x

    with temporary_op("test_engine_counted_mul", np.multiply, (rule_x, rule_w)) as op:
        x = dg.tensor([1.0, 2.0], requires_grad=True)
        w = dg.tensor([3.0, 4.0])  # needs no gradient
        op(x, w).sum().backward()
    assert calls == [0]
    assert x.grad.tolist() == [3.0, 4.0] and w.grad is None


def test_grad_mode_is_per_thread() -> None:
    x = dg.tensor([1.0], requires_grad=True)
    seen: dict[str, bool] = {}

    def worker() -> None:
        seen["enabled"] = dg.is_grad_enabled()
        seen["recorded"] = (x * 2).requires_grad
        with dg.no_grad():  # switching it here must not leak into the main thread
            seen["inner"] = (x * 2).requires_grad

    with dg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not (x * 2).requires_grad
    # As in PyTorch, a new thread starts with grad mode on, whatever its parent has.
    assert seen == {"enabled": True, "recorded": True, "inner": False}
    assert dg.is_grad_enabled()


def test_grad_mode_is_inherited_by_asyncio_tasks() -> None:
    x = dg.tensor([1.0], requires_grad=True)

    async def child() -> bool:
        await asyncio.sleep(0)
        return (x * 2).requires_grad

    async def main() -> tuple[bool, bool, bool]:
        with dg.no_grad():
            inside = await asyncio.create_task(child())
        outside = await asyncio.create_task(child())
        with dg.no_grad():
            task = asyncio.create_task(child())
        # The task took a copy of the context when it was created, inside no_grad.
        late = await task
        return inside, outside, late

    assert asyncio.run(main()) == (False, True, False)


def test_concurrent_tasks_do_not_share_grad_mode() -> None:
    x = dg.tensor([1.0], requires_grad=True)

    async def off() -> bool:
        with dg.no_grad():
            await asyncio.sleep(0.01)
            return (x * 2).requires_grad

    async def on() -> bool:
        await asyncio.sleep(0.005)  # runs while ``off`` is inside its no_grad block
        return (x * 2).requires_grad

    async def main() -> list:
        return await asyncio.gather(off(), on())

    assert asyncio.run(main()) == [False, True]


def test_retain_graph() -> None:
    x = dg.tensor([1.0, 2.0], dtype=dg.float64, requires_grad=True)
    y = (x.sin() * x).sum()
    for k in range(1, 4):
        y.backward(retain_graph=True)
        xs = np.array([1.0, 2.0])
        np.testing.assert_allclose(x.grad.numpy(), k * (np.cos(xs) * xs + np.sin(xs)))
    y.backward()  # the last pass frees
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_create_graph_gives_differentiable_gradients() -> None:
    x = dg.tensor(1.5, dtype=dg.float64, requires_grad=True)
    y = x ** 3
    (g,) = dg.autograd.grad(y, x, create_graph=True)
    assert g.item() == pytest.approx(3 * 1.5**2)
    assert g.requires_grad
    (h,) = dg.autograd.grad(g, x, create_graph=True)
    assert h.item() == pytest.approx(6 * 1.5)
    (k,) = dg.autograd.grad(h, x)
    assert k.item() == pytest.approx(6.0)


def test_create_graph_through_backward_accumulates_a_graph() -> None:
    x = dg.tensor([0.5, 2.0], dtype=dg.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.grad_fn is not None
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([0.5, 2.0]))


def test_restricted_backward_leaves_other_leaves_alone() -> None:
    a = dg.tensor(2.0, requires_grad=True)
    b = dg.tensor(3.0, requires_grad=True)
    (ga,) = dg.autograd.grad(a * b, a)
    assert ga.item() == 3.0 and a.grad is None and b.grad is None


def test_unused_input() -> None:
    a = dg.tensor(2.0, requires_grad=True)
    b = dg.tensor(3.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        dg.autograd.grad(a * 2, [a, b])
    ga, gb = dg.autograd.grad(a * 2, [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None


# --- inputs kept only when a needed rule reads them (Op.reads) -------------------------------

def test_inplace_change_of_an_input_no_rule_reads_is_not_an_error() -> None:
    # As in PyTorch: x * 2 keeps only the 2, sum keeps only the shape.
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[0] = y[1] * 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 2.0])
    a = x * 1
    s = a.sum()
    a.add_(1)
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 7.0, 3.0])


def test_inplace_change_of_a_read_input_still_raises() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = (a * a).sum()
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_graph_that_kept_no_value_can_be_walked_twice() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 2).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    w = (x * 2).sum()  # keeps the constant 2, as PyTorch's MulBackward0 does
    w.backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        w.backward()
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        z.backward()


def test_sum_does_not_keep_its_input_alive() -> None:
    import weakref

    x = dg.ones(1000, requires_grad=True)
    h = x * 3
    ref = weakref.ref(h._data)
    s = h.sum()
    del h
    assert ref() is None
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0)


def test_unread_input_is_passed_as_meta() -> None:
    from dualgrad._registry import InputMeta

    x = dg.ones((2, 3), requires_grad=True)
    node = x.sum().grad_fn
    assert isinstance(node.saved[0], InputMeta) and node.saved[0].shape == (2, 3)
    node = (x * dg.ones((2, 3))).grad_fn
    assert isinstance(node.saved[0], InputMeta) and isinstance(node.saved[1], dg.Tensor)
