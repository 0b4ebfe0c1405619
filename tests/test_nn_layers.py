"""nn.Embedding / F.embedding and nn.LayerNorm / F.layer_norm: values, gradients (repeated
indices, padding_idx), initialisation, reprs, state_dict keys and PyTorch's error texts;
against closed forms, and against PyTorch when it is installed. The ops' derivatives are
checked against finite differences by tests/test_gradcheck_ops.py."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad as dg
from dualgrad import nn
from dualgrad.nn import functional as F

# --- embedding ---------------------------------------------------------------------------------


def test_embedding_picks_rows_and_accumulates_gradients():
    w0 = np.arange(15.0).reshape(5, 3)
    w = dg.tensor(w0, requires_grad=True)
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    out = F.embedding(dg.tensor(idx), w)
    assert out.grad_fn.name() == "EmbeddingBackward0" and out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(force=True), w0[idx])
    g = np.arange(18.0).reshape(2, 3, 3)
    out.backward(dg.tensor(g))
    expected = np.zeros((5, 3))
    np.add.at(expected, idx.ravel(), g.reshape(-1, 3))
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def test_padding_idx_gets_no_gradient():
    w = dg.zeros(5, 3, dtype=dg.float64, requires_grad=True)
    out = F.embedding(dg.tensor([[0, 2, 2], [4, 2, 0]]), w, padding_idx=2)
    out.sum().backward()
    assert w.grad.tolist() == [[2.0] * 3, [0.0] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3]
    w.grad = None
    F.embedding(dg.tensor([4, 1]), w, padding_idx=-1).sum().backward()  # -1: the last row
    assert w.grad.tolist() == [[0.0] * 3, [1.0] * 3, [0.0] * 3, [0.0] * 3, [0.0] * 3]


def test_embedding_second_derivative_zeroes_padding_rows():
    w = dg.tensor(np.ones((5, 3)), requires_grad=True)
    out = F.embedding(dg.tensor([1, 1, 3]), w, padding_idx=3)
    g = dg.ones(3, 3, dtype=dg.float64, requires_grad=True)
    (gw,) = dg.autograd.grad(out, w, g, create_graph=True)
    assert gw.grad_fn.name() == "EmbeddingDenseBackwardBackward0"
    (gg,) = dg.autograd.grad((gw * dg.arange(15.0).reshape(5, 3)).sum(), g)
    assert gg.tolist() == [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0], [0.0, 0.0, 0.0]]


def test_embedding_index_shapes_and_dtypes():
    w = dg.randn(4, 2)
    assert F.embedding(dg.tensor(1), w).shape == (2,)
    assert F.embedding(dg.tensor([], dtype=dg.int64), w).shape == (0, 2)
    assert F.embedding(dg.tensor([1], dtype=dg.int32), w).dtype == dg.float32
    assert F.embedding(dg.tensor([[3]]), w.double()).dtype == dg.float64


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda w: F.embedding(dg.tensor([5]), w), IndexError, "index out of range in self"),
    (lambda w: F.embedding(dg.tensor([-1]), w), IndexError, "index out of range in self"),
    (lambda w: F.embedding(dg.tensor([1.0]), w), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)"),
    (lambda w: F.embedding(dg.tensor([True]), w), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got CPUBoolType instead (while checking arguments for embedding)"),
    (lambda w: F.embedding([1], w), TypeError,
     "embedding(): argument 'indices' (position 2) must be Tensor, not list"),
    (lambda w: F.embedding(dg.tensor([1]), dg.ones(3)), RuntimeError, "'weight' must be 2-D"),
    (lambda w: F.embedding(dg.tensor([1]), w, padding_idx=7), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda w: F.embedding(dg.tensor([1]), w, padding_idx=-6), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda w: nn.Embedding(10, 3, padding_idx=10), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda w: nn.Embedding(10, 3, _weight=dg.ones(2, 2)), AssertionError,
     "Shape of weight does not match num_embeddings and embedding_dim"),
    (lambda w: nn.Embedding.from_pretrained(dg.ones(3)), AssertionError,
     "Embeddings parameter is expected to be 2-dimensional"),
])
def test_embedding_errors(call, error, message):
    with pytest.raises(error) as info:
        call(dg.zeros(5, 3, requires_grad=True))
    assert str(info.value) == message


def test_embedding_module():
    dg.manual_seed(0)
    e = nn.Embedding(1000, 20, padding_idx=-2)
    assert repr(e) == "Embedding(1000, 20, padding_idx=998)" and e.padding_idx == 998
    assert list(e.state_dict()) == ["weight"] and e.weight.dtype == dg.float32
    w = e.weight.numpy(force=True)
    assert not w[998].any() and abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    dg.manual_seed(0)
    assert np.array_equal(nn.Embedding(1000, 20, padding_idx=-2).weight.numpy(force=True), w)
    assert repr(nn.Embedding(10, 3, max_norm=1.0)) == "Embedding(10, 3, max_norm=1.0)"
    assert repr(nn.Embedding(10, 3, norm_type=1.0)) == "Embedding(10, 3, norm_type=1.0)"
    assert nn.Embedding(4, 2, dtype=dg.float64).weight.dtype == dg.float64
    pre = nn.Embedding.from_pretrained(dg.ones(3, 2))
    assert repr(pre) == "Embedding(3, 2)" and not pre.weight.requires_grad
    pre = nn.Embedding.from_pretrained(dg.ones(3, 2), freeze=False, padding_idx=1)
    assert pre.weight.requires_grad and pre.weight.tolist() == [[1.0, 1.0]] * 3  # not zeroed
    out = e(dg.tensor([[1, 998]]))
    out.sum().backward()
    assert out.shape == (1, 2, 20) and not e.weight.grad[998].numpy().any()


def test_embedding_max_norm_renormalizes_picked_rows_in_place():
    w0 = np.random.default_rng(0).standard_normal((5, 3)) * 3
    for norm_type in (2.0, 1.0):
        w = dg.tensor(w0)
        out = F.embedding(dg.tensor([0, 1, 1]), w, max_norm=1.5, norm_type=norm_type)
        expected = w0.copy()
        for r in (0, 1):
            norm = np.linalg.norm(w0[r], ord=norm_type)
            if norm > 1.5:
                expected[r] *= 1.5 / (norm + 1e-7)
        np.testing.assert_allclose(w.numpy(), expected, rtol=1e-15)
        np.testing.assert_array_equal(out.numpy(), expected[[0, 1, 1]])
        assert w._version == 1


def test_embedding_unsupported_options_say_so():
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq=True and sparse=True"):
        nn.Embedding(3, 2, sparse=True)(dg.tensor([0]))


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((6, 4))
    idx = rng.integers(0, 6, size=(3, 5))
    g = rng.standard_normal((3, 5, 4))
    for pad in (None, 0, 3, -1):
        ours, theirs = dg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
        F.embedding(dg.tensor(idx), ours, padding_idx=pad).backward(dg.tensor(g))
        torch.nn.functional.embedding(torch.tensor(idx), theirs, padding_idx=pad).backward(
            torch.tensor(g))
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14,
                                   atol=1e-15)


# --- layer norm --------------------------------------------------------------------------------


def _layer_norm_reference(x, w, b, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


@pytest.mark.parametrize(("xs", "ns"), [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((7,), (7,))])
def test_layer_norm_values_and_gradients(xs, ns):
    rng = np.random.default_rng(0)
    x0, w0, b0 = (rng.standard_normal(s) for s in (xs, ns, ns))
    x0 = x0 * 3 + 1
    axes = tuple(range(len(xs) - len(ns), len(xs)))
    x, w, b = (dg.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = F.layer_norm(x, ns, w, b)
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(y.numpy(force=True),
                               _layer_norm_reference(x0, w0, b0, axes, 1e-5), rtol=1e-13)
    g = rng.standard_normal(xs)
    y.backward(dg.tensor(g))
    xhat = _layer_norm_reference(x0, 1.0, 0.0, axes, 1e-5)
    lead = tuple(range(len(xs) - len(ns)))
    np.testing.assert_allclose(w.grad.numpy(), (g * xhat).sum(axis=lead), rtol=1e-13)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=lead), rtol=1e-13)
    # x's gradient: finite differences of <g, layer_norm(x)>
    eps = 1e-6
    fd = np.zeros_like(x0)
    for i in np.ndindex(xs):
        d = np.zeros_like(x0)
        d[i] = eps
        fd[i] = np.sum(g * (_layer_norm_reference(x0 + d, w0, b0, axes, 1e-5)
                            - _layer_norm_reference(x0 - d, w0, b0, axes, 1e-5))) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6, atol=1e-8)


def test_layer_norm_without_affine_and_float32():
    x = dg.tensor([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    y = F.layer_norm(x, (3,))
    assert y.dtype == dg.float32
    np.testing.assert_allclose(y.numpy(), [[-1.2247356, 0.0, 1.2247356], [0.0, 0.0, 0.0]],
                               rtol=1e-6)
    assert F.layer_norm(dg.ones(0, 3), [3]).shape == (0, 3)
    bias_only = F.layer_norm(x, (3,), None, dg.full((3,), 0.5))
    np.testing.assert_allclose(bias_only.numpy(), y.numpy() + 0.5, rtol=1e-6)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: F.layer_norm(x, (4,)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
     "size[2, 3]"),
    (lambda x: F.layer_norm(x, (2, 3, 4)), RuntimeError,
     "Given normalized_shape=[2, 3, 4], expected input with shape [*, 2, 3, 4], but got input "
     "of size[2, 3]"),
    (lambda x: F.layer_norm(x, (3,), dg.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] "
     "and normalized_shape = [3]"),
    (lambda x: F.layer_norm(x, (3,), None, dg.ones(4)), RuntimeError,
     "Expected bias to be of same shape as normalized_shape, but got bias of shape [4] and "
     "normalized_shape = [3]"),
    (lambda x: F.layer_norm(x, 3), TypeError,
     "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    (lambda x: F.layer_norm(x, []), RuntimeError,
     "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
     "element, but got normalized_shape = []"),
    (lambda x: F.layer_norm(dg.ones(2, 3, dtype=dg.int64), (3,)), NotImplementedError,
     "\"LayerNormKernelImpl\" not implemented for 'Long'"),
    (lambda x: nn.LayerNorm(3)(x.double()), RuntimeError,
     "mixed dtype (CPU): all inputs must share same datatype."),
])
def test_layer_norm_errors(call, error, message):
    with pytest.raises(error) as info:
        call(dg.ones(2, 3, requires_grad=True))
    assert str(info.value) == message


def test_layer_norm_module():
    m = nn.LayerNorm(4)
    assert repr(m) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"] and m.normalized_shape == (4,)
    assert m.weight.tolist() == [1.0] * 4 and m.bias.tolist() == [0.0] * 4
    plain = nn.LayerNorm([3, 4], eps=1e-3, elementwise_affine=False)
    assert repr(plain) == "LayerNorm((3, 4), eps=0.001, elementwise_affine=False, bias=False)"
    assert list(plain.state_dict()) == [] and plain.weight is None
    no_bias = nn.LayerNorm(4, bias=False)
    assert list(no_bias.state_dict()) == ["weight"] and no_bias.bias is None
    assert nn.LayerNorm(3, dtype=dg.float64).weight.dtype == dg.float64
    x = dg.randn(5, 4)
    out = m(x)
    out.sum().backward()
    assert m.weight.grad.shape == (4,) and m.bias.grad.tolist() == [5.0] * 4


def test_layer_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        for xs, ns in (((4, 5), (5,)), ((2, 3, 4), (3, 4))):
            x0 = (rng.standard_normal(xs) * 3 + 1).astype(dtype)
            w0, b0 = (rng.standard_normal(ns).astype(dtype) for _ in range(2))
            g = rng.standard_normal(xs).astype(dtype)
            results = []
            for lib, fn in ((dg, F.layer_norm), (torch, torch.nn.functional.layer_norm)):
                args = [lib.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
                y = fn(args[0], ns, args[1], args[2])
                y.backward(lib.tensor(g))
                results.append([y.detach().numpy()] + [a.grad.numpy() for a in args])
            for ours, theirs in zip(*results):
                assert ours.dtype == theirs.dtype
                np.testing.assert_allclose(ours, theirs, rtol=rtol,
                                           atol=rtol * np.abs(theirs).max())
