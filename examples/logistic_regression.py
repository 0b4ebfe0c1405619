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
from _data import two_blobs  # noqa: E402

SMALL = os.environ.get("DUALGRAD_EXAMPLE_SMALL") == "1"
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

for epoch in range(1, EPOCHS + 1):
    order = rng.permutation(N)
    total = 0.0
    for start in range(0, N, BATCH):
        idx = order[start:start + BATCH]
        optimizer.zero_grad()
        loss = loss_fn(model(inputs[idx]).squeeze(1), labels[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    with dg.no_grad():
        accuracy = ((model(inputs).squeeze(1) > 0).long() == labels.long()).float().mean().item()
    print(f"epoch {epoch:2d}/{EPOCHS}   loss {total / N:.4f}   accuracy {accuracy:6.1%}")

print("weights", model.weight.detach().numpy().round(3),
      "bias", model.bias.detach().numpy().round(3))
assert accuracy >= 0.95, f"accuracy {accuracy:.1%} is below 95%"
