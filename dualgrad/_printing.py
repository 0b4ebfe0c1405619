"""Format NumPy arrays exactly the way PyTorch and TensorFlow print tensors.

This module is pure NumPy. It reproduces

* ``repr(torch.tensor(data))`` (including the ``dtype=``, ``requires_grad=True``
  and ``grad_fn=<...>`` suffixes), following the logic of ``torch/_tensor_str.py``
  under the print options of :func:`set_printoptions` (by default torch's: precision
  4, threshold 1000, edgeitems 3, linewidth 80, automatic scientific notation);
* ``str(tf_tensor)`` for an eager TensorFlow tensor, i.e.
  ``tf.Tensor(<numpy text>, shape=(...), dtype=...)``;
* ``repr(tf_variable)``, i.e.
  ``<tf.Variable 'Variable:0' shape=(...) dtype=..., numpy=...>``.

Values are formatted in their own precision: a float32 element is widened
exactly to a Python float before formatting, which is what torch does through
``Tensor.tolist()`` / ``Tensor.item()``, so no float64 rounding artefacts appear.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["format_torch", "format_tf_tensor", "format_tf_variable", "set_printoptions"]

# The print options, as torch's ``torch._tensor_str.PRINT_OPTS``; plain module globals so the
# default path reads them as cheaply as the constants they replaced. Only
# :func:`set_printoptions` changes them.
_PRECISION = 4
_THRESHOLD: float = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80
_SCI_MODE: bool | None = None

# torch's ``profile=`` presets: (precision, threshold, edgeitems, linewidth).
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the options for printing tensors, as ``torch.set_printoptions``.

    The options hold until changed again. As in PyTorch, ``profile`` first resets the other
    four options to a preset, the options given then override it, and ``sci_mode`` is set on
    every call: leaving it out (None) returns to the automatic choice.

    Args:
        precision: digits after the decimal point of floating-point elements (default 4).
        threshold: number of elements above which a tensor is summarised with ``...``
            (default 1000; ``math.inf`` never summarises).
        edgeitems: items shown at the beginning and end of each summarised dimension
            (default 3).
        linewidth: characters per line before elements wrap (default 80).
        profile: ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"``
            (threshold ``inf``); any other value leaves the options as they are, as in
            PyTorch.
        sci_mode: True forces scientific notation for floating-point tensors, False
            forbids it; None (the default) chooses from the values.

    Examples:
        >>> import dualgrad as dg
        >>> dg.set_printoptions(precision=2)
        >>> dg.tensor([1.12345])
        tensor([1.12])
        >>> dg.set_printoptions(threshold=5)
        >>> dg.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> dg.set_printoptions(profile="default")
        >>> dg.tensor([1.12345])
        tensor([1.1235])
    """
    global _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH, _SCI_MODE
    if isinstance(profile, str) and profile in _PROFILES:
        _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGEITEMS = edgeitems
    if linewidth is not None:
        _LINEWIDTH = linewidth
    _SCI_MODE = sci_mode


def _get_printoptions() -> dict[str, Any]:
    """The current options as keyword arguments of :func:`set_printoptions` (for tests)."""
    return {
        "precision": _PRECISION,
        "threshold": _THRESHOLD,
        "edgeitems": _EDGEITEMS,
        "linewidth": _LINEWIDTH,
        "sci_mode": _SCI_MODE,
    }

_TORCH_DTYPE_NAMES: dict[np.dtype[Any], str] = {
    np.dtype(np.bool_): "torch.bool",
    np.dtype(np.uint8): "torch.uint8",
    np.dtype(np.uint16): "torch.uint16",
    np.dtype(np.uint32): "torch.uint32",
    np.dtype(np.uint64): "torch.uint64",
    np.dtype(np.int8): "torch.int8",
    np.dtype(np.int16): "torch.int16",
    np.dtype(np.int32): "torch.int32",
    np.dtype(np.int64): "torch.int64",
    np.dtype(np.float16): "torch.float16",
    np.dtype(np.float32): "torch.float32",
    np.dtype(np.float64): "torch.float64",
    np.dtype(np.complex64): "torch.complex64",
    np.dtype(np.complex128): "torch.complex128",
}

# Dtypes torch does not name in a non-empty tensor's repr (default float dtype,
# its complex counterpart, int64 and bool).
_TORCH_DEFAULT_DTYPES = frozenset(
    {np.dtype(np.float32), np.dtype(np.complex64), np.dtype(np.int64), np.dtype(np.bool_)}
)


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------


def _as_torch_array(data: Any) -> np.ndarray:
    """Return ``data`` as an array with the dtype ``torch.tensor(data)`` would get.

    NumPy arrays and scalars keep their dtype; Python floats (and complex
    numbers) become float32 (complex64) like torch's default dtype.
    """
    return _as_inferred_array(data, _TORCH_INFERRED, "torch")


# The dtypes the frameworks infer for Python numbers where NumPy's differ.
_TORCH_INFERRED = {np.dtype(np.float64): np.float32, np.dtype(np.complex128): np.complex64}
_TF_INFERRED = {np.dtype(np.float64): np.float32, np.dtype(np.int64): np.int32}


def _as_inferred_array(data: Any, inferred: dict, framework: str) -> np.ndarray:
    arr = np.asarray(data)
    if not isinstance(data, np.ndarray | np.generic) and arr.dtype in inferred:
        arr = arr.astype(inferred[arr.dtype])
    if arr.dtype not in _TORCH_DTYPE_NAMES:  # TF has the same numeric dtypes
        raise TypeError(f"cannot format an array of dtype {arr.dtype} as a {framework} tensor")
    return arr


class _TorchFormatter:
    """Port of ``torch._tensor_str._Formatter`` for a real-valued NumPy array.

    Args:
        values: the (summarised) values the formatter must accommodate.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)
        if not self.floating:
            if flat.size:
                self.max_width = max(1, max(len(str(v)) for v in flat.tolist()))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return

        # torch converts |values| to double for the ratio / range checks.
        abs_vals = np.abs(nonzero_finite).astype(np.float64)
        vmin = float(abs_vals.min())
        vmax = float(abs_vals.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if _SCI_MODE is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = _SCI_MODE

        # Only distinct values matter for the width; tolist() widens exactly.
        pyvals = np.unique(nonzero_finite).tolist()
        if self.sci_mode:
            spec = f".{_PRECISION}e"
            self.max_width = max(len(format(v, spec)) for v in pyvals)
        elif self.int_mode:
            self.max_width = max(len(format(v, ".0f")) + 1 for v in pyvals)
        else:
            spec = f".{_PRECISION}f"
            self.max_width = max(len(format(v, spec)) for v in pyvals)
        self.max_width = max(self.max_width, 1)

    def width(self) -> int:
        """Width every formatted element is padded to."""
        return self.max_width

    def format(self, value: float | int | bool) -> str:
        """Format one element (a Python scalar) right-aligned to :meth:`width`."""
        if self.floating:
            if self.sci_mode:
                ret = format(value, f"{self.max_width}.{_PRECISION}e")
            elif self.int_mode:
                ret = format(value, ".0f")
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = format(value, f".{_PRECISION}f")
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


class _ComplexFormatter:
    """Pair of formatters for the real and imaginary parts of a complex array."""

    def __init__(self, real: _TorchFormatter, imag: _TorchFormatter) -> None:
        self.real = real
        self.imag = imag

    def width(self) -> int:
        """Element width as torch counts it (real + imag + ``j``)."""
        return self.real.width() + self.imag.width() + 1

    def format(self, value: complex) -> str:
        """Format one complex element the way torch's ``_val_formatter`` does."""
        real_str = self.real.format(value.real)
        imag_str = (self.imag.format(value.imag) + "j").lstrip()
        if imag_str[0] in "+-":
            return real_str + imag_str
        return real_str + "+" + imag_str


_Fmt = _TorchFormatter | _ComplexFormatter


def _summarized_data(arr: np.ndarray) -> np.ndarray:
    """Port of ``torch._tensor_str.get_summarized_data``: the elements shown."""
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * _EDGEITEMS:
            # With edgeitems 0, arr[-0:] is all of arr, as in torch.
            return np.concatenate((arr[:_EDGEITEMS], arr[-_EDGEITEMS:]))
        return arr
    if not _EDGEITEMS:
        return arr[(slice(0, 0),) * arr.ndim]
    if arr.shape[0] > 2 * _EDGEITEMS:
        rows = list(range(_EDGEITEMS)) + list(range(arr.shape[0] - _EDGEITEMS, arr.shape[0]))
    else:
        rows = list(range(arr.shape[0]))
    return np.stack([_summarized_data(arr[i]) for i in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Fmt) -> str:
    """Format a 1-D array, wrapping lines at the torch line width."""
    element_length = fmt.width() + 2
    elements_per_line = max(1, math.floor((_LINEWIDTH - indent) / element_length))
    if summarize and not _EDGEITEMS:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * _EDGEITEMS:
        data = (
            [fmt.format(v) for v in arr[:_EDGEITEMS].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in arr[-_EDGEITEMS:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [
        ", ".join(data[i : i + elements_per_line]) for i in range(0, len(data), elements_per_line)
    ]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_body(arr: np.ndarray, indent: int, summarize: bool, fmt: _Fmt) -> str:
    """Port of ``torch._tensor_str._tensor_str_with_formatter``."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        slices = (
            [_tensor_body(arr[i], indent + 1, summarize, fmt) for i in range(_EDGEITEMS)]
            + ["..."]
            + [_tensor_body(arr[i], indent + 1, summarize, fmt) for i in range(n - _EDGEITEMS, n)]
        )
    else:
        slices = [_tensor_body(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(slices) + "]"


def _tensor_str(arr: np.ndarray, indent: int) -> str:
    """Port of ``torch._tensor_str._tensor_str`` for a non-empty array."""
    summarize = arr.size > _THRESHOLD
    shown = _summarized_data(arr) if summarize else arr
    fmt: _Fmt
    if arr.dtype.kind == "c":
        fmt = _ComplexFormatter(_TorchFormatter(shown.real), _TorchFormatter(shown.imag))
    else:
        fmt = _TorchFormatter(shown)
    return _tensor_body(arr, indent, summarize, fmt)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    """Port of ``torch._tensor_str._add_suffixes`` (wraps suffixes past 80 columns)."""
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_torch(
    data: np.ndarray,
    *,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    dtype_suffix: bool = True,
) -> str:
    """String PyTorch's repr/str gives for ``torch.tensor(data)``.

    Reproduces ``torch._tensor_str`` under the current print options
    (:func:`set_printoptions`; by default precision 4, summarisation with
    ``...`` above 1000 elements (3 edge items), lines wrapped at 80 columns,
    automatic scientific notation), ``2.``-style output
    for integer-valued float tensors, and the ``size=``/``dtype=`` suffixes of
    empty tensors.

    Args:
        data: the values. NumPy arrays/scalars keep their dtype (float64 prints
            ``dtype=torch.float64``); other inputs go through ``np.asarray`` with
            Python floats mapped to float32 as ``torch.tensor`` does.
        requires_grad: append ``requires_grad=True`` (ignored when
            ``grad_fn_name`` is given, as in torch).
        grad_fn_name: name of the grad_fn class, e.g. ``"AddBackward0"``,
            printed as ``grad_fn=<AddBackward0>``.
        dtype_suffix: when False, never print the ``dtype=torch.xxx`` suffix.

    Returns:
        The formatted string, e.g. ``tensor([1., 2.], requires_grad=True)``.

    Raises:
        TypeError: if the dtype has no torch counterpart (strings, objects,
            long double, ...).
    """
    arr = _as_torch_array(data)
    prefix = "tensor("
    indent = len(prefix)
    suffixes: list[str] = []
    dtype_name = _TORCH_DTYPE_NAMES[arr.dtype]
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dtype_suffix and arr.dtype != np.float32:
            suffixes.append("dtype=" + dtype_name)
        body = "[]"
    else:
        if not _EDGEITEMS:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dtype_suffix and arr.dtype not in _TORCH_DEFAULT_DTYPES:
            suffixes.append("dtype=" + dtype_name)
        body = _tensor_str(arr, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


# ---------------------------------------------------------------------------
# TensorFlow
# ---------------------------------------------------------------------------


def _as_tf_value(data: Any) -> np.ndarray:
    """Return ``data`` as an array with the dtype ``tf.constant(data)`` would get.

    NumPy arrays and scalars keep their dtype; Python floats become float32 and
    Python ints int32, as TensorFlow infers them.
    """
    return _as_inferred_array(data, _TF_INFERRED, "tf")


def _tf_shape(shape: tuple[int, ...]) -> str:
    """``str(tf.TensorShape(shape))``: ``()``, ``(3,)``, ``(2, 3)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _tf_numpy_text(arr: np.ndarray, is_repr: bool) -> str:
    """Port of ``tensorflow.python.framework.ops.numpy_text``.

    ``tensor._numpy()`` is a NumPy scalar for rank-0 tensors; in repr mode TF
    prints ``repr(value.item())`` for those (the Python scalar), otherwise the
    NumPy ``str``/``repr`` under the current NumPy print options. Multi-line
    text is moved onto its own line.
    """
    value = arr[()] if arr.ndim == 0 else arr
    if is_repr:
        text = repr(value.item()) if arr.ndim == 0 else repr(value)
    else:
        text = str(value)
    if "\n" in text:
        text = "\n" + text
    return text


def format_tf_tensor(data: np.ndarray) -> str:
    """``str()`` of an eager TensorFlow tensor holding ``data``.

    E.g. ``tf.Tensor(-0.91113025, shape=(), dtype=float32)``; arrays use NumPy's
    ``str`` and start on a new line when that text spans several lines::

        tf.Tensor(
        [[1. 2.]
         [3. 4.]], shape=(2, 2), dtype=float32)

    Args:
        data: the values (NumPy arrays keep their dtype).

    Returns:
        ``"tf.Tensor(%s, shape=%s, dtype=%s)"`` filled in as TensorFlow does.
    """
    arr = _as_tf_value(data)
    text = _tf_numpy_text(arr, is_repr=False)
    return f"tf.Tensor({text}, shape={_tf_shape(arr.shape)}, dtype={arr.dtype.name})"


def format_tf_variable(data: np.ndarray, name: str = "Variable:0") -> str:
    """``repr()`` of an eager ``tf.Variable`` holding ``data``.

    E.g. ``<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>`` or
    ``<tf.Variable 'Variable:0' shape=(3,) dtype=float32,
    numpy=array([1., 2., 3.], dtype=float32)>`` (on one line; a multi-line
    NumPy repr starts on a new line after ``numpy=``).

    Args:
        data: the variable's value (NumPy arrays keep their dtype).
        name: the variable name including the output index, e.g. ``"w:0"``.

    Returns:
        ``"<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>"`` filled in.
    """
    arr = _as_tf_value(data)
    text = _tf_numpy_text(arr, is_repr=True)
    return (
        f"<tf.Variable '{name}' shape={_tf_shape(arr.shape)} dtype={arr.dtype.name}, numpy={text}>"
    )
