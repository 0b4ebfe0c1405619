"""Keras's learning-rate schedules (``tf.keras.optimizers.schedules``) and the Keras
optimizers driven by them, against what Keras 3.15 (TensorFlow 2.18, CPU) printed.

TensorFlow is not imported (it lives in a separate venv). The schedules' float32 values are
compared bit for bit (as their shortest decimal texts), and so are 20 steps of SGD with
momentum and of Adam with each schedule.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad.tf as tf
from dualgrad.optim import keras as dg_keras

SPECS = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.7}),
    ("ExponentialDecay", {"initial_learning_rate": 0.01, "decay_steps": 7, "decay_rate": 0.96,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 10], "values": [0.1, 0.05, 0.01]}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 15, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 10, "warmup_target": 0.1,
                     "warmup_steps": 5, "alpha": 0.05}),
]

# Keras's values at steps 0, 1, ..., 21 (str of each float32)
KERAS_VALUES = [
    "0.1 0.0887904 0.07883736 0.07 0.06215328 0.05518615 0.049 0.043507297 0.038630303 0.0343 "
    "0.030455107 0.02704121 0.024009999 0.021318574 0.018928848 0.016807 0.014923001 "
    "0.013250194 0.011764899 0.0104461005 0.009275136 0.008235429",
    "0.01 0.01 0.01 0.01 0.01 0.01 0.01 0.0095999995 0.0095999995 0.0095999995 0.0095999995 "
    "0.0095999995 0.0095999995 0.0095999995 0.009215999 0.009215999 0.009215999 0.009215999 "
    "0.009215999 0.009215999 0.009215999 0.00884736",
    "0.1 0.1 0.1 0.1 0.1 0.1 0.05 0.05 0.05 0.05 0.05 0.01 0.01 0.01 0.01 0.01 0.01 0.01 0.01 "
    "0.01 0.01 0.01",
    "0.1 0.099016644 0.09610954 0.091405764 0.08511087 0.0775 0.06890576 0.05970378 "
    "0.050296213 0.041094225 0.032499995 0.02488912 0.018594233 0.013890453 0.010983357 "
    "0.010000001 0.010000001 0.010000001 0.010000001 0.010000001 0.010000001 0.010000001",
    "0.0 0.020000001 0.040000003 0.060000002 0.080000006 0.1 0.09767518 0.09092831 0.0804198 "
    "0.0671783 0.0525 0.037821684 0.024580203 0.01407169 0.007324817 0.0050000004 "
    "0.0050000004 0.0050000004 0.0050000004 0.0050000004 0.0050000004 0.0050000004",
]

# Keras's variable after 5 and after 20 steps minimizing sum((w - [1, -2, 0.5])**2) from
# w = [0.3, 0.7, -1.1], with SGD(momentum=0.9) and with Adam(), each schedule in SPECS order.
KERAS_TRAJECTORIES = {
    "SGD": [
        ("1.3590829 -3.3850343 1.3207611", "0.67669564 -0.7529685 -0.23898163"),
        None,  # (the staircase schedule: its values are tested above)
        ("1.406294 -3.567134 1.4286721", "0.5442524 -0.24211597 -0.54170895"),
        ("1.4040697 -3.558554 1.4235877", "0.5502986 -0.2654376 -0.5278889"),
        ("0.74932456 -1.033109 -0.072972536", "0.8878825 -1.567547 0.24373126"),
    ],
    "Adam": [
        ("0.69169027 0.3014241 -0.70255023", "0.994177 -0.09650093 -0.31694323"),
        None,  # (the staircase schedule: its values are tested above)
        ("0.7854441 0.20202678 -0.60398906", "1.0672704 -0.22304185 -0.19627441"),
        ("0.75911945 0.23012641 -0.6318265", "1.0567067 -0.20355701 -0.21485159"),
        ("0.4987209 0.500278 -0.9004895", "1.0028887 -0.08371948 -0.3293845"),
    ],
}


def _texts(values: object) -> str:
    return " ".join(str(np.float32(v)) for v in np.asarray(values).reshape(-1))


@pytest.mark.parametrize("spec, expected", list(zip(SPECS, KERAS_VALUES)))
def test_schedule_values_are_keras_bit_for_bit(spec: tuple, expected: str) -> None:
    name, kwargs = spec
    schedule = getattr(tf.keras.optimizers.schedules, name)(**kwargs)
    values = [schedule(step) for step in range(22)]
    assert all(v.dtype == tf.float32 and v.shape == () for v in values)
    assert _texts([v.numpy() for v in values]) == expected
    assert isinstance(schedule, getattr(dg_keras, name))
    assert _texts(getattr(dg_keras, name)(**kwargs)(7)) == expected.split()[7]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("index", [0, 2, 3, 4])
def test_optimizers_with_schedules_follow_keras(optimizer: str, index: int) -> None:
    name, kwargs = SPECS[index]
    schedule = getattr(tf.keras.optimizers.schedules, name)(**kwargs)
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}
    opt = getattr(tf.keras.optimizers, optimizer)(learning_rate=schedule, **extra)
    w = tf.Variable([0.3, 0.7, -1.1])
    target = tf.constant([1.0, -2.0, 0.5])
    seen = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((w - target) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        seen.append(_texts(w.numpy()))
    assert (seen[4], seen[19]) == KERAS_TRAJECTORIES[optimizer][index]
    assert opt.iterations == 20


def test_schedule_printing_config_and_errors() -> None:
    schedules = tf.keras.optimizers.schedules
    assert tf.optimizers.schedules is schedules
    exp = schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.7)
    assert str(exp(3)) == "tf.Tensor(0.07, shape=(), dtype=float32)"
    assert str(exp(tf.constant(3))) == "tf.Tensor(0.07, shape=(), dtype=float32)"
    assert exp.get_config() == {"initial_learning_rate": 0.1, "decay_steps": 3,
                                "decay_rate": 0.7, "staircase": False,
                                "name": "ExponentialDecay"}
    assert schedules.PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01]).get_config() == {
        "boundaries": [5, 10], "values": [0.1, 0.05, 0.01], "name": "PiecewiseConstant"}
    assert schedules.CosineDecay(0.1, 15, alpha=0.1).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 15, "alpha": 0.1, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    # an integer step is compared with the boundaries cast to its dtype, as Keras does
    piecewise = schedules.PiecewiseConstantDecay([5.5], [0.1, 0.2])
    assert [float(piecewise(s)) for s in (5, 5.7, 6)] == [np.float32(0.1), np.float32(0.2),
                                                          np.float32(0.2)]
    with pytest.raises(ValueError) as info:
        schedules.PiecewiseConstantDecay([5, 10], [0.1, 0.05])
    assert str(info.value) == (
        "The length of boundaries should be 1 less than the length of values. Received: "
        "boundaries=[5, 10] of length 2, and values=[0.1, 0.05] of length 2.")
    with pytest.raises(ValueError, match=r"^Argument `decay_steps` must be > 0. Received: "
                                         r"decay_steps=0$"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(NotImplementedError, match=r"^Learning rate schedule "
                       r"'LearningRateSchedule' must override `__call__\(self, step\)`.$"):
        schedules.LearningRateSchedule()(1)


def test_custom_schedule_and_plain_callable_learning_rates() -> None:
    class Halving(tf.keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2.0 ** float(step)

    w = tf.Variable([1.0])
    opt = tf.keras.optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0]), w)])
    assert w.numpy().tolist() == [1.0 - 1.0 - 0.5 - 0.25]
    # As Keras 3: a callable that is not a schedule is called with no argument.
    calls = []
    opt = tf.keras.optimizers.SGD(learning_rate=lambda *args: calls.append(args) or 0.1)
    opt.apply_gradients([(tf.constant([1.0]), w)])
    assert calls == [()] and w.numpy().tolist() == [np.float32(-0.75) - np.float32(0.1)]


def test_iterations_print_as_keras_variable() -> None:
    # Keras 3.15: <Variable path=sgd/iteration, shape=(), dtype=int64, value=0> for the first
    # SGD() of a process (later ones are sgd_1, sgd_2...: dualgrad does not number them).
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    assert repr(opt.iterations) == "<Variable path=sgd/iteration, shape=(), dtype=int64, value=0>"
    w = tf.Variable([1.0])
    returned = opt.apply_gradients([(tf.constant([1.0]), w)])
    assert returned is opt.iterations and opt.iterations == 1
    assert str(opt.iterations) == "<Variable path=sgd/iteration, shape=(), dtype=int64, value=1>"
    count = opt.iterations.numpy()
    assert type(count) is np.int64 and count == 1 and int(opt.iterations) == 1
    assert opt.iterations.dtype == "int64" and opt.iterations.shape == ()
    adam = tf.keras.optimizers.Adam(name="myopt")
    assert repr(adam.iterations) == (
        "<Variable path=myopt/iteration, shape=(), dtype=int64, value=0>")
