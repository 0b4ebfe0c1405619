"""PyTorch fidelity of the front end: ``Tensor(...)`` dtypes, ``max(dim)`` result printing,
``dg.linalg`` / ``torch.linalg``, and the newer Tensor methods (``gather``, ``masked_fill``,
``cumprod``, ``neg``, in-place variants) with their errors.

Gradients and grad_fn names of these calls are compared with PyTorch in
``tests/test_ops_vs_torch.py``; the registered ops are checked against finite differences in
``tests/test_gradcheck_ops.py``. The checks here that need PyTorch skip without it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dtorch


def _torch() -> Any:
    return pytest.importorskip("torch")


# --- the Tensor class constructor ---------------------------------------------------------

@pytest.mark.parametrize("data", [[1, 2], [1.5, -2.0], [[1, 2], [3, 4]], [True, False], (2, 3),
                                  []])
def test_class_constructor_gives_the_default_float_dtype(data: Any) -> None:
    t = dg.Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))


def test_class_constructor_matches_torch() -> None:
    torch = _torch()
    for data in ([1, 2], [[1, 0], [2, 5]], [True], (4,)):
        ours, theirs = dg.Tensor(data), torch.Tensor(data)
        assert str(ours.dtype) == str(theirs.dtype)
        assert repr(ours) == repr(theirs)
    assert repr(dg.Tensor([1, 2])) == "tensor([1., 2.])"


def test_class_constructor_with_sizes_makes_a_float_tensor_of_that_shape() -> None:
    assert dg.Tensor(2, 3).shape == (2, 3) and dg.Tensor(2, 3).dtype == np.float32
    assert dg.Tensor(3).shape == (3,)
    assert dg.Tensor(dg.Size([2, 1])).shape == (2, 1)
    assert dg.Tensor().shape == (0,)
    with pytest.raises(TypeError, match=r"failed to unpack the object at pos 2 with error "
                                        r"\"type must be tuple of ints,but got str\""):
        dg.Tensor(2, "a")


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32, np.bool_])
def test_class_constructor_makes_a_numpy_array_float32(dtype: type) -> None:
    array = np.array([1, 0, 2], dtype=dtype)
    t = dg.Tensor(array)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), array.astype(np.float32))
    array[0] = 5  # a float32 array is shared (as torch.Tensor shares it), others copied
    assert (t.numpy()[0] == 5) == (dtype == np.float32)


def test_class_constructor_on_arrays_matches_torch() -> None:
    torch = _torch()
    for array in (np.array([1, 2]), np.array([1.5, 2.0]), np.zeros((2, 2), np.float32)):
        ours, theirs = dg.Tensor(array), torch.Tensor(array)
        assert str(ours.dtype) == str(theirs.dtype)
        assert repr(ours) == repr(theirs)


def test_class_constructor_shares_a_tensor_and_keeps_keywords() -> None:
    ints = dg.tensor([1, 2])
    assert dg.Tensor(ints).dtype == np.int64
    assert dg.Tensor([1, 2], dtype=dg.float64).dtype == np.float64
    assert dg.Tensor([1.0], requires_grad=True).requires_grad


def test_internal_conversions_keep_the_array_dtype() -> None:
    # Arrays met by operators and functions are typed like dg.tensor, not like Tensor(...).
    assert (dg.tensor([1, 2]) * np.array([3, 4])).dtype == np.int64
    x = dg.tensor([1.0, 2.0], dtype=dg.float64)
    assert (x + np.array([0.1, 0.2])).dtype == np.float64
    assert dg.where(dg.tensor([True, False]), [1, 2], 0).dtype == np.int64


# --- return types --------------------------------------------------------------------------

def test_max_min_with_dim_are_named_tuples_of_their_own() -> None:
    x = dg.tensor([[1.0, 5.0], [4.0, 2.0]])
    r = x.max(1)
    assert type(r).__name__ == "max" and type(x.min(1)).__name__ == "min"
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is values
    np.testing.assert_array_equal(r.indices.numpy(), [1, 0])


def test_max_min_results_print_like_torch() -> None:
    torch = _torch()
    data = np.array([[1.0, 5.0, -2.5], [4.0, 2.0, 7.25]], dtype=np.float32)
    for call in (lambda t: t.max(1), lambda t: t.min(0, keepdim=True), lambda t: t.max(-1)):
        assert repr(call(dg.tensor(data))) == repr(call(torch.tensor(data)))
    x, xt = dg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    assert repr(x.max(1)) == repr(xt.max(1))
    assert str(x.min(1)) == str(xt.min(1))


# --- dg.linalg -----------------------------------------------------------------------------

def test_linalg_namespace_is_torch_linalg() -> None:
    assert dtorch.linalg is dg.linalg
    for name in ("inv", "det", "solve", "norm", "vector_norm", "matrix_norm"):
        assert callable(getattr(dg.linalg, name)) and getattr(dg.linalg, name).__doc__


def test_linalg_norm_values_and_errors() -> None:
    a = dg.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert dg.linalg.norm(a).item() == pytest.approx(np.sqrt(30.0))
    assert dg.linalg.matrix_norm(a, 1).item() == 6.0
    assert dg.linalg.matrix_norm(a, float("inf")).item() == 7.0
    assert dg.linalg.matrix_norm(a, -1).item() == 4.0
    with pytest.raises(NotImplementedError, match="ord=2 needs a singular value"):
        dg.linalg.matrix_norm(a, 2)
    with pytest.raises(RuntimeError, match="must be 1D or 2D. Got 3D"):
        dg.linalg.norm(dg.ones(2, 2, 2), 1)


def test_linalg_gradients_are_checked_twice() -> None:
    from dualgrad.testing import check_second_order, check_vjp

    rng = np.random.default_rng(0)
    a = 2 * np.eye(3) + rng.uniform(-0.5, 0.5, (3, 3))
    for fn in (dg.linalg.inv, dg.linalg.det, lambda m: dg.linalg.matrix_norm(m, 1),
               lambda m: dg.linalg.norm(m), lambda m: dg.linalg.solve(m, m[:, 0] * 1)):
        check_vjp(fn, [a])
        check_second_order(fn, [a])


# --- methods and their errors ----------------------------------------------------------------

def test_gather_and_masked_fill_errors_are_torchs() -> None:
    x = dg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^gather\(\): Expected dtype int32/int64 for index$"):
        x.gather(0, dg.tensor([0.0]))
    with pytest.raises(RuntimeError, match="^Index tensor must have the same number of "
                                           "dimensions as input tensor$"):
        x.gather(0, dg.tensor([[0]]))
    with pytest.raises(RuntimeError, match="^masked_fill_ only supports boolean masks, but got "
                                           "mask with dtype long$"):
        x.masked_fill(dg.tensor([1, 0]), 0.0)
    with pytest.raises(RuntimeError, match=r"^masked_fill_ only supports a 0-dimensional value "
                                           r"tensor, but got tensor with 1 dimension\(s\).$"):
        x.masked_fill(dg.tensor([True, False]), dg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="^fill_ only supports 0-dimension value tensor but "
                                           "got tensor with 1 dimensions.$"):
        (x * 1).fill_(dg.tensor([1.0, 2.0]))


def test_module_functions_match_the_methods() -> None:
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]])
    idx = dg.tensor([[1, 1], [0, 1]])
    np.testing.assert_array_equal(dg.gather(x, 1, idx).numpy(), [[2.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(dtorch.cumprod(x, 0).numpy(), [[1.0, 2.0], [3.0, 8.0]])
    np.testing.assert_array_equal(dg.masked_fill(x, x > 2, -1.0).numpy(),
                                  [[1.0, 2.0], [-1.0, -1.0]])
    np.testing.assert_array_equal(x.neg().numpy(), -x.numpy())


@pytest.mark.parametrize(("name", "reference"), [
    ("abs_", np.abs), ("sqrt_", np.sqrt), ("tanh_", np.tanh), ("relu_", lambda a: np.maximum(a, 0)),
    ("sigmoid_", lambda a: 1 / (1 + np.exp(-a))),
])
def test_inplace_variants_write_into_the_tensor(name: str, reference: Any) -> None:
    data = np.array([0.25, -1.5, 2.0]) if name != "sqrt_" else np.array([0.25, 1.5, 2.0])
    x = dg.tensor(data, requires_grad=True)
    y = x * 1
    out = getattr(y, name)()
    assert out is y
    np.testing.assert_allclose(y.detach().numpy(), reference(data))
    (g,) = dg.autograd.grad(y.sum(), [x])
    h = 1e-6
    fd = (reference(data + h) - reference(data - h)) / (2 * h)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(x, name)()


def test_split_pieces_are_views_with_one_node_each() -> None:
    x = dg.arange(6.0).reshape(2, 3).requires_grad_()
    a, b = x.split([1, 2], 1)
    assert a.grad_fn is not b.grad_fn
    (a.sum() * 2 + (b * b).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0, 4.0], [2.0, 8.0, 10.0]])
    base = dg.zeros(4, 2)
    piece = base.chunk(2)[1]
    base.add_(1.0)  # a view: the piece sees the write, as in PyTorch
    np.testing.assert_array_equal(piece.numpy(), np.ones((2, 2)))


# --- dtype objects ------------------------------------------------------------------------

_DTYPE_NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                "complex64", "complex128"]


def test_dtypes_print_as_pytorch_prints_them() -> None:
    import dualgrad.torch as dtorch

    assert str(dtorch.tensor([1.0]).dtype) == "torch.float32"
    assert repr(dtorch.tensor([1]).dtype) == "torch.int64"
    assert str(dtorch.ones(2, dtype=dtorch.bool).dtype) == "torch.bool"
    assert dtorch.float is dtorch.float32 and dtorch.long is dtorch.int64
    torch = _torch()
    for name in _DTYPE_NAMES:
        ours, theirs = getattr(dtorch, name), getattr(torch, name)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert ours.is_floating_point == theirs.is_floating_point
        assert ours.is_complex == theirs.is_complex
        assert ours.itemsize == theirs.itemsize


def test_dtypes_stand_for_numpy_dtypes() -> None:
    import pickle

    assert dg.float32 == np.float32 and dg.float32 == np.dtype("float32")
    assert np.float32 == dg.float32 and dg.float32 == "float32" and dg.float32 != dg.float64
    assert not (dg.float32 == object()) and dg.float32 != None  # noqa: E711
    assert {np.dtype("float32"): "yes"}[dg.float32] == "yes"  # hashes as the NumPy dtype
    assert np.zeros(2, dtype=dg.float64).dtype == np.float64  # NumPy reads it
    assert dg.tensor([1.0]).dtype.kind == "f" and dg.float16.itemsize == 2
    assert dg.tensor([1.0]).dtype is dg.float32  # one object per dtype
    assert pickle.loads(pickle.dumps(dg.float32)) is dg.float32
    assert dg.zeros(2, dtype=dg.int64).dtype is dg.int64


def test_tf_dtypes_print_as_tensorflow_prints_them() -> None:
    import dualgrad.tf as tf

    x = tf.constant([1.0, 2.0])
    assert str(x.dtype) == "<dtype: 'float32'>" and repr(x.dtype) == "tf.float32"
    assert x.dtype is tf.float32 and x.dtype == np.float32 and tf.Variable(1).dtype == tf.int32
    assert tf.float64.name == "float64" and tf.float64.as_numpy_dtype is np.float64
    assert tf.float32.is_floating and tf.int32.is_integer and tf.bool.is_bool
    assert tf.float16.size == 2
    assert tf.cast(x, tf.int64).dtype is tf.int64


# --- formatting, conversions, .data, creation --------------------------------------------------

def test_an_f_string_of_a_0d_tensor_shows_the_number() -> None:
    loss = (dtorch.tensor([1.0, 2.0], requires_grad=True) ** 2).mean()
    assert f"loss: {loss}" == "loss: 2.5"
    assert f"{loss:.3f}" == "2.500" and format(dtorch.tensor(0.5)) == "0.5"
    assert f"{dtorch.ones(2)}" == "tensor([1., 1.])"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to "
                                        r"Tensor\.__format__$"):
        f"{dtorch.ones(2):.2f}"


def test_converting_several_elements_to_a_number_is_a_value_error() -> None:
    for convert in (float, int):
        with pytest.raises(ValueError, match="^only one element tensors can be converted to "
                                             "Python scalars$"):
            convert(dtorch.ones(2))
    assert float(dtorch.tensor([2.5])) == 2.5


def test_edits_through_data_are_not_tracked() -> None:
    # PyTorch: .data shares memory but not the version counter, so backward does not refuse
    # (and uses the new values: x * x with x zeroed gives 0).
    x = dtorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    x.data.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    assert x.data.requires_grad is False and np.shares_memory(x.data.numpy(), x.detach().numpy())


def test_randint_takes_high_and_size() -> None:
    assert tuple(dtorch.randint(10, (3,)).shape) == (3,)
    assert tuple(dtorch.randint(2, 5, (2, 2)).shape) == (2, 2)
    values = dtorch.randint(3, size=(200,)).numpy()
    assert values.min() >= 0 and values.max() < 3 and values.dtype == np.int64


@pytest.mark.parametrize(("args", "text"), [
    ((0, 5, -1), "upper bound and lower bound inconsistent with step sign"),
    ((5, 0, 1), "upper bound and lower bound inconsistent with step sign"),
    ((0, 5, 0), "step must be nonzero"),
])
def test_arange_with_an_impossible_step_raises_pytorchs_error(args: tuple, text: str) -> None:
    with pytest.raises(RuntimeError, match=f"^{text}$"):
        dtorch.arange(*args)
    np.testing.assert_array_equal(dtorch.arange(5, 0, -2).numpy(), [5, 3, 1])


def test_slices_and_sums_of_a_size_stay_sizes() -> None:
    shape = dtorch.ones(2, 3, 4).shape
    assert repr(shape[1:]) == "torch.Size([3, 4])" and shape[0] == 2 and type(shape[0]) is int
    assert repr(shape + (5,)) == "torch.Size([2, 3, 4, 5])"
    assert repr((5,) + shape) == "torch.Size([5, 2, 3, 4])"
    assert repr(shape[::-1]) == "torch.Size([4, 3, 2])" and shape * 1 == (2, 3, 4)


# Keys mixing ints with index arrays or masks, on a (2, 3, 4, 5) tensor: PyTorch applies the
# ints first (a select), then the arrays; NumPy's rule would move the indexed dimension to
# the front where a slice separates them.
_MIXED_KEYS = [
    ("0, :, idx", lambda T: (0, slice(None), T.tensor([0, 2, 1])), (3, 3, 5)),
    ("0, ..., idx", lambda T: (0, Ellipsis, T.tensor([0, 2, 1])), (3, 4, 3)),
    ("idx, ..., 0", lambda T: (T.tensor([1, 0]), Ellipsis, 0), (2, 3, 4)),
    ("None, 0, :, idx", lambda T: (None, 0, slice(None), T.tensor([3, 1])), (1, 3, 2, 5)),
    (":, 0, :, idx", lambda T: (slice(None), 0, slice(None), T.tensor([4, 0])), (2, 4, 2)),
    ("0, :, mask", lambda T: (0, slice(None), T.tensor([True, False, True, True])), (3, 3, 5)),
    ("0, idx", lambda T: (0, T.tensor([2, 0])), (2, 4, 5)),
]


@pytest.mark.parametrize("make_key, shape", [c[1:] for c in _MIXED_KEYS],
                         ids=[c[0] for c in _MIXED_KEYS])
def test_ints_among_index_arrays_are_applied_first_as_pytorch_does(make_key: Any,
                                                                    shape: tuple) -> None:
    base = np.arange(120.0).reshape(2, 3, 4, 5)
    x = dg.tensor(base, requires_grad=True)
    key = make_key(dg)
    y = x[key]
    assert tuple(y.shape) == shape
    ints = tuple(k if isinstance(k, int) or k is None or k is Ellipsis else slice(None)
                 for k in key)  # the first step, by hand
    rest = tuple(k._data if isinstance(k, dg.Tensor) else k if k is Ellipsis else slice(None)
                 for k in key if not isinstance(k, int))
    np.testing.assert_array_equal(y.detach().numpy(), base[ints][rest])
    weights = np.random.default_rng(0).standard_normal(shape)
    (y * dg.tensor(weights)).sum().backward()
    expected = np.zeros_like(base)
    expected[ints][rest] = weights
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    z = dg.zeros(2, 3, 4, 5, dtype=dg.float64)
    z[key] = dg.tensor(weights)
    np.testing.assert_array_equal(z.numpy(), expected)


def test_ints_among_index_arrays_match_pytorch() -> None:
    real = pytest.importorskip("torch")
    for name, make_key, shape in _MIXED_KEYS:
        x = real.arange(120.0).reshape(2, 3, 4, 5)
        assert tuple(x[make_key(real)].shape) == shape, name


def test_a_0d_integer_tensor_index_selects_as_an_int() -> None:
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x[dg.tensor(1)]
    assert y.grad_fn.name() == "SelectBackward0"
    assert y.tolist() == [3.0, 4.0]


def test_T_records_a_permute_and_warns_off_matrices_as_pytorch() -> None:
    m = dtorch.ones(2, 3, requires_grad=True) * 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for a matrix
        assert m.T.grad_fn.name() == "PermuteBackward0"
    with pytest.warns(UserWarning, match=r"^The use of `x\.T` on tensors of dimension other "
                                         r"than 2 to reverse their shape is deprecated"):
        assert dtorch.ones(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match=r"^Tensor\.T is deprecated on 0-D tensors\. This "
                                         r"function is the identity in these cases\.$"):
        assert dtorch.tensor(1.0).T.item() == 1.0


def test_float_of_a_tensor_that_requires_grad_warns_as_pytorch() -> None:
    with pytest.warns(UserWarning, match="^Converting a tensor with requires_grad=True to a "
                                         "scalar may lead to unexpected behavior.\nConsider "
                                         "using tensor.detach\\(\\) first.$"):
        assert float(dtorch.tensor(2.0, requires_grad=True)) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(dtorch.tensor(2.0)) == 2.0
        assert dtorch.tensor(2.0, requires_grad=True).item() == 2.0


def test_flatten_with_nothing_to_merge_returns_the_tensor_itself() -> None:
    v = dtorch.ones(3, requires_grad=True)
    assert v.flatten() is v
    x = dtorch.ones(2, 3)
    assert x.flatten(1, 1) is x and x.flatten(-1) is x
    assert dtorch.tensor(1.0).flatten().shape == (1,)
    assert (dtorch.ones(2, 3, requires_grad=True) * 1).flatten().grad_fn.name() == "ViewBackward0"
