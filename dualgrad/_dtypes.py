"""Dtypes and PyTorch's type-promotion rules, on NumPy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "complex64", "complex128", "as_dtype", "default_float", "result_dtype", "is_floating",
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


def as_dtype(dtype: Any) -> np.dtype:
    """Normalise a dtype given as a NumPy dtype, type, string or ``dtype`` name."""
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
                "bool": "Bool", "float16": "Half"}


def torch_name(dtype: np.dtype) -> str:
    """PyTorch's name of ``dtype`` (``"Float"`` for float32); NumPy's for the others."""
    return _TORCH_NAMES.get(str(dtype), str(dtype))


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
