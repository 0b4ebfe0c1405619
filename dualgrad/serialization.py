"""``save`` / ``load``: tensors and nested containers in a NumPy ``.npz`` file, never pickled.

The archive holds one array per tensor or array (``a0``, ``a1``, ...) and a JSON record of
the structure (``__structure__``), which says which containers, numbers and strings sit where
and which array each tensor uses. Loading uses ``numpy.load(allow_pickle=False)``, so a file
cannot run code. Writing goes to a temporary file first and replaces the target only once the
archive is complete, so a failed save never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from dualgrad._tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "dualgrad.save"
_VERSION = 1
_STRUCTURE = "__structure__"


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._memo: dict[int, int] = {}

    def array(self, obj: Any, arr: np.ndarray) -> int:
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"dualgrad.save cannot store an array of dtype {arr.dtype} "
                            "without pickle")
        key = id(obj)
        if key not in self._memo:
            self._memo[key] = len(self.arrays)
            self.arrays[f"a{len(self.arrays)}"] = arr
        return self._memo[key]

    def encode(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            from dualgrad.nn.parameter import Parameter

            return {"T": "tensor", "a": self.array(obj, obj._data),
                    "rg": bool(obj._requires_grad and obj._node is None),
                    "param": isinstance(obj, Parameter)}
        if isinstance(obj, np.ndarray):
            return {"T": "ndarray", "a": self.array(obj, obj)}
        if isinstance(obj, np.generic):
            return {"T": "npscalar", "a": self.array(obj, np.asarray(obj))}
        if obj is None or isinstance(obj, (bool, str)):
            return {"T": "atom", "v": obj}
        if isinstance(obj, int):
            return {"T": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"T": "float", "v": repr(obj)}
        if isinstance(obj, complex):
            return {"T": "complex", "v": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, dict):
            return {"T": "dict", "ordered": isinstance(obj, OrderedDict),
                    "items": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            return {"T": "list" if isinstance(obj, list) else "tuple",
                    "v": [self.encode(v) for v in obj]}
        raise TypeError(
            f"dualgrad.save cannot store an object of type {type(obj).__name__}: only tensors, "
            "NumPy arrays, numbers, strings, None, and lists, tuples and dicts of them can be "
            "saved (the format never pickles)")


def save(obj: Any, f: str | os.PathLike | Any) -> None:
    """Save tensors, arrays, numbers, strings and nested lists/tuples/dicts to ``f`` (.npz).

    Typical use: a model's ``state_dict()``, an optimizer's ``state_dict()``, or a dict of
    both. Tensors that appear several times are stored once and come back shared.

    Parameters
    ----------
    obj:
        What to save.
    f:
        A path, or a binary file object opened for writing.

    Raises
    ------
    TypeError
        For anything that would need pickle (custom objects, object arrays).

    Examples
    --------
    >>> import io
    >>> import dualgrad as dg
    >>> buf = io.BytesIO()
    >>> dg.save({"w": dg.tensor([1.0, 2.0]), "epoch": 3}, buf)
    >>> _ = buf.seek(0)
    >>> dg.load(buf)
    {'w': tensor([1., 2.]), 'epoch': 3}
    """
    writer = _Writer()
    record = {"format": _FORMAT, "version": _VERSION, "root": writer.encode(obj)}
    blob = np.frombuffer(json.dumps(record).encode("utf-8"), dtype=np.uint8)
    arrays = {_STRUCTURE: blob, **writer.arrays}
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".dualgrad-", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _Reader:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self._tensors: dict[int, Tensor] = {}

    def array(self, index: Any) -> np.ndarray:
        key = f"a{int(index)}"
        if key not in self.arrays:
            raise ValueError(f"the structure refers to a missing array {key}")
        return self.arrays[key]

    def decode(self, rec: Any) -> Any:
        kind = rec["T"]
        if kind == "tensor":
            index = int(rec["a"])
            t = self._tensors.get(index)
            if t is None:
                if rec.get("param"):
                    from dualgrad.nn.parameter import Parameter

                    t = Parameter(self.array(index), requires_grad=bool(rec["rg"]))
                else:
                    t = Tensor._make(self.array(index))
                    if rec["rg"]:
                        t.requires_grad_(True)
                self._tensors[index] = t
            return t
        if kind == "ndarray":
            return self.array(rec["a"])
        if kind == "npscalar":
            return self.array(rec["a"])[()]
        if kind == "atom":
            if rec["v"] is not None and not isinstance(rec["v"], (bool, str)):
                raise ValueError(f"bad atom {rec['v']!r}")
            return rec["v"]
        if kind == "int":
            return int(rec["v"])
        if kind == "float":
            return float(rec["v"])
        if kind == "complex":
            return complex(float(rec["v"][0]), float(rec["v"][1]))
        if kind == "dict":
            items = [(self.decode(k), self.decode(v)) for k, v in rec["items"]]
            return OrderedDict(items) if rec["ordered"] else dict(items)
        if kind == "list":
            return [self.decode(v) for v in rec["v"]]
        if kind == "tuple":
            return tuple(self.decode(v) for v in rec["v"])
        raise ValueError(f"unknown record type {kind!r}")


def load(f: str | os.PathLike | Any, map_location: Any = None, *,
         weights_only: bool = True, **kwargs: Any) -> Any:
    """Load what :func:`save` wrote.

    Parameters
    ----------
    f:
        A path, or a binary file object opened for reading.
    map_location, weights_only:
        Accepted for PyTorch compatibility; everything loads onto the CPU and nothing is
        ever unpickled.

    Returns
    -------
    The saved object, with tensors as :class:`~dualgrad.Tensor` (and parameters as
    :class:`~dualgrad.nn.Parameter`).

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    RuntimeError
        If the file is corrupt, truncated, or not written by :func:`save`; nothing is
        returned in part.
    """
    name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    try:
        with np.load(f, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        blob = arrays.pop(_STRUCTURE)
        record = json.loads(blob.tobytes().decode("utf-8"))
        if record.get("format") != _FORMAT:
            raise ValueError("the structure record is not dualgrad's")
        if record.get("version") != _VERSION:
            raise ValueError(f"format version {record.get('version')} is not supported")
        return _Reader(arrays).decode(record["root"])
    except FileNotFoundError:
        raise
    except KeyError as err:
        raise RuntimeError(f"dualgrad.load: {name} is not a file written by dualgrad.save "
                           f"(missing {err})") from err
    except (ValueError, OSError, EOFError, TypeError, zipfile.BadZipFile,
            UnicodeDecodeError, io.UnsupportedOperation) as err:
        raise RuntimeError(f"dualgrad.load: {name} is corrupt, truncated, or not a file "
                           f"written by dualgrad.save ({type(err).__name__}: {err})") from err
