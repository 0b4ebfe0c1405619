"""Graph nodes: ``Node`` (a recorded operation, what ``tensor.grad_fn`` returns) and
``AccumulateGrad`` (the node PyTorch shows for a leaf).

Nodes are plain records; :mod:`dualgrad._engine` creates them (``record``) and walks them
(``backward``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dualgrad._registry import Op

if TYPE_CHECKING:
    from dualgrad._tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "new_node", "FREED"]

_next_seq = itertools.count().__next__


def _extra(name: str, doc: str) -> property:
    """A property of :class:`Node` kept in its ``extras`` (None until first set)."""

    def get(node: Node) -> Any:
        return None if node.extras is None else getattr(node.extras, name)

    def set_(node: Node, value: Any) -> None:
        setattr(node._extras(), name, value)

    return property(get, set_, doc=doc)


class Node:
    """A recorded operation: what ``tensor.grad_fn`` returns.

    Made by :func:`new_node` (one per recorded op, so it is built without an ``__init__``
    call).

    Attributes
    ----------
    op:
        The registry :class:`~dualgrad._registry.Op`.
    edges:
        One entry per positional input: the producing ``Node``, the leaf ``Tensor``, or None.
    saved:
        The inputs the rules read (Tensors or Python values), freed after backward.
    saved_data:
        The same inputs as the forward saw them (arrays for Tensors): what first-order rules
        are called with.
    versions:
        ``(version_counter, version)`` of each Tensor in ``saved``, then of the output if
        ``ans`` is kept: what the backward checks before it runs the rules. None if nothing
        was kept; :data:`FREED` once backward has freed the saved values.
    ans:
        The output array, for rules that read it (``op.save_ans``), else None.
    seq:
        Creation order. A node is created after the nodes of its inputs, so processing
        nodes from the highest ``seq`` down visits every consumer of a node before the node
        (what PyTorch's engine orders its ready queue by).
    out_shape, out_dtype:
        Shape and dtype of the output. The gradient reaching an input is reduced and cast to
        that input's metadata, read from its edge: ``out_shape``/``out_dtype`` of the
        producing node, or the leaf's own array; so nothing per input is stored here.
    extras:
        None, or what few nodes need (:attr:`pre_hooks`, :attr:`retained`, :attr:`trace`):
        kept apart so that the backward tests one slot per node for all of them.
    """

    __slots__ = (
        "op",
        "params",
        "edges",
        "saved",
        "saved_data",
        "versions",
        "ans",
        "out_shape",
        "out_dtype",
        "seq",
        "extras",
        "__weakref__",
    )

    @property
    def freed(self) -> bool:
        """True once a backward without ``retain_graph`` has freed the saved values."""
        return self.versions is FREED

    pre_hooks = _extra("pre_hooks", "Hooks of the output tensor (``register_hook`` on a "
                       "non-leaf), by handle id; None if there are none.")
    retained = _extra("retained", "A weak reference to the output tensor after its "
                      "``retain_grad()``, else None.")
    trace = _extra("trace", "Where the op was called from (anomaly mode), as "
                   "``traceback.format_stack`` lines; else None.")

    def _extras(self) -> _NodeExtras:
        if self.extras is None:
            self.extras = _NodeExtras()
        return self.extras

    def name(self) -> str:
        """PyTorch's name of this node, e.g. ``"MulBackward0"``."""
        name = self.op.grad_fn_name
        # PyTorch's node of an op without a derivative (``x // y``) prints as
        # <NotImplemented> but is a C++ class named with its namespace.
        return "torch::autograd::NotImplemented" if name == "NotImplemented" else name

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

    def register_prehook(self, fn: Callable) -> Any:
        """Call ``fn(grad_outputs)`` before this node runs, as PyTorch's
        ``Node.register_prehook``.

        ``grad_outputs`` is a one-element tuple (a dualgrad node has one output); ``fn`` may
        return a tuple holding the gradient to use instead, or None. It runs with the tensor
        hooks of the node's output, in registration order. Returns a handle whose
        ``remove()`` unregisters it.
        """
        from dualgrad._tensor import _HookHandle

        def as_tensor_hook(grad: Any) -> Any:
            result = fn((grad,))
            if result is None:
                return None
            if not isinstance(result, (tuple, list)) or len(result) != 1:
                raise RuntimeError(f"hook '{getattr(fn, '__name__', '<unknown>')}' has returned "
                                   f"an incorrect number of values (got "
                                   f"{len(result) if isinstance(result, (tuple, list)) else 1},"
                                   " but expected 1)")
            return result[0]

        as_tensor_hook.__name__ = getattr(fn, "__name__", "<unknown>")
        if self.pre_hooks is None:
            self.pre_hooks = {}
        return _HookHandle(self.pre_hooks, as_tensor_hook)

    def __repr__(self) -> str:
        return f"<{self.op.grad_fn_name} object at {id(self):#x}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython shows PyTorch's nodes (default object repr) without "object": match it.
        p.text(f"<{self.op.grad_fn_name} at {id(self):#x}>")


# ``versions`` of a freed node. Its one pair never matches (the counter reads 1, the version
# 0), so the backward's version check, which runs anyway, is what finds the node freed and
# raises: no separate test per node.
FREED = (([1], 0),)


def new_node(op: Op, params: dict, edges: tuple, saved: tuple | None,
             saved_data: tuple | None, versions: tuple | None, out_shape: tuple,
             out_dtype: np.dtype) -> Node:
    """A new :class:`Node` (``ans`` None, no extras), numbered after every earlier node."""
    node = Node()  # (a plain call: cheaper than object.__new__(Node), and Node has no __init__)
    node.op = op
    node.params = params
    node.edges = edges
    node.saved = saved
    node.saved_data = saved_data
    node.versions = versions
    node.ans = None
    node.out_shape = out_shape
    node.out_dtype = out_dtype
    node.seq = _next_seq()
    node.extras = None
    return node


class _NodeExtras:
    """The rarely set parts of a node (see :attr:`Node.extras`)."""

    __slots__ = ("pre_hooks", "retained", "trace")

    def __init__(self) -> None:
        self.pre_hooks = None
        self.retained = None
        self.trace = None


class AccumulateGrad:
    """The node PyTorch shows for a leaf that requires grad; ``variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        """``"torch::autograd::AccumulateGrad"``, as PyTorch names it (its class name,
        ``type(node).__name__``, is ``AccumulateGrad``)."""
        return "torch::autograd::AccumulateGrad"

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
