"""The TensorFlow names tutorials use that ``dualgrad.tf`` added later: argmax/argmin,
expand_dims, squeeze, clip_by_value, one_hot, gather, linalg.matvec, the softmax
cross-entropies and ``tf.keras.optimizers.Adam``.

Every expected value, gradient and error text here was printed by TensorFlow 2.18 (Keras
3.15) on the CPU (TensorFlow is not imported: it lives in a separate venv). Float64 values are
compared to about 1e-15, float32 losses to the last digit or two (TensorFlow's ``exp`` is not
NumPy's); gradients are also checked against finite differences where no TensorFlow value is
given.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import dualgrad.tf as tf
from tests.test_tf_namespace import _fd_grad

_NODE = "{{function_node __wrapped__%s_device_/job:localhost/replica:0/task:0/device:CPU:0}} "


def _op_error(fn: object) -> str:
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn()  # type: ignore[operator]
    return str(info.value)


# --------------------------------------------------------------------------------------------
# argmax / argmin


def test_argmax_argmin_values_and_dtypes() -> None:
    m = [[1, 5, 3], [7, 2, 7]]
    assert repr(tf.argmax(m)) == "<tf.Tensor: shape=(3,), dtype=int64, numpy=array([1, 0, 1])>"
    assert tf.argmax(m, axis=1).numpy().tolist() == [1, 0]  # the first of ties
    out = tf.argmax(m, axis=-1, output_type=tf.int32)
    assert out.dtype == tf.int32 and out.numpy().tolist() == [1, 0]
    assert tf.argmin([[1, 5, 3], [7, 2, 1]], 1).numpy().tolist() == [0, 2]
    assert tf.math.argmax is tf.argmax and tf.math.argmin is tf.argmin
    assert tf.argmax([[1.0, 2.0]], axis=tf.constant(1)).numpy().tolist() == [1]
    assert tf.argmax([True, False]).numpy() == 0


def test_argmax_skips_nan_as_tensorflows_cpu_kernel() -> None:
    nan = np.nan
    assert tf.argmax([1.0, nan, 3.0]).numpy() == 2  # NumPy would say 1
    assert tf.argmin([1.0, nan, 3.0]).numpy() == 0
    assert tf.argmax([nan, 1.0, 3.0]).numpy() == 2
    assert tf.argmin([nan, 1.0, 3.0]).numpy() == 1
    assert tf.argmax([nan, nan]).numpy() == 0
    assert tf.argmax([-np.inf, -np.inf]).numpy() == 0
    assert tf.argmax([[1.0, nan], [nan, 2.0], [0.0, 5.0]], axis=0).numpy().tolist() == [0, 2]
    assert tf.argmax([[nan, nan, 3.0], [nan, nan, nan]], axis=1).numpy().tolist() == [2, 0]


def test_argmax_errors() -> None:
    assert _op_error(lambda: tf.argmax(tf.constant(3.0))) == (
        _NODE % "ArgMax" + "Expected dimension in the range [0, 0), but got 0 [Op:ArgMax] name: ")
    assert _op_error(lambda: tf.argmax([[1.0, 2.0]], axis=2)) == (
        _NODE % "ArgMax" + "Expected dimension in the range [-2, 2), but got 2 [Op:ArgMax]")
    assert _op_error(lambda: tf.argmin([[1.0, 2.0]], axis=-3)) == (
        _NODE % "ArgMin" + "Expected dimension in the range [-2, 2), but got -3 [Op:ArgMin]")
    assert _op_error(lambda: tf.argmax([[1.0, 2.0]], axis=[0, 1])) == (
        _NODE % "ArgMax" + "dim must be a scalar, but received tensor of shape: [2] [Op:ArgMax]")
    assert _op_error(lambda: tf.argmax(tf.zeros((0, 3)))) == (
        _NODE % "ArgMax" + "Reduction axis 0 is empty in shape [0,3] [Op:ArgMax] name: ")
    text = _op_error(lambda: tf.argmax([[1.0, 2.0]], output_type=tf.float32))
    assert text.startswith("Value for attr 'output_type' of float is not in the list of allowed "
                           "values: int16, uint16, int32, int64\n\t; NodeDef: {{node ArgMax}}")
    assert text.endswith("allowed=[DT_INT16, DT_UINT16, DT_INT32, DT_INT64]> [Op:ArgMax]")


# --------------------------------------------------------------------------------------------
# expand_dims / squeeze


def test_expand_dims_and_squeeze_shapes() -> None:
    assert tf.expand_dims([1.0, 2.0], 0).shape == (1, 2)
    assert tf.expand_dims([1.0, 2.0], -1).shape == (2, 1)
    assert tf.expand_dims([1.0, 2.0], -2).shape == (1, 2)
    assert tf.expand_dims([1.0, 2.0], [0]).shape == (1, 2)
    assert repr(tf.expand_dims(3, 0)) == (
        "<tf.Tensor: shape=(1,), dtype=int32, numpy=array([3], dtype=int32)>")
    x = tf.zeros((1, 2, 1, 3, 1))
    assert tf.squeeze(x).shape == (2, 3)
    assert tf.squeeze(x, axis=2).shape == (1, 2, 3, 1)
    assert tf.squeeze(x, axis=[0, -1]).shape == (2, 1, 3)
    assert tf.squeeze(x, axis=(0, 0)).shape == (2, 1, 3, 1)
    assert tf.squeeze(tf.zeros(())).shape == ()
    assert repr(tf.squeeze([[1]], 0)) == (
        "<tf.Tensor: shape=(1,), dtype=int32, numpy=array([1], dtype=int32)>")


def test_expand_dims_and_squeeze_errors() -> None:
    for axis in (2, 3, -3):
        assert _op_error(lambda a=axis: tf.expand_dims([1.0, 2.0], a)) == (
            _NODE % "ExpandDims" + f"Tried to expand dim index {axis} for tensor with 1 "
            "dimensions. [Op:ExpandDims]")
    assert _op_error(lambda: tf.expand_dims([1.0, 2.0], [0, 1])) == (
        _NODE % "ExpandDims" + "'dim' must be a tensor with a single value [Op:ExpandDims]")
    with pytest.raises(ValueError, match=re.escape(
            "Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to "
            "a Tensor.")):
        tf.expand_dims([1.0], None)
    x = tf.zeros((1, 2, 1, 3, 1))
    for axis in (1, [0, 1], -4):
        assert _op_error(lambda a=axis: tf.squeeze(x, axis=a)) == (
            _NODE % "Squeeze" + "Can not squeeze dim[1], expected a dimension of 1, got 2 "
            "[Op:Squeeze] name: ")
    for axis in (5, -6):
        assert _op_error(lambda a=axis: tf.squeeze(x, axis=a)) == (
            _NODE % "Squeeze" + f"Tried to squeeze dim index {axis} for tensor with 5 "
            "dimensions. [Op:Squeeze] name: ")


def test_expand_dims_squeeze_gradient() -> None:
    b = tf.Variable([1.0, -1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.squeeze(tf.expand_dims(b, 0)) * b)
    assert tape.gradient(y, b).numpy().tolist() == [2.0, -2.0, 4.0]


# --------------------------------------------------------------------------------------------
# clip_by_value


def test_clip_by_value_gradient_includes_the_bounds() -> None:
    # TensorFlow: tf.maximum(tf.minimum(t, hi), lo), ties to t: at t == lo or t == hi the
    # gradient goes to t (PyTorch's clamp agrees at the bounds).
    x = tf.Variable([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo, hi = tf.Variable(0.0), tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.clip_by_value(x, lo, hi)
        s = tf.reduce_sum(y * [1.0, 2.0, 3.0, 4.0, 5.0])
    assert str(y) == "tf.Tensor([0.  0.  0.5 1.  1. ], shape=(5,), dtype=float32)"
    dx, dlo, dhi = tape.gradient(s, [x, lo, hi])
    assert dx.numpy().tolist() == [0.0, 2.0, 3.0, 4.0, 0.0]
    assert float(dlo) == 1.0 and float(dhi) == 5.0


def test_clip_by_value_values_and_errors() -> None:
    assert tf.clip_by_value(tf.constant([1, 5, 9]), 2, 6).numpy().tolist() == [2, 5, 6]
    assert tf.clip_by_value(tf.constant([1.0, 5, 9]), 6.0, 2.0).numpy().tolist() == [6, 6, 6]
    assert str(tf.clip_by_value(tf.constant([1.0, np.nan, 9]), 2.0, 6.0)) == (
        "tf.Tensor([ 2. nan  6.], shape=(3,), dtype=float32)")
    assert tf.clip_by_value(tf.constant([[1.0, 5], [9, 0]]), [0.0, 2.0], [3.0, 4.0]
                            ).numpy().tolist() == [[1, 4], [3, 2]]
    with pytest.raises(TypeError, match="^Cannot convert 6.0 to EagerTensor of dtype int32$"):
        tf.clip_by_value(tf.constant([1, 5, 9]), 2.0, 6.0)
    assert _op_error(lambda: tf.clip_by_value(tf.constant([1.0, 5, 9]), [2.0, 3.0], 6.0)) == (
        _NODE % "Maximum" + "Incompatible shapes: [3] vs. [2] [Op:Maximum]")
    assert _op_error(lambda: tf.clip_by_value(tf.constant([1.0, 5, 9]), 2.0, [6.0, 7.0])) == (
        _NODE % "Minimum" + "Incompatible shapes: [3] vs. [2] [Op:Minimum]")
    with pytest.raises(ValueError, match=re.escape("Shapes (3,) and (2, 3) are incompatible")):
        tf.clip_by_value(tf.constant([1.0, 5, 9]), 2.0, [[6.0], [7.0]])
    assert _op_error(lambda: tf.clip_by_value(tf.constant([1.0, 5]),
                                              tf.constant(2.0, tf.float64), 3.0)) == (
        "cannot compute Maximum as input #1(zero-based) was expected to be a float tensor but "
        "is a double tensor [Op:Maximum] name: ")


# --------------------------------------------------------------------------------------------
# one_hot


def test_one_hot_values_and_dtypes() -> None:
    assert str(tf.one_hot([0, 2, -1, 3], 3)) == (
        "tf.Tensor(\n[[1. 0. 0.]\n [0. 0. 1.]\n [0. 0. 0.]\n [0. 0. 0.]], shape=(4, 3), "
        "dtype=float32)")
    out = tf.one_hot([0, 2], 3, on_value=5, off_value=-1)
    assert out.dtype == tf.int32 and out.numpy().tolist() == [[5, -1, -1], [-1, -1, 5]]
    assert tf.one_hot([0, 2], 3, on_value=5.0).dtype == tf.float32
    assert tf.one_hot([0, 2], 3, dtype=tf.int64).dtype == tf.int64
    assert tf.one_hot([0, 2], 3, on_value=5, dtype=tf.float32).numpy().tolist() == [
        [5, 0, 0], [0, 0, 5]]
    assert tf.one_hot([0, 2], 3, on_value=True, off_value=False).dtype == tf.bool
    assert tf.one_hot([0, 1], 3, on_value=tf.constant(2.0, tf.float64)).dtype == tf.float64
    assert tf.one_hot([[0, 2], [1, 1]], 3, axis=0).numpy().tolist() == [
        [[1, 0], [0, 0]], [[0, 0], [1, 1]], [[0, 1], [0, 0]]]
    assert tf.one_hot([[0, 2], [1, 1]], 3, axis=1).shape == (2, 3, 2)
    assert tf.one_hot([0, 2], 0).shape == (2, 0)
    assert tf.one_hot(1, 3).numpy().tolist() == [0, 1, 0]
    assert tf.one_hot(tf.constant([0, 2], tf.int64), tf.constant(4)).shape == (2, 4)


def test_one_hot_errors_and_no_gradient() -> None:
    with pytest.raises(TypeError, match=re.escape(
            "dtype <dtype: 'float32'> of on_value does not match dtype <dtype: 'int32'> of "
            "off_value")):
        tf.one_hot([0, 2], 3, on_value=5.0, off_value=1)
    with pytest.raises(TypeError, match=re.escape(
            "dtype <dtype: 'float64'> of on_value does not match dtype parameter "
            "<dtype: 'float32'>")):
        tf.one_hot([0, 1], 3, on_value=tf.constant(2.0, tf.float64), dtype=tf.float32)
    with pytest.raises(TypeError, match="Cannot convert 3.0 to EagerTensor of dtype int32"):
        tf.one_hot([0, 1], 3.0)
    for axis in (-2, 3):
        assert _op_error(lambda a=axis: tf.one_hot([[0, 2], [1, 1]], 3, axis=a)) == (
            _NODE % "OneHot" + f"Expected axis to be -1 or between [0, 3).  But received: {axis}"
            " [Op:OneHot]")
    assert _op_error(lambda: tf.one_hot([0, 2], -1)) == (
        _NODE % "OneHot" + "depth must be non-negative, got: -1 [Op:OneHot]")
    assert _op_error(lambda: tf.one_hot([0.0, 2.0], 3)).startswith(
        "Value for attr 'TI' of float is not in the list of allowed values: uint8, int8, int32, "
        "int64\n\t; NodeDef: {{node OneHot}}")
    on, off = tf.Variable(2.0), tf.Variable(0.5)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.one_hot([0, 2, 5], 3, on_value=on, off_value=off))
    assert tape.gradient(y, [on, off]) == [None, None]  # TensorFlow registers no gradient


# --------------------------------------------------------------------------------------------
# gather, linalg.matvec


def test_gather_values_gradient_and_errors() -> None:
    assert tf.gather([10.0, 20.0, 30.0], [2, 0, 0]).numpy().tolist() == [30, 10, 10]
    assert tf.gather([[1.0, 2.0], [3.0, 4.0]], [1], axis=1).numpy().tolist() == [[2], [4]]
    assert tf.gather([[1.0, 2.0], [3.0, 4.0]], [1], axis=-1).numpy().tolist() == [[2], [4]]
    assert tf.gather([[1.0, 2.0], [3.0, 4.0]], [[1, 0], [0, 0]]).shape == (2, 2, 2)
    assert repr(tf.gather([10.0, 20.0, 30.0], 1)) == (
        "<tf.Tensor: shape=(), dtype=float32, numpy=20.0>")
    p = tf.Variable([10.0, 20.0, 30.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(p, [2, 0, 0]) * [1.0, 2.0, 3.0])
    # (TensorFlow returns IndexedSlices; converted, they are these values)
    assert tape.gradient(y, p).numpy().tolist() == [5.0, 0.0, 1.0]
    for idx, text in (([3], "indices[0] = 3 is not in [0, 3)"),
                      ([-1], "indices[0] = -1 is not in [0, 3)"),
                      ([[0, 1], [5, 0]], "indices[1,0] = 5 is not in [0, 3)")):
        assert _op_error(lambda i=idx: tf.gather([10.0, 20.0, 30.0], i)) == (
            _NODE % "GatherV2" + text + " [Op:GatherV2]")
    assert _op_error(lambda: tf.gather([[1.0, 2.0], [3.0, 4.0]], [1], axis=2)) == (
        _NODE % "GatherV2" + "Shape must be at least rank 3 but is rank 2 [Op:GatherV2]")
    assert _op_error(lambda: tf.gather([1.0], [1.0])).startswith(
        "Value for attr 'Tindices' of float is not in the list of allowed values: int16, int32, "
        "int64")
    with pytest.raises(NotImplementedError, match="batch_dims"):
        tf.gather([[1.0, 2.0]], [[0]], batch_dims=1)


def test_matvec_values_gradient_and_errors() -> None:
    m = [[1.0, 2.0], [3.0, 4.0]]
    assert tf.linalg.matvec(m, [1.0, 1.0]).numpy().tolist() == [3, 7]
    assert tf.linalg.matvec(m, [1.0, 1.0], transpose_a=True).numpy().tolist() == [4, 6]
    assert tf.linalg.matvec(tf.ones((2, 2, 3)), tf.ones((3,))).shape == (2, 2)
    assert tf.linalg.matvec(tf.ones((2, 3)), tf.ones((1, 3))).shape == (1, 2)
    a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = tf.Variable([1.0, -1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.linalg.matvec(a, b) * [1.0, 3.0])
    da, db = tape.gradient(y, [a, b])
    assert da.numpy().tolist() == [[1, -1, 2], [3, -3, 6]]
    assert db.numpy().tolist() == [13, 17, 21]
    assert _op_error(lambda: tf.linalg.matvec(tf.ones((2, 3)), tf.ones((2,)))) == (
        _NODE % "__MklMatMul" + "Matrix size-incompatible: In[0]: [2,3], In[1]: [2,1] "
        "[Op:MatMul] name: ")
    assert _op_error(lambda: tf.linalg.matvec(tf.ones((2, 2, 3)), tf.ones((4, 3)))) == (
        _NODE % "__MklBatchMatMulV2" + "In[0] and In[1] must have compatible batch dimensions: "
        "[2,2,3] vs. [4,3,1] [Op:BatchMatMulV2] name: ")
    assert _op_error(lambda: tf.linalg.matvec(tf.ones((2, 3)), tf.ones((3,), tf.float64))) == (
        "cannot compute _MklMatMul as input #1(zero-based) was expected to be a float tensor "
        "but is a double tensor [Op:MatMul] name: ")


# --------------------------------------------------------------------------------------------
# softmax cross-entropies

_LOGITS = [[2.0, 1.0, 0.1], [0.5, -1.0, 3.0]]
_LABELS = [[1.0, 0.0, 0.0], [0.2, 0.3, 0.9]]  # the second row sums to 1.4


def test_softmax_cross_entropy_values() -> None:
    f64 = tf.float64
    loss = tf.nn.softmax_cross_entropy_with_logits(tf.constant(_LABELS, f64),
                                                   tf.constant(_LOGITS, f64))
    np.testing.assert_allclose(loss.numpy(), [0.41703001627783354, 1.8339440611801354],
                               rtol=1e-15)
    loss0 = tf.nn.softmax_cross_entropy_with_logits(tf.constant(_LABELS, f64),
                                                    tf.constant(_LOGITS, f64), axis=0)
    np.testing.assert_allclose(loss0.numpy(), [0.541695933579303, 0.6380784033128918,
                                               0.04820649859616678], rtol=1e-15)
    loss32 = tf.nn.softmax_cross_entropy_with_logits(labels=_LABELS, logits=_LOGITS)
    assert loss32.dtype == tf.float32
    np.testing.assert_allclose(loss32.numpy(), [0.4170299470424652, 1.8339442014694214],
                               rtol=2e-7)
    # labels broadcast (after both are made matrices), and take the logits' dtype
    np.testing.assert_allclose(tf.nn.softmax_cross_entropy_with_logits(
        labels=[1.0, 0.0, 0.0], logits=[[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]).numpy(),
        [2.407606, 1.0986123], rtol=2e-7)
    assert tf.nn.softmax_cross_entropy_with_logits(
        labels=tf.constant([[0.0, 1.0]], tf.float64), logits=[[1.0, 2.0]]).dtype == tf.float32
    assert tf.nn.softmax_cross_entropy_with_logits(labels=[[0, 1]], logits=[[1.0, 2.0]]
                                                   ).dtype == tf.float32
    big = tf.nn.softmax_cross_entropy_with_logits(labels=[[0.0, 1.0]], logits=[[1000.0, -1000.0]])
    assert big.numpy().tolist() == [2000.0]
    assert np.isnan(tf.nn.softmax_cross_entropy_with_logits(
        labels=[[0.0, 1.0]], logits=[[np.inf, 0.0]]).numpy()[0])
    assert tf.nn.softmax_cross_entropy_with_logits(tf.zeros((2, 0)), tf.zeros((2, 0))
                                                   ).numpy().tolist() == [0.0, 0.0]
    assert tf.nn.softmax_cross_entropy_with_logits(tf.ones((2, 2, 3)) / 3,
                                                   tf.zeros((2, 2, 3))).shape == (2, 2)


def test_softmax_cross_entropy_gradients_are_tensorflows() -> None:
    f64 = tf.float64
    logits = tf.Variable(_LOGITS, dtype=f64)
    labels = tf.Variable(_LABELS, dtype=f64)
    with tf.GradientTape(persistent=True) as tape:
        s = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels, logits) *
                          tf.constant([1.0, 2.0], f64))
        s0 = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels, logits, axis=0))
    dlogits, dlabels = tape.gradient(s, [logits, labels])
    # softmax - labels, even for the row whose labels sum to 1.4 (TensorFlow's formula)
    np.testing.assert_allclose(dlogits.numpy(), [
        [-0.3409988611140321, 0.2424329707047139, 0.09856589040931818],
        [-0.25080888573557114, -0.5667109627814553, 0.01751984851702648]], rtol=1e-14)
    np.testing.assert_allclose(dlabels.numpy(), [
        [0.41703001627783354, 1.4170300162778335, 2.3170300162778332],
        [5.1913486588287645, 8.191348658828765, 0.19134865882876456]], rtol=1e-15)
    d0 = tape.gradient(s0, [logits, labels])
    np.testing.assert_allclose(d0[0].numpy(), [
        [-0.18242552380635635, 0.8807970779778823, 0.05215356307841774],
        [-0.01757447619364369, -0.18079707797788244, 0.0478464369215823]], rtol=1e-14)
    np.testing.assert_allclose(d0[1].numpy(), [
        [0.20141327798275246, 0.1269280110429726, 2.953562776217963],
        [1.7014132779827524, 2.1269280110429727, 0.05356277621796309]], rtol=1e-14)
    # for distributions, TensorFlow's gradient is the derivative: finite differences agree
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    x0 = np.array(_LOGITS)
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(tf.constant(p), x))
    ref = _fd_grad(lambda v: np.sum(-p * (v - np.log(np.exp(v).sum(-1, keepdims=True)))), x0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), ref, rtol=1e-7)


_SECOND = [[-0.2896736718680152, 0.13586798217582874, 0.15380568969218666],
           [-0.0012416071388561822, 0.01636747860953794, -0.015125871470681757]]


@pytest.mark.parametrize("sparse", [False, True])
def test_cross_entropy_second_derivative(sparse: bool) -> None:
    logits = tf.Variable(_LOGITS, dtype=tf.float64)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = tf.reduce_sum(
                tf.nn.sparse_softmax_cross_entropy_with_logits([0, 2], logits) if sparse else
                tf.nn.softmax_cross_entropy_with_logits(tf.constant(_LABELS, tf.float64),
                                                        logits))
        g = inner.gradient(loss, logits)
        gg = tf.reduce_sum(g * tf.constant([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], tf.float64))
    np.testing.assert_allclose(outer.gradient(gg, logits).numpy(), _SECOND, rtol=1e-13)


def test_softmax_cross_entropy_errors() -> None:
    assert _op_error(lambda: tf.nn.softmax_cross_entropy_with_logits(
        labels=[[1.0, 0.0]], logits=[[1.0, 2.0, 3.0]])) == (
        _NODE % "SoftmaxCrossEntropyWithLogits" + "logits and labels must be broadcastable: "
        "logits_size=[1,3] labels_size=[1,2] [Op:SoftmaxCrossEntropyWithLogits] name: ")
    assert _op_error(lambda: tf.nn.softmax_cross_entropy_with_logits(
        labels=[[0, 1]], logits=[[1, 2]])) == (
        "Value for attr 'T' of int32 is not in the list of allowed values: half, bfloat16, float, "
        "double\n\t; NodeDef: {{node SoftmaxCrossEntropyWithLogits}}; "
        "Op<name=SoftmaxCrossEntropyWithLogits; signature=features:T, labels:T -> loss:T, "
        "backprop:T; attr=T:type,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE]> "
        "[Op:SoftmaxCrossEntropyWithLogits] name: ")


def test_sparse_softmax_cross_entropy_values_and_gradient() -> None:
    logits = tf.Variable(_LOGITS, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 2], logits=logits)
        s = tf.reduce_sum(loss * tf.constant([1.0, 2.0], tf.float64))
    np.testing.assert_allclose(loss.numpy(), [0.41703001627783354, 0.09567432941438228],
                               rtol=1e-15)
    np.testing.assert_allclose(tape.gradient(s, logits).numpy(), [
        [-0.3409988611140321, 0.2424329707047139, 0.09856589040931818],
        [0.14919111426442888, 0.033289037218544704, -0.18248015148297347]], rtol=1e-14)
    loss32 = tf.nn.sparse_softmax_cross_entropy_with_logits([0, 2], _LOGITS)
    np.testing.assert_allclose(loss32.numpy(), [0.41702995, 0.09567437], rtol=2e-7)
    three = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[[0, 1], [2, 0]], logits=tf.reshape(tf.range(12.0), (2, 2, 3)))
    np.testing.assert_allclose(three.numpy(), [[2.407606, 1.4076059], [0.40760595, 2.407606]],
                               rtol=2e-7)
    assert tf.nn.sparse_softmax_cross_entropy_with_logits(0, [1.0, 2.0]).shape == ()
    assert tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[1000.0, -1000.0]]
                                                          ).numpy().tolist() == [2000.0]


def test_sparse_softmax_cross_entropy_errors() -> None:
    op = "SparseSoftmaxCrossEntropyWithLogits"
    # On the CPU TensorFlow refuses labels out of range (its GPU kernel gives NaN); it names
    # the smallest label if one is negative, else the largest, and lists them all.
    for labels, bad, listed in (([0, 5], 5, "0 5"), ([0, -1], -1, "0 -1"), ([3, 5], 5, "3 5"),
                                ([-2, 5], -2, "-2 5")):
        assert _op_error(lambda lab=labels: tf.nn.sparse_softmax_cross_entropy_with_logits(
            lab, _LOGITS)) == (
            _NODE % op + f"Received a label value of {bad} which is outside the valid range of "
            f"[0, 3).  Label values: {listed} [Op:{op}] name: ")
    assert _op_error(lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [[0, 1], [3, 0]], tf.ones((2, 2, 3)))).endswith(
        "outside the valid range of [0, 3).  Label values: 0 1 3 0 [Op:"
        f"{op}] name: ")
    assert _op_error(lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [0, 0], tf.zeros((2, 0)))) == (
        _NODE % op + f"Must have at least one class, but got logits shape [2,0] [Op:{op}] name: ")
    with pytest.raises(ValueError, match=re.escape(
            "`labels.shape` must equal `logits.shape` except for the last dimension. Received: "
            "labels.shape=(3,) and logits.shape=(2, 3)")):
        tf.nn.sparse_softmax_cross_entropy_with_logits([0, 1, 2], tf.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            "labels.shape=(1, 2) of rank 2 and logits.shape=(2, 3) of rank 2")):
        tf.nn.sparse_softmax_cross_entropy_with_logits([[0, 1]], tf.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape(
            "`logits` cannot be a scalar. Received logits=2.0`")):
        tf.nn.sparse_softmax_cross_entropy_with_logits([0], 2.0)
    assert _op_error(lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [0.0, 1.0], tf.ones((2, 3)))).startswith(
        "Value for attr 'Tlabels' of float is not in the list of allowed values: int32, int64")
    assert _op_error(lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [0, 1], [[1, 2], [3, 4]])).startswith(
        "Value for attr 'T' of int32 is not in the list of allowed values: half, bfloat16, "
        "float, double")


# --------------------------------------------------------------------------------------------
# tf.keras.optimizers.Adam: 20 steps against Keras 3's trajectory, bit for bit


def _adam_trajectory(dtype: type, **kwargs: object) -> list:
    w = tf.Variable(np.array([1.0, -2.0, 0.5, 0.3], dtype))
    target = np.array([0.5, 1.0, -1.0, 0.0], dtype)
    c = np.array([1.0, 10.0, 0.1, 3.0], dtype)
    opt = tf.keras.optimizers.Adam(**kwargs)
    out = []
    for _ in range(20):
        wn = w.numpy()
        g = dtype(2) * c * (wn - target) + np.sign(wn)  # (the same gradients were fed to Keras)
        opt.apply_gradients([(tf.constant(g), w)])
        out.append(w.numpy().tolist())
    assert opt.iterations == 20
    return out


@pytest.mark.parametrize(("dtype", "kwargs", "step5", "step20"), [
    (np.float32, {},
     [0.995000422000885, -1.9950002431869507, 0.49500012397766113, 0.29500100016593933],
     [0.9800240993499756, -1.9800080060958862, 0.48000380396842957, 0.28005221486091614]),
    (np.float32, {"learning_rate": 0.1},
     [0.5079678893089294, -1.5017483234405518, 0.0007392615079879761, -0.1379033476114273],
     [0.11586131155490875, -0.1165827289223671, 0.06787004321813583, -0.015611756592988968]),
    (np.float32, {"learning_rate": 0.05, "amsgrad": True, "beta_1": 0.8, "beta_2": 0.99,
                  "epsilon": 1e-3},
     [0.753486156463623, -1.7507904767990112, 0.25159168243408203, 0.05779283121228218],
     [0.16778837144374847, -1.0401968955993652, -0.012152999639511108, 0.002203734591603279]),
    # float64 variables: Keras still rounds the learning rate and the betas of the powers
    # through float32
    (np.float64, {"learning_rate": 0.1},
     [0.5079673681487503, -1.501747704204933, 0.0007386989788260717, -0.13790371812368266],
     [0.11586123921578798, -0.11658166297826657, 0.06786964332995318, -0.015611643462413064]),
])
def test_adam_matches_keras_trajectory(dtype: type, kwargs: dict, step5: list,
                                       step20: list) -> None:
    trajectory = _adam_trajectory(dtype, **kwargs)
    assert trajectory[4] == step5
    assert trajectory[19] == step20


def test_adam_defaults_and_training_loop() -> None:
    opt = tf.keras.optimizers.Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)
    assert tf.optimizers.Adam is tf.keras.optimizers.Adam
    w = tf.Variable(2.0)
    opt = tf.keras.optimizers.Adam(learning_rate=0.1)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = (w - 5.0) ** 2
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    assert opt.iterations == 3 and len(opt.variables) == 2
    assert float(w.numpy()) == pytest.approx(2.3, abs=1e-3)  # about lr per step at first
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable\.$"):
        opt.apply_gradients([(None, w)])
