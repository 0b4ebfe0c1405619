"""``gradcheck`` and ``gradgradcheck`` with PyTorch's signature, on top of
:mod:`dualgrad.testing` (the checker the generic op test uses).

Differences from PyTorch, both in the user's favour: the check always runs in float64 (inputs
of other floating dtypes are copied to float64 first, so a float32 input does not make it fail
spuriously), and large inputs are checked with random projections instead of the full
Jacobian.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualgrad import testing
from dualgrad._tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

_ERR_NONE_REQUIRE = ("gradcheck expects at least one input tensor to require gradient, but none "
                     "of the them have requires_grad=True.")


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` / :func:`gradgradcheck` when a derivative is wrong."""


def _prepare(func: Callable, inputs: Any) -> tuple[Callable, list, list[int]]:
    """The inputs as a list, the positions not to differentiate, and ``func`` adapted so that
    every input that was a Tensor reaches it as a Tensor."""
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs) \
        if isinstance(inputs, (tuple, list)) else [inputs]
    diff = [i for i, x in enumerate(items) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError(_ERR_NONE_REQUIRE)
    for i in diff:
        if items[i].dtype.kind == "c":
            raise NotImplementedError("gradcheck of complex inputs is not supported")
    was_tensor = [isinstance(x, Tensor) for x in items]

    def adapted(*args: Any) -> Any:
        return func(*[Tensor._make(np.asarray(a)) if was_tensor[i] and not isinstance(a, Tensor)
                      else a for i, a in enumerate(args)])

    adapted.__name__ = getattr(func, "__name__", "func")
    nondiff = [i for i in range(len(items)) if i not in diff]
    return adapted, items, nondiff


def _outcome(check: Callable[[], None], raise_exception: bool) -> bool:
    try:
        check()
    except AssertionError as err:
        if raise_exception:
            raise GradcheckError(f"Jacobian mismatch: {err}") from None
        return False
    return True


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Parameters
    ----------
    func:
        Takes the inputs (positionally) and returns a Tensor or a tuple of Tensors.
    inputs:
        A Tensor or a tuple of them (other values are passed through); the Tensors with
        ``requires_grad=True`` are differentiated.
    eps:
        Finite-difference step.
    atol, rtol:
        An entry passes when ``|analytical - numerical| <= atol + rtol * |numerical|``.
    raise_exception:
        Raise :class:`GradcheckError` on a mismatch (default) instead of returning False.

    Returns
    -------
    bool
        True when every derivative matches.

    Raises
    ------
    GradcheckError
        A ``RuntimeError`` naming the input, the element and both values, on a mismatch.
    ValueError
        When no input requires grad (PyTorch's text).

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    >>> dg.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    True
    """
    adapted, items, nondiff = _prepare(func, inputs)
    return _outcome(lambda: testing.check_vjp(adapted, items, nondiff=nondiff, eps=eps,
                                              atol=atol, rtol=rtol), raise_exception)


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: :func:`gradcheck` of ``(inputs, v) -> J(inputs)^T v``.

    The vector-Jacobian product is computed with ``create_graph=True``, so this checks that
    the backward pass of ``func`` is itself differentiable and correct, with respect to the
    inputs and to the cotangent ``v``.

    Parameters
    ----------
    func, inputs, eps, atol, rtol, raise_exception:
        As in :func:`gradcheck`.
    grad_outputs:
        The cotangents ``v``, one per output (a Tensor or a tuple); random normal (seeded)
        when None.

    Returns
    -------
    bool
        True when every second derivative matches.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    >>> dg.autograd.gradgradcheck(lambda t: t.tanh() * t, (x,))
    True
    """
    adapted, items, nondiff = _prepare(func, inputs)
    if grad_outputs is None:
        return _outcome(lambda: testing.check_second_order(
            adapted, items, nondiff=nondiff, eps=eps, atol=atol, rtol=rtol), raise_exception)
    from dualgrad import autograd

    vs = [grad_outputs] if not isinstance(grad_outputs, (tuple, list)) else list(grad_outputs)
    vs = [np.array(v._data if isinstance(v, Tensor) else v, dtype=np.float64) for v in vs]
    n = len(items)
    diff = [i for i in range(n) if i not in nondiff]

    def first_vjp(*args: Any) -> list:
        xs, cts = args[:n], args[n:]
        result = adapted(*xs)
        outs = [result] if isinstance(result, Tensor) else list(result)
        if len(outs) != len(cts):
            raise ValueError(f"gradgradcheck: got {len(cts)} grad_outputs for {len(outs)} "
                             "outputs")
        used = [(o, v) for o, v in zip(outs, cts) if o.requires_grad]
        if not used:
            return [Tensor._make(np.zeros_like(xs[i]._data)) for i in diff]
        return list(autograd.grad([o for o, _ in used], [xs[i] for i in diff],
                                  grad_outputs=[v for _, v in used], create_graph=True,
                                  materialize_grads=True))

    first_vjp.__name__ = adapted.__name__
    return _outcome(lambda: testing.check_vjp(first_vjp, [*items, *vs], nondiff=nondiff,
                                              eps=eps, atol=atol, rtol=rtol, _order=2),
                    raise_exception)
