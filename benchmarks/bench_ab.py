"""Before/after: two dualgrad trees in one process, timed in turns.

``bench_core.py --root`` measures another tree in another process, minutes apart; on a
shared machine whose speed moves by tens of percent from minute to minute, that cannot show a
5% change. This script copies each tree's ``dualgrad`` package under another name
(``dgbase``, ``dgnew``: every ``dualgrad`` in its sources renamed), imports both, and times
the same workloads with the two in alternation, keeping each one's best round (CPU time,
garbage collector off).

Which package is imported first matters: a tree against itself has read 0.975 for the chain
(and 0.99 to 1.01 at other times), and one pair of trees read 0.90 one way round and 0.97 the
other. So the script runs twice, in two processes, loading the trees in both orders, and
reports both ratios and their geometric mean; ``--one-order`` runs once.

    python benchmarks/bench_ab.py BASE_TREE NEW_TREE                  # every workload
    python benchmarks/bench_ab.py BASE_TREE NEW_TREE --only chain,tape --rounds 31

A tree is a directory holding ``dualgrad/`` (a checkout or ``git worktree add /tmp/base
HEAD``). The workloads are ``bench_core.py``'s (1a ``poly``, 1b ``seed0``, 2 ``chain``, 3
``w3``), ``bench_tape.py``'s ``tape`` and ``bench_mlp.py``'s training step (``mlp``), written
once against the package given.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from _common import single_thread

single_thread()
import numpy as np  # noqa: E402


def load_renamed(tree: str, name: str, into: Path) -> ModuleType:
    """Import ``tree``'s ``dualgrad`` package as ``name`` (a renamed copy under ``into``)."""
    target = into / name
    shutil.copytree(Path(tree) / "dualgrad", target)
    for path in target.rglob("*.py"):
        path.write_text(re.sub(r"\bdualgrad\b", name, path.read_text()))
    sys.path.insert(0, str(into))
    return importlib.import_module(name)


def workloads(dg: ModuleType) -> dict[str, tuple[Callable[[], None], int]]:
    """Each workload as (one iteration, iterations per timed sample)."""
    x1 = dg.tensor(2.0, requires_grad=True)
    x2 = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x3 = dg.tensor(np.linspace(0.1, 1.6, 16, dtype=np.float32), requires_grad=True)
    x4 = dg.tensor(np.linspace(-3, 3, 10**6, dtype=np.float32), requires_grad=True)
    x5 = dg.tensor(np.linspace(0.1, 1.0, 10))

    def poly() -> None:
        (2 * x1 ** 4 + x1 ** 3 + 3 * x1 ** 2 + 5 * x1 + 1).backward()
        x1.grad = None

    def seed0() -> None:
        y = x2 + 2
        (y * y * 2).mean().backward()
        x2.grad = None

    def chain() -> None:
        y = x3
        for _ in range(1000):
            y = y * 0.999 + 0.01 * dg.sin(y)
        y.sum().backward()
        x3.grad = None

    def w3() -> None:
        (dg.sin(x4) * dg.exp(-x4 * x4)).sum().backward()
        x4.grad = None

    def tape() -> None:
        with dg.GradientTape(persistent=True) as t:
            t.watch(x5)
            y = x5 ** 2
            z = dg.sin(y)
        t.gradient(z, y)
        t.gradient(z, x5)

    rng = np.random.default_rng(0)
    batch = dg.from_numpy(rng.standard_normal((64, 784)).astype(np.float32))
    labels = dg.from_numpy(rng.integers(0, 10, 64))
    model = dg.nn.Sequential(dg.nn.Linear(784, 128), dg.nn.Tanh(), dg.nn.Linear(128, 10))
    opt = dg.optim.SGD(model.parameters(), lr=0.01)

    def mlp() -> None:
        opt.zero_grad()
        dg.nn.functional.cross_entropy(model(batch), labels).backward()
        opt.step()

    return {"poly": (poly, 1000), "seed0": (seed0, 1000), "chain": (chain, 3),
            "w3": (w3, 3), "tape": (tape, 1000), "mlp": (mlp, 50)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the tree before (a directory holding dualgrad/)")
    parser.add_argument("new", help="the tree after")
    parser.add_argument("--only", help="comma-separated workloads (default: all)")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--one-order", action="store_true",
                        help="one process, base imported first (no swapped run)")
    args = parser.parse_args()
    if not args.one_order:
        _both_orders(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees = [workloads(load_renamed(args.base, "dgbase", Path(tmp) / "a")),
                 workloads(load_renamed(args.new, "dgnew", Path(tmp) / "b"))]
        names = args.only.split(",") if args.only else list(trees[0])
        best = {name: [float("inf"), float("inf")] for name in names}
        gc.disable()
        for r in range(args.rounds):
            for name in names:
                for k in ((0, 1) if r % 2 == 0 else (1, 0)):  # alternate who goes first
                    fn, n = trees[k][name]
                    t0 = time.process_time()
                    for _ in range(n):
                        fn()
                    best[name][k] = min(best[name][k], (time.process_time() - t0) / n * 1e6)
            gc.collect()
        gc.enable()
    print(f"CPU us per iteration, best of {args.rounds} rounds in turns")
    for name, (before, after) in best.items():
        print(f"{name:6s}  base {before:10.1f}  new {after:10.1f}  new/base {after / before:.3f}")


def _both_orders(args: argparse.Namespace) -> None:
    """Run the comparison in two processes, importing the trees in both orders."""
    import subprocess

    extra = ["--rounds", str(args.rounds), "--one-order"]
    if args.only:
        extra += ["--only", args.only]
    ratios: dict[str, list[float]] = {}
    for base, new, flip in ((args.base, args.new, False), (args.new, args.base, True)):
        out = subprocess.run([sys.executable, __file__, base, new, *extra], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines()[1:]:
            name, ratio = line.split()[0], float(line.split()[-1])
            ratios.setdefault(name, []).append(1 / ratio if flip else ratio)
    print(f"new / base, CPU time, best of {args.rounds} rounds in turns, in both import orders")
    for name, (first, second) in ratios.items():
        print(f"{name:6s}  base imported first {first:.3f}  new imported first {second:.3f}  "
              f"geometric mean {(first * second) ** 0.5:.3f}")


if __name__ == "__main__":
    main()
