"""Memory: saved values are released by backward, graphs are freed by reference counting,
and a training loop does not grow the process's memory."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np

import dualgrad as dg


def _graph(x: dg.Tensor) -> tuple[dg.Tensor, weakref.ref]:
    """``sum(exp(x) * exp(x))``; returns the loss and a weakref to the intermediate array."""
    h = x.exp()  # exp saves its output for backward; mul saves both inputs
    ref = weakref.ref(h._data)
    out = (h * h).sum()
    return out, ref


def test_backward_releases_saved_arrays() -> None:
    x = dg.tensor(np.arange(4.0), requires_grad=True)
    out, ref = _graph(x)
    assert ref() is not None  # the graph keeps the intermediate alive for backward
    out.backward()
    assert ref() is None  # ... and lets it go once backward is done with it
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.arange(4.0)))


def test_retain_graph_keeps_saved_arrays_until_the_graph_dies() -> None:
    x = dg.tensor(np.arange(4.0), requires_grad=True)
    out, ref = _graph(x)
    out.backward(retain_graph=True)
    assert ref() is not None
    out.backward(retain_graph=True)
    del out
    assert ref() is None


def test_graph_is_freed_without_the_cycle_collector() -> None:
    # No reference cycles between tensors and nodes: dropping the result frees the graph at
    # once, even with the cycle collector off.
    gc.disable()
    try:
        x = dg.tensor([1.0, 2.0], requires_grad=True)
        y = (x.sin() * x + 1).mean()
        node = weakref.ref(y.grad_fn)
        inner = weakref.ref(y.grad_fn.next_functions[0][0])
        del y
        assert node() is None and inner() is None
        z = (x * 3).sum()
        z.backward()
        grad_ref = weakref.ref(x.grad)
        node = weakref.ref(z.grad_fn)
        del z
        assert node() is None and grad_ref() is not None
    finally:
        gc.enable()


def test_no_grad_allocates_no_nodes() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with dg.no_grad():
        y = x * 2 + 1
    assert y.grad_fn is None and not y.requires_grad


def test_training_loop_does_not_grow_memory() -> None:
    rng = np.random.default_rng(0)
    X = dg.tensor(rng.normal(size=(32, 4)))
    true_w = rng.normal(size=(4, 1))
    Y = dg.tensor(X.numpy() @ true_w)
    w = dg.tensor(np.zeros((4, 1)), requires_grad=True)

    def step() -> float:
        loss = ((X @ w - Y) ** 2).mean()
        loss.backward()
        with dg.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad.zero_()
        return loss.item()

    tracemalloc.start()
    try:
        for _ in range(100):
            first = step()
        gc.collect()
        blocks_100 = len(tracemalloc.take_snapshot().traces)
        size_100 = tracemalloc.get_traced_memory()[0]
        for _ in range(900):
            last = step()
        gc.collect()
        blocks_1000 = len(tracemalloc.take_snapshot().traces)
        size_1000 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # 900 more iterations each allocate several arrays and nodes; none may survive.
    assert blocks_1000 - blocks_100 < 50, (blocks_100, blocks_1000)
    assert size_1000 - size_100 < 16 * 1024, (size_100, size_1000)
    # ... and the loop did train.
    assert last < first * 1e-3
    np.testing.assert_allclose(w.detach().numpy(), true_w, atol=1e-3)
