"""The smaller PyTorch functions and methods tutorials use (rounding, predicates, sort/topk,
triangles, narrow/index_select, bmm, hstack/vstack, meshgrid, new_*, randperm), compared
with PyTorch: values, dtypes, gradients and node names. Finite-difference checks of the
registered ones are in ``tests/test_gradcheck_ops.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dtorch

DATA = [[3.0, -1.5, 2.5, 0.5], [0.0, 5.0, -4.25, 1.0], [-0.5, 2.0, 7.0, -3.0]]


def _x(L: Any) -> Any:
    return L.tensor(DATA, dtype=L.float64, requires_grad=True)


CASES: dict[str, Callable[[Any, Any], Any]] = {
    "floor": lambda L, x: x.floor(),
    "ceil": lambda L, x: L.ceil(x),
    "round": lambda L, x: x.round(),
    "round(decimals=1)": lambda L, x: (x / 3).round(decimals=1),
    "trunc": lambda L, x: L.trunc(x),
    "isinf": lambda L, x: (x / 0).isinf(),
    "isfinite": lambda L, x: L.isfinite(x / 0),
    "any": lambda L, x: (x > 6).any(),
    "any(1)": lambda L, x: (x > 4).any(1),
    "all(0, keepdim)": lambda L, x: (x > -4).all(0, keepdim=True),
    "tril": lambda L, x: x.tril(),
    "triu(1)": lambda L, x: L.triu(x, 1),
    "tril(-1) batched": lambda L, x: x.reshape(2, 2, 3).tril(-1),
    "sort": lambda L, x: x.sort().values,
    "sort indices": lambda L, x: x.sort(0).indices,
    "sort descending": lambda L, x: L.sort(x, 1, descending=True).values,
    "argsort": lambda L, x: x.argsort(),
    "argsort descending": lambda L, x: x.argsort(0, descending=True),
    "argsort bool descending": lambda L, x: L.tensor([True, False, True]).argsort(
        descending=True),
    "argsort uint8 descending": lambda L, x: L.tensor([3, 1, 3], dtype=L.uint8).argsort(
        descending=True),
    "argsort with NaN descending": lambda L, x: L.tensor([1.0, float("nan"), 2.0, 1.0]).argsort(
        descending=True),
    "topk": lambda L, x: x.topk(2).values,
    "topk indices": lambda L, x: x.topk(2, dim=0).indices,
    "topk smallest": lambda L, x: L.topk(x, 3, largest=False).values,
    "nonzero": lambda L, x: (x > 1).nonzero(),
    "nonzero of a 0-d tensor": lambda L, x: L.tensor(5.0).nonzero(),
    "nonzero of a 0-d zero": lambda L, x: L.tensor(0.0).nonzero(),
    "narrow": lambda L, x: x.narrow(1, 1, 2),
    "narrow negative start": lambda L, x: L.narrow(x, 0, -2, 2),
    "index_select": lambda L, x: x.index_select(1, L.tensor([3, 0, 3])) * 1,
    "bmm": lambda L, x: L.bmm(x.reshape(2, 3, 2), x.reshape(2, 2, 3)),
    "hstack": lambda L, x: L.hstack([x, x[:, :1]]),
    "hstack 1-D": lambda L, x: L.hstack([x[0], x[1]]),
    "vstack": lambda L, x: L.vstack([x[0], x[1:]]),
    "meshgrid ij": lambda L, x: L.meshgrid(x[0], x[1, :3], indexing="ij")[1] * 2,
    "meshgrid xy": lambda L, x: L.meshgrid(x[0], x[1, :3], indexing="xy")[0] * 2,
    "new_zeros": lambda L, x: x.new_zeros(2, 3),
    "new_ones": lambda L, x: x.new_ones((2,)),
    "new_full": lambda L, x: x.new_full((2,), 7),
    "new_tensor": lambda L, x: x.new_tensor([1, 2]),
    "is_floating_point": lambda L, x: L.tensor([x.is_floating_point(),
                                                L.is_floating_point(L.tensor([1]))]),
}


def _run(L: Any, name: str) -> dict:
    x = _x(L)
    out = CASES[name](L, x)
    result = {"value": out.detach().numpy().copy(), "dtype": str(out.dtype),
              "node": None if out.grad_fn is None else type(out.grad_fn).__name__
              if L is not dtorch else out.grad_fn.name()}
    if out.requires_grad:
        seed = np.random.default_rng(1).standard_normal(tuple(out.shape))
        out.backward(L.tensor(seed, dtype=out.dtype))
        result["grad"] = x.grad.numpy()
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    theirs, ours = _run(torch, name), _run(dtorch, name)
    assert ours["dtype"] == theirs["dtype"]
    np.testing.assert_array_equal(ours["value"], theirs["value"])
    assert ours["node"] == theirs["node"]
    if "grad" in theirs:
        np.testing.assert_allclose(ours["grad"], theirs["grad"], rtol=1e-12, atol=1e-12)


def test_rounding_has_a_zero_gradient_and_keeps_integers() -> None:
    x = dg.tensor([0.5, 1.5, 2.5, -0.5], requires_grad=True)
    np.testing.assert_array_equal(x.round().detach().numpy(), [0.0, 2.0, 2.0, -0.0])
    (x.floor() + x.ceil() + x.trunc() + x.round()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0] * 4)
    ints = dg.tensor([1, -2])
    assert ints.floor().dtype == dg.int64 and ints.round().tolist() == [1, -2]


def test_sort_and_topk_gradients_go_to_the_picked_elements() -> None:
    x = dg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    x.topk(2).values.backward(dg.tensor([10.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 0.0, 1.0])
    assert x.sort().indices.tolist() == [1, 2, 0]


def test_errors() -> None:
    x = dg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"^start \(1\) \+ length \(3\) exceeds dimension "
                                           r"size \(3\)\.$"):
        x.narrow(1, 1, 3)
    with pytest.raises(RuntimeError, match="^selected index k out of range$"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="^batch1 must be a 3D tensor$"):
        dg.bmm(x, x)
    with pytest.raises(RuntimeError, match="^tril: input tensor must have at least 2 "
                                           "dimensions$"):
        dg.ones(3).tril()


def test_randperm_and_default_dtype() -> None:
    dg.manual_seed(3)
    p = dg.randperm(10)
    assert p.dtype == dg.int64 and sorted(p.tolist()) == list(range(10))
    dg.manual_seed(3)
    assert dg.randperm(10).tolist() == p.tolist()
    assert repr(dtorch.get_default_dtype()) == "torch.float32"
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative "
                                           r"dimension -1: \[-1\]$"):
        dg.randperm(-1)
