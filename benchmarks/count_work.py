"""Deterministic work counts for the hot path: Python bytecodes, optionally CPU instructions.

Timings on a shared machine move by 10 to 50% from minute to minute (``benchmarks/README.md``),
so a change of a few percent cannot be seen in them. Two counts do not move:

* **bytecodes** executed per recorded op (the chain) or per training step (the MLP), counted
  with ``sys.settrace`` opcode events, per function and per source line. This is the work the
  interpreter does in dualgrad's own Python code; NumPy's C code is not in it.
* with ``--callgrind``, **CPU instructions** per iteration, everything included (interpreter,
  NumPy, allocation), from ``valgrind --tool=callgrind``: the difference of a run with 6
  iterations and one with 1, so start-up and imports cancel out.

Workloads (tiny arrays, so that the overhead and not the arithmetic is counted):

* ``chain``: bench_core's workload 2, ``y = y*0.999 + 0.01*sin(y)`` on 16 values, 50 times
  here (per recorded op: 201 ops), then ``sum`` and backward;
* ``mlp``: bench_mlp's training step with layers 8-4-3 and a batch of 2 (per step).

    python benchmarks/count_work.py                       # both workloads, this checkout
    python benchmarks/count_work.py --root ../base        # another tree
    python benchmarks/count_work.py --lines 30 chain      # also the 30 busiest source lines
    python benchmarks/count_work.py --callgrind mlp       # plus instructions (needs valgrind)
    python benchmarks/count_work.py --callgrind --functions 20 chain  # by C function
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import dualgrad_root, single_thread

CHAIN_STEPS = 50


def _workload(name: str):
    """The function that runs ``name`` once, and what one count is divided by."""
    import numpy as np

    import dualgrad as dg

    if name == "chain":
        x = dg.tensor(np.linspace(0.1, 1, 16).astype(np.float32), requires_grad=True)

        def chain() -> None:
            y = x
            for _ in range(CHAIN_STEPS):
                y = y * 0.999 + 0.01 * dg.sin(y)
            y.sum().backward()
            x.grad = None

        return chain, 4 * CHAIN_STEPS + 1, "recorded op"
    from dualgrad import nn
    from dualgrad.nn import functional as F

    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 3))
    opt = dg.optim.SGD(model.parameters(), lr=0.01)
    xb = dg.from_numpy(np.random.default_rng(0).random((2, 8)).astype(np.float32))
    yb = dg.from_numpy(np.array([0, 2]))

    def mlp() -> None:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    return mlp, 1, "training step"


def count_bytecodes(name: str, lines: int) -> None:
    """Print the bytecodes per op (or step) of ``name``, by function and by line."""
    run, per, unit = _workload(name)
    run()  # warm up: imports, caches, specialisation
    run()
    counts: collections.Counter = collections.Counter()

    def tracer(frame, event, arg):  # noqa: ANN001, ANN202
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            counts[(Path(code.co_filename).name, code.co_name, frame.f_lineno)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    total = sum(counts.values())
    by_function: collections.Counter = collections.Counter()
    for (file, function, _), n in counts.items():
        by_function[f"{file}:{function}"] += n
    print(f"{name}: {total / per:,.1f} bytecodes per {unit}")
    for key, n in by_function.most_common(12):
        print(f"  {n / per:9.1f}  {key}")
    if lines:
        print("  busiest lines:")
        for (file, function, line), n in counts.most_common(lines):
            print(f"  {n / per:9.1f}  {file}:{line} ({function})")


def count_instructions(name: str, root: str, functions: int = 0) -> None:
    """Print the CPU instructions per iteration of ``name`` (valgrind's callgrind), and with
    ``functions`` the busiest C functions (interpreter, allocator, NumPy) per iteration."""
    python = os.path.realpath(sys.executable)  # the binary itself, not a pyenv shim
    env = dict(os.environ, PYTHONHASHSEED="0")
    totals, by_function = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for reps in (1, 6):
            out_file = f"{tmp}/cg{reps}.out"
            out = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                 python, __file__, "--root", root, "--repeat", str(reps), name],
                capture_output=True, text=True, env=env, check=True)
            totals.append(int(re.search(r"Collected : (\d+)", out.stderr).group(1)))
            if functions:
                by_function.append(_instructions_by_function(out_file))
    _, per, unit = _workload(name)
    print(f"{name}: {(totals[1] - totals[0]) / 5 / per:,.0f} instructions per {unit}")
    if functions:
        # The difference of the two runs: start-up and imports cancel out here too.
        one, six = by_function
        diff = {f: (six.get(f, 0) - one.get(f, 0)) / 5 / per for f in set(one) | set(six)}
        for function, n in sorted(diff.items(), key=lambda item: -item[1])[:functions]:
            print(f"  {n:9.0f}  {function}")


def _instructions_by_function(out_file: str) -> dict[str, int]:
    """Instructions per C function (self cost) from a callgrind output file."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", out_file],
                          capture_output=True, text=True, check=True).stdout
    counts: dict[str, int] = collections.Counter()
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)", line)
        if match and "PROGRAM TOTALS" not in line:
            where = match.group(2).split(" [")[0]
            # "/tmp/python-build.../Python-3.11.7/Python/ceval.c:fn" -> "Python/ceval.c:fn"
            where = re.sub(r".*/Python-[\d.]+/", "", where)
            counts[where] += int(match.group(1).replace(",", ""))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workloads", nargs="*", help="chain, mlp (default: both)")
    parser.add_argument("--root", help="directory holding the dualgrad package to count "
                        "(default: this checkout)")
    parser.add_argument("--lines", type=int, default=0, help="show the N busiest lines")
    parser.add_argument("--callgrind", action="store_true",
                        help="also count CPU instructions with valgrind (about 30 s each)")
    parser.add_argument("--functions", type=int, default=0,
                        help="with --callgrind: show the N busiest C functions")
    parser.add_argument("--repeat", type=int, help=argparse.SUPPRESS)  # callgrind's child
    args = parser.parse_args()
    workloads = args.workloads or ["chain", "mlp"]
    unknown = set(workloads) - {"chain", "mlp"}
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))} (chain, mlp)")
    root = args.root or dualgrad_root()
    sys.path.insert(0, str(root))
    if args.repeat is not None:
        import gc

        gc.disable()  # as the timings run (bench_core, bench_mlp)
        run, _, _ = _workload(workloads[0])
        run()
        run()
        for _ in range(args.repeat):
            run()
        return
    for name in workloads:
        count_bytecodes(name, args.lines)
        if args.callgrind:
            count_instructions(name, str(root), args.functions)


if __name__ == "__main__":
    single_thread()
    main()
