"""The engine: recording (``Node``), grad mode, and the one backward pass.

This is the only module that walks a graph. Both front ends call :func:`backward`:

* ``Tensor.backward`` (PyTorch style) accumulates into the ``.grad`` of leaves;
* ``GradientTape.gradient``, ``autograd.grad`` and the functional transforms *collect* fresh
  gradients for given sources and never touch ``.grad``.

The graph::

    x (leaf, requires_grad) ----\\
                                 MulBackward0 --> AddBackward0 --> y
    w (leaf, requires_grad) ----/                 /
    b (leaf, requires_grad) --------------------/

Each ``Node`` holds its op, the values its VJP rules read, and one edge per input: the
producing ``Node``, the leaf ``Tensor`` itself (where PyTorch shows ``AccumulateGrad``), or
``None`` for inputs that carry no gradient.
"""

from __future__ import annotations

import contextvars
import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dualgrad._registry import NONDIFF, Op

if TYPE_CHECKING:
    from dualgrad._tensor import Tensor

__all__ = [
    "Node",
    "AccumulateGrad",
    "backward",
    "sum_to",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "ERR_BACKWARD_TWICE",
]

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

_INPLACE_HINT = (
    "Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with torch.autograd.set_detect_anomaly(True)."
)

# The recording context: (grad mode enabled, active recorders). Context variables are per
# thread (as PyTorch's grad mode) and inherited by asyncio tasks.
_STATE: contextvars.ContextVar[tuple[bool, tuple]] = contextvars.ContextVar(
    "dualgrad_recording_state", default=(True, ())
)

# Set by ``_tensor`` at import: the Tensor class (the engine wraps arrays when it must hand
# Tensors to rules and hooks).
Tensor: type = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# Nodes


class Node:
    """A recorded operation: what ``tensor.grad_fn`` returns.

    Attributes
    ----------
    op:
        The registry :class:`~dualgrad._registry.Op`.
    edges:
        One entry per positional input: the producing ``Node``, the leaf ``Tensor``, or None.
    saved:
        The inputs the rules read (Tensors or Python values), freed after backward.
    """

    __slots__ = (
        "op",
        "params",
        "edges",
        "saved",
        "versions",
        "ans",
        "ans_version",
        "shapes",
        "dtypes",
        "freed",
        "pre_hooks",
        "retained",
        "trace",
        "__weakref__",
    )

    def __init__(self, op: Op, params: dict, edges: tuple, saved: tuple | None,
                 shapes: tuple, dtypes: tuple) -> None:
        self.op = op
        self.params = params
        self.edges = edges
        self.saved = saved
        self.versions = None
        self.ans = None
        self.ans_version = None
        self.shapes = shapes
        self.dtypes = dtypes
        self.freed = False
        self.pre_hooks = None
        self.retained = None
        self.trace = None

    def name(self) -> str:
        """PyTorch's name of this node, e.g. ``"MulBackward0"``."""
        return self.op.grad_fn_name

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The nodes of the inputs, as PyTorch shows them: ``((AccumulateGrad, 0), (None, 0))``."""
        return tuple(
            (AccumulateGrad(e) if e is not None and e.__class__ is not Node else e, 0)
            for e in self.edges
        )

    @property
    def metadata(self) -> dict:
        """Free-form per-node dictionary, as in PyTorch."""
        return {}

    def register_hook(self, fn: Callable) -> Any:
        """Not supported on nodes; use ``Tensor.register_hook`` on the output tensor."""
        raise NotImplementedError("use Tensor.register_hook on the tensor this node produced")

    def __repr__(self) -> str:
        return f"<{self.op.grad_fn_name} object at {id(self):#x}>"


class AccumulateGrad:
    """The node PyTorch shows for a leaf that requires grad; ``variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        """Always ``"AccumulateGrad"``."""
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        """A leaf has no inputs."""
        return ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self.variable):#x}>"


# --------------------------------------------------------------------------------------------
# Grad mode


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

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> _GradModeContext:
        """A fresh context manager of the same kind."""
        return self.__class__()


class no_grad(_GradModeContext):
    """Context manager and decorator that turns recording off.

    Inside, operations create no graph: results have ``requires_grad=False`` and cost one
    NumPy call and one Tensor.

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


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    _enabled = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (dualgrad has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._enabled = not mode


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: at once when called, or for a ``with`` block.

    ``dg.set_grad_enabled(False)`` switches recording off for the current thread until it is
    switched on again; ``with dg.set_grad_enabled(False): ...`` restores the previous mode at
    the end of the block.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)
        self._previous = _STATE.get()
        _STATE.set((self._enabled, self._previous[1]))

    def __enter__(self) -> None:
        self._tokens.append(_STATE.set((self._enabled, _STATE.get()[1])))

    def __exit__(self, *exc: object) -> None:
        _STATE.reset(self._tokens.pop())
        _STATE.set((self._previous[0], _STATE.get()[1]))

    def __call__(self, fn: Callable) -> Callable:
        enabled = self._enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with enable_grad() if enabled else no_grad():
                return fn(*args, **kwargs)

        return wrapper

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
# Recording


def record(op: Op, args: tuple, params: dict, out: Tensor) -> None:
    """Attach a ``Node`` to ``out`` if any input needs a gradient.

    The single decision point for both front ends: a node is made when grad mode is on and an
    input requires grad (PyTorch style) or an active tape watches or produced an input (tape
    style). Otherwise nothing is allocated.
    """
    enabled, recorders = _STATE.get()
    if not enabled:
        return
    edges = []
    any_edge = False
    for a in args:
        if isinstance(a, Tensor):
            n = a._node
            if n is not None:
                edges.append(n)
                any_edge = True
            elif a._requires_grad:
                edges.append(a)
                any_edge = True
            else:
                edges.append(None)
        else:
            edges.append(None)
    claiming = None
    if recorders:
        claiming = [r for r in recorders if r._claims(args)]
        if claiming:
            for i, a in enumerate(args):
                if edges[i] is None and isinstance(a, Tensor) and any(
                    r._is_watched(a) for r in claiming
                ):
                    edges[i] = a
                    any_edge = True
    if not any_edge or not op.differentiable_output:
        return
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    shapes = tuple(a._data.shape if isinstance(a, Tensor) else None for a in args)
    dtypes = tuple(a._data.dtype if isinstance(a, Tensor) else None for a in args)
    node = Node(op, params, tuple(edges), args if op.save_inputs else None, shapes, dtypes)
    if op.save_inputs and tensor_args:
        node.versions = tuple((a._vc, a._vc[0]) for a in tensor_args)
    if op.save_ans:
        node.ans = out._data
        node.ans_version = (out._vc, out._vc[0])
    out._node = node
    if claiming:
        for r in claiming:
            r._nodes.add(node)
    if _ANOMALY.get():
        import traceback

        node.trace = traceback.format_stack()[:-3]


_ANOMALY: contextvars.ContextVar[bool] = contextvars.ContextVar("dualgrad_anomaly", default=False)


# --------------------------------------------------------------------------------------------
# Backward


def _shape_text(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def sum_to(grad: Any, shape: tuple, dtype: np.dtype, node: Node, index: int) -> Any:
    """Reduce a rule's result to its input's shape and dtype: the one place this is done.

    Broadcasting is undone by summing over the broadcast axes; a gradient that cannot be
    reduced to ``shape`` is a bug in a rule and raises PyTorch's ``validate_outputs`` text.
    """
    gshape = grad.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead < 0 or any(
            s != 1 and s != gs for s, gs in zip(shape, gshape[lead:], strict=True)
        ):
            raise RuntimeError(
                f"Function {node.op.grad_fn_name} returned an invalid gradient at index "
                f"{index} - got {_shape_text(gshape)} but expected shape compatible with "
                f"{_shape_text(shape)}"
            )
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1
        )
        if axes:
            grad = np.sum(grad, axis=axes, keepdims=True)
        if lead:
            grad = np.reshape(grad, shape)
    if grad.dtype != dtype:
        if dtype.kind not in "fc":
            return None
        if grad.dtype.kind == "c" and dtype.kind != "c":
            grad = np.real(grad)
        grad = grad.astype(dtype)
    return grad


def _version_error(node: Node, vc_and_version: tuple, value: Any) -> RuntimeError:
    vc, expected = vc_and_version
    arr = value._data if isinstance(value, Tensor) else value
    kind = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor"}.get(
        str(arr.dtype), f"{arr.dtype}Tensor"
    )
    producer = ""
    if isinstance(value, Tensor) and value._node is not None:
        producer = f", which is output 0 of {value._node.op.grad_fn_name},"
    elif not isinstance(value, Tensor):
        producer = f", which is output 0 of {node.op.grad_fn_name},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{kind} {_shape_text(arr.shape)}]{producer} is at version "
        f"{vc[0]}; expected version {expected} instead. {_INPLACE_HINT}"
    )


def _check_versions(node: Node) -> None:
    if node.versions is not None:
        tensors = [a for a in node.saved if isinstance(a, Tensor)]
        for t, vv in zip(tensors, node.versions):
            if vv[0][0] != vv[1]:
                raise _version_error(node, vv, t)
    if node.ans_version is not None and node.ans_version[0][0] != node.ans_version[1]:
        raise _version_error(node, node.ans_version, node.ans)


def _wrap(value: Any, node: Node | None = None) -> Any:
    """An array as a Tensor (for rules under create_graph and for hooks)."""
    if isinstance(value, Tensor):
        return value
    t = Tensor.__new__(Tensor)
    t._init(np.asarray(value), node)
    return t


def _run_rules(node: Node, g: Any, needed: Sequence[bool], create_graph: bool) -> list:
    op = node.op
    if node.freed:
        raise RuntimeError(ERR_BACKWARD_TWICE)
    _check_versions(node)
    saved = node.saved
    nargs = len(node.edges)
    if create_graph:
        args = saved if saved is not None else (None,) * nargs
        ans = _wrap(node.ans, node) if node.ans is not None else None
        g = _wrap(g)
    else:
        if saved is None:
            args = (None,) * nargs
        else:
            args = tuple(a._data if isinstance(a, Tensor) else a for a in saved)
        ans = node.ans
    params = node.params
    results = []
    for i, edge in enumerate(node.edges):
        if edge is None or not needed[i]:
            results.append(None)
            continue
        rule = op.vjp[0] if op.variadic else op.vjp[i]
        if rule is NONDIFF:
            raise RuntimeError(
                f"the derivative for input {i} of '{op.name}' is not implemented: "
                "that input (an index or a mask) cannot carry a gradient"
            )
        gi = rule(i, g, ans, *args, **params) if op.variadic else rule(g, ans, *args, **params)
        if gi is not None:
            if not hasattr(gi, "shape"):
                gi = np.asarray(gi)
            gi = sum_to(gi, node.shapes[i], node.dtypes[i], node, i)
            if not create_graph and gi is not None and type(gi) is not np.ndarray:
                gi = np.asarray(gi)
        results.append(gi)
    if _ANOMALY.get():
        _check_nan(node, results)
    return results


def _check_nan(node: Node, results: list) -> None:
    for i, r in enumerate(results):
        if r is None:
            continue
        arr = r._data if isinstance(r, Tensor) else r
        if np.isnan(arr).any():
            where = "".join(node.trace[-2:]) if node.trace else ""
            raise RuntimeError(
                f"Function '{node.op.grad_fn_name}' returned nan values in its {i}th output."
                + (f"\nThe forward call that created this node was:\n{where}" if where else "")
            )


def _add(a: Any, b: Any) -> Any:
    return a + b


def _free(node: Node) -> None:
    if node.saved is not None or node.ans is not None:
        node.saved = None
        node.ans = None
        node.versions = None
        node.ans_version = None
        node.freed = True


def _needed_nodes(root_nodes: Iterable[Node], is_target: Callable[[Any], bool],
                  restrict: set | None) -> set:
    """The nodes from which a target (a leaf or node being collected) can be reached."""
    needed: set = set()
    visited: set = set()
    for root in root_nodes:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.edges))]
        while stack:
            node, it = stack[-1]
            advanced = False
            for e in it:
                if e is None:
                    continue
                if e.__class__ is Node:
                    if restrict is not None and e not in restrict:
                        continue
                    if is_target(e):
                        needed.add(node)
                    if e not in visited:
                        visited.add(e)
                        stack.append((e, iter(e.edges)))
                        advanced = True
                        break
                    if e in needed:
                        needed.add(node)
                elif is_target(e):
                    needed.add(node)
            if advanced:
                continue
            stack.pop()
            if (node in needed or is_target(node)) and stack:
                needed.add(stack[-1][0])
    return needed


def backward(
    roots: Sequence[Tensor],
    seeds: Sequence[Any],
    *,
    sources: Sequence[Tensor] | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    restrict_to: set | None = None,
    accumulate: bool = True,
) -> list | None:
    """Run the backward pass from ``roots`` seeded with ``seeds``.

    Parameters
    ----------
    roots, seeds:
        Output tensors and their cotangents (arrays; Tensors when ``create_graph``).
    sources:
        With ``accumulate=False``: the tensors whose gradients are returned (Collect sink);
        with ``accumulate=True``: restrict accumulation into ``.grad`` to these (PyTorch's
        ``inputs=``); None means every leaf that requires grad.
    retain_graph:
        Keep saved values so the graph can be walked again.
    create_graph:
        Run the rules on Tensors with grad mode on, so gradients are differentiable.
    restrict_to:
        Only walk these nodes (a tape's records).
    accumulate:
        True: add into ``.grad`` of leaves (and retained non-leaves); False: return the
        gradients of ``sources`` in a list (None where unconnected).
    """
    leaf_index: dict[int, int] = {}
    node_index: dict[Node, int] = {}
    if sources is not None:
        for i, s in enumerate(sources):
            if s._node is not None:
                node_index.setdefault(s._node, i)
            else:
                leaf_index.setdefault(id(s), i)
    collected: list = [None] * len(sources) if sources is not None else []

    def is_target(e: Any) -> bool:
        if e.__class__ is Node:
            return e in node_index
        return id(e) in leaf_index

    leaf_grads: dict[int, list] = {}
    grads: dict[Node, Any] = {}
    root_nodes: list[Node] = []
    for root, seed in zip(roots, seeds, strict=True):
        node = root._node
        if node is None:
            if root._requires_grad or id(root) in leaf_index:
                _sink_leaf(leaf_grads, root, seed)
            continue
        if restrict_to is not None and node not in restrict_to:
            continue
        grads[node] = _add(grads[node], seed) if node in grads else seed
        if node not in root_nodes:
            root_nodes.append(node)

    prune = sources is not None
    needed_set = _needed_nodes(root_nodes, is_target, restrict_to) if prune else None

    # Dependency counts, found with an explicit stack (never recursion).
    deps: dict[Node, int] = dict.fromkeys(root_nodes, 0)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for e in node.edges:
            if e.__class__ is Node and (restrict_to is None or e in restrict_to):
                if e in deps:
                    deps[e] += 1
                else:
                    deps[e] = 1
                    stack.append(e)

    enabled, recorders = _STATE.get()
    token = _STATE.set((create_graph, recorders if create_graph else ()))
    try:
        ready = [n for n in root_nodes if deps[n] == 0]
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            if g is not None:
                g = _node_arrival(node, g, node_index, collected, accumulate, sources)
            edges = node.edges
            if g is not None and (needed_set is None or node in needed_set):
                needed = [
                    e is not None
                    and (
                        (e.__class__ is Node and (restrict_to is None or e in restrict_to)
                         and (needed_set is None or e in needed_set or e in node_index))
                        or (e.__class__ is not Node and (
                            id(e) in leaf_index if prune else e._requires_grad))
                    )
                    for e in edges
                ]
                results = _run_rules(node, g, needed, create_graph) if any(needed) else None
            else:
                results = None
            for i, e in enumerate(edges):
                if e is None:
                    continue
                gi = results[i] if results is not None else None
                if e.__class__ is Node:
                    if restrict_to is not None and e not in restrict_to:
                        continue
                    if gi is not None:
                        grads[e] = _add(grads[e], gi) if e in grads else gi
                    deps[e] -= 1
                    if deps[e] == 0:
                        ready.append(e)
                elif gi is not None:
                    _sink_leaf(leaf_grads, e, gi)
            if not retain_graph:
                _free(node)
        for t, g in leaf_grads.values():
            if t._hooks:
                g = _run_tensor_hooks(t._hooks, g)
            if accumulate:
                if sources is None or id(t) in leaf_index:
                    _accumulate(t, g, create_graph)
            elif id(t) in leaf_index:
                collected[leaf_index[id(t)]] = g
    finally:
        _STATE.reset(token)
    if accumulate:
        return None
    # A source listed twice gets its gradient in both places.
    if sources is not None:
        for i, s in enumerate(sources):
            if collected[i] is None:
                j = node_index.get(s._node) if s._node is not None else leaf_index.get(id(s))
                if j is not None and j != i:
                    collected[i] = collected[j]
    return collected


def _sink_leaf(leaf_grads: dict, leaf: Tensor, g: Any) -> None:
    key = id(leaf)
    if key in leaf_grads:
        entry = leaf_grads[key]
        entry[1] = _add(entry[1], g)
    else:
        leaf_grads[key] = [leaf, g]


def _run_tensor_hooks(hooks: Iterable[Callable], g: Any) -> Any:
    for hook in list(hooks):
        wrapped = _wrap(g)
        replaced = hook(wrapped)
        if replaced is not None:
            g = replaced._data if not isinstance(g, Tensor) else replaced
    return g


def _node_arrival(node: Node, g: Any, node_index: dict, collected: list, accumulate: bool,
                  sources: Sequence | None) -> Any:
    """The summed gradient of a node's output arrives: hooks, retain_grad, collection."""
    if node.pre_hooks:
        g = _run_tensor_hooks(node.pre_hooks.values(), g)
    if node.retained is not None and accumulate and sources is None:
        t = node.retained()
        if t is not None:
            _accumulate(t, g, False)
    if node in node_index:
        if accumulate:
            t = sources[node_index[node]]
            _accumulate(t, g, False)
        else:
            collected[node_index[node]] = g
    return g


def _accumulate(t: Tensor, g: Any, create_graph: bool) -> None:
    """``t.grad += g`` as PyTorch's AccumulateGrad does it."""
    data = t._data
    if isinstance(g, Tensor):
        if g._data.shape != data.shape:
            g = g.expand(data.shape) if hasattr(g, "expand") else g
        if t._grad is None:
            t._grad = g if g._node is not None else _wrap(np.array(g._data, dtype=data.dtype))
        else:
            t._grad = t._grad + g
        return
    if t._grad is None:
        t._grad = _wrap(np.array(np.broadcast_to(g, data.shape), dtype=data.dtype))
    elif t._grad._node is None:
        buf = t._grad._data
        np.add(buf, g, out=buf, casting="unsafe")
        t._grad._vc[0] += 1
    else:
        t._grad = _wrap(t._grad._data + g)


def retain(t: Tensor) -> None:
    """Make backward fill ``t.grad`` for the non-leaf ``t``."""
    t._node.retained = weakref.ref(t)


def set_anomaly(enabled: bool) -> contextvars.Token:
    """Switch anomaly detection (forward traces and NaN checks in backward)."""
    return _ANOMALY.set(enabled)


def anomaly_enabled() -> bool:
    """True inside ``detect_anomaly``."""
    return _ANOMALY.get()


def reset_anomaly(token: contextvars.Token) -> None:
    """Undo :func:`set_anomaly`."""
    _ANOMALY.reset(token)
