"""Pictures of a recorded graph: Graphviz DOT text, and SVG/PNG files with the optional
``graphviz`` package (``pip install 'dualgrad[viz]'``, plus Graphviz's ``dot`` program).

The drawing follows torchviz, the figures PyTorch tutorials show: one box per recorded
operation, labelled with its ``grad_fn`` name; for each leaf an ``AccumulateGrad`` box fed by
a blue box with the leaf's name and shape; the tensor drawn from in green. Arrows point the way
the forward pass ran (inputs to outputs)::

    x (2)  -->  AccumulateGrad  -->  MulBackward0  -->  SumBackward0  -->  loss ()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dualgrad import _engine
from dualgrad._node import Node
from dualgrad._tensor import Tensor

__all__ = ["graph", "render"]

_ERR_NO_GRAPHVIZ = ("dg.viz.render needs the optional graphviz package: pip install "
                    "'dualgrad[viz]' (and Graphviz's dot program, e.g. apt install graphviz). "
                    "dg.viz.graph(...) returns the DOT text without it.")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _roots_of(target: Any, tape: Any) -> list[Tensor]:
    if target is None:
        return []
    if isinstance(target, Tensor):
        return [target]
    if isinstance(target, (tuple, list)):
        roots = []
        for t in target:
            if not isinstance(t, Tensor):
                raise TypeError(f"dg.viz.graph draws Tensors, got a {type(t).__name__}")
            roots.append(t)
        return roots
    raise TypeError(f"dg.viz.graph draws Tensors (or a GradientTape), got a "
                    f"{type(target).__name__}")


def graph(target: Any = None, params: Mapping[str, Tensor] | None = None, *, tape: Any = None,
          name: str = "output") -> str:
    """The recorded graph behind ``target`` as Graphviz DOT text.

    Parameters
    ----------
    target:
        A Tensor (or a list of them) to draw the graph of; or a ``GradientTape`` (or None with
        ``tape=``) to draw everything the tape recorded.
    params:
        Names for leaves, e.g. ``dict(model.named_parameters())`` or ``{"w": w}``; unnamed
        leaves are labelled by their shape only.
    tape:
        Draw only what this tape recorded.
    name:
        The label of ``target`` in the picture.

    Returns
    -------
    str
        DOT source: paste it into any Graphviz viewer, or pass it to :func:`render`.

    Raises
    ------
    TypeError
        For something that is not a Tensor or a tape.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> print(dg.viz.graph((x * 3).sum(), {"x": x}))
    digraph {
        graph [rankdir=TB]
        node [shape=box style=filled fillcolor=white fontname=monospace fontsize=10 height=0.2]
        t0 [label="output\\n()" fillcolor=darkolivegreen1]
        n0 [label="SumBackward0"]
        n0 -> t0
        n1 [label="MulBackward0"]
        n1 -> n0
        a0 [label=AccumulateGrad fillcolor=lightgrey]
        l0 [label="x\\n(2)" fillcolor=lightblue]
        l0 -> a0
        a0 -> n1
    }
    """
    from dualgrad.tape import GradientTape

    if isinstance(target, GradientTape):
        target, tape = None, target
    roots = _roots_of(target, tape)
    restrict = tape._nodes if tape is not None else None
    names = {id(t): n for n, t in (params or {}).items()}
    lines = ["digraph {", "    graph [rankdir=TB]",
             "    node [shape=box style=filled fillcolor=white fontname=monospace fontsize=10 "
             "height=0.2]"]
    node_ids: dict[Node, str] = {}
    leaf_ids: dict[int, str] = {}
    expanded: set[Node] = set()

    def node_id(node: Node) -> str:
        if node not in node_ids:
            node_ids[node] = f"n{len(node_ids)}"
            lines.append(f"    {node_ids[node]} [label={_quote(node.name())}]")
        return node_ids[node]

    def leaf_id(t: Tensor) -> str:
        if id(t) not in leaf_ids:
            k = leaf_ids[id(t)] = str(len(leaf_ids))
            shape = _shape(t._data.shape)
            label = f"{names[id(t)]}\n{shape}" if id(t) in names else shape
            lines.append(f"    a{k} [label=AccumulateGrad fillcolor=lightgrey]")
            lines.append(f"    l{k} [label={_quote(label)} fillcolor=lightblue]")
            lines.append(f"    l{k} -> a{k}")
        return f"a{leaf_ids[id(t)]}"

    starts: list[Node] = []
    for i, root in enumerate(roots):
        label = name if len(roots) == 1 else f"{name} {i}"
        lines.append(f"    t{i} [label={_quote(label + chr(10) + _shape(root._data.shape))} "
                     "fillcolor=darkolivegreen1]")
        node = root._node
        if node is None or (restrict is not None and node not in restrict):
            continue
        lines.append(f"    {node_id(node)} -> t{i}")
        starts.append(node)
    if tape is not None and not roots:
        # The whole record: start from the nodes no other recorded node consumes.
        consumed = {e for n in restrict for e in n.edges if e.__class__ is Node}
        starts = sorted(restrict - consumed, key=lambda n: n.name())
    for start in starts:
        for node in _engine.walk(start, restrict):
            if node in expanded:
                continue
            expanded.add(node)
            nid = node_id(node)
            for e in node.edges:
                if e is None:
                    continue
                if e.__class__ is Node:
                    if restrict is None or e in restrict:
                        lines.append(f"    {node_id(e)} -> {nid}")
                else:
                    lines.append(f"    {leaf_id(e)} -> {nid}")
    lines.append("}")
    return "\n".join(lines)


def render(target: Any, path: str, format: str = "svg",
           params: Mapping[str, Tensor] | None = None, *, tape: Any = None) -> str:
    """Draw the graph behind ``target`` (see :func:`graph`) into a file.

    Parameters
    ----------
    target, params, tape:
        As in :func:`graph`.
    path:
        The file to write, without or with the extension.
    format:
        Any Graphviz output format: ``"svg"``, ``"png"``, ``"pdf"``...

    Returns
    -------
    str
        The path of the written file.

    Raises
    ------
    ImportError
        When the optional ``graphviz`` package is not installed (the ``[viz]`` extra).
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError(_ERR_NO_GRAPHVIZ) from None
    source = graphviz.Source(graph(target, params, tape=tape))
    suffix = f".{format}"
    outfile = path if path.endswith(suffix) else path + suffix
    return source.render(outfile=outfile, format=format, cleanup=True)
