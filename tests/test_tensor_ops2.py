"""Behaviour of diag, diagonal, diag_embed, trace, roll, rot90, take, movedim, repeat_interleave,
lerp, isclose and torch.clone: values, dtypes, dims, PyTorch's error texts, the recorded nodes,
and writes through a diagonal view. Gradients are checked with the other ops in
``test_gradcheck_ops.py`` (``op_cases.py``); the last test compares with PyTorch when it is
installed."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad.torch as torch

M = np.arange(12.0).reshape(3, 4)
T3 = np.arange(24.0).reshape(2, 3, 4)


def test_diag_of_a_vector_and_of_a_matrix() -> None:
    v = torch.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(torch.diag(v, 1).detach().numpy(), np.diag([1.0, 2.0], 1))
    assert torch.diag(v).grad_fn.name() == "DiagEmbedBackward0"
    m = torch.tensor(M, requires_grad=True)
    for k in (-1, 0, 2, 9):
        np.testing.assert_array_equal(m.diag(k).detach().numpy(), np.diag(M, k))
    d = m.diag()
    assert d.grad_fn.name() == "DiagonalBackward0_copy"
    d.detach().numpy()[0] = 100.0  # a copy: the matrix is untouched
    assert m[0, 0].item() == 0.0
    assert torch.diag(torch.tensor([[1, 2], [3, 4]])).dtype == torch.int64


@pytest.mark.parametrize("shape", [(2, 3, 4), ()])
def test_diag_refuses_other_ranks(shape: tuple) -> None:
    with pytest.raises(RuntimeError, match=rf"^diag\(\): Supports 1D or 2D tensors. Got "
                                           rf"{len(shape)}D$"):
        torch.diag(torch.zeros(shape))


def test_diagonal_dims_offsets_and_errors() -> None:
    x = torch.tensor(T3)
    np.testing.assert_array_equal(x.diagonal(1, 2, 0).numpy(), np.diagonal(T3, 1, 2, 0))
    np.testing.assert_array_equal(torch.diagonal(x, -1, 0, 2).numpy(), np.diagonal(T3, -1, 0, 2))
    assert x.diagonal(10).shape == (4, 0)
    with pytest.raises(RuntimeError, match="^diagonal dimensions cannot be identical 1, 1$"):
        x.diagonal(0, 1, 1)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
        x.diagonal(0, 3, 1)


def test_diagonal_is_a_view_one_can_write_through() -> None:
    x = torch.zeros(3, 3)
    x.diagonal().fill_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.eye(3))
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a * 1
    y.diagonal().mul_(3.0)
    assert y.grad_fn.name() == "CopySlices"
    (y * y).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[18.0, 4.0], [6.0, 72.0]])


def test_diag_embed_places_the_last_dimension_on_a_diagonal() -> None:
    x = torch.tensor(M[:2, :3])
    out = torch.diag_embed(x, 1, 0, 2)
    assert out.shape == (4, 2, 4)
    for i in range(2):
        np.testing.assert_array_equal(out.numpy()[:, i, :], np.diag(M[i, :3], 1))


def test_trace_dtypes_and_errors() -> None:
    assert torch.tensor(M).trace().item() == np.trace(M)
    t = torch.arange(9, dtype=torch.int32).reshape(3, 3).trace()
    assert t.dtype == torch.int64 and t.item() == 12
    with pytest.raises(RuntimeError, match="^trace: expected a matrix, but got tensor with "
                                           "dim 3$"):
        torch.zeros(2, 2, 2).trace()
    with pytest.raises(NotImplementedError, match="^\"trace\" not implemented for 'Bool'$"):
        torch.ones(2, 2, dtype=torch.bool).trace()
    x = torch.tensor(M, requires_grad=True)
    (-x.trace()).backward()  # exact zeros off the diagonal (not -0.0)
    np.testing.assert_array_equal(x.grad.numpy(), -np.eye(3, 4))
    assert not np.signbit(x.grad.numpy()[~np.eye(3, 4, dtype=bool)]).any()


def test_roll() -> None:
    x = torch.tensor(T3)
    np.testing.assert_array_equal(x.roll(5).numpy(), np.roll(T3, 5))
    np.testing.assert_array_equal(x.roll((1, -2), (0, -1)).numpy(), np.roll(T3, (1, -2), (0, 2)))
    with pytest.raises(RuntimeError, match="^shifts and dimensions must align. shifts: 2, "
                                           "dims:1$"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="^`shifts` required$"):
        x.roll([], [])
    assert x.requires_grad_().roll(1, 1).grad_fn.name() == "RollBackward0"


def test_movedim_and_moveaxis() -> None:
    x = torch.zeros(2, 3, 4, requires_grad=True)
    assert x.movedim(0, -1).shape == (3, 4, 2)
    assert torch.moveaxis(x, (0, 1), (2, 0)).shape == np.moveaxis(T3, (0, 1), (2, 0)).shape
    assert x.movedim(1, 1).grad_fn.name() == "PermuteBackward0"
    with pytest.raises(RuntimeError, match=r"^movedim: repeated dim in `source` \(\[0, 0\]\)$"):
        x.movedim((0, 0), (1, 2))
    with pytest.raises(RuntimeError, match=r"should contain the same number of dims as "
                                           r"destination \(\[1\] dims\)$"):
        x.movedim((0, 1), (1,))


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 5])
def test_rot90_is_numpys_rotation_and_a_copy(k: int) -> None:
    x = torch.tensor(M)
    out = x.rot90(k)
    np.testing.assert_array_equal(out.numpy(), np.rot90(M, k))
    out.numpy()[...] = -1.0
    assert x.numpy().min() == 0.0


def test_rot90_errors() -> None:
    with pytest.raises(RuntimeError, match="^expected total dims >= 2, but got total dims = 1$"):
        torch.zeros(3).rot90()
    with pytest.raises(RuntimeError, match="^expected rotation dims to be different, but got "
                                           "dim0 = 0 and dim1 = 0$"):
        torch.zeros(2, 2).rot90(1, (0, 0))


def test_take() -> None:
    x = torch.tensor(M, requires_grad=True)
    out = x.take(torch.tensor([[0, 11], [-1, 5]]))
    np.testing.assert_array_equal(out.detach().numpy(), [[0.0, 11.0], [11.0, 5.0]])
    out.sum().backward()
    expected = np.zeros(12)
    np.add.at(expected, [0, 11, 11, 5], 1.0)  # repeats add up
    np.testing.assert_array_equal(x.grad.numpy().ravel(), expected)
    with pytest.raises(IndexError, match="^out of range: tried to access index 12 on a tensor "
                                         "of 12 elements.$"):
        x.take(torch.tensor([12]))
    with pytest.raises(RuntimeError, match="^take\\(\\): Expected a long tensor for index, but "
                                           "got Float$"):
        x.take(torch.tensor([1.0]))


def test_repeat_interleave() -> None:
    x = torch.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(x.repeat_interleave(2).numpy(), np.repeat([1, 2, 3, 4], 2))
    np.testing.assert_array_equal(x.repeat_interleave(2, dim=-1).numpy(),
                                  np.repeat(x.numpy(), 2, axis=1))
    np.testing.assert_array_equal(x.repeat_interleave(torch.tensor([1, 2]), dim=0).numpy(),
                                  [[1, 2], [3, 4], [3, 4]])
    np.testing.assert_array_equal(torch.repeat_interleave(torch.tensor([2, 0, 1])).numpy(),
                                  [0, 0, 2])
    f = torch.tensor([1.0, 2.0], requires_grad=True)
    assert f.repeat_interleave(2).grad_fn.name() == "ViewBackward0"
    assert f.repeat_interleave(torch.tensor([1, 2])).grad_fn.name() == "IndexSelectBackward0"
    with pytest.raises(RuntimeError, match="^Repeats must be non-negative$"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="^repeats can not be negative$"):
        f.repeat_interleave(torch.tensor([1, -1]))
    with pytest.raises(RuntimeError, match=r"^repeats must have the same size as input along "
                                           r"dim, but got repeats.size\(0\) = 3 and "
                                           r"input.size\(0\) = 2$"):
        f.repeat_interleave(torch.tensor([1, 1, 1]))
    with pytest.raises(NotImplementedError, match="^\"repeat_interleave_cpu\" not implemented "
                                                  "for 'Float'$"):
        f.repeat_interleave(torch.tensor([1.0, 1.0]))


def test_lerp_values_nodes_and_errors() -> None:
    a = torch.tensor([0.0, 1.0, -2.0], requires_grad=True)
    b = torch.tensor([10.0, 3.0, 2.0], requires_grad=True)
    for w in (0.0, 0.25, 0.5, 1.0):  # exact at both ends
        np.testing.assert_array_equal(torch.lerp(a, b, w).detach().numpy(),
                                      np.array([0.0, 1.0, -2.0]) * (1 - w)
                                      + np.array([10.0, 3.0, 2.0]) * w)
    assert a.lerp(b, 0.3).grad_fn.name() == "LerpBackward0"
    assert a.lerp(b, torch.tensor(0.3)).grad_fn.name() == "LerpBackward1"
    with pytest.raises(RuntimeError, match="^expected dtype float for `end` but got dtype "
                                           "double$"):
        a.lerp(b.double(), 0.5)
    with pytest.raises(RuntimeError, match="^expected dtype float for `weight` but got dtype "
                                           "double$"):
        a.lerp(b, torch.ones(3, dtype=torch.float64))
    with pytest.raises(NotImplementedError, match="^\"lerp_kernel_scalar\" not implemented "
                                                  "for 'Long'$"):
        torch.arange(3).lerp(torch.arange(3), 0.5)


def test_isclose_and_numpy_dispatch() -> None:
    a = torch.tensor([1.0, np.inf, np.nan, 1.0])
    b = torch.tensor([1.0 + 1e-9, np.inf, np.nan, 1.1])
    np.testing.assert_array_equal(torch.isclose(a, b).numpy(), [True, True, False, False])
    np.testing.assert_array_equal(a.isclose(b, equal_nan=True, rtol=0.2).numpy(), [True] * 4)
    with pytest.raises(RuntimeError, match="^Float did not match Double$"):
        a.isclose(b.double())
    assert isinstance(np.isclose(a, b), torch.Tensor)
    assert np.allclose(a[:2], b[:2]) is True
    np.testing.assert_array_equal(np.diagonal(torch.tensor(M)).numpy(), np.diagonal(M))
    np.testing.assert_array_equal(np.roll(torch.tensor(M), 1, 0).numpy(), np.roll(M, 1, 0))
    np.testing.assert_array_equal(np.rot90(torch.tensor(M)).numpy(), np.rot90(M))


def test_torch_clone_is_recorded() -> None:
    x = torch.tensor([1.0], requires_grad=True)
    y = torch.clone(x)
    assert y.grad_fn.name() == "CloneBackward0" and y is not x


def test_against_pytorch() -> None:
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 4)).astype(np.float32)
    e = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.uniform(-0.5, 1.5, (3, 4)).astype(np.float32)
    calls = [
        lambda L, x, y, z: L.diag(x), lambda L, x, y, z: L.diag(x[0], -1),
        lambda L, x, y, z: x.diagonal(1, 1, 0), lambda L, x, y, z: L.diag_embed(x, 1, 0, 2),
        lambda L, x, y, z: x.trace(), lambda L, x, y, z: x.roll((1, -5), (0, 1)),
        lambda L, x, y, z: x.roll(7), lambda L, x, y, z: x.movedim(0, 1),
        lambda L, x, y, z: x.rot90(3), lambda L, x, y, z: x.take(L.tensor([[0, -1], [4, 4]])),
        lambda L, x, y, z: x.repeat_interleave(2, 1),
        lambda L, x, y, z: x.repeat_interleave(L.tensor([2, 0, 1]), 0),
        lambda L, x, y, z: L.lerp(x, y, 0.7), lambda L, x, y, z: L.lerp(x, y, z),
    ]
    for call in calls:
        results = []
        for lib in (real, torch):
            xs = [lib.tensor(a, requires_grad=True) for a in (m, e, w)]
            out = call(lib, *xs)
            weight = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                                dtype=out.dtype)
            grads = lib.autograd.grad((out * weight).sum(), xs, allow_unused=True)
            results.append([out.detach().numpy()] + [
                None if g is None else g.numpy() for g in grads])
            results[-1].append(type(out.grad_fn).__name__ if lib is real
                               else out.grad_fn.name())
        for ours, theirs in zip(results[1], results[0]):
            if isinstance(theirs, str) or theirs is None:
                assert ours == theirs or (theirs is None and not np.any(ours))
            else:
                np.testing.assert_array_equal(ours, theirs)


def test_numpy_argmax_sort_round_on_tensors() -> None:
    a = np.array([[3.0, 1.0, 2.5], [0.5, 4.0, -1.0]])
    x = torch.tensor(a, requires_grad=True)
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(np.argmax(x, axis).numpy(), np.argmax(a, axis))
        np.testing.assert_array_equal(np.sort(x, axis).detach().numpy(), np.sort(a, axis))
    assert np.sort(x).grad_fn.name() == "SortBackward0"
    np.testing.assert_array_equal(np.round(x).detach().numpy(), np.round(a))
    np.testing.assert_array_equal(np.around(x * 1.25, 1).detach().numpy(), np.around(a * 1.25, 1))
