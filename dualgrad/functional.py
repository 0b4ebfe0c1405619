"""Function transforms in the style of JAX and HIPS autograd: ``grad``, ``value_and_grad``,
``vjp``, ``jvp``, ``jacobian``, ``hessian`` and ``elementwise_grad``.

A transform takes a Python function and returns a new function. Each call wraps the
differentiated arguments as fresh leaves, runs the function with recording on, and asks the
one backward engine (``dualgrad._engine.backward``) for the gradients of those leaves, with
the Collect sink: ``.grad`` is never touched and nothing accumulates between calls.

Kinds in, kinds out
-------------------
A transform accepts Python numbers, NumPy arrays (and lists) and Tensors, and returns the kind
it was given: floats give floats, arrays give arrays, Tensors give Tensors. Python floats are
differentiated in float64 (not the float32 of ``dg.tensor(2.0)``), so results are exact to
double precision; arrays and Tensors keep their dtype. Integer inputs are refused, as in JAX.

Nesting
-------
When a transform runs inside another one (``grad(grad(f))``, ``hessian``, a function closing
over a value of an outer transform), or when its inputs already require grad, or while a
``GradientTape`` records, the backward pass is itself recorded (``create_graph=True``) and the
result is returned as a Tensor connected to the outer graph, so derivatives of any order work.
Each call differentiates with respect to its *own* copy of the inputs (a ``CloneBackward0``
node), so an inner transform never confuses its variable with an outer one ("perturbation
confusion"): ``grad(lambda x: x * grad(lambda y: x * y)(x))(2.0)`` is ``2 * x``, i.e. ``4.0``.

Only the outermost call returns plain values; the graph it built is released as soon as it
returns (there is no ``parameter -> .grad -> graph -> parameter`` cycle).
"""

from __future__ import annotations

import contextvars
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualgrad import _engine, _grad_mode
from dualgrad._grad_mode import enable_grad
from dualgrad._tensor import Tensor

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "elementwise_grad"]

# How many transforms are running a user function right now. Inside one, every transform
# records its backward pass so the outer one can differentiate the result.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("dualgrad_transform_depth",
                                                             default=0)

_ERR_INT = ("grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of "
            "np.inexact), but got {dtype}. If you want to use Boolean- or integer-valued "
            "inputs, use vjp or set allow_int to True.")
_ERR_NONSCALAR = ("Gradient only defined for scalar-output functions. Output had shape: {shape}."
                  " For a function with a non-scalar output use dg.vjp (one vector-Jacobian "
                  "product) or dg.jacobian (all of them); dg.elementwise_grad differentiates a "
                  "function applied elementwise.")
_ERR_COMPLEX_OUT = ("grad requires real-valued outputs (output dtype that is a sub-dtype of "
                    "np.floating), but got {dtype}. For differentiation of functions with "
                    "complex outputs, use dg.vjp directly.")

# The kind of a value given to a transform, which decides the kind given back.
_FLOAT, _ARRAY, _SCALAR, _TENSOR = "float", "array", "numpy scalar", "tensor"


# --------------------------------------------------------------------------------------------
# Helpers shared by the transforms


def _kind(value: Any) -> str:
    if isinstance(value, Tensor):
        return _TENSOR
    if isinstance(value, np.generic):
        return _SCALAR
    if isinstance(value, (bool, int, float, complex)):
        return _FLOAT
    return _ARRAY


def _dtype_name(dtype: np.dtype) -> str:
    return np.dtype(dtype).name


def _nested(values: Sequence[Any] = ()) -> bool:
    """Whether this call must record its backward pass (see the module docstring)."""
    if not _grad_mode.is_grad_enabled():
        return False
    if _DEPTH.get() > 0 or _grad_mode.active_recorders():
        return True
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _leaf(value: Any, allow_int: bool = False) -> Tensor | None:
    """A fresh Tensor to differentiate with respect to, or None for an allowed integer."""
    if isinstance(value, Tensor):
        dtype = value._data.dtype
    elif isinstance(value, bool):
        dtype = np.dtype(bool)
    elif isinstance(value, int):
        dtype = np.dtype(np.int64)
    elif isinstance(value, (float, complex)) and not isinstance(value, np.generic):
        dtype = np.dtype(np.complex128 if isinstance(value, complex) else np.float64)
    else:
        value = np.asarray(value)
        dtype = value.dtype
    if dtype.kind not in "fc":
        if allow_int:
            return None
        raise TypeError(_ERR_INT.format(dtype=_dtype_name(dtype)))
    if isinstance(value, Tensor):
        if value.requires_grad or any(r._claims((value,)) for r in _grad_mode.active_recorders()):
            # A value of an outer graph (or tape): differentiate with respect to a copy of it,
            # so this call does not count paths that reach the value without passing through
            # the copy, while the outer graph still sees the copy as a function of the value.
            with enable_grad():
                return value.clone()
        leaf = Tensor._make(value._data)
    else:
        leaf = Tensor._make(np.asarray(value, dtype=dtype))
    leaf._requires_grad = True
    return leaf


def _convert(value: Any, kind: str, keep_graph: bool) -> Any:
    """Give ``value`` (array or Tensor) back as ``kind``; a value with a graph stays a Tensor."""
    if isinstance(value, Tensor):
        if keep_graph and value.requires_grad:
            return value
        if kind == _TENSOR:
            return value.detach() if value.requires_grad else value
        value = value._data
    if kind == _TENSOR:
        return Tensor._make(np.asarray(value))
    arr = np.asarray(value)
    if kind == _ARRAY:
        return arr
    if arr.ndim == 0:
        return arr[()] if kind == _SCALAR else arr.item()
    return arr


def _zeros_like(leaf: Tensor) -> np.ndarray:
    return np.zeros_like(leaf._data)


def _per_argument(grads: Sequence[Any], kinds: Sequence[str], leaves: Sequence[Any],
                  keep_graph: bool) -> list:
    """One gradient per argument from the gradients of the non-None ``leaves``: None for an
    argument not differentiated, zeros for one the output does not depend on."""
    it = iter(grads)
    results = []
    for kind, leaf in zip(kinds, leaves):
        if leaf is None:
            results.append(None)
            continue
        g = next(it)
        results.append(_convert(_zeros_like(leaf) if g is None else g, kind, keep_graph))
    return results


def _normalise_argnums(argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError("argnums must name at least one positional argument")
    out = []
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"argnums={argnums!r} is out of range for a function called with "
                             f"{nargs} positional argument{'s' if nargs != 1 else ''}")
        out.append(int(a) % nargs)
    return tuple(out)


def _run(f: Callable, args: Sequence[Any], kwargs: dict) -> Any:
    """Call ``f`` with recording on (even under an outer ``no_grad``, as JAX's transforms)."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        with enable_grad():
            return f(*args, **kwargs)
    finally:
        _DEPTH.reset(token)


def _split_aux(result: Any, has_aux: bool, name: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name}(..., has_aux=True) requires the function to return a pair "
                        f"(output, aux), got {type(result).__name__}")
    return result[0], result[1]


def _backward(roots: Sequence[Tensor], seeds: Sequence[Any], sources: Sequence[Tensor],
              create_graph: bool) -> list:
    """Gradients of ``roots`` (seeded) for ``sources``; None where unconnected.

    ``retain_graph`` is always on: the walk may pass through nodes of an outer graph (values
    closed over by ``f``) that the outer computation still needs. The graph built by ``f``
    itself is released by reference counting once the transform returns.
    """
    live = [(r, s) for r, s in zip(roots, seeds) if isinstance(r, Tensor) and r.requires_grad]
    if not live or not sources:
        return [None] * len(sources)
    return _engine.backward([r for r, _ in live], [s for _, s in live], sources=list(sources),
                            retain_graph=True, create_graph=create_graph, accumulate=False)


def _as_output_tensor(out: Any) -> Tensor:
    return out if isinstance(out, Tensor) else Tensor._make(np.asarray(out))


# --------------------------------------------------------------------------------------------
# grad, value_and_grad, elementwise_grad


def _value_and_grad_call(f: Callable, argnums: int | Sequence[int], has_aux: bool,
                         allow_int: bool, scalar: bool, name: str, args: tuple,
                         kwargs: dict) -> tuple[Any, Any, Any]:
    nums = _normalise_argnums(argnums, len(args))
    nested = _nested([args[i] for i in nums])
    kinds = [_kind(args[i]) for i in nums]
    leaves = [_leaf(args[i], allow_int) for i in nums]
    call_args = list(args)
    for i, leaf in zip(nums, leaves):
        if leaf is not None:
            call_args[i] = leaf
    out, aux = _split_aux(_run(f, call_args, kwargs), has_aux, name)
    out_t = _as_output_tensor(out)
    data = out_t._data
    if scalar:
        if data.size != 1:
            raise TypeError(_ERR_NONSCALAR.format(shape=tuple(data.shape)))
        if data.dtype.kind not in "f":
            raise TypeError(_ERR_COMPLEX_OUT.format(dtype=_dtype_name(data.dtype)))
    elif data.dtype.kind not in "fc":
        raise TypeError(_ERR_COMPLEX_OUT.format(dtype=_dtype_name(data.dtype)))
    sources = [leaf for leaf in leaves if leaf is not None]
    grads = _backward([out_t], [np.ones(data.shape, dtype=data.dtype)], sources, nested)
    if sources and all(g is None for g in grads):
        warnings.warn("Output seems independent of input.", UserWarning, stacklevel=3)
    results = _per_argument(grads, kinds, leaves, nested)
    grad_value = results[0] if isinstance(argnums, (int, np.integer)) else tuple(results)
    value = _convert(out_t, kinds[0], nested)
    return value, grad_value, aux


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, *,
         allow_int: bool = False) -> Callable:
    """The gradient of a scalar-valued function, as a new function.

    Parameters
    ----------
    f:
        A Python function returning one number (a Tensor of one element, or a float).
    argnums:
        Which positional argument to differentiate with respect to, or a tuple of them (then
        the gradient function returns a tuple).
    has_aux:
        ``f`` returns a pair ``(output, aux)``; the gradient function then returns
        ``(gradient, aux)``, with ``aux`` passed through untouched.
    allow_int:
        Accept integer arguments (their gradient is None) instead of raising.

    Returns
    -------
    Callable
        Called with the arguments of ``f``, returns the gradient of ``f`` with respect to the
        chosen arguments, each of the kind it was given: a float for a float, an array for an
        array, a Tensor for a Tensor (see the module docstring for nested calls). Python floats
        are differentiated in float64. An argument ``f`` does not depend on gets zeros (and a
        ``UserWarning``: "Output seems independent of input.").

    Raises
    ------
    TypeError
        JAX's messages: for a non-scalar output ("Gradient only defined for scalar-output
        functions. Output had shape: (3,).", with a pointer to :func:`vjp`, :func:`jacobian`
        and :func:`elementwise_grad`), for integer arguments, and for complex outputs.

    Examples
    --------
    >>> import dualgrad as dg
    >>> df = dg.grad(lambda x: x ** 3)
    >>> df(2.0)
    12.0
    >>> dg.grad(dg.grad(lambda x: x ** 3))(2.0)
    12.0
    >>> dg.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(dg.tensor([1.0, 2.0]),
    ...                                                      dg.tensor([3.0, 4.0]))
    (tensor([3., 4.]), tensor([1., 2.]))
    """

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        _, g, aux = _value_and_grad_call(f, argnums, has_aux, allow_int, True, "grad", args,
                                         kwargs)
        return (g, aux) if has_aux else g

    _name(grad_f, "grad", f)
    return grad_f


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, *,
                   allow_int: bool = False) -> Callable:
    """Like :func:`grad`, but the new function returns ``(value, gradient)``.

    With ``has_aux=True`` it returns ``((value, aux), gradient)``, as in JAX. The value has
    the kind of the first differentiated argument (a float for a float).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.value_and_grad(lambda x: x ** 2)(3.0)
    (9.0, 6.0)
    """

    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        value, g, aux = _value_and_grad_call(f, argnums, has_aux, allow_int, True,
                                             "value_and_grad", args, kwargs)
        return ((value, aux), g) if has_aux else (value, g)

    _name(value_and_grad_f, "value_and_grad", f)
    return value_and_grad_f


def elementwise_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
                     ) -> Callable:
    """The derivative of a function applied elementwise, at every element at once.

    Computes the vector-Jacobian product with a vector of ones, i.e. the gradient of
    ``f(x).sum()``. That is the elementwise derivative exactly when output ``i`` depends only
    on input ``i`` (``sin``, ``tanh``, a polynomial); for other functions it is the column sums
    of the Jacobian.

    Examples
    --------
    >>> import numpy as np
    >>> import dualgrad as dg
    >>> dg.elementwise_grad(dg.tanh)(np.array([0.0, 1.0]))
    array([1.        , 0.41997434])
    """

    def elementwise_grad_f(*args: Any, **kwargs: Any) -> Any:
        _, g, aux = _value_and_grad_call(f, argnums, has_aux, False, False, "elementwise_grad",
                                         args, kwargs)
        return (g, aux) if has_aux else g

    _name(elementwise_grad_f, "elementwise_grad", f)
    return elementwise_grad_f


def _name(wrapper: Callable, transform: str, f: Callable) -> None:
    inner = getattr(f, "__name__", "f")
    wrapper.__name__ = f"{transform}_{inner}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"The {transform} of {inner} (made by dualgrad.{transform})."


# --------------------------------------------------------------------------------------------
# vjp and jvp


def _outputs(out: Any) -> tuple[list[Tensor], bool]:
    """A function's result as a list of Tensors, and whether it was a tuple/list."""
    if isinstance(out, (tuple, list)):
        return [_as_output_tensor(o) for o in out], True
    return [_as_output_tensor(out)], False


def _cotangent(ct: Any, out: Tensor, create_graph: bool, what: str) -> Any:
    data = out._data
    if isinstance(ct, Tensor):
        seed = ct if create_graph else ct._data
    else:
        seed = np.asarray(ct, dtype=data.dtype)
    if tuple(seed.shape) != data.shape:
        raise ValueError(f"Shape of {what} {tuple(seed.shape)} must be the same as the shape "
                         f"of the corresponding output {data.shape}.")
    if not isinstance(seed, Tensor) and seed.dtype != data.dtype:
        seed = seed.astype(data.dtype)
    return seed


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Evaluate ``f`` and return its vector-Jacobian product function.

    Parameters
    ----------
    f:
        A Python function of the primals, returning a Tensor (or a tuple of them).
    *primals:
        The point to differentiate at. Integer primals are treated as constants (their
        cotangent is None).
    has_aux:
        ``f`` returns ``(output, aux)``; ``aux`` is returned third.

    Returns
    -------
    tuple
        ``(out, vjp_fn)`` (or ``(out, vjp_fn, aux)``). ``vjp_fn(v)`` takes a cotangent of the
        output's shape (a tuple of them for a tuple output) and returns a tuple with one
        cotangent per primal, ``v^T J``, each of the primal's kind. It may be called any
        number of times.

    Examples
    --------
    >>> import numpy as np
    >>> import dualgrad as dg
    >>> out, vjp_fn = dg.vjp(lambda x: x ** 2, np.array([1.0, 2.0, 3.0]))
    >>> out
    array([1., 4., 9.])
    >>> vjp_fn(np.array([1.0, 0.0, 10.0]))
    (array([ 2.,  0., 60.]),)
    """
    nested = _nested(primals)
    kinds = [_kind(p) for p in primals]
    leaves = [_leaf(p, allow_int=True) for p in primals]
    call_args = [p if leaf is None else leaf for p, leaf in zip(primals, leaves)]
    result, aux = _split_aux(_run(f, call_args, {}), has_aux, "vjp")
    outs, is_tuple = _outputs(result)
    sources = [leaf for leaf in leaves if leaf is not None]
    out_kind = kinds[0] if kinds else _ARRAY

    def vjp_fn(cotangent: Any) -> tuple:
        cts = list(cotangent) if is_tuple else [cotangent]
        if len(cts) != len(outs):
            raise ValueError(f"vjp_fn expects {len(outs)} cotangents (one per output), got "
                             f"{len(cts)}")
        create = nested or _nested(cts)
        seeds = [_cotangent(ct, o, create, "cotangent input to vjp pullback function")
                 for ct, o in zip(cts, outs)]
        return tuple(_per_argument(_backward(outs, seeds, sources, create), kinds, leaves,
                                   create))

    values = [_convert(o, out_kind, nested) for o in outs]
    out_value = type(result)(values) if is_tuple else values[0]
    return (out_value, vjp_fn, aux) if has_aux else (out_value, vjp_fn)


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Evaluate ``f`` and its Jacobian-vector product ``J t`` (forward mode).

    dualgrad's registry holds only VJP rules, so the JVP is computed with the double-VJP
    trick: ``g(u) = J^T u`` is linear in ``u`` and recorded with ``create_graph``, and
    ``J t`` is the gradient of ``<g(u), t>`` with respect to ``u``. It costs two backward
    passes, and every op's VJP must be differentiable (the generic op test checks that).

    Parameters
    ----------
    f:
        A Python function of ``len(primals)`` arguments returning a Tensor (or a tuple).
    primals, tangents:
        Sequences of the same length; each tangent has its primal's shape.

    Returns
    -------
    tuple
        ``(out, tangent_out)``, with ``tangent_out`` shaped like the output.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.jvp(lambda x: x ** 3, (2.0,), (1.0,))
    (8.0, 12.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jvp must be tuples or lists; found "
                        f"{type(primals).__name__} and {type(tangents).__name__}.")
    if len(primals) != len(tangents):
        raise TypeError("jvp called with different primal and tangent structures: "
                        f"{len(primals)} primals and {len(tangents)} tangents.")
    nested = _nested([*primals, *tangents])
    kinds = [_kind(p) for p in primals]
    leaves = [_leaf(p, allow_int=True) for p in primals]
    for i, (t, leaf) in enumerate(zip(tangents, leaves)):
        if leaf is not None and tuple(np.shape(_raw(t))) != leaf._data.shape:
            raise ValueError("primal and tangent arguments to jvp must have equal types and "
                             f"shapes; argument {i} has primal shape {leaf._data.shape} and "
                             f"tangent shape {tuple(np.shape(_raw(t)))}.")
    call_args = [p if leaf is None else leaf for p, leaf in zip(primals, leaves)]
    result = _run(f, call_args, {})
    outs, is_tuple = _outputs(result)
    # The dummy cotangents u: leaves of the first (recorded) backward pass.
    us = []
    for o in outs:
        u = Tensor._make(np.zeros_like(o._data))
        u._requires_grad = True
        us.append(u)
    sources = [leaf for leaf in leaves if leaf is not None]
    vjps = _backward(outs, us, sources, True)
    inner = None
    with enable_grad():
        tangent_leaves = [t for t, leaf in zip(tangents, leaves) if leaf is not None]
        for g, t in zip(vjps, tangent_leaves):
            if g is None:
                continue
            term = (g * (t if isinstance(t, Tensor) else np.asarray(t, dtype=g.dtype))).sum()
            inner = term if inner is None else inner + term
    if inner is None:
        jvps = [None] * len(outs)
    else:
        jvps = _backward([inner], [np.ones((), dtype=inner._data.dtype)], us, nested)
    out_kind = kinds[0] if kinds else _ARRAY
    out_values = [_convert(o, out_kind, nested) for o in outs]
    tangent_values = [_convert(np.zeros_like(o._data) if j is None else j, out_kind, nested)
                      for o, j in zip(outs, jvps)]
    if is_tuple:
        return type(result)(out_values), type(result)(tangent_values)
    return out_values[0], tangent_values[0]


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


# --------------------------------------------------------------------------------------------
# jacobian and hessian


def _stack_rows(rows: list, shape: tuple, dtype: np.dtype, keep_graph: bool) -> Any:
    if keep_graph and any(isinstance(r, Tensor) and r.requires_grad for r in rows):
        from dualgrad._functions import stack

        tensors = [r if isinstance(r, Tensor) else Tensor._make(np.asarray(r)) for r in rows]
        return stack(tensors).reshape(shape)
    return np.stack([np.asarray(_raw(r)) for r in rows]).reshape(shape).astype(dtype,
                                                                              copy=False)


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Jacobian of ``f``, as a new function (reverse mode, one VJP per output element).

    Parameters
    ----------
    f:
        A Python function returning a Tensor (or a tuple of them).
    argnums:
        The argument (or tuple of arguments) to differentiate with respect to.
    has_aux:
        ``f`` returns ``(output, aux)``; the new function returns ``(jacobian, aux)``.

    Returns
    -------
    Callable
        Returns an array of shape ``out.shape + arg.shape`` (JAX's ``jacrev`` layout); a tuple
        over the arguments when ``argnums`` is a tuple, and a tuple over the outputs when ``f``
        returns a tuple (outputs outer, arguments inner).

    Examples
    --------
    >>> import numpy as np
    >>> import dualgrad as dg
    >>> dg.jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        nums = _normalise_argnums(argnums, len(args))
        nested = _nested([args[i] for i in nums])
        kinds = [_kind(args[i]) for i in nums]
        leaves = [_leaf(args[i]) for i in nums]
        call_args = list(args)
        for i, leaf in zip(nums, leaves):
            call_args[i] = leaf
        result, aux = _split_aux(_run(f, call_args, kwargs), has_aux, "jacobian")
        outs, is_tuple = _outputs(result)
        per_output = []
        for out in outs:
            data = out._data
            rows: list[list] = [[] for _ in leaves]
            for k in range(data.size):
                seed = np.zeros(data.size, dtype=data.dtype)
                seed[k] = 1
                grads = _backward([out], [seed.reshape(data.shape)], leaves, nested)
                for j, (leaf, g) in enumerate(zip(leaves, grads)):
                    rows[j].append(_zeros_like(leaf) if g is None else g)
            jacs = []
            for leaf, kind, leaf_rows in zip(leaves, kinds, rows):
                shape = data.shape + leaf._data.shape
                dtype = np.result_type(data.dtype, leaf._data.dtype)
                if not leaf_rows:
                    jac = np.zeros(shape, dtype=dtype)
                else:
                    jac = _stack_rows(leaf_rows, shape, dtype, nested)
                jacs.append(_convert(jac, kind, nested))
            per_output.append(jacs[0] if isinstance(argnums, (int, np.integer)) else tuple(jacs))
        value = type(result)(per_output) if is_tuple else per_output[0]
        return (value, aux) if has_aux else value

    _name(jacobian_f, "jacobian", f)
    return jacobian_f


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of a scalar-valued ``f``, as a new function: ``jacobian(jacobian(f))``.

    Returns an array of shape ``arg.shape + arg.shape``; with a tuple ``argnums``, nested
    tuples ``H[i][j]`` of blocks ``arg_i.shape + arg_j.shape`` (JAX's layout).

    Examples
    --------
    >>> import numpy as np
    >>> import dualgrad as dg
    >>> dg.hessian(lambda x: (x[0] ** 2) * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    h = jacobian(jacobian(f, argnums), argnums)
    _name(h, "hessian", f)
    return h
