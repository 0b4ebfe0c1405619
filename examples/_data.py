"""What the training examples share: data sets generated with NumPy (no downloads), the
small-run switch, and one epoch of mini-batch training."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

# ``DUALGRAD_EXAMPLE_SMALL=1``: a smaller, faster run (what tests/test_examples.py uses).
SMALL = os.environ.get("DUALGRAD_EXAMPLE_SMALL") == "1"


def two_blobs(n: int, rng: np.random.Generator, gap: float = 4.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds in 2-D, ``gap`` apart along a random direction; labels 0 and 1."""
    direction = rng.normal(size=2)
    direction *= gap / np.linalg.norm(direction)
    labels = rng.integers(0, 2, n)
    points = rng.normal(size=(n, 2)) + np.outer(labels - 0.5, direction) + [1.0, -2.0]
    return points.astype(np.float32), labels


def two_spirals(n: int, rng: np.random.Generator, noise: float = 0.05
                ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of ``n // 2`` points each (1.5 turns), scaled to about [-1, 1]."""
    half = n // 2
    turns = np.sqrt(rng.uniform(0, 1, half)) * 3 * np.pi
    arm = np.stack([turns * np.cos(turns), turns * np.sin(turns)], axis=1) / (3 * np.pi)
    points = np.concatenate([arm, -arm]) + noise * rng.normal(size=(2 * half, 2))
    labels = np.repeat([0, 1], half)
    order = rng.permutation(2 * half)
    return points[order].astype(np.float32), labels[order]


def train_epoch(model: Callable[[Any], Any], loss_fn: Callable[[Any, Any], Any], optimizer: Any,
                inputs: Any, labels: Any, batch: int, rng: np.random.Generator) -> float:
    """One pass over the data in shuffled mini-batches of ``batch``; returns the mean loss."""
    n = len(labels)
    order = rng.permutation(n)
    total = 0.0
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        optimizer.zero_grad()
        loss = loss_fn(model(inputs[idx]), labels[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / n
