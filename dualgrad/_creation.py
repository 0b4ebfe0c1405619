"""Tensor factories with PyTorch's keywords (``dtype``, ``device``, ``requires_grad``) and
PyTorch's default dtypes: Python floats give float32, Python ints int64, NumPy arrays keep
their dtype."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._device import check_device
from dualgrad._tensor import Tensor, check_fits, not_implemented_for

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

    Like PyTorch, any integer from ``-2**63`` to ``2**64 - 1`` is a seed (a negative one is
    taken modulo ``2**64``); others raise PyTorch's ``ValueError``. The numbers differ from
    PyTorch's (a different generator); the same seed gives the same numbers in dualgrad.
    """
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        # PyTorch reads the seed as a C integer of 64 bits, signed or unsigned.
        raise ValueError("Overflow when unpacking long long")
    _RNG[0] = np.random.default_rng(seed % 2**64)
    return _RNG[0]


seed = manual_seed


# --- PyTorch's checks of the arguments ------------------------------------------------------
# PyTorch's argument parser names the function, the argument and its position; these helpers
# give its texts, so that a wrong call fails here as it would there.

_OPTIONS = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False")
_OUT = "Tensor out = None, " + _OPTIONS
_GEN = "torch.Generator generator, "
_LIKE = "Tensor input, *, {}torch.memory_format memory_format = None, " + _OPTIONS
# The signatures PyTorch lists when no overload of a factory fits the arguments.
_SIGNATURES = {
    "rand": (f"tuple of ints size, *, {_GEN}{_OUT}", f"tuple of ints size, *, {_OUT}"),
    "randint": (f"int high, tuple of ints size, *, {_GEN}{_OUT}",
                f"int high, tuple of ints size, *, {_OUT}",
                f"int low, int high, tuple of ints size, *, {_GEN}{_OUT}",
                f"int low, int high, tuple of ints size, *, {_OUT}"),
    "randperm": (f"int n, *, {_GEN}{_OUT}", f"int n, *, {_OUT}"),
    "eye": (f"int n, *, {_OUT}", f"int n, int m, *, {_OUT}"),
    "linspace": tuple(f"{a} start, {b} end, int steps, *, {_OUT}" for a, b in (
        ("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"), ("Number", "Number"))),
    "arange": (f"Number end, *, {_OUT}", f"Number start, Number end, *, {_OPTIONS}",
               f"Number start, Number end, Number step = 1, *, {_OUT}"),
    "rand_like": (_LIKE.format(_GEN), _LIKE.format("")),
}
_SIGNATURES["randn"] = _SIGNATURES["rand"]
_SIGNATURES["randn_like"] = _SIGNATURES["rand_like"]


def _type_name(obj: Any) -> str:
    """The name PyTorch's messages give ``obj``'s type (``float``, ``numpy.ndarray``)."""
    if isinstance(obj, _dtypes.DType):
        return "torch.dtype"
    cls = type(obj)
    if cls.__module__.partition(".")[0] == "numpy":
        return f"{cls.__module__}.{cls.__qualname__}"
    return cls.__name__


def _invalid_combination(fn: str, args: tuple, dtype: Any = None) -> TypeError:
    """PyTorch's error when no overload of ``fn`` takes ``args`` (and ``dtype``, the only
    keyword listed here)."""
    got = [_type_name(a) for a in args]
    if dtype is not None:
        got.append(f"dtype={_type_name(dtype)}")
    listed = "".join(f" * ({s})\n" for s in _SIGNATURES[fn])
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n{listed}")


def _dtype_arg(fn: str, dtype: Any, args: tuple | None = None) -> np.dtype | None:
    """``dtype`` as a NumPy dtype, refused as PyTorch refuses anything but a ``torch.dtype``
    or Python's ``float``, ``int``, ``bool``, ``complex``. Without ``args``, PyTorch's short
    text; with them (for factories with several overloads), its list of signatures."""
    if dtype is None:
        return None
    if isinstance(dtype, _dtypes.DType):
        return dtype.dtype
    # As PyTorch: Python's float is float64 here (``_dtypes.as_dtype`` makes it float32).
    python = {float: _dtypes.float64, int: _dtypes.int64, bool: _dtypes.bool_,
              complex: _dtypes.complex128}.get(dtype) if isinstance(dtype, type) else None
    if python is not None:
        return python
    if args is not None:
        raise _invalid_combination(fn, args, dtype)
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {_type_name(dtype)}")


def _is_int(value: Any) -> bool:
    """An int where PyTorch wants one: Python or NumPy integers, a 0-d integer tensor; not a
    bool."""
    if isinstance(value, Tensor):
        return value._data.ndim == 0 and value._data.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int_arg(fn: str, name: str, position: int, value: Any) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                        f"{_type_name(value)}")
    return int(value)


def _unpack(fn: str, size: Any) -> tuple[int, ...]:
    if type(size) is tuple and all(type(s) is int for s in size):
        return size  # (the common case, without a call per entry)
    # Past the first entry PyTorch also takes bools (as 0 and 1).
    for pos, s in enumerate(size, 1):
        if not (_is_int(s) or isinstance(s, bool)):
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {pos} "
                            f'with error "type must be tuple of ints,but got {_type_name(s)}"')
    return tuple(int(s) for s in size)


def _size_arg(fn: str, size: Any, position: int = 1, lone_int: bool = False
              ) -> tuple[int, ...]:
    """A ``size`` argument checked as PyTorch checks it: a tuple, list or ``Size`` of ints
    (or, with ``lone_int``, one int)."""
    if isinstance(size, (tuple, list)):
        if size and not _is_int(size[0]):
            raise TypeError(f"{fn}(): argument 'size' (position {position}) must be tuple of "
                            f"ints, but found element of type {_type_name(size[0])} at pos 0")
        return _unpack(fn, size)
    if lone_int and _is_int(size):
        return (int(size),)
    raise TypeError(f"{fn}(): argument 'size' (position {position}) must be tuple of ints, not "
                    f"{_type_name(size)}")


def _sizes_arg(fn: str, size: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike, checked as PyTorch checks them."""
    if not size:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    if len(size) == 1:
        return _size_arg(fn, size[0], lone_int=True)
    if not _is_int(size[0]):
        raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
    return _unpack(fn, size)


def check_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """PyTorch's error for a negative size of a new tensor (NumPy raises a ValueError)."""
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"[{', '.join(str(d) for d in shape)}]")
    return shape


# What PyTorch's parser takes as a Number (a 0-d tensor too, where it takes a Tensor).
_NUMBERS = (bool, int, float, complex, np.number, np.bool_, Tensor)


def _fill_arg(fn: str, value: Any) -> Any:
    if isinstance(value, Tensor) and value._data.ndim == 0:
        return value.item()
    if not isinstance(value, _NUMBERS[:-1]):
        raise TypeError(f"{fn}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{_type_name(value)}")
    return value


def _like_arg(fn: str, t: Any) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_type_name(t)}")
    return t._data


def _sampled(kernel: str, dtype: np.dtype) -> np.dtype:
    """PyTorch's error for random floats asked in an integer or bool dtype."""
    if dtype.kind not in "fc":
        raise not_implemented_for(kernel, dtype)
    return dtype


# --- from data ------------------------------------------------------------------------------

_MAX_DIMS = 64
_COPY_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "torch.tensor(sourceTensor).")
_NUMPY_TYPES = ("float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
                "uint64, uint32, uint16, uint8, and bool")


def _finish(arr: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    check_device(device)
    if dtype is not None:
        arr = arr.astype(_dtypes.as_dtype(dtype), copy=False)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_numpy(arr: np.ndarray | np.generic) -> None:
    """PyTorch's error for a NumPy dtype it has no tensors of (strings, objects, dates)."""
    if arr.dtype in _NUMPY_OK:
        return
    kind, itemsize = arr.dtype.kind, arr.dtype.itemsize
    # (long double, and its complex, is wider than float64 and complex128 here)
    if kind not in "biufc" or itemsize > {"f": 8, "c": 16}.get(kind, 8):
        raise TypeError(f"can't convert np.ndarray of type numpy.{arr.dtype.type.__name__}. "
                        f"The only supported types are: {_NUMPY_TYPES}.")


def _infer(data: Any, dtype: np.dtype | None = None) -> np.ndarray:
    """NumPy array for ``data`` with PyTorch's default dtypes (or ``dtype`` when given)."""
    if dtype is None:
        # Python scalars first, straight to their dtype: NumPy's float64 and the range checks
        # below cost a few microseconds (``torch.tensor(2.0)`` in a loop).
        cls = type(data)
        if cls is float:
            return np.array(data, _dtypes.default_float)
        if cls is bool or (cls is int and -_INT64_LIMIT <= data < _INT64_LIMIT):
            return np.array(data)
    if isinstance(data, Tensor):
        arr = data._data.copy()
        return arr if dtype is None else arr.astype(dtype)
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        _check_numpy(data)
        return np.array(data, dtype=dtype)
    if not (isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data))):
        try:
            arr = np.array(data)
        except (ValueError, TypeError, OverflowError):
            arr = None  # ragged or mixed: PyTorch's own walk below finds its error
        # NumPy makes a list with an int past int64's range uint64, or float64 next to other
        # ints; PyTorch refuses that int: such lists take the walk below.
        if arr is not None and arr.dtype.kind in "biufc" and arr.dtype != np.uint64 and not (
                arr.dtype.kind == "f" and arr.size and arr.dtype.itemsize > 2
                and _largest_magnitude(arr) >= 2.0**63):
            if dtype is None:
                found = arr.dtype
                if found is _I64 or found is _BOOL:
                    return arr
                if found is _F64 or found is _C128:
                    # Python floats, or NumPy's float64 (a float subclass): one look at the
                    # first number tells them apart, so that Python lists keep their fast way.
                    first = data
                    while type(first) is list or type(first) is tuple:
                        first = first[0] if first else 0.0
                    if type(first) in _PYTHON_NUMBERS:
                        return arr.astype(_dtypes.default_float if found is _F64
                                          else _dtypes.complex64)
                # NumPy scalars or arrays in the list: their dtypes count, promoted as PyTorch
                # promotes ([np.int32(1), True] is int32, [np.float64(1), 2.0] float64).
                return arr.astype(_data_dtype(data), copy=False)
            if arr.dtype.kind in "iu" and dtype.kind in "fc":
                # Straight from the Python ints, as PyTorch reads them (through a double).
                return np.array(data, dtype=dtype)
            return arr.astype(dtype)
    # Strings, None, objects, ragged lists, tensors inside lists: PyTorch's way, in Python.
    if isinstance(data, (str, bytes)):
        _data_dtype(data)  # PyTorch refuses a lone str before reading a shape from it
    sizes = _data_sizes(data)
    if dtype is None:
        dtype = _data_dtype(data)
    return np.array(_store(data, sizes, 0, dtype), dtype=dtype)


# The dtypes NumPy gives lists of Python numbers (NumPy's dtype objects of the native types
# are singletons: ``is`` finds them without hashing). A list that mixes Python floats with
# NumPy float64 scalars after its first number stays float32 (PyTorch makes it float64).
_BOOL, _I64, _F64, _C128 = (np.dtype(t) for t in (np.bool_, np.int64, np.float64,
                                                   np.complex128))
_PYTHON_NUMBERS = frozenset((float, int, complex, bool))
_INT64_LIMIT = 2 ** 63
# The NumPy dtypes PyTorch has tensors of (the others take _check_numpy's slower test).
_NUMPY_OK = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128))


def _largest_magnitude(arr: np.ndarray) -> float:
    """``abs(arr).max()``; small arrays (most lists given to ``tensor``) in Python, where
    NumPy's two calls would cost several times more."""
    if arr.size <= 64:
        return max(map(abs, arr.ravel().tolist()))
    return np.maximum.reduce(np.abs(arr), None)


def _flat(data: Any) -> list:
    out, stack = [], [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(d)
        else:
            out.append(d)
    return out


def _is_sequence(obj: Any) -> bool:
    """A sequence as PyTorch's conversion sees one: a tensor inside a list is a number."""
    if isinstance(obj, np.ndarray):
        return obj.ndim > 0
    return isinstance(obj, (list, tuple, str, bytes, range))


def _data_sizes(data: Any) -> list[int]:
    """The shape PyTorch reads from nested sequences: the lengths along the first items."""
    sizes, seq = [], data
    while _is_sequence(seq):
        sizes.append(len(seq))
        if len(sizes) > _MAX_DIMS:  # a str's items are strs, without end
            raise ValueError(f"too many dimensions '{_type_name(seq)}'")
        if not sizes[-1]:
            break
        seq = seq[0]
    return sizes


def _data_dtype(data: Any) -> np.dtype:
    """PyTorch's dtype of nested data: its items' dtypes, promoted."""
    found: set = set()
    stack = [data]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (np.ndarray, np.generic)):  # before float: np.float64 is a float
            found.add(obj.dtype)
        elif isinstance(obj, bool):
            found.add(_dtypes.bool_)
        elif isinstance(obj, int):
            found.add(_dtypes.int64)
        elif isinstance(obj, float):
            found.add(_dtypes.default_float)
        elif isinstance(obj, complex):
            found.add(_dtypes.complex64)
        elif isinstance(obj, Tensor):
            found.add(obj._data.dtype)
        elif isinstance(obj, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{_type_name(obj)}'")
        elif _is_sequence(obj):
            stack.extend(reversed(obj))
            if not len(obj):
                found.add(_dtypes.default_float)
        else:
            raise RuntimeError(f"Could not infer dtype of {_type_name(obj)}")
    return _dtypes.result_dtype(list(found), []) if found else _dtypes.default_float


def _store(obj: Any, sizes: list[int], dim: int, dtype: np.dtype) -> Any:
    """Nested Python values of ``obj``, with PyTorch's errors for what does not fit ``sizes``
    and ``dtype``."""
    if dim == len(sizes):
        return _scalar(obj, dtype)
    try:
        items = obj if isinstance(obj, (list, tuple)) else list(obj)
    except TypeError:
        raise TypeError("not a sequence") from None
    if len(items) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                         f"(got {len(items)})")
    return [_store(item, sizes, dim + 1, dtype) for item in items]


def _scalar(obj: Any, dtype: np.dtype) -> Any:
    if isinstance(obj, Tensor):
        if obj._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return obj._data.item()
    if isinstance(obj, (float, complex, np.number, np.bool_)):
        return obj
    if dtype.kind in "iub":
        value = operator.index(obj)  # Python's error for a list, None, ...
        if dtype.kind != "u" and not -2**63 <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return value
    if isinstance(obj, int) or hasattr(type(obj), "__float__"):
        return obj
    raise TypeError(f"must be real number, not {_type_name(obj)}")


def _from_data(data: Any, dtype: Any, device: Any, requires_grad: bool, fn: str) -> Tensor:
    """``tensor`` and ``as_tensor`` without the copy warning."""
    return _finish(_infer(data, _dtype_arg(fn, dtype)), None, device, requires_grad)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    Parameters
    ----------
    data:
        A number, a (nested) list, a NumPy array or a tensor. Lists must be rectangular;
        a one-element tensor inside a list counts as its number. A tensor warns, as in
        PyTorch: ``t.detach().clone()`` is the way to copy one.
    dtype:
        A dtype object (``dg.float64``); by default float32 for Python floats, int64 for
        Python ints, the array's own dtype for NumPy arrays.
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
    if isinstance(data, Tensor):
        # stacklevel 2: the warning names the caller's line, as PyTorch's does.
        warnings.warn(_COPY_WARNING, UserWarning, stacklevel=2)
    return _from_data(data, dtype, device, requires_grad, "tensor")


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor when it can."""
    dt = _dtype_arg("as_tensor", dtype)
    if isinstance(data, Tensor):
        # A conversion is recorded (ToCopyBackward0) as by ``data.to(dtype)``.
        return data if dt is None else data.to(dt)
    if isinstance(data, np.ndarray):
        _check_numpy(data)
        return _finish(data, dt, device, False)
    return _from_data(data, dtype, device, False, "as_tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (same dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(array)})")
    _check_numpy(array)
    return Tensor._make(array)


def _float_dtype(fn: str, dtype: Any, args: tuple | None = None) -> np.dtype:
    dt = _dtype_arg(fn, dtype, args)
    return dt if dt is not None else _dtypes.default_float


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    shape = _sizes_arg("zeros", size)
    if any(s < 0 for s in shape):
        raise RuntimeError("zeros: Dimension size must be non-negative.")  # (its own text)
    return _finish(np.zeros(shape, _float_dtype("zeros", dtype)), None, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 by default)."""
    shape = check_shape(_sizes_arg("ones", size))
    return _finish(np.ones(shape, _float_dtype("ones", dtype)), None, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros in dualgrad)."""
    shape = check_shape(_sizes_arg("empty", size))
    return _finish(np.zeros(shape, _float_dtype("empty", dtype)), None, device, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, as PyTorch)."""
    shape = check_shape(_size_arg("full", size))
    fill_value = _fill_arg("full", fill_value)
    dt = _dtype_arg("full", dtype)
    if dt is None:
        dt = _infer(fill_value).dtype
    check_fits(fill_value, dt)
    return _finish(np.full(shape, fill_value, dt), None, device, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` by ``m``)."""
    args = (n,) if m is None else (n, m)
    n = _int_arg("eye", "n", 1, n)
    if m is not None and not _is_int(m):
        raise _invalid_combination("eye", args, dtype)
    dt = _float_dtype("eye", dtype, args)
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {k}")
    return _finish(np.eye(n, m, dtype=dt), None, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded): int64 for ints, float32 for floats."""
    args = (start,) if end is None else (start, end) if step == 1 else (start, end, step)
    if end is None and not isinstance(start, _NUMBERS):
        raise TypeError(f"arange(): argument 'end' (position 1) must be Number, not "
                        f"{_type_name(start)}")
    dt = _dtype_arg("arange", dtype, args)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    arr = np.arange(start, end, step)
    if dt is None:
        floating = any(isinstance(v, float) for v in (start, end, step))
        dt = _dtypes.default_float if floating else _dtypes.int64
    return _finish(arr, dt, device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (float32 by default)."""
    if not (_is_int(steps) and isinstance(start, _NUMBERS) and isinstance(end, _NUMBERS)):
        raise _invalid_combination("linspace", (start, end, steps), dtype)
    dt = _float_dtype("linspace", dtype, (start, end, steps))
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps), dt, device, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples from ``[0, 1)`` (float32 by default)."""
    dt = _sampled("check_uniform_bounds", _float_dtype("rand", dtype, size))
    arr = (generator or _generator()).random(check_shape(_sizes_arg("rand", size)))
    return _finish(arr.astype(dt), None, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples (float32 by default)."""
    dt = _sampled("normal_kernel_cpu", _float_dtype("randn", dtype, size))
    arr = (generator or _generator()).standard_normal(check_shape(_sizes_arg("randn", size)))
    return _finish(arr.astype(dt), None, device, requires_grad)


def randint(low: Any = None, high: Any = None, size: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Random integers from ``[low, high)`` (int64): ``randint(high, size)`` or
    ``randint(low, high, size)``, as in PyTorch."""
    given = tuple(a for a in (low, high, size) if a is not None)
    if size is None and high is not None and low is not None and not _is_int(high):
        low, high, size = None, low, high  # randint(high, size)
    if high is None:
        low, high = None, low  # randint(high, size=...)
    if len(given) == 3 and not (_is_int(low) and _is_int(high) and isinstance(size, (tuple, list))
                                and (not size or _is_int(size[0]))):
        raise _invalid_combination("randint", given, dtype)
    if size is None:
        if len(given) < 2:
            raise _invalid_combination("randint", given, dtype)
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{_type_name(high)}")
    position = 1 if low is None else 2
    high = _int_arg("randint", "high", position, high)
    low = 0 if low is None else _int_arg("randint", "low", 1, low)
    shape = _size_arg("randint", size, position + 1)
    dt = _dtype_arg("randint", dtype, given)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    arr = _generator().integers(low, high, size=check_shape(shape))
    return _finish(arr, dt or _dtypes.int64, device, requires_grad)


def randperm(n: int, dtype: Any = None, device: Any = None, requires_grad: bool = False
             ) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64), from the generator ``manual_seed``
    seeds."""
    n = _int_arg("randperm", "n", 1, n)
    dt = _dtype_arg("randperm", dtype, (n,))
    check_shape((n,))
    return _finish(_generator().permutation(n), dt or _dtypes.int64, device, requires_grad)


def get_default_dtype() -> Any:
    """The dtype of tensors made from Python floats: ``torch.float32``."""
    return _dtypes.torch_dtype(_dtypes.default_float)


def _like(fn: str, t: Any, dtype: Any, args: bool = False) -> tuple[tuple, np.dtype]:
    arr = _like_arg(fn, t)
    dt = _dtype_arg(fn, dtype, (t,) if args else None)
    return arr.shape, arr.dtype if dt is None else dt


def zeros_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    shape, dt = _like("zeros_like", t, dtype)
    return _finish(np.zeros(shape, dt), None, device, requires_grad)


def ones_like(t: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    shape, dt = _like("ones_like", t, dtype)
    return _finish(np.ones(shape, dt), None, device, requires_grad)


def empty_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor like ``t`` (zeros in dualgrad)."""
    shape, dt = _like("empty_like", t, dtype)
    return _finish(np.zeros(shape, dt), None, device, requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    shape, dt = _like("full_like", t, dtype)
    fill_value = _fill_arg("full_like", fill_value)
    return _finish(np.full(shape, fill_value, dt), None, device, requires_grad)


def rand_like(t: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform samples with ``t``'s shape and dtype."""
    shape, dt = _like("rand_like", t, dtype, args=True)
    dt = _sampled("check_uniform_bounds", dt)
    return _finish(_generator().random(shape).astype(dt), None, device, requires_grad)


def randn_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Normal samples with ``t``'s shape and dtype."""
    shape, dt = _like("randn_like", t, dtype, args=True)
    dt = _sampled("normal_kernel_cpu", dt)
    return _finish(_generator().standard_normal(shape).astype(dt), None, device,
                   requires_grad)
