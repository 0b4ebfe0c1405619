"""Timing helpers shared by the benchmark scripts (kept tiny and stable).

Import this module *before* NumPy and call :func:`single_thread` first, so that every
library measured (NumPy's BLAS, PyTorch) runs on one thread::

    from _common import single_thread, table, timeit_us
    single_thread()
    import numpy as np  # noqa: E402

This module deliberately imports nothing heavy at import time.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["single_thread", "timeit_us", "table", "torch_or_none", "dualgrad_root"]

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def dualgrad_root() -> str:
    """The checkout whose ``dualgrad`` a script measures: ``--root DIR`` on the command line
    (read before anything is imported, for before/after comparisons in one sitting), else
    the one holding ``benchmarks/``. The caller puts it first on ``sys.path``."""
    if "--root" in sys.argv:
        return os.path.abspath(sys.argv[sys.argv.index("--root") + 1])
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def single_thread() -> None:
    """Ask every BLAS / OpenMP runtime for one thread.

    Must run before NumPy (or PyTorch) is imported: the runtimes read these variables once,
    when they load.

    Raises
    ------
    RuntimeError
        If NumPy was imported already without these settings (they would silently have no
        effect). Calling it again after a first call is fine.
    """
    if all(os.environ.get(var) == "1" for var in _THREAD_VARS):
        return
    if "numpy" in sys.modules:
        raise RuntimeError("single_thread() must be called before numpy is imported")
    for var in _THREAD_VARS:
        os.environ[var] = "1"


def timeit_us(fn: Callable[[], Any], repeat: int = 7, number: int = 100,
              clock: Callable[[], float] = time.process_time) -> float:
    """Best-of-``repeat`` time of one call of ``fn``, in microseconds.

    Each of the ``repeat`` samples times ``number`` back-to-back calls with the garbage
    collector off (as :mod:`timeit` does) and divides by ``number``; the minimum is returned
    because on a shared machine noise only ever adds time.

    The default clock is the process's CPU time (user + system), not wall time: for
    single-threaded work it is the same on an idle machine, and on a machine shared with
    other jobs it does not count the time the process spends waiting for a core. Pass
    ``clock=time.perf_counter`` for wall time.
    """
    fn()  # warm-up: first-call caches, lazy imports
    best = float("inf")
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = clock()
            for _ in range(number):
                fn()
            best = min(best, (clock() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best * 1e6


def table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    """Format ``rows`` as a plain-text table (floats with 3 significant digits), print it,
    and return the text."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
        return "-" if v is None else str(v)

    body = [[cell(v) for v in r] for r in rows]
    if header is not None:
        body.insert(0, list(header))
    widths = [max(len(r[i]) for r in body if i < len(r)) for i in range(max(map(len, body)))]
    lines = []
    for k, r in enumerate(body):
        lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(r, widths))))
        if k == 0 and header is not None:
            lines.append("  ".join("-" * w for w in widths))
    text = "\n".join(lines)
    print(text)
    return text


def torch_or_none() -> Any:
    """PyTorch set to one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch
