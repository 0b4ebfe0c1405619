"""Debugging tools: anomaly detection (``dg.autograd.detect_anomaly``) and
:func:`why_no_grad`, which explains in one sentence why a gradient is None."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dualgrad import _engine, _grad_mode
from dualgrad._node import Node
from dualgrad._tensor import Tensor

__all__ = ["why_no_grad", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

_ANOMALY_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime "
                    "and should only be enabled for debugging.")


class detect_anomaly:
    """Context manager and decorator: find the forward operation behind a bad backward.

    Inside, every recorded operation remembers where in your code it was created, and the
    backward pass checks each gradient it computes: a NaN raises ``RuntimeError`` naming the
    op (``Function 'SqrtBackward0' returned nan values in its 0th output.``) followed by the
    line of your code that ran the forward op. An in-place modification error then also shows
    where the node was created. Recording the stack costs time: use it for debugging only
    (a ``UserWarning`` says so, as in PyTorch).

    Examples
    --------
    >>> import warnings
    >>> import dualgrad as dg
    >>> x = dg.tensor([0.0, 1.0], requires_grad=True)
    >>> with warnings.catch_warnings():  # doctest: +ELLIPSIS
    ...     warnings.simplefilter("ignore")
    ...     with dg.autograd.detect_anomaly():
    ...         y = (dg.sqrt(x) * 0).sum()
    ...         y.backward()  # d sqrt(x)/dx at 0 is inf, and inf * 0 is NaN
    Traceback (most recent call last):
      ...
    RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._tokens: list = []

    def __enter__(self) -> None:
        warnings.warn(_ANOMALY_WARNING, UserWarning, stacklevel=2)
        self._tokens.append(_grad_mode.set_anomaly(True, self.check_nan))

    def __exit__(self, *exc: object) -> None:
        _grad_mode.reset_anomaly(self._tokens.pop())

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once when called, or for a ``with`` block.

    ``dg.autograd.set_detect_anomaly(True)`` switches it on for the current thread until it is
    switched off; ``with dg.autograd.set_detect_anomaly(True): ...`` restores the previous
    setting at the end of the block. See :class:`detect_anomaly` for what it does.

    Examples
    --------
    >>> import dualgrad as dg
    >>> with dg.autograd.set_detect_anomaly(True):
    ...     dg.autograd.is_anomaly_enabled()
    True
    >>> dg.autograd.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = (_grad_mode.anomaly_enabled(), _grad_mode.anomaly_check_nan())
        _grad_mode.set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _grad_mode.set_anomaly(*self._previous)


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return _grad_mode.anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    """False when anomaly detection was switched on with ``check_nan=False``."""
    return _grad_mode.anomaly_check_nan()


# --------------------------------------------------------------------------------------------
# why_no_grad


def _where(node: Node) -> str:
    """`` (created at File "...", line N: code)`` when anomaly mode recorded the forward call."""
    if not node.trace:
        return ""
    lines = [part.strip() for part in node.trace[-1].strip().splitlines()]
    return f" (created at {lines[0]}" + (f": {lines[1]})" if len(lines) > 1 else ")")


def _reaches(root: Node, source: Tensor, restrict: set | None) -> bool:
    """Whether the graph from ``root`` reaches ``source`` (its node, or the leaf itself)."""
    target_node = source._node
    for node in _engine.walk(root, restrict):
        if target_node is not None:
            if node is target_node:
                return True
        elif any(e is source for e in node.edges):
            return True
    return False


def _tape_reason(source: Tensor, tape: Any) -> str | None:
    if not tape._has_tape:
        return ("the tape holds no records: a non-persistent tape is released by its first "
                "gradient() call (create it with persistent=True to ask again), or reset() "
                "was called.")
    if source._node is None and not tape._is_watched(source):
        from dualgrad.tape import Variable

        if isinstance(source, Variable) and not source.trainable:
            return ("source is a Variable with trainable=False, which the tape does not watch "
                    "automatically: call tape.watch(source) inside the with block.")
        if isinstance(source, Variable) and not tape._watch_accessed:
            return ("source is not watched: the tape was created with "
                    "watch_accessed_variables=False, so call tape.watch(source) inside the "
                    "with block.")
        return ("source is not watched by the tape: a constant or plain tensor must be passed "
                "to tape.watch(source) inside the with block, before it is used (trainable "
                "Variables are watched automatically).")
    if source._node is not None and source._node not in tape._nodes:
        return ("source was computed outside the tape (before the with block, or from values "
                "the tape did not watch), so the tape has no record of it: compute it inside "
                "the block from watched values, or watch it.")
    return None


def why_no_grad(target: Any, source: Any, *, tape: Any = None) -> str:
    """Explain, in one sentence, why the gradient of ``target`` with respect to ``source`` is
    None (or say that it is not).

    The checks run in order and the first that applies is reported: ``source`` is not a
    Tensor or has an integer dtype; it does not require grad (or, with ``tape``, is not
    watched); ``target`` is not a Tensor, has an integer dtype, or has no ``grad_fn`` (computed
    under ``no_grad``, from ``detach()``-ed values or through NumPy); ``target`` was computed
    outside the tape; and finally whether the recorded graph from ``target`` reaches
    ``source``. When it does not, and an operation in the graph used a detached copy of
    ``source``'s values, that operation is named (with the line of your code that ran it when
    anomaly detection was on).

    Parameters
    ----------
    target:
        What you differentiate (the loss).
    source:
        What you differentiate with respect to.
    tape:
        A ``GradientTape``: explain ``tape.gradient(target, source)`` instead of
        ``autograd.grad`` / ``.backward()``.

    Returns
    -------
    str
        One sentence.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, 2.0])
    >>> loss = (w * 3).sum()
    >>> print(dg.why_no_grad(loss, w))
    source does not require grad: create it with requires_grad=True (or call source.requires_grad_() before computing target); with a GradientTape, watch it with tape.watch(source).
    >>> w = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> with dg.no_grad():
    ...     loss = (w * 3).sum()
    >>> print(dg.why_no_grad(loss, w))
    target has no grad_fn: it was computed without recording (under no_grad, from detach()-ed or .data values, through a NumPy round trip, or only from tensors that did not require grad).
    """  # noqa: E501
    if not isinstance(source, Tensor):
        return (f"source is a {type(source).__name__}, not a Tensor: gradients are tracked only "
                "for tensors (create it with dg.tensor(..., requires_grad=True) or dg.Variable).")
    if source._data.dtype.kind not in "fc":
        return (f"source has dtype {source._data.dtype}: only floating point and complex "
                "tensors can have gradients (create it with float values, e.g. dg.tensor([1.0, "
                "2.0]), or convert it with source.float()).")
    if not isinstance(target, Tensor):
        return (f"target is a {type(target).__name__}, not a Tensor: it was computed outside "
                "dualgrad's recording (.item(), .numpy(), float() or a NumPy function on "
                "detached values), so there is no graph from it back to source.")
    if tape is None:
        if not source.requires_grad:
            return ("source does not require grad: create it with requires_grad=True (or call "
                    "source.requires_grad_() before computing target); with a GradientTape, "
                    "watch it with tape.watch(source).")
    else:
        reason = _tape_reason(source, tape)
        if reason is not None:
            return reason
    if target is source:
        return "target is source: the gradient is ones, not None."
    if target._data.dtype.kind not in "fc":
        return (f"target has dtype {target._data.dtype}: it comes from an operation without a "
                "gradient (a comparison, argmax, rounding, or a cast to an integer type).")
    node = target._node
    if node is None:
        if target._requires_grad:
            return ("target is a leaf tensor (created, not computed), so it does not depend on "
                    "source.")
        return ("target has no grad_fn: it was computed without recording (under no_grad, "
                "from detach()-ed or .data values, through a NumPy round trip, or only from "
                "tensors that did not require grad).")
    restrict = None
    if tape is not None:
        restrict = tape._nodes
        if node not in restrict:
            return ("target was computed outside the tape (after the with block, or inside "
                    "tape.stop_recording()), so the tape has no record of it.")
    if _reaches(node, source, restrict):
        # Integer-valued nodes pass no gradient: is there a path avoiding them?
        floating = {n for n in _engine.walk(node, restrict) if n.out_dtype.kind in "fc"}
        if _reaches(node, source, floating):
            return ("nothing is cut: target depends on source through the recorded graph, so "
                    "the gradient is not None (it may still be zero, e.g. through relu or a "
                    "mask).")
        for n in _engine.walk(node, restrict):
            if n.out_dtype.kind not in "fc" and _reaches(n, source, restrict):
                return (f"every path from target to source passes through {n.name()}, whose "
                        f"output has dtype {n.out_dtype}: integer values carry no gradient.")
    for n in _engine.walk(node, restrict):
        for a in n.saved or ():
            if (isinstance(a, Tensor) and a is not source and a._node is None
                    and not a._requires_grad
                    and np.may_share_memory(a._data, source._data)):
                return (f"the graph was cut at {n.name()}{_where(n)}: it used a copy of "
                        "source's values that is disconnected from source (made by detach(), "
                        ".data, or .numpy() and back), so no path leads from target to source.")
    return ("target does not depend on source: no path in the recorded graph leads from target "
            "back to source (was source used under no_grad, through detach() or a NumPy round "
            "trip, or replaced by a new tensor, e.g. x = x + 1 instead of an in-place update or "
            "Variable.assign?).")
