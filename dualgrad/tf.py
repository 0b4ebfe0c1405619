"""``import dualgrad.tf as tf``: TensorFlow's names over dualgrad.

Tutorial code written for TensorFlow's eager mode runs with only the import changed, and
prints what TensorFlow prints::

    >>> import dualgrad.tf as tf
    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = x ** 2
    ...     z = tf.sin(y)
    >>> print(tape.gradient(z, y))
    tf.Tensor(-0.91113025, shape=(), dtype=float32)
    >>> x
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>

Everything is the one dualgrad engine: the tensors here are ``dualgrad.Tensor``
subclasses that only print (and convert) the way TensorFlow's do. Dtypes follow TensorFlow:
Python floats become float32, Python ints int32. Dtypes print as TensorFlow's
(``<dtype: 'float32'>``) and compare equal to the NumPy dtypes they stand for
(``tf.float32 == numpy.float32``). Random numbers come from dualgrad's generator, so
``tf.random.set_seed`` makes runs repeatable but does not reproduce TensorFlow's streams.
"""

from __future__ import annotations

import builtins
import functools
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualgrad import _creation, _dtypes
from dualgrad import _functions as F
from dualgrad import _tf_errors as errors
from dualgrad import tape as _tape
from dualgrad._device import Size
from dualgrad._function import custom_gradient as _custom_gradient
from dualgrad._printing import _tf_numpy_text, _tf_shape, format_tf_tensor
from dualgrad._tensor import Tensor
from dualgrad.ops import nn as _ops_nn
from dualgrad.optim import keras as _keras
from dualgrad.tape import UnconnectedGradients

__all__ = [
    "EagerTensor", "TensorShape", "Variable", "constant", "GradientTape",
    "UnconnectedGradients", "stop_gradient", "convert_to_tensor", "sin", "cos", "tan", "exp",
    "log", "sqrt", "square", "abs", "sign", "tanh", "sigmoid", "pow", "add", "multiply", "subtract",
    "divide", "negative", "maximum", "minimum", "where", "matmul", "reduce_sum", "reduce_mean",
    "reduce_max", "reduce_min", "reduce_prod", "reshape", "transpose", "concat", "stack",
    "linspace", "range", "ones", "zeros", "ones_like", "zeros_like", "fill", "eye", "random",
    "float16", "float32", "float64", "int32", "int64", "bool", "cast", "norm", "math",
    "linalg", "nn", "function", "Module", "newaxis", "keras", "optimizers", "custom_gradient",
    "errors", "argmax", "argmin", "expand_dims", "squeeze", "clip_by_value", "one_hot", "gather",
]

float16 = _dtypes.tf_dtype(_dtypes.float16)
float32 = _dtypes.tf_dtype(_dtypes.float32)
float64 = _dtypes.tf_dtype(_dtypes.float64)
int32 = _dtypes.tf_dtype(_dtypes.int32)
int64 = _dtypes.tf_dtype(_dtypes.int64)
bool = _dtypes.tf_dtype(_dtypes.bool_)  # noqa: A001
newaxis = None


class TensorShape(Size):
    """A tensor's shape as TensorFlow shows it: ``(2, 3)``, ``TensorShape([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"TensorShape([{', '.join(str(s) for s in self)}])"

    def __str__(self) -> str:
        return _tf_shape(tuple(self))

    @property
    def rank(self) -> int:
        """The number of dimensions."""
        return len(self)

    def as_list(self) -> list[int]:
        """The dimensions as a list."""
        return list(self)


class _TFValue:
    """Mixin: results of operators on TF-namespace values are TF-namespace tensors."""

    __slots__ = ()

    @property
    def shape(self) -> TensorShape:
        """The shape, printed as TensorFlow does: ``(3,)``."""
        return TensorShape(self._data.shape)  # type: ignore[attr-defined]

    @property
    def dtype(self) -> _dtypes.TFDType:
        """The dtype, printed as TensorFlow does: ``<dtype: 'float32'>``."""
        return _dtypes.tf_dtype(self._data.dtype)  # type: ignore[attr-defined]

    # How TensorFlow's messages name the class (``'ResourceVariable' object has no...``).
    _tf_class_text = "'tensorflow.python.framework.ops.EagerTensor'"

    @property
    def grad(self) -> None:
        """Absent, as in TensorFlow (``AttributeError``): gradients come from tapes."""
        raise AttributeError(f"{self._tf_class_text} object has no attribute 'grad'")

    def __float__(self) -> float:
        # (TensorFlow converts a watched value without PyTorch's requires_grad warning)
        return Tensor.__float__(Tensor.detach(self))  # type: ignore[arg-type]

    def __iter__(self) -> Any:
        if self._data.ndim == 0:  # type: ignore[attr-defined]
            raise TypeError("Cannot iterate over a scalar tensor.")
        # Recorded as PyTorch's unbind; each piece is a TensorFlow-style tensor.
        return iter(_as_eager(list(Tensor.unbind(self, 0))))  # type: ignore[arg-type]

    def __len__(self) -> int:
        if self._data.ndim == 0:  # type: ignore[attr-defined]
            raise TypeError(self._tf_len_error)
        return self._data.shape[0]  # type: ignore[attr-defined]

    _tf_len_error = "Scalar tensor has no `len()`"

    def __bool__(self) -> builtins.bool:
        data = self._data  # type: ignore[attr-defined]
        if data.size > 1:
            raise ValueError("The truth value of an array with more than one element is "
                             "ambiguous. Use a.any() or a.all()")
        return builtins.bool(data.size and data.reshape(-1)[0])

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(f"{self._tf_class_text} object does not support item assignment")

    def __delitem__(self, key: Any) -> None:
        raise TypeError(f"{self._tf_class_text} object doesn't support item deletion")

    def __hash__(self) -> int:
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")


def _as_eager(value: Any) -> Any:
    """Relabel a plain Tensor result as an EagerTensor (no copy; the layout is the same)."""
    if value.__class__ is Tensor:
        value.__class__ = EagerTensor
    elif isinstance(value, tuple):
        return type(value)(*(_as_eager(v) for v in value)) if hasattr(value, "_fields") else (
            tuple(_as_eager(v) for v in value))
    elif isinstance(value, list):
        return [_as_eager(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# TensorFlow's dtype rules for binary ops. TensorFlow never promotes: both inputs of an op must
# have one dtype. A value that is not yet a tensor is converted to the other input's dtype
# (NumPy values are cast; a Python float cannot become an integer), and two tensors of
# different dtypes fail with InvalidArgumentError. Which of the two errors a mismatch gives
# depends on the op, as in TensorFlow: ``+``, ``@``, ``/``, ``tf.add`` and ``tf.matmul`` try
# the conversion and fall back to the value's own dtype; the others insist on it.

_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _type_name(dtype: np.dtype) -> str:
    """The dtype as TensorFlow's kernels name it: float, double, int32..."""
    return _TF_TYPE_NAMES.get(dtype.name, dtype.name)


def _mismatch(op: str, index: int, expected: np.dtype, got: np.dtype, name: str = ""
              ) -> Exception:
    if op == "RealDiv":
        return TypeError(f"`x` and `y` must have the same dtype, got tf.{expected.name} != "
                         f"tf.{got.name}.")
    # (TensorFlow names its oneDNN kernel for a float32 product, and the op after it.)
    kernel = "_MklMatMul" if op == "MatMul" and expected == np.float32 else op
    return errors.InvalidArgumentError(
        None, None, f"cannot compute {kernel} as input #{index}(zero-based) was expected to be "
        f"a {_type_name(expected)} tensor but is a {_type_name(got)} tensor [Op:{op}] name: "
        f"{name}")


def _convert(value: Any, dtype: np.dtype, force: builtins.bool) -> Any:
    """``value`` (not a tensor) converted for an op whose other input has ``dtype``.

    Python numbers that keep their kind stay Python numbers (dualgrad gives them the tensor's
    dtype); NumPy values are cast; anything else becomes a tensor of ``dtype``. A value that
    cannot be converted raises TensorFlow's TypeError (``force``) or keeps its own dtype.
    """
    cls = value.__class__
    if cls is int and dtype.kind in "iufc":
        return value
    if cls is float and dtype.kind in "fc":
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._make(np.asarray(value).astype(dtype))
    try:
        return Tensor._make(_tape._tf_array(value, dtype))
    except TypeError:
        if force:
            raise
        return Tensor._make(_tape._tf_array(value, None))


def _check(op: str, values: Sequence[Any], name: str = "") -> None:
    """Raise TensorFlow's error when the tensors among ``values`` differ in dtype."""
    dtype = None
    for i, v in enumerate(values):
        if isinstance(v, Tensor):
            if dtype is None:
                dtype = v._data.dtype
            elif v._data.dtype != dtype:
                raise _mismatch(op, i, dtype, v._data.dtype, name)


def _as_float64(x: Any) -> Any:
    # TensorFlow's true division of integers gives float64.
    if isinstance(x, Tensor):
        return Tensor._make(x._data.astype(np.float64))
    return x


def _function_node(kernel: str) -> str:
    # The prefix TensorFlow's eager kernels put before their error texts.
    return (f"{{{{function_node __wrapped__{kernel}_device_/job:localhost/replica:0/task:0/"
            "device:CPU:0}} ")


def _dims(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _raise_if_incompatible(op: str, x: Any, y: Any) -> None:
    """Raise TensorFlow's InvalidArgumentError when ``x`` and ``y`` do not broadcast."""
    sx = np.shape(x._data if isinstance(x, Tensor) else x)
    sy = np.shape(y._data if isinstance(y, Tensor) else y)
    try:
        np.broadcast_shapes(sx, sy)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"{_function_node(op)}Incompatible shapes: {_dims(sx)} vs. {_dims(sy)} "
            f"[Op:{op}] name: ") from None


def _check_matmul(a: Any, b: Any, adj_a: builtins.bool = False, adj_b: builtins.bool = False
                  ) -> None:
    """Raise TensorFlow's InvalidArgumentError for operands ``tf.matmul`` refuses: fewer than
    two dimensions (TensorFlow has no vector case), inner sizes that differ, batch
    dimensions that do not broadcast. ``adj_a``/``adj_b``: the operand is transposed first
    (the texts show the shapes as given)."""
    sa = np.shape(a._data if isinstance(a, Tensor) else a)
    sb = np.shape(b._data if isinstance(b, Tensor) else b)
    if len(sa) >= 2 and len(sb) >= 2 and (sa[-2] if adj_a else sa[-1]) == (
            sb[-1] if adj_b else sb[-2]):
        if len(sa) == 2 and len(sb) == 2:
            return
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
            return
        except ValueError:
            pass
    f32 = (a._data.dtype if isinstance(a, Tensor) else np.asarray(a).dtype) == np.float32
    size = f"Matrix size-incompatible: In[0]: {_dims(sa)}, In[1]: {_dims(sb)}"
    if len(sa) > 2 or len(sb) > 2:
        op, kernel = "BatchMatMulV2", "__MklBatchMatMulV2" if f32 else "BatchMatMulV2"
        if len(sa) < 2 or len(sb) < 2:
            i = 0 if len(sa) < 2 else 1
            message = f"In[{i}] ndims must be >= 2: {len(sa) if i == 0 else len(sb)}"
        elif (sa[-2] if adj_a else sa[-1]) == (sb[-1] if adj_b else sb[-2]):
            message = (f"In[0] and In[1] must have compatible batch dimensions: {_dims(sa)} vs. "
                       f"{_dims(sb)}")
        else:
            message = size + (f" {int(adj_a)} {int(adj_b)}" if f32 else "")
    else:
        op, kernel = "MatMul", "__MklMatMul" if f32 else "MatMul"
        if f32 and (len(sa) < 2 or len(sb) < 2):
            message = f"In[{0 if len(sa) < 2 else 1}] ndims must be >= 2"
        elif len(sa) != len(sb):
            message = f"In[0] and In[1] has different ndims: {_dims(sa)} vs. {_dims(sb)}"
        elif len(sa) < 2:
            message = f"In[0] and In[1] ndims must be == 2: {len(sa)}"
        else:
            message = size
    raise errors.InvalidArgumentError(
        None, None, f"{_function_node(kernel)}{message} [Op:{op}] name: ")


# The TensorFlow op of each operator, and whether its conversion of the other operand falls
# back to that operand's own dtype (True) or must succeed (False).
_BINARY = {
    "__add__": ("AddV2", False), "__sub__": ("Sub", True), "__mul__": ("Mul", True),
    "__truediv__": ("RealDiv", False), "__pow__": ("Pow", True),
    "__matmul__": ("MatMul", False), "__floordiv__": ("FloorDiv", True),
    "__mod__": ("FloorMod", True), "__lt__": ("Less", True), "__le__": ("LessEqual", True),
    "__gt__": ("Greater", True), "__ge__": ("GreaterEqual", True),
}
_REFLECTED = ("__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__", "__rmatmul__",
              "__rfloordiv__", "__rmod__")


def _detached(x: Any) -> Any:
    return Tensor.detach(x) if isinstance(x, Tensor) else x


def _binary_wrapping(name: str) -> Callable:
    base = getattr(Tensor, name)
    op, force = _BINARY[name]
    divides = op == "RealDiv"
    matmul = op == "MatMul"
    # TensorFlow registers no gradient for FloorDiv: the result is not recorded, and a tape
    # gives None (not an error) for what only flows through it.
    no_gradient = op == "FloorDiv"

    @functools.wraps(base)
    def method(self: Tensor, other: Any) -> Any:
        # The common operands first, inline: this runs on every operator of a TF tensor.
        cls = other.__class__
        if cls is int:
            pass
        elif cls is float and self._data.dtype.kind in "fc":
            pass
        elif isinstance(other, Tensor):
            if other._data.dtype != self._data.dtype:
                raise _mismatch(op, 1, self._data.dtype, other._data.dtype)
        else:
            other = _convert(other, self._data.dtype, force)
            if isinstance(other, Tensor) and other._data.dtype != self._data.dtype:
                raise _mismatch(op, 1, self._data.dtype, other._data.dtype)
        if matmul:
            _check_matmul(self, other)
        try:
            if divides and self._data.dtype.kind in "iu":
                out = base(_as_float64(self), _as_float64(other))
            elif no_gradient:
                out = base(Tensor.detach(self), _detached(other))
            else:
                out = base(self, other)
        except RuntimeError:
            _raise_if_incompatible(op, self, other)
            raise
        return _eager(out)

    return method


def _eager(out: Any) -> Any:
    """``out`` relabelled as an ``EagerTensor`` (a plain Tensor result of a Tensor method)."""
    if out.__class__ is Tensor:
        out.__class__ = EagerTensor
    return out


def _reflected_wrapping(name: str) -> Callable:
    base = getattr(Tensor, name)
    forward_name = name.replace("__r", "__", 1)
    forward = getattr(Tensor, forward_name)
    op = _BINARY[forward_name][0]

    @functools.wraps(base)
    def method(self: Tensor, other: Any) -> Any:
        # ``2.5 * t``: TensorFlow converts the left operand to t's dtype, or fails.
        if not isinstance(other, Tensor):
            other = _convert(other, self._data.dtype, True)
        if op == "MatMul":
            _check_matmul(_tensor_of(other, self._data.dtype), self)
        try:
            if name == "__rtruediv__" and self._data.dtype.kind in "iu":
                out = forward(_as_float64(_tensor_of(other, self._data.dtype)),
                              _as_float64(self))
            elif op == "FloorDiv":
                out = forward(_detached(_tensor_of(other, self._data.dtype)),
                              Tensor.detach(self))
            elif isinstance(other, Tensor):
                # Tensor's forward method, not ``other / self``: Python would hand that back
                # to this subclass's reflected method.
                out = forward(other, self)
            else:
                out = base(self, other)
        except RuntimeError:
            _raise_if_incompatible(op, other, self)
            raise
        return _eager(out)

    return method


def _wrapping(name: str) -> Callable:
    base = getattr(Tensor, name)

    @functools.wraps(base)
    def method(self: Tensor, *args: Any) -> Any:
        out = base(self, *args)
        return _eager(out)

    return method


_OPERATORS = (
    "__neg__", "__pos__", "__abs__", "__getitem__", "__eq__", "__ne__", "__and__", "__or__",
    "__invert__",
)
for _name in _OPERATORS:
    setattr(_TFValue, _name, _wrapping(_name))
for _name in _BINARY:
    setattr(_TFValue, _name, _binary_wrapping(_name))
for _name in _REFLECTED:
    setattr(_TFValue, _name, _reflected_wrapping(_name))


class EagerTensor(_TFValue, Tensor):
    """A dualgrad tensor that prints (and converts) like TensorFlow's eager tensors.

    ``str`` gives ``tf.Tensor(9.0, shape=(), dtype=float32)`` and ``repr`` gives
    ``<tf.Tensor: shape=(), dtype=float32, numpy=9.0>``. ``numpy()`` always works, even on
    values a tape recorded (TensorFlow tensors carry no graph).
    """

    __slots__ = ()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array (a 0-d tensor gives a NumPy scalar)."""
        return self._data[()] if self._data.ndim == 0 else self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __str__(self) -> str:
        with _tape.tf_printoptions():
            return format_tf_tensor(self._data)

    def __repr__(self) -> str:
        with _tape.tf_printoptions():
            return (f"<tf.Tensor: shape={_tf_shape(self._data.shape)}, "
                    f"dtype={self._data.dtype.name}, "
                    f"numpy={_tf_numpy_text(self._data, True)}>")

    def __format__(self, spec: str) -> str:
        # TensorFlow formats the NumPy value: f"{t}" is "6.0" or "[1.  2.5]", and a format
        # spec works on a 0-d tensor only (NumPy's TypeError otherwise).
        with _tape.tf_printoptions():
            return format(self._data[()] if self._data.ndim == 0 else self._data, spec)


class Variable(_TFValue, _tape.Variable):
    """``tf.Variable``: ``dualgrad.Variable`` whose arithmetic gives ``EagerTensor`` values.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> v = tf.Variable([1.0, 2.0])
    >>> v
    <tf.Variable 'Variable:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>
    >>> print(v * 2)
    tf.Tensor([2. 4.], shape=(2,), dtype=float32)
    """

    __slots__ = ()

    _tf_class_text = "'ResourceVariable'"
    _tf_len_error = "object of type 'ResourceVariable' has no len()"

    def read_value(self) -> EagerTensor:
        """The current value as a tensor; recorded, so gradients flow to the variable."""
        return _as_eager(_tape.Variable.read_value(self))

    value = read_value

    def numpy(self, *, force: builtins.bool = False) -> Any:
        """A copy of the current value; a 0-d variable gives a NumPy scalar (``np.float32``)."""
        return self._data[()] if self._data.ndim == 0 else self._data.copy()

    def __format__(self, spec: str) -> str:
        if spec:
            raise TypeError("unsupported format string passed to ResourceVariable.__format__")
        return str(self)

    def __hash__(self) -> int:
        raise TypeError(f"Variable is unhashable. Instead, use variable.ref() as the key. "
                        f"(Variable: {self!r})")


class GradientTape(_tape.GradientTape):
    """``tf.GradientTape``: ``dualgrad.GradientTape`` returning ``EagerTensor`` values.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> print(tape.gradient(y, x))
    tf.Tensor(6.0, shape=(), dtype=float32)
    """

    __slots__ = ()

    _result_class = EagerTensor

    def _wrap_result(self, t: Tensor) -> Tensor:
        return _as_eager(t)


# --------------------------------------------------------------------------------------------
# Creation


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None
             ) -> EagerTensor:
    """``tf.constant``: a tensor with TensorFlow's dtypes (Python floats float32, ints int32).

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.constant([[1, 2], [3, 4]]))
    tf.Tensor(
    [[1 2]
     [3 4]], shape=(2, 2), dtype=int32)
    """
    return _as_eager(_tape.constant(value, dtype=dtype, shape=shape))


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """``value`` as a tensor: tensors are returned as they are, variables are read
    (recorded), anything else becomes a constant.

    Raises
    ------
    ValueError
        When ``value`` is a tensor whose dtype is not ``dtype`` (TensorFlow's text; use
        ``tf.cast`` to convert).
    """
    if isinstance(value, _tape.Variable):
        if dtype is not None and _dtypes.as_dtype(dtype) != value._data.dtype:
            raise ValueError(f"Incompatible type conversion requested to type "
                             f"{_dtypes.as_dtype(dtype).name} for `tf.Variable of type "
                             f"{value._data.dtype.name}. (Variable: {Variable.__repr__(value)})")
        value = _as_eager(_tape.Variable.read_value(value))
    if isinstance(value, Tensor):
        if dtype is not None and _dtypes.as_dtype(dtype) != value._data.dtype:
            raise ValueError(f"Tensor conversion requested dtype {_dtypes.as_dtype(dtype).name} "
                             f"for Tensor with dtype {value._data.dtype.name}: "
                             f"{EagerTensor.__repr__(value)}")
        return _as_eager(value)
    return constant(value, dtype=dtype)


def stop_gradient(input: Any, name: str | None = None) -> EagerTensor:
    """``tf.stop_gradient``: the same values, with no gradient flowing through them."""
    return _as_eager(_tape.stop_gradient(input))


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else constant(x)


def _out(value: Any) -> Any:
    return _as_eager(value)


def linspace(start: Any, stop: Any, num: int, name: str | None = None, axis: int = 0
             ) -> EagerTensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included).

    As in TensorFlow, the dtype comes from ``start`` (a Python float gives float32, a Python
    int int32; an integer start gives a float64 result) and ``stop`` is converted to it.

    Raises
    ------
    TypeError
        When ``stop`` cannot take ``start``'s dtype (``tf.linspace(0, 3.0, 4)``).

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> tf.linspace(0, 3, 4).dtype
    tf.float64
    >>> tf.linspace(0.0, 3, 4).dtype
    tf.float32
    """
    start = _natural(start)
    if not isinstance(stop, Tensor):
        stop = _tensor_of(_convert(stop, start._data.dtype, True), start._data.dtype)
    dtype = start._data.dtype if start._data.dtype.kind == "f" else np.dtype(np.float64)
    start, stop = start._data, stop._data
    arr = np.linspace(np.asarray(start, dtype=dtype), np.asarray(stop, dtype=dtype), int(num),
                      axis=axis).astype(dtype)
    return constant(arr)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str | None = None) -> EagerTensor:
    """``tf.range``: ``start, start + delta, ...`` up to ``limit`` (excluded).

    As in TensorFlow, the dtype is the widest of the arguments' (int32 < int64 < float32 <
    float64): Python ints count as int32, Python floats as float32, NumPy values and tensors
    as their own dtype.

    Raises
    ------
    tf.errors.InvalidArgumentError
        When ``delta`` is 0 or points away from ``limit`` (TensorFlow's texts).
    """
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        order = [np.dtype(t) for t in (np.int32, np.int64, np.float32, np.float64)]
        found = [_natural(v)._data.dtype for v in (start, limit, delta)]
        dtype = builtins.max(found, key=lambda d: order.index(d) if d in order else -1)
    dtype = _dtypes.as_dtype(dtype)
    start, limit, delta = (_natural(v)._data.astype(dtype)[()] for v in (start, limit, delta))
    # (TensorFlow's C++ prints the numbers as %g does: 1, 3.5)
    if delta == 0:
        message = f"Requires delta != 0: {delta:g}"
    elif delta > 0 and start > limit:
        message = f"Requires start <= limit when delta > 0: {start:g}/{limit:g}"
    elif delta < 0 and start < limit:
        message = f"Requires start >= limit when delta < 0: {start:g}/{limit:g}"
    else:
        return constant(np.arange(start, limit, delta).astype(dtype))
    raise errors.InvalidArgumentError(
        None, None, "{{function_node __wrapped__Range_device_/job:localhost/replica:0/task:0/"
        f"device:CPU:0}}}} {message} [Op:Range] name: ")


def _shape_arg(shape: Any) -> tuple:
    if isinstance(shape, Tensor):
        return tuple(int(s) for s in shape._data.reshape(-1))
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> EagerTensor:
    """A tensor of ones (float32 by default)."""
    return constant(np.ones(_shape_arg(shape), dtype=_dtypes.as_dtype(dtype)))


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> EagerTensor:
    """A tensor of zeros (float32 by default)."""
    return constant(np.zeros(_shape_arg(shape), dtype=_dtypes.as_dtype(dtype)))


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> EagerTensor:
    """Ones with the shape (and, by default, the dtype) of ``input``."""
    arr = _t(input)._data
    return constant(np.ones(arr.shape, dtype=arr.dtype if dtype is None else
                            _dtypes.as_dtype(dtype)))


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> EagerTensor:
    """Zeros with the shape (and, by default, the dtype) of ``input``."""
    arr = _t(input)._data
    return constant(np.zeros(arr.shape, dtype=arr.dtype if dtype is None else
                             _dtypes.as_dtype(dtype)))


def fill(dims: Any, value: Any, name: str | None = None) -> EagerTensor:
    """A tensor of shape ``dims`` filled with ``value`` (dtype inferred from ``value``)."""
    v = _tape._tf_array(value, None)
    return constant(np.full(_shape_arg(dims), v, dtype=v.dtype))


def eye(num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
        dtype: Any = float32, name: str | None = None) -> EagerTensor:
    """The identity matrix (float32 by default)."""
    arr = np.eye(num_rows, num_columns, dtype=_dtypes.as_dtype(dtype))
    if batch_shape is not None:
        arr = np.broadcast_to(arr, _shape_arg(batch_shape) + arr.shape).copy()
    return constant(arr)


def cast(x: Any, dtype: Any, name: str | None = None) -> EagerTensor:
    """``x`` converted to ``dtype`` (recorded: gradients flow between floating dtypes)."""
    return _out(_t(x).to(_dtypes.as_dtype(dtype)))


# --------------------------------------------------------------------------------------------
# Math


_FLOAT_TYPES = ("bfloat16, half, float, double, complex64, complex128",
                "x:T -> y:T",
                "DT_BFLOAT16, DT_HALF, DT_FLOAT, DT_DOUBLE, DT_COMPLEX64, DT_COMPLEX128")
_REAL_TYPES = ("half, bfloat16, float, double", "features:T -> activations:T",
               "DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE")


def _floats_only(x: Tensor, op: str, types: tuple = _FLOAT_TYPES) -> None:
    """TensorFlow's error for an integer or bool tensor given to a floating-point-only op
    (``tf.exp(tf.constant([1, 2]))``): TensorFlow converts nothing."""
    dtype = x._data.dtype
    if dtype.kind not in "fc":
        allowed, signature, dts = types
        raise _attr_error(op, "T", dtype, allowed, signature, f"attr=T:type,allowed=[{dts}]")


def _attr_error(op: str, attr: str, dtype: np.dtype, allowed: str, signature: str, attrs: str,
                named: builtins.bool = True) -> errors.InvalidArgumentError:
    """TensorFlow's error for an input whose dtype the op's attribute ``attr`` refuses."""
    return errors.InvalidArgumentError(
        None, None, f"Value for attr '{attr}' of {_type_name(dtype)} is not in the list of "
        f"allowed values: {allowed}\n\t; NodeDef: {{{{node {op}}}}}; Op<name={op}; "
        f"signature={signature}; {attrs}> [Op:{op}]" + (" name: " if named else ""))


def _op_failure(op: str, message: str, named: builtins.bool = True, kernel: str | None = None
                ) -> errors.InvalidArgumentError:
    """TensorFlow's error from a kernel that refused its inputs; ``named``: the text ends with
    `` name: `` (TensorFlow adds it for some calls and not others)."""
    return errors.InvalidArgumentError(
        None, None, f"{_function_node(kernel or op)}{message} [Op:{op}]"
        + (" name: " if named else ""))


def _unary(fn: Callable, name: str, doc: str, tf_op: str | None = None) -> Callable:
    def op(x: Any, name: str | None = None) -> EagerTensor:
        # _out(fn(_t(x))) without the two calls: every elementwise function goes through here.
        x = x if isinstance(x, Tensor) else constant(x)
        if tf_op is not None and x._data.dtype.kind not in "fc":
            _floats_only(x, tf_op)
        return _eager(fn(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


sin = _unary(F.sin, "sin", "Elementwise sine.", "Sin")
cos = _unary(F.cos, "cos", "Elementwise cosine.", "Cos")
tan = _unary(F.tan, "tan", "Elementwise tangent.", "Tan")
exp = _unary(F.exp, "exp", "Elementwise exponential.", "Exp")
log = _unary(F.log, "log", "Elementwise natural logarithm.", "Log")
sqrt = _unary(F.sqrt, "sqrt", "Elementwise square root.", "Sqrt")
square = _unary(F.square, "square", "Elementwise square.")
abs = _unary(F.abs, "abs", "Elementwise absolute value.")  # noqa: A001
tanh = _unary(F.tanh, "tanh", "Elementwise hyperbolic tangent.", "Tanh")
sigmoid = _unary(F.sigmoid, "sigmoid", "Elementwise logistic sigmoid ``1 / (1 + exp(-x))``.",
                 "Sigmoid")
negative = _unary(F.neg, "negative", "Elementwise negation.")
log1p = _unary(F.log1p, "log1p", "Elementwise ``log(1 + x)``.", "Log1p")
expm1 = _unary(F.expm1, "expm1", "Elementwise ``exp(x) - 1``.", "Expm1")
sign = _unary(F.sign, "sign", "Elementwise sign (-1, 0 or 1); its gradient is zero.")


def _natural(x: Any) -> Any:
    """``x`` as a tensor of its own dtype (Python numbers as TensorFlow infers them)."""
    return x if isinstance(x, Tensor) else Tensor._make(_tape._tf_array(x, None))


def _hinted(op: str, x: Any, y: Any) -> tuple[Any, Any]:
    """``tf.add``/``tf.matmul``'s conversion: ``x`` as it is, ``y`` to ``x``'s dtype if it
    can be, then both must agree."""
    x = _natural(x)
    if not isinstance(y, Tensor):
        y = _tensor_of(_convert(y, x._data.dtype, False), x._data.dtype)
    _check(op, (x, y))
    return x, y


def _tensor_of(value: Any, dtype: np.dtype) -> Tensor:
    # A Python number that _convert let through, as a tensor of the dtype it adopts.
    return value if isinstance(value, Tensor) else Tensor._make(np.array(value).astype(dtype))


def _same_dtype(op: str, values: Sequence[Any], name: str = "") -> list:
    """The other ops' conversion: every value to the dtype of the first tensor (or of the
    first value), or TensorFlow's error."""
    for v in values:
        if isinstance(v, Tensor):
            dtype = v._data.dtype
            break
    else:
        dtype = _natural(values[0])._data.dtype
    out = [v if isinstance(v, Tensor) else _tensor_of(_convert(v, dtype, True), dtype)
           for v in values]
    _check(op, out, name)
    return out


def _call(op: str, fn: Callable, x: Any, y: Any) -> Any:
    """``fn(x, y)``, with TensorFlow's error when the shapes do not broadcast."""
    try:
        return fn(x, y)
    except RuntimeError:
        _raise_if_incompatible(op, x, y)
        raise


def add(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """``x + y`` elementwise (with broadcasting); the dtypes must agree, as in TensorFlow.

    Raises
    ------
    tf.errors.InvalidArgumentError
        When ``x`` and ``y`` have different dtypes (``y`` is first converted to ``x``'s
        dtype when it is not a tensor and that conversion keeps its values' kind).
    """
    x, y = _hinted("AddV2", x, y)
    return _out(_call("AddV2", Tensor.__add__, x, y))


def subtract(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """``x - y`` elementwise (with broadcasting); the dtypes must agree, as in TensorFlow."""
    x, y = _same_dtype("Sub", (x, y))
    return _out(_call("Sub", Tensor.__sub__, x, y))


def multiply(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """``x * y`` elementwise (with broadcasting); the dtypes must agree, as in TensorFlow."""
    x, y = _same_dtype("Mul", (x, y))
    return _out(_call("Mul", Tensor.__mul__, x, y))


def divide(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """``x / y`` elementwise (with broadcasting); integers give float64, as in TensorFlow."""
    # TensorFlow's divide: ``x`` becomes a tensor of ``y``'s dtype, then ``x / y``.
    if not isinstance(x, Tensor):
        x = (_tensor_of(_convert(x, y._data.dtype, True), y._data.dtype)
             if isinstance(y, Tensor) else _natural(x))
    return _TFValue.__truediv__(x, y)  # type: ignore[operator]


def pow(x: Any, y: Any, name: str | None = None) -> EagerTensor:  # noqa: A001
    """``x ** y`` elementwise (with broadcasting); the dtypes must agree, as in TensorFlow."""
    x, y = _same_dtype("Pow", (x, y))
    return _out(_call("Pow", Tensor.__pow__, x, y))


def _pick(op: str, x: Tensor, y: Tensor, x_wins: np.ndarray) -> EagerTensor:
    # ``where(x_wins, x, y)``: the gradient goes to x where it wins (ties included), to y
    # elsewhere, as TensorFlow's _MaximumGrad/_MinimumGrad. NaN wins (x's, else y's), so the
    # values are NumPy's maximum/minimum.
    return _out(F.where(np.logical_or(x_wins, np.isnan(x._data)) if x._data.dtype.kind in "fc"
                        else x_wins, x, y))


def maximum(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """Elementwise maximum; the dtypes must agree, as in TensorFlow.

    At a tie the whole gradient goes to ``x``, as in TensorFlow (PyTorch's
    ``torch.maximum`` splits it in halves): ``tf.maximum(x, 0.0)`` has gradient 1 at 0.
    """
    x, y = _same_dtype("Maximum", (x, y))
    _raise_if_incompatible("Maximum", x, y)
    return _pick("Maximum", x, y, x._data >= y._data)


def minimum(x: Any, y: Any, name: str | None = None) -> EagerTensor:
    """Elementwise minimum; the dtypes must agree, as in TensorFlow.

    At a tie the whole gradient goes to ``x``, as in TensorFlow.
    """
    x, y = _same_dtype("Minimum", (x, y))
    _raise_if_incompatible("Minimum", x, y)
    return _pick("Minimum", x, y, x._data <= y._data)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None
          ) -> EagerTensor:
    """``x`` where ``condition`` holds, else ``y``; without ``x`` and ``y``, the indices of
    the true elements (an int64 tensor of shape ``(count, rank)``).

    Raises
    ------
    tf.errors.InvalidArgumentError
        When ``condition`` is not boolean, or ``x`` and ``y`` are tensors of different
        dtypes (TensorFlow's texts).
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if x is None and y is None:
        return constant(np.argwhere(cond).astype(np.int64))
    if cond.dtype != np.bool_:
        raise _mismatch("SelectV2", 0, np.dtype(np.bool_), cond.dtype)
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x._data.dtype != y._data.dtype:
        raise _mismatch("SelectV2", 2, x._data.dtype, y._data.dtype)
    x, y = _same_dtype("SelectV2", [x, y])
    return _out(F.where(cond, x, y))


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, output_type: Any = None, grad_a: bool = False,
           grad_b: bool = False, name: str | None = None) -> EagerTensor:
    """Matrix product ``a @ b`` (optionally transposing either side first; for real values
    ``adjoint_*`` is the same as ``transpose_*``); the dtypes must agree, as in TensorFlow.

    Raises
    ------
    tf.errors.InvalidArgumentError
        With TensorFlow's texts: different dtypes, an operand with fewer than two
        dimensions (TensorFlow has no matrix-vector case: use ``tf.linalg.matvec`` or add
        an axis), inner sizes that differ, batch dimensions that do not broadcast.
    """
    a, b = _hinted("MatMul", a, b)
    transpose_a = builtins.bool(transpose_a or adjoint_a)
    transpose_b = builtins.bool(transpose_b or adjoint_b)
    _check_matmul(a, b, transpose_a, transpose_b)
    if transpose_a:
        a = a.mT
    if transpose_b:
        b = b.mT
    return _out(Tensor.__matmul__(a, b))


def _axis(axis: Any) -> Any:
    if isinstance(axis, Tensor):
        axis = axis._data.tolist()
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _keep_int_dtype(x: Tensor, out: Tensor) -> EagerTensor:
    # TensorFlow reductions keep an integer input's dtype (NumPy widens int32 to int64).
    if out._data.dtype != x._data.dtype and x._data.dtype.kind in "iu":
        out = out.to(x._data.dtype)
    return _out(out)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> EagerTensor:
    """Sum over ``axis`` (all elements by default); integer inputs keep their dtype."""
    x = _t(input_tensor)
    return _keep_int_dtype(x, x.sum(dim=_axis(axis), keepdim=keepdims))


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None) -> EagerTensor:
    """Mean over ``axis`` (all elements by default).

    As in TensorFlow, the mean of integers is an integer (truncated toward zero).
    """
    x = _t(input_tensor)
    if x._data.dtype.kind in "iu":
        mean = np.mean(x._data, axis=_axis(axis), keepdims=keepdims)
        return constant(np.trunc(mean).astype(x._data.dtype))
    return _out(x.mean(dim=_axis(axis), keepdim=keepdims))


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> EagerTensor:
    """Maximum over ``axis`` (ties share the gradient)."""
    return _out(_t(input_tensor).amax(dim=_axis(axis), keepdim=keepdims))


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> EagerTensor:
    """Minimum over ``axis`` (ties share the gradient)."""
    return _out(_t(input_tensor).amin(dim=_axis(axis), keepdim=keepdims))


def reduce_prod(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None) -> EagerTensor:
    """Product over ``axis`` (all elements by default); integer inputs keep their dtype."""
    x = _t(input_tensor)
    return _keep_int_dtype(x, x.prod(dim=_axis(axis), keepdim=keepdims))


def reshape(tensor: Any, shape: Any, name: str | None = None) -> EagerTensor:
    """The same values in a new shape (one dimension may be -1)."""
    return _out(_t(tensor).reshape(_shape_arg(shape)))


def transpose(a: Any, perm: Sequence[int] | None = None, conjugate: bool = False,
              name: str | None = None) -> EagerTensor:
    """Permute the dimensions (reverse them by default)."""
    a = _t(a)
    if perm is None:
        perm = tuple(reversed(builtins.range(a.ndim)))
    return _out(a.permute(*_shape_arg(perm)))


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> EagerTensor:
    """Join tensors along an existing axis; the dtypes must agree, as in TensorFlow."""
    values = _same_dtype("ConcatV2", list(values), "concat")
    return _out(F.cat(values, dim=axis))


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> EagerTensor:
    """Join tensors along a new axis; the dtypes must agree, as in TensorFlow."""
    values = _same_dtype("Pack", list(values), "stack")
    return _out(F.stack(values, dim=axis))


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: bool = False,
         name: str | None = None) -> EagerTensor:
    """``tf.norm``: the vector norm over ``axis`` (all elements by default), or the matrix
    norm over two axes.

    Computed as TensorFlow computes it, from the same reductions, so the gradient is
    TensorFlow's too: the Euclidean norm is ``sqrt(reduce_sum(x * x))``, whose gradient at
    a zero vector is NaN (PyTorch's ``torch.linalg.norm`` gives 0 there).

    Parameters
    ----------
    ord:
        ``'euclidean'`` (default), ``'fro'`` (two axes only), 1, 2, ``np.inf`` or any
        positive number for vectors; ``'euclidean'``/``'fro'``, 1 (largest column sum) or
        ``np.inf`` (largest row sum) for matrices. The spectral norm (``ord=2`` over two
        axes) is not available.
    axis:
        None (all elements, as one vector), an int, or two ints (a matrix norm).

    Raises
    ------
    ValueError
        For an ``ord`` TensorFlow refuses (its texts).
    NotImplementedError
        For ``ord=2`` over two axes.
    """
    x = _t(tensor)
    if isinstance(axis, Tensor):
        axis = axis._data.tolist()
    matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if isinstance(axis, (list, tuple)) and not matrix:
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, "
                         f"got {axis}")
    if matrix:
        axis = tuple(a % x.ndim if x.ndim else a for a in axis)
        if ord not in ("euclidean", "fro", 1, 2, np.inf):
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', "
                             f"1, 2, inf], got {ord}")
        if ord == 2:
            raise NotImplementedError("tf.norm: the spectral norm (ord=2 over two axes) is "
                                      "not available in dualgrad.tf")
    elif not (ord == "euclidean" or (isinstance(ord, (int, float)) and ord > 0)):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if ord in ("euclidean", "fro") or (ord == 2 and not matrix):
        result = sqrt(reduce_sum(x * x, axis, keepdims=True))
    else:
        result = abs(x)
        if ord == 1:
            result = reduce_sum(result, None if axis is None else
                                (axis[0] if matrix else axis), keepdims=True)
            if matrix:
                result = reduce_max(result, axis[1], keepdims=True)
        elif ord == np.inf:
            if matrix:
                result = reduce_sum(result, axis[1], keepdims=True)
            result = reduce_max(result, None if axis is None else
                                (axis[0] if matrix else axis), keepdims=True)
        else:
            result = pow(reduce_sum(pow(result, ord), axis, keepdims=True), 1.0 / ord)
    if not keepdims:
        result = _out(result.reshape(tuple(d for i, d in enumerate(result.shape) if not (
            axis is None or i in (axis if matrix else (axis % x.ndim,))))))
    return result


# --------------------------------------------------------------------------------------------
# Indices, shapes, clipping


_ARG_TYPES = (np.int16, np.uint16, np.int32, np.int64)


def _arg_extreme(op: str, input: Any, axis: Any, output_type: Any, largest: builtins.bool
                 ) -> EagerTensor:
    x = _t(input)
    data = x._data
    named = axis is None
    if axis is None:
        axis = 0
    axis = np.asarray(axis._data if isinstance(axis, Tensor) else axis)
    if axis.ndim:
        raise _op_failure(op, f"dim must be a scalar, but received tensor of shape: "
                          f"{_dims(axis.shape)}", named=False)
    axis = int(axis)
    out_dtype = _dtypes.as_dtype(output_type)
    if out_dtype not in _ARG_TYPES:
        raise _attr_error(
            op, "output_type", out_dtype, "int16, uint16, int32, int64",
            "input:T, dimension:Tidx -> output:output_type",
            "attr=T:type,allowed=[DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, "
            "DT_INT64, DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64, DT_QINT8, "
            "DT_QUINT8, DT_QINT32, DT_QINT16, DT_QUINT16, DT_BOOL]; attr=Tidx:type,"
            "default=DT_INT32,allowed=[DT_INT16, DT_INT32, DT_INT64]; attr=output_type:type,"
            "default=DT_INT64,allowed=[DT_INT16, DT_UINT16, DT_INT32, DT_INT64]", named=False)
    n = data.ndim
    if not -n <= axis < n:
        raise _op_failure(op, f"Expected dimension in the range [{-n}, {n}), but got {axis}",
                          named=named or n == 0)
    axis %= n
    if data.shape[axis] == 0:
        raise _op_failure(op, f"Reduction axis {axis} is empty in shape {_dims(data.shape)}")
    if data.dtype.kind == "f":
        # TensorFlow's CPU kernel (Eigen's reducer) starts from the lowest (highest) finite
        # value and takes only larger (smaller) ones, the first of ties: NaN and values at
        # the start never win, and index 0 is the answer when nothing does.
        limit = np.finfo(data.dtype)
        data = (np.where(np.isnan(data) | (data <= limit.min), -np.inf, data) if largest
                else np.where(np.isnan(data) | (data >= limit.max), np.inf, data))
    index = np.argmax(data, axis) if largest else np.argmin(data, axis)
    return constant(np.asarray(index).astype(out_dtype))


def argmax(input: Any, axis: Any = None, output_type: Any = int64, name: str | None = None
           ) -> EagerTensor:
    """The index of the largest value along ``axis`` (0 by default, as in TensorFlow), the
    first of ties, as an ``output_type`` (int64) tensor.

    As TensorFlow's CPU kernel, NaN is never the largest (TensorFlow skips it; NumPy picks
    it), and an all-NaN slice gives 0.

    Raises
    ------
    tf.errors.InvalidArgumentError
        With TensorFlow's texts: ``axis`` out of range or not a scalar, an empty slice, an
        ``output_type`` other than int16, uint16, int32, int64.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.argmax([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]], axis=1))
    tf.Tensor([1 0], shape=(2,), dtype=int64)
    """
    return _arg_extreme("ArgMax", input, axis, output_type, True)


def argmin(input: Any, axis: Any = None, output_type: Any = int64, name: str | None = None
           ) -> EagerTensor:
    """The index of the smallest value along ``axis`` (0 by default), the first of ties, as
    an ``output_type`` (int64) tensor; NaN is never the smallest, as in TensorFlow.

    Raises
    ------
    tf.errors.InvalidArgumentError
        As :func:`argmax`.
    """
    return _arg_extreme("ArgMin", input, axis, output_type, False)


def _one_axis(axis: Any, op: str) -> int:
    """``axis`` (an int, or a tensor or list holding one) as an int."""
    if axis is None:
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    values = np.asarray(axis._data if isinstance(axis, Tensor) else axis).reshape(-1)
    if values.size != 1:
        raise _op_failure(op, "'dim' must be a tensor with a single value", named=False)
    return int(values[0])


def expand_dims(input: Any, axis: Any, name: str | None = None) -> EagerTensor:
    """``input`` with a dimension of size 1 inserted at ``axis`` (``-1``: at the end).

    Raises
    ------
    tf.errors.InvalidArgumentError
        When ``axis`` is outside ``[-rank - 1, rank]`` (TensorFlow's text).
    """
    x = _t(input)
    axis = _one_axis(axis, "ExpandDims")
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise _op_failure("ExpandDims", f"Tried to expand dim index {axis} for tensor with "
                          f"{x.ndim} dimensions.", named=False)
    return _out(x.unsqueeze(axis))


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> EagerTensor:
    """``input`` without its dimensions of size 1 (all of them, or those in ``axis``).

    Raises
    ------
    tf.errors.InvalidArgumentError
        When an axis is out of range or its size is not 1 (TensorFlow's texts).
    """
    x = _t(input)
    shape = tuple(x.shape)
    if axis is None:
        drop = {i for i, d in enumerate(shape) if d == 1}
    else:
        drop = set()
        for a in ([axis] if isinstance(axis, (int, np.integer)) else _axis(axis)):
            if not -len(shape) <= a < len(shape):
                raise _op_failure("Squeeze", f"Tried to squeeze dim index {a} for tensor with "
                                  f"{len(shape)} dimensions.")
            a %= len(shape)
            if shape[a] != 1:
                raise _op_failure("Squeeze", f"Can not squeeze dim[{a}], expected a dimension "
                                  f"of 1, got {shape[a]}")
            drop.add(a)
    return _out(x.reshape(tuple(d for i, d in enumerate(shape) if i not in drop)))


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
                  ) -> EagerTensor:
    """``t`` with its values limited to ``[clip_value_min, clip_value_max]``.

    As TensorFlow's, it is ``tf.maximum(tf.minimum(t, max), min)``: the gradient reaches
    ``t`` where ``min <= t <= max`` (the bounds included), and the bounds where ``t`` is
    beyond them; NaN stays NaN. The bounds may be tensors that broadcast to ``t``'s shape.

    Raises
    ------
    ValueError
        When a bound would broadcast ``t`` to a larger shape (TensorFlow's text).
    tf.errors.InvalidArgumentError
        When the shapes do not broadcast.
    TypeError
        When a bound cannot take ``t``'s dtype (``Cannot convert 6.0 to EagerTensor of
        dtype int32``).
    """
    values = _t(t)
    t_min = _unnamed(minimum, values, clip_value_max)
    if t_min.shape != values.shape:
        raise ValueError(f"Shapes {values.shape} and {t_min.shape} are incompatible")
    t_max = _unnamed(maximum, t_min, clip_value_min)
    if t_max.shape != values.shape:
        raise ValueError(f"Shapes {values.shape} and {t_max.shape} are incompatible")
    return t_max


def _unnamed(fn: Callable, x: Any, y: Any) -> EagerTensor:
    """``fn(x, y)``; its shape error without the `` name: `` that TensorFlow does not print
    there (inside ``tf.clip_by_value``; its dtype errors keep it)."""
    try:
        return fn(x, y)
    except errors.InvalidArgumentError as e:
        if "Incompatible shapes" not in e.message:
            raise
        raise errors.InvalidArgumentError(None, None, e.message[:-len(" name: ")]) from None


def _hinted_value(value: Any, dtype: Any) -> Tensor:
    """TensorFlow's ``convert_to_tensor(value, dtype_hint=dtype)``: tensors as they are;
    other values in ``dtype`` if they convert, else in their own dtype."""
    if isinstance(value, Tensor) or dtype is None:
        return _natural(value)
    try:
        return Tensor._make(_tape._tf_array(value, dtype))
    except TypeError:
        return _natural(value)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: Any = None, dtype: Any = None, name: str | None = None) -> EagerTensor:
    """A tensor with ``on_value`` (1) at each index along a new axis of size ``depth`` (last
    by default) and ``off_value`` (0) elsewhere; indices outside ``[0, depth)`` give a row of
    ``off_value``.

    The dtype is ``dtype``, else that of ``on_value``/``off_value``, else float32, as in
    TensorFlow. The result is a constant: no gradient reaches ``on_value`` or ``off_value``
    (TensorFlow registers none).

    Raises
    ------
    TypeError
        When ``on_value``, ``off_value`` and ``dtype`` disagree (TensorFlow's texts).
    tf.errors.InvalidArgumentError
        For non-integer indices, a negative ``depth`` or an ``axis`` out of range.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.one_hot([0, 2, -1], 3))
    tf.Tensor(
    [[1. 0. 0.]
     [0. 0. 1.]
     [0. 0. 0.]], shape=(3, 3), dtype=float32)
    """
    want = None if dtype is None else _dtypes.as_dtype(dtype)
    on = None if on_value is None else _hinted_value(on_value, want)
    off = None if off_value is None else _hinted_value(off_value, want)
    on_dtype = None if on is None else on._data.dtype
    off_dtype = None if off is None else off._data.dtype
    tf_name = _dtypes.tf_dtype
    if want is not None:
        for which, d in (("on_value", on_dtype), ("off_value", off_dtype)):
            if d is not None and d != want:
                raise TypeError(f"dtype {tf_name(d)} of {which} does not match dtype "
                                f"parameter {tf_name(want)}")
    else:
        want = on_dtype if on is not None else off_dtype if off is not None else np.dtype(
            np.float32)
    on_arr = np.ones((), want) if on is None else on._data
    off_arr = np.zeros((), want) if off is None else off._data
    if on_arr.dtype != off_arr.dtype:
        raise TypeError(f"dtype {tf_name(on_arr.dtype)} of on_value does not match dtype "
                        f"{tf_name(off_arr.dtype)} of off_value")
    idx = _natural(indices)._data
    if idx.dtype not in (np.uint8, np.int8, np.int32, np.int64):
        raise _attr_error(
            "OneHot", "TI", idx.dtype, "uint8, int8, int32, int64",
            "indices:TI, depth:int32, on_value:T, off_value:T -> output:T",
            "attr=axis:int,default=-1; attr=T:type; attr=TI:type,default=DT_INT64,"
            "allowed=[DT_UINT8, DT_INT8, DT_INT32, DT_INT64]", named=False)
    depth = int(_tape._tf_array(depth._data if isinstance(depth, Tensor) else depth,
                                np.int32))
    if depth < 0:
        raise _op_failure("OneHot", f"depth must be non-negative, got: {depth}", named=False)
    axis = -1 if axis is None else int(axis)
    if axis != -1 and not 0 <= axis <= idx.ndim:
        raise _op_failure("OneHot", f"Expected axis to be -1 or between [0, {idx.ndim + 1}).  "
                          f"But received: {axis}", named=False)
    hot = idx[..., None] == np.arange(depth)
    out = np.where(hot, on_arr, off_arr).astype(want)
    return constant(np.moveaxis(out, -1, axis))


def gather(params: Any, indices: Any, validate_indices: Any = None, axis: Any = None,
           batch_dims: int = 0, name: str | None = None) -> EagerTensor:
    """The slices of ``params`` along ``axis`` (0 by default) at ``indices``; the result's
    shape is ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``.

    The gradient is dense here (TensorFlow returns an ``IndexedSlices``, with the same
    values once converted); repeated indices add up. ``batch_dims`` other than 0 is not
    available.

    Raises
    ------
    tf.errors.InvalidArgumentError
        With TensorFlow's texts for an index outside ``[0, params.shape[axis])`` (negative
        indices included, as on TensorFlow's CPU), non-integer indices, or an ``axis``
        beyond ``params``' rank.
    """
    if batch_dims != 0:
        raise NotImplementedError("tf.gather: batch_dims other than 0 is not available in "
                                  "dualgrad.tf")
    p = _t(params)
    idx = _natural(indices)._data
    if idx.dtype not in (np.int16, np.int32, np.int64):
        raise _attr_error(
            "GatherV2", "Tindices", idx.dtype, "int16, int32, int64",
            "params:Tparams, indices:Tindices, axis:Taxis -> output:Tparams",
            "attr=batch_dims:int,default=0; attr=Tparams:type; attr=Tindices:type,"
            "allowed=[DT_INT16, DT_INT32, DT_INT64]; attr=Taxis:type,allowed=[DT_INT32, "
            "DT_INT64]", named=False)
    axis = 0 if axis is None else int(axis._data if isinstance(axis, Tensor) else axis)
    if axis >= p.ndim:
        raise _op_failure("GatherV2", f"Shape must be at least rank {axis + 1} but is rank "
                          f"{p.ndim}", named=False)
    axis %= builtins.max(p.ndim, 1)
    size = p.shape[axis]
    bad = np.flatnonzero((idx < 0) | (idx >= size))
    if bad.size:
        where_ = ",".join(str(int(i)) for i in np.unravel_index(bad[0], idx.shape))
        raise _op_failure("GatherV2", f"indices[{where_}] = {idx.reshape(-1)[bad[0]]} is not "
                          f"in [0, {size})", named=False)
    flat = Tensor._make(idx.reshape(-1).astype(np.int64))
    shape = tuple(p.shape[:axis]) + idx.shape + tuple(p.shape[axis + 1:])
    return _out(F.index_select(p, axis, flat).reshape(shape))


# --------------------------------------------------------------------------------------------
# Sub-namespaces


def _random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = float32,
                   seed: int | None = None, name: str | None = None) -> EagerTensor:
    """Normal samples of the given shape (float32 by default)."""
    values = _creation._generator().normal(mean, stddev, _shape_arg(shape))
    return constant(values.astype(_dtypes.as_dtype(dtype)))


def _random_uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = float32,
                    seed: int | None = None, name: str | None = None) -> EagerTensor:
    """Uniform samples from ``[minval, maxval)`` (``[0, 1)`` float32 by default)."""
    dtype = _dtypes.as_dtype(dtype)
    gen = _creation._generator()
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {_dtypes.tf_dtype(dtype)!r}")
        values = gen.integers(minval, maxval, _shape_arg(shape))
    else:
        values = gen.uniform(minval, 1.0 if maxval is None else maxval, _shape_arg(shape))
    return constant(values.astype(dtype))


def _set_seed(seed: int) -> None:
    """Seed dualgrad's generator (the streams differ from TensorFlow's)."""
    _creation.manual_seed(seed)


random = types.SimpleNamespace(normal=_random_normal, uniform=_random_uniform,
                               set_seed=_set_seed)
random.__doc__ = "``tf.random``: normal, uniform, set_seed."


def _relu(features: Any, name: str | None = None) -> EagerTensor:
    """``max(features, 0)``."""
    return _out(F.relu(_t(features)))


def _elu(features: Any, name: str | None = None) -> EagerTensor:
    """``x`` for ``x > 0``, ``exp(x) - 1`` otherwise."""
    x = _t(features)
    _floats_only(x, "Elu", _REAL_TYPES)
    return _out(F.where(x._data > 0, x, F.expm1(F.clamp(x, max=0))))


def _pos_neg_parts(x: Tensor) -> tuple[Tensor, Tensor]:
    # TensorFlow's formulation: (relu(x), -|x|) written with `where`, so that the gradient at
    # exactly x = 0 is the one of the smooth function (0.5 for softplus), not a subgradient.
    cond = x._data >= 0
    zeros = np.zeros((), dtype=x._data.dtype)
    return F.where(cond, x, zeros), F.where(cond, -x, x)


def _softplus(features: Any, name: str | None = None) -> EagerTensor:
    """``log(1 + exp(x))``, computed stably."""
    x = _t(features)
    _floats_only(x, "Softplus", _REAL_TYPES)
    relu_x, neg_abs = _pos_neg_parts(x)
    return _out(relu_x + F.log1p(F.exp(neg_abs)))


def _softmax(logits: Any, axis: int = -1, name: str | None = None) -> EagerTensor:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    x = _t(logits)
    _floats_only(x, "Softmax", ("half, bfloat16, float, double", "logits:T -> softmax:T",
                                "DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE"))
    return _out(x.softmax(axis))


def _sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                       name: str | None = None) -> EagerTensor:
    """Elementwise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` (no reduction).

    Raises
    ------
    ValueError
        When ``labels`` and ``logits`` have different shapes.
    """
    x, z = _t(logits), _t(labels)
    if x.shape != z.shape:
        raise ValueError(f"`logits` and `labels` must have the same shape, received "
                         f"({tuple(x.shape)} vs {tuple(z.shape)}).")
    relu_x, neg_abs = _pos_neg_parts(x)
    return _out(relu_x - x * z + F.log1p(F.exp(neg_abs)))


_XENT_ATTRS = "attr=T:type,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE]"


def _softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1,
                                       name: str | None = None) -> EagerTensor:
    """Softmax cross-entropy of ``logits`` against the distributions ``labels`` along
    ``axis``, one loss per example: ``-sum(labels * log_softmax(logits), axis)``.

    As in TensorFlow: ``labels`` are cast to the logits' dtype and may broadcast against
    them (after both are flattened to matrices); the gradient reaches the logits
    (``softmax(logits) - labels``, TensorFlow's formula, used even when a row of labels does
    not sum to 1) and the labels (``-log_softmax(logits)``).

    Raises
    ------
    tf.errors.InvalidArgumentError
        For integer logits, or shapes that do not broadcast (TensorFlow's texts).

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> logits = tf.constant([[2.0, 1.0, 0.1]], dtype=tf.float64)
    >>> print(tf.nn.softmax_cross_entropy_with_logits([[1.0, 0.0, 0.0]], logits))
    tf.Tensor([0.41703002], shape=(1,), dtype=float64)
    """
    op = "SoftmaxCrossEntropyWithLogits"
    x = _t(logits)
    _floats_only(x, op, ("half, bfloat16, float, double",
                         "features:T, labels:T -> loss:T, backprop:T",
                         "DT_HALF, DT_BFLOAT16, DT_FLOAT, DT_DOUBLE"))
    z = _t(labels)
    if z._data.dtype != x._data.dtype:
        z = z.to(x._data.dtype)  # (recorded: the labels still get their gradient)
    if x.ndim == 0:
        raise _op_failure("Slice", "Expected begin[0] == 0 (got -1) and size[0] == 0 (got 1) "
                          "when input.dim_size(0) == 0", named=False)
    axis = int(axis) % x.ndim
    if axis != x.ndim - 1:  # TensorFlow moves the axis to the end of both
        if z.ndim != x.ndim:
            raise _op_failure("Transpose", f"transpose expects a vector of size {z.ndim}. But "
                              f"input(1) is a vector of size {x.ndim}")
        order = [i for i in builtins.range(x.ndim) if i != axis] + [axis]
        x, z = x.permute(*order), z.permute(*order)
    out_shape = tuple(x.shape[:-1])
    # (flattened to matrices as TensorFlow does, which decides what broadcasts)
    x2 = x.reshape(int(np.prod(out_shape)), x.shape[-1])
    z2 = z.reshape(int(np.prod(z.shape[:-1])), z.shape[-1]) if z.ndim else z.reshape(1, 1)
    if any(a != b and a != 1 and b != 1 for a, b in zip(x2.shape, z2.shape)):
        raise _op_failure(op, f"logits and labels must be broadcastable: logits_size="
                          f"{_dims(x2.shape)} labels_size={_dims(z2.shape)}")
    return _out(_ops_nn.softmax_cross_entropy_with_logits(x2, z2).reshape(out_shape))


def _sparse_softmax_cross_entropy_with_logits(labels: Any, logits: Any,
                                              name: str | None = None) -> EagerTensor:
    """Softmax cross-entropy of ``logits`` against class indices ``labels`` (one fewer
    dimension), one loss per example; the gradient reaches the logits
    (``softmax(logits) - one_hot(labels)``).

    Raises
    ------
    ValueError
        When the shapes do not fit or ``logits`` is a scalar (TensorFlow's texts).
    tf.errors.InvalidArgumentError
        For a label outside ``[0, classes)``, as TensorFlow's CPU kernel (``Received a label
        value of 5 which is outside the valid range of [0, 3).  Label values: 0 5``; on a
        GPU TensorFlow gives NaN instead), non-integer labels, integer logits or no class.
    """
    op = "SparseSoftmaxCrossEntropyWithLogits"
    x = _t(logits)
    lab = _natural(labels)._data
    if x.ndim == 0:
        raise ValueError(f"`logits` cannot be a scalar. Received logits={x}`")
    if lab.ndim != x.ndim - 1:
        raise ValueError(f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                         f"labels.shape={_tf_shape(lab.shape)} of rank {lab.ndim} and "
                         f"logits.shape={_tf_shape(tuple(x.shape))} of rank {x.ndim}")
    if lab.shape != tuple(x.shape[:-1]):
        raise ValueError(f"`labels.shape` must equal `logits.shape` except for the last "
                         f"dimension. Received: labels.shape={_tf_shape(lab.shape)} and "
                         f"logits.shape={_tf_shape(tuple(x.shape))}")
    signature = "features:T, labels:Tlabels -> loss:T, backprop:T"
    tlabels = "attr=Tlabels:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]"
    if x._data.dtype.kind != "f":
        raise _attr_error(op, "T", x._data.dtype, "half, bfloat16, float, double", signature,
                          f"{_XENT_ATTRS}; {tlabels}")
    if lab.dtype not in (np.int32, np.int64):
        raise _attr_error(op, "Tlabels", lab.dtype, "int32, int64", signature,
                          f"{_XENT_ATTRS}; {tlabels}")
    classes = x.shape[-1]
    if classes == 0:
        raise _op_failure(op, f"Must have at least one class, but got logits shape "
                          f"{_dims(x.shape)}")
    if lab.size and (lab.min() < 0 or lab.max() >= classes):
        bad = lab.min() if lab.min() < 0 else lab.max()
        raise _op_failure(op, f"Received a label value of {bad} which is outside the valid "
                          f"range of [0, {classes}).  Label values: "
                          f"{' '.join(str(v) for v in lab.reshape(-1))}")
    loss = _ops_nn.cross_entropy(x.reshape(-1, classes), lab.reshape(-1), reduction="none")
    return _out(loss.reshape(lab.shape))


nn = types.SimpleNamespace(
    relu=_relu, elu=_elu, softplus=_softplus, sigmoid=sigmoid, softmax=_softmax, tanh=tanh,
    sigmoid_cross_entropy_with_logits=_sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits=_softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits=_sparse_softmax_cross_entropy_with_logits,
)
nn.__doc__ = ("``tf.nn``: relu, elu, softplus, sigmoid, tanh, softmax, "
              "sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits, "
              "sparse_softmax_cross_entropy_with_logits.")


def _inv(input: Any, adjoint: bool = False, name: str | None = None) -> EagerTensor:
    """Matrix inverse."""
    return _out(F.inverse(_t(input)))


def _det(input: Any, name: str | None = None) -> EagerTensor:
    """Determinant."""
    return _out(F.det(_t(input)))


def _solve(matrix: Any, rhs: Any, adjoint: bool = False, name: str | None = None
           ) -> EagerTensor:
    """The solution ``X`` of ``matrix @ X = rhs``."""
    return _out(F.solve(_t(matrix), _t(rhs)))


def _matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False,
            a_is_sparse: bool = False, b_is_sparse: bool = False, name: str | None = None
            ) -> EagerTensor:
    """Matrix-vector product ``a @ b`` over the last axis of ``b`` (batches broadcast);
    as TensorFlow's, ``squeeze(matmul(a, expand_dims(b, -1)), -1)``, so mismatches raise
    ``tf.matmul``'s errors."""
    product = matmul(a, expand_dims(b, -1), transpose_a=transpose_a, adjoint_a=adjoint_a)
    return squeeze(product, axis=-1)


linalg = types.SimpleNamespace(matmul=matmul, matvec=_matvec, inv=_inv, det=_det,
                               solve=_solve, norm=norm, eye=eye)
linalg.__doc__ = "``tf.linalg``: matmul, matvec, inv, det, solve, norm, eye."

math = types.SimpleNamespace(
    sin=sin, cos=cos, tan=tan, exp=exp, log=log, sqrt=sqrt, square=square, abs=abs,
    tanh=tanh, sigmoid=sigmoid, pow=pow, add=add, multiply=multiply, subtract=subtract,
    divide=divide, negative=negative, maximum=maximum, minimum=minimum, log1p=log1p,
    expm1=expm1, sign=sign, reduce_sum=reduce_sum, reduce_mean=reduce_mean, reduce_max=reduce_max,
    reduce_min=reduce_min, reduce_prod=reduce_prod, softplus=_softplus, argmax=argmax,
    argmin=argmin,
)
math.__doc__ = "``tf.math``: the elementwise and reduction functions of this namespace."


# --------------------------------------------------------------------------------------------
# function, Module


def function(func: Callable | None = None, input_signature: Any = None, autograph: bool = True,
             jit_compile: Any = None, reduce_retracing: bool = False, **_: Any) -> Callable:
    """``tf.function``, which here runs the function eagerly: nothing is traced or compiled.

    Usable as ``@tf.function`` and ``@tf.function(...)``; the options are accepted and
    ignored. The decorated function behaves exactly like the undecorated one, and tapes
    record what it does as usual.
    """
    if func is None:
        return lambda f: function(f)

    @functools.wraps(func)
    def eager(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return eager


class Module:
    """``tf.Module``: a container whose ``variables`` are found in its attributes.

    As in TensorFlow, the module's own attributes are searched first, in name order (into
    lists, tuples and dicts), then the submodules found there; each variable is listed once.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> class Line(tf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = tf.Variable(2.0)
    ...         self.b = tf.Variable(0.0, trainable=False)
    >>> m = Line()
    >>> [v.numpy().item() for v in m.variables], len(m.trainable_variables)
    ([0.0, 2.0], 1)
    """

    def __init__(self, name: str | None = None) -> None:
        self._name = name if name is not None else _snake(type(self).__name__)

    @property
    def name(self) -> str:
        """The module's name (default: the class name in snake_case)."""
        return getattr(self, "_name", _snake(type(self).__name__))

    def _collect(self, want: Callable[[Any], builtins.bool]) -> tuple:
        # TensorFlow's order: this module's attributes by name, then its submodules in the
        # order they were met; each variable once.
        found: list = []
        seen: set[int] = set()
        visited: set[int] = {id(self)}

        def visit(module: Module) -> None:
            submodules = []
            attrs = vars(module)
            for key in sorted(attrs):
                for leaf in _flatten_leaves(attrs[key]):
                    if isinstance(leaf, _tape.Variable):
                        if id(leaf) not in seen and want(leaf):
                            seen.add(id(leaf))
                            found.append(leaf)
                    elif isinstance(leaf, Module) and id(leaf) not in visited:
                        visited.add(id(leaf))
                        submodules.append(leaf)
            for sub in submodules:
                visit(sub)

        visit(self)
        return tuple(found)

    @property
    def variables(self) -> tuple:
        """Every variable in this module and its submodules."""
        return self._collect(lambda v: True)

    @property
    def trainable_variables(self) -> tuple:
        """The trainable variables in this module and its submodules."""
        return self._collect(lambda v: v.trainable)


def _flatten_leaves(value: Any) -> list:
    if isinstance(value, dict):
        return [leaf for key in sorted(value, key=str) for leaf in _flatten_leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten_leaves(item)]
    return [value]


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


# --------------------------------------------------------------------------------------------
# tf.keras.losses: Keras 3's losses, composed of the tf functions above as Keras's TensorFlow
# backend composes them (so the gradients are TensorFlow's too).

_EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]
_REDUCTIONS = ("sum", "none", "mean_with_sample_weight", "sum_over_batch_size", "mean", None)


def _same_rank(x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    # Keras's squeeze_or_expand_to_same_rank: ranks one apart, the higher ending in 1.
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, expand_dims(x2, -1)) if x2.ndim == 1 else (squeeze(x1, -1), x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (expand_dims(x1, -1), x2) if x1.ndim == 1 else (x1, squeeze(x2, -1))
    return x1, x2


def _pred_and_true(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = convert_to_tensor(y_pred)
    return cast(y_true, y_pred.dtype), y_pred


def _sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                     ignore_class: int | None = None, axis: int = -1
                                     ) -> EagerTensor:
    """``tf.keras.losses.sparse_categorical_crossentropy``: the cross-entropy of each example
    between integer labels ``y_true`` and predictions ``y_pred`` (probabilities, or logits
    with ``from_logits=True``), without reduction.

    As Keras 3: probabilities are clipped to ``[1e-7, 1 - 1e-7]`` and their logarithms
    passed to ``tf.nn.sparse_softmax_cross_entropy_with_logits`` (so rows that do not sum
    to 1 are normalized); labels of shape ``y_pred.shape[:-1] + (1,)`` are squeezed;
    examples whose label is ``ignore_class`` get a loss (and gradient) of 0.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.keras.losses.sparse_categorical_crossentropy([0, 1], [[0.9, 0.1], [0.5, 0.5]]))
    tf.Tensor([0.10536057 0.6931472 ], shape=(2,), dtype=float32)
    """
    return _sparse_xent(y_true, y_pred, from_logits, ignore_class, axis)[0]


def _sparse_xent(y_true: Any, y_pred: Any, from_logits: bool, ignore_class: int | None,
                 axis: int) -> tuple[EagerTensor, np.ndarray | None]:
    y_pred = convert_to_tensor(y_pred)
    labels = _t(y_true)._data
    if axis != -1 and axis != y_pred.ndim - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = labels * valid
        y_pred = y_pred * constant(valid[..., None], dtype=y_pred.dtype)
    if not from_logits:
        y_pred = log(clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON))
    loss = _sparse_softmax_cross_entropy_with_logits(labels.astype(np.int64), y_pred)
    if valid is not None:
        loss = where(valid, loss, 0.0)
    return loss, valid


def _categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> EagerTensor:
    """``tf.keras.losses.categorical_crossentropy``: the cross-entropy of each example
    between distributions ``y_true`` (one-hot labels) and ``y_pred`` (probabilities, or logits
    with ``from_logits=True``) along ``axis``, without reduction.

    As Keras 3: ``label_smoothing`` ``s`` replaces the labels by ``y * (1 - s) + s / classes``;
    probabilities are divided by their sum along ``axis``, clipped to ``[1e-7, 1 - 1e-7]``,
    and the loss is ``-sum(y_true * log(p), axis)``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> y_true = [[0.0, 1.0, 0.0]]
    >>> print(tf.keras.losses.categorical_crossentropy(y_true, [[0.05, 0.95, 0.0]]))
    tf.Tensor([0.05129331], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if label_smoothing:
        dtype = y_pred._data.dtype.type
        y_true = y_true * (1.0 - label_smoothing) + (dtype(label_smoothing)
                                                     / dtype(y_true.shape[-1]))
    if from_logits:
        return _softmax_cross_entropy_with_logits(y_true, y_pred, axis=axis)
    y_pred = y_pred / reduce_sum(y_pred, axis, keepdims=True)
    y_pred = clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON)
    return -reduce_sum(y_true * log(y_pred), axis)


def _binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                         label_smoothing: float = 0.0, axis: int = -1) -> EagerTensor:
    """``tf.keras.losses.binary_crossentropy``: the mean over ``axis`` of the elementwise
    binary cross-entropy between labels ``y_true`` (0 or 1) and ``y_pred`` (probabilities,
    or logits with ``from_logits=True``).

    As Keras 3: ``label_smoothing`` ``s`` replaces the labels by ``y * (1 - s) + s / 2``;
    probabilities are clipped to ``[1e-7, 1 - 1e-7]``; logits go through
    ``tf.nn.sigmoid_cross_entropy_with_logits``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.keras.losses.binary_crossentropy([[0.0, 1.0]], [[0.2, 0.9]]))
    tf.Tensor([0.16425204], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        loss = _sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        y_pred = clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON)
        loss = -(y_true * log(y_pred) + (1 - y_true) * log(1 - y_pred))
    return reduce_mean(loss, axis)


def _mean_squared_error(y_true: Any, y_pred: Any) -> EagerTensor:
    """``tf.keras.losses.mean_squared_error``: ``mean(square(y_true - y_pred), axis=-1)``,
    after a rank-1 ``y_true`` is expanded to match a ``y_pred`` of shape ``(n, 1)`` (and
    the like, as Keras does)."""
    y_true, y_pred = _same_rank(*_pred_and_true(y_true, y_pred))
    return reduce_mean(square(y_true - y_pred), -1)


def _mean_absolute_error(y_true: Any, y_pred: Any) -> EagerTensor:
    """``tf.keras.losses.mean_absolute_error``: ``mean(abs(y_true - y_pred), axis=-1)``,
    with the shapes matched as for ``mean_squared_error``."""
    y_true, y_pred = _same_rank(*_pred_and_true(y_true, y_pred))
    return reduce_mean(abs(y_true - y_pred), -1)


class Loss:
    """``tf.keras.losses.Loss``, the base of Keras 3's loss objects:
    ``loss_fn(y_true, y_pred, sample_weight=None)`` computes the per-example losses with
    ``call(y_true, y_pred)`` in float32 (Keras's float type: float64 inputs are cast, and
    their gradients cast back), weights them and reduces them. A subclass defines ``call``.

    Parameters
    ----------
    name:
        The loss's name.
    reduction:
        ``"sum_over_batch_size"`` (the default: the weighted sum divided by the number of
        losses), ``"sum"``, ``"none"`` (or None: the weighted losses), ``"mean"`` (as
        ``"sum_over_batch_size"``) or ``"mean_with_sample_weight"`` (the weighted sum divided
        by the sum of the weights).

    Raises
    ------
    ValueError
        For another ``reduction`` (Keras's text).

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> class Squares(tf.keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return tf.square(y_true - y_pred)
    >>> print(Squares(reduction="sum")([1.0, 2.0], [0.0, 0.0], sample_weight=[1.0, 0.5]))
    tf.Tensor(3.0, shape=(), dtype=float32)
    """

    _fn: Callable | None = None
    _kwargs: dict[str, Any] = {}

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size"
                 ) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError("Invalid value for argument `reduction`. Expected one of {'sum', "
                             "'none', 'mean_with_sample_weight', 'sum_over_batch_size', "
                             f"'mean', None}}. Received: reduction={reduction}")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> EagerTensor:
        """The reduced loss of the predictions ``y_pred`` against ``y_true``."""
        y_true, y_pred = cast(y_true, float32), cast(y_pred, float32)
        losses, mask = self._losses(y_true, y_pred)
        weights = None if sample_weight is None else cast(sample_weight, float32)
        if mask is not None:  # (Keras's apply_mask: the valid losses reweighted)
            scale = constant(mask, dtype=float32)
            if self.reduction in ("mean", "sum_over_batch_size"):
                scale = scale * (np.float32(mask.size)
                                 / (np.float32(mask.sum()) + np.float32(_EPSILON)))
            weights = scale if weights is None else _product(*_same_rank(scale, weights))
        if weights is not None:
            losses = _product(*_same_rank(losses, weights))
        if self.reduction in (None, "none") or losses.ndim == 0 or losses.shape == (0,):
            return losses
        loss = reduce_sum(losses)
        if self.reduction == "sum":
            return loss
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            divisor = reduce_sum(weights)
        else:
            divisor = constant(int(np.prod(losses.shape)), dtype=float32)
        return _divide_no_nan(loss, divisor)

    def call(self, y_true: Any, y_pred: Any) -> EagerTensor:
        """The per-example losses, unreduced and unweighted."""
        if self._fn is None:
            raise NotImplementedError(f"{type(self).__name__} must define `call`")
        return type(self)._fn(y_true, y_pred, **self._kwargs)

    def _losses(self, y_true: Tensor, y_pred: Tensor) -> tuple[EagerTensor, Any]:
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"name": self.name, "reduction": self.reduction, **self._kwargs}


def _product(x: Tensor, y: Tensor) -> EagerTensor:
    return x * y


def _divide_no_nan(x: Tensor, y: Tensor) -> EagerTensor:
    # Keras's divide_no_nan: 0 where the divisor is 0 (its gradient too).
    safe = where(y._data == 0, constant(1.0), y)
    return where(y._data == 0, 0.0, x / safe)


class SparseCategoricalCrossentropy(Loss):
    """``tf.keras.losses.SparseCategoricalCrossentropy``: the cross-entropy between integer
    labels and predicted probabilities (or logits, with ``from_logits=True``), reduced.

    The per-example losses are ``sparse_categorical_crossentropy``'s; examples labelled
    ``ignore_class`` are left out (the mean is then over the others, as in Keras). See
    ``Loss`` for ``reduction`` and ``sample_weight``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    >>> print(loss_fn([0, 2], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    tf.Tensor(0.28990924, shape=(), dtype=float32)
    """

    _fn = staticmethod(_sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy", axis: int = -1) -> None:
        super().__init__(name, reduction)
        self._kwargs = {"from_logits": from_logits, "ignore_class": ignore_class}
        self._axis = axis

    def _losses(self, y_true: Tensor, y_pred: Tensor) -> tuple[EagerTensor, Any]:
        return _sparse_xent(y_true, y_pred, axis=self._axis, **self._kwargs)


class CategoricalCrossentropy(Loss):
    """``tf.keras.losses.CategoricalCrossentropy``: the cross-entropy between one-hot (or
    soft) labels and predicted probabilities (or logits, with ``from_logits=True``),
    reduced; the per-example losses are ``categorical_crossentropy``'s. See ``Loss`` for
    ``reduction`` and ``sample_weight``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> loss_fn = tf.keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    >>> print(loss_fn([[1.0, 0.0, 0.0]], [[0.7, 0.2, 0.1]]))
    tf.Tensor(0.4632974, shape=(), dtype=float32)
    """

    _fn = staticmethod(_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_crossentropy") -> None:
        super().__init__(name, reduction)
        self._kwargs = {"from_logits": from_logits, "label_smoothing": label_smoothing,
                        "axis": axis}


class BinaryCrossentropy(Loss):
    """``tf.keras.losses.BinaryCrossentropy``: the binary cross-entropy between 0/1 labels
    and predicted probabilities (or logits, with ``from_logits=True``), averaged over the
    last axis and reduced; the per-example losses are ``binary_crossentropy``'s. See
    ``Loss`` for ``reduction`` and ``sample_weight``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    >>> print(loss_fn([[0.0, 1.0]], [[-1.0, 2.0]]))
    tf.Tensor(0.22009481, shape=(), dtype=float32)
    """

    _fn = staticmethod(_binary_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_crossentropy") -> None:
        super().__init__(name, reduction)
        self._kwargs = {"from_logits": from_logits, "label_smoothing": label_smoothing,
                        "axis": axis}


class MeanSquaredError(Loss):
    """``tf.keras.losses.MeanSquaredError``: ``mean_squared_error`` of each example,
    reduced. See ``Loss`` for ``reduction`` and ``sample_weight``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.keras.losses.MeanSquaredError()([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]]))
    tf.Tensor(0.41666666, shape=(), dtype=float32)
    """

    _fn = staticmethod(_mean_squared_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_error") -> None:
        super().__init__(name, reduction)


class MeanAbsoluteError(Loss):
    """``tf.keras.losses.MeanAbsoluteError``: ``mean_absolute_error`` of each example,
    reduced. See ``Loss`` for ``reduction`` and ``sample_weight``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> print(tf.keras.losses.MeanAbsoluteError()([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]]))
    tf.Tensor(0.5, shape=(), dtype=float32)
    """

    _fn = staticmethod(_mean_absolute_error)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_error") -> None:
        super().__init__(name, reduction)


losses = types.SimpleNamespace(
    Loss=Loss, SparseCategoricalCrossentropy=SparseCategoricalCrossentropy,
    CategoricalCrossentropy=CategoricalCrossentropy, BinaryCrossentropy=BinaryCrossentropy,
    MeanSquaredError=MeanSquaredError, MeanAbsoluteError=MeanAbsoluteError,
    sparse_categorical_crossentropy=_sparse_categorical_crossentropy,
    categorical_crossentropy=_categorical_crossentropy, binary_crossentropy=_binary_crossentropy,
    mean_squared_error=_mean_squared_error, mean_absolute_error=_mean_absolute_error,
)
losses.__doc__ = ("``tf.keras.losses``: Keras 3's Loss, SparseCategoricalCrossentropy, "
                  "CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, "
                  "MeanAbsoluteError and their function forms.")


# Keras-style optimizers (``tf.keras.optimizers.SGD``/``Adam``, ``tf.optimizers.*``): Keras 3's
# update equations, applied in place to Variables with ``apply_gradients(zip(grads, vars))``,
# and Keras's learning-rate schedules.


def _tf_schedule(cls: type) -> type:
    # The schedule ``cls`` with its values as ``tf.Tensor``s, as Keras's print.
    def __call__(self: Any, step: Any) -> EagerTensor:
        return _as_eager(cls.__call__(self, step))

    return type(cls.__name__, (cls,), {"__call__": __call__, "__doc__": cls.__doc__,
                                       "__module__": __name__})


schedules = types.SimpleNamespace(
    LearningRateSchedule=_keras.LearningRateSchedule,
    **{cls.__name__: _tf_schedule(cls) for cls in (
        _keras.ExponentialDecay, _keras.PiecewiseConstantDecay, _keras.CosineDecay)})
schedules.__doc__ = ("``tf.keras.optimizers.schedules``: LearningRateSchedule, "
                     "ExponentialDecay, PiecewiseConstantDecay, CosineDecay.")
optimizers = types.SimpleNamespace(SGD=_keras.SGD, Adam=_keras.Adam, schedules=schedules)
keras = types.SimpleNamespace(optimizers=optimizers, losses=losses)


def custom_gradient(f: Callable | None = None) -> Callable:
    """``tf.custom_gradient``: ``f(*x)`` returns ``(y, grad_fn)``, and ``grad_fn(upstream)``
    gives the gradient of each input.

    As ``dualgrad.custom_gradient``, with TensorFlow's tensors: the results and the
    ``upstream`` gradients ``grad_fn`` receives print as ``tf.Tensor``.

    Examples
    --------
    >>> import dualgrad.tf as tf
    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     def grad(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.0, dtype=tf.float64)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> print(y, tape.gradient(y, x))
    tf.Tensor(100.0, shape=(), dtype=float64) tf.Tensor(1.0, shape=(), dtype=float64)
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def with_tf_values(*args: Any, **kwargs: Any) -> Any:
        y, grad_fn = f(*args, **kwargs)
        if not callable(grad_fn):
            return y, grad_fn  # (dualgrad's custom_gradient reports it)

        @functools.wraps(grad_fn)
        def grad(*upstream: Any) -> Any:
            return grad_fn(*_as_eager(list(upstream)))

        return y, grad

    wrapped = _custom_gradient(with_tf_values)

    @functools.wraps(f)
    def call(*args: Any, **kwargs: Any) -> Any:
        return _as_eager(wrapped(*args, **kwargs))

    return call
