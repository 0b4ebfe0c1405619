"""Gradient clipping (``torch.nn.utils``): ``clip_grad_norm_`` and ``clip_grad_value_``.

Both change the parameters' ``.grad`` in place, without recording, as PyTorch's do; call them
between ``loss.backward()`` and ``optimizer.step()``.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable

import numpy as np

from dualgrad import _dtypes, _grad_mode
from dualgrad._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm"]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector:
    the norm of their norms (``tensor(0.)`` for none).

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite``, if the norm is NaN or infinite (PyTorch's text).
    """
    from dualgrad import linalg, stack

    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, _dtypes.default_float))
    with _grad_mode.no_grad():
        norms = [linalg.vector_norm(t, norm_type) for t in tensors]
        total = linalg.vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and not np.isfinite(total._data):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``; return the total norm before clipping.

    As PyTorch: the total norm is the ``norm_type``-norm of all gradients together
    (``float("inf")``: the largest absolute value), and every gradient is multiplied by
    ``min(max_norm / (total_norm + 1e-6), 1)``. Parameters without a gradient are skipped.

    Parameters
    ----------
    parameters:
        A tensor or an iterable of tensors (``model.parameters()``).
    max_norm:
        The largest total norm allowed.
    norm_type:
        The order of the norm.
    error_if_nonfinite:
        Raise if the total norm is NaN or infinite, instead of scaling by it.
    foreach:
        Accepted for compatibility (there is one implementation).

    Returns
    -------
    Tensor
        The total norm, a 0-d tensor.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.zeros(2, requires_grad=True)
    >>> (w * dg.tensor([3.0, 4.0])).sum().backward()
    >>> dg.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      UserWarning, stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    max_norm = float(max_norm)
    if grads:
        # PyTorch's clip_coef in the norm's dtype, clamped at 1 (NaN stays NaN), then
        # multiplied into every gradient, in the gradient's dtype, even when it is 1.
        coef = np.minimum(total_norm._data.dtype.type(max_norm) / (total_norm._data + 1e-6),
                          1.0)
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1
    return total_norm


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp the gradients of ``parameters`` in place to ``[-clip_value, clip_value]``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.zeros(3, requires_grad=True)
    >>> (w * dg.tensor([-3.0, 0.5, 2.0])).sum().backward()
    >>> dg.nn.utils.clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
