"""The Python floor of workload 2: dualgrad against the least an engine on NumPy can do.

Workload 2 of ``bench_core.py`` (``y = y*0.999 + 0.01*sin(y)`` 1,000 times on 16 values, then
``sum`` and backward) is all per-op overhead: each NumPy call takes about 0.3 us, and the rest
of the time is the interpreter. This script asks how much of dualgrad's time any pure-Python
engine would spend anyway. ``MinimalValue`` below is such an engine, written for speed and for
nothing else (micrograd's design on NumPy arrays): one object per op holding its value and
one closure per input, a backward that takes nodes by creation number. It has none of what
dualgrad does per op for PyTorch's semantics: no dtype rules for Python scalars, no
``grad_fn`` node apart from the tensor, no version counters, no grad mode or tape lookup, no
shape checks of gradients, no hooks, no freeing of saved values, no views.

The three contenders are timed as ``bench_core.py`` times them: CPU time, best of
interleaved rounds, one BLAS thread, the gradient checked against the hand-written NumPy one
first.

    python benchmarks/bench_floor.py
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import dualgrad_root, single_thread, table, timeit_us, torch_or_none  # noqa: E402

single_thread()
sys.path.insert(0, dualgrad_root())

import numpy as np  # noqa: E402
from bench_core import CHAIN_OPS, CHAIN_STEPS, chain_dg, chain_np  # noqa: E402

import dualgrad as dg  # noqa: E402

_seq = itertools.count().__next__
_new = object.__new__


class MinimalValue:
    """A value of the minimal engine: ``parents`` pairs each input with its VJP closure
    (None: the gradient passes unchanged)."""

    __slots__ = ("data", "parents", "seq", "grad")

    def __mul__(self, c: np.ndarray) -> MinimalValue:
        return _value(self.data * c, ((self, lambda g: g * c),))

    __rmul__ = __mul__

    def __add__(self, other: MinimalValue) -> MinimalValue:
        return _value(self.data + other.data, ((self, None), (other, None)))


def _value(data: np.ndarray, parents: tuple) -> MinimalValue:
    v = _new(MinimalValue)
    v.data = data
    v.parents = parents
    v.seq = _seq()
    v.grad = None
    return v


def minimal_sin(x: MinimalValue) -> MinimalValue:
    """``sin`` in the minimal engine."""
    xd = x.data
    return _value(np.sin(xd), ((x, lambda g: g * np.cos(xd)),))


def minimal_sum(x: MinimalValue) -> MinimalValue:
    """``sum`` in the minimal engine."""
    shape = x.data.shape
    return _value(np.add.reduce(x.data), ((x, lambda g: np.broadcast_to(g, shape)),))


def minimal_backward(root: MinimalValue) -> None:
    """Gradients into the leaves' ``grad``: nodes taken by highest creation number (all of a
    node's consumers were created after it), incoming gradients summed in a dict."""
    grads = {root: np.ones_like(root.data)}
    heap = [(-root.seq, root)]
    while heap:
        node = heapq.heappop(heap)[1]
        g = grads.pop(node)
        if not node.parents:
            node.grad = g
            continue
        for parent, vjp in node.parents:
            gi = g if vjp is None else vjp(g)
            prev = grads.get(parent)
            if prev is None:
                grads[parent] = gi
                heapq.heappush(heap, (-parent.seq, parent))
            else:
                grads[parent] = prev + gi


def chain_minimal(x: np.ndarray) -> np.ndarray:
    """Workload 2 in the minimal engine, with the same grad read and reset as the others."""
    c1 = np.array(0.999, x.dtype)  # (constants of the input's dtype, as dualgrad makes them)
    c2 = np.array(0.01, x.dtype)
    leaf = _value(x, ())
    y = leaf
    for _ in range(CHAIN_STEPS):
        y = y * c1 + c2 * minimal_sin(y)
    minimal_backward(minimal_sum(y))
    g = leaf.grad
    leaf.grad = None
    return g


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per round (best-of)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (best-of)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--root", help="directory holding the dualgrad package to measure "
                        "(default: this checkout)")
    args = parser.parse_args(argv)
    torch = None if args.no_torch else torch_or_none()

    x = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    want = chain_np(x)
    xd = dg.tensor(x, requires_grad=True)
    for name, got in [("minimal", chain_minimal(x)), ("dualgrad", chain_dg(xd).numpy())]:
        if not np.allclose(got, want, rtol=1e-3, atol=1e-6):
            raise AssertionError(f"{name}: gradient differs from the hand-written NumPy one")
    contenders = [("hand-written NumPy", lambda: chain_np(x)),
                  ("minimal engine", lambda: chain_minimal(x)),
                  ("dualgrad", lambda: chain_dg(xd))]
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)
        contenders.append(("PyTorch", lambda: chain_dg(xt, sin=torch.sin)))
    best = [float("inf")] * len(contenders)
    for _ in range(args.rounds):
        for k, (_, fn) in enumerate(contenders):
            best[k] = min(best[k], timeit_us(fn, repeat=args.repeat, number=1))
    floor = best[1]
    print(f"workload 2 (chain, {CHAIN_OPS} recorded ops on 16 values): CPU us per recorded op, "
          f"best of {args.rounds} x {args.repeat}")
    table([[name, t / CHAIN_OPS, t / floor] for (name, _), t in zip(contenders, best)],
          header=["contender", "us/op", "x minimal engine"])
    if torch is not None:
        print(f"dualgrad / PyTorch = {best[2] / best[3]:.3f}; the minimal engine would be "
              f"{best[1] / best[3]:.3f}")


if __name__ == "__main__":
    main()
