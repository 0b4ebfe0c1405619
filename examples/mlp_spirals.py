"""A 2-layer MLP classifier on two interleaved spirals, trained with mini-batch SGD.

``Linear(2, 64) -> ReLU -> Linear(64, 64) -> ReLU -> Linear(64, 2)`` with softmax
cross-entropy; one progress line per epoch; it must reach 95% accuracy. With matplotlib
installed (and not in the small run) it saves the loss curve to ``spirals_loss.png``.
Set ``DUALGRAD_EXAMPLE_SMALL=1`` for a smaller, faster run.
"""

import os
import sys
import time

import numpy as np

import dualgrad as dg
from dualgrad import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _data import SMALL, train_epoch, two_spirals  # noqa: E402

N = 600 if SMALL else 2000
EPOCHS = 40 if SMALL else 60
BATCH = 32

dg.manual_seed(0)
rng = np.random.default_rng(0)
X, y = two_spirals(N, rng)
inputs, labels = dg.tensor(X), dg.tensor(y)

model = nn.Sequential(
    nn.Linear(2, 64), nn.ReLU(),
    nn.Linear(64, 64), nn.ReLU(),
    nn.Linear(64, 2),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = dg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
schedule = dg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=0.01)

history = []
start_time = time.perf_counter()
for epoch in range(1, EPOCHS + 1):
    loss = train_epoch(model, loss_fn, optimizer, inputs, labels, BATCH, rng)
    schedule.step()
    with dg.no_grad():
        accuracy = (model(inputs).argmax(1) == labels).float().mean().item()
    history.append(loss)
    print(f"epoch {epoch:3d}/{EPOCHS}   loss {loss:.4f}   accuracy {accuracy:6.1%}   "
          f"lr {schedule.get_last_lr()[0]:.4f}")

print(f"trained in {time.perf_counter() - start_time:.1f} s")
assert accuracy >= 0.95, f"accuracy {accuracy:.1%} is below 95%"

if not SMALL:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(install matplotlib to save the loss curve)")
    else:
        plt.plot(range(1, EPOCHS + 1), history)
        plt.xlabel("epoch")
        plt.ylabel("cross-entropy")
        plt.title("two spirals: training loss")
        plt.savefig("spirals_loss.png", dpi=100)
        print("saved the loss curve to spirals_loss.png")
