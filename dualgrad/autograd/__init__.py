"""PyTorch's ``torch.autograd`` entry points: ``backward`` and ``grad``, over the one engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dualgrad import _engine
from dualgrad._function import Function, FunctionCtx, once_differentiable
from dualgrad._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from dualgrad._gradcheck import GradcheckError, gradcheck, gradgradcheck
from dualgrad._tensor import Tensor
from dualgrad.diagnose import detect_anomaly, is_anomaly_enabled, set_detect_anomaly

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "Function", "FunctionCtx", "once_differentiable", "function", "functional",
           "gradcheck", "gradgradcheck", "GradcheckError",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_ERR_UNUSED = ("One of the differentiated Tensors appears to not have been used in the graph. "
               "Set allow_unused=True if this is the desired behavior.")


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _size_text(shape: tuple) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def make_seeds(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None,
               create_graph: bool) -> list:
    """The cotangents to start backward with, checked as PyTorch's ``_make_grads`` does
    (which pairs them with the outputs by ``zip``: extra gradients are ignored)."""
    if grad_outputs is None or len(grad_outputs) == 0:
        grad_outputs = [None] * len(outputs)
    for g in grad_outputs:
        if g is not None and not isinstance(g, (Tensor, np.ndarray)):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
    if len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            seed = np.ones(out._data.shape, dtype=out._data.dtype)
        else:
            if isinstance(g, Tensor):
                seed = g if create_graph else g._data
            else:
                seed = np.asarray(g, dtype=out._data.dtype)
            if tuple(seed.shape) != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{_size_text(seed.shape)} and output[{i}] has a shape of "
                    f"{_size_text(out._data.shape)}.")
            if not create_graph and seed.dtype != out._data.dtype:
                seed = seed.astype(out._data.dtype)
        seeds.append(seed)
    return seeds


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Add the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    ``Tensor.backward`` calls this. See :meth:`dualgrad.Tensor.backward` for the parameters.
    """
    outputs = _as_tuple(tensors)
    if isinstance(grad_tensors, (Tensor, np.ndarray, int, float)):
        grad_tensors = (grad_tensors,)
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise _no_grad_fn_error(i)
    seeds = make_seeds(outputs, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    sources = None
    if inputs is not None:
        sources = _checked_inputs(inputs, "backward")
        for s in sources:
            if not s.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    _engine.backward(outputs, seeds, sources=sources, retain_graph=retain_graph,
                     create_graph=create_graph, accumulate=True)


def _checked_inputs(inputs: Any, caller: str) -> tuple:
    """``inputs`` as a tuple of Tensors, or PyTorch's error for an empty one or a
    non-Tensor in it."""
    sources = _as_tuple(inputs)
    if not sources:
        raise RuntimeError(f"`inputs` argument to `{caller}()` cannot be empty.")
    for s in sources:
        if not isinstance(s, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(s).__name__}")
    return sources


def _no_grad_fn_error(index: int = 0) -> RuntimeError:
    err = RuntimeError(f"element {index} of tensors does not require grad and does not have a "
                       "grad_fn")
    err.add_note(_WHY_HINT)
    return err


_WHY_HINT = ("dualgrad: dg.why_no_grad(output, input) says in one sentence where the graph "
             "was cut (no_grad, detach, a NumPy round trip, an integer dtype, ...).")


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    Parameters
    ----------
    outputs, inputs:
        Tensors (or sequences of them).
    grad_outputs:
        The ``v`` of the vector-Jacobian product, one per output (required for non-scalar
        outputs).
    retain_graph, create_graph:
        As in :meth:`Tensor.backward`; with ``create_graph`` the results are differentiable.
    allow_unused:
        Return None for inputs the outputs do not depend on, instead of raising.
    is_grads_batched:
        The first dimension of each ``grad_outputs`` entry is a batch: the result holds one
        vector-Jacobian product per entry, stacked along a first dimension (dualgrad runs one
        backward per entry; PyTorch uses ``vmap``).
    materialize_grads:
        Return zeros instead of None for unused inputs (implies ``allow_unused``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor(3.0, requires_grad=True)
    >>> (dx,) = dg.autograd.grad(x ** 2, x, create_graph=True)
    >>> dx
    tensor(6., grad_fn=<MulBackward0>)
    >>> dg.autograd.grad(dx, x)
    (tensor(2.),)
    """
    outs = _as_tuple(outputs)
    ins = _checked_inputs(inputs, "grad")
    if isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _batched_grad(outs, ins, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    for i, out in enumerate(outs):
        if not out.requires_grad:
            raise _no_grad_fn_error(i)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = make_seeds(outs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    results = _engine.backward(outs, seeds, sources=ins, retain_graph=retain_graph,
                               create_graph=create_graph, accumulate=False)
    final = []
    for t, g in zip(ins, results):
        if g is None:
            if not allow_unused:
                err = RuntimeError(_ERR_UNUSED)
                err.add_note(_WHY_HINT)
                raise err
            final.append(Tensor._make(np.zeros_like(t._data)) if materialize_grads else None)
        elif isinstance(g, Tensor):
            final.append(g)
        else:
            final.append(Tensor._make(np.array(g, dtype=t._data.dtype)))
    return tuple(final)


def _batched_grad(outs: tuple, ins: tuple, grad_outputs: Any, retain_graph: bool | None,
                  create_graph: bool, allow_unused: bool, materialize_grads: bool) -> tuple:
    """``grad(..., is_grads_batched=True)``: one backward per entry of the batch dimension
    of ``grad_outputs``, the results stacked."""
    from dualgrad._functions import stack

    if grad_outputs is None or any(g is None for g in grad_outputs):
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of "
                           "each grad_output as the batch dimension. The sizes of the "
                           "remaining dimensions are expected to match the shape of "
                           "corresponding output, but a mismatch was detected: grad_output[0] "
                           "is None")
    gos = [g if isinstance(g, Tensor) else Tensor._make(np.asarray(g)) for g in grad_outputs]
    for i, (out, g) in enumerate(zip(outs, gos)):
        if g.ndim == 0 or tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions "
                "are expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {_size_text(tuple(g.shape))} and "
                f"output[{i}] has a shape of {_size_text(tuple(out.shape))}. If you only "
                "want some tensors in `grad_output` to be considered batched, consider using "
                "vmap.")
    n = gos[0].shape[0]
    rows = []
    for b in range(n):
        rows.append(grad(outs, ins, [g[b] for g in gos], retain_graph=True if b < n - 1
                         else retain_graph, create_graph=create_graph,
                         allow_unused=allow_unused, materialize_grads=materialize_grads))
    result = []
    for j, t in enumerate(ins):
        column = [r[j] for r in rows]
        if all(c is None for c in column):
            result.append(None)
            continue
        column = [Tensor._make(np.zeros_like(t._data)) if c is None else c for c in column]
        result.append(stack(column) if column else
                      Tensor._make(np.zeros((0, *t._data.shape), dtype=t._data.dtype)))
    return tuple(result)


# ``torch.autograd.function`` and ``torch.autograd.functional``, reached as attributes.
from dualgrad.autograd import function, functional  # noqa: E402
