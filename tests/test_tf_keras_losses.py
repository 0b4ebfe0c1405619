"""``tf.keras.losses``: Keras 3's loss objects and functions against what Keras 3.15 (with
TensorFlow 2.18, CPU) printed for the same calls: the reduced losses and their gradients with
respect to the predictions (probabilities and logits), through ``tf.GradientTape``.

TensorFlow is not imported (it lives in a separate venv); its values are written below. Float32
losses may differ from Keras's in the last digit or two (TensorFlow's ``exp`` and ``log`` are
not NumPy's), hence the tolerance of a few float32 ulps.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualgrad.tf as tf

LOGITS = [[2.0, 1.0, 0.1], [0.5, -1.0, 3.0], [1.0, 1.0, 1.0]]
PROBS = [[0.7, 0.2, 0.1], [0.0, 0.0, 1.0], [0.3, 0.3, 0.3]]
SPARSE = [0, 2, 1]
ONE_HOT = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
BIN = [[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
BIN_P = [[0.1, 0.8], [1.0, 0.6], [0.0, 0.3]]
BIN_L = [[-1.0, 2.0], [3.0, 0.0], [0.5, -0.2]]
SW = [1.0, 0.5, 2.0]
CASES = [  # (loss class, arguments, y_true, y_pred, sample_weight)
    ("SparseCategoricalCrossentropy", {}, SPARSE, PROBS, None),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, SPARSE, LOGITS, SW),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "reduction": "sum"},
      SPARSE, LOGITS, None),
    ("SparseCategoricalCrossentropy", {"reduction": "none"}, SPARSE, PROBS, SW),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1},
      SPARSE, LOGITS, None),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1, "reduction": "sum"}, SPARSE, PROBS, SW),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS, None),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONE_HOT, LOGITS, SW),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1, "reduction": "none"},
      ONE_HOT, PROBS, None),
    ("CategoricalCrossentropy", {"from_logits": True, "reduction": "mean_with_sample_weight"},
      ONE_HOT, LOGITS, SW),
    ("BinaryCrossentropy", {}, BIN, BIN_P, SW),
    ("BinaryCrossentropy", {"label_smoothing": 0.2, "reduction": "sum"}, BIN, BIN_P, None),
    ("BinaryCrossentropy", {"from_logits": True}, BIN, BIN_L, None),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "reduction": "none"},
      BIN, BIN_L, SW),
    ("MeanSquaredError", {}, [1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]], None),
    ("MeanSquaredError", {"reduction": "sum"}, BIN, BIN_L, SW),
    ("MeanAbsoluteError", {}, [1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]], SW),
    ("MeanAbsoluteError", {"reduction": "none"}, BIN, BIN_L, None),
]

# What Keras printed for each case: the loss (float32) and its gradient w.r.t. y_pred. Float64
# predictions give the same values (Keras computes in float32, its float type), the gradient
# cast back to float64.
KERAS = [
    (0.48509583,
     [[-0.14285716, 0.3333333, 0.3333333],
      [0.0, 0.0, 0.0],
      [0.3703704, -0.74074066, 0.3703704]]),
    (0.8873639,
     [[-0.11366628, 0.080811, 0.032855302],
      [0.012432593, 0.0027740865, -0.015206685],
      [0.22222224, -0.44444442, 0.22222224]]),
    (1.6113167,
     [[-0.34099883, 0.242433, 0.0985659],
      [0.074595556, 0.016644519, -0.09124011],
      [0.33333334, -0.6666666, 0.33333334]]),
    ([0.35667497, 1.19209275e-07, 2.1972246],
     [[-0.42857146, 0.99999994, 0.99999994],
      [0.0, 0.0, 0.0],
      [2.2222223, -4.444444, 2.2222223]]),
    (0.25635216,
     [[-0.17049941, 0.1212165, 0.04928295],
      [0.037297778, 0.008322259, -0.045620054],
      [0.0, 0.0, 0.0]]),
    (0.3566751,
     [[-0.42857146, 0.99999994, 0.99999994],
      [0.0, 0.0, 0.0],
      [0.0, 0.0, 0.0]]),
    (0.48509583,
     [[-0.14285716, 0.33333334, 0.33333334],
      [0.0, 0.0, 0.0],
      [0.37037036, -0.74074066, 0.37037036]]),
    (0.95569724,
     [[-0.09144406, 0.06969989, 0.021744188],
      [0.0068770368, -0.0027814694, -0.0040955744],
      [0.20000002, -0.40000004, 0.20000002]]),
    ([0.46329743, 1.0745399, 1.0986123],
     [[-0.33333337, 0.8333333, 0.6666666],
      [0.0, 0.0, 0.0],
      [0.99999994, -1.9999999, 0.99999994]]),
    (0.76059765,
     [[-0.09742824, 0.06926657, 0.028161686],
      [0.010656509, 0.0023777885, -0.013034302],
      [0.19047621, -0.3809524, 0.19047621]]),
    (0.21621118,
     [[0.1851852, -0.20833334],
      [0.0, -0.1388889],
      [0.0, 0.4761905]]),
    (2.4428403,
     [[0.0, -0.31250006],
      [0.0, -0.625],
      [0.0, 0.47619045]]),
    (0.45902333,
     [[0.044823572, -0.019867152],
      [-0.007904313, -0.083333336],
      [0.103743225, 0.07502767]]),
    ([0.3700948, 0.2604336, 1.5422158],
     [[0.08447072, -0.009601474],
      [0.013143523, -0.10000001],
      [0.52245927, 0.350166]]),
    (0.41666666,
     [[0.33333334],
      [-0.0],
      [-0.6666667]]),
    (2.54,
     [[-1.0, 1.0],
      [1.0, -0.5],
      [1.0, -0.4]]),
    (0.8333333,
     [[0.33333334],
      [-0.0],
      [-0.6666667]]),
    ([1.0, 1.5, 0.35],
     [[-0.5, 0.5],
      [0.5, -0.5],
      [0.5, -0.5]]),
]


def _check(got: object, want: object) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=1e-6, atol=3e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case, expected", list(zip(CASES, KERAS)))
def test_loss_objects_match_keras(case: tuple, expected: tuple, dtype: type) -> None:
    name, kwargs, y_true, y_pred, sample_weight = case
    x = tf.Variable(np.array(y_pred, dtype))
    with tf.GradientTape() as tape:
        loss = getattr(tf.keras.losses, name)(**kwargs)(y_true, x, sample_weight=sample_weight)
    grad = tape.gradient(loss, x)
    assert loss.dtype == tf.float32 and grad.dtype == dtype
    _check(loss.numpy(), expected[0])
    _check(grad.numpy(), expected[1])


def test_function_forms_give_per_example_losses_in_the_inputs_dtype() -> None:
    losses = tf.keras.losses
    _check(losses.sparse_categorical_crossentropy(SPARSE, PROBS),
           [3.5667497e-01, 2.3841855e-07, 1.0986123e+00])
    _check(losses.sparse_categorical_crossentropy(SPARSE, LOGITS, from_logits=True,
                                                  ignore_class=1), [0.41702995, 0.09567437, 0.0])
    _check(losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True),
           [0.41702995, 0.09567437, 1.0986123])
    _check(losses.binary_crossentropy(BIN, BIN_P), [0.16425204, 0.25541285, 0.17833754])
    _check(losses.binary_crossentropy(BIN, BIN_L, from_logits=True),
           [0.22009484, 0.37086725, 0.7861079])
    _check(losses.mean_squared_error([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]]), [0.25, 0.0, 1.0])
    _check(losses.mean_absolute_error([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]]), [0.5, 0.0, 1.0])
    ones = np.ones((2, 3))
    pred = np.array([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]])  # float64 stays float64, as in Keras
    mse = losses.mean_squared_error(ones, pred)
    assert mse.dtype == tf.float64 and mse.numpy().tolist() == [5 / 3, 1.0]
    assert losses.mean_absolute_error(ones, pred).numpy().tolist() == [1.0, 1.0]
    x = tf.Variable(np.array(LOGITS))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(losses.sparse_categorical_crossentropy(SPARSE, x, from_logits=True))
    assert y.dtype == tf.float64 and tape.gradient(y, x).dtype == tf.float64


def test_loss_object_details_as_keras() -> None:
    losses = tf.keras.losses
    # labels of shape (n, 1) are squeezed; sample weights apply before the reduction
    _check(losses.SparseCategoricalCrossentropy(from_logits=True)([[0], [2], [1]], LOGITS),
           0.53710556)
    ones, pred = np.ones((2, 3)), [[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]
    _check(losses.MeanSquaredError(reduction="sum")(ones, pred, sample_weight=[1.0, 3.0]),
           4.6666665)
    _check(losses.MeanAbsoluteError(reduction="sum")(ones, pred, sample_weight=[1.0, 3.0]), 4.0)
    _check(losses.MeanSquaredError(reduction=None)(ones, pred), [1.6666666, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's mean of an empty slice)
        assert np.isnan(losses.MeanSquaredError()([], []).numpy())  # Keras gives NaN too
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None}
    assert losses.CategoricalCrossentropy().get_config() == {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}
    assert losses.MeanAbsoluteError().get_config() == {
        "name": "mean_absolute_error", "reduction": "sum_over_batch_size"}
    assert losses.BinaryCrossentropy().name == "binary_crossentropy"
    with pytest.raises(ValueError, match=r"Invalid value for argument `reduction`. Expected one "
                       r"of \{.*\}. Received: reduction=bogus$"):
        losses.MeanSquaredError(reduction="bogus")


def test_loss_subclass_defines_call() -> None:
    class Squares(tf.keras.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.square(y_true - y_pred)

    loss_fn = Squares()
    assert loss_fn.name == "squares" and loss_fn.reduction == "sum_over_batch_size"
    x = tf.Variable([0.0, 4.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = loss_fn([1.0, 2.0], x, sample_weight=[1.0, 0.5])
    assert loss.dtype == tf.float32 and float(loss) == 1.5
    assert tape.gradient(loss, x).numpy().tolist() == [-1.0, 1.0]
    with pytest.raises(NotImplementedError):
        tf.keras.losses.Loss()([1.0], [1.0])
