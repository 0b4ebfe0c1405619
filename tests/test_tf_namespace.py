"""``import dualgrad.tf as tf``: seed 003's TensorFlow cells and the namespace's functions.

The seed cells run as written with only the import changed; their printed output must be
TensorFlow's, character for character. Function values are checked against NumPy, gradients
against central finite differences in float64.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import textwrap

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.tf as tf


def run(code: str, ns: dict) -> str:
    """Run a notebook cell in ``ns``; return what it printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(textwrap.dedent(code), ns)
    return buf.getvalue()


@pytest.fixture
def ns() -> dict:
    namespace: dict = {}
    exec("import dualgrad.tf as tf\nimport numpy as np", namespace)
    return namespace


def _fd_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        g[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return g


# --------------------------------------------------------------------------------------------
# Seed 003, section 11: GradientTape in TensorFlow


def test_seed003_tf_variable_scalar(ns: dict) -> None:
    out = run('''
        # 1. for tf.Variable()
        x = tf.Variable(3.0, trainable = True) # defualt, trainable is True


        # start recording gradients
        with tf.GradientTape(persistent=True) as tape:
            # tape.watch(x) # if trainable is False, we need to watch the Variable
            y = x**2
            z = tf.sin(y)

        # computing gradients
        dz_dy = tape.gradient(z,y)
        dz_dx = tape.gradient(z,x)

        print(dz_dy)
        print(dz_dx)
    ''', ns)
    assert out == ("tf.Tensor(-0.91113025, shape=(), dtype=float32)\n"
                   "tf.Tensor(-5.4667816, shape=(), dtype=float32)\n")
    # The values are cos(9) and 6 cos(9), in float32.
    assert ns["dz_dy"].numpy() == np.float32(np.cos(np.float32(9.0)))
    assert ns["dz_dx"].numpy() == pytest.approx(6 * np.cos(9.0), rel=1e-6)


def test_seed003_tf_constant_scalar(ns: dict) -> None:
    out = run('''
        # 2. for tf.constant()
        x = tf.constant(3.0)

        # start recording gradients
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)  # manually tell tape to watch this constant
            y = x**2
            z = tf.sin(y)

        # if not watched for constant it will print 'None'

        # computing gradients
        dz_dy = tape.gradient(z,y)
        dz_dx = tape.gradient(z,x)

        print(dz_dy)
        print(dz_dx)
    ''', ns)
    assert out == ("tf.Tensor(-0.91113025, shape=(), dtype=float32)\n"
                   "tf.Tensor(-5.4667816, shape=(), dtype=float32)\n")
    run("del tape", ns)
    assert "tape" not in ns


def test_seed003_tf_constant_not_watched_prints_none(ns: dict) -> None:
    # The cell's comment: "if not watched for constant it will print 'None'".
    out = run('''
        x = tf.constant(3.0)
        with tf.GradientTape(persistent=True) as tape:
            y = x**2
            z = tf.sin(y)
        print(tape.gradient(z,y))
        print(tape.gradient(z,x))
    ''', ns)
    assert out == "None\nNone\n"


def test_seed003_tf_vectors(ns: dict) -> None:
    out = run('''
        x = tf.Variable(tf.linspace(0,3,10), trainable = True) # defualt, trainable is True


        # start recording gradients
        with tf.GradientTape(persistent=True) as tape:
            # tape.watch(x) # if trainable is False, we need to watch the Variable
            y = x**2
            z = tf.sin(y)

        # computing gradients
        dz_dy = tape.gradient(z,y)
        dz_dx = tape.gradient(z,x)

        print(dz_dy)
        print(dz_dx)
    ''', ns)
    assert out == (
        "tf.Tensor(\n"
        "[ 1.          0.99383351  0.90284967  0.54030231 -0.20550672 -0.93454613\n"
        " -0.65364362  0.6683999   0.67640492 -0.91113026], shape=(10,), dtype=float64)\n"
        "tf.Tensor(\n"
        "[ 0.          0.66255567  1.20379956  1.08060461 -0.54801792 -3.11515378\n"
        " -2.61457448  3.11919955  3.60749292 -5.46678157], shape=(10,), dtype=float64)\n"
    )
    x = np.linspace(0, 3, 10)
    np.testing.assert_allclose(ns["dz_dy"].numpy(), np.cos(x ** 2), rtol=1e-14)
    np.testing.assert_allclose(ns["dz_dx"].numpy(), 2 * x * np.cos(x ** 2), rtol=1e-14)


# --------------------------------------------------------------------------------------------
# Printing and conversion


def test_tensor_and_variable_printing() -> None:
    v = tf.Variable(3.0)
    assert repr(v) == str(v) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>"
    assert repr(tf.Variable([1.0, 2.0], name="w")) == (
        "<tf.Variable 'w:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>")
    y = v * 3
    assert isinstance(y, tf.EagerTensor)
    assert str(y) == "tf.Tensor(9.0, shape=(), dtype=float32)"
    assert repr(y) == "<tf.Tensor: shape=(), dtype=float32, numpy=9.0>"
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert str(m) == ("tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)")
    assert str(m.shape) == "(2, 2)" and repr(m.shape) == "TensorShape([2, 2])"
    assert m.shape.as_list() == [2, 2] and m.shape == (2, 2)
    assert f"{tf.constant(0.5):.2f}" == "0.50"


def test_eager_tensor_numpy_works_on_recorded_values() -> None:
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
        values = y.numpy()
        arr = np.asarray(y)
    np.testing.assert_array_equal(values, [1.0, 4.0])
    np.testing.assert_array_equal(arr, [1.0, 4.0])
    assert isinstance(tape.gradient(y, x), tf.EagerTensor)
    assert tf.constant(2.0).numpy() == np.float32(2.0)


def test_every_tf_result_is_an_eager_tensor() -> None:
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    results = [x + 1, 1 + x, x - 1, 2 - x, x * 2, x / 2, 2 / x, x ** 2, -x, abs(x), x @ x,
               x[0], tf.sin(x), tf.reduce_sum(x), tf.matmul(x, x), tf.nn.relu(x),
               tf.linalg.inv(x), tf.math.exp(x), tf.stop_gradient(x), tf.convert_to_tensor(x),
               tf.cast(x, tf.float64), x.read_value(), x < 2]
    assert all(type(r) is tf.EagerTensor for r in results)
    as64 = tf.cast(x, dtype=tf.float64)
    assert as64.dtype == tf.float64
    c = tf.constant(2.0)
    assert tf.convert_to_tensor(c) is c


def test_lists_next_to_tensors_are_converted() -> None:
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * [3.0, 4.0]
    assert y.dtype == tf.float32 and y.numpy().tolist() == [6.0, 8.0]
    assert tape.gradient(y, x).numpy() == pytest.approx(7.0)
    assert ([1.0, 2.0] + tf.constant([1.0, 1.0])).numpy().tolist() == [2.0, 3.0]
    assert (tf.constant([[1.0, 2.0]]) @ [[1.0], [1.0]]).numpy().tolist() == [[3.0]]


def test_dtypes_follow_tensorflow() -> None:
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(np.arange(3.0)).dtype == tf.float64
    assert tf.constant([1, 2], dtype=tf.float64).dtype == tf.float64
    assert tf.linspace(0, 3, 10).dtype == tf.float64
    assert tf.linspace(0.0, 3.0, 10).dtype == tf.float32
    assert tf.range(5).dtype == tf.int32
    assert tf.range(0.0, 1.0, 0.25).dtype == tf.float32
    assert tf.ones((2, 3)).dtype == tf.float32 and tf.zeros([2]).shape == (2,)
    assert tf.fill([2, 2], 7).dtype == tf.int32
    assert tf.eye(3).dtype == tf.float32
    assert tf.Variable(2).dtype == tf.int32
    np.testing.assert_array_equal(tf.range(1, 10, 3).numpy(), [1, 4, 7])
    np.testing.assert_array_equal(tf.constant(0.0, shape=(2, 2)).numpy(), np.zeros((2, 2)))


# --------------------------------------------------------------------------------------------
# Functions: values against NumPy, gradients against finite differences


_UNARY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "square": np.square, "abs": np.abs, "tanh": np.tanh,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
}


@pytest.mark.parametrize("name", sorted(_UNARY))
def test_unary_functions(name: str) -> None:
    x0 = np.array([0.3, 1.2, 0.7])
    ref = _UNARY[name]
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(getattr(tf, name)(x))
    np.testing.assert_allclose(getattr(tf.math, name)(x).numpy(), ref(x0), rtol=1e-14)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               _fd_grad(lambda v: np.sum(ref(v)), x0), rtol=1e-6)


def test_binary_functions_and_reductions() -> None:
    a0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    b0 = np.array([[0.5, -1.0], [2.0, 0.25]])
    a, b = tf.constant(a0), tf.constant(b0)
    np.testing.assert_allclose(tf.add(a, b).numpy(), a0 + b0)
    np.testing.assert_allclose(tf.subtract(a, 1.0).numpy(), a0 - 1)
    np.testing.assert_allclose(tf.multiply(2.0, a).numpy(), 2 * a0)
    np.testing.assert_allclose(tf.divide(a, b).numpy(), a0 / b0)
    np.testing.assert_allclose(tf.pow(a, 2).numpy(), a0 ** 2)
    np.testing.assert_allclose(tf.matmul(a, b, transpose_b=True).numpy(), a0 @ b0.T)
    np.testing.assert_allclose(tf.reduce_sum(a, axis=0).numpy(), a0.sum(0))
    np.testing.assert_allclose(tf.reduce_mean(a, axis=[0, 1]).numpy(), a0.mean())
    np.testing.assert_allclose(tf.reduce_max(a, axis=1, keepdims=True).numpy(),
                               a0.max(1, keepdims=True))
    np.testing.assert_allclose(tf.reduce_min(a).numpy(), a0.min())
    np.testing.assert_allclose(tf.reduce_prod(a, axis=1).numpy(), a0.prod(1))
    np.testing.assert_allclose(tf.reshape(a, [-1]).numpy(), a0.reshape(-1))
    np.testing.assert_allclose(tf.transpose(a).numpy(), a0.T)
    np.testing.assert_allclose(tf.concat([a, b], axis=1).numpy(), np.concatenate([a0, b0], 1))
    np.testing.assert_allclose(tf.stack([a, b], axis=0).numpy(), np.stack([a0, b0]))
    np.testing.assert_allclose(tf.norm(a).numpy(), np.linalg.norm(a0))
    np.testing.assert_allclose(tf.linalg.norm(b, ord=1, axis=1).numpy(),
                               np.abs(b0).sum(1))
    np.testing.assert_allclose(tf.linalg.det(a).numpy(), np.linalg.det(a0))
    np.testing.assert_allclose(tf.linalg.inv(a).numpy(), np.linalg.inv(a0))
    np.testing.assert_allclose(tf.linalg.solve(a, b).numpy(), np.linalg.solve(a0, b0))
    np.testing.assert_allclose(tf.ones_like(a).numpy(), np.ones((2, 2)))
    np.testing.assert_allclose(tf.zeros_like(a).numpy(), np.zeros((2, 2)))
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    ints = tf.constant([[1, 2], [3, 5]])
    assert tf.reduce_sum(ints).dtype == tf.int32 and tf.reduce_sum(ints).numpy() == 11
    assert tf.reduce_prod(ints, axis=0).numpy().tolist() == [3, 10]
    assert tf.reduce_mean(ints, axis=1).numpy().tolist() == [1, 4]  # integer mean truncates
    assert tf.reduce_mean(ints).dtype == tf.int32


def test_linalg_gradient() -> None:
    a0 = np.array([[2.0, 1.0], [0.5, 3.0]])
    a = tf.Variable(a0)
    with tf.GradientTape() as tape:
        y = tf.linalg.det(a) + tf.reduce_sum(tf.linalg.inv(a))
    np.testing.assert_allclose(
        tape.gradient(y, a).numpy(),
        _fd_grad(lambda m: np.linalg.det(m) + np.linalg.inv(m).sum(), a0), rtol=1e-6)


def _softplus(v: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, v)


def _bce(z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The textbook form (overflows for large |v|, so only used on moderate logits)."""
    p = 1 / (1 + np.exp(-v))
    return -(z * np.log(p) + (1 - z) * np.log(1 - p))


@pytest.mark.parametrize("name,ref", [
    ("relu", lambda v: np.maximum(v, 0)),
    ("elu", lambda v: np.where(v > 0, v, np.expm1(v))),
    ("softplus", _softplus),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    ("softmax", lambda v: np.exp(v) / np.exp(v).sum()),
])
def test_nn_functions(name: str, ref) -> None:
    x0 = np.array([-1.5, -0.2, 0.4, 2.0])
    weights = np.array([1.0, -2.0, 0.5, 3.0])
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(getattr(tf.nn, name)(x) * weights)
    np.testing.assert_allclose(getattr(tf.nn, name)(x).numpy(), ref(x0), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               _fd_grad(lambda v: np.sum(ref(v) * weights), x0), rtol=1e-6)


def test_smooth_functions_have_the_right_gradient_at_zero() -> None:
    x = tf.Variable(np.zeros(3))
    labels = tf.constant(np.array([0.0, 1.0, 0.3]))
    with tf.GradientTape(persistent=True) as tape:
        sp = tf.reduce_sum(tf.nn.softplus(x))
        ce = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=x))
    np.testing.assert_allclose(tape.gradient(sp, x).numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(tape.gradient(ce, x).numpy(), 0.5 - labels.numpy())


def test_sigmoid_cross_entropy_with_logits() -> None:
    z0 = np.array([0.0, 1.0, 0.25, 1.0])
    x0 = np.array([-30.0, 2.0, -0.7, 40.0])  # large logits must not overflow
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(z0), logits=x)
    assert loss.shape == (4,)  # elementwise, no reduction
    expected = np.maximum(x0, 0) - x0 * z0 + np.log1p(np.exp(-np.abs(x0)))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(loss.numpy()[1:3], _bce(z0[1:3], x0[1:3]), rtol=1e-10)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), 1 / (1 + np.exp(-x0)) - z0,
                               rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.0]), logits=x)


def test_random_functions_are_seeded() -> None:
    tf.random.set_seed(7)
    a = tf.random.normal((3, 2), mean=1.0, stddev=0.5)
    u = tf.random.uniform([4], minval=-1, maxval=1)
    tf.random.set_seed(7)
    np.testing.assert_array_equal(tf.random.normal((3, 2), mean=1.0, stddev=0.5).numpy(),
                                  a.numpy())
    assert a.dtype == tf.float32 and a.shape == (3, 2)
    assert u.numpy().min() >= -1 and u.numpy().max() < 1
    i = tf.random.uniform([50], maxval=3, dtype=tf.int32)
    assert set(i.numpy().tolist()) <= {0, 1, 2}
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform([2], dtype=tf.int64)


# --------------------------------------------------------------------------------------------
# tf.function, tf.Module, interop with the core names


def test_function_runs_eagerly() -> None:
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        return x * x

    @tf.function(jit_compile=True)
    def g(x):
        return x + 1

    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = g(f(x))
    assert len(calls) == 1 and f.__name__ == "f"
    assert tape.gradient(y, x).numpy() == pytest.approx(6.0)
    assert "eagerly" in tf.function.__doc__


def test_module_collects_variables() -> None:
    class Dense(tf.Module):
        def __init__(self, n: int, name: str | None = None) -> None:
            super().__init__(name=name)
            self.w = tf.Variable(np.ones((n, n)), name="w")
            self.b = tf.Variable(np.zeros(n), name="b")

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = [Dense(2), Dense(3)]
            self.scale = tf.Variable(1.0, trainable=False)
            self.alias = self.layers[0].w  # listed once

    m = Model()
    assert m.name == "model" and Dense(1, name="d").name == "d"
    names = [v.name for v in m.variables]
    # TensorFlow's order: own attributes by name (alias, scale), then submodules in order.
    assert names == ["w:0", "Variable:0", "b:0", "b:0", "w:0"]
    assert len(m.trainable_variables) == 4
    x = tf.constant(np.ones(2))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.linalg.matmul(m.layers[0].w, tf.reshape(x, [2, 1])))
    grads = tape.gradient(y, m.trainable_variables)
    assert grads[0].shape == (2, 2) and grads[1] is None


def test_tf_names_are_the_core_machinery() -> None:
    assert issubclass(tf.Variable, dg.Variable) and issubclass(tf.EagerTensor, dg.Tensor)
    assert issubclass(tf.GradientTape, dg.GradientTape)
    assert tf.UnconnectedGradients is dg.UnconnectedGradients
    # A core tape differentiates tf values and vice versa.
    v = tf.Variable(2.0)
    with dg.GradientTape() as tape:
        y = v ** 3
    assert tape.gradient(y, v).item() == pytest.approx(12.0)
    # tf.math is a namespace with the same functions.
    assert tf.math.sin is tf.sin and tf.linalg.matmul is tf.matmul and tf.nn.sigmoid is tf.sigmoid


def test_docstring_examples() -> None:
    result = doctest.testmod(tf, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5
    assert result.failed == 0
