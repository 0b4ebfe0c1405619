"""TensorFlow-style front end: ``GradientTape``, ``Variable``, ``constant``.

The tape is a second front end over the *same* nodes and the *same* backward pass as
``Tensor.backward``; it adds no derivative rules and walks no graph itself. It is a
*recorder* (see ``dualgrad._grad_mode``):

* entering the ``with`` block pushes the tape on the engine's recorder stack;
* for every operation, the engine asks each active tape whether it ``_claims`` the inputs: a
  tape claims an operation when one of its inputs is watched by it, or was produced by a node
  the tape recorded. A trainable ``Variable`` read inside the block is watched on the spot
  (unless ``watch_accessed_variables=False``). With one tape active, an operation whose tensor
  inputs are all watched by it or produced on it is claimed without the call;
* the nodes the engine creates for claimed operations are added to the tape's ``_nodes`` set.
  That set *is* the tape: ``gradient`` runs the engine's backward pass restricted to it,
  collecting fresh gradients for the sources, never touching ``.grad``.

Nested tapes give higher derivatives: when a tape computes a gradient while another tape is
recording, the backward pass runs with ``create_graph=True``, so the gradient computation is
itself recorded by the outer tape.

How the two front ends meet (both use the same nodes):

* a tensor with ``requires_grad=True`` can also be watched by a tape; ``tape.gradient`` returns
  its gradient and leaves its ``.grad`` untouched;
* ``.backward()`` called inside a tape block accumulates into ``.grad`` exactly as it would
  outside one; a tape never gives a gradient for a source it does not watch, even when that
  source requires grad;
* a ``Variable`` does not require grad and has no ``.grad``: it gets gradients from tapes only;
* a non-persistent tape frees the saved values of its records after its one ``gradient`` call,
  unless another tape or a PyTorch-style graph shares them (then they are kept for the other
  user, and freed with the tensors that hold them);
* changing a saved value in place (``Variable.assign*`` included) before ``gradient`` raises
  PyTorch's in-place error instead of returning a silently wrong gradient: TensorFlow would
  differentiate at the old value, which dualgrad no longer has. Read ``v.read_value()`` inside
  the tape to keep a snapshot.

Examples
--------
>>> import dualgrad as dg
>>> x = dg.Variable(3.0)
>>> with dg.GradientTape(persistent=True) as tape:
...     y = x ** 2
...     z = dg.sin(y)
>>> tape.gradient(z, y)
tensor(-0.9111)
>>> tape.gradient(z, x)
tensor(-5.4668)
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import logging
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from dualgrad import _dtypes, _engine, _grad_mode
from dualgrad._grad_mode import _STATE
from dualgrad._tensor import Tensor
from dualgrad._tf_errors import InvalidArgumentError

__all__ = ["GradientTape", "Variable", "constant", "UnconnectedGradients", "stop_gradient"]

_LOG = logging.getLogger("dualgrad")

# Whether sys.getrefcount tells if an array is referenced beyond what we know of. From
# Python 3.14 on, references on the interpreter stack may be borrowed (not counted).
_REFCOUNTS_EXACT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)

ERR_NON_PERSISTENT = (
    "A non-persistent GradientTape can only be used to compute one set of gradients "
    "(or jacobians)"
)
ERR_REENTER = (
    "Tape is still recording, This can happen if you try to re-enter an already-active tape."
)
# TensorFlow 2.18's texts, typos included: batch_jacobian's lacks a space ("tocompute"), and
# the two experimental_use_pfor texts put their double space in different places.
ERR_NON_PERSISTENT_BATCH = (
    "A non-persistent GradientTape can only be used tocompute one set of gradients "
    "(or jacobians)"
)
ERR_STOP_RECORDING = "Trying to stop recording a tape which is not recording."
ERR_NOT_RECORDING = "Tape is not recording."
ERR_JACOBIAN_NO_PFOR = (
    "GradientTape must be created with persistent=True to compute the jacobian with eager "
    "execution enabled and with  experimental_use_pfor set to False."
)
ERR_BATCH_JACOBIAN_NO_PFOR = (
    "GradientTape must be created with persistent=True to compute the batch_jacobian with "
    "eager execution enabled and  with experimental_use_pfor set to False."
)
ERR_TARGET_NONE = (
    "Argument `target` should be a list or nested structure of Tensors, Variables or "
    "CompositeTensors to be differentiated, but received None."
)
WARN_INT_WATCH = "The dtype of the watched tensor must be floating (e.g. tf.float32), got {dtype}"
WARN_INSIDE_CONTEXT = (
    "Calling GradientTape.gradient on a persistent tape inside its context is significantly "
    "less efficient than calling it outside the context (it causes the gradient ops to be "
    "recorded on the tape, leading to increased CPU and memory usage). Only call "
    "GradientTape.gradient inside the context if you actually want to trace the gradient in "
    "order to compute higher order derivatives."
)


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on.

    ``NONE`` (the default) gives ``None``; ``ZERO`` gives zeros shaped like the source.
    """

    NONE = "none"
    ZERO = "zero"


# --------------------------------------------------------------------------------------------
# Values


def _tf_array(value: Any, dtype: Any) -> np.ndarray:
    """``value`` as an array with TensorFlow's dtype inference.

    Python floats become float32 and Python ints int32; NumPy arrays, NumPy scalars and
    tensors keep their dtype.
    """
    if isinstance(value, Tensor):
        arr = value._data
        return arr if dtype is None else arr.astype(_dtypes.as_dtype(dtype))
    if isinstance(value, (np.ndarray, np.generic)):
        # NumPy values keep their dtype, or are cast (even float to int) as in TensorFlow.
        return np.asarray(value) if dtype is None else np.asarray(value).astype(
            _dtypes.as_dtype(dtype))
    # (Python floats stay float64 until cast: 0.1 as float64 is not float32's 0.1 widened.)
    arr = _python_array(value, narrow=dtype is None)
    if dtype is None:
        return arr
    target = _dtypes.as_dtype(dtype)
    # TensorFlow converts Python numbers only where no value changes kind: floats never
    # become integers, numbers never become bools (ints wrap around, as in TensorFlow).
    if (target.kind in "iu" and arr.dtype.kind not in "iub") or (
            target.kind == "b" and arr.dtype.kind != "b"):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {target.name}")
    return arr.astype(target)


_INT32 = np.iinfo(np.int32)


def _python_array(value: Any, narrow: bool = True) -> np.ndarray:
    """A Python number or (nested) list as an array of TensorFlow's inferred dtype.

    Floats give float32 (float64 with ``narrow=False``); ints int32, or int64 when a value
    does not fit int32.
    """
    try:
        arr = np.asarray(value)
    except OverflowError:
        arr = np.asarray(value, dtype=object)
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == np.float64:
            if _has_huge_int(value):
                raise ValueError(ERR_INT_RANGE)
            if narrow:
                arr = arr.astype(np.float32)
    elif kind == "i":
        if arr.dtype == np.int64 and (arr.size == 0 or (
                _INT32.min <= arr.min() and arr.max() <= _INT32.max)):
            arr = arr.astype(np.int32)
    elif kind in "uO":
        # uint64 or object: a Python int beyond int64.
        raise ValueError(ERR_INT_RANGE)
    return arr


ERR_INT_RANGE = "Can't convert Python sequence with out-of-range integer to Tensor."


def _has_huge_int(value: Any) -> bool:
    # NumPy makes [1, 2**63] a float64 array; TensorFlow refuses the integer.
    if isinstance(value, (list, tuple)):
        return any(_has_huge_int(v) for v in value)
    return isinstance(value, int) and not -2**63 <= value < 2**63


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A new tensor holding ``value``, with TensorFlow's dtypes.

    A constant is an ordinary tensor: a ``GradientTape`` records operations on it only after
    ``tape.watch`` is called on it.

    Parameters
    ----------
    value:
        A number, a (nested) list, a NumPy array or a tensor.
    dtype:
        The dtype; by default Python floats give float32 and Python ints int32, NumPy arrays
        and tensors keep theirs.
    shape:
        If given, a scalar ``value`` is broadcast to this shape, otherwise ``value`` is
        reshaped to it.
    name:
        Accepted for compatibility; unused.

    Returns
    -------
    Tensor
        A leaf tensor that does not require grad.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.constant(3.0).dtype
    torch.float32
    >>> dg.constant([1, 2]).dtype
    torch.int32
    """
    arr = _tf_array(value, dtype)
    if isinstance(value, Tensor) or arr is value:
        arr = arr.copy()
    if shape is not None:
        shape = tuple(shape)
        arr = np.full(shape, arr, dtype=arr.dtype) if arr.size == 1 else arr.reshape(shape)
    return Tensor._make(arr)


def stop_gradient(input: Any, name: str | None = None) -> Tensor:
    """``input``'s values, cut from every tape and graph: no gradient flows through it.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.Variable(2.0)
    >>> with dg.GradientTape() as tape:
    ...     y = x * dg.stop_gradient(x)
    >>> tape.gradient(y, x)
    tensor(2.)
    """
    if not isinstance(input, Tensor):
        return constant(input)
    return Tensor.detach(input)


class Variable(Tensor):
    """A mutable tensor, as TensorFlow's ``tf.Variable``: the value a model trains.

    A trainable variable read inside a ``GradientTape`` block is watched by the tape
    automatically. Variables do not ``require_grad`` in the PyTorch sense and have no
    ``.grad``: their gradients come from ``tape.gradient``, and optimizers change them with
    ``assign_sub``. ``assign``, ``assign_add`` and ``assign_sub`` work in place and are not
    recorded (as in TensorFlow).

    Parameters
    ----------
    initial_value:
        A number, list, array, tensor, or a callable returning one. The value is copied.
    trainable:
        Whether tapes watch the variable automatically (default True).
    name:
        The variable's name; ``name`` reports it with TensorFlow's ``":0"`` suffix.
    dtype:
        The dtype; by default Python floats give float32 and ints int32.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.Variable(3.0)
    >>> w
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>
    >>> with dg.GradientTape() as tape:
    ...     loss = w * w
    >>> g = tape.gradient(loss, w)
    >>> w.assign_sub(0.25 * g)
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.5>
    """

    __slots__ = ("_trainable", "_name", "_seq")

    def __init__(self, initial_value: Any = None, trainable: bool | None = True,
                 name: str | None = None, dtype: Any = None, shape: Any = None) -> None:
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        arr = np.array(_tf_array(initial_value, dtype), copy=True)
        if shape is not None and tuple(shape) != arr.shape:
            raise ValueError(f"Shape of initial_value {arr.shape} is not compatible with "
                             f"shape {tuple(shape)}")
        self._init(arr, None)
        self._trainable = True if trainable is None else bool(trainable)
        self._name = "Variable:0" if name is None else f"{name}:0"
        # Creation order: TensorFlow lists a tape's watched variables in this order.
        self._seq = next(_VARIABLE_SEQ)

    @property
    def trainable(self) -> bool:
        """Whether tapes watch this variable automatically."""
        return self._trainable

    @property
    def name(self) -> str:
        """The name, with TensorFlow's output suffix: ``'Variable:0'``."""
        return self._name

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A copy of the current value (a later ``assign`` does not change it)."""
        return self._data.copy()

    def read_value(self) -> Tensor:
        """The current value as a new tensor; recorded, so gradients flow to the variable."""
        return self.clone()

    value = read_value

    def _check_assign(self, value: Any, op: str = "") -> np.ndarray:
        """``value`` as an array of this variable's dtype and shape, or TensorFlow's error.

        As ``convert_to_tensor(value, dtype=variable.dtype)``: a tensor of another dtype
        raises ValueError, a Python float for an integer variable TypeError, NumPy values are
        cast. The shapes must be equal (no broadcasting): ``assign`` raises ValueError,
        ``assign_add``/``assign_sub`` (``op``) InvalidArgumentError, with TensorFlow's texts.
        """
        dtype = self._data.dtype
        if isinstance(value, Tensor):
            arr = value._data
            if arr.dtype != dtype:
                raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor "
                                 f"with dtype {arr.dtype.name}: {value!r}")
        else:
            arr = _tf_array(value, dtype)
        if arr.shape != self._data.shape:
            if op:
                def dims(shape: tuple) -> str:
                    return "[" + ",".join(str(d) for d in shape) + "]"
                raise InvalidArgumentError(
                    None, None, f"{{{{function_node __wrapped__{op}_device_/job:localhost/"
                    f"replica:0/task:0/device:CPU:0}}}} Cannot update variable with shape "
                    f"{dims(self._data.shape)} using a Tensor with shape {dims(arr.shape)}, "
                    f"shapes must be equal. [Op:{op}] name: ")
            raise ValueError(
                f"Cannot assign value to variable ' {self._name}': Shape mismatch.The variable "
                f"shape {_shape_text(self._data.shape)}, and the assigned value shape "
                f"{_shape_text(arr.shape)} are incompatible.")
        return arr

    @property
    def dtype(self) -> _dtypes.TFDType:
        """The dtype, printed as TensorFlow does: ``<dtype: 'float32'>``."""
        return _dtypes.tf_dtype(self._data.dtype)

    def assign(self, value: Any, use_locking: bool | None = None, name: str | None = None,
               read_value: bool = True) -> Variable | None:
        """Set the value (not recorded); returns the variable.

        As in TensorFlow, operations recorded before keep the value they read: a tape can
        still differentiate them after the assignment (see ``_storage_for_write``).
        """
        value = self._check_assign(value)
        np.copyto(self._storage_for_write(), value, casting="unsafe")
        return self if read_value else None

    def assign_add(self, delta: Any, use_locking: bool | None = None, name: str | None = None,
                   read_value: bool = True) -> Variable | None:
        """Add ``delta`` (not recorded); returns the variable."""
        delta = self._check_assign(delta, "AssignAddVariableOp")
        data = self._storage_for_write()
        np.add(data, delta, out=data, casting="unsafe")
        return self if read_value else None

    def assign_sub(self, delta: Any, use_locking: bool | None = None, name: str | None = None,
                   read_value: bool = True) -> Variable | None:
        """Subtract ``delta`` (not recorded); returns the variable."""
        delta = self._check_assign(delta, "AssignSubVariableOp")
        data = self._storage_for_write()
        np.subtract(data, delta, out=data, casting="unsafe")
        return self if read_value else None

    def _storage_for_write(self) -> np.ndarray:
        # TensorFlow's reads of a variable are snapshots: a recorded operation that saved
        # the current array keeps it, and the new value goes into a copy (with a version
        # counter of its own). Only when nothing else may hold the array (no node saved it,
        # no view of it is alive, the common case in a training loop) is it written in place.
        data = self._data
        # References: this variable's slot, ``data`` and getrefcount's argument; any other
        # (a node's saved arrays, a view's base, a caller's name) may read the old value.
        if not _REFCOUNTS_EXACT or sys.getrefcount(data) > 3:
            data = self._data = data.copy()
            self._vc = [0]
            return data
        self._vc[0] += 1
        return data

    def _inplace(self, op: Any, *args: Any, **params: Any) -> Tensor:
        # A TensorFlow variable changes by assignment, which no tape records: run the in-place
        # tensor methods (add_, mul_, ...) the same way.
        with _grad_mode.no_grad():
            return Tensor._inplace(self, op, *args, **params)

    # ``v += 1`` on a tf.Variable makes a new tensor and rebinds the name (TensorFlow's
    # behaviour); only ``assign_add`` changes the variable.
    def __iadd__(self, other: Any) -> Tensor:
        return self + other

    def __isub__(self, other: Any) -> Tensor:
        return self - other

    def __imul__(self, other: Any) -> Tensor:
        return self * other

    def __itruediv__(self, other: Any) -> Tensor:
        return self / other

    def __repr__(self) -> str:
        from dualgrad._printing import format_tf_variable

        with tf_printoptions():
            return format_tf_variable(self._data, self._name)

    __str__ = __repr__


_VARIABLE_SEQ = itertools.count()


def _legacy_21_supported() -> bool:
    try:
        with np.printoptions(legacy="2.1"):
            return True
    except (ValueError, TypeError):
        return False


# TensorFlow 2.18 requires NumPy < 2.1, whose scalars print as 10000000000.0 where NumPy 2.2
# and later print 1e+10 (and whose array reprs have no "shape=" for long arrays). NumPy's
# legacy="2.1" mode prints as NumPy 2.1 did, which is what TensorFlow users see.
_TF_PRINT_LEGACY = (np.lib.NumpyVersion(np.__version__) >= "2.2.0"
                    and _legacy_21_supported())


def tf_printoptions() -> contextlib.AbstractContextManager:
    """NumPy print options under which TensorFlow-style values print as TensorFlow's do."""
    if _TF_PRINT_LEGACY:
        return np.printoptions(legacy="2.1")
    return contextlib.nullcontext()


def _shape_text(shape: tuple) -> str:
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(s) for s in shape) + ")"


# --------------------------------------------------------------------------------------------
# Nested structures (tf.nest, for the shapes gradient accepts: tensors, lists, tuples, dicts)


def _flatten(structure: Any, out: list) -> list:
    if isinstance(structure, dict):
        for key in sorted(structure):
            _flatten(structure[key], out)
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            _flatten(item, out)
    else:
        out.append(structure)
    return out


def _pack(structure: Any, flat: Iterator) -> Any:
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], flat) for key in sorted(structure)}
        return {key: packed[key] for key in structure}
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, flat) for item in structure]
        if isinstance(structure, list):
            return items
        if hasattr(structure, "_fields"):
            return type(structure)(*items)
        return type(structure)(items)
    return next(flat)


def _check_source(s: Any) -> Tensor:
    if not isinstance(s, Tensor):
        raise ValueError(
            f"Passed in object {s!r} of type {type(s).__name__!r}, not tf.Tensor or tf.Variable "
            "or ExtensionType.")
    return s


# --------------------------------------------------------------------------------------------
# The tape


class GradientTape:
    """Record operations for automatic differentiation, as TensorFlow's ``tf.GradientTape``.

    Operations run inside the ``with`` block are recorded when one of their inputs is watched
    by the tape: tensors passed to ``watch``, and trainable ``Variable`` objects read in
    the block (unless ``watch_accessed_variables=False``). ``gradient`` then returns fresh
    gradients; nothing is accumulated into ``.grad``.

    Parameters
    ----------
    persistent:
        False (default): one ``gradient`` (or ``jacobian``) call, after which the tape frees
        its records and any further call raises ``RuntimeError``. True: any number of calls;
        the records are freed when the tape is deleted or ``reset``.
    watch_accessed_variables:
        Watch trainable variables read inside the block automatically (default True).

    Examples
    --------
    Gradients with respect to a constant, after watching it:

    >>> import dualgrad as dg
    >>> x = dg.constant(3.0)
    >>> with dg.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> tape.gradient(y, x)
    tensor(6.)

    Nested tapes give higher derivatives:

    >>> with dg.GradientTape() as outer:
    ...     outer.watch(x)
    ...     with dg.GradientTape() as inner:
    ...         inner.watch(x)
    ...         y = x ** 3
    ...     dy_dx = inner.gradient(y, x)
    >>> dy_dx, outer.gradient(dy_dx, x)
    (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """

    __slots__ = ("_persistent", "_watch_accessed", "_nodes", "_watched", "_token", "_recording",
                 "_has_tape", "_shared", "_released_watched", "__weakref__")

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        # (``x is True or bool(x)``: bool() is a call, and a tape is made on every step)
        self._persistent = persistent is True or bool(persistent)
        self._watch_accessed = watch_accessed_variables is True or bool(watch_accessed_variables)
        self._nodes: set = set()
        # id -> tensor; the tensor is kept alive so its id cannot be reused while watched.
        self._watched: dict[int, Tensor] = {}
        self._token: Any = None
        self._recording = False
        # False before the first ``with`` and after a non-persistent tape's one gradient: there
        # are no records to differentiate (TensorFlow's ``self._tape is None``).
        self._has_tape = False
        # Records that another tape or a PyTorch-style graph may share: keep their saved
        # values after a non-persistent gradient, since the other user may still need them.
        self._shared = False
        # What was watched when a non-persistent gradient released the records: TensorFlow's
        # watched_variables() still lists those variables afterwards.
        # (a shared empty dict, never mutated: a tape is made on every training step)
        self._released_watched: dict[int, Tensor] = _NOTHING_WATCHED

    # --- recording -------------------------------------------------------------------------

    def __enter__(self) -> GradientTape:
        if self._recording:
            raise ValueError(ERR_REENTER)
        # _grad_mode.push_recorder, inlined: entering a tape is on every training step.
        enabled, active = _STATE.get()
        if active:
            self._shared = True
            for r in active:
                r._shared = True
        self._has_tape = True
        self._token = _STATE.set((enabled, (*active, self) if active else (self,)))
        self._recording = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recording:
            _STATE.reset(self._token)
            self._token = None
            self._recording = False

    def _claims(self, args: tuple) -> bool:
        """Engine hook: does this tape record an operation on ``args``?

        The engine skips the call when every tensor input is in ``_watched`` or was produced
        by a node in ``_nodes`` (the answer is then True with no side effect): whatever else
        this method does must only concern other inputs.
        """
        if not self._has_tape:
            return False
        nodes = self._nodes
        watched = self._watched
        claimed = False
        outside = False
        for a in args:
            if isinstance(a, Tensor):
                n = a._node
                if n is not None:
                    if n in nodes:
                        claimed = True
                        continue
                    outside = True
                if id(a) in watched:
                    claimed = True
                elif (self._watch_accessed and isinstance(a, Variable) and a._trainable
                      and a._data.dtype.kind in "fc"):
                    watched[id(a)] = a
                    claimed = True
                elif a._requires_grad:
                    outside = True
        if claimed and outside:
            self._shared = True
        return claimed

    def _is_watched(self, tensor: Tensor) -> bool:
        """Engine hook: is ``tensor`` watched by this tape?"""
        return id(tensor) in self._watched

    def watch(self, tensor: Any) -> None:
        """Watch a tensor (or a nested list/tuple/dict of them) so operations on it record.

        Integer tensors cannot be watched: TensorFlow's warning is logged (logger
        ``"dualgrad"``) and their gradient is None.

        Raises
        ------
        ValueError
            For an object that is not a tensor.
        """
        if isinstance(tensor, Tensor) and tensor._data.dtype.kind in "fc":
            # The common case, one floating tensor, without the structure handling.
            if tensor._requires_grad:
                self._shared = True
            self._watched[id(tensor)] = tensor
            return
        for t in (tensor,) if isinstance(tensor, Tensor) else _flatten(tensor, []):
            t = _check_source(t)
            if t._data.dtype.kind not in "fc":
                _LOG.warning(WARN_INT_WATCH.format(dtype=_tf_dtype_name(t._data.dtype)))
                continue
            if t._requires_grad:
                self._shared = True
            self._watched[id(t)] = t

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Context manager inside which this tape records nothing (to save memory and time).

        Raises
        ------
        RuntimeError
            When the tape never recorded (TensorFlow's text).
        ValueError
            When the tape's ``with`` block has ended (``Tape is not recording.``).

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.Variable(3.0)
        >>> with dg.GradientTape() as tape:
        ...     with tape.stop_recording():
        ...         y = x ** 2
        >>> print(tape.gradient(y, x))
        None
        """
        if not self._has_tape:
            raise RuntimeError(ERR_STOP_RECORDING)
        if not self._recording:
            raise ValueError(ERR_NOT_RECORDING)
        token = _grad_mode.without_recorder(self)
        self._recording = False
        try:
            yield
        finally:
            _grad_mode.pop_recorder(token)
            self._recording = True

    def reset(self) -> None:
        """Forget everything recorded and watched so far; recording goes on if it was on.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.Variable(2.0)
        >>> with dg.GradientTape() as tape:
        ...     loss = x ** 2
        ...     tape.reset()
        ...     loss = loss + x
        >>> tape.gradient(loss, x)
        tensor(1.)
        """
        self._nodes = set()
        self._watched = {}
        self._released_watched = _NOTHING_WATCHED
        self._has_tape = self._has_tape or self._recording

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables this tape watches, in the order they were created (as TensorFlow).

        After the one ``gradient`` call of a non-persistent tape, the variables it watched.
        """
        watched = self._watched if self._has_tape else self._released_watched
        found = [t for t in watched.values() if isinstance(t, Variable)]
        found.sort(key=lambda v: v._seq)
        return tuple(found)

    def why_no_grad(self, target: Any, source: Any) -> str:
        """Explain in one sentence why ``self.gradient(target, source)`` is None.

        See :func:`dualgrad.why_no_grad`; e.g. "source is a constant that this tape does not
        watch" or "target was computed outside the tape".
        """
        from dualgrad.diagnose import why_no_grad

        return why_no_grad(target, source, tape=self)

    def _release(self) -> None:
        self._nodes = set()
        self._released_watched = self._watched
        self._watched = {}
        self._has_tape = False

    # --- gradients -------------------------------------------------------------------------

    def _start(self) -> bool:
        """Common checks of gradient/jacobian; returns create_graph."""
        if not self._has_tape:
            raise RuntimeError(ERR_NON_PERSISTENT)
        if self._recording and self._persistent:
            global _warned_inside
            if not _warned_inside:
                _warned_inside = True
                _LOG.warning(WARN_INSIDE_CONTEXT)
        # Another tape (or this persistent one) still recording records the gradient
        # computation too: that is how nested tapes give higher derivatives.
        for r in _grad_mode._STATE.get()[1]:
            if (r is not self or self._persistent) and getattr(r, "_has_tape", True):
                return True
        return False

    def _engine_sources(self, flat_sources: list) -> tuple[list, list, set]:
        """The sources the engine can reach: watched, or produced on this tape."""
        nodes = self._nodes
        restrict = nodes
        picked, positions = [], []
        for i, s in enumerate(flat_sources):
            s = _check_source(s)
            n = s._node
            if n is not None and n in nodes:
                pass
            elif id(s) in self._watched:
                if n is not None:
                    # A watched tensor computed before the tape: differentiate up to it.
                    restrict = restrict | {n}
            else:
                continue
            picked.append(s)
            positions.append(i)
        return picked, positions, restrict

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: UnconnectedGradients | str = UnconnectedGradients.NONE
                 ) -> Any:
        """The gradient of ``target`` with respect to ``sources``, from this tape's records.

        Parameters
        ----------
        target:
            A tensor, or a (nested) list/dict of tensors whose gradients add up. A non-scalar
            target gives the gradient of the sum of its elements.
        sources:
            A tensor or variable, or a nested list/tuple/dict of them.
        output_gradients:
            Optional upstream gradients, one per target tensor (same structure as
            ``target``); ``None`` entries mean ones.
        unconnected_gradients:
            ``UnconnectedGradients.NONE`` (default) returns None for sources the target does
            not depend on; ``ZERO`` returns zeros.

        Returns
        -------
        Tensor or None, or a structure of them
            The gradients, in the structure of ``sources``. A source that is the target
            itself gets ones; sources that are not watched, not computed on this tape, or of
            integer dtype get None (or zeros).

        Raises
        ------
        RuntimeError
            On a second call to a non-persistent tape (TensorFlow's text).
        ValueError
            For an unknown ``unconnected_gradients`` value or a source that is not a tensor.
        """
        unconnected = (unconnected_gradients if unconnected_gradients.__class__
                       is UnconnectedGradients else _unconnected(unconnected_gradients))
        # With no tape recording, _start has nothing to check but the records (first order).
        create_graph = False if self._has_tape and not _STATE.get()[1] else self._start()
        if (output_gradients is None and isinstance(target, Tensor)
                and isinstance(sources, Tensor)):
            # The common case (one target, one source) without the structure handling.
            g = self._gradient_one(target, sources, create_graph)
            if g is None and unconnected is UnconnectedGradients.ZERO:
                g = self._wrap_result(Tensor._make(np.zeros_like(sources._data)))
            if not self._persistent:
                self._release()
            return g
        if target is None:
            raise TypeError(ERR_TARGET_NONE)
        flat_targets = [target] if isinstance(target, Tensor) else _flatten(target, [])
        single = isinstance(sources, Tensor)
        flat_sources = [sources] if single else _flatten(sources, [])
        if output_gradients is None:
            flat_og = [None] * len(flat_targets)
        else:
            flat_og = ([output_gradients] if not isinstance(output_gradients, (list, tuple, dict))
                       else _flatten(output_gradients, []))
            if len(flat_og) != len(flat_targets):
                raise ValueError(f"output_gradients has {len(flat_og)} entries for "
                                 f"{len(flat_targets)} targets")
        picked, positions, restrict = self._engine_sources(flat_sources)
        picked_ids = {id(s) for s in picked}
        source_ids = {id(s) for s in flat_sources}
        roots, seeds = [], []
        # Targets that are themselves sources, outside what the engine sees: TensorFlow gives
        # them their seed (d x / d x = 1) whether or not they are watched.
        direct: list[tuple[Tensor, Any]] = []
        for t, og in zip(flat_targets, flat_og):
            if not isinstance(t, Tensor):
                t = constant(t)
            data = t._data
            if data.dtype.kind not in "fc":
                continue
            if og is None:
                seed = _ones(data.shape, data.dtype)
            elif isinstance(og, Tensor):
                seed = og if create_graph else og._data
            else:
                seed = np.asarray(og, dtype=data.dtype)
            # A target computed outside this tape has no gradient here.
            on_tape = t._node is None or t._node in restrict
            if id(t) in source_ids and not (on_tape and id(t) in picked_ids):
                direct.append((t, seed))
            elif on_tape:
                roots.append(t)
                seeds.append(seed)
        results: list = [None] * len(flat_sources)
        if picked and roots:
            retain = self._persistent or create_graph or self._shared
            grads = _engine.backward(roots, seeds, sources=picked, retain_graph=retain,
                                     create_graph=create_graph,
                                     restrict_to=self._restriction(restrict),
                                     accumulate=False)
            for i, s, g in zip(positions, picked, grads):
                results[i] = self._as_result(g, s)
        for t, seed in direct:
            for i, s in enumerate(flat_sources):
                if s is t:
                    g = self._as_result(seed, s)
                    results[i] = g if results[i] is None else self._wrap_result(results[i] + g)
        if unconnected is UnconnectedGradients.ZERO:
            for i, s in enumerate(flat_sources):
                if results[i] is None:
                    results[i] = self._wrap_result(Tensor._make(np.zeros_like(s._data)))
        if not self._persistent:
            self._release()
        if single:
            return results[0]
        return _pack(sources, iter(results))

    def _gradient_one(self, target: Tensor, source: Tensor, create_graph: bool
                      ) -> Tensor | None:
        nodes = self._nodes
        restrict = nodes
        n = source._node
        if n is None or n not in nodes:
            if id(source) not in self._watched:
                if target is source and target._data.dtype.kind in "fc":
                    # d x / d x = 1 even for an unwatched x, as in TensorFlow.
                    return self._as_result(np.ones_like(source._data), source)
                return None
            if n is not None:
                restrict = nodes | {n}
        data = target._data
        dtype = data.dtype
        tn = target._node
        if dtype.kind not in "fc" or (tn is not None and tn not in restrict):
            return None
        seed = np.empty(data.shape, dtype=dtype)  # _ones, inlined (one call per gradient)
        seed.fill(1)
        retain = self._persistent or create_graph or self._shared
        restrict_to = restrict if self._shared or restrict is not nodes else None
        if create_graph:
            (g,) = _engine.backward((target,), (seed,), sources=(source,), retain_graph=retain,
                                    create_graph=True, restrict_to=restrict_to,
                                    accumulate=False)
        else:
            g = _engine.gradient_of(target, seed, source, retain, restrict_to)
        if g.__class__ is np.ndarray and g.dtype == source._data.dtype:
            # _as_result for the common first-order result, without its checks.
            return self._result_class._make(g)
        if g is None:
            return None
        return self._as_result(g, source)

    def _restriction(self, restrict: set) -> set | None:
        """The node set the engine must stay in, or None when it cannot leave the tape anyway.

        When no recorded operation took an input from outside this tape (another tape, a
        PyTorch-style graph, a watched tensor computed before the block), every node reachable
        from a tape-recorded target is the tape's own: the engine can skip the membership
        checks.
        """
        return restrict if self._shared or restrict is not self._nodes else None

    def _as_result(self, g: Any, source: Tensor) -> Tensor | None:
        if g is None:
            return None
        if not isinstance(g, Tensor):
            dtype = source._data.dtype
            g = np.asarray(g)
            g = Tensor._make(g if g.dtype == dtype else g.astype(dtype))
        return self._wrap_result(g)

    # The class of the results; ``_wrap_result`` must turn a plain Tensor into one.
    _result_class: type = Tensor

    def _wrap_result(self, t: Tensor) -> Tensor:
        """Hook for namespaces that return their own tensor class (``dualgrad.tf``)."""
        return t

    def jacobian(self, target: Tensor, sources: Any,
                 unconnected_gradients: UnconnectedGradients | str = UnconnectedGradients.NONE,
                 parallel_iterations: int | None = None, experimental_use_pfor: bool = True
                 ) -> Any:
        """The full Jacobian of ``target`` with respect to each source.

        For a source of shape ``S`` the result has shape ``target.shape + S``: entry
        ``[i..., j...]`` is ``d target[i...] / d source[j...]``. Computed one target element
        at a time with the same backward pass as ``gradient``.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.constant([1.0, 2.0])
        >>> with dg.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.jacobian(y, x)
        tensor([[2., 0.],
                [0., 4.]])
        """
        if not self._has_tape:
            raise RuntimeError(ERR_NON_PERSISTENT)
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(ERR_JACOBIAN_NO_PFOR)
        unconnected = _unconnected(unconnected_gradients)
        create_graph = self._start()
        target = _check_source(target)
        single = isinstance(sources, Tensor)
        flat_sources = [sources] if single else _flatten(sources, [])
        picked, positions, restrict = self._engine_sources(flat_sources)
        shape = target._data.shape
        rows: list[list] = [[] for _ in picked]
        if picked and _differentiable(target, restrict):
            for k in range(target._data.size):
                seed = np.zeros(shape, dtype=target._data.dtype)
                seed.flat[k] = 1
                grads = _engine.backward([target], [seed], sources=picked, retain_graph=True,
                                         create_graph=create_graph,
                                         restrict_to=self._restriction(restrict),
                                         accumulate=False)
                for row, g in zip(rows, grads):
                    row.append(g)
        results: list = [None] * len(flat_sources)
        for i, s, row in zip(positions, picked, rows):
            results[i] = self._stack(row, s, shape, shape + s._data.shape)
        self._finish_jacobian(results, unconnected,
                              [shape + s._data.shape for s in flat_sources],
                              [s._data.dtype for s in flat_sources])
        if single:
            return results[0]
        return _pack(sources, iter(results))

    def batch_jacobian(self, target: Tensor, source: Tensor,
                       unconnected_gradients: UnconnectedGradients | str
                       = UnconnectedGradients.NONE,
                       parallel_iterations: int | None = None,
                       experimental_use_pfor: bool = True) -> Tensor | None:
        """Per-example Jacobians: ``target[b]`` with respect to ``source[b]`` for each ``b``.

        ``target`` has shape ``(B, ...)`` and ``source`` shape ``(B, ...)``; the result has
        shape ``(B,) + target.shape[1:] + source.shape[1:]``. Examples must not interact:
        ``target[b]`` may depend on ``source[b]`` only.

        Raises
        ------
        RuntimeError
            On a used non-persistent tape, or for ``experimental_use_pfor=False`` on a
            non-persistent tape (TensorFlow 2.18's texts).
        ValueError
            When ``target`` or ``source`` has fewer than 2 dimensions, or their first
            dimensions differ.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with dg.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x ** 2
        >>> tape.batch_jacobian(y, x)
        tensor([[[2., 0.],
                 [0., 4.]],
        <BLANKLINE>
                [[6., 0.],
                 [0., 8.]]])
        """
        # TensorFlow's order of checks: used tape, ranks, first dimensions, then pfor.
        if not self._has_tape:
            raise RuntimeError(ERR_NON_PERSISTENT_BATCH)
        target, source = _check_source(target), _check_source(source)
        tshape, sshape = target._data.shape, source._data.shape
        for shape in (tshape, sshape):
            if len(shape) < 2:
                raise ValueError(f"Shape {_shape_text(shape)} must have rank at least 2")
        if tshape[0] != sshape[0]:
            raise ValueError(f"Need first dimension of target shape ({_shape_text(tshape)}) "
                             f"and source shape ({_shape_text(sshape)}) to match.")
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(ERR_BATCH_JACOBIAN_NO_PFOR)
        unconnected = _unconnected(unconnected_gradients)
        create_graph = self._start()
        batch = tshape[0]
        inner = int(np.prod(tshape[1:], dtype=np.int64))
        picked, _, restrict = self._engine_sources([source])
        row: list = []
        if picked and _differentiable(target, restrict):
            for j in range(inner):
                seed = np.zeros((batch, inner), dtype=target._data.dtype)
                seed[:, j] = 1
                (g,) = _engine.backward([target], [seed.reshape(tshape)], sources=picked,
                                        retain_graph=True, create_graph=create_graph,
                                        restrict_to=self._restriction(restrict),
                                        accumulate=False)
                row.append(g)
        results = [None]
        if picked:
            # Rows are indexed by the target element j; batch goes first in the result.
            stacked = self._stack(row, source, (inner,), (inner,) + sshape)
            if stacked is not None:
                perm = (1, 0) + tuple(range(2, stacked.ndim))
                out = stacked.permute(*perm).reshape((batch,) + tshape[1:] + sshape[1:])
                results[0] = self._wrap_result(out)
        self._finish_jacobian(results, unconnected, [tshape + sshape[1:]], [source._data.dtype])
        return results[0]

    def _stack(self, row: list, source: Tensor, lead: tuple, shape: tuple) -> Tensor | None:
        """Stack one gradient per target element into a Jacobian (None if all are None)."""
        if not row or all(g is None for g in row):
            return None
        zeros = np.zeros(source._data.shape, dtype=source._data.dtype)
        if any(isinstance(g, Tensor) for g in row):
            from dualgrad._functions import stack

            parts = [g if isinstance(g, Tensor) else Tensor._make(zeros if g is None else g)
                     for g in row]
            out = stack(parts).reshape(shape)
        else:
            out = Tensor._make(np.stack([zeros if g is None else g for g in row]).reshape(shape)
                               .astype(source._data.dtype, copy=False))
        return self._wrap_result(out)

    def _finish_jacobian(self, results: list, unconnected: UnconnectedGradients,
                         zero_shapes: list, dtypes: list) -> None:
        if unconnected is UnconnectedGradients.ZERO:
            for i, (shape, dtype) in enumerate(zip(zero_shapes, dtypes)):
                if results[i] is None:
                    results[i] = self._wrap_result(Tensor._make(np.zeros(shape, dtype=dtype)))
        if not self._persistent:
            self._release()


_warned_inside = False
_NOTHING_WATCHED: dict[int, Tensor] = {}


def _ones(shape: tuple, dtype: np.dtype) -> np.ndarray:
    # The seed of every gradient call; np.ones is a Python-level wrapper of these two calls.
    seed = np.empty(shape, dtype=dtype)
    seed.fill(1)
    return seed


def _differentiable(target: Tensor, restrict: set) -> bool:
    """A floating target computed on the tape (or a watched leaf)."""
    return target._data.dtype.kind in "fc" and (target._node is None
                                                 or target._node in restrict)


def _unconnected(value: Any) -> UnconnectedGradients:
    if isinstance(value, UnconnectedGradients):
        return value
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}") from None


def _tf_dtype_name(dtype: np.dtype) -> str:
    return f"tf.{dtype.name}"

