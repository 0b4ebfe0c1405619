"""Which operand order makes ``nn.Linear``'s forward fastest: ``x @ w.T`` or ``(w @ x.T).T``.

Both compute the same products (on this machine's OpenBLAS the same bits), but sgemm's speed
depends on which matrix it is given first. ``dualgrad/ops/nn.py:_linear_forward`` uses the
second order inside one region of shapes, float32 only; this script measures the ratio
``time((w @ x.T).T + b) / time(x @ w.T + b)`` on a grid of (batch, in, out) and marks the
region, so that it can be checked again on another machine or BLAS build:

    python benchmarks/bench_linear_layout.py            # float32 grid (a few seconds)
    python benchmarks/bench_linear_layout.py --dtype float64

Cells below 1 favour the swapped order. A measurement, not a test: single-threaded BLAS,
best of interleaved rounds (``_common.timeit_us``). It also checks that both orders give the
same values (``same bits`` in the last line).
"""

from __future__ import annotations

import argparse
import itertools
import sys

from _common import dualgrad_root, single_thread, timeit_us

single_thread()
import numpy as np  # noqa: E402

sys.path.insert(0, dualgrad_root())
from dualgrad.ops.nn import SWAP_BATCH_ROWS, SWAP_MIN_FEATURES  # noqa: E402

BATCHES = (4, 16, 32, 64, 128)
N_IN = (128, 784)
N_OUT = (10, 128, 512)


def in_region(batch: int, n_in: int, n_out: int, dtype: np.dtype) -> bool:
    """Where dualgrad computes ``(w @ x.T).T`` (``_linear_forward``'s own bounds)."""
    return (dtype == np.float32 and SWAP_BATCH_ROWS[0] <= batch <= SWAP_BATCH_ROWS[1]
            and min(n_in, n_out) >= SWAP_MIN_FEATURES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--root", help="directory holding the dualgrad package whose bounds "
                        "are marked (default: this checkout)")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    same = True
    print(f"time((w @ x.T).T + b) / time(x @ w.T + b), {dtype}; * = dualgrad swaps here")
    print("in x out".ljust(10) + "".join(f"  batch {b:<4}" for b in BATCHES))
    for n_in, n_out in itertools.product(N_IN, N_OUT):
        cells = []
        for batch in BATCHES:
            x = rng.standard_normal((batch, n_in)).astype(dtype)
            w = rng.standard_normal((n_out, n_in)).astype(dtype)
            b = rng.standard_normal(n_out).astype(dtype)

            def plain(x: np.ndarray = x, w: np.ndarray = w, b: np.ndarray = b) -> np.ndarray:
                out = np.matmul(x, w.T)
                out += b
                return out

            def swapped(x: np.ndarray = x, w: np.ndarray = w, b: np.ndarray = b) -> np.ndarray:
                return np.add(np.matmul(w, x.T).T, b, order="C")

            same = same and np.array_equal(plain(), swapped())
            number = min(2000, max(1, int(1e8 / (batch * n_in * n_out))))
            best_plain = best_swapped = float("inf")
            for _ in range(args.rounds):
                best_plain = min(best_plain, timeit_us(plain, repeat=5, number=number))
                best_swapped = min(best_swapped, timeit_us(swapped, repeat=5, number=number))
            mark = "*" if in_region(batch, n_in, n_out, dtype) else " "
            cells.append(f"  {best_swapped / best_plain:9.2f}{mark}")
        print(f"{n_in:4d} x {n_out:<4d}" + "".join(cells))
    print(f"same bits in every cell: {same}")


if __name__ == "__main__":
    main()
