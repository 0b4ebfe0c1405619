"""What Python's garbage collector costs dualgrad on a deep graph, and what ``gc.freeze()`` saves.

Every recorded op leaves a few objects that Python's cyclic garbage collector tracks (the
node, its tuples of inputs and saved values) alive until backward. A 4,000-op forward makes
about 16,000 of them, enough to trigger collections of the oldest generation, and such a
collection walks every tracked object of the process: 25,000 after ``import dualgrad``,
about 170,000 once PyTorch is imported too. PyTorch's own graph lives in C++ and is never
walked. ``gc.freeze()`` after the imports moves what exists then out of the collector's
sight, so a collection walks only the young objects.

The workload is ``bench_core.py``'s chain (``y = y*0.999 + 0.01*sin(y)``, 1,000 times, on 16
values, then backward). Each scenario runs in its own process; the figure is the *mean* CPU
time per recorded op over all runs (a best-of would hide the collections, which come every
few runs), with the number of collections of each generation per run:

    python benchmarks/bench_gc.py                # about half a minute
    python benchmarks/bench_gc.py --runs 80

A measurement, not a test. Without PyTorch installed the two "torch imported" rows are
skipped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import dualgrad_root, table

SCENARIOS = {
    "numpy only, gc on": ("none", True),
    "numpy only, gc off": ("none", False),
    "torch imported, gc on": ("torch", True),
    "torch imported, gc off": ("torch", False),
    "torch imported, gc.freeze(), gc on": ("freeze", True),
}


def worker(extra: str, gc_on: bool, runs: int) -> dict:
    """Mean CPU microseconds per op of the chain, and collections per run by generation."""
    import gc
    import time

    sys.path.insert(0, dualgrad_root())
    import numpy as np

    if extra in ("torch", "freeze"):
        import torch  # noqa: F401
    import dualgrad as dg

    x = dg.tensor(np.linspace(0.1, 1, 16).astype(np.float32), requires_grad=True)

    def chain() -> None:
        y = x
        for _ in range(1000):
            y = y * 0.999 + 0.01 * dg.sin(y)
        y.sum().backward()
        x.grad = None

    for _ in range(3):
        chain()
    if extra == "freeze":
        gc.freeze()
    tracked = len(gc.get_objects())
    collections = [0, 0, 0]

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections[info["generation"]] += 1

    gc.callbacks.append(count)
    if not gc_on:
        gc.disable()
    start = time.process_time()
    for _ in range(runs):
        chain()
    elapsed = time.process_time() - start
    gc.enable()
    return {"us_per_op": elapsed / runs / 4001 * 1e6, "tracked": tracked,
            "per_run": [c / runs for c in collections]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--worker", nargs=2, metavar=("EXTRA", "GC_ON"))
    parser.add_argument("--root", help="directory holding the dualgrad package to measure "
                        "(default: this checkout)")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1] == "1", args.runs)))
        return
    import importlib.util

    has_torch = importlib.util.find_spec("torch") is not None
    rows = []
    for name, (extra, gc_on) in SCENARIOS.items():
        if extra != "none" and not has_torch:
            continue
        command = [sys.executable, __file__, "--worker", extra, "1" if gc_on else "0",
                   "--runs", str(args.runs)]
        if args.root:
            command += ["--root", args.root]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        gen0, gen1, gen2 = res["per_run"]
        rows.append([name, res["us_per_op"], res["tracked"], gen0, gen1, gen2])
    print(f"chain of 4,001 recorded ops on 16 values, mean over {args.runs} runs (CPU time)")
    table(rows, header=["scenario", "us per op", "tracked objects", "gen0 / run",
                        "gen1 / run", "gen2 / run"])


if __name__ == "__main__":
    main()
