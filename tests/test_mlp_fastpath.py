"""The MLP training step's fast paths (issue 5's speed work) keep every behaviour.

* the fused cross-entropy reuses its forward's softmax in backward only for the very same
  inputs, once; a second backward, a second loss on the same logits, ignored targets and
  create_graph all give the gradients a fresh computation gives;
* ``nn.Linear`` sums its bias gradient itself for a batch and leaves batched inputs to the
  engine's ``sum_to``;
* ``tanh``'s in-place rule, ``loss.backward()``'s seed shortcut and leaf gradients adopted
  without a copy.

Gradients are checked against central finite differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
from numeric import numeric_grad

import dualgrad as dg
from dualgrad.nn import functional as F


def _ce_value(x: np.ndarray, t: np.ndarray, ignore_index: int = -100,
              reduction: str = "mean") -> float:
    valid = t != ignore_index
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = -logp[np.arange(len(t)), np.where(valid, t, 0)] * valid
    if reduction == "mean":
        return float(picked.sum() / max(valid.sum(), 1))
    return float(picked.sum())


@pytest.fixture
def logits() -> np.ndarray:
    return np.random.default_rng(5).standard_normal((6, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_grad_matches_finite_differences(logits, reduction):
    t = np.array([0, 3, 1, 1, 2, 0])
    x = dg.tensor(logits, requires_grad=True)
    F.cross_entropy(x, dg.tensor(t), reduction=reduction).backward()
    num = numeric_grad(lambda a: _ce_value(a, t, reduction=reduction), logits)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_cross_entropy_second_backward_recomputes(logits):
    t = dg.tensor([0, 3, 1, 1, 2, 0])
    x = dg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, t)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()  # the forward's softmax was used (in place) by the first: recomputed
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12)


def test_cross_entropy_two_losses_on_the_same_logits(logits):
    t = dg.tensor([0, 3, 1, 1, 2, 0])
    x = dg.tensor(logits, requires_grad=True)
    total = F.cross_entropy(x, t) + 3 * F.cross_entropy(x, t)
    total.backward()
    one = dg.tensor(logits, requires_grad=True)
    F.cross_entropy(one, t).backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * one.grad.numpy(), rtol=1e-12)


def test_cross_entropy_latest_forward_of_other_logits_is_not_used(logits):
    t = dg.tensor([0, 3, 1, 1, 2, 0])
    x = dg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, t)
    F.cross_entropy(dg.tensor(logits * 5, requires_grad=True), t)  # replaces the cache
    with dg.no_grad():
        F.cross_entropy(dg.tensor(logits[::-1].copy()), t)
    loss.backward()
    num = numeric_grad(lambda a: _ce_value(a, t.numpy()), logits)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ignore_index", [-100, 2, 255])
def test_cross_entropy_ignore_index(logits, ignore_index):
    t = np.array([0, 3, ignore_index, 1, ignore_index, 0])
    if ignore_index == -100:
        t = np.array([0, 3, -100, 1, -100, 0])
    x = dg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, dg.tensor(t), ignore_index=ignore_index)
    loss.backward()
    assert float(loss) == pytest.approx(_ce_value(logits, t, ignore_index), rel=1e-12)
    num = numeric_grad(lambda a: _ce_value(a, t, ignore_index), logits)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("bad, shown", [([0, 4, 1], 4), ([0, -1, 1], -1), ([7, 1, -3], 7),
                                        ([0, -2**63, 1], -2**63), ([2**62, 0, 1], 2**62),
                                        ([-100, 4, 0], 4)])
def test_cross_entropy_target_out_of_bounds(bad, shown):
    x = dg.zeros(3, 4, requires_grad=True)
    with pytest.raises(IndexError, match=f"^Target {shown} is out of bounds.$"):
        F.cross_entropy(x, dg.tensor(bad))


@pytest.mark.parametrize("dtype", [np.int64, np.longlong, np.uint8])
def test_cross_entropy_takes_every_int64_and_uint8_target(logits, dtype):
    # np.longlong is int64 by name but another NumPy type object than np.int64.
    t = np.array([0, 3, 1, 1, 2, 0]).astype(dtype)
    loss = F.cross_entropy(dg.tensor(logits), dg.from_numpy(t))
    assert float(loss) == pytest.approx(_ce_value(logits, t.astype(np.int64), -100), rel=1e-12)


def test_cross_entropy_create_graph_gives_a_differentiable_gradient(logits):
    t = dg.tensor([0, 3, 1, 1, 2, 0])
    x = dg.tensor(logits, requires_grad=True)
    (gx,) = dg.autograd.grad(F.cross_entropy(x, t), x, create_graph=True)
    assert gx.requires_grad
    gx.pow(2).sum().backward()
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(4)[t.numpy()]
    np.testing.assert_allclose(gx.detach().numpy(), (p - onehot) / 6, rtol=1e-12)
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()).sum() > 0


def test_linear_bias_grad_for_a_batch_and_batched_input():
    rng = np.random.default_rng(1)
    layer = dg.nn.Linear(3, 2, dtype=dg.float64)
    for shape in [(5, 3), (4, 5, 3)]:
        layer.zero_grad()
        x = rng.standard_normal(shape)
        g = rng.standard_normal(shape[:-1] + (2,))
        (layer(dg.tensor(x)) * dg.tensor(g)).sum().backward()
        np.testing.assert_allclose(layer.bias.grad.numpy(), g.reshape(-1, 2).sum(0),
                                   rtol=1e-12)
        np.testing.assert_allclose(layer.weight.grad.numpy(),
                                   g.reshape(-1, 2).T @ x.reshape(-1, 3), rtol=1e-12)
        assert layer.bias.grad.shape == (2,)


# Inside and around the float32 shapes for which the forward computes ``(w @ x.T).T``.
@pytest.mark.parametrize("batch, n_in, n_out", [(16, 128, 128), (64, 784, 128), (64, 200, 300),
                                                (15, 128, 128), (65, 128, 128), (32, 127, 128),
                                                (32, 128, 10)])
def test_linear_forward_in_either_operand_order_is_the_product(batch, n_in, n_out):
    rng = np.random.default_rng(batch + n_in)
    layer = dg.nn.Linear(n_in, n_out)
    x = dg.tensor(rng.standard_normal((batch, n_in)).astype(np.float32), requires_grad=True)
    out = layer(x)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    want = x.detach().numpy().astype(np.float64) @ w.T.astype(np.float64) + b
    assert out.dtype == dg.float32 and out.shape == (batch, n_out)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-4, atol=1e-4)
    # row-major, as PyTorch's output: view works on it and in-place ops reach it
    assert out.is_contiguous() and out.view(-1).shape == (batch * n_out,)
    g = rng.standard_normal((batch, n_out)).astype(np.float32)
    out.backward(dg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g @ w, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.weight.grad.numpy(), g.T @ x.detach().numpy(),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_tanh_grad(shape):
    a = np.random.default_rng(2).standard_normal(shape)
    x = dg.tensor(a, requires_grad=True)
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(a) ** 2, rtol=1e-12)


def test_tanh_create_graph_second_derivative():
    a = np.array([0.3, -1.2])
    x = dg.tensor(a, requires_grad=True)
    (g,) = dg.autograd.grad(x.tanh().sum(), x, create_graph=True)
    g.sum().backward()
    th = np.tanh(a)
    np.testing.assert_allclose(x.grad.numpy(), -2 * th * (1 - th ** 2), rtol=1e-12)


def test_scalar_backward_shortcut_keeps_semantics():
    x = dg.tensor([[1.0, 2.0]], requires_grad=True)
    loss = (x * x).sum().reshape(1, 1)  # a one-element, 2-d loss
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[4.0, 8.0]])
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        loss.backward()
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad"):
        dg.tensor(1.0).backward()


def test_adopted_leaf_gradients_are_independent_arrays():
    layer = dg.nn.Linear(4, 3)
    x = dg.ones(2, 4)
    layer(x).sum().backward()
    grads = [p.grad.numpy() for p in layer.parameters()]
    for p, g in zip(layer.parameters(), grads, strict=True):
        assert not np.shares_memory(g, p.detach().numpy())
    layer(x).sum().backward()  # accumulates into the adopted buffers
    np.testing.assert_allclose(layer.bias.grad.numpy(), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.full((3, 4), 4.0))


def test_cross_entropy_pieces_are_per_thread() -> None:
    # The forward's softmax pieces wait in a per-thread slot: a backward in another thread
    # recomputes them instead of taking (and modifying in place) this thread's.
    import threading

    rng = np.random.default_rng(1)
    logits = dg.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    target = dg.tensor([0, 2, 1, 2])
    loss = dg.nn.functional.cross_entropy(logits, target)
    worker = threading.Thread(target=loss.backward)
    worker.start()
    worker.join()
    p = np.exp(logits.detach().numpy())
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(4), [0, 2, 1, 2]] -= 1
    np.testing.assert_allclose(logits.grad.numpy(), p / 4, rtol=1e-12)
