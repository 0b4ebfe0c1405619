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

__all__ = ["Node", "AccumulateGrad"]

_next_seq = itertools.count().__next__


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
    saved_data:
        The same inputs as the forward saw them (arrays for Tensors): what first-order rules
        are called with.
    seq:
        Creation order. A node is created after the nodes of its inputs, so processing
        nodes from the highest ``seq`` down visits every consumer of a node before the node
        (what PyTorch's engine orders its ready queue by).
    out_shape, out_dtype:
        Shape and dtype of the output. The gradient reaching an input is reduced and cast to
        that input's metadata, read from its edge: ``out_shape``/``out_dtype`` of the
        producing node, or the leaf's own array; so nothing per input is stored here.
    """

    __slots__ = (
        "op",
        "params",
        "edges",
        "saved",
        "saved_data",
        "versions",
        "ans",
        "ans_version",
        "out_shape",
        "out_dtype",
        "seq",
        "freed",
        "pre_hooks",
        "retained",
        "trace",
        "__weakref__",
    )

    def __init__(self, op: Op, params: dict, edges: tuple, saved: tuple | None,
                 saved_data: tuple | None, versions: tuple | None, out_shape: tuple,
                 out_dtype: np.dtype) -> None:
        self.op = op
        self.params = params
        self.edges = edges
        self.saved = saved
        self.saved_data = saved_data
        self.versions = versions
        self.ans = None
        self.ans_version = None
        self.out_shape = out_shape
        self.out_dtype = out_dtype
        self.seq = _next_seq()
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

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython shows PyTorch's nodes (default object repr) without "object": match it.
        p.text(f"<{self.op.grad_fn_name} at {id(self):#x}>")


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
