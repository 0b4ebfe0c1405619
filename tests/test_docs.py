"""Every Python code block of the docs and the README runs, so no page can drift from the code.

Conventions a page can use (all visible in the Markdown source):

* Blocks on one page run in order in one namespace, like the cells of a notebook.
* A ``python`` block directly followed by a ``text`` block: the text block is the exact
  standard output the Python block prints (``...`` stands for anything, e.g. an address).
* A ``python`` block whose every ``print(...)`` line ends in a comment
  (``print(x)  # tensor(93.)``): the comments are the printed lines, in order.
* ``<!-- raises RuntimeError -->`` or ``<!-- raises RuntimeError: message start -->`` on the line
  before a block: the block must raise that error (and the message must start with the text);
  ``<!-- warns UserWarning: ... -->`` likewise for a warning. A ``text`` block right after a
  block that raises shows the last line of the traceback, ``RuntimeError: message``.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import time
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>```+|~~~+)\s*(?P<info>[^\n`]*)$")
_MARKER = re.compile(
    r"<!--\s*(?P<kind>raises|warns)\s+(?P<exc>\w+)\s*(?::\s*(?P<msg>.*?))?\s*-->")


@dataclass
class Block:
    """One fenced code block of a page."""

    lang: str
    code: str
    line: int
    raises: tuple[str, str, str | None] | None = None  # (raises|warns, type name, message)
    expected_output: str | None = None


def _blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with the markers that apply to them."""
    lines = text.splitlines()
    blocks: list[Block] = []
    marker = ""  # the last non-blank line before the current fence
    prose_since_block = True
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                marker = lines[i].strip()
                prose_since_block = True
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        lang = m["info"].strip().split(" ")[0].lstrip("{.").rstrip("}").lower()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        block = Block(lang, "\n".join(line[indent:] for line in lines[i + 1:j]), i + 2)
        rm = _MARKER.fullmatch(marker)
        if rm:
            block.raises = (rm["kind"], rm["exc"], rm["msg"])
        # A text block right after a python block (blank lines only between) is its output.
        if (lang == "text" and not prose_since_block and blocks
                and blocks[-1].lang == "python" and blocks[-1].expected_output is None):
            blocks[-1].expected_output = block.code
        blocks.append(block)
        marker = ""
        prose_since_block = False
        i = j + 1
    return blocks


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _python_pages() -> list[Path]:
    return [p for p in _pages() if any(b.lang == "python" for b in _blocks(p.read_text()))]


def _comment_outputs(code: str) -> list[str] | None:
    """The ``# ...`` comments of the ``print`` lines, if every print line has one."""
    outs = []
    for line in code.splitlines():
        if line.lstrip().startswith("print("):
            m = re.search(r"\)\s+#\s?(.*)$", line)
            if m is None:
                return None
            outs.append(m[1].rstrip())
    return outs or None


def _matches(printed: str, expected: str) -> bool:
    """Exact comparison, where ``...`` in the expected text stands for anything (doctest's
    ELLIPSIS), for memory addresses."""
    printed, expected = printed.rstrip(), expected.rstrip()
    if "..." not in expected:
        return printed == expected
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, printed, flags=re.S) is not None


def _run_expecting(code: types.CodeType, namespace: dict, marker: tuple, where: str) -> str:
    """Run ``code`` that must raise (or warn) what the page's marker says; returns the
    ``"Type: message"`` line a traceback ends with."""
    kind, exc_name, msg = marker
    exc_type = getattr(builtins, exc_name, None)
    assert isinstance(exc_type, type), f"{where}: unknown exception {exc_name}"
    if kind == "raises":
        # Warnings on the way to the error (e.g. NumPy's about a NaN) are not the point here.
        warnings.simplefilter("ignore")
        with pytest.raises(exc_type) as info:
            exec(code, namespace)
        message = str(info.value)
        raised = type(info.value)
        if raised is not exc_type:  # a subclass: the traceback names it, module and all
            module = "" if raised.__module__ == "builtins" else f"{raised.__module__}."
            exc_name = f"{module}{raised.__qualname__}"
    else:
        with pytest.warns(exc_type) as record:
            exec(code, namespace)
        message = str(record[0].message)
    if msg:
        assert message.startswith(msg), f"{where}: {message!r} does not start with {msg!r}"
    return f"{exc_name}: {message}"


def _run_page(path: Path) -> None:
    import dualgrad
    from dualgrad import _registry

    # A page may declare an op (the how-to does): keep the registry as the other tests see it.
    registry = dict(_registry.REGISTRY)
    numpy_impls = dict(_registry.NUMPY_IMPLS)
    namespace: dict = {"__name__": f"docs_page_{path.stem.replace('-', '_')}"}
    dualgrad.manual_seed(0)
    try:
        for block in _blocks(path.read_text()):
            if block.lang not in ("python", "py"):
                continue
            where = f"{path.relative_to(ROOT)}:{block.line}"
            out = io.StringIO()
            code = compile(block.code, where, "exec")
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("error")  # a page must not teach code that warns
                # (but as a reader runs it: with the filter dualgrad installs at import)
                warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"dualgrad\.")
                if block.raises is None:
                    exec(code, namespace)
                else:
                    error_line = _run_expecting(code, namespace, block.raises, where)
            printed = out.getvalue()
            if block.raises is not None and block.raises[0] == "raises":
                # The text block after an error example shows the error, as a traceback ends
                # (wrapped over lines on the page: compare with whitespace normalised).
                printed = " ".join(error_line.split())
                if block.expected_output is not None:
                    block.expected_output = " ".join(block.expected_output.split())
            if block.expected_output is not None:
                assert _matches(printed, block.expected_output), (
                    f"{where}: printed\n{printed}\nbut the page shows\n{block.expected_output}")
            else:
                expected = _comment_outputs(block.code)
                if expected is not None and (block.raises is None or block.raises[0] == "warns"):
                    assert [s.rstrip() for s in printed.rstrip("\n").split("\n")] == expected, (
                        f"{where}: printed\n{printed}\nbut the comments say\n{expected}")
    finally:
        _registry.REGISTRY.clear()
        _registry.REGISTRY.update(registry)
        _registry.NUMPY_IMPLS.clear()
        _registry.NUMPY_IMPLS.update(numpy_impls)


@pytest.mark.parametrize("path", _python_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_code_runs(path: Path) -> None:
    # A fresh context per page: grad mode or a tape left on by one page cannot leak.
    contextvars.copy_context().run(_run_page, path)


def test_collector_sees_markers() -> None:
    text = (
        "```python\nprint(1)\n```\n\n```text\n1\n```\n\n"
        "<!-- raises ValueError: bad -->\n```python\nraise ValueError('bad thing')\n```\n"
    )
    blocks = _blocks(text)
    assert [b.lang for b in blocks] == ["python", "text", "python"]
    assert blocks[0].expected_output == "1"
    assert blocks[2].raises == ("raises", "ValueError", "bad")
    assert _comment_outputs("x = 1\nprint(x)  # 1\nprint(x + 1)  # 2") == ["1", "2"]
    assert _comment_outputs("print(x)\nprint(y)  # 2") is None
    assert _matches("<AddBackward0 object at 0x7f00>\n", "<AddBackward0 object at 0x...>")
    assert not _matches("<MulBackward0 object at 0x7f00>", "<AddBackward0 object at 0x...>")


def test_every_python_block_is_collected() -> None:
    """Guard against a fence the collector misreads: count fences by a simpler rule."""
    for path in _pages():
        text = path.read_text()
        naive = len(re.findall(r"^[ ]*```python\s*$", text, flags=re.M))
        assert naive == sum(b.lang == "python" for b in _blocks(text)), path


def test_graph_pictures_match_their_pages() -> None:
    """Each graph picture is drawn from a .dot file that its page prints (so the picture shows
    what the code records), and the committed SVG has every label of the .dot file."""
    pictures = 0
    for page in DOCS.rglob("*.md"):
        text = page.read_text()
        for svg_ref in re.findall(r"\]\(([^)\s]+\.svg)\)", text):
            svg = (page.parent / svg_ref).resolve()
            dot = svg.with_suffix(".dot")
            assert svg.exists() and dot.exists(), svg
            dot_text = dot.read_text().strip()
            shown = [b.code.strip() for b in _blocks(text) if b.lang == "text"]
            assert dot_text in shown, f"{page}: no output block shows {dot.name}"
            svg_text = svg.read_text()
            for label in re.findall(r'label=(?:"([^"]+)"|(\w+))', dot_text):
                for line in "".join(label).split("\\n"):  # a DOT label's lines
                    assert f">{line}<" in svg_text, f"{svg.name} lacks {line}: re-run dot"
            pictures += 1
    assert pictures >= 1


def _load_gen_ops() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("gen_ops", DOCS / "gen_ops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ops_table_lists_every_registered_op() -> None:
    from dualgrad._registry import REGISTRY

    gen_ops = _load_gen_ops()
    table = gen_ops.ops_table()
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == len(REGISTRY)
    for (name, op), row in zip(REGISTRY.items(), rows):
        assert row.startswith(f"| `{name}` | `{op.grad_fn_name}` |")
    page = (DOCS / gen_ops.PAGE).read_text()
    assert gen_ops.MARKER in page and gen_ops.NUMPY_MARKER in page
    assert gen_ops.FUNCTIONS_MARKER in (DOCS / gen_ops.FUNCTIONS_PAGE).read_text()


def test_functions_table_has_a_summary_for_every_function() -> None:
    import dualgrad

    rows = _load_gen_ops().functions_table().splitlines()[2:]
    assert len(rows) == len(dualgrad._functions.__all__)
    assert all(not row.endswith("|  |") for row in rows), "a function without a docstring"


def test_nav_lists_every_page_and_only_existing_ones() -> None:
    nav_text = (ROOT / "mkdocs.yml").read_text().split("\nnav:", 1)[1]
    in_nav = set(re.findall(r"([\w/.-]+\.md)", nav_text))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert in_nav <= on_disk, in_nav - on_disk
    assert on_disk <= in_nav, f"pages not in the nav: {on_disk - in_nav}"


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="mkdocs is not installed")
def test_site_builds_strict(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir",
         str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "tutorials" / "02-graph" / "index.html").exists()
    assert time.perf_counter() - start < 60
