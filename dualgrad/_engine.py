"""The engine: recording (``record``) and the one backward pass.

This is the only module that walks a graph. Both front ends call :func:`backward`:

* ``Tensor.backward`` (PyTorch style) accumulates into the ``.grad`` of leaves;
* ``GradientTape.gradient``, ``autograd.grad`` and the functional transforms *collect* fresh
  gradients for given sources and never touch ``.grad``.

The graph::

    x (leaf, requires_grad) ----\\
                                 MulBackward0 --> AddBackward0 --> y
    w (leaf, requires_grad) ----/                 /
    b (leaf, requires_grad) --------------------/

Each :class:`~dualgrad._node.Node` holds its op, the values its VJP rules read, and one edge per
input: the producing ``Node``, the leaf ``Tensor`` itself (where PyTorch shows
``AccumulateGrad``), or ``None`` for inputs that carry no gradient. Grad mode and the recorder
(tape) stack live in :mod:`dualgrad._grad_mode`.

Speed: ``apply`` and the backward walk run once per op, so they are written for it
(``benchmarks/README.md`` has the figures). ``apply`` records PyTorch-style ops itself; with a
tape active it hands over to ``record``. ``apply_number`` is ``apply`` for ``y * 0.999`` (a
tensor and a number in add, sub or mul), without the tests that case does not need. The
common backward (``loss.backward()``: no ``inputs=``, no tape, first order) takes
``_backward_accumulate``, which orders nodes by creation number instead of counting
dependencies; the general loop (dependency counts and a ready stack) handles the rest with the
same results. An identity rule (``add``) hands a node's gradient on without reading the
array's shape and dtype: every gradient of a node has the node's (see ``_walk``). Gradient
buffers that only the engine references are added into in place (``_sum_grads``); anything a
rule, a hook or the caller may hold is never written to.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from heapq import heapify, heappop, heappush, heappushpop
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from dualgrad import _grad_mode
from dualgrad._grad_mode import _ANOMALY, _STATE
from dualgrad._node import FREED, Node, new_node
from dualgrad._registry import IDENTITY, NO_PARAMS, NONDIFF, InputMeta, Op

if TYPE_CHECKING:
    from dualgrad._tensor import Tensor

__all__ = [
    "apply",
    "apply_number",
    "takes_numbers",
    "record",
    "gradient_of",
    "backward",
    "sum_to",
    "walk",
    "ERR_BACKWARD_TWICE",
]

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

ERR_REASSIGNED = (
    "a variable read by a recorded operation has been assigned a new value since, so "
    "higher-order gradients through that operation would use the new value: compute them "
    "before the assignment (first-order gradients use the value that was read, as in "
    "TensorFlow)")

_INPLACE_HINT = (
    "Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with torch.autograd.set_detect_anomaly(True)."
)

# Set by ``_tensor`` at import: the Tensor class (the engine wraps arrays when it must hand
# Tensors to rules and hooks), and ``_inplace.track_view``.
Tensor: type = None  # type: ignore[assignment]
_track_view: Callable[..., None] = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# Recording


def apply(op: Op, args: tuple, params: dict) -> Tensor:
    """Run ``op`` on tensors, arrays or numbers; record it when a gradient is needed.

    What every operator and method ends in, so it is written for speed: unrolled for one and
    two inputs, recording here without further calls. With one tape active the tape claims
    the op first (``_tape_claim``) and may add the leaves it watches as edges; with nested
    tapes ``_record_with_many`` asks each.
    """
    n = len(args)
    if n == 2:
        a, b = args
        ea = eb = None
        if isinstance(a, Tensor):
            da = a._data
            ea = a._node
            if ea is None and a._requires_grad:
                ea = a
        else:
            da = a
        if isinstance(b, Tensor):
            db = b._data
            eb = b._node
            if eb is None and b._requires_grad:
                eb = b
        else:
            db = b
        out = op.forward(da, db, **params) if params else op.forward(da, db)
        edges = None if ea is None and eb is None else (ea, eb)
    elif n == 1:
        a = args[0]
        if isinstance(a, Tensor):
            da = a._data
            ea = a._node
            if ea is None and a._requires_grad:
                ea = a
        else:
            da = a
            ea = None
        out = op.forward(da, **params) if params else op.forward(da)
        edges = None if ea is None else (ea,)
    else:
        arrays, edges = _arrays_and_edges(args)
        out = op.forward(*arrays, **params)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = _new(Tensor)
    result._data = out
    result._node = None
    result._requires_grad = False
    result._grad = None
    result._hooks = None
    if op.view and isinstance(args[0], Tensor) and out.base is not None and (
            np.may_share_memory(out, args[0]._data)):  # (reshape may have to copy)
        _track_view(args[0], result, op, params)  # shares the version counter, and more
    else:
        result._vc = [0]
    enabled, recorders = _STATE.get()
    if not enabled:
        return result
    claimer = None
    if recorders:
        if len(recorders) != 1:
            _record_with_many(op, args, params, result, recorders, None)
            return result
        claimer, edges = _tape_claim(recorders[0], args, edges)
    if edges is None or not op.differentiable_output:
        return result
    # Recording, PyTorch style: keep what the rules read, with the versions they were read at.
    if not op.save_inputs:
        node = new_node(op, params, edges, None, None, None, out.shape, out.dtype)
    elif n == 2:
        # What _keep_read_inputs does, unrolled for two inputs (mul, div, matmul, pow).
        if op.reads is None:
            keep_a = keep_b = True
        else:
            # (edges, not ea/eb: a tape may have added the leaves it watches)
            keep_a, keep_b = op.kept_table[(edges[0] is not None) + 2 * (edges[1] is not None)]
        va = vb = None
        if da is not a:  # a is a Tensor
            if keep_a:
                va = (a._vc, a._vc[0])
            else:
                # (input_meta's float32 case inlined: y * 0.999 keeps no y)
                a = da = ((_FLOAT32_METAS.get(da.shape) if da.dtype is _FLOAT32 else None)
                          or input_meta(da.shape, da.dtype))
        if db is not b:  # b is a Tensor
            if keep_b:
                vb = (b._vc, b._vc[0])
            else:
                b = db = ((_FLOAT32_METAS.get(db.shape) if db.dtype is _FLOAT32 else None)
                          or input_meta(db.shape, db.dtype))
        if va is None:
            if vb is None:
                # (a kept operand here is a constant, as in y * 0.999: PyTorch saves it, and
                # a second backward through the node raises, so it is freed like the others)
                versions = _NOTHING_TO_CHECK if keep_a or keep_b else None
            else:
                versions = (vb,)
        else:
            versions = (va,) if vb is None else (va, vb)
        saved = (a, b)
        # (one tuple for both when nothing kept is a Tensor, as in y * 0.999: an object less
        # for the garbage collector to count per node)
        node = new_node(op, params, edges, saved, saved if da is a and db is b else (da, db),
                        versions, out.shape, out.dtype)
    elif n == 1:
        if op.keeps_single_input:
            vc = a._vc
            node = new_node(op, params, edges, args, (da,), ((vc, vc[0]),), out.shape, out.dtype)
        else:
            # Shape-only rules (sum, mean, reshape, indexing) keep no values.
            meta = (input_meta(da.shape, da.dtype),)
            node = new_node(op, params, edges, meta, meta, None, out.shape, out.dtype)
    else:
        node = _node_for(op, args, params, edges, arrays, out.shape, out.dtype)
    if op.save_ans:
        _keep_ans(node, out, result._vc)
    result._node = node
    if claimer is not None:
        claimer._nodes.add(node)
    if _grad_mode._anomaly_used and _ANOMALY.get():
        _capture_trace(node)
    return result


def apply_number(op: Op, x: Tensor, number: Any) -> Tensor:
    """``apply(op, (x, number), {})`` for ``y * 0.999``: an elementwise arithmetic op (add,
    sub, rsub, mul) of a floating Tensor and a number of its dtype (a cached 0-d array from
    ``scalar_operand``, or a Python number).

    The same result and the same node as :func:`apply`, made with fewer tests, for ops that
    qualify (:func:`takes_numbers`): the output has ``x``'s shape and dtype, so they are read
    from ``x``'s node (slots) rather than from the array; the number has no edge, and the
    rule for ``x`` does not read ``x``, so only ``x``'s shape and dtype are kept. With a tape
    active, with grad mode off, or when ``x`` needs no gradient, it hands over to
    :func:`apply`.
    """
    edge = x._node
    enabled, recorders = _STATE.get()
    if recorders or not enabled or (edge is None and not x._requires_grad):
        return apply(op, (x, number), NO_PARAMS)
    data = x._data
    out = op.forward(data, number)
    if type(out) is not np.ndarray:  # (a NumPy scalar, from a 0-d x)
        out = np.asarray(out)
    result = _new(Tensor)
    result._init(out, None)
    if edge is None:
        edge = x
        shape = data.shape
        dtype = data.dtype
    else:
        shape = edge.out_shape
        dtype = edge.out_dtype
    if op.save_inputs:
        saved = ((_FLOAT32_METAS.get(shape) if dtype is _FLOAT32 else None)
                 or input_meta(shape, dtype), number)
        # (a kept number, as in y * 0.999, makes the node one that backward frees: see apply)
        node = new_node(op, NO_PARAMS, (edge, None), saved, saved,
                        _NOTHING_TO_CHECK if op.kept_table[1][1] else None, shape, dtype)
    else:
        node = new_node(op, NO_PARAMS, (edge, None), None, None, None, shape, dtype)
    result._node = node
    if _grad_mode._anomaly_used and _ANOMALY.get():
        _capture_trace(node)
    return result


def takes_numbers(op: Op) -> bool:
    """Whether :func:`apply_number` may apply ``op``: two inputs, an output that keeps the
    tensor's shape and dtype (to be ensured by the caller: elementwise arithmetic), no
    view, no kept output, and a rule for the first input that does not read it."""
    return (len(op.vjp) == 2 and not op.variadic and not op.view and not op.save_ans
            and op.differentiable_output
            and (not op.save_inputs or (op.kept_table is not None
                                        and not op.kept_table[1][0])))


def _with_watched(args: tuple, edges: tuple | None, watched: Any) -> tuple | None:
    """``edges`` with the leaves that the claiming tape watches added."""
    n = len(args)
    new_edges = list(edges) if edges is not None else [None] * n
    for i, a in enumerate(args):
        if new_edges[i] is None and isinstance(a, Tensor) and id(a) in watched:
            new_edges[i] = a
    return tuple(new_edges) if any(e is not None for e in new_edges) else None


_new = object.__new__
# ``versions`` of a node that keeps only constants: nothing can change them in place, but
# the backward frees the node (it only frees nodes whose ``versions`` is not None).
_NOTHING_TO_CHECK = ()


def record(op: Op, args: tuple, params: dict, out: Tensor, arrays: tuple | None = None) -> None:
    """Attach a ``Node`` for ``op`` to ``out`` (already computed) if a gradient is needed.

    :func:`apply` does this itself for the ops it runs; this is for outputs computed
    elsewhere (custom ``Function``s). The same rules decide: a node is made when grad mode is
    on and an input requires grad (PyTorch style) or an active tape watches or produced an
    input (tape style). ``arrays`` are the inputs as the forward saw them, when known.
    """
    enabled, recorders = _STATE.get()
    if not enabled:
        return
    if recorders and len(recorders) != 1:
        _record_with_many(op, args, params, out, recorders, arrays)
        return
    own_arrays, edges = _arrays_and_edges(args)
    if arrays is None:
        arrays = own_arrays
    claimer = None
    if recorders:
        claimer, edges = _tape_claim(recorders[0], args, edges)
    if edges is None or not op.differentiable_output:
        return
    node = _make_node(op, args, params, out, edges, arrays)
    if claimer is not None:
        claimer._nodes.add(node)


def _arrays_and_edges(args: tuple) -> tuple[tuple, tuple | None]:
    """The inputs as arrays, and one edge per input (the producing node, the leaf if it
    requires grad, or None; None instead of the tuple if there is no edge at all), in one
    pass."""
    arrays = []
    edges = []
    any_edge = False
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            e = a._node
            if e is None and a._requires_grad:
                e = a
            if e is not None:
                any_edge = True
            edges.append(e)
        else:
            arrays.append(a)
            edges.append(None)
    return tuple(arrays), (tuple(edges) if any_edge else None)


def _tape_claim(recorder: Any, args: tuple, edges: tuple | None) -> tuple:
    """The one active tape if it records an op on ``args`` (None otherwise), and ``edges``
    with the leaves it watches added.

    Inside a tape block most operations take only tensors the tape produced or watches: it
    claims them with no side effect, so it is not asked. Anything else (an unwatched Variable
    to auto-watch, an input from outside the tape) goes through ``_claims``.
    """
    if recorder._has_tape:
        nodes = recorder._nodes
        watched = recorder._watched
        claimed = False
        new_edges = None  # the edges with the watched leaves added, once one is found
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                n = a._node
                if n is not None:
                    if n in nodes:
                        claimed = True
                        continue
                elif id(a) in watched:
                    claimed = True
                    if new_edges is None:
                        new_edges = list(edges) if edges is not None else [None] * len(args)
                    new_edges[i] = a
                    continue
                claimed = False
                break
        if claimed:
            return recorder, edges if new_edges is None else tuple(new_edges)
    if recorder._claims(args):
        return recorder, _with_watched(args, edges, recorder._watched)
    return None, edges


def _record_with_many(op: Op, args: tuple, params: dict, out: Tensor, recorders: tuple,
                      arrays: tuple | None) -> None:
    """``record`` for nested tapes: each tape claims on its own."""
    claiming = [r for r in recorders if r._claims(args)]
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
            elif claiming and _watched_by(a, claiming):
                edges.append(a)
                any_edge = True
            else:
                edges.append(None)
        else:
            edges.append(None)
    if not any_edge or not op.differentiable_output:
        return
    node = _make_node(op, args, params, out, tuple(edges), arrays)
    for r in claiming:
        r._nodes.add(node)


def _watched_by(tensor: Tensor, recorders: list) -> bool:
    for r in recorders:
        if r._is_watched(tensor):
            return True
    return False


def _make_node(op: Op, args: tuple, params: dict, out: Tensor, edges: tuple,
               arrays: tuple | None) -> Node:
    """The node for ``out``, attached to it: :func:`_node_for`, then the output kept if the
    rules read it (what ``apply`` does after it has made a node)."""
    data = out._data
    node = _node_for(op, args, params, edges, arrays, data.shape, data.dtype)
    if op.save_ans:
        _keep_ans(node, data, out._vc)
    out._node = node
    if _grad_mode._anomaly_used and _ANOMALY.get():
        _capture_trace(node)
    return node


def _node_for(op: Op, args: tuple, params: dict, edges: tuple, arrays: tuple | None,
              out_shape: tuple, out_dtype: np.dtype) -> Node:
    """A node for ``op`` on ``args`` (``arrays``: the same as the forward saw them, when
    known), keeping what the rules of its differentiable inputs read."""
    if not op.save_inputs:
        return new_node(op, params, edges, None, None, None, out_shape, out_dtype)
    if op.reads is not None:
        saved, arrays, versions = _keep_read_inputs(op, args, edges, arrays)
        return new_node(op, params, edges, saved, arrays, versions, out_shape, out_dtype)
    if arrays is None:
        arrays = tuple([a._data if isinstance(a, Tensor) else a for a in args])
    versions = []
    for a in args:
        if isinstance(a, Tensor):
            vc = a._vc
            versions.append((vc, vc[0]))
    return new_node(op, params, edges, args, arrays, tuple(versions) if versions else None,
                    out_shape, out_dtype)


def _keep_ans(node: Node, ans: np.ndarray, vc: list) -> None:
    """Keep the output array for the rules that read it, with its version last in
    ``node.versions``."""
    node.ans = ans
    versions = node.versions
    node.versions = ((vc, vc[0]),) if versions is None else versions + ((vc, vc[0]),)


def _keep_read_inputs(op: Op, args: tuple, edges: tuple, arrays: tuple | None = None
                      ) -> tuple:
    """The inputs the rules of the differentiable inputs read; an ``InputMeta`` for the rest.

    Returns the saved values (Tensors), the same as the forward saw them (``arrays``, when
    known: the arrays of ``args``), and the version counters of the kept Tensors.
    """
    table = op.kept_table
    if table is not None and len(edges) == 3 and not op.variadic:
        kept = table[(edges[0] is not None) + 2 * (edges[1] is not None)
                     + 4 * (edges[2] is not None)]
    else:
        kept = op.kept_inputs(edges)
    saved = list(args)
    data = list(arrays) if arrays is not None else [
        a._data if isinstance(a, Tensor) else a for a in args]
    versions = []
    for i, keep in enumerate(kept):
        a = args[i]
        if isinstance(a, Tensor):
            if keep:
                vc = a._vc
                versions.append((vc, vc[0]))
            else:
                array = data[i]
                dtype = array.dtype
                # (input_meta's float32 case without the call: a layer's weight and bias)
                meta = _FLOAT32_METAS.get(array.shape) if dtype is _FLOAT32 else None
                saved[i] = data[i] = meta or input_meta(array.shape, dtype)
    return tuple(saved), tuple(data), tuple(versions) or None


# One InputMeta per (shape, dtype): they are immutable and a graph repeats a few shapes.
# Float32 ones (the default dtype) are found by shape alone: NumPy hashes a dtype slowly.
_METAS: dict[tuple, InputMeta] = {}
_FLOAT32_METAS: dict[tuple, InputMeta] = {}
_FLOAT32 = np.dtype(np.float32)
_METAS_MAX = 4096


def input_meta(shape: tuple, dtype: np.dtype) -> InputMeta:
    """The shared :class:`InputMeta` for ``shape`` and ``dtype``."""
    if dtype is _FLOAT32:
        table, key = _FLOAT32_METAS, shape
    else:
        table, key = _METAS, (shape, dtype)
    meta = table.get(key)
    if meta is None:
        if len(table) >= _METAS_MAX:
            table.clear()
        meta = table[key] = InputMeta(shape, dtype)
    return meta


def _capture_trace(node: Node) -> None:
    import os
    import traceback

    # Drop dualgrad's own frames (record, apply, ...) so the last one is the user's call.
    package = f'"{os.path.dirname(os.path.abspath(__file__))}{os.sep}'
    node.trace = [line for line in traceback.format_stack() if package not in line]



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
        # One plain loop (no generators): this runs for every broadcast input in backward.
        axes = list(range(lead)) if lead > 0 else []
        bad = lead < 0
        if not bad:
            for i, s in enumerate(shape):
                gs = gshape[lead + i]
                if s != gs:
                    if s != 1:
                        bad = True
                        break
                    axes.append(lead + i)
        if bad:
            raise RuntimeError(
                f"Function {node.op.grad_fn_name} returned an invalid gradient at index "
                f"{index} - got {_shape_text(gshape)} but expected shape compatible with "
                f"{_shape_text(shape)}"
            )
        if type(grad) is np.ndarray:
            # ndarray methods skip np.sum's and np.reshape's Python-level dispatch wrappers.
            if axes:
                grad = grad.sum(axis=tuple(axes), keepdims=True)
            if lead:
                grad = grad.reshape(shape)
        else:
            if axes:
                grad = np.sum(grad, axis=tuple(axes), keepdims=True)
            if lead:
                grad = np.reshape(grad, shape)
    if grad.dtype != dtype:
        if dtype.kind not in "fc":
            return None
        if grad.dtype.kind == "c" and dtype.kind != "c":
            grad = np.real(grad)
        grad = grad.astype(dtype)
    return grad


def _tensor_type(arr: Any) -> str:
    """PyTorch's legacy type name of an array's dtype, without ``torch.``: ``DoubleTensor``."""
    return {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor"}.get(
        str(arr.dtype), f"{arr.dtype}Tensor"
    )


def _version_error(node: Node, vc_and_version: tuple, value: Any) -> RuntimeError:
    vc, expected = vc_and_version
    arr = value._data if isinstance(value, Tensor) else value
    kind = _tensor_type(arr)
    producer = ""
    if isinstance(value, Tensor) and value._node is not None:
        producer = f", which is output 0 of {value._node.op.grad_fn_name},"
    elif not isinstance(value, Tensor):
        producer = f", which is output 0 of {node.op.grad_fn_name},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{kind} {_shape_text(arr.shape)}]{producer} is at version "
        f"{vc[0]}; expected version {expected} instead. {_inplace_hint(node)}"
    )


def _inplace_hint(node: Node | None) -> str:
    """PyTorch's hint; in anomaly mode its other text, plus where ``node`` was created."""
    if not _ANOMALY.get():
        return _INPLACE_HINT
    hint = ("Hint: the backtrace further above shows the operation that failed to compute its "
            "gradient. The variable in question was changed in there or anywhere later. Good "
            "luck!")
    if node is not None and node.trace:
        hint += f"\nThe forward call that created {node.op.grad_fn_name} was:\n" + "".join(
            node.trace[-2:])
    return hint


def _check_versions(node: Node) -> None:
    """Raise if ``node`` was freed, or if a value it kept was changed in place since."""
    versions = node.versions
    if versions is FREED:
        raise RuntimeError(ERR_BACKWARD_TWICE)
    if versions:
        values = [a for a in node.saved or () if isinstance(a, Tensor)]
        if node.ans is not None:
            values.append(node.ans)  # its version comes last
        for value, vv in zip(values, versions):
            if vv[0][0] != vv[1]:
                raise _version_error(node, vv, value)


def _wrap(value: Any, node: Node | None = None) -> Any:
    """An array as a Tensor (for rules under create_graph and for hooks)."""
    if isinstance(value, Tensor):
        return value
    t = Tensor.__new__(Tensor)
    t._init(np.asarray(value), node)
    return t


def _input_meta(edge: Any) -> tuple[tuple, np.dtype]:
    """Shape and dtype of the input behind ``edge``, which its gradient must have."""
    if edge.__class__ is Node:
        return edge.out_shape, edge.out_dtype
    data = edge._data
    return data.shape, data.dtype


def _run_rules(node: Node, g: Any, needed: Sequence[bool], create_graph: bool) -> list:
    op = node.op
    if node.versions is not None:
        _check_versions(node)
    saved = node.saved
    nargs = len(node.edges)
    if create_graph:
        args = saved if saved is not None else (None,) * nargs
        if saved is not None and node.saved_data is not None:
            for t, arr in zip(saved, node.saved_data):
                if isinstance(t, Tensor) and t._data is not arr:
                    # A Variable assigned since (TensorFlow's reads are snapshots): the rule
                    # would see its new value.
                    raise RuntimeError(ERR_REASSIGNED)
        ans = _wrap(node.ans, node) if node.ans is not None else None
        g = _wrap(g)
    else:
        if saved is None:
            args = (None,) * nargs
        elif node.saved_data is not None:
            # The arrays the forward saw, as _walk uses them.
            args = node.saved_data
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
            shape, dtype = _input_meta(edge)
            gi = sum_to(gi, shape, dtype, node, i)
            if not create_graph and gi is not None and type(gi) is not np.ndarray:
                gi = np.asarray(gi)
        results.append(gi)
    if _grad_mode._anomaly_used and _ANOMALY.get():
        _check_nan(node, results)
    return results


def _check_nan(node: Node, results: list) -> None:
    if not _grad_mode.anomaly_check_nan():
        return
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
    # Only saved Tensors are freed (what PyTorch frees); Python numbers and InputMeta stay, so
    # a node that kept no Tensor can be walked again, as in PyTorch.
    if node.versions is not None:
        node.saved = None
        node.saved_data = None
        node.ans = None
        node.versions = FREED


def _needed_nodes(root_nodes: Iterable[Node], node_index: dict, leaf_index: dict,
                  restrict: set | None) -> set:
    """The nodes from which a target (a leaf in ``leaf_index`` or a node in ``node_index``)
    can be reached, staying within ``restrict``."""
    seen = set(root_nodes)
    reachable = list(seen)
    stack = list(seen)
    while stack:
        for e in stack.pop().edges:
            if (e.__class__ is Node and e not in seen
                    and (restrict is None or e in restrict)):
                seen.add(e)
                reachable.append(e)
                stack.append(e)
    # Inputs before their consumers (a node is created after its inputs).
    reachable.sort(key=_by_seq)
    needed: set = set()
    for node in reachable:
        for e in node.edges:
            if e.__class__ is Node:
                if (e in needed or e in node_index) and (restrict is None or e in restrict):
                    needed.add(node)
                    break
            elif e is not None and id(e) in leaf_index:
                needed.add(node)
                break
    return needed


_by_seq = attrgetter("seq")


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
    first_order = not create_graph and not (_grad_mode._anomaly_used and _ANOMALY.get())
    if first_order and accumulate and sources is None and restrict_to is None:
        _backward_accumulate(roots, seeds, retain_graph)
        return None
    leaf_index: dict[int, int] = {}
    node_index: dict[Node, int] = {}
    if sources is not None:
        for i, s in enumerate(sources):
            if s._node is not None:
                node_index.setdefault(s._node, i)
            else:
                leaf_index.setdefault(id(s), i)
    collected: list = [None] * len(sources) if sources is not None else []
    if first_order and not accumulate:
        _backward_collect(roots, seeds, leaf_index, node_index, collected, retain_graph,
                          restrict_to)
        _share_duplicates(sources, collected, leaf_index, node_index)
        return collected

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
    needed_set = (_needed_nodes(root_nodes, node_index, leaf_index, restrict_to)
                  if prune else None)

    enabled, recorders = _STATE.get()
    token = _STATE.set((create_graph, recorders if create_graph else ()))
    # ids of gradient buffers that the engine allocated itself (sums of two arrivals) and
    # that nothing else references: later arrivals are added into them in place.
    owned: set[int] = set()
    try:
        deps = _dependency_counts(root_nodes, restrict_to)
        ready = [n for n in root_nodes if deps[n] == 0]
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            if g is not None:
                if owned:
                    # From here on g is handed to rules and hooks, which may keep it.
                    owned.discard(id(g))
                if node.extras is not None or node_index:
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
                        prev = grads.get(e)
                        grads[e] = gi if prev is None else _sum_grads(prev, gi, owned)
                    d = deps[e] - 1
                    deps[e] = d
                    if d == 0:
                        ready.append(e)
                elif gi is not None:
                    _sink_leaf(leaf_grads, e, gi, owned)
            if not retain_graph:
                _free(node)
        for t, g in leaf_grads.values():
            if accumulate:
                if sources is None or id(t) in leaf_index:
                    _deliver(t, g, owned, create_graph)
            elif id(t) in leaf_index:
                if t._hooks:
                    g = _run_tensor_hooks(t._hooks.values(), g)
                collected[leaf_index[id(t)]] = g
    finally:
        _STATE.reset(token)
    if accumulate:
        return None
    _share_duplicates(sources, collected, leaf_index, node_index)
    return collected


def gradient_of(root: Tensor, seed: Any, source: Tensor, retain_graph: bool,
                restrict_to: set | None = None) -> Any:
    """The first-order gradient of ``root`` (seeded with ``seed``) for one ``source``, or
    None: :func:`backward` with ``accumulate=False`` for the common ``tape.gradient(z, x)``
    call, without its argument handling. Falls back to it in anomaly mode."""
    if _grad_mode._anomaly_used and _ANOMALY.get():
        return backward((root,), (seed,), sources=(source,), retain_graph=retain_graph,
                        restrict_to=restrict_to, accumulate=False)[0]
    node = source._node
    collected = [None]
    _backward_collect((root,), (seed,), {} if node is not None else {id(source): 0},
                      {node: 0} if node is not None else {}, collected, retain_graph,
                      restrict_to)
    return collected[0]


def _share_duplicates(sources: Sequence[Tensor] | None, collected: list, leaf_index: dict,
                      node_index: dict) -> None:
    """A source listed twice gets its gradient in both places."""
    if sources is not None:
        for i, s in enumerate(sources):
            if collected[i] is None:
                j = node_index.get(s._node) if s._node is not None else leaf_index.get(id(s))
                if j is not None and j != i:
                    collected[i] = collected[j]


def _backward_collect(roots: Sequence[Tensor], seeds: Sequence[Any], leaf_index: dict,
                      node_index: dict, collected: list, retain_graph: bool,
                      restrict_to: set | None) -> None:
    """:func:`backward` for ``tape.gradient`` and ``autograd.grad`` at first order: the
    gradients of the sources (``leaf_index``, ``node_index``) go into ``collected``.

    The walk is :func:`_walk`'s, limited to the nodes that lead to a source (and, for a
    tape, to the tape's nodes).
    """
    grads: dict[Node, Any] = {}
    leaf_grads: dict[int, list] = {}
    heap = []
    for root, seed in zip(roots, seeds, strict=True):
        node = root._node
        if node is None:
            if id(root) in leaf_index:
                _sink_leaf(leaf_grads, root, seed)
        elif restrict_to is not None and node not in restrict_to:
            continue
        else:
            if len(roots) > 1:  # (one root's seed is checked by the walk: see _walk)
                seed = _root_gradient(node, seed)
            if node in grads:
                grads[node] = grads[node] + seed
            else:
                grads[node] = seed
                heap.append((-node.seq, node))
    heapify(heap)
    visit = _needed_nodes([node for _, node in heap], node_index, leaf_index, restrict_to)
    visit.update(node_index)
    owned: set[int] = set()
    token = _STATE.set(_NO_GRAD)
    try:
        _walk(heap, grads, leaf_grads, owned, retain_graph, visit, leaf_index, node_index,
              collected, roots[0]._node if len(roots) == 1 else None)
        for t, g in leaf_grads.values():
            if t._hooks:
                g = _run_tensor_hooks(t._hooks.values(), g)
            collected[leaf_index[id(t)]] = g
    finally:
        _STATE.reset(token)


def _dependency_counts(root_nodes: list, restrict_to: set | None) -> dict:
    """How many edges reach each node from ``root_nodes`` (an explicit stack, no recursion)."""
    deps: dict[Node, int] = dict.fromkeys(root_nodes, 0)
    stack = list(root_nodes)
    count = deps.get
    while stack:
        node = stack.pop()
        for e in node.edges:
            if e.__class__ is Node and (restrict_to is None or e in restrict_to):
                n = count(e)
                if n is None:
                    deps[e] = 1
                    stack.append(e)
                else:
                    deps[e] = n + 1
    return deps


def _backward_accumulate(roots: Sequence[Tensor], seeds: Sequence[Any],
                         retain_graph: bool) -> None:
    """:func:`backward` in the common case: first order on arrays into ``.grad``, no
    ``inputs=``, no tape, no anomaly mode (``loss.backward()``).

    It does what the general loop does with ``_run_rules`` inlined, and skips ``sum_to`` for
    a gradient already shaped and typed like its input. Instead of counting dependencies
    first (a pass over the whole graph), it takes the pending node with the highest creation
    number (``Node.seq``) next: every consumer of a node was created after it, so by then
    all of the node's gradient has arrived. ``grads`` holds an entry for every pending node
    (None while no gradient reached it: such nodes are still walked, so their saved values
    are freed as in the general loop).
    """
    grads: dict[Node, Any] = {}
    leaf_grads: dict[int, list] = {}
    node = roots[0]._node if len(roots) == 1 else None
    if node is not None:
        # loss.backward()
        grads[node] = seeds[0]
        heap = [(-node.seq, node)]
        seeded = node
    else:
        heap = []
        seeded = None
        for root, seed in zip(roots, seeds, strict=True):
            node = root._node
            if node is None:
                if root._requires_grad:
                    _sink_leaf(leaf_grads, root, seed)
            elif node in grads:
                grads[node] = grads[node] + _root_gradient(node, seed)
            else:
                grads[node] = _root_gradient(node, seed)
                heap.append((-node.seq, node))
        heapify(heap)
    # ids of gradient buffers that the engine allocated itself and that nothing else
    # references: later arrivals are added into them in place.
    owned: set[int] = set()
    # Rules (custom Functions among them) and hooks run with grad mode off.
    token = _STATE.set(_NO_GRAD)
    try:
        _walk(heap, grads, leaf_grads, owned, retain_graph, seeded=seeded)
        for t, g in leaf_grads.values():
            _deliver(t, g, owned, False)
    finally:
        _STATE.reset(token)


_NO_GRAD = (False, ())
_NO_SOURCES: dict = {}


def _deliver(t: Tensor, g: Any, owned: set[int], create_graph: bool) -> None:
    """The summed gradient ``g`` of leaf ``t`` arrives: its hooks, then ``.grad``."""
    is_owned = id(g) in owned
    if t._hooks:
        g = _run_tensor_hooks(t._hooks.values(), g)
        is_owned = False
    if (is_owned and t._grad is None and type(g) is np.ndarray
            and g.shape == t._data.shape and g.dtype == t._data.dtype):
        # A fresh buffer only the engine holds becomes .grad (the common case after
        # zero_grad): what _accumulate does, without its checks.
        t._grad = Tensor._make(g)
    else:
        _accumulate(t, g, create_graph, is_owned)
    post = getattr(t, "_post_hooks", None)
    if post:
        for hook in list(post.values()):
            if hook(t) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _root_gradient(node: Node, seed: Any) -> Any:
    """``seed`` with the shape and dtype of ``node``'s output, which :func:`_walk` takes every
    gradient of a node but ``seeded`` to have. They differ only for a root whose ``.data`` was
    replaced since: a different dtype is cast, a shape that does not reduce to the node's
    raises :func:`sum_to`'s error."""
    if type(seed) is not np.ndarray and not isinstance(seed, np.generic):
        seed = np.asarray(seed)
    dtype = seed.dtype
    # (identity first: comparing NumPy dtypes by value is slow)
    if seed.shape != node.out_shape or (dtype is not node.out_dtype
                                        and dtype != node.out_dtype):
        seed = np.asarray(sum_to(seed, node.out_shape, node.out_dtype, node, 0))
    return seed


def _walk(heap: list, grads: dict, leaf_grads: dict, owned: set[int], retain_graph: bool,
          visit: set | None = None, leaf_index: dict | None = None,
          node_index: dict = _NO_SOURCES, collected: list | None = None,
          seeded: Node | None = None) -> None:
    """The loop of :func:`_backward_accumulate` and :func:`_backward_collect`: ``heap`` holds
    ``(-seq, node)`` of the pending nodes, ``grads`` their gradients; leaves' gradients go to
    ``leaf_grads``.

    An identity rule (``add``) hands a node's gradient on as it is to an input of the node's
    shape and dtype: every gradient that reaches a node has them (the walk reduces every
    arrival to them, hooks are checked for them), and so do the seeds, which
    :func:`_root_gradient` checks, except the one of ``seeded`` (a single root, as in
    ``loss.backward()``), which is checked like a rule's result instead: cheaper for the many
    small graphs than a check up front.

    Collecting, only nodes in ``visit`` and leaves in ``leaf_index`` get gradients, and the
    gradient of a node in ``node_index`` is put into ``collected``; accumulating (``visit``
    and ``leaf_index`` None), every node and every leaf that requires grad does.
    """
    pop = heappop
    push = heappush
    pushpop = heappushpop
    take = grads.pop
    get = grads.get
    missing = _MISSING
    nondiff = NONDIFF
    identity = IDENTITY
    ndarray = np.ndarray
    generic = np.generic
    min_size = _INPLACE_MIN_SIZE
    refcount = _refcount
    # The pending node to take next, held outside the heap: in a chain each node makes the
    # node just before it pending, and that one is usually the highest, so it skips the heap.
    upcoming = None
    while True:
        if upcoming is None:
            if not heap:
                break
            node = pop(heap)[1]
        elif not heap or upcoming.seq > -heap[0][0]:
            node = upcoming
        else:
            node = pushpop(heap, (-upcoming.seq, upcoming))[1]
        upcoming = None
        g = take(node)
        edges = node.edges
        if g is None:
            for e in edges:
                if (e.__class__ is Node and e not in grads
                        and (visit is None or e in visit)):
                    grads[e] = None
                    push(heap, (-e.seq, e))
        else:
            if owned:
                # From here on g is handed to rules and hooks, which may keep it.
                owned.discard(id(g))
            if node.extras is not None or (node_index and node in node_index):
                g = _node_arrival(node, g, node_index, collected, collected is None, None)
            op = node.op
            rules = op.vjp
            variadic = op.variadic
            args = None
            for i, e in enumerate(edges):
                if e is None:
                    continue
                is_node = e.__class__ is Node
                if is_node:
                    if visit is not None and e not in visit:
                        continue
                elif leaf_index is None:
                    if not e._requires_grad:
                        continue
                elif id(e) not in leaf_index:
                    continue
                if args is None:
                    versions = node.versions
                    if versions is not None:
                        for vc, version in versions:
                            if vc[0] != version:
                                # raises: the version error, or backward through a freed node
                                _check_versions(node)
                    args = node.saved_data
                    if args is None:
                        args = (None,) * len(edges)
                    n_args = len(args)
                    ans = node.ans
                    params = node.params
                if is_node:
                    shape = e.out_shape
                    dtype = e.out_dtype
                else:
                    data = e._data
                    shape = data.shape
                    dtype = data.dtype
                passed_on = False
                if variadic:
                    gi = rules[0](i, g, ans, *args, **params)
                else:
                    rule = rules[i]
                    if rule is identity:
                        gi = g
                        # (as it is, no array attribute read: see the docstring)
                        passed_on = (shape == node.out_shape and dtype is node.out_dtype
                                     and node is not seeded)
                    elif rule is nondiff:
                        raise RuntimeError(
                            f"the derivative for input {i} of '{op.name}' is not implemented: "
                            "that input (an index or a mask) cannot carry a gradient"
                        )
                    elif params:
                        gi = rule(g, ans, *args, **params)
                    elif n_args == 1:
                        gi = rule(g, ans, args[0])  # (a plain call: no argument tuple to build)
                    elif n_args == 2:
                        gi = rule(g, ans, args[0], args[1])
                    else:
                        gi = rule(g, ans, *args)
                if not passed_on:
                    if gi is None:
                        if is_node and get(e, missing) is missing:
                            grads[e] = None
                            push(heap, (-e.seq, e))
                        continue
                    # NumPy scalars (from 0-d arithmetic) stay as they are: they behave as 0-d
                    # arrays in the rules, and leaves get a real array in _accumulate.
                    if type(gi) is not ndarray and not isinstance(gi, generic):
                        gi = np.asarray(gi)
                    if gi.shape != shape or (gi.dtype is not dtype and gi.dtype != dtype):
                        gi = sum_to(gi, shape, dtype, node, i)
                        if gi is None:
                            if is_node and get(e, missing) is missing:
                                grads[e] = None
                                push(heap, (-e.seq, e))
                            continue
                        if type(gi) is not ndarray:
                            gi = np.asarray(gi)
                # A fresh array that only this frame references (not ``g``, not a saved
                # input, not a view) can take later arrivals in place: at a node if it is
                # large, at a leaf whatever its size (owning it lets it become ``.grad``
                # uncopied).
                if is_node:
                    prev = get(e, missing)
                    if prev is missing or prev is None:
                        if (not passed_on and gi.size >= min_size and type(gi) is ndarray
                                and gi.base is None and refcount(gi) == 2):
                            owned.add(id(gi))
                        grads[e] = gi
                        if prev is missing:
                            # Pending now: the highest of the new ones becomes upcoming.
                            if upcoming is None:
                                upcoming = e
                            elif e.seq > upcoming.seq:
                                push(heap, (-upcoming.seq, upcoming))
                                upcoming = e
                            else:
                                push(heap, (-e.seq, e))
                    else:
                        grads[e] = _sum_grads(prev, gi, owned)
                else:
                    prev = leaf_grads.get(id(e))
                    if prev is None:
                        if (not passed_on and type(gi) is ndarray and gi.base is None
                                and refcount(gi) == 2):
                            owned.add(id(gi))
                        leaf_grads[id(e)] = [e, gi]
                    else:
                        prev[1] = _sum_grads(prev[1], gi, owned)
        if not retain_graph and node.versions is not None:
            node.saved = None
            node.saved_data = None
            node.ans = None
            node.versions = FREED


_MISSING = object()


def _sink_leaf(leaf_grads: dict, leaf: Tensor, g: Any, owned: set[int] | None = None) -> None:
    key = id(leaf)
    entry = leaf_grads.get(key)
    if entry is None:
        leaf_grads[key] = [leaf, g]
    elif owned is None:
        entry[1] = _add(entry[1], g)
    else:
        entry[1] = _sum_grads(entry[1], g, owned)


# Below this many elements a fresh ``a + b`` is cheaper than tracking buffers to add in place.
_INPLACE_MIN_SIZE = 4096
# CPython's reference count: 2 (the caller's variable and the argument) means no one else
# holds the array. Elsewhere, and from 3.14 on (where references on the interpreter stack
# may be borrowed, i.e. not counted), never treat a rule's result as exclusively owned.
_refcount = (sys.getrefcount
             if sys.implementation.name == "cpython" and sys.version_info < (3, 14)
             else lambda _: 0)


def _sum_grads(prev: Any, g: Any, owned: set[int]) -> Any:
    """``prev + g`` for two arrivals at one node or leaf, in place into ``prev`` when the
    engine owns it (copy on the second arrival, add in place from the third on)."""
    key = id(prev)
    if key in owned:
        if type(g) is np.ndarray and g.shape == prev.shape and g.dtype == prev.dtype:
            np.add(prev, g, out=prev)
            return prev
        owned.discard(key)
    total = prev + g
    if type(total) is np.ndarray and total.size >= _INPLACE_MIN_SIZE:
        # A fresh result of ``+`` that no one else has seen: ours to add into.
        owned.add(id(total))
    return total


def _run_tensor_hooks(hooks: Iterable[Callable], g: Any) -> Any:
    for hook in list(hooks):
        wrapped = _wrap(g)
        replaced = hook(wrapped)
        if replaced is not None:
            _check_hook_result(hook, wrapped, replaced)
            g = replaced._data if not isinstance(g, Tensor) else replaced
    return g


def _check_hook_result(hook: Callable, original: Tensor, result: Any) -> None:
    """PyTorch's checks of a gradient a tensor hook returned instead of its argument."""
    if not isinstance(result, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
    name = getattr(hook, "__name__", "<unknown>")
    if result._data.dtype != original._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"torch.{_tensor_type(original._data)} got "
                           f"torch.{_tensor_type(result._data)})")
    if result._data.shape != original._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _node_arrival(node: Node, g: Any, node_index: dict, collected: list, accumulate: bool,
                  sources: Sequence | None) -> Any:
    """The summed gradient of a node's output arrives: hooks, retain_grad, collection."""
    if node.pre_hooks:
        g = _run_tensor_hooks(node.pre_hooks.values(), g)
    if node.retained is not None:
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


def _accumulate(t: Tensor, g: Any, create_graph: bool, owned: bool = False) -> None:
    """``t.grad += g`` as PyTorch's AccumulateGrad does it.

    ``owned``: ``g`` is a buffer the engine allocated and no one else references, so it can
    become ``t.grad`` without a copy.
    """
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
        if g.shape == data.shape and g.dtype == data.dtype:
            # ``g`` may be a NumPy scalar (0-d arithmetic): np.array makes it an array.
            t._grad = Tensor._make(g if owned and type(g) is np.ndarray else np.array(g))
        else:
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



def walk(root: Node, restrict_to: set | None = None) -> Iterator[Node]:
    """Yield every node reachable from ``root`` once (iteratively, never recursively).

    For tools that read a graph without differentiating (``why_no_grad``, ``viz``); it keeps
    graph traversal in this module. ``restrict_to`` limits the walk to a tape's nodes.
    """
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for e in reversed(node.edges):
            if e.__class__ is Node and e not in seen and (restrict_to is None
                                                          or e in restrict_to):
                seen.add(e)
                stack.append(e)
