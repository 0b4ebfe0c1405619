"""``dualgrad.tf`` against TensorFlow 2.18: formatting, iteration, dtypes, errors, the tape.

Every expected value here was printed by tensorflow-cpu 2.18.0 (NumPy 2.0.2) running the same
code; TensorFlow itself is not needed to run these tests.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import dualgrad.tf as tf
from dualgrad import tape as _tape

# --------------------------------------------------------------------------------------------
# 1. format / f-strings


def test_format_of_tensors_is_numpys_format_of_the_value() -> None:
    assert f"{tf.constant(6.0)}" == "6.0"
    assert f"{tf.constant([1.0, 2.5])}" == "[1.  2.5]"
    assert f"{tf.constant(6.0):.3f}" == "6.000"
    assert f"{tf.constant(7):5d}" == "    7"
    with pytest.raises(TypeError, match=re.escape(
            "unsupported format string passed to numpy.ndarray.__format__")):
        f"{tf.constant([1.0, 2.5]):.2f}"


def test_format_of_variables() -> None:
    v = tf.Variable(2.5)
    assert f"{v}" == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=2.5>"
    with pytest.raises(TypeError, match=re.escape(
            "unsupported format string passed to ResourceVariable.__format__")):
        f"{v:.3f}"


# --------------------------------------------------------------------------------------------
# 2. iteration, unpacking, indexing


def test_iteration_and_unpacking_give_tf_tensors() -> None:
    rows = [str(r) for r in tf.Variable([[1.0, 2.0], [3.0, 4.0]])]
    assert rows == ["tf.Tensor([1. 2.], shape=(2,), dtype=float32)",
                    "tf.Tensor([3. 4.], shape=(2,), dtype=float32)"]
    a, b = tf.Variable([1.0, 2.0])
    assert f"{a!s} {b!s}" == ("tf.Tensor(1.0, shape=(), dtype=float32) "
                              "tf.Tensor(2.0, shape=(), dtype=float32)")
    assert [str(r) for r in tf.constant([[1, 2], [3, 4]])] == [
        "tf.Tensor([1 2], shape=(2,), dtype=int32)", "tf.Tensor([3 4], shape=(2,), dtype=int32)"]
    assert repr(tf.Variable([1.0, 2.0])[0]) == "<tf.Tensor: shape=(), dtype=float32, numpy=1.0>"
    with pytest.raises(TypeError, match=re.escape("Cannot iterate over a scalar tensor.")):
        list(tf.constant(1.0))
    with pytest.raises(TypeError, match=re.escape("Scalar tensor has no `len()`")):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match=re.escape(
            "object of type 'ResourceVariable' has no len()")):
        len(tf.Variable(1.0))


def test_iterated_pieces_still_carry_gradients() -> None:
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        a, b = v
        y = a * 3.0 + b * b
    assert str(tape.gradient(y, v)) == "tf.Tensor([3. 4.], shape=(2,), dtype=float32)"


# --------------------------------------------------------------------------------------------
# 3. tf.constant's dtypes


def test_constant_big_ints_are_int64() -> None:
    assert repr(tf.constant(2**40)) == "<tf.Tensor: shape=(), dtype=int64, numpy=1099511627776>"
    assert str(tf.constant([1, 2**40])) == (
        "tf.Tensor([            1 1099511627776], shape=(2,), dtype=int64)")
    assert tf.constant(2**31).dtype == tf.int64
    assert tf.constant(-2**31).dtype == tf.int32
    assert tf.constant(-2**31 - 1).dtype == tf.int64
    assert tf.Variable(2**40).dtype == tf.int64
    assert tf.constant(2**40, dtype=tf.int32).numpy() == 0   # wraps, as in TensorFlow


def test_constant_python_floats_with_a_dtype_are_not_rounded_to_float32() -> None:
    assert repr(tf.constant(0.1, dtype=tf.float64)) == (
        "<tf.Tensor: shape=(), dtype=float64, numpy=0.1>")
    assert str(tf.constant(1 / 3, dtype=tf.float64)) == (
        "tf.Tensor(0.3333333333333333, shape=(), dtype=float64)")
    assert str(_f64([1.0, 2.0]) + [0.1, 0.2]) == (
        "tf.Tensor([1.1 2.2], shape=(2,), dtype=float64)")


@pytest.mark.parametrize("value", [2**63, 2**64, [1, 2**63], -2**63 - 1])
def test_constant_out_of_int64_raises(value: object) -> None:
    with pytest.raises(ValueError, match=re.escape(
            "Can't convert Python sequence with out-of-range integer to Tensor.")):
        tf.constant(value)


def test_constant_floats_to_int_dtype_raise() -> None:
    for value, dtype, text in [([1.5, 2.7], tf.int32, "[1.5, 2.7]"), (2.0, tf.int32, "2.0"),
                               (1.5, tf.int64, "1.5"), ((1.5, 2.0), tf.int32, "(1.5, 2.0)"),
                               (1, tf.bool, "1")]:
        with pytest.raises(TypeError, match=re.escape(
                f"Cannot convert {text} to EagerTensor of dtype {dtype.name}")):
            tf.constant(value, dtype=dtype)
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.Variable(1.5, dtype=tf.int32)
    # NumPy values are cast, and ints to floats are fine.
    assert tf.constant(np.array([1.5, 2.7]), dtype=tf.int32).numpy().tolist() == [1, 2]
    assert tf.constant([1, 2], dtype=tf.float32).dtype == tf.float32
    assert tf.constant(True, dtype=tf.int32).numpy() == 1


# --------------------------------------------------------------------------------------------
# 4. dtypes in binary ops


def _f64(values: object) -> tf.EagerTensor:
    return tf.constant(np.array(values, dtype=np.float64))


def _message(op: str, expected: str, got: str, name: str = "", kernel: str | None = None
             ) -> str:
    return (f"cannot compute {kernel or op} as input #1(zero-based) was expected to be a "
            f"{expected} tensor but is a {got} tensor [Op:{op}] name: {name}")


@pytest.mark.parametrize("fn, op", [
    (lambda a, b: a + b, "AddV2"), (lambda a, b: a - b, "Sub"), (lambda a, b: a * b, "Mul"),
    (lambda a, b: a ** b, "Pow"), (tf.add, "AddV2"), (tf.subtract, "Sub"),
    (tf.multiply, "Mul"), (tf.pow, "Pow"), (tf.maximum, "Maximum"), (tf.minimum, "Minimum"),
])
def test_mixed_float_dtypes_raise_invalid_argument(fn: object, op: str) -> None:
    a = tf.constant([1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn(a, _f64([1.0, 2.0]))
    assert str(info.value) == _message(op, "float", "double")
    assert isinstance(info.value, tf.errors.OpError) and not isinstance(info.value, ValueError)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn(tf.constant([1, 2]), tf.constant(np.array([1, 2])))
    assert str(info.value) == _message(op, "int32", "int64")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn(_f64([1.0, 2.0]), tf.Variable([1.0, 2.0]))
    assert str(info.value) == _message(op, "double", "float")


def test_mixed_dtypes_in_matmul_concat_stack() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.matmul(tf.constant([[1.0, 2.0]]), _f64([[1.0], [2.0]]))
    assert str(info.value) == _message("MatMul", "float", "double", kernel="_MklMatMul")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _f64([[1.0, 2.0]]) @ tf.constant([[1.0], [2.0]])
    assert str(info.value) == _message("MatMul", "double", "float")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.concat([tf.constant([1.0]), _f64([1.0])], 0)
    assert str(info.value) == _message("ConcatV2", "float", "double", "concat")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.stack([tf.constant([1, 2]), tf.constant([1.0, 2.0])])
    assert str(info.value) == _message("Pack", "int32", "float", "stack")
    # Lists and NumPy arrays take the first tensor's dtype.
    assert str(tf.concat([tf.constant([1.0, 2.0]), [1, 2]], 0)) == (
        "tf.Tensor([1. 2. 1. 2.], shape=(4,), dtype=float32)")
    assert tf.matmul(tf.constant([[1.0, 2.0]]), np.array([[1.0], [2.0]])).dtype == tf.float32


def test_division_dtype_rules() -> None:
    with pytest.raises(TypeError, match=re.escape(
            "`x` and `y` must have the same dtype, got tf.float32 != tf.float64.")):
        tf.constant([1.0, 2.0]) / _f64([1.0, 2.0])
    with pytest.raises(TypeError, match=re.escape(
            "`x` and `y` must have the same dtype, got tf.int32 != tf.float32.")):
        tf.divide(tf.constant([1, 2]), 2.5)
    # Integers divide to float64.
    assert str(tf.constant(3) / tf.constant(2)) == "tf.Tensor(1.5, shape=(), dtype=float64)"
    assert str(tf.constant(3) / 2) == "tf.Tensor(1.5, shape=(), dtype=float64)"
    assert str(3 / tf.constant(2)) == "tf.Tensor(1.5, shape=(), dtype=float64)"
    assert str(tf.divide(3, tf.constant(2))) == "tf.Tensor(1.5, shape=(), dtype=float64)"
    assert str(tf.constant(np.array([3, 4])) / [1, 2]) == (
        "tf.Tensor([3. 2.], shape=(2,), dtype=float64)")
    # A list or array on the left of ``/`` (this recursed before).
    assert str([1.0, 3.0] / tf.constant([2.0, 4.0])) == (
        "tf.Tensor([0.5  0.75], shape=(2,), dtype=float32)")
    assert str(np.array([1, 2]) / tf.constant([1, 2])) == (
        "tf.Tensor([1. 1.], shape=(2,), dtype=float64)")


def test_python_float_with_int_tensor() -> None:
    i = tf.constant([1, 2])
    for fn in (lambda: i * 2.5, lambda: 2.5 * i, lambda: i - 2.5, lambda: i ** 2.5,
               lambda: 2.5 + i, lambda: tf.multiply(i, 2.5), lambda: tf.maximum(2.5, i)):
        with pytest.raises(TypeError, match=re.escape(
                "Cannot convert 2.5 to EagerTensor of dtype int32")):
            fn()
    with pytest.raises(TypeError, match=re.escape(
            "Cannot convert [0.5, 1.5] to EagerTensor of dtype int32")):
        i * [0.5, 1.5]
    # ``+`` and tf.add convert to the value's own dtype instead, then find the mismatch.
    for fn in (lambda: i + 2.5, lambda: tf.add(i, 1.0), lambda: i + [0.5, 1.5]):
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            fn()
        assert str(info.value) == _message("AddV2", "int32", "float")


def test_numpy_and_python_operands_take_the_tensor_dtype() -> None:
    a = tf.constant([1.0, 2.0])
    assert str(a * np.array([1.0, 2.0])) == "tf.Tensor([1. 4.], shape=(2,), dtype=float32)"
    assert str(tf.multiply(a, np.array([1.0, 2.0]))) == (
        "tf.Tensor([1. 4.], shape=(2,), dtype=float32)")
    assert (np.array([1.0, 2.0]) * a).dtype == tf.float32
    assert (a * np.float64(2.0)).dtype == tf.float32
    assert str(tf.constant([1, 2]) + np.array([1.5, 2.5])) == (
        "tf.Tensor([2 4], shape=(2,), dtype=int32)")
    assert (_f64([1.0]) * 2.5).dtype == tf.float64
    assert (tf.constant([1, 2]) * 2).dtype == tf.int32


def test_operators_keep_gradients_and_values() -> None:
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * [3.0, 4.0] + tf.multiply(2, x) - np.array([1.0, 1.0]) / x)
    assert str(tape.gradient(y, x)) == "tf.Tensor([6.   6.25], shape=(2,), dtype=float32)"


# --------------------------------------------------------------------------------------------
# 5. linspace, range


def test_linspace_dtype_comes_from_start() -> None:
    assert str(tf.linspace(0, 3, 4)) == "tf.Tensor([0. 1. 2. 3.], shape=(4,), dtype=float64)"
    assert str(tf.linspace(0.0, 3, 4)) == "tf.Tensor([0. 1. 2. 3.], shape=(4,), dtype=float32)"
    assert tf.linspace(tf.constant(0.0), 1.0, 3).dtype == tf.float32
    assert tf.linspace(tf.constant(0), 1, 3).dtype == tf.float64
    with pytest.raises(TypeError, match=re.escape(
            "Cannot convert 3.0 to EagerTensor of dtype int32")):
        tf.linspace(0, 3.0, 4)


def test_range_errors_and_dtypes() -> None:
    prefix = ("{{function_node __wrapped__Range_device_/job:localhost/replica:0/task:0/"
              "device:CPU:0}} ")
    for args, text in [((3, 1), "Requires start <= limit when delta > 0: 3/1"),
                       ((1, 3, -1), "Requires start >= limit when delta < 0: 1/3"),
                       ((1, 3, 0), "Requires delta != 0: 0"),
                       ((3.5, 1), "Requires start <= limit when delta > 0: 3.5/1")]:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            tf.range(*args)
        assert str(info.value) == f"{prefix}{text} [Op:Range] name: "
    assert str(tf.range(np.float64(2.0))) == "tf.Tensor([0. 1.], shape=(2,), dtype=float64)"
    assert str(tf.range(np.int64(4))) == "tf.Tensor([0 1 2 3], shape=(4,), dtype=int64)"
    assert str(tf.range(0, 2, 0.5)) == (
        "tf.Tensor([0.  0.5 1.  1.5], shape=(4,), dtype=float32)")
    assert tf.range(3).dtype == tf.int32


# --------------------------------------------------------------------------------------------
# 6. printing as NumPy 2.0 prints (TensorFlow 2.18 needs NumPy < 2.1)


def test_printing_matches_tensorflow() -> None:
    assert str(tf.constant(1e10)) == "tf.Tensor(10000000000.0, shape=(), dtype=float32)"
    assert repr(tf.constant(1e10)) == (
        "<tf.Tensor: shape=(), dtype=float32, numpy=10000000000.0>")
    assert str(tf.constant(1234567.0)) == "tf.Tensor(1234567.0, shape=(), dtype=float32)"
    assert str(tf.constant(123456789.0)) == "tf.Tensor(123456790.0, shape=(), dtype=float32)"
    assert repr(tf.range(1500)) == (
        "<tf.Tensor: shape=(1500,), dtype=int32, numpy=array([   0,    1,    2, ..., 1497, "
        "1498, 1499], dtype=int32)>")
    assert repr(tf.Variable(tf.range(2000))) == (
        "<tf.Variable 'Variable:0' shape=(2000,) dtype=int32, numpy=array([   0,    1,    2, "
        "..., 1997, 1998, 1999], dtype=int32)>")
    assert f"{tf.constant(1e10)}" == "10000000000.0"
    # The options apply inside the call only.
    assert np.get_printoptions()["legacy"] is False


def test_print_options_only_where_numpy_has_them() -> None:
    if np.lib.NumpyVersion(np.__version__) >= "2.2.0":
        assert _tape._TF_PRINT_LEGACY
    else:
        assert not _tape._TF_PRINT_LEGACY


# --------------------------------------------------------------------------------------------
# 7. the tape


def test_watched_variables_in_creation_order_and_after_gradient() -> None:
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    c = tf.Variable(3.0, trainable=False, name="c")
    with tf.GradientTape() as tape:
        y = b * a * c
    assert [v.name for v in tape.watched_variables()] == ["a:0", "b:0"]
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    assert str(tape.gradient(y, [a, b])) == (
        "[<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, None]")
    assert tape.watched_variables() == (a,)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = a * a
    assert tape.gradient(y, a) is None and tape.watched_variables() == ()


def test_gradient_of_none_target() -> None:
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        x * x
    with pytest.raises(TypeError, match=re.escape(
            "Argument `target` should be a list or nested structure of Tensors, Variables or "
            "CompositeTensors to be differentiated, but received None.")):
        tape.gradient(None, x)


def test_stop_recording_errors() -> None:
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        x ** 2
    with pytest.raises(ValueError, match=r"^Tape is not recording\.$"):
        with tape.stop_recording():
            pass
    with pytest.raises(RuntimeError, match=r"^Trying to stop recording a tape which is not "
                       r"recording\.$"):
        with tf.GradientTape().stop_recording():
            pass


def test_jacobian_error_texts_of_tensorflow_2_18() -> None:
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(RuntimeError) as info:
        tape.jacobian(y, x, experimental_use_pfor=False)
    assert str(info.value) == (
        "GradientTape must be created with persistent=True to compute the jacobian with eager "
        "execution enabled and with  experimental_use_pfor set to False.")
    with pytest.raises(RuntimeError) as info:
        tape.batch_jacobian(y, x, experimental_use_pfor=False)
    assert str(info.value) == (
        "GradientTape must be created with persistent=True to compute the batch_jacobian with "
        "eager execution enabled and  with experimental_use_pfor set to False.")
    tape.batch_jacobian(y, x)
    with pytest.raises(RuntimeError) as info:
        tape.batch_jacobian(y, x)
    assert str(info.value) == ("A non-persistent GradientTape can only be used tocompute one "
                               "set of gradients (or jacobians)")


def test_batch_jacobian_shape_errors() -> None:
    x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, v])
        y = tf.reduce_sum(x, axis=1)[:2]
        w = v * v
        s = tf.reduce_sum(x)
    for target, source, text in [(y, x, "Shape (2,) must have rank at least 2"),
                                 (w, v, "Shape (3,) must have rank at least 2"),
                                 (x * 2, s, "Shape () must have rank at least 2")]:
        with pytest.raises(ValueError, match=re.escape(text)):
            tape.batch_jacobian(target, source)
    with pytest.raises(ValueError, match=re.escape(
            "Need first dimension of target shape ((3, 2)) and source shape ((2, 2)) to "
            "match.")):
        tape.batch_jacobian(x * 2, tf.constant([[1.0, 2.0], [3.0, 4.0]]))


# --------------------------------------------------------------------------------------------
# 8. what TensorFlow values do not have


def test_no_grad_attribute() -> None:
    with pytest.raises(AttributeError, match=re.escape(
            "'ResourceVariable' object has no attribute 'grad'")):
        _ = tf.Variable(2.0).grad
    with pytest.raises(AttributeError, match=re.escape(
            "'tensorflow.python.framework.ops.EagerTensor' object has no attribute 'grad'")):
        _ = tf.constant(2.0).grad


def test_item_assignment_and_deletion_raise() -> None:
    with pytest.raises(TypeError, match=re.escape(
            "'tensorflow.python.framework.ops.EagerTensor' object does not support item "
            "assignment")):
        tf.constant([1.0, 2.0])[0] = 1.0
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match=re.escape(
            "'ResourceVariable' object does not support item assignment")):
        v[0] = 1.0
    assert v.numpy().tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match=re.escape(
            "'tensorflow.python.framework.ops.EagerTensor' object doesn't support item "
            "deletion")):
        del tf.constant([1.0, 2.0])[0]


def test_hash_raises() -> None:
    with pytest.raises(TypeError, match=r"^Tensor is unhashable\. Instead, use tensor\.ref\(\) "
                       r"as the key\.$"):
        hash(tf.constant(1.0))
    with pytest.raises(TypeError) as info:
        {tf.Variable(1.0): 1}
    assert str(info.value) == (
        "Variable is unhashable. Instead, use variable.ref() as the key. (Variable: "
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>)")


def test_truth_values() -> None:
    for value in (tf.constant([1.0, 2.0]), tf.Variable([1.0, 2.0])):
        with pytest.raises(ValueError, match=re.escape(
                "The truth value of an array with more than one element is ambiguous. Use "
                "a.any() or a.all()")):
            bool(value)
    assert bool(tf.constant([])) is False
    assert bool(tf.constant([3.0])) is True
    assert bool(tf.constant(0.0)) is False


def test_variable_numpy_of_a_scalar_is_a_numpy_scalar() -> None:
    v = tf.Variable(2.0)
    value = v.numpy()
    assert type(value) is np.float32 and value == 2.0
    v.assign(5.0)
    assert value == 2.0   # a copy
    assert type(tf.Variable([2.0]).numpy()) is np.ndarray
    assert type(tf.constant(2.0).numpy()) is np.float32


def test_float_of_a_recorded_value_does_not_warn_as_pytorch_does() -> None:
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # TensorFlow has no requires_grad warning
        assert float(y) == 4.0 and float(tape.gradient(y, v)) == 4.0
