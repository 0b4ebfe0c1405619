"""NumPy and Python interop of tensors as PyTorch has it: ``np.array`` copies, ``in``,
``bool``, ``copy``/``deepcopy``/``pickle``, strides, ``_version``, and the dtypes of
``tensor`` of NumPy scalars. The expected values are PyTorch 2.13's, written out."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import dualgrad.torch as torch


def test_np_array_copies_and_asarray_shares() -> None:
    t = torch.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 9.0
    b = np.array(t, copy=True)
    b[1] = 9.0
    assert t.tolist() == [1.0, 2.0]
    c = np.asarray(t)
    c[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    assert np.array(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        np.array(t, dtype=np.int64, copy=False)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        np.array(torch.tensor([1.0], requires_grad=True))


def test_from_numpy_shares_memory_and_version() -> None:
    a = np.array([1.0, 2.0])
    t = torch.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0] and t._version == 0
    t.add_(1)
    assert a.tolist() == [6.0, 3.0] and t._version == 1
    t[0].mul_(2)  # a view's change counts for its base too
    assert t._version == 2
    with pytest.raises(TypeError, match=r"^expected np.ndarray \(got numpy.float64\)$"):
        torch.from_numpy(np.float64(2.0))
    with pytest.raises(TypeError, match=r"^expected np.ndarray \(got list\)$"):
        torch.from_numpy([1, 2])


def test_as_tensor_of_a_tensor_with_a_dtype_is_recorded() -> None:
    x = torch.ones(2, requires_grad=True)
    assert torch.as_tensor(x) is x
    y = torch.as_tensor(x, dtype=torch.float64)
    assert y.dtype == torch.float64 and y.grad_fn.name() == "ToCopyBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and x.grad.dtype == torch.float32
    z = torch.as_tensor(x, dtype=torch.int64)
    assert z.tolist() == [1, 1] and not z.requires_grad


def test_bool_texts() -> None:
    assert bool(torch.tensor([[0.5]])) is True and bool(torch.tensor(0.0)) is False
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value "
                                           "is ambiguous$"):
        bool(torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is "
                                           "ambiguous$"):
        bool(torch.tensor([]))


def test_contains() -> None:
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert 2.0 in t and 3 in t and np.float64(4.0) in t and 5 not in t
    assert torch.tensor([1.0, 2.0]) in t  # broadcast against the rows
    assert torch.tensor([2.0, 1.0]) not in t
    assert 1.0 not in torch.tensor([])
    for bad, name in (([1, 2], "list"), (None, "NoneType"), (np.array([1.0]), "numpy.ndarray")):
        with pytest.raises(RuntimeError, match=rf"^Tensor.__contains__ only supports Tensor or "
                                               rf"scalar, but you passed in a <class '{name}'>."):
            bad in t  # noqa: B015


def test_stride_element_size_ndimension_type_as() -> None:
    x = torch.ones(2, 3)
    assert x.stride() == (3, 1) and x.stride(1) == 1 and x.stride(-2) == 3
    assert x.t().stride() == (1, 3) and x[:, 1].stride() == (3,)
    assert torch.ones(5)[::2].stride() == (2,) and torch.ones(()).stride() == ()
    assert x.expand(4, 2, 3).stride() == (0, 3, 1)
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)$"):
        x.stride(2)
    assert x.element_size() == 4 and torch.tensor(True).element_size() == 1
    assert torch.ones(1, dtype=torch.float64).element_size() == 8
    assert x.ndimension() == 2
    y = torch.ones(2, requires_grad=True).type_as(torch.ones(1, dtype=torch.float64))
    assert y.dtype == torch.float64 and y.grad_fn.name() == "ToCopyBackward0"
    assert torch.ones(2).type_as(torch.ones(1, dtype=torch.int32)).dtype == torch.int32
    with pytest.raises(TypeError, match=r"^type_as\(\): argument 'other' \(position 1\) must "
                                        r"be Tensor, not int$"):
        torch.ones(2).type_as(3)


def test_deepcopy_of_leaves_and_non_leaves() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    c = copy.deepcopy(x)
    assert c is not x and c.requires_grad and c.is_leaf and c.grad.tolist() == [2.0, 4.0]
    c.data.add_(1)
    assert x.tolist() == [1.0, 2.0]
    pair = copy.deepcopy([x, x])
    assert pair[0] is pair[1]
    for non_leaf in (x * 2, x[0]):
        with pytest.raises(RuntimeError, match=r"^Only Tensors created explicitly by the user "
                                               r"\(graph leaves\) support the deepcopy protocol"):
            copy.deepcopy(non_leaf)
    # a view that does not require grad is a leaf: copied alone, as in PyTorch
    t = torch.tensor([1.0, 2.0])
    v = copy.deepcopy(t[1])
    assert v.tolist() == 2.0 and getattr(v, "_base", None) is None
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    q = copy.deepcopy(p)
    assert type(q) is torch.nn.Parameter and q.requires_grad and q.grad is None


def test_pickle_and_copy() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for t, grad in ((x, True), (x * 2, True), (torch.tensor([1, 2]), False),
                    (torch.arange(6.0)[::2], False)):
        u = pickle.loads(pickle.dumps(t))
        assert u.is_leaf and u.grad_fn is None and u.requires_grad is grad
        assert u.dtype == t.dtype and u.tolist() == t.tolist()
    p = pickle.loads(pickle.dumps(torch.nn.Parameter(torch.ones(2))))
    assert type(p) is torch.nn.Parameter and p.requires_grad
    # copy.copy goes through __reduce_ex__ as in PyTorch: the same memory, a leaf
    t = torch.tensor([1.0, 2.0])
    copy.copy(t).add_(1)
    assert t.tolist() == [2.0, 3.0]
    s = copy.copy(x * 2)
    assert s.is_leaf and s.requires_grad


@pytest.mark.parametrize(("data", "dtype"), [
    ([np.float64(1.5), np.float64(2.0)], "float64"),
    ([np.float64(1.5), 2.0], "float64"),
    ([[np.float64(1.0)], [np.float64(2.0)]], "float64"),
    ([np.float32(1.5), 2.0], "float32"),
    ([np.float16(1.5)], "float16"),
    ([np.int32(1), np.int32(2)], "int32"),
    ([np.int32(1), True], "int32"),
    ([np.int32(1), 2], "int64"),
    ([np.int32(1), 2.5], "float32"),
    ([np.uint8(1)], "uint8"),
    ([np.uint8(1), np.int8(2)], "int16"),
    ([np.array([1.5]), np.array([2.0])], "float64"),
    ([np.float64(1.5), torch.tensor(1.0)], "float64"),
    ([1.0, 2.0], "float32"),
    ([1, 2], "int64"),
    ([1, 2.5], "float32"),
    ([1, 2.5j], "complex64"),
    ([np.complex128(1j)], "complex128"),
    ([np.float64(1.5)], "float64"),
])
def test_tensor_of_numpy_scalars_keeps_their_dtype(data, dtype) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = torch.tensor(data)
    assert str(t.dtype) == f"torch.{dtype}"
    assert torch.as_tensor(data).dtype == t.dtype
    if not t.is_complex():
        assert torch.tensor(data, dtype=torch.float32).dtype == torch.float32


def test_tensor_of_numpy_scalars_against_torch() -> None:
    real = pytest.importorskip("torch")
    for data in ([np.float64(1.5), 2.0], [np.int32(1), True], [np.uint8(1), np.int8(2)],
                 [np.int32(1), 2.5], [[np.float64(1.0)], [np.float64(2.0)]]):
        assert str(torch.tensor(data).dtype) == str(real.tensor(data).dtype)
