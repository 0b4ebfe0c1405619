"""NumPy's override protocols for ``Tensor``: ``np.sin(t)``, ``np.sum(t)``, ``np.float64(2) * t``.

``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` are the two functions below. They
serve only the NumPy callables an op declared with ``numpy=(...)`` or ``@implements`` (the
table ``_registry.NUMPY_IMPLS``), so the result stays differentiable; anything else raises
a ``TypeError`` rather than silently dropping the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# ``_tensor`` imports this module first (its class body names the functions below), so the
# Tensor class is looked up on it at call time.
from dualgrad import _tensor
from dualgrad._registry import NUMPY_IMPLS

__all__ = ["array_ufunc", "array_function"]

# NumPy's arithmetic ufuncs met through ``__array_ufunc__`` (``np.float64(2) - t``), served by
# the Tensor operators (forward, reflected) so that they promote as PyTorch does.
_UFUNC_OPERATORS = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.floor_divide: ("__floordiv__", "__rfloordiv__"),
    np.remainder: ("__mod__", "__rmod__"),
}


def array_ufunc(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``Tensor.__array_ufunc__``: run the registered op that serves ``ufunc``."""
    impl = NUMPY_IMPLS.get(ufunc) if method == "__call__" else None
    if impl is None or kwargs.get("out") is not None:
        name = getattr(ufunc, "__name__", ufunc)
        raise TypeError(
            f"numpy.{name}{'' if method == '__call__' else '.' + method} has no "
            "registered dualgrad op, so it cannot run on a Tensor and stay differentiable. "
            "Use a dualgrad function, or call it on tensor.detach().numpy().")
    kwargs.pop("out", None)
    # ``np.float64(2) * t``: a NumPy scalar promotes as a Python scalar, as in PyTorch.
    inputs = tuple(_tensor._numpy_scalar(i) if isinstance(i, np.generic) else i for i in inputs)
    operators = _UFUNC_OPERATORS.get(ufunc)
    if operators is not None and not kwargs and len(inputs) == 2:
        # The Tensor's own operator applies PyTorch's promotion (int tensor / 2 -> float).
        if isinstance(inputs[0], _tensor.Tensor):
            return getattr(inputs[0], operators[0])(inputs[1])
        return getattr(inputs[1], operators[1])(inputs[0])
    return impl(*inputs, **kwargs)


def array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """``Tensor.__array_function__``: run the registered op that serves ``func``."""
    impl = NUMPY_IMPLS.get(func)
    if impl is None:
        # ``numpy.linalg.norm``, not ``numpy.norm``: name the function as users call it.
        module = getattr(func, "__module__", None) or "numpy"
        raise TypeError(
            f"{module}.{getattr(func, '__name__', func)} has no registered dualgrad op, so it "
            "cannot run on a Tensor and stay differentiable. Use a dualgrad function, or "
            "call it on tensor.detach().numpy().")
    return impl(*args, **kwargs)
