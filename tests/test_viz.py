"""``dg.viz``: the DOT text of a recorded graph (structure checked by parsing it back) and
rendering through the optional graphviz package."""

from __future__ import annotations

import re
import sys
import types

import pytest

import dualgrad as dg

_DECL = re.compile(r'^    (\w+) \[label=("(?:[^"\\]|\\.)*"|\w+)(?: fillcolor=(\w+))?\]$')
_EDGE = re.compile(r"^    (\w+) -> (\w+)$")


def parse(dot: str) -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, str]]]:
    """Node id -> (label, fill colour) and the edges; fails on any line it does not know."""
    lines = dot.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    nodes: dict[str, tuple[str, str | None]] = {}
    edges = []
    for line in lines[1:-1]:
        if line.startswith(("    graph [", "    node [")):
            continue
        if m := _DECL.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = (m.group(2).strip('"').replace("\\n", "\n"), m.group(3))
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            raise AssertionError(f"unexpected DOT line: {line!r}")
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} uses an undeclared node"
    return nodes, edges


def labels(nodes: dict) -> list[str]:
    return sorted(label for label, _ in nodes.values())


def test_graph_of_a_small_model() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    w = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = (w @ x + x).tanh().mean()
    nodes, edges = parse(dg.viz.graph(loss, {"x": x, "w": w}, name="loss"))
    assert labels(nodes) == sorted([
        "loss\n()", "MeanBackward0", "TanhBackward0", "AddBackward0", "MvBackward0",
        "AccumulateGrad", "AccumulateGrad", "x\n(2)", "w\n(2, 2)"])
    by_label = {label: nid for nid, (label, _) in nodes.items()}
    assert nodes[by_label["loss\n()"]][1] == "darkolivegreen1"
    assert nodes[by_label["x\n(2)"]][1] == "lightblue"
    # Arrows run forward: x feeds AccumulateGrad, which feeds both AddBackward0 and MvBackward0.
    acc_x = next(b for a, b in edges if a == by_label["x\n(2)"])
    assert nodes[acc_x][0] == "AccumulateGrad"
    assert {nodes[b][0] for a, b in edges if a == acc_x} == {"AddBackward0", "MvBackward0"}
    assert (by_label["MeanBackward0"], by_label["loss\n()"]) in edges
    assert len(edges) == len(set(edges))


def test_every_node_once_in_a_diamond() -> None:
    a = dg.tensor(1.0, requires_grad=True)
    b = a * 2
    c = b + b  # b reaches c twice
    d = c * b
    nodes, edges = parse(dg.viz.graph(d))
    names = labels(nodes)
    assert names.count("MulBackward0") == 2 and names.count("AddBackward0") == 1
    assert names.count("AccumulateGrad") == 1
    assert "()" in names  # the unnamed leaf is labelled by its shape
    add = next(n for n, (label, _) in nodes.items() if label == "AddBackward0")
    assert sum(1 for _, dst in edges if dst == add) == 2  # both uses of b are drawn


def test_deep_chain_is_drawn_without_recursion() -> None:
    x = dg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges = parse(dg.viz.graph(y))
    assert labels(nodes).count("MulBackward0") == 3000
    assert len(edges) == 3000 + 2  # the chain, leaf -> AccumulateGrad, last op -> output


def test_leaf_and_constant_have_no_ops() -> None:
    x = dg.tensor([1.0, 2.0, 3.0])
    nodes, edges = parse(dg.viz.graph(x, name="x"))
    assert labels(nodes) == ["x\n(3)"] and edges == []


def test_several_outputs() -> None:
    x = dg.tensor([1.0], requires_grad=True)
    nodes, _ = parse(dg.viz.graph([x.sin(), x.cos()]))
    assert {"output 0\n(1)", "output 1\n(1)", "SinBackward0", "CosBackward0"} <= set(
        labels(nodes))
    assert labels(nodes).count("AccumulateGrad") == 1


def test_tape_record_only() -> None:
    x = dg.constant([1.0, 2.0])
    with dg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = dg.exp(x) * 2
    z = y.sum()  # after the block: not on the tape
    whole = labels(parse(dg.viz.graph(tape))[0])
    assert whole == sorted(["ExpBackward0", "MulBackward0", "AccumulateGrad", "(2)"])
    nodes, _ = parse(dg.viz.graph(z, tape=tape))
    assert "SumBackward0" not in labels(nodes)


def test_bad_argument() -> None:
    with pytest.raises(TypeError, match="dg.viz.graph draws Tensors"):
        dg.viz.graph(3.0)


def test_render_without_graphviz_names_the_extra(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    x = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match=r"pip install 'dualgrad\[viz\]'"):
        dg.viz.render(x * 2, str(tmp_path / "g"))


def test_render_with_graphviz(monkeypatch, tmp_path) -> None:
    calls = {}

    class Source:
        def __init__(self, text: str) -> None:
            calls["text"] = text

        def render(self, outfile: str, format: str, cleanup: bool) -> str:
            calls.update(outfile=outfile, format=format)
            return outfile

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    x = dg.tensor([1.0], requires_grad=True)
    y = x * 2
    out = dg.viz.render(y, str(tmp_path / "g"), format="png")
    assert out == str(tmp_path / "g.png") and calls["format"] == "png"
    assert calls["text"] == dg.viz.graph(y)


def test_dot_program_accepts_the_text() -> None:
    import shutil
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot program is not installed")
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    text = dg.viz.graph((x.exp() * x).sum(), {'x "quoted"\\name': x})
    done = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "ExpBackward0" in done.stdout
