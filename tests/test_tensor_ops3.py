"""Behaviour of median, kthvalue, cummax, cummin, unique, bincount, addmm, addmv, baddbmm,
scatter, scatter_add and index_add (and their in-place forms): values, NaN, dtypes, PyTorch's
error texts and the recorded nodes. Gradients are checked with the other ops in
``test_gradcheck_ops.py`` (``op_cases.py``); the last tests compare with PyTorch when it is
installed."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad.torch as torch

NAN = float("nan")


def test_median_and_kthvalue_values_nan_and_indices() -> None:
    x = torch.tensor([[3.0, 1.0, 2.0, 5.0], [4.0, NAN, 0.0, NAN]], requires_grad=True)
    m = x.median(1)
    assert type(m).__name__ == "median" and m.values.grad_fn.name() == "MedianBackward1"
    np.testing.assert_array_equal(m.values.detach().numpy(), [2.0, NAN])
    np.testing.assert_array_equal(m.indices.numpy(), [2, 1])  # the first NaN of the row
    assert np.isnan(x.median().item()) and x.median().grad_fn.name() == "MedianBackward0"
    k = x.kthvalue(4, 1, keepdim=True)
    assert k.values.shape == (2, 1) and k.values.grad_fn.name() == "KthvalueBackward0"
    np.testing.assert_array_equal(k.indices.numpy(), [[3], [3]])  # NaN sort last
    assert torch.tensor([1, 5, 3, 4]).median().item() == 3  # the lower median
    assert torch.tensor(5.0).median(0).indices.item() == 0
    assert np.isnan(torch.tensor([]).median().item())


def test_median_gradients() -> None:
    y = torch.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    y.median().backward()  # tied medians share the gradient
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.5, 0.5, 0.0])
    z = torch.tensor([[1.0, 4.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    z.median(1).values.sum().backward()  # to the chosen element only
    np.testing.assert_array_equal(z.grad.numpy(), [[0, 0, 1], [0, 0, 1]])


def test_median_kthvalue_errors() -> None:
    with pytest.raises(IndexError, match=r"^median\(\): Expected reduction dim 1 to have "
                                         r"non-zero size.$"):
        torch.zeros(2, 0).median(1)
    for k in (0, 4):
        with pytest.raises(RuntimeError, match=r"^kthvalue\(\): selected number k out of "
                                               r"range for dimension 0$"):
            torch.zeros(3).kthvalue(k)
    with pytest.raises(NotImplementedError, match="^\"median_cpu\" not implemented for "
                                                  "'Bool'$"):
        torch.zeros(3, dtype=torch.bool).median()
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1\)$"):
        torch.zeros(3).median(1)


def test_cummax_cummin_ties_and_nan() -> None:
    c = torch.tensor([1.0, 3.0, 3.0, 2.0, NAN, 1.0, NAN], requires_grad=True)
    hi, lo = c.cummax(0), c.cummin(0)
    np.testing.assert_array_equal(hi.values.detach().numpy(), [1, 3, 3, 3, NAN, NAN, NAN])
    np.testing.assert_array_equal(hi.indices.numpy(), [0, 1, 2, 2, 4, 4, 6])  # ties: latest
    np.testing.assert_array_equal(lo.indices.numpy(), [0, 0, 0, 0, 4, 4, 6])
    assert hi.values.grad_fn.name() == "CummaxBackward0"
    assert lo.values.grad_fn.name() == "CumminBackward0"
    m = torch.tensor([[2.0, 1.0], [0.5, 4.0], [3.0, 2.0]], requires_grad=True)
    m.cummax(0).values.sum().backward()  # gradient scattered to the indices, repeats add up
    np.testing.assert_array_equal(m.grad.numpy(), [[2, 1], [0, 2], [1, 0]])
    b = torch.tensor([True, False]).cummax(0)
    assert b.values.dtype == torch.bool and b.indices.tolist() == [0, 0]
    assert torch.tensor(2.0).cummin(0).indices.item() == 0


def test_unique() -> None:
    u = torch.tensor([3.0, 1.0, NAN, 1.0, NAN, 2.0], requires_grad=True)
    values, inverse, counts = torch.unique(u, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), [1.0, 2.0, 3.0, NAN, NAN])  # NaN apart
    assert inverse.tolist() == [2, 0, 3, 0, 4, 1] and counts.tolist() == [2, 1, 1, 1, 1]
    assert not values.requires_grad
    out, inv = torch.tensor(3).unique(return_inverse=True)
    assert out.shape == (1,) and inv.shape == ()
    rows, inv, counts = torch.tensor([[1, 2], [1, 2], [0, 5]]).unique(
        dim=0, return_inverse=True, return_counts=True)
    assert rows.tolist() == [[0, 5], [1, 2]] and inv.tolist() == [1, 1, 0]
    assert counts.tolist() == [1, 2]


def test_bincount() -> None:
    i = torch.tensor([1, 1, 4])
    assert i.bincount().tolist() == [0, 2, 0, 0, 1] and i.bincount().dtype == torch.int64
    w = torch.bincount(i, torch.tensor([0.5, 0.25, 1.0]))
    assert w.dtype == torch.float32 and w.tolist() == [0.0, 0.75, 0.0, 0.0, 1.0]
    assert torch.bincount(i, torch.tensor([1, 2, 3]), minlength=7).dtype == torch.float64
    assert torch.bincount(torch.tensor([], dtype=torch.int64), minlength=2).tolist() == [0, 0]
    for bad in (torch.tensor([-1, 2]), torch.tensor([[1, 2]])):
        with pytest.raises(RuntimeError, match=r"^bincount only supports 1-d non-negative "
                                               r"integral inputs.$"):
            bad.bincount()
    with pytest.raises(NotImplementedError, match="^\"bincount_cpu\" not implemented for "
                                                  "'Float'$"):
        torch.bincount(torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="^weights should be 1-d and have the same length "
                                           "as input$"):
        i.bincount(torch.ones(2))
    with pytest.raises(RuntimeError, match="^minlength should be >= 0$"):
        i.bincount(minlength=-1)


def test_addmm_family_values_and_beta_zero() -> None:
    a = np.arange(8.0).reshape(2, 4)
    b = np.arange(12.0).reshape(4, 3)
    c = torch.full((2, 3), NAN, dtype=torch.float64, requires_grad=True)
    out = torch.addmm(c, torch.tensor(a), torch.tensor(b), beta=0, alpha=2)
    np.testing.assert_array_equal(out.detach().numpy(), 2 * a @ b)  # NaN not read
    assert out.grad_fn.name() == "AddmmBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), np.zeros((2, 3)))
    v = torch.addmv(torch.ones(2), torch.tensor(a).float(), torch.ones(4), beta=0.5)
    np.testing.assert_array_equal(v.numpy(), 0.5 + a.sum(1))
    bb = torch.baddbmm(torch.ones(3), torch.ones(2, 2, 4), torch.ones(2, 4, 3), alpha=3)
    np.testing.assert_array_equal(bb.numpy(), np.full((2, 2, 3), 13.0))
    ints = torch.ones(2, 3, dtype=torch.int64).addmm(torch.ones(2, 4, dtype=torch.int64),
                                                     torch.ones(4, 3, dtype=torch.int64),
                                                     beta=3, alpha=2)
    assert ints.dtype == torch.int64 and ints.tolist() == [[11] * 3] * 2


@pytest.mark.parametrize(("call", "error", "text"), [
    (lambda: torch.addmm(torch.ones(5), torch.ones(2, 4), torch.ones(4, 3)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (5) at non-singleton "
     "dimension 1.  Target sizes: [2, 3].  Tensor sizes: [5]"),
    (lambda: torch.addmm(torch.ones(2, 3), torch.ones(2, 4), torch.ones(2, 4)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x4 and 2x4)"),
    (lambda: torch.addmm(torch.ones(2, 3), torch.ones(4), torch.ones(4, 3)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: torch.addmm(torch.ones(2, 3), torch.ones(2, 4), torch.ones(4, 3, 3)),
     RuntimeError, "mat2 must be a matrix, got 3-D tensor"),
    (lambda: torch.addmm(torch.ones(2, 3), torch.ones(2, 4).double(), torch.ones(4, 3)),
     RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: torch.addmm(torch.ones(2, 3).double(), torch.ones(2, 4), torch.ones(4, 3)),
     RuntimeError, "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: torch.addmv(torch.ones(2), torch.ones(2, 4), torch.ones(3)), RuntimeError,
     "size mismatch, got input (2), mat (2x4), vec (3)"),
    (lambda: torch.addmv(torch.ones(5), torch.ones(2, 4), torch.ones(4)), RuntimeError,
     "size mismatch, got input (5), mat (2x4), vec (4)"),
    (lambda: torch.addmv(torch.ones(2), torch.ones(4), torch.ones(4)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda: torch.addmv(torch.ones(2).double(), torch.ones(2, 4), torch.ones(4)),
     RuntimeError, "addmv input tensors must have the same dtype, but got Double, Float, "
                   "and Float"),
    (lambda: torch.baddbmm(torch.ones(2, 2, 3), torch.ones(2, 2, 4), torch.ones(3, 4, 3)),
     RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but "
                   "got: [3, 4]."),
    (lambda: torch.baddbmm(torch.ones(2, 2, 3).double(), torch.ones(2, 2, 4),
                           torch.ones(2, 4, 3)), RuntimeError,
     "Input dtypes must be the same, got: input double, batch1: float, batch2: float"),
    (lambda: torch.baddbmm(torch.ones(2, 2, 3), torch.ones(2, 4), torch.ones(2, 4, 3)),
     RuntimeError, "batch1 must be a 3D tensor"),
])
def test_addmm_family_errors(call, error, text) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == text


X = torch.zeros(3, 4)
IDX = torch.tensor([[0, 2], [1, 0]])
SRC = torch.arange(1.0, 9.0).reshape(2, 4)


def test_scatter_values_and_nodes() -> None:
    expected = [[1.0, 6.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]
    assert X.scatter(0, IDX, SRC).tolist() == expected
    assert torch.scatter_add(X, 0, IDX, SRC).tolist() == expected
    assert X.scatter(0, IDX.int(), SRC).tolist() == expected  # int32 indices too
    x = torch.zeros(3, 4, requires_grad=True)
    src = SRC[:, :2].clone().requires_grad_()  # (PyTorch's backward refuses a larger src)
    assert x.scatter(0, IDX, src).grad_fn.name() == "ScatterBackward0"
    assert x.scatter(1, IDX, 2.5).grad_fn.name() == "ScatterBackward1"
    assert x.scatter_add(0, IDX, src).grad_fn.name() == "ScatterAddBackward0"
    w = torch.arange(12.0).reshape(3, 4)
    (x.scatter(0, IDX, src) * w).sum().backward()
    overwritten = np.zeros((3, 4), bool)
    overwritten[[0, 1, 2, 0], [0, 0, 1, 1]] = True
    np.testing.assert_array_equal(x.grad.numpy(), np.where(overwritten, 0.0, w.numpy()))
    np.testing.assert_array_equal(src.grad.numpy(), [[0, 9], [4, 1]])  # w at the places
    assert torch.zeros(3, dtype=torch.int64).scatter(0, torch.tensor([1]), 2.7).tolist() == [
        0, 2, 0]
    dup = torch.zeros(2).scatter_add(0, torch.tensor([1, 1, 0]), torch.ones(3))
    assert dup.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("call", "text"), [
    (lambda: X.scatter(0, IDX.float(), SRC), "scatter(): Expected dtype int32/int64 for index"),
    (lambda: X.scatter(0, IDX[0], SRC),
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: X.scatter(0, torch.tensor([[3]]), SRC),
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda: X.scatter(0, torch.tensor([[-1]]), SRC),
     "index -1 is out of bounds for dimension 0 with size 3"),
    (lambda: X.scatter(1, torch.zeros(4, 1, dtype=torch.int64), SRC),
     "Expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1 and to be "
     "no larger size than src [2, 4]"),
    (lambda: X.scatter(0, torch.zeros(1, 5, dtype=torch.int64), SRC),
     "Expected index [1, 5] to be no larger than self [3, 4] apart from dimension 0 and to be "
     "no larger size than src [2, 4]"),
    (lambda: X.scatter(1, torch.zeros(4, 1, dtype=torch.int64), 1.0),
     "Expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1"),
    (lambda: X.scatter(0, IDX, SRC.double()),
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: X.scatter_add(0, torch.zeros(3, 1, dtype=torch.int64), SRC),
     "Expected index [3, 1] to be no larger than self [3, 4] apart from dimension 0 and to be "
     "no larger size than src [2, 4]"),
    (lambda: X.scatter_add(0, torch.tensor([[3]]), SRC),
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda: X.index_add(0, torch.tensor([0.0, 2.0]), SRC),
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: X.index_add(0, torch.tensor([0, 3]), SRC),
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda: X.index_add(0, torch.tensor([0, 1, 2]), SRC),
     "index_add_(): Number of indices (3) should be equal to source.size(dim): (2), for dim: 0"),
    (lambda: X.index_add(0, torch.tensor([0, 1]), torch.ones(2, 3)),
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got "
     "self.shape = [3, 4] source.shape = [2, 3]"),
    (lambda: X.index_add(0, torch.tensor([0, 1]), SRC.double()),
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: X.index_add(0, torch.tensor(1), torch.ones(4)),
     "index_add_(): Number of indices (1) should be equal to source.size(dim): (4), for dim: 0"),
])
def test_scatter_and_index_add_errors(call, text) -> None:
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == text


def test_index_add_values_alpha_and_vector_error() -> None:
    out = torch.zeros(3).index_add(0, torch.tensor([0, 0, 2]), torch.ones(3), alpha=2.5)
    assert out.tolist() == [5.0, 0.0, 2.5]
    x = torch.zeros(3, 4, requires_grad=True)
    source = torch.ones(3, 2, requires_grad=True)
    y = x.index_add(1, torch.tensor([3, 3]), source, alpha=2)
    assert y.grad_fn.name() == "IndexAddBackward0" and y.detach()[:, 3].tolist() == [4.0] * 3
    (y * torch.arange(4.0)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0, 3.0]] * 3
    assert source.grad.tolist() == [[6.0, 6.0]] * 3  # alpha times the gradient there
    assert torch.zeros(3, 4).index_add(0, torch.tensor(1), torch.ones(1, 4))[1].tolist() == [
        1.0] * 4
    with pytest.raises(IndexError, match=r"^index_add_\(\): Index is supposed to be a vector, "
                                         r"but got dim: 2 with type: Long and size: \[1, 2\]$"):
        X.index_add(0, torch.tensor([[0, 1]]), SRC)


def test_in_place_forms_use_the_in_place_machinery() -> None:
    leaf = torch.zeros(3, 4, requires_grad=True)
    for call in (lambda t: t.scatter_(0, IDX, SRC), lambda t: t.scatter_add_(0, IDX, SRC),
                 lambda t: t.index_add_(0, torch.tensor([0]), SRC[:1])):
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being "
                                               "used in an in-place operation.$"):
            call(leaf)
    src = SRC[:, :2].clone().requires_grad_()
    src4 = SRC.clone().requires_grad_()
    y = leaf * 1
    version = y._version
    assert y.scatter_(0, IDX, src) is y and y._version == version + 1
    assert y.grad_fn.name() == "ScatterBackward0"
    y.scatter_(1, IDX, 7.0)
    assert y.grad_fn.name() == "ScatterBackward1"
    y.scatter_add_(0, IDX, src).index_add_(0, torch.tensor([2, 2]), src4, alpha=0.5)
    assert y.grad_fn.name() == "IndexAddBackward0" and y._version == version + 4
    y.sum().backward()
    # zero where either scatter_ overwrote; the first scatter_'s values at the places the
    # second one kept, plus scatter_add_'s; alpha for index_add_'s
    assert leaf.grad.tolist() == [[0, 0, 0, 1], [0, 0, 1, 1], [1, 0, 1, 1]]
    assert src.grad.tolist() == [[1, 2], [1, 2]] and src4.grad.tolist() == [[0.5] * 4] * 2
    v = torch.zeros(3, 4)
    v[0].index_add_(0, torch.tensor([1, 1]), torch.ones(2))  # through a view: the base
    assert v[0].tolist() == [0.0, 2.0, 0.0, 0.0]


def test_against_pytorch() -> None:
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 4)).astype(np.float32)
    m[1, 2] = np.nan
    a = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    idx = np.array([[0, 2, 1, 1], [2, 0, 0, 2]])
    calls = [
        lambda L, x, p, q: x.median(), lambda L, x, p, q: x[[0, 2]].median(),
        lambda L, x, p, q: x.median(1, True), lambda L, x, p, q: x.median(0),
        lambda L, x, p, q: x.kthvalue(2, 1), lambda L, x, p, q: x.kthvalue(3, 0, True),
        lambda L, x, p, q: x.cummax(1), lambda L, x, p, q: x.cummin(0),
        lambda L, x, p, q: L.addmm(x, p, q, beta=0.5, alpha=-1.5),
        lambda L, x, p, q: L.addmv(x[0, :3], p, q[:, 0], alpha=2),
        lambda L, x, p, q: L.baddbmm(x, p.reshape(1, 3, 5), q.reshape(1, 5, 4), beta=0),
        lambda L, x, p, q: x.scatter(0, L.tensor(idx), q[:2]),
        lambda L, x, p, q: x.scatter(1, L.tensor(idx[:, :3]), 0.25),
        lambda L, x, p, q: L.scatter_add(x, 0, L.tensor(idx), q[1:3]),
        lambda L, x, p, q: x.index_add(1, L.tensor([3, 0, 3, 3, 1]), p, alpha=0.5),
        lambda L, x, p, q: (x * 1).index_add_(0, L.tensor([2, 2, 0, 1, 0]), q),
        lambda L, x, p, q: (x * 1).scatter_(1, L.tensor(idx), p[:2, :4]),
    ]
    for call in calls:
        results = []
        for lib in (real, torch):
            xs = [lib.tensor(v, requires_grad=True) for v in (m, a, b)]
            out = call(lib, *xs)
            values, extra = (out.values, [out.indices.numpy()]) if isinstance(out, tuple) \
                else (out, [])
            weight = lib.tensor(np.cos(np.arange(values.numel())).reshape(tuple(values.shape)),
                                dtype=values.dtype)
            grads = lib.autograd.grad((values * weight).sum(), xs, allow_unused=True)
            results.append([values.detach().numpy(), *extra] + [
                None if g is None else g.numpy() for g in grads])
            results[-1].append(type(values.grad_fn).__name__ if lib is real
                               else values.grad_fn.name())
        for ours, theirs in zip(results[1], results[0]):
            if isinstance(theirs, str) or theirs is None:
                assert ours == theirs or (theirs is None and not np.any(ours))
            else:
                np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_unique_and_bincount_against_pytorch() -> None:
    real = pytest.importorskip("torch")
    data = np.array([[3.0, 1.0, np.nan], [1.0, np.nan, 2.0]], dtype=np.float32)
    for lib in (real, torch):
        out = lib.unique(lib.tensor(data), return_inverse=True, return_counts=True)
        if lib is real:
            expected = [t.numpy() for t in out]
        else:
            for ours, theirs in zip(out, expected):
                np.testing.assert_array_equal(ours.numpy(), theirs)
                assert ours.dtype == theirs.dtype
    i = np.array([0, 3, 3, 1])
    for w in (None, np.array([0.1, 0.2, 0.3, 0.4], np.float32), np.arange(4)):
        args = [] if w is None else [w]
        theirs = real.bincount(real.tensor(i), *map(real.tensor, args), minlength=6).numpy()
        ours = torch.bincount(torch.tensor(i), *map(torch.tensor, args), minlength=6).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
