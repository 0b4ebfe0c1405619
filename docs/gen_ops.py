"""mkdocs hook: fill docs/reference/ops.md with the table of registered ops.

The table is generated from ``dualgrad._registry`` at build time, so it cannot drift from the
code: the page holds the marker ``<!-- ops-table -->`` and this hook replaces it. The same
function is used by ``tests/test_docs.py``.

The hook also tidies two reStructuredText habits of the docstrings that mkdocstrings' NumPy
style leaves as text: Sphinx roles (``:meth:`x```) and the ``::`` that introduces a literal
block.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parent.parent)

MARKER = "<!-- ops-table -->"
NUMPY_MARKER = "<!-- numpy-table -->"
FUNCTIONS_MARKER = "<!-- functions-table -->"
PAGE = "reference/ops.md"
FUNCTIONS_PAGE = "reference/functions.md"


def _import_dualgrad() -> None:
    """Import dualgrad (which registers every op) from this checkout, installed or not."""
    # Done at call time: mkdocs restores sys.path after loading its plugins and hooks.
    if _ROOT not in sys.path:
        sys.path.insert(0, _ROOT)
    import dualgrad  # noqa: F401


def _numpy_name(fn: Any) -> str:
    name = getattr(fn, "__name__", repr(fn))
    module = getattr(fn, "__module__", None) or "numpy"
    # np.linalg.inv lives in numpy.linalg; ufuncs have no __module__ and are top-level.
    prefix = "np.linalg." if "linalg" in module else "np."
    return f"`{prefix}{name}`"


def _inputs_text(op: Any) -> str:
    """Which positional inputs carry a gradient, e.g. ``0, 1`` or ``0 (1: no)``."""
    from dualgrad._registry import NONDIFF

    if op.variadic:
        return "all (variadic)"
    diff = [str(i) for i, rule in enumerate(op.vjp) if rule is not NONDIFF]
    nondiff = [str(i) for i, rule in enumerate(op.vjp) if rule is NONDIFF]
    if not op.differentiable_output:
        return "none (output has no gradient)"
    if any(getattr(rule, "no_derivative", False) for rule in op.vjp):
        return "none (backward raises, as in PyTorch)"
    text = ", ".join(diff) if diff else "none"
    if nondiff:
        text += f" (not {', '.join(nondiff)})"
    return text


def _second_order_column() -> dict[str, str]:
    """Per op, whether the generic test checks its second derivative (``tests/op_cases.py``)."""
    tests_dir = str(Path(_ROOT) / "tests")
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    try:
        from op_cases import OP_CASES
    except ImportError:  # the test table needs Hypothesis; without it, say nothing
        return {}
    column = {}
    for name, case in OP_CASES.items():
        if not case.differentiable_output or case.no_derivative:
            column[name] = "n/a"
        else:
            column[name] = "tested" if case.second_order else "no"
    return column


def ops_table() -> str:
    """The Markdown table of every op in the registry, in registration order."""
    _import_dualgrad()
    from dualgrad._registry import REGISTRY

    second = _second_order_column()
    lines = [
        "| op | `grad_fn` name | differentiable inputs | 2nd order | saves "
        "| NumPy functions served | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, op in REGISTRY.items():
        saves = [s for s, on in (("inputs", op.save_inputs), ("output", op.save_ans)) if on]
        numpy_fns = ", ".join(dict.fromkeys(_numpy_name(f) for f in op.numpy)) or ""
        notes = []
        if op.view:
            notes.append("view")
        if op.doc:
            notes.append(" ".join(op.doc.split()).replace("|", "\\|"))
        lines.append(
            f"| `{name}` | `{op.grad_fn_name}` | {_inputs_text(op)} | "
            f"{second.get(name, 'no test case')} | "
            f"{', '.join(saves) or 'nothing'} | {numpy_fns} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def numpy_table() -> str:
    """The Markdown table of NumPy functions served by adapters (not directly by one op)."""
    _import_dualgrad()
    from dualgrad._registry import NUMPY_IMPLS, Op

    lines = ["| NumPy function | served by |", "|---|---|"]
    rows = []
    for fn, impl in NUMPY_IMPLS.items():
        if isinstance(impl, Op):
            continue
        where = f"`{impl.__module__}.{impl.__name__}`"
        rows.append((_numpy_name(fn), where))
    for fn_text, where in sorted(rows):
        lines.append(f"| {fn_text} | {where} |")
    return "\n".join(lines)


def functions_table() -> str:
    """The Markdown table of the module-level functions ``dg.<name>`` with their summaries.

    Most of them are made by a factory in ``dualgrad/_functions.py``, which static analysis
    (mkdocstrings) cannot see, so the table is built from the live objects.
    """
    _import_dualgrad()
    import inspect

    import dualgrad

    lines = ["| function | summary |", "|---|---|"]
    for name in sorted(dualgrad._functions.__all__):
        fn = getattr(dualgrad, name)
        doc = inspect.getdoc(fn) or ""
        summary = doc.split("\n\n")[0].replace("\n", " ").replace("|", "\\|")
        lines.append(f"| `dg.{name}` | {summary} |")
    return "\n".join(lines)


def render(markdown: str) -> str:
    """Replace the markers of the ops page by the generated tables."""
    return markdown.replace(MARKER, ops_table()).replace(NUMPY_MARKER, numpy_table())


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs hook: generate the tables on the ops reference page only."""
    if page.file.src_uri == PAGE:
        return render(markdown)
    if page.file.src_uri == FUNCTIONS_PAGE:
        return markdown.replace(FUNCTIONS_MARKER, functions_table())
    return markdown


_ROLE = re.compile(r":(?:func|meth|class|attr|mod|data|exc|obj):(?=<code>)")
_LITERAL_INTRO = re.compile(r"::</p>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs hook: drop Sphinx role prefixes and ``::`` left in rendered docstrings."""
    return _LITERAL_INTRO.sub(":</p>", _ROLE.sub("", html))
