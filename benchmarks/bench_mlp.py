"""MLP training-step benchmark: dualgrad vs hand-written NumPy (the floor) vs PyTorch.

An MLP 784-128-10 (tanh, softmax cross-entropy), batch 64, one SGD step including
``zero_grad``, single-threaded BLAS. It reports

* CPU ms per step, best of many rounds in which the implementations take turns in one
  process (as ``bench_core.py`` times: on a shared machine the load changes from second to
  second, and only interleaved best-of figures give ratios that repeat);
* from one process per implementation (so resident-set sizes do not mix): the median CPU ms
  per step there, the peak resident set size over the run (``ru_maxrss``), and the RSS
  growth between step 50 and step 300 (a leak shows up here).

Run ``python benchmarks/bench_mlp.py`` (``--turns N`` for more timing rounds, ``--root DIR``
to measure the dualgrad of another checkout). This is a
measurement, not a test: it prints a table with ratios to the NumPy floor.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _common import dualgrad_root, timeit_us  # noqa: E402

IN, HIDDEN, OUT, BATCH, LR = 784, 128, 10, 64, 0.01
MEM_STEPS = 300
ROOT = Path(dualgrad_root())


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(np):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((BATCH, IN)).astype(np.float32) for _ in range(8)]
    ys = [rng.integers(0, OUT, BATCH) for _ in range(8)]
    w1 = (rng.uniform(-1, 1, (HIDDEN, IN)) / IN ** 0.5).astype(np.float32)
    b1 = (rng.uniform(-1, 1, HIDDEN) / IN ** 0.5).astype(np.float32)
    w2 = (rng.uniform(-1, 1, (OUT, HIDDEN)) / HIDDEN ** 0.5).astype(np.float32)
    b2 = (rng.uniform(-1, 1, OUT) / HIDDEN ** 0.5).astype(np.float32)
    return xs, ys, [w1, b1, w2, b2]


def make_numpy():
    import numpy as np

    xs, ys, (w1, b1, w2, b2) = _batches(np)
    rows = np.arange(BATCH)

    def step(i):
        x, y = xs[i % 8], ys[i % 8]
        h = np.tanh(x @ w1.T + b1)
        z = h @ w2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        dz = np.exp(logp)
        dz[rows, y] -= 1
        dz /= BATCH
        dw2, db2 = dz.T @ h, dz.sum(0)
        dh = (dz @ w2) * (1 - h * h)
        dw1, db1 = dh.T @ x, dh.sum(0)
        # In place, as an optimizer updates (the closure cannot rebind the names).
        for p, g in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            np.subtract(p, LR * g, out=p)
        return loss

    return step


def make_dualgrad():
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import dualgrad as dg
    from dualgrad import nn
    from dualgrad.nn import functional as F

    xs, ys, arrays = _batches(np)
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT))
    for p, a in zip(model.parameters(), arrays):
        p._data[...] = a
    opt = dg.optim.SGD(model.parameters(), lr=LR)
    xs = [dg.from_numpy(x) for x in xs]
    ys = [dg.from_numpy(y) for y in ys]

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i % 8]), ys[i % 8])
        loss.backward()
        opt.step()
        return loss

    return step


def make_torch():
    import numpy as np
    import torch

    torch.set_num_threads(1)
    xs, ys, arrays = _batches(np)
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, OUT))
    with torch.no_grad():
        for p, a in zip(model.parameters(), arrays):
            p.copy_(torch.from_numpy(a))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xs = [torch.from_numpy(x) for x in xs]
    ys = [torch.from_numpy(y) for y in ys]
    loss_fn = torch.nn.functional.cross_entropy

    def step(i):
        opt.zero_grad()
        loss = loss_fn(model(xs[i % 8]), ys[i % 8])
        loss.backward()
        opt.step()
        return loss

    return step


MAKERS = {"numpy": make_numpy, "dualgrad": make_dualgrad, "torch": make_torch}


def worker(name: str, rounds: int, steps: int) -> dict:
    step = MAKERS[name]()
    rss = {}
    losses = []
    for i in range(1, MEM_STEPS + 1):
        losses.append(float(step(i)))
        if i in (50, MEM_STEPS):
            rss[i] = _rss_mib()
    times, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(steps):
            step(i)
        times.append((time.perf_counter() - t0) / steps * 1e3)
        cpu.append((time.process_time() - c0) / steps * 1e3)
    times.sort()
    cpu.sort()
    return {"name": name, "ms": times[len(times) // 2], "cpu": cpu[len(cpu) // 2],
            "peak": _peak_mib(), "growth": rss[MEM_STEPS] - rss[50],
            "loss_first": losses[0], "loss_last": losses[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7,
                        help="timed rounds in each implementation's own process")
    parser.add_argument("--turns", type=int, default=20,
                        help="rounds of the interleaved timing in one process")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--passes", type=int, default=2,
                        help="run every implementation this many times, keep the fastest")
    parser.add_argument("--worker", choices=sorted(MAKERS))
    parser.add_argument("--root", help="directory holding the dualgrad package to measure "
                        "(default: this checkout)")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds, args.steps)))
        return

    names = ["numpy", "dualgrad"]
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            names.append("torch")
    except ValueError:
        pass
    best: dict[str, dict] = {}
    for _ in range(args.passes):
        for name in names:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", name, "--rounds", str(args.rounds),
                 "--steps", str(args.steps), "--root", str(ROOT)],
                capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            if name not in best or res["ms"] < best[name]["ms"]:
                best[name] = res
    floor = best["numpy"]
    turns = interleaved_cpu_ms(names, args.turns, args.steps // 2)
    print(f"MLP {IN}-{HIDDEN}-{OUT} tanh + softmax cross-entropy, batch {BATCH}, SGD step "
          "with zero_grad, 1 BLAS thread")
    print(f"{'':10s} {'CPU ms/step':>12s} {'x numpy':>8s} {'own process':>12s} {'x numpy':>8s} "
          f"{'peak RSS MiB':>13s} {'x numpy':>8s} {'RSS growth 50->300 MiB':>23s} "
          f"{'loss 1 -> 300':>16s}")
    for name in names:
        r = best[name]
        print(f"{name:10s} {turns[name]:12.3f} {turns[name] / turns['numpy']:8.2f} "
              f"{r['cpu']:12.3f} {r['cpu'] / floor['cpu']:8.2f} {r['peak']:13.1f} "
              f"{r['peak'] / floor['peak']:8.2f} {r['growth']:23.2f} "
              f"{r['loss_first']:7.3f} -> {r['loss_last']:.3f}")
    print(f"CPU ms/step: best of {args.turns} rounds of {args.steps // 2} steps, the "
          "implementations taking turns in one process; own process: median CPU ms/step "
          "in each implementation's own process (the memory run)")
    print("target (issue 5): dualgrad within 1.15 x numpy; peak RSS within 1.2 x; no growth")


def interleaved_cpu_ms(names: list[str], rounds: int, steps: int) -> dict[str, float]:
    """Best CPU ms per step of each implementation, all built in this process and timed in
    turns: ``rounds`` rounds, each timing ``steps`` steps of every implementation."""
    counters = {name: itertools.count() for name in names}
    calls = {}
    for name in names:
        step, counter = MAKERS[name](), counters[name]
        calls[name] = lambda step=step, counter=counter: step(next(counter))
        for _ in range(20):  # warm-up
            calls[name]()
    best = dict.fromkeys(names, float("inf"))
    for _ in range(rounds):
        for name in names:
            best[name] = min(best[name], timeit_us(calls[name], repeat=1, number=steps))
    return {name: us / 1e3 for name, us in best.items()}


if __name__ == "__main__":
    main()
