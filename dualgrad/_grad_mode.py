"""Grad mode, the recorder (tape) stack and the anomaly-detection switch.

The recording context is one context variable, ``_STATE = (grad mode enabled, active
recorders)``: :func:`dualgrad._engine.record` reads it once per operation. Context variables are
per thread (as PyTorch's grad mode) and inherited by asyncio tasks.

A recorder object (a ``GradientTape``) must provide ``_claims(args) -> bool``,
``_is_watched(tensor) -> bool``, a ``_nodes`` set that ``record`` adds new nodes to, the
container ``_watched`` of the ids of the tensors it watches and the flag ``_has_tape`` (False
while it records nothing). With one recorder active, ``record`` reads the last three directly: an
operation whose tensor inputs all come from ``_nodes`` or ``_watched`` is claimed without asking
``_claims`` (which would claim it with no side effect).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "push_recorder",
    "pop_recorder",
    "without_recorder",
    "active_recorders",
    "set_anomaly",
    "anomaly_enabled",
    "anomaly_check_nan",
    "reset_anomaly",
]

# The recording context: (grad mode enabled, active recorders).
_STATE: contextvars.ContextVar[tuple[bool, tuple]] = contextvars.ContextVar(
    "dualgrad_recording_state", default=(True, ())
)


def is_grad_enabled() -> bool:
    """True when operations are being recorded (the default)."""
    return _STATE.get()[0]


class _GradModeContext:
    """Shared machinery of the grad-mode switches: context manager and decorator."""

    _enabled: bool

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token] = []

    def __enter__(self) -> None:
        recorders = _STATE.get()[1]
        self._tokens.append(_STATE.set((self._enabled, recorders)))

    def __exit__(self, *exc: object) -> None:
        _STATE.reset(self._tokens.pop())

    def _fresh(self) -> _GradModeContext:
        """A new switch to the same mode, entered by each call of a decorated function."""
        return enable_grad() if self._enabled else no_grad()

    def __call__(self, fn: Callable) -> Callable:
        # A fresh switch per call (the decorator may be re-entered, from several threads).
        mode = self._fresh
        if inspect.isgeneratorfunction(fn):
            return _generator_in_mode(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> _GradModeContext:
        """A fresh context manager of the same kind."""
        return self.__class__()


def _generator_in_mode(fn: Callable, mode: Callable) -> Callable:
    """Run each step of the generator ``fn`` makes under ``mode``, and the caller outside it.

    A context variable set around ``yield`` would leak into the caller, so the mode is entered
    and left around every resumption, as PyTorch's decorators do.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)
        try:
            with mode():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException as exc:
                    with mode():
                        response = gen.throw(exc)
                else:
                    with mode():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return wrapper


class _NoParamDecorator(_GradModeContext):
    """A switch that also decorates without parentheses (``@no_grad``), as in PyTorch 2."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func: Callable | None = None) -> None:
        super().__init__()


class no_grad(_NoParamDecorator):
    """Context manager and decorator that turns recording off.

    Inside, operations create no graph: results have ``requires_grad=False`` and cost one
    NumPy call and one Tensor. As a decorator it may be written ``@no_grad()`` or
    ``@no_grad``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> with dg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _enabled = False


class enable_grad(_NoParamDecorator):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    _enabled = True


# True inside ``inference_mode()`` (what ``is_inference_mode_enabled`` reports); the engine
# never reads it: for recording, inference mode is grad mode off.
_INFERENCE: contextvars.ContextVar[bool] = contextvars.ContextVar("dualgrad_inference_mode",
                                                                  default=False)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and not inside an ``inference_mode(False)`` in it)."""
    return _INFERENCE.get()


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and ``is_inference_mode_enabled()`` is True inside.

    dualgrad has no separate inference tensors: a tensor made inside is an ordinary tensor
    that does not require grad (PyTorch's ``is_inference()`` and the errors about using
    inference tensors in autograd do not exist). ``@inference_mode``, ``@inference_mode()``
    and ``inference_mode(False)`` work as in PyTorch.
    """

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = mode
        self._enabled = not mode
        self._inference_tokens: list[contextvars.Token] = []

    def __enter__(self) -> None:
        super().__enter__()
        self._inference_tokens.append(_INFERENCE.set(self._mode))

    def __exit__(self, *exc: object) -> None:
        _INFERENCE.reset(self._inference_tokens.pop())
        super().__exit__(*exc)

    def _fresh(self) -> inference_mode:
        return inference_mode(self._mode)

    def clone(self) -> inference_mode:
        """A fresh context manager for the same mode."""
        return inference_mode(self._mode)


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: at once when called, or for a ``with`` block.

    ``dg.set_grad_enabled(False)`` switches recording off for the current thread until it is
    switched on again; ``with dg.set_grad_enabled(False): ...`` restores the previous mode at
    the end of the block.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {type(mode).__name__}")
        self._enabled = mode
        self._previous = _STATE.get()
        _STATE.set((self._enabled, self._previous[1]))

    def __enter__(self) -> None:
        self._tokens.append(_STATE.set((self._enabled, _STATE.get()[1])))

    def __exit__(self, *exc: object) -> None:
        _STATE.reset(self._tokens.pop())
        _STATE.set((self._previous[0], _STATE.get()[1]))

    def __call__(self, fn: Callable) -> Callable:
        # Used as a decorator, the constructor's switch must not outlive the decoration.
        _STATE.set((self._previous[0], _STATE.get()[1]))
        return super().__call__(fn)

    def clone(self) -> set_grad_enabled:
        """A fresh context manager for the same mode."""
        return set_grad_enabled(self._enabled)


def push_recorder(recorder: Any) -> contextvars.Token:
    """Make ``recorder`` (a GradientTape) active in this context; returns the reset token."""
    enabled, recorders = _STATE.get()
    return _STATE.set((enabled, (*recorders, recorder)))


def pop_recorder(token: contextvars.Token) -> None:
    """Undo :func:`push_recorder`."""
    _STATE.reset(token)


def without_recorder(recorder: Any) -> contextvars.Token:
    """Pause ``recorder`` (``tape.stop_recording``); returns the reset token."""
    enabled, recorders = _STATE.get()
    return _STATE.set((enabled, tuple(r for r in recorders if r is not recorder)))


def active_recorders() -> tuple:
    """The recorders (tapes) active in this context, innermost last."""
    return _STATE.get()[1]


# --------------------------------------------------------------------------------------------
# Anomaly detection

_ANOMALY: contextvars.ContextVar[bool] = contextvars.ContextVar("dualgrad_anomaly", default=False)
# Becomes True the first time anomaly mode is switched on, in any thread: until then the
# per-op check is one global read instead of a ContextVar lookup.
_anomaly_used = False


# Whether anomaly mode checks the backward's results for NaN (``check_nan``); read only in
# anomaly mode.
_ANOMALY_CHECK_NAN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "dualgrad_anomaly_check_nan", default=True)


def set_anomaly(enabled: bool, check_nan: bool = True) -> tuple:
    """Switch anomaly detection (forward traces and NaN checks in backward); returns the
    reset token for :func:`reset_anomaly`."""
    global _anomaly_used
    if enabled:
        _anomaly_used = True
    return _ANOMALY.set(enabled), _ANOMALY_CHECK_NAN.set(check_nan)


def anomaly_check_nan() -> bool:
    """True unless anomaly mode was switched on with ``check_nan=False``."""
    return _ANOMALY_CHECK_NAN.get()


def anomaly_enabled() -> bool:
    """True inside ``detect_anomaly``."""
    return _ANOMALY.get()


def reset_anomaly(token: tuple) -> None:
    """Undo :func:`set_anomaly`."""
    _ANOMALY_CHECK_NAN.reset(token[1])
    _ANOMALY.reset(token[0])

