"""Gradient checking: vector-Jacobian products against central finite differences.

Every differentiable op in dualgrad is checked with these functions (``tests/``), and
``dg.autograd.gradcheck`` builds on them. The method follows HIPS autograd's ``check_vjp`` and
chainer's ``check_backward``:

* all arithmetic is done in float64, with central differences ``(f(x + h) - f(x - h)) / 2h``;
* when the inputs and outputs are small (at most ``full_max`` elements each), the **full
  numeric Jacobian** is built column by column and compared, entry by entry, with the VJP
  applied to every basis covector (one backward pass per output element);
* for larger ones, a **random projection**: ``<v, J u>`` from finite differences against
  ``<J^T v, u>`` from one VJP, for random directions ``u`` (one per input) and ``v``;
* the **second order** applies the same check to ``(x, v) -> J(x)^T v`` computed with
  ``create_graph=True``. This tests that the VJP rules are themselves differentiable (and
  correctly so).

A failure raises ``AssertionError`` naming the function, the input index, the element and the
largest error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["check_vjp", "check_second_order", "check_grads", "numerical_jacobian"]

Function = Callable[..., Any]


def _tensor_cls() -> type:
    from dualgrad._tensor import Tensor

    return Tensor


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, _tensor_cls()) else value


def _is_float_array(value: Any) -> bool:
    arr = _raw(value)
    return isinstance(arr, np.ndarray | np.generic) and np.asarray(arr).dtype.kind == "f"


def _diff_indices(inputs: Sequence[Any], nondiff: Sequence[int]) -> list[int]:
    skip = {i % len(inputs) for i in nondiff} if inputs else set()
    return [i for i, x in enumerate(inputs) if i not in skip and _is_float_array(x)]


def _leaves(arrays: Sequence[Any], diff: Sequence[int]) -> list[Any]:
    """Fresh leaf Tensors (float64, requiring grad) for the differentiable inputs."""
    Tensor = _tensor_cls()
    out = list(arrays)
    for i in diff:
        t = Tensor._make(np.array(arrays[i], dtype=np.float64))
        t.requires_grad_(True)
        out[i] = t
    return out


def _as_outputs(result: Any, name: str) -> list[Any]:
    """``fn``'s result as a list of Tensors (a single Tensor or a sequence of them)."""
    Tensor = _tensor_cls()
    outs = [result] if isinstance(result, Tensor) else list(result)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}: output {k} is a {type(o).__name__}, expected a Tensor")
    return outs


def _evaluate(fn: Function, arrays: Sequence[Any], diff: Sequence[int], name: str) -> list:
    """The outputs of ``fn`` at ``arrays`` as float64 NumPy arrays."""
    outs = _as_outputs(fn(*_leaves(arrays, diff)), name)
    return [np.array(o._data, dtype=np.float64) for o in outs]


def numerical_jacobian(fn: Function, inputs: Sequence[Any], *, nondiff: Sequence[int] = (),
                       eps: float = 1e-6) -> list[list[np.ndarray]]:
    """The Jacobian of ``fn`` by central finite differences, in float64.

    Parameters
    ----------
    fn:
        Takes one Tensor per input (in order) and returns a Tensor or a sequence of Tensors.
    inputs:
        Arrays (or Tensors, or other values passed through unchanged). Floating inputs not
        listed in ``nondiff`` are differentiated.
    nondiff:
        Positions of floating inputs to hold fixed (e.g. a target).
    eps:
        The step ``h`` of ``(f(x + h) - f(x - h)) / 2h``.

    Returns
    -------
    list of list of numpy.ndarray
        ``jac[k][j]`` is the Jacobian of output ``k`` with respect to the ``j``-th
        differentiated input, shaped ``(output.size, input.size)``.

    Examples
    --------
    >>> import numpy as np
    >>> from dualgrad.testing import numerical_jacobian
    >>> jac = numerical_jacobian(lambda x: x * x, [np.array([1.0, 2.0])])
    >>> np.round(jac[0][0], 6)
    array([[2., 0.],
           [0., 4.]])
    """
    arrays = [_raw(x) for x in inputs]
    diff = _diff_indices(arrays, nondiff)
    base = [np.array(arrays[i], dtype=np.float64) for i in diff]
    name = getattr(fn, "__name__", "fn")
    sizes = [o.size for o in _evaluate(fn, arrays, diff, name)]
    jac = [[np.zeros((s, b.size)) for b in base] for s in sizes]
    for j, i in enumerate(diff):
        for e in range(base[j].size):
            cols = []
            for sign in (1.0, -1.0):
                moved = list(arrays)
                x = base[j].copy()
                x.reshape(-1)[e] += sign * eps
                moved[i] = x
                cols.append(_evaluate(fn, moved, diff, name))
            for k in range(len(sizes)):
                jac[k][j][:, e] = ((cols[0][k] - cols[1][k]) / (2 * eps)).reshape(-1)
    return jac


def _vjp(outs: list, leaves: list, diff: Sequence[int], cotangents: Sequence[np.ndarray],
         name: str) -> list[np.ndarray]:
    """``J^T v`` for the given output cotangents, one array per differentiated input."""
    from dualgrad import autograd

    Tensor = _tensor_cls()
    used = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
    sources = [leaves[i] for i in diff]
    if not used:
        return [np.zeros(s._data.shape) for s in sources]
    grads = autograd.grad([o for o, _ in used], sources,
                          grad_outputs=[Tensor._make(np.asarray(v, dtype=o._data.dtype))
                                        for o, v in used],
                          retain_graph=True, allow_unused=True)
    result = []
    for j, (s, g) in enumerate(zip(sources, grads)):
        if g is None:
            result.append(np.zeros(s._data.shape))
            continue
        if g.shape != s.shape or g.dtype != s.dtype:
            raise AssertionError(
                f"{name}: the gradient of input {diff[j]} has shape {tuple(g.shape)} and dtype "
                f"{g.dtype}, expected shape {tuple(s.shape)} and dtype {s.dtype}")
        result.append(np.asarray(g._data, dtype=np.float64))
    return result


def _start(fn: Function, inputs: Sequence[Any], nondiff: Sequence[int],
           rng: np.random.Generator | None, name: str | None) -> tuple:
    """What every check begins with: its name and generator, the inputs as arrays, which of
    them are differentiated, their leaves, and the outputs of ``fn`` at them."""
    name = name or getattr(fn, "__name__", "fn")
    rng = rng if rng is not None else np.random.default_rng(0)
    arrays = [_raw(x) for x in inputs]
    diff = _diff_indices(arrays, nondiff)
    if not diff:
        raise ValueError(f"{name}: no floating input to differentiate")
    leaves = _leaves(arrays, diff)
    return name, rng, arrays, diff, leaves, _as_outputs(fn(*leaves), name)


def _fail(name: str, order: int, what: str) -> AssertionError:
    kind = "first-order" if order == 1 else "second-order"
    return AssertionError(f"{name}: {kind} gradient check failed: {what}")


def check_vjp(fn: Function, inputs: Sequence[Any], *, nondiff: Sequence[int] = (),
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4, full_max: int = 30,
              projections: int = 2, rng: np.random.Generator | None = None,
              name: str | None = None, _order: int = 1) -> None:
    """Check the VJPs recorded by ``fn`` against central finite differences.

    Parameters
    ----------
    fn:
        Takes one Tensor per input (floating inputs arrive as float64 leaves that require
        grad; other inputs unchanged) and returns a Tensor or a sequence of Tensors.
    inputs:
        The point at which to check: arrays, Tensors, or other values.
    nondiff:
        Positions of floating inputs that are not differentiated (targets, masks given as
        floats). Integer and boolean inputs are never differentiated.
    eps:
        Finite-difference step.
    atol, rtol:
        An entry passes when ``|vjp - numeric| <= atol + rtol * |numeric|``.
    full_max:
        Build the full Jacobian when the differentiated inputs and the outputs each have at
        most this many elements; otherwise use random projections.
    projections:
        Number of random ``(u, v)`` pairs in the projection check.
    rng:
        Source of the random directions (default: a fixed seed, so runs repeat).
    name:
        Used in the error message (default: ``fn.__name__``).

    Raises
    ------
    AssertionError
        If a VJP differs from the finite differences, or a gradient has the wrong shape or
        dtype; the message names the input, the element and the error.

    Examples
    --------
    >>> import numpy as np
    >>> from dualgrad.testing import check_vjp
    >>> check_vjp(lambda x, y: (x * y).sin(), [np.array([0.5, 1.0]), np.array(2.0)])
    >>> check_vjp(lambda x: x.detach() * x, [np.array([1.0, 2.0])], name="detached")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    AssertionError: detached: first-order gradient check failed: input 0, element (0,), ...
    """
    name, rng, arrays, diff, leaves, outs = _start(fn, inputs, nondiff, rng, name)
    out_sizes = [o._data.size for o in outs]
    in_sizes = [leaves[i]._data.size for i in diff]
    if sum(out_sizes) == 0 or sum(in_sizes) == 0:
        return
    for k, o in enumerate(outs):
        if not np.all(np.isfinite(o._data)):
            raise ValueError(f"{name}: output {k} is not finite at the given inputs; choose a "
                             "point inside the function's domain")
    if max(sum(in_sizes), sum(out_sizes)) <= full_max:
        _check_full(fn, arrays, diff, leaves, outs, eps, atol, rtol, name, _order)
    else:
        for _ in range(projections):
            _check_projection(fn, arrays, diff, leaves, outs, eps, atol, rtol, rng, name,
                              _order)


def _check_full(fn: Function, arrays: list, diff: list[int], leaves: list, outs: list,
                eps: float, atol: float, rtol: float, name: str, order: int) -> None:
    numeric = numerical_jacobian(fn, arrays, nondiff=[i for i in range(len(arrays))
                                                      if i not in diff], eps=eps)
    for k, out in enumerate(outs):
        oshape = out._data.shape
        for e in range(out._data.size):
            v = [np.zeros(o._data.shape) for o in outs]
            v[k].reshape(-1)[e] = 1.0
            rows = _vjp(outs, leaves, diff, v, name)
            for j, i in enumerate(diff):
                got = rows[j].reshape(-1)
                want = numeric[k][j][e]
                err = np.abs(got - want)
                bad = ~(err <= atol + rtol * np.abs(want))  # a NaN anywhere fails
                if np.any(bad):
                    worst = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0)))
                    in_el = np.unravel_index(worst, leaves[i]._data.shape)
                    out_el = np.unravel_index(e, oshape)
                    raise _fail(name, order, (
                        f"input {i}, element {tuple(int(a) for a in in_el)}, output {k} "
                        f"element {tuple(int(a) for a in out_el)}: vjp {got[worst]:.6g}, "
                        f"finite differences {want[worst]:.6g} (max abs error "
                        f"{err.max():.3g}, atol={atol}, rtol={rtol})"))


def _check_projection(fn: Function, arrays: list, diff: list[int], leaves: list, outs: list,
                      eps: float, atol: float, rtol: float, rng: np.random.Generator,
                      name: str, order: int) -> None:
    v = [rng.standard_normal(o._data.shape) for o in outs]
    vjps = _vjp(outs, leaves, diff, v, name)
    for j, i in enumerate(diff):
        base = np.array(arrays[i], dtype=np.float64)
        u = rng.standard_normal(base.shape)
        evals = []
        for sign in (1.0, -1.0):
            moved = list(arrays)
            moved[i] = base + sign * eps * u
            evals.append(_evaluate(fn, moved, diff, name))
        terms = [vk * (p - m) / (2 * eps) for vk, p, m in zip(v, evals[0], evals[1])]
        want = float(sum(np.sum(t) for t in terms))
        scale = float(sum(np.sum(np.abs(t)) for t in terms))
        got = float(np.sum(vjps[j] * u))
        err = abs(got - want)
        if not err <= atol * np.sqrt(base.size) + rtol * max(scale, abs(want)):
            raise _fail(name, order, (
                f"input {i} (random projection <v, J u> over {base.size} elements): vjp "
                f"{got:.6g}, finite differences {want:.6g} (abs error {err:.3g}, atol={atol}, "
                f"rtol={rtol})"))


def check_second_order(fn: Function, inputs: Sequence[Any], *, nondiff: Sequence[int] = (),
                       eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4,
                       full_max: int = 30, projections: int = 2,
                       rng: np.random.Generator | None = None, name: str | None = None) -> None:
    """Check second derivatives: :func:`check_vjp` applied to ``(x, v) -> J(x)^T v``.

    The VJP is computed with ``dualgrad.autograd.grad(..., create_graph=True)``, so this
    checks that every rule on the path is recorded when it runs on Tensors, and that its
    derivative is right, with respect to the inputs and to the cotangent ``v``.

    Parameters
    ----------
    fn, inputs, nondiff, eps, atol, rtol, full_max, projections, rng, name:
        As in :func:`check_vjp`. The cotangent ``v`` is drawn from ``rng``.

    Raises
    ------
    AssertionError
        If a second derivative differs from the finite differences of the first.

    Examples
    --------
    >>> import numpy as np
    >>> from dualgrad.testing import check_second_order
    >>> check_second_order(lambda x: x.tanh() * x, [np.array([0.3, -1.2])])
    """
    from dualgrad import autograd

    name, rng, arrays, diff, _, outs = _start(fn, inputs, nondiff, rng, name)
    cotangents = [rng.standard_normal(o._data.shape) for o in outs]
    n = len(arrays)

    def first_vjp(*args: Any) -> list:
        xs, vs = args[:n], args[n:]
        results = _as_outputs(fn(*xs), name)
        used = [(o, v) for o, v in zip(results, vs) if o.requires_grad]
        sources = [xs[i] for i in diff]
        if not used:
            Tensor = _tensor_cls()
            return [Tensor._make(np.zeros_like(s._data)) for s in sources]
        return list(autograd.grad([o for o, _ in used], sources,
                                  grad_outputs=[v for _, v in used], create_graph=True,
                                  materialize_grads=True))

    check_vjp(first_vjp, [*arrays, *cotangents],
              nondiff=[i for i in range(n) if i not in diff], eps=eps, atol=atol, rtol=rtol,
              full_max=full_max, projections=projections, rng=rng, name=name, _order=2)


def check_grads(fn: Function, inputs: Sequence[Any], *, order: int = 2,
                nondiff: Sequence[int] = (), eps: float = 1e-6, atol: float = 1e-5,
                rtol: float = 1e-4, rng: np.random.Generator | None = None,
                name: str | None = None) -> None:
    """Run :func:`check_vjp` and, with ``order=2``, :func:`check_second_order`.

    Parameters
    ----------
    fn, inputs, nondiff, eps, atol, rtol, rng, name:
        As in :func:`check_vjp`.
    order:
        1 (first derivatives only) or 2 (also second derivatives).

    Raises
    ------
    AssertionError
        From the first check that fails.
    ValueError
        If ``order`` is not 1 or 2, or no input is floating.

    Examples
    --------
    >>> import numpy as np
    >>> from dualgrad.testing import check_grads
    >>> check_grads(lambda x: (x * x).sum(), [np.array([1.0, -2.0, 3.0])])
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order}")
    kw = dict(nondiff=nondiff, eps=eps, atol=atol, rtol=rtol, rng=rng, name=name)
    check_vjp(fn, inputs, **kw)
    if order == 2:
        check_second_order(fn, inputs, **kw)
