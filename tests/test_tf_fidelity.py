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


# --------------------------------------------------------------------------------------------
# 10. shapes that do not broadcast, matmul's operands (texts printed by TensorFlow 2.18)

_NODE = "{{function_node __wrapped__%s_device_/job:localhost/replica:0/task:0/device:CPU:0}} "


def _op_error(fn: object) -> str:
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn()  # type: ignore[operator]
    return str(info.value)


@pytest.mark.parametrize(("fn", "text"), [
    (lambda: tf.ones((2, 3)) + tf.ones((4,)), "AddV2 Incompatible shapes: [2,3] vs. [4] AddV2"),
    (lambda: [1.0, 2.0, 3.0] - tf.ones((2,)), "Sub Incompatible shapes: [3] vs. [2] Sub"),
    (lambda: tf.ones((2, 2)) * tf.ones((3, 1, 3)),
     "Mul Incompatible shapes: [2,2] vs. [3,1,3] Mul"),
    (lambda: tf.constant([1, 2]) / tf.constant([1, 2, 3]),
     "RealDiv Incompatible shapes: [2] vs. [3] RealDiv"),
    (lambda: tf.Variable(tf.ones((2,))) + tf.ones((3,)),
     "AddV2 Incompatible shapes: [2] vs. [3] AddV2"),
    (lambda: tf.add(tf.ones((2,)), [1.0, 2.0, 3.0]),
     "AddV2 Incompatible shapes: [2] vs. [3] AddV2"),
    (lambda: tf.subtract(tf.ones((2,)), tf.ones((3,))), "Sub Incompatible shapes: [2] vs. [3] Sub"),
    (lambda: tf.multiply(tf.ones((2,)), tf.ones((3,))), "Mul Incompatible shapes: [2] vs. [3] Mul"),
    (lambda: tf.pow(tf.ones((2,)), tf.ones((3,))), "Pow Incompatible shapes: [2] vs. [3] Pow"),
    (lambda: tf.minimum(tf.ones((2,)), tf.ones((3,))),
     "Minimum Incompatible shapes: [2] vs. [3] Minimum"),
    (lambda: tf.ones((2,)) // tf.ones((3,)), "FloorDiv Incompatible shapes: [2] vs. [3] FloorDiv"),
    (lambda: tf.ones((2,)) % tf.ones((3,)), "FloorMod Incompatible shapes: [2] vs. [3] FloorMod"),
    (lambda: tf.ones((2,)) >= tf.ones((3,)),
     "GreaterEqual Incompatible shapes: [2] vs. [3] GreaterEqual"),
    (lambda: tf.ones((2, 3)) @ tf.ones((2, 3)),
     "__MklMatMul Matrix size-incompatible: In[0]: [2,3], In[1]: [2,3] MatMul"),
    (lambda: tf.matmul(tf.ones((2, 3), tf.float64), tf.ones((2, 4), tf.float64), transpose_b=True),
     "MatMul Matrix size-incompatible: In[0]: [2,3], In[1]: [2,4] MatMul"),
    (lambda: tf.ones((2, 3)) @ tf.ones((3,)), "__MklMatMul In[1] ndims must be >= 2 MatMul"),
    (lambda: tf.constant(2.0) @ tf.ones((2, 2)), "__MklMatMul In[0] ndims must be >= 2 MatMul"),
    (lambda: tf.ones((3,), tf.float64) @ tf.ones((3,), tf.float64),
     "MatMul In[0] and In[1] ndims must be == 2: 1 MatMul"),
    (lambda: tf.ones((2, 3), tf.int32) @ tf.ones((3,), tf.int32),
     "MatMul In[0] and In[1] has different ndims: [2,3] vs. [3] MatMul"),
    (lambda: tf.ones((4, 2, 3)) @ tf.ones((4, 2, 3)),
     "__MklBatchMatMulV2 Matrix size-incompatible: In[0]: [4,2,3], In[1]: [4,2,3] 0 0 "
     "BatchMatMulV2"),
    (lambda: tf.ones((4, 2, 3), tf.float64) @ tf.ones((2, 3), tf.float64),
     "BatchMatMulV2 Matrix size-incompatible: In[0]: [4,2,3], In[1]: [2,3] BatchMatMulV2"),
    (lambda: tf.ones((4, 2, 3)) @ tf.ones((3,)),
     "__MklBatchMatMulV2 In[1] ndims must be >= 2: 1 BatchMatMulV2"),
    (lambda: tf.ones((4, 2, 3)) @ tf.ones((5, 3, 3)),
     "__MklBatchMatMulV2 In[0] and In[1] must have compatible batch dimensions: [4,2,3] vs. "
     "[5,3,3] BatchMatMulV2"),
])
def test_shape_errors_are_tensorflows(fn: object, text: str) -> None:
    kernel, rest = text.split(" ", 1)
    message, op = rest.rsplit(" ", 1)
    assert _op_error(fn) == f"{_NODE % kernel}{message} [Op:{op}] name: "


def test_matmul_adjoint_and_transpose() -> None:
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    expected = "tf.Tensor(\n[[ 5. 11.]\n [11. 25.]], shape=(2, 2), dtype=float32)"
    assert str(tf.matmul(a, a, adjoint_b=True)) == expected
    assert str(tf.matmul(a, a, transpose_b=True)) == expected
    assert str(tf.matmul(a, a, adjoint_a=True)) == (
        "tf.Tensor(\n[[10. 14.]\n [14. 20.]], shape=(2, 2), dtype=float32)")


# --------------------------------------------------------------------------------------------
# 11. dtypes of comparisons, // and %; floor division has no gradient


@pytest.mark.parametrize(("fn", "op", "got"), [
    (lambda: tf.constant(1.0) < tf.constant(1), "Less", "int32"),
    (lambda: tf.constant([1.0]) <= tf.constant([1.0], dtype=tf.float64), "LessEqual", "double"),
    (lambda: tf.Variable(1.0) // tf.constant(2), "FloorDiv", "int32"),
    (lambda: tf.constant(1.0) % tf.constant(1), "FloorMod", "int32"),
])
def test_comparisons_and_floor_ops_check_dtypes(fn: object, op: str, got: str) -> None:
    assert _op_error(fn) == (f"cannot compute {op} as input #1(zero-based) was expected to be a "
                             f"float tensor but is a {got} tensor [Op:{op}] name: ")


def test_python_float_next_to_int_tensor_in_floor_ops() -> None:
    for fn in (lambda: tf.constant(1) < 2.5, lambda: 2.5 // tf.constant(1),
               lambda: 2.5 % tf.constant(1), lambda: tf.constant(1) // 2.5):
        with pytest.raises(TypeError, match=re.escape(
                "Cannot convert 2.5 to EagerTensor of dtype int32")):
            fn()
    assert repr(7.0 // tf.constant(2.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>"
    assert repr(tf.constant([1.0, 2.0]) % np.array([1, 2])) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([0., 0.], dtype=float32)>")
    assert repr(tf.constant(2) // np.float64(2.0)) == (
        "<tf.Tensor: shape=(), dtype=int32, numpy=1>")


def test_floor_division_gives_no_gradient() -> None:
    x = tf.Variable([3.0])
    with tf.GradientTape() as tape:
        y = x // 2.0 + 10.0 // x
    assert tape.gradient(y, x) is None


# --------------------------------------------------------------------------------------------
# 12. TensorFlow's gradient at ties: tf.maximum / tf.minimum give it all to x


def _grads(f: object, *values: object) -> list:
    xs = [tf.Variable(v) for v in values]
    with tf.GradientTape() as tape:
        y = f(*xs)  # type: ignore[operator]
    return [g.numpy().tolist() for g in tape.gradient(y, xs)]


def test_maximum_minimum_ties_go_to_the_first_argument() -> None:
    assert _grads(tf.maximum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0]) == [[1.0, 1.0, 1.0],
                                                                  [0.0, 0.0, 0.0]]
    assert _grads(tf.minimum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0]) == [[1.0, 0.0, 1.0],
                                                                  [0.0, 1.0, 0.0]]
    assert _grads(lambda x: tf.maximum(x, 0.0), [0.0, 1.0, -1.0]) == [[1.0, 1.0, 0.0]]
    assert _grads(tf.maximum, [[1.0, 2.0]], [1.0]) == [[[1.0, 1.0]], [0.0]]
    # NaN wins, in either position (NumPy's and TensorFlow's values)
    nan = float("nan")
    assert str(tf.maximum(tf.constant([nan, 1.0]), tf.constant([1.0, nan]))) == (
        "tf.Tensor([nan nan], shape=(2,), dtype=float32)")
    assert str(tf.minimum(tf.constant([nan, 1.0]), tf.constant([1.0, nan]))) == (
        "tf.Tensor([nan nan], shape=(2,), dtype=float32)")
    assert str(tf.maximum(tf.constant([1, 5]), 3)) == (
        "tf.Tensor([3 5], shape=(2,), dtype=int32)")


def test_second_derivative_through_maximum() -> None:
    x = tf.Variable([2.0, -1.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.maximum(x * x * x, 0.0))
        g = inner.gradient(y, x)
    assert g.numpy().tolist() == [12.0, 0.0]
    assert outer.gradient(g, x).numpy().tolist() == [12.0, 0.0]


# --------------------------------------------------------------------------------------------
# 13. tf.norm computed as TensorFlow does (NaN gradient at zero, matrix norms)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (0/0 inside, as intended)
def test_norm_gradient_at_zero_is_nan_as_in_tensorflow() -> None:
    assert str(np.array(_grads(tf.norm, [0.0, 0.0]))) == "[[nan nan]]"
    g = _grads(lambda x: tf.norm(x, axis=1), [[3.0, 4.0], [0.0, 0.0]])[0]
    assert np.allclose(g[0], [0.6, 0.8]) and np.isnan(g[1]).all()


def test_norm_values_of_tensorflow() -> None:
    x = tf.constant([[0.5, -1.5, 2.0], [3.0, 0.0, -0.25]])
    assert repr(tf.norm(x, ord=1, axis=[0, 1])) == (
        "<tf.Tensor: shape=(), dtype=float32, numpy=3.5>")
    assert repr(tf.norm(x, ord=np.inf, axis=[0, 1])) == (
        "<tf.Tensor: shape=(), dtype=float32, numpy=4.0>")
    assert repr(tf.norm(x, ord=1)) == "<tf.Tensor: shape=(), dtype=float32, numpy=7.25>"
    assert str(tf.norm(x, ord=3)) == "tf.Tensor(3.3771136, shape=(), dtype=float32)"
    assert str(tf.norm(x, ord=0.5)) == "tf.Tensor(31.115377, shape=(), dtype=float32)"
    assert str(tf.norm(x, axis=1)) == "tf.Tensor([2.5495098 3.0103986], shape=(2,), dtype=float32)"
    assert str(tf.norm(x, ord="euclidean", axis=[0, 1], keepdims=True)) == (
        "tf.Tensor([[3.9449334]], shape=(1, 1), dtype=float32)")
    with pytest.raises(ValueError, match=re.escape(
            "'ord' must be a supported vector norm, got fro")):
        tf.norm(x, ord="fro")
    with pytest.raises(NotImplementedError, match="spectral norm"):
        tf.norm(x, ord=2, axis=[0, 1])


# --------------------------------------------------------------------------------------------
# 14. float-only functions refuse integers


@pytest.mark.parametrize(("fn", "op"), [
    (tf.sin, "Sin"), (tf.exp, "Exp"), (tf.sqrt, "Sqrt"), (tf.math.log, "Log"),
    (tf.sigmoid, "Sigmoid"), (tf.math.log1p, "Log1p")])
def test_float_functions_refuse_integers(fn: object, op: str) -> None:
    assert _op_error(lambda: fn(tf.constant([1, 2]))) == (  # type: ignore[operator]
        "Value for attr 'T' of int32 is not in the list of allowed values: bfloat16, half, float, "
        f"double, complex64, complex128\n\t; NodeDef: {{{{node {op}}}}}; Op<name={op}; "
        "signature=x:T -> y:T; attr=T:type,allowed=[DT_BFLOAT16, DT_HALF, DT_FLOAT, DT_DOUBLE, "
        f"DT_COMPLEX64, DT_COMPLEX128]> [Op:{op}] name: ")


def test_activations_refuse_integers() -> None:
    assert _op_error(lambda: tf.nn.softmax(tf.constant([1, 2], dtype=tf.int64))) == (
        "Value for attr 'T' of int64 is not in the list of allowed values: half, bfloat16, float, "
        "double\n\t; NodeDef: {{node Softmax}}; Op<name=Softmax; signature=logits:T -> "
        "softmax:T; attr=T:type,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE]> "
        "[Op:Softmax] name: ")
    assert "{{node Softplus}}; Op<name=Softplus; signature=features:T -> activations:T" in (
        _op_error(lambda: tf.nn.softplus(tf.constant([1]))))
    # integers are fine where TensorFlow takes them
    assert str(tf.square(tf.constant([2, -3]))) == "tf.Tensor([4 9], shape=(2,), dtype=int32)"
    assert str(tf.nn.relu(tf.constant([2, -3]))) == "tf.Tensor([2 0], shape=(2,), dtype=int32)"


# --------------------------------------------------------------------------------------------
# 15. Variable.assign*: equal shapes and the variable's dtype


def test_assign_checks_shape_and_dtype() -> None:
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape(
            "Cannot assign value to variable ' Variable:0': Shape mismatch.The variable shape "
            "(2,), and the assigned value shape () are incompatible.")):
        v.assign(5.0)
    for method, op, shape in ((v.assign_add, "AssignAddVariableOp", [1.0, 2.0, 3.0]),
                              (v.assign_sub, "AssignSubVariableOp", 1.0)):
        dims = "[3]" if isinstance(shape, list) else "[]"
        assert _op_error(lambda m=method, s=shape: m(s)) == (
            f"{_NODE % op}Cannot update variable with shape [2] using a Tensor with shape "
            f"{dims}, shapes must be equal. [Op:{op}] name: ")
    with pytest.raises(ValueError, match=re.escape(
            "Tensor conversion requested dtype float32 for Tensor with dtype float64: "
            "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([1., 2.])>")):
        v.assign(tf.constant([1.0, 2.0], dtype=tf.float64))
    with pytest.raises(TypeError, match=re.escape(
            "Cannot convert 0.5 to EagerTensor of dtype int32")):
        tf.Variable(1).assign_add(0.5)
    v.assign(np.array([3.0, 4.0]))  # NumPy values are cast
    v.assign_add([1, 1])
    assert repr(v) == ("<tf.Variable 'Variable:0' shape=(2,) dtype=float32, "
                       "numpy=array([4., 5.], dtype=float32)>")
    assert str(tf.Variable([1, 2]).assign(np.array([1.5, 2.5])).numpy()) == "[1 2]"


# --------------------------------------------------------------------------------------------
# 16. apply_gradients with None gradients: Keras 3's texts


def test_apply_gradients_without_gradients_keras3_texts() -> None:
    opt = tf.keras.optimizers.SGD(0.1)
    w, b, c = tf.Variable(1.0, name="w"), tf.Variable(2.0, name="b"), tf.Variable(3.0, name="c")
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable\.$"):
        opt.apply_gradients(zip([None, None], [w, b]))
    with pytest.warns(UserWarning) as record:
        opt.apply_gradients(zip([tf.constant(1.0), None, None], [w, b, c]))
    assert str(record[0].message) == (
        "Gradients do not exist for variables ['c:0', 'b:0'] when minimizing the loss. If using "
        "`model.compile()`, did you forget to provide a `loss` argument?")
    assert float(w.numpy()) == pytest.approx(0.9)


# --------------------------------------------------------------------------------------------
# 17. custom_gradient, where, convert_to_tensor and other texts


def test_custom_gradient_gives_tf_tensors() -> None:
    seen = []

    @tf.custom_gradient
    def f(x):
        def grad(dy):
            seen.append(str(dy))
            return dy * 10.0
        return x * x, grad

    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert str(y) == "tf.Tensor(4.0, shape=(), dtype=float32)"
    assert str(tape.gradient(y, x)) == "tf.Tensor(10.0, shape=(), dtype=float32)"
    assert seen == ["tf.Tensor(1.0, shape=(), dtype=float32)"]


def test_where_forms_and_errors() -> None:
    assert repr(tf.where([True, False, True])) == (
        "<tf.Tensor: shape=(2, 1), dtype=int64, numpy=\narray([[0],\n       [2]])>")
    assert _op_error(lambda: tf.where(tf.constant([1, 0]), 1.0, 2.0)) == (
        "cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor but "
        "is a int32 tensor [Op:SelectV2] name: ")
    assert _op_error(lambda: tf.where(tf.constant([True, False]), tf.constant([1.0, 2.0]),
                                      tf.constant([1, 2]))) == (
        "cannot compute SelectV2 as input #2(zero-based) was expected to be a float tensor but "
        "is a int32 tensor [Op:SelectV2] name: ")
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.where(tf.constant([True, False]), 1, 2.0)


def test_convert_to_tensor_refuses_another_dtype() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "Tensor conversion requested dtype float64 for Tensor with dtype float32: "
            "<tf.Tensor: shape=(1,), dtype=float32, numpy=array([1.], dtype=float32)>")):
        tf.convert_to_tensor(tf.constant([1.0]), dtype=tf.float64)
    with pytest.raises(ValueError, match=re.escape(
            "Incompatible type conversion requested to type float64 for `tf.Variable of type "
            "float32. (Variable: <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>)")):
        tf.convert_to_tensor(tf.Variable(1.0), dtype=tf.float64)
    assert str(tf.convert_to_tensor([1, 2], dtype=tf.float32)) == (
        "tf.Tensor([1. 2.], shape=(2,), dtype=float32)")


def test_other_texts() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "`logits` and `labels` must have the same shape, received ((2,) vs (3,)).")):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([0.0, 1.0, 1.0]),
                                                logits=tf.constant([2.0, -1.0]))
    with pytest.raises(ValueError, match=re.escape(
            "Must specify maxval for integer dtype tf.int64")):
        tf.random.uniform([2], dtype=tf.int64)
