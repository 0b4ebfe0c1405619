"""Custom differentiable operations written by users: ``dg.autograd.Function`` (PyTorch style)
and ``dg.custom_gradient`` (TensorFlow style).

There are three ways to give dualgrad a new differentiable operation:

1. **Compose** existing ops in a Python function. Nothing to declare; the gradient follows.
2. **Declare an op** with :func:`dualgrad.defop`, the same registry call the built-in ops use:
   a forward NumPy function plus one VJP rule per input. Rules written with ``np.*`` calls are
   differentiable again (``hessian``, ``create_graph``) and NumPy's own functions can dispatch
   to the op (``numpy=(np.foo,)``). This is the way for a reusable op::

       softplus = dg.defop("softplus", lambda x: np.logaddexp(0, x),
                           vjp=(lambda g, ans, x: g / (1 + np.exp(-x)),))
       y = softplus(x)          # grad_fn=<SoftplusBackward0>

3. **Subclass** :class:`Function` (``forward(ctx, ...)`` / ``backward(ctx, ...)`` with a
   context object) or decorate with :func:`custom_gradient` (the function returns its value
   and its gradient function). This is the way to port PyTorch or TensorFlow code, or to
   compute a backward pass that needs state from the forward one.

A ``Function`` becomes one node per output in the graph, shown as ``<NameBackward>``. The
engine calls ``backward`` once per backward pass for each output that receives a gradient,
with that output's summed gradient and zeros for the others (so a Function with several
outputs must have a backward that is linear in the gradients, as every true VJP is). As for
a built-in op, backward without ``retain_graph=True`` releases the saved tensors, and a
second backward through the Function raises PyTorch's "backward through the graph a second
time" error. A Function that changes an input in place declares it with ``ctx.mark_dirty``
and returns it, as in PyTorch.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from dualgrad import _engine, _grad_mode
from dualgrad._grad_mode import enable_grad, no_grad
from dualgrad._registry import Op
from dualgrad._tensor import Tensor

__all__ = ["Function", "FunctionCtx", "custom_gradient", "once_differentiable"]

_ERR_LEGACY = ("Legacy autograd function with non-static forward method is deprecated. Please "
               "use new-style autograd function with static forward method. (Example: "
               "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")


class FunctionCtx:
    """The ``ctx`` handed to :meth:`Function.forward` and :meth:`Function.backward`.

    Store tensors needed by backward with :meth:`save_for_backward`; any other value can be
    set as an attribute (``ctx.scale = 2.0``).

    Attributes
    ----------
    needs_input_grad:
        One bool per positional input of ``forward``: whether a gradient for it is wanted.
        ``backward`` may skip the work (and return None) for the others.
    """

    def __init__(self) -> None:
        self.needs_input_grad: tuple[bool, ...] = ()
        self._saved: tuple | None = ()
        # Once the outputs are recorded, the saved tensors live on their first node (so that
        # backward frees them): a weak reference, since the node holds this context.
        self._holder: weakref.ref | None = None
        self._versions: tuple = ()
        self._non_differentiable: set[int] = set()
        self._dirty: set[int] = set()
        self._materialize = True
        self._fn: type[Function] | None = None
        self._out_meta: list[tuple[tuple, np.dtype]] = []
        self._n_inputs = 0
        self._tensor_inputs: tuple[bool, ...] = ()
        self._cache: tuple[Any, int, tuple] | None = None
        self._last_input = -1

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` for ``backward`` (read them back with :attr:`saved_tensors`).

        Saving through the context rather than as an attribute lets dualgrad check that
        they were not modified in place before backward reads them, and keeps a saved output
        connected to the graph for higher-order gradients.

        Examples
        --------
        >>> import dualgrad as dg
        >>> class Exp(dg.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (y,) = ctx.saved_tensors
        ...         return g * y
        >>> x = dg.tensor([0.0, 1.0], requires_grad=True)
        >>> Exp.apply(x).sum().backward()
        >>> x.grad
        tensor([1.0000, 2.7183])
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{i} is of type {type(t).__name__}")
        self._saved = tuple(tensors)
        self._versions = tuple(None if t is None else (t._vc, t._vc[0]) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to :meth:`save_for_backward`.

        Raises
        ------
        RuntimeError
            PyTorch's text if one of them was modified in place since it was saved.
        """
        saved = self._saved_now()
        for t, vv in zip(saved, self._versions):
            if vv is not None and vv[0][0] != vv[1]:
                raise _engine._version_error(t._node, vv, t)
        return saved

    def _saved_now(self) -> tuple:
        if self._saved is not None:
            return self._saved
        node = self._holder()
        if node is None or node.saved is None:
            raise RuntimeError(_engine.ERR_BACKWARD_TWICE)
        return node.saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs of ``forward`` (indices, masks) that never carry a gradient.

        They come out with ``requires_grad=False``, and ``backward`` receives zeros for them.
        """
        self._non_differentiable.update(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that ``forward`` modified in place; ``forward`` must return them.

        As in PyTorch, the returned tensor is the input itself: its version moves on (so a
        node that saved its old value raises at backward) and its ``grad_fn`` becomes this
        Function's node. A leaf that requires grad refuses, with PyTorch's error.

        Examples
        --------
        >>> import dualgrad as dg
        >>> class AddOne_(dg.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         x.data.add_(1)  # in place, outside the graph
        ...         ctx.mark_dirty(x)
        ...         return x
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         return g
        >>> a = dg.tensor([1.0, 2.0], requires_grad=True)
        >>> b = a * 1
        >>> AddOne_.apply(b) is b, b
        (True, tensor([2., 3.], grad_fn=<AddOne_Backward>))
        """
        self._dirty.update(id(t) for t in tensors)

    # --- called by the engine through the op's rule ----------------------------------------

    def _grads(self, index: int, g: Any) -> tuple:
        """The input gradients for gradient ``g`` of output ``index`` (one backward call)."""
        cache = self._cache
        if cache is not None and cache[0] is g and cache[1] == index:
            return cache[2]
        fn = self._fn
        create_graph = isinstance(g, Tensor)
        grad_outputs = []
        for j, (shape, dtype) in enumerate(self._out_meta):
            if j == index:
                grad_outputs.append(g if create_graph else Tensor._make(np.asarray(g)))
            elif self._materialize:
                grad_outputs.append(Tensor._make(np.zeros(shape, dtype=dtype)))
            else:
                grad_outputs.append(None)
        result = _user_backward(fn)(self, *grad_outputs)
        grads = _normalise_backward_result(fn, result, self._n_inputs, self._tensor_inputs)
        if not create_graph:
            grads = tuple(None if r is None else (r._data if isinstance(r, Tensor) else
                                                  np.asarray(r)) for r in grads)
        self._cache = (g, index, grads)
        return grads


def _user_backward(fn: type) -> Callable:
    """The Function's ``backward``, or its ``vjp`` (PyTorch's alias) if that is what it
    defines."""
    backward, vjp = fn.backward, fn.vjp
    if vjp is Function.vjp:
        return backward
    if backward is not Function.backward:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                           "not allowed. You should only implement one of them.")
    return vjp


def _normalise_backward_result(fn: type, result: Any, n_inputs: int,
                               tensor_inputs: tuple[bool, ...]) -> tuple:
    name = fn._op.grad_fn_name
    grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(grads) > n_inputs and all(r is None for r in grads[n_inputs:]):
        grads = grads[:n_inputs]
    if len(grads) != n_inputs:
        raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {n_inputs}, got {len(grads)})")
    for i, (r, is_tensor) in enumerate(zip(grads, tensor_inputs)):
        if r is not None and not is_tensor:
            raise RuntimeError(f"function {name} returned a gradient different than None at "
                               f"position {i + 1}, but the corresponding forward input was "
                               "not a Variable")
    return grads


def _function_vjp(i: int, g: Any, ans: Any, *inputs: Any, ctx: FunctionCtx, index: int) -> Any:
    # The engine asks for one input at a time; backward ran once for all of them (cached).
    grads = ctx._grads(index, g)
    if i >= ctx._last_input:
        ctx._cache = None
    return grads[i]


def _no_forward(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a custom Function's op is applied with Function.apply, not called")


class Function:
    """Base class for custom differentiable operations with a hand-written backward.

    Subclass it with two static methods, then call ``YourFunction.apply(*inputs)``:

    * ``forward(ctx, *inputs)`` computes the outputs (a Tensor or a tuple of them). It runs
      with recording off: what it does is not part of the graph.
    * ``backward(ctx, *grad_outputs)`` receives one gradient per output and returns one
      gradient per input of ``forward`` (None for inputs that need none, and for
      non-Tensor inputs). With ``create_graph=True`` it runs on recorded Tensors, so write it
      with differentiable operations to get higher-order gradients.

    In the graph the operation is one node, named after the class::

        x (leaf) ---> MyExpBackward ---> y

    Examples
    --------
    >>> import dualgrad as dg
    >>> class MulConstant(dg.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x, k):
    ...         ctx.k = k
    ...         return x * k
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g * ctx.k, None
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> y = MulConstant.apply(x, 3.0)
    >>> y
    tensor([3., 6.], grad_fn=<MulConstantBackward>)
    >>> y.sum().backward()
    >>> x.grad
    tensor([3., 3.])
    """

    _op: Op
    # custom_gradient runs its function with recording on (see there).
    _record_forward = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._op = Op(name=cls.__name__, forward=_no_forward, vjp=(_function_vjp,),
                     grad_fn_name=f"{cls.__name__}Backward", save_inputs=False,
                     variadic=True, doc=(cls.__doc__ or "").strip())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_ERR_LEGACY)

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs; override in the subclass."""
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """Return one gradient per input of ``forward``; override in the subclass."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @staticmethod
    def vjp(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """PyTorch's other name for :meth:`backward`: a subclass may define either one."""
        return Function.backward(ctx, *grad_outputs)

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> Any:
        """PyTorch 2's split form: when a subclass defines ``setup_context``, its
        ``forward`` takes no ``ctx`` (``forward(*inputs)``), and
        ``setup_context(ctx, inputs, output)`` saves what backward needs."""
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and record one node for the result (when a gradient is needed).

        Positional Tensor arguments are differentiable; keyword arguments are passed to
        ``forward`` as constants.
        """
        if cls is Function:
            raise RuntimeError("apply is called on a subclass of Function, not on Function")
        recorders = _grad_mode.active_recorders()
        ctx = FunctionCtx()
        ctx._fn = cls
        ctx._n_inputs = len(args)
        ctx._tensor_inputs = tuple(isinstance(a, Tensor) for a in args)
        grad_on = _grad_mode.is_grad_enabled()
        # As in PyTorch, whether each input requires grad, whatever the grad mode.
        ctx.needs_input_grad = tuple(
            isinstance(a, Tensor)
            and (a.requires_grad or (grad_on and any(r._claims((a,)) for r in recorders)))
            for a in args)
        ctx._last_input = max((i for i, need in enumerate(ctx.needs_input_grad) if need),
                              default=-1)
        with enable_grad() if cls._record_forward and grad_on else no_grad():
            if cls.setup_context is Function.setup_context:
                raw = cls.forward(ctx, *args, **kwargs)
            else:
                raw = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, raw)
        is_tuple = isinstance(raw, tuple)
        outputs = raw if is_tuple else (raw,)
        ctx._out_meta = [(np.shape(o._data), o._data.dtype) if isinstance(o, Tensor)
                         else ((), np.dtype(np.float64)) for o in outputs]
        results = []
        saved = list(ctx._saved)
        nodes = []
        for k, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            dirty = id(o) in ctx._dirty
            if dirty:
                # The input itself, changed in place: it takes this Function's node.
                res = _check_dirty(ctx, o, args, grad_on)
            else:
                res = Tensor._make(o._data)
                res._vc = o._vc
            if id(o) not in ctx._non_differentiable and o._data.dtype.kind in "fc":
                _engine.record(cls._op, args, {"ctx": ctx, "index": k}, res)
                if res._node is not None:
                    nodes.append(res._node)
                # A saved output is the recorded result, so higher-order gradients see it.
                saved = [res if s is o else s for s in saved]
            if dirty and getattr(res, "_views", None):
                from dualgrad._inplace import refresh_views  # (imported by _tensor first)

                refresh_views(res)
            results.append(res)
        if ctx._dirty - {id(o) for o in outputs}:
            raise RuntimeError("Some elements marked as dirty during the forward method were "
                               "not returned as output. The inputs that are modified inplace "
                               "must all be outputs of the Function.")
        if nodes:
            # The nodes keep the saved tensors, as a built-in op's node keeps its inputs: a
            # backward without retain_graph frees them (and a second one raises PyTorch's
            # error). The context reads them from its first node.
            for node in nodes:
                node.saved = tuple(saved)
                node.versions = ()
            ctx._saved = None
            ctx._holder = weakref.ref(nodes[0])
        elif saved:
            ctx._saved = tuple(saved)
        return tuple(results) if is_tuple else results[0]


def _check_dirty(ctx: FunctionCtx, tensor: Tensor, args: tuple, grad_on: bool) -> Tensor:
    """A ``mark_dirty`` output: refuse what PyTorch refuses, then move its version on (and
    the version its ``save_for_backward`` entry expects, if it was saved: as an output)."""
    if not any(tensor is a for a in args):
        raise RuntimeError("mark_dirty only accepts input tensors, but argument 0 isn't one")
    if grad_on and tensor._node is None and tensor._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    if grad_on and getattr(tensor, "_base", None) is not None and tensor._node is not None:
        raise RuntimeError("an in-place custom Function (ctx.mark_dirty) on a view is not "
                           "supported by dualgrad: apply it to the base tensor, or to a copy")
    vc = tensor._vc
    vc[0] += 1
    ctx._versions = tuple((vc, vc[0]) if t is tensor else v
                          for t, v in zip(ctx._saved or (), ctx._versions))
    return tensor


def once_differentiable(backward: Callable) -> Callable:
    """Decorator for a ``Function.backward`` that is not itself differentiable.

    The wrapped backward runs with recording off; asking for a gradient of its result
    (``create_graph=True`` and differentiating again) raises an error instead of silently
    giving zero.
    """

    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        deps = [t for t in (*grad_outputs, *ctx._saved_now())
                if isinstance(t, Tensor) and t.requires_grad]
        with no_grad():
            result = backward(ctx, *grad_outputs)
        if not deps or not _grad_mode.is_grad_enabled():
            return result
        grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        # Connect each result to what it was computed from, through a node that refuses to
        # be differentiated (PyTorch's DelayedError).
        return tuple(None if r is None else _OnceDifferentiable.apply(r, *deps) for r in grads)

    return wrapper


class _OnceDifferentiable(Function):
    """Marks the result of a once-differentiable backward: differentiating it raises."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, *deps: Tensor) -> Tensor:
        return x

    @staticmethod
    def backward(ctx: FunctionCtx, g: Tensor) -> Any:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def _camel(name: str) -> str:
    parts = [p for p in "".join(c if c.isalnum() else "_" for c in name).split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "Custom"


def custom_gradient(f: Callable[..., tuple[Any, Callable]]) -> Callable[..., Any]:
    """Decorator (TensorFlow style): ``f`` returns its value and the function computing its
    gradient.

    ``f(*inputs)`` must return ``(y, grad_fn)``; ``grad_fn(*upstream)`` receives the gradient
    of each output of ``f`` and returns the gradient of each input (a single value when ``f``
    has one input). Use it for numerically stable gradients, gradient clipping, or
    straight-through estimators.

    ``f`` runs with recording on, so values it computes and ``grad_fn`` uses (like ``e``
    below) stay differentiable: a ``grad_fn`` written with dualgrad operations gives correct
    second derivatives. In the graph the call is one node named after ``f``
    (``Log1pexpBackward``). TensorFlow's ``variables=`` argument is not supported.

    Examples
    --------
    >>> import dualgrad as dg
    >>> @dg.custom_gradient
    ... def log1pexp(x):
    ...     e = dg.exp(x)
    ...     def grad_fn(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return dg.log(1 + e), grad_fn
    >>> x = dg.tensor(100.0, dtype=dg.float64, requires_grad=True)
    >>> log1pexp(x).backward()
    >>> x.grad
    tensor(1., dtype=torch.float64)
    """
    name = getattr(f, "__name__", "custom")

    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        y, grad_fn = f(*args, **kwargs)
        if not callable(grad_fn):
            raise TypeError(f"custom_gradient: {name} must return (value, grad_fn), got a "
                            f"{type(grad_fn).__name__} as grad_fn")
        ctx.grad_fn = grad_fn
        return y

    def backward(ctx: FunctionCtx, *upstream: Any) -> Any:
        return ctx.grad_fn(*upstream)

    fn_cls = type(_camel(name), (Function,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "_record_forward": True, "__doc__": f"custom_gradient of {name}",
    })

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn_cls.apply(*args, **kwargs)

    return wrapper
