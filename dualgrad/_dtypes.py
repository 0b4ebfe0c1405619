"""Dtypes and PyTorch's type-promotion rules, on NumPy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "complex64", "complex128", "as_dtype", "default_float", "result_dtype", "is_floating",
    "DType", "TorchDType", "TFDType", "torch_dtype", "tf_dtype",
]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

default_float = float32

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


class DType:
    """A dtype as a front end shows it (``torch.float32``, ``tf.float32``), over a NumPy dtype.

    It works wherever a NumPy dtype does: it compares equal to it (and to its type and name),
    hashes like it, NumPy reads its ``dtype`` attribute (``np.zeros(2, dtype=dg.float32)``),
    and the NumPy dtype's attributes (``itemsize``, ``kind``, ...) are readable on it.
    """

    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.dtype == other.dtype
        try:
            return self.dtype == as_dtype(other)
        except (TypeError, ValueError):
            return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dtype, name)

    def __reduce__(self) -> tuple:
        return (type(self)._of, (self.dtype.str,))

    @classmethod
    def _of(cls, dtype: Any) -> DType:
        dtype = np.dtype(dtype)
        cache = cls._cache  # type: ignore[attr-defined]
        found = cache.get(dtype)
        if found is None:
            found = cache[dtype] = cls(dtype)
        return found


class TorchDType(DType):
    """PyTorch's dtype objects: ``print(x.dtype)`` shows ``torch.float32``."""

    __slots__ = ()
    _cache: dict = {}

    def __repr__(self) -> str:
        return f"torch.{self.dtype.name}"

    __str__ = __repr__

    @property
    def is_floating_point(self) -> bool:
        """True for float16/32/64."""
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        """True for complex64/128."""
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        """True unless unsigned or bool."""
        return self.dtype.kind not in "ub"


class TFDType(DType):
    """TensorFlow's ``tf.DType``: ``print(x.dtype)`` shows ``<dtype: 'float32'>``."""

    __slots__ = ()
    _cache: dict = {}

    def __repr__(self) -> str:
        return f"tf.{self.dtype.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.dtype.name}'>"

    @property
    def as_numpy_dtype(self) -> type:
        """The NumPy scalar type (``numpy.float32``)."""
        return self.dtype.type

    @property
    def is_floating(self) -> bool:
        """True for the floating dtypes."""
        return self.dtype.kind == "f"

    @property
    def is_integer(self) -> bool:
        """True for the integer dtypes."""
        return self.dtype.kind in "iu"

    @property
    def is_bool(self) -> bool:
        """True for bool."""
        return self.dtype.kind == "b"

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize


def torch_dtype(dtype: Any) -> TorchDType:
    """The (unique) :class:`TorchDType` for a NumPy dtype."""
    found = TorchDType._cache.get(dtype)
    return found if found is not None else TorchDType._of(dtype)


def tf_dtype(dtype: Any) -> TFDType:
    """The (unique) :class:`TFDType` for a NumPy dtype."""
    found = TFDType._cache.get(dtype)
    return found if found is not None else TFDType._of(dtype)


def as_dtype(dtype: Any) -> np.dtype:
    """Normalise a dtype given as a NumPy dtype, type, string or ``dtype`` name."""
    if dtype.__class__ is np.dtype or isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, DType):
        return dtype.dtype
    if dtype is None:
        raise TypeError("dtype must not be None here")
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, str):
        dtype = dtype.removeprefix("torch.").removeprefix("tf.")
        dtype = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                 "int": "int32", "short": "int16", "bool": "bool"}.get(dtype, dtype)
    return np.dtype(dtype)


# PyTorch's names of the scalar types, as its error messages and ``Tensor.type()`` spell them.
_TORCH_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                "bool": "Bool", "float16": "Half", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def torch_name(dtype: Any) -> str:
    """PyTorch's name of ``dtype`` (``"Float"`` for float32); NumPy's for the others."""
    name = as_dtype(dtype).name
    return _TORCH_NAMES.get(name, name)


def is_floating(dtype: np.dtype) -> bool:
    """True for floating and complex dtypes: the ones that may require grad."""
    return dtype.kind in "fc"


def _category(dtype: np.dtype) -> int:
    return _CATEGORY.get(dtype.kind, 2)


def _promote_within(dtypes: list[np.dtype]) -> np.dtype:
    top = max(_category(d) for d in dtypes)
    same = [d for d in dtypes if _category(d) == top]
    return np.result_type(*same)


def result_dtype(dimensioned: list[np.dtype], zero_dim: list[np.dtype],
                 scalars: list[Any] = ()) -> np.dtype:
    """PyTorch's promotion: dimensioned tensors, then 0-d tensors, then Python scalars.

    A lower-priority group only matters when it is of a higher category (bool < integer <
    floating < complex); Python floats then give the default float dtype (float32).
    """
    groups = [g for g in (dimensioned, zero_dim) if g]
    best: np.dtype | None = None
    for group in groups:
        cand = _promote_within(group)
        if best is None:
            best = cand
        elif _category(cand) > _category(best):
            best = cand
    for s in scalars:
        cat = 3 if isinstance(s, complex) else 2 if isinstance(s, float) else (
            0 if isinstance(s, bool) else 1)
        if best is None or cat > _category(best):
            best = {3: complex64, 2: default_float, 1: int64, 0: bool_}[cat]
    return best if best is not None else default_float


# Python scalars as operands of floating tensors, cached as read-only 0-d arrays of the
# tensor's dtype, per dtype. NumPy 2 resolves a Python float operand (NEP 50 "weak" scalars)
# on every call, which costs more than the arithmetic on small arrays: ``a * 0.999`` takes
# about twice as long as ``a * b`` for 16 float32 values. Casting the scalar to the tensor's
# dtype first is what NumPy does with it anyway, so the results are the same bits.
_FLOAT32_OPERANDS: dict[float, np.ndarray] = {}
_OPERANDS: dict[np.dtype, dict[float, np.ndarray]] = {float32: _FLOAT32_OPERANDS}
_OPERANDS_MAX = 1024  # per dtype: a loop over many distinct scalars must not grow memory


def scalar_operand(value: float, dtype: np.dtype) -> Any:
    """``value`` (a nonzero Python float or int) as an operand of a floating array of
    ``dtype``: a cached read-only 0-d array holding ``value`` cast to ``dtype``, or ``value``
    itself where the cast would differ from NumPy's own handling (zero, whose sign a cache
    keyed by value would lose; NaN, which never equals a key; a value that overflows
    ``dtype``; an integer too large for a float64 to hold exactly)."""
    try:
        # (float32, the default, without hashing the dtype: that is slow in NumPy)
        return (_FLOAT32_OPERANDS if dtype is float32 else _OPERANDS[dtype])[value]
    except KeyError:
        pass
    if not value or value != value or (value.__class__ is int and abs(value) > 2 ** 53):
        return value
    with np.errstate(over="ignore"):
        operand = np.array(value, dtype)
    if not np.isfinite(operand) and abs(value) != float("inf"):
        return value
    operand.flags.writeable = False
    table = _OPERANDS.setdefault(dtype, {})
    if len(table) >= _OPERANDS_MAX:
        table.clear()
    table[value] = operand
    return operand
