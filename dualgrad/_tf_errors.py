"""``tf.errors``: the exception classes TensorFlow raises where ``dualgrad.tf`` copies it.

TensorFlow reports a failed op (mismatched dtypes, a bad ``tf.range``) as an ``OpError``
subclass, which derives from ``Exception`` directly, not from ``ValueError`` or
``TypeError``: code written for TensorFlow catches ``tf.errors.InvalidArgumentError`` (or
``tf.errors.OpError``), so that is what ``dualgrad.tf`` raises there.

Examples
--------
>>> import dualgrad.tf as tf
>>> try:
...     tf.constant(1.0) + tf.constant(1.0, dtype=tf.float64)
... except tf.errors.InvalidArgumentError as e:
...     print(e.message.split(" was")[0])
cannot compute AddV2 as input #1(zero-based)
"""

from __future__ import annotations

from typing import Any

__all__ = ["OpError", "InvalidArgumentError"]


class OpError(Exception):
    """The base of the errors a TensorFlow op raises; ``str(e)`` is ``e.message``."""

    def __init__(self, node_def: Any, op: Any, message: str, *args: Any) -> None:
        super().__init__(message, *args)
        self._node_def = node_def
        self._op = op
        self._message = message

    @property
    def message(self) -> str:
        """The error text."""
        return self._message

    @property
    def op(self) -> Any:
        """The op that failed (always None here: ops run eagerly)."""
        return self._op

    @property
    def node_def(self) -> Any:
        """The failing node's definition (always None here)."""
        return self._node_def

    def __str__(self) -> str:
        return self._message


class InvalidArgumentError(OpError):
    """An op received an argument it cannot take (a wrong dtype, an empty ``tf.range``)."""

    def __init__(self, node_def: Any, op: Any, message: str, *args: Any) -> None:
        super().__init__(node_def, op, message, *args)
