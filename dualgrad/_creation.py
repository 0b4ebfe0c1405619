"""Tensor factories with PyTorch's keywords (``dtype``, ``device``, ``requires_grad``) and
PyTorch's default dtypes: Python floats give float32, Python ints int64, NumPy arrays keep
their dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._device import check_device
from dualgrad._tensor import Tensor, check_fits

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
    "linspace", "rand", "randn", "randint", "zeros_like", "ones_like", "full_like",
    "empty_like", "rand_like", "randn_like", "manual_seed", "seed", "randperm",
    "get_default_dtype",
]

# Created on first use: numpy.random costs about 6 MiB and 8 ms at import.
_RNG: list[np.random.Generator | None] = [None]


def _generator() -> np.random.Generator:
    rng = _RNG[0]
    if rng is None:
        rng = _RNG[0] = np.random.default_rng()
    return rng


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind ``rand``, ``randn``, ``randint`` and parameter init.

    The numbers differ from PyTorch's (a different generator); the same seed gives the same
    numbers in dualgrad.
    """
    _RNG[0] = np.random.default_rng(int(seed))
    return _RNG[0]


seed = manual_seed


def _finish(arr: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    check_device(device)
    if dtype is not None:
        arr = arr.astype(_dtypes.as_dtype(dtype), copy=False)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy array for ``data`` with PyTorch's default dtypes (or ``dtype`` when given)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _nested_values(data)
    if dtype is not None:
        # Straight to the asked dtype: a detour through float32 would round float64 data.
        return np.array(data, dtype=_dtypes.as_dtype(dtype))
    arr = np.array(data)
    if arr.dtype == np.float64:
        arr = arr.astype(_dtypes.default_float)
    elif arr.dtype == np.complex128:
        arr = arr.astype(_dtypes.complex64)
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "fcbiu":
        raise TypeError(f"can't convert {type(data).__name__} of dtype {arr.dtype} to a tensor")
    return arr


def _flat(data: Any) -> list:
    out, stack = [], [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(d)
        else:
            out.append(d)
    return out


def _nested_values(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        return [_nested_values(d) for d in data]
    return data.item() if isinstance(data, Tensor) else data


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    Parameters
    ----------
    data:
        A number, a (nested) list, a NumPy array or a tensor.
    dtype:
        The dtype; by default float32 for Python floats, int64 for Python ints, the array's
        own dtype for NumPy arrays.
    device:
        Only ``"cpu"``: dualgrad computes with NumPy.
    requires_grad:
        Record operations on this tensor (floating dtypes only).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.tensor([[1., 2, 3], [3, 2, 1]], requires_grad=True)
    tensor([[1., 2., 3.],
            [3., 2., 1.]], requires_grad=True)
    """
    return _finish(_infer(data, dtype), dtype, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or _dtypes.as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray):
        return _finish(data, dtype, device, False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (same dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array)


def _shape(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _float_dtype(dtype: Any) -> np.dtype:
    return _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.default_float


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    return _finish(np.zeros(_shape(size), _float_dtype(dtype)), None, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 by default)."""
    return _finish(np.ones(_shape(size), _float_dtype(dtype)), None, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros in dualgrad)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, as PyTorch)."""
    if dtype is None:
        dtype = _infer(fill_value).dtype
    check_fits(fill_value, _dtypes.as_dtype(dtype))
    return _finish(np.full(_shape((size,)), fill_value, _dtypes.as_dtype(dtype)), None,
                   device, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` by ``m``)."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), None, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded): int64 for ints, float32 for floats."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    arr = np.arange(start, end, step)
    if dtype is None:
        floating = any(isinstance(v, float) for v in (start, end, step))
        dtype = _dtypes.default_float if floating else _dtypes.int64
    return _finish(arr, dtype, device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (float32 by default)."""
    arr = np.linspace(start, end, steps)
    return _finish(arr, _float_dtype(dtype), device, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples from ``[0, 1)`` (float32 by default)."""
    arr = (generator or _generator()).random(_shape(size))
    return _finish(arr.astype(_float_dtype(dtype)), None, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples (float32 by default)."""
    arr = (generator or _generator()).standard_normal(_shape(size))
    return _finish(arr.astype(_float_dtype(dtype)), None, device, requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None,
            device: Any = None) -> Tensor:
    """Random integers from ``[low, high)`` (int64): ``randint(high, size)`` or
    ``randint(low, high, size)``, as in PyTorch."""
    if high is None or (isinstance(high, (tuple, list)) and size == ()):
        low, high, size = 0, low, size if high is None else high
    arr = _generator().integers(low, high, size=tuple(size))
    return _finish(arr, dtype or _dtypes.int64, device, False)


def randperm(n: int, dtype: Any = None, device: Any = None, requires_grad: bool = False
             ) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64), from the generator ``manual_seed``
    seeds."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return _finish(_generator().permutation(n), dtype or _dtypes.int64, device, requires_grad)


def get_default_dtype() -> Any:
    """The dtype of tensors made from Python floats: ``torch.float32``."""
    return _dtypes.torch_dtype(_dtypes.default_float)


def _like(t: Any, dtype: Any) -> tuple[tuple, np.dtype]:
    arr = t._data if isinstance(t, Tensor) else np.asarray(t)
    return arr.shape, _dtypes.as_dtype(dtype) if dtype is not None else arr.dtype


def zeros_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(np.zeros(shape, dt), None, device, requires_grad)


def ones_like(t: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(np.ones(shape, dt), None, device, requires_grad)


def empty_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor like ``t`` (zeros in dualgrad)."""
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(np.full(shape, fill_value, dt), None, device, requires_grad)


def rand_like(t: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform samples with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(_generator().random(shape).astype(dt), None, device, requires_grad)


def randn_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Normal samples with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(_generator().standard_normal(shape).astype(dt), None, device,
                   requires_grad)
