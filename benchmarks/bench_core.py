"""Core engine benchmarks (issue 2, "Speed and memory"): run ``python benchmarks/bench_core.py``.

Workloads, each timed as forward + backward + reading and resetting the gradient:

1. seed-sized graphs: seed 002's polynomial ``2*x**4 + x**3 + 3*x**2 + 5*x + 1`` at ``x = 2``
   (10 recorded ops) and seed 000's ``y = x + 2; z = y*y*2; z.mean()`` on 3 values (4 ops);
2. a 4,000-op chain on 16 values: ``y = y*0.999 + 0.01*sin(y)`` 1,000 times, then ``sum``;
3. ``sum(sin(x) * exp(-x*x))`` on 1e6 float32 values.

Each is compared with hand-written NumPy gradients (the floor) and with PyTorch eager when it
is installed, all on one thread, and checked against the NumPy gradient before timing. Then
the cost of ``import dualgrad`` over ``import numpy`` is measured in fresh interpreters.

Times are process CPU time, best of ``--rounds`` interleaved rounds of ``--repeat`` samples
(noise on a shared machine only adds). ``--root DIR`` measures the dualgrad package in another
checkout (before/after comparisons); ``--json FILE`` saves the figures. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

from _common import dualgrad_root, single_thread, table, timeit_us, torch_or_none  # noqa: E402

_ROOT = dualgrad_root()
sys.path.insert(0, _ROOT)

single_thread()

import numpy as np  # noqa: E402

import dualgrad as dg  # noqa: E402

assert os.path.dirname(os.path.dirname(os.path.abspath(dg.__file__))) == _ROOT, dg.__file__

# --------------------------------------------------------------------------------------------
# Workload 1a: seed 002's polynomial at x = 2 (10 recorded ops)

POLY_OPS = 10


def poly_dg(x: dg.Tensor) -> object:
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    y.backward()
    g = x.grad
    x.grad = None
    return g


def poly_torch(x: object) -> object:
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    y.backward()
    g = x.grad
    x.grad = None
    return g


def poly_np(x: np.ndarray) -> np.ndarray:
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1  # noqa: F841 - the forward is part of the work
    return 8 * x**3 + 3 * x**2 + 6 * x + 5


# --------------------------------------------------------------------------------------------
# Workload 1b: seed 000's y = x + 2; z = y*y*2; z.mean() on 3 values (4 recorded ops)

SEED0_OPS = 4


def seed0_dg(x: dg.Tensor) -> object:
    y = x + 2
    z = y * y * 2
    z = z.mean()
    z.backward()
    g = x.grad
    x.grad = None
    return g


seed0_torch = seed0_dg  # the same code runs on torch tensors


def seed0_np(x: np.ndarray) -> np.ndarray:
    y = x + 2
    z = y * y * 2
    z.mean()
    return y * (4.0 / y.size)


# --------------------------------------------------------------------------------------------
# Workload 2: a 4,000-op chain on 16 values

CHAIN_STEPS = 1000
CHAIN_OPS = 4 * CHAIN_STEPS + 1


def chain_dg(x: dg.Tensor, sin: object = dg.sin) -> object:
    y = x
    for _ in range(CHAIN_STEPS):
        y = y * 0.999 + 0.01 * sin(y)
    y.sum().backward()
    g = x.grad
    x.grad = None
    return g


def chain_np(x: np.ndarray) -> np.ndarray:
    ys = []
    y = x
    for _ in range(CHAIN_STEPS):
        ys.append(y)
        y = y * 0.999 + 0.01 * np.sin(y)
    y.sum()
    g = np.ones_like(y)
    for yp in reversed(ys):
        g = g * (0.999 + 0.01 * np.cos(yp))
    return g


# --------------------------------------------------------------------------------------------
# Workload 3: sum(sin(x) * exp(-x*x)) on 1e6 float32 values

BIG_N = 1_000_000


def big_dg(x: dg.Tensor, sin: object = dg.sin, exp: object = dg.exp) -> object:
    loss = (sin(x) * exp(-x * x)).sum()
    loss.backward()
    g = x.grad
    x.grad = None
    return g


def big_np(x: np.ndarray) -> np.ndarray:
    s = np.sin(x)
    e = np.exp(-x * x)
    (s * e).sum()
    return e * (np.cos(x) - 2 * x * s)


# --------------------------------------------------------------------------------------------
# import cost

_IMPORT_PROBE = r"""
import json, sys, time
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
t0 = time.perf_counter(); import numpy; t1 = time.perf_counter(); r1 = rss()
c1 = time.process_time(); import dualgrad; c2 = time.process_time()
t2 = time.perf_counter(); r2 = rss()
print(json.dumps({"numpy_s": t1 - t0, "dualgrad_s": t2 - t1, "dualgrad_cpu_s": c2 - c1,
                  "dualgrad_rss": r2 - r1,
                  "scipy": any(m == "scipy" or m.startswith("scipy.") for m in sys.modules),
                  "torch": "torch" in sys.modules}))
"""


def import_cost(runs: int, root: str = _ROOT) -> dict:
    """Best-of time and smallest RSS growth of ``import dualgrad`` after ``import numpy``.

    Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, so the repository gets no
    ``__pycache__``) as it is for an installed package; a warm-up run fills the cache. With
    ``PYTHONDONTWRITEBYTECODE=1`` every import would recompile dualgrad's sources instead.
    """
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "dualgrad-bench-pycache")
    subprocess.run([sys.executable, "-c", _IMPORT_PROBE], env=env, cwd=root,
                   capture_output=True, check=True)
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], env=env, cwd=root,
                             capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out))
    times = sorted(r["dualgrad_s"] for r in results)
    return {
        "numpy_ms": min(r["numpy_s"] for r in results) * 1e3,
        "dualgrad_ms": times[0] * 1e3,
        "dualgrad_ms_median": times[len(times) // 2] * 1e3,
        "dualgrad_cpu_ms": min(r["dualgrad_cpu_s"] for r in results) * 1e3,
        "rss_mib": min(r["dualgrad_rss"] for r in results) / 2**20,
        "scipy_imported": any(r["scipy"] for r in results),
        "torch_imported": any(r["torch"] for r in results),
    }


# --------------------------------------------------------------------------------------------


def _check(name: str, got: object, want: np.ndarray, rtol: float) -> None:
    arr = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got, dtype=np.float64)
    if not np.allclose(arr, np.asarray(want, dtype=np.float64), rtol=rtol, atol=1e-6):
        raise AssertionError(f"{name}: gradient differs from the hand-written NumPy gradient")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per round (best-of)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds over the contenders (best-of)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--root", help="directory holding the dualgrad package to measure "
                        "(default: this checkout)")
    args = parser.parse_args(argv)
    rep = args.repeat
    torch = None if args.no_torch else torch_or_none()

    rng = np.random.default_rng(0)
    x_poly = np.array(2.0, dtype=np.float32)
    x_seed0 = rng.standard_normal(3).astype(np.float32)
    x_chain = rng.standard_normal(16).astype(np.float32)
    x_big = rng.standard_normal(BIG_N).astype(np.float32)

    # (name, recorded ops, dualgrad call, numpy call, torch call or None, timing number)
    cases = []
    for name, ops, dg_fn, np_fn, t_fn, x, number, rtol in [
        ("1a poly (seed 002)", POLY_OPS, poly_dg, poly_np, poly_torch, x_poly, 300, 1e-5),
        ("1b seed 000", SEED0_OPS, seed0_dg, seed0_np, seed0_torch, x_seed0, 500, 1e-5),
        ("2 chain 4k ops x16", CHAIN_OPS, chain_dg, chain_np, None, x_chain, 1, 1e-3),
        ("3 sin*exp 1e6 f32", 6, big_dg, big_np, None, x_big, 1, 1e-4),
    ]:
        xd = dg.tensor(x, requires_grad=True)
        want = np_fn(x)
        _check(name, dg_fn(xd), want, rtol)
        if name.startswith("2"):
            def t_fn(xt: object, _torch: object = torch) -> object:
                return chain_dg(xt, sin=_torch.sin)
        elif name.startswith("3"):
            def t_fn(xt: object, _torch: object = torch) -> object:
                return big_dg(xt, sin=_torch.sin, exp=_torch.exp)
        cases.append((name, ops, dg_fn, np_fn, t_fn, x, xd, number))

    rows = []
    figures = {}
    for name, ops, dg_fn, np_fn, t_fn, x, xd, number in cases:
        contenders = [lambda dg_fn=dg_fn, xd=xd: dg_fn(xd), lambda np_fn=np_fn, x=x: np_fn(x)]
        if torch is not None:
            xt = torch.tensor(x, requires_grad=True)
            contenders.append(lambda t_fn=t_fn, xt=xt: t_fn(xt))
        # Interleaved rounds: a burst of load from other jobs (or a lucky allocator state)
        # then does not favour whichever contender happened to run at that moment.
        best = [float("inf")] * len(contenders)
        for _ in range(args.rounds):
            for k, fn in enumerate(contenders):
                best[k] = min(best[k], timeit_us(fn, repeat=rep, number=number))
        t_dg, t_np = best[0], best[1]
        t_torch = best[2] if torch is not None else None
        figures[name] = {"dualgrad_us": t_dg, "numpy_us": t_np, "torch_us": t_torch,
                         "ops": ops}
        rows.append([
            name, ops, t_dg, t_np, t_torch, t_dg / t_np,
            None if t_torch is None else t_dg / t_torch,
            t_dg / ops, None if t_torch is None else t_torch / ops,
        ])
    print("CPU microseconds per iteration (forward + backward + grad read/reset), "
          f"best of {args.rounds} x {rep}")
    table(rows, header=["workload", "ops", "dualgrad", "numpy", "torch", "dg/numpy",
                        "dg/torch", "dg us/op", "torch us/op"])
    print("targets: 1a, 1b, 2: dg/torch <= 0.5;  3: dg/numpy <= 1.5")

    imp = import_cost(max(10, rep), _ROOT)
    figures["import"] = imp
    print()
    table([
        ["import numpy", imp["numpy_ms"], None, None, None],
        ["import dualgrad after numpy", imp["dualgrad_ms"], imp["dualgrad_ms_median"],
         imp["dualgrad_cpu_ms"], imp["rss_mib"]],
    ], header=["import (fresh interpreters)", "best ms", "median ms", "best CPU ms",
               "+RSS MiB"])
    print(f"scipy imported by `import dualgrad`: {imp['scipy_imported']}; "
          f"torch imported: {imp['torch_imported']}")
    print("target: import dualgrad adds <= 50 ms and <= 8 MiB; scipy not imported")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
