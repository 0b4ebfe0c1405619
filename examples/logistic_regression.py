"""Logistic regression on two Gaussian clouds, trained with mini-batch SGD (PyTorch style).

Prints one progress line per epoch and checks that accuracy reaches 95%.
Set ``DUALGRAD_EXAMPLE_SMALL=1`` for a smaller, faster run.
"""

import os
import sys

import numpy as np

import dualgrad as dg
from dualgrad import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _data import SMALL, train_epoch, two_blobs  # noqa: E402

N = 400 if SMALL else 2000
EPOCHS = 5 if SMALL else 10
BATCH = 32

dg.manual_seed(0)
rng = np.random.default_rng(1)
X, y = two_blobs(N, rng)
inputs, labels = dg.tensor(X), dg.tensor(y.astype(np.float32))

model = nn.Linear(2, 1)  # the logit: w . x + b
loss_fn = nn.BCEWithLogitsLoss()
optimizer = dg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def logit(x: dg.Tensor) -> dg.Tensor:
    """One logit per row: the model's ``(n, 1)`` output as ``(n,)``."""
    return model(x).squeeze(1)


for epoch in range(1, EPOCHS + 1):
    loss = train_epoch(logit, loss_fn, optimizer, inputs, labels, BATCH, rng)
    with dg.no_grad():
        accuracy = ((logit(inputs) > 0).long() == labels.long()).float().mean().item()
    print(f"epoch {epoch:2d}/{EPOCHS}   loss {loss:.4f}   accuracy {accuracy:6.1%}")

print("weights", model.weight.detach().numpy().round(3),
      "bias", model.bias.detach().numpy().round(3))
assert accuracy >= 0.95, f"accuracy {accuracy:.1%} is below 95%"
