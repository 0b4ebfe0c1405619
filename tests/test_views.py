"""Views and in-place changes: the graph follows the memory, as PyTorch's does.

A view shares its base's memory. After an in-place change of the base, a view used later
must carry the new value *and* the gradient path through the change; an in-place change of a
view made by basic indexing is written into the base (PyTorch's CopySlices). Each scenario
runs on dualgrad and, where torch is installed, on PyTorch; values, gradients and node names
must agree. Expected gradients are also written out by hand for the first ones.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualgrad as dg


def _base_changed_after_view(lib: Any) -> tuple:
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    v = y[0]
    y.mul_(2)
    z = (v * 3).sum()
    z.backward()
    return z, x.grad


def _scalar_view_after_base_change(lib: Any) -> tuple:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    v = y[0]  # 0-d: still a view in PyTorch
    y.mul_(2)
    z = v * 3
    z.backward()
    return z, x.grad


def _augmented_assignment_on_a_column(lib: Any) -> tuple:
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    y[:, 1] += 1
    y[0] *= 3
    (y * y).sum().backward()
    return y, x.grad


def _inplace_on_a_slice(lib: Any) -> tuple:
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[1:]
    v.mul_(3)
    v.add_(x[1:])
    (y * x).sum().backward()
    return y, v, x.grad


def _views_of_views_and_siblings(lib: Any) -> tuple:
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * w
    row = y[0]
    tail = row[1:]
    other = y[1]
    transposed = y.t()
    tail.mul_(w[1:])  # view of a view: written through row, then through y
    other.sub_(1)
    z = (row * 2).sum() + (tail ** 2).sum() + (other * w).sum() + transposed[2].sum()
    z.backward()
    return z, x.grad, w.grad


def _chain_of_changes_on_one_view(lib: Any) -> tuple:
    x = lib.tensor([2.0, 3.0, 5.0], requires_grad=True)
    y = x * 1.5  # (exp would save y, and the changes below would then make backward raise)
    v = y[:2]
    for k in range(3):
        v.mul_(x[:2])
        y.add_(float(k))
    y.sum().backward()
    return y, x.grad


def _inplace_on_other_views(lib: Any) -> tuple:
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x * 2
    y.t().mul_(x.t())  # transpose
    y.reshape(6)[::2].add_(1)  # a slice of a reshape
    y.unsqueeze(0).squeeze(0)[1].sub_(y[0].detach())  # squeeze of an unsqueeze, then select
    col = y.t()[2]
    y.mul_(1.5)
    (y ** 2).sum().backward()
    return y, col, x.grad


def _operand_with_a_graph_into_a_view_of_a_constant(lib: Any) -> tuple:
    # The view has no node (its base needs no gradient): the write still goes through the
    # base (CopySlices), which then carries x's gradient, as in PyTorch.
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = lib.zeros(2, 4)
    out[0, 1:].copy_(x * 2)
    col = out[:, 2]
    col.mul_(x[1:])
    (out * out).sum().backward()
    return out, col, x.grad


SCENARIOS: dict[str, Callable[[Any], tuple]] = {
    "operand with a graph into a view of a constant":
        _operand_with_a_graph_into_a_view_of_a_constant,
    "other views": _inplace_on_other_views,
    "base changed after view": _base_changed_after_view,
    "0-d view after base change": _scalar_view_after_base_change,
    "augmented assignment": _augmented_assignment_on_a_column,
    "in-place on a slice": _inplace_on_a_slice,
    "views of views and siblings": _views_of_views_and_siblings,
    "chain of changes on one view": _chain_of_changes_on_one_view,
}


def _as_numpy(value: Any) -> np.ndarray:
    return np.asarray(value.detach().numpy(), dtype=np.float64)


def test_a_view_sees_and_differentiates_an_earlier_change_of_its_base() -> None:
    z, grad = _base_changed_after_view(dg)
    assert z.item() == 18.0  # 3 * (2*1 + 2*2)
    np.testing.assert_array_equal(grad.numpy(), [[6.0, 6.0], [0.0, 0.0]])
    z, grad = _scalar_view_after_base_change(dg)
    assert z.item() == 6.0
    np.testing.assert_array_equal(grad.numpy(), [6.0, 0.0])


def test_augmented_assignment_on_an_indexed_non_leaf() -> None:
    y, grad = _augmented_assignment_on_a_column(dg)
    # y = [[(2*1)*3, (2*2+1)*3], [2*3, 2*4+1]]; d(sum y^2)/dx = 2*y * dy/dx
    np.testing.assert_array_equal(y.detach().numpy(), [[6.0, 15.0], [6.0, 9.0]])
    np.testing.assert_array_equal(grad.numpy(), [[2 * 6 * 6, 2 * 15 * 6], [2 * 6 * 2, 2 * 9 * 2]])
    assert y.grad_fn.name() == "CopySlices"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_views_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    ours = SCENARIOS[name](dg)
    theirs = SCENARIOS[name](torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_as_numpy(a), _as_numpy(b), rtol=1e-6)


def test_node_names_follow_pytorch() -> None:
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    v, t = y[0], y.t()
    assert v.grad_fn.name() == "SelectBackward0"
    y.mul_(2)
    assert v.grad_fn.name() == "AsStridedBackward0" and t.grad_fn.name() == "AsStridedBackward0"
    assert v[1:].grad_fn.name() == "SliceBackward0"
    r = (x * 1)[0]
    r.mul_(2)
    assert r.grad_fn.name() == "AsStridedBackward0" and r._base.grad_fn.name() == "CopySlices"


def test_views_of_a_leaf_that_requires_grad_still_refuse() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation.$"):
        x[0].mul_(2)
    with dg.no_grad():  # what optimizers do
        x[0].mul_(2)
    assert x.tolist() == [2.0, 2.0]


def test_under_no_grad_an_inplace_change_of_a_view_records_nothing() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    with dg.no_grad():
        y[0].mul_(5)
    assert y.tolist() == [5.0, 2.0] and y.grad_fn.name() == "MulBackward0"


def test_inplace_on_a_view_inside_a_tape() -> None:
    x = dg.constant([1.0, 2.0, 3.0])
    with dg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        y[1:] *= 2.0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 8.0, 12.0])


def test_copies_are_not_tracked_as_views() -> None:
    # reshape of a non-contiguous tensor copies: the copy keeps its own value and graph.
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    flat = y.t().reshape(4)
    y.mul_(10)
    assert flat.tolist() == [1.0, 3.0, 2.0, 4.0]
    flat.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 2)))


def test_short_lived_views_do_not_accumulate() -> None:
    x = dg.tensor(np.arange(6.0), requires_grad=True)
    y = x * 1
    for i in range(1000):
        _ = y[i % 6] * 2
    gc.collect()
    assert len(y._views) <= 8  # dead views are dropped as new ones come
    alive = [y[i % 6] for i in range(20)]
    y.add_(1)
    assert all(v.grad_fn.name() == "AsStridedBackward0" for v in alive)
    assert len(y._views) == 20


def test_a_view_of_a_constant_follows_it_into_the_graph() -> None:
    # PyTorch: c.add_(w) makes c part of the graph, and v, a view of c taken before, too.
    c = dg.tensor([1.0, 2.0])
    w = dg.tensor([3.0, 4.0], requires_grad=True)
    v = c[0]
    c.add_(w)
    assert v.requires_grad and v.grad_fn.name() == "AsStridedBackward0"
    (v * 2).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 0.0])


def test_a_view_made_under_no_grad_refuses_to_carry_a_changed_base_gradient() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    with dg.no_grad():
        u = y[0]
    y.mul_(2)
    assert u.item() == 2.0
    with pytest.raises(RuntimeError, match="^A view was created in no_grad mode and its base or "
                                           "another view of its base has been modified inplace "
                                           "with grad mode enabled"):
        (u * 2).backward()


_NO_GRAD_VIEW_TAIL = (
    " created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
    "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
    "moving both the view and the inplace either both inside the no_grad block (if you don't "
    "want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")


def _no_grad_view_of(base_requires_grad: bool, leaf: bool = False) -> Any:
    x = dg.ones(2, 2, requires_grad=base_requires_grad)
    base = x if leaf else x * 1
    with dg.no_grad():
        return base[0:2]


# (what is done to a view made under no_grad, with grad mode on; PyTorch 2.13's error:
# "A view was" or "Output 0 of <op> is a view of a view which was", then the tail)
_NO_GRAD_VIEW_CASES = [
    ("mul_", lambda v: v.mul_(2), "A view was"),
    ("zero_", lambda v: v.zero_(), "A view was"),
    ("+=", lambda v: v.__iadd__(1), "A view was"),
    ("view of a leaf", None, "A view was"),
    ("a grad operand", None, "A view was"),
    ("setitem int", lambda v: v.__setitem__(0, 5.0),
     "Output 0 of Select is a view of a view which was"),
    ("setitem slice", lambda v: v.__setitem__(slice(0, 1), 5.0),
     "Output 0 of Slice is a view of a view which was"),
    ("setitem None", lambda v: v.__setitem__(None, 5.0),
     "Output 0 of Unsqueeze is a view of a view which was"),
    ("setitem ...", lambda v: v.__setitem__(Ellipsis, 5.0), "A view was"),
    ("setitem mask", lambda v: v.__setitem__(dg.tensor([True, False]), 5.0), "A view was"),
    ("view of it", lambda v: v.view(4).mul_(2), "Output 0 of View is a view of a view which was"),
    ("t of it", lambda v: v.t().add_(1), "Output 0 of T is a view of a view which was"),
]


@pytest.mark.parametrize("name, change, subject", _NO_GRAD_VIEW_CASES,
                         ids=[c[0] for c in _NO_GRAD_VIEW_CASES])
def test_an_inplace_change_of_a_view_made_under_no_grad_is_refused(name: str, change: Any,
                                                                   subject: str) -> None:
    # Before, the change reached the base's memory but not its graph: a silently wrong
    # gradient for whatever read the base afterwards.
    if name == "view of a leaf":
        v = _no_grad_view_of(True, leaf=True)
        change = lambda v: v.mul_(2)  # noqa: E731
    elif name == "a grad operand":
        v = _no_grad_view_of(False)
        change = lambda v: v.mul_(dg.ones(2, requires_grad=True))  # noqa: E731
    else:
        v = _no_grad_view_of(True)
    before = v.detach().numpy().copy()
    with pytest.raises(RuntimeError) as info:
        change(v)
    assert str(info.value) == subject + _NO_GRAD_VIEW_TAIL
    np.testing.assert_array_equal(v.detach().numpy(), before)  # refused before writing


def test_views_made_under_no_grad_change_in_place_where_pytorch_allows_it() -> None:
    v = _no_grad_view_of(False)  # no grad anywhere: nothing to track
    v.mul_(3)
    v[0] = 2.0
    assert v.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    v = _no_grad_view_of(True)
    with dg.no_grad():  # both inside no_grad: allowed, and not tracked
        v.mul_(2)
    x = dg.ones(2, requires_grad=True)
    y = x * 1
    with dg.no_grad():
        d = y.detach()[0]  # detach() is no view of y's graph
    d.mul_(2)
    assert y.tolist() == [2.0, 1.0]


def test_refusing_views_made_under_no_grad_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for name, change, subject in _NO_GRAD_VIEW_CASES:
        if change is None:
            continue
        x = torch.ones(2, 2, requires_grad=True)
        y = x * 1
        with torch.no_grad():
            v = y[0:2]
        if name == "setitem mask":
            key = torch.tensor([True, False])
            change = lambda v, key=key: v.__setitem__(key, 5.0)  # noqa: E731
        with pytest.raises(RuntimeError) as info:
            change(v)
        assert str(info.value) == subject + _NO_GRAD_VIEW_TAIL, name


def test_a_view_of_a_constant_written_with_a_graph_records_on_the_base() -> None:
    out, col, grad = _operand_with_a_graph_into_a_view_of_a_constant(dg)
    # out[0] = [0, 2 x0, 2 x1 * x1, 2 x2] = [0, 2, 8, 6], out[1, 2] = 0 * x2;
    # d(sum out^2)/dx = (2*2 * 2, 2*8 * 4 x1, 2*6 * 2)
    np.testing.assert_array_equal(out.detach().numpy(), [[0, 2, 8, 6], [0, 0, 0, 0]])
    assert out.grad_fn.name() == "CopySlices" and col.grad_fn.name() == "AsStridedBackward0"
    np.testing.assert_array_equal(grad.numpy(), [8.0, 128.0, 24.0])


def test_an_empty_tensor_takes_in_place_changes() -> None:
    # (its zero strides are no overlap: it has no elements)
    out = dg.zeros(2, 0)
    out.add_(dg.ones(2, 0, requires_grad=True))
    assert out.grad_fn is not None and tuple(out.shape) == (2, 0)


def test_expanded_tensors_refuse_in_place_ops() -> None:
    b = (dg.ones(3, requires_grad=True) * 1).expand(2, 3)
    with pytest.raises(RuntimeError, match="^unsupported operation: more than one element of "
                                           "the written-to tensor refers to a single memory "
                                           "location"):
        b.mul_(2)


def _random_view_program(lib: Any, seed: int) -> tuple:
    """Random views, in-place changes (of bases and of views) and reads of a non-leaf; the
    loss sums everything. Returns ("error", text) or ("ok", loss, grads)."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.uniform(0.5, 1.5, (3, 4)).tolist(), requires_grad=True)
    w = lib.tensor(rng.uniform(0.5, 1.5, (4,)).tolist(), requires_grad=True)
    pool = [x * w]
    reads = []
    try:
        for _ in range(12):
            t = pool[rng.integers(len(pool))]
            kind = rng.integers(9)
            if kind == 0 and t.dim() >= 1:
                pool.append(t[int(rng.integers(t.shape[0]))])
            elif kind == 1 and t.dim() == 2:
                pool.append(t.t())
            elif kind == 2 and t.dim() >= 1 and t.shape[0] > 1:
                pool.append(t[1:])
            elif kind == 3:
                pool.append(t.unsqueeze(0))
            elif kind == 4:
                t.mul_(float(rng.uniform(0.5, 2.0)))
            elif kind == 5:
                t.add_(float(rng.uniform(-1.0, 1.0)))
            elif kind == 6:
                reads.append((t * t).sum())
            elif kind == 7:
                other = pool[rng.integers(len(pool))]
                if tuple(other.shape) == tuple(t.shape):
                    t.add_(other * 0.5)
            elif kind == 8 and t.dim() >= 1:
                i = int(rng.integers(t.shape[0]))
                t[i] = t[i] * 2.0
        loss = sum((p * 1.1).sum() for p in pool)
        for r in reads:
            loss = loss + r
        loss.backward()
    except RuntimeError as err:
        return ("error", str(err).split(":")[0])
    return ("ok", loss.item(), _as_numpy(x.grad), _as_numpy(w.grad))


@pytest.mark.parametrize("seed", range(30))
def test_random_view_programs_match_pytorch(seed: int) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _random_view_program(dg, seed), _random_view_program(torch, seed)
    assert ours[0] == theirs[0], (ours, theirs)  # both fail (same first words) or both run
    if ours[0] == "error":
        assert ours[1] == theirs[1]
        return
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5)
    for a, b in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_contiguous_copies_a_non_contiguous_tensor_as_pytorch_does() -> None:
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    assert y.is_contiguous() and y.contiguous() is y
    t = y.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.grad_fn.name() == "CloneBackward0"
    c.mul_(10)  # a copy: y does not change
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 10.0))
