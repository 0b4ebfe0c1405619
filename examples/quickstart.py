"""dualgrad in one minute: the same derivative in both API styles, then a small model trained
with SGD.

Run it with ``python examples/quickstart.py`` (it finishes in about a second).
"""

import os

import numpy as np

import dualgrad as dg
import dualgrad.tf as tf
import dualgrad.torch as torch
from dualgrad import nn

SMALL = os.environ.get("DUALGRAD_EXAMPLE_SMALL") == "1"

# 1. PyTorch style (``dualgrad.torch`` is a drop-in for ``torch`` in tutorial code):
#    mark the input, compute, call backward(), read .grad.
x = torch.tensor(2.0, requires_grad=True)
y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
print("PyTorch style")
print("  y     =", y)  # tensor(63., grad_fn=<AddBackward0>)
y.backward()
print("  dy/dx =", x.grad)  # 8x^3 + 3x^2 + 6x + 5 at x = 2: tensor(93.)
assert x.grad.item() == 93.0

# 2. TensorFlow style (``dualgrad.tf`` for ``tensorflow``): record on a GradientTape, then
#    ask the tape. Same engine, so the same number.
v = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = 2 * v**4 + v**3 + 3 * v**2 + 5 * v + 1
dy_dv = tape.gradient(y, v)
print("TensorFlow style")
print("  y     =", y)  # tf.Tensor(63.0, shape=(), dtype=float32)
print("  dy/dv =", dy_dv)  # tf.Tensor(93.0, shape=(), dtype=float32)
assert float(dy_dv) == 93.0

# 3. A small model trained with SGD: fit y = sin(3x) on [-1, 1] with a 1-32-1 tanh network.
dg.manual_seed(0)
rng = np.random.default_rng(0)
inputs = dg.tensor(rng.uniform(-1, 1, (128, 1)), dtype=dg.float32)
targets = dg.sin(3 * inputs)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
loss_fn = nn.MSELoss()
optimizer = dg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

steps = 150 if SMALL else 300
print("Training", model)
first = None
for step in range(steps + 1):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    first = loss.item() if first is None else first
    if step % (steps // 6) == 0:
        print(f"  step {step:4d}   loss {loss.item():.5f}")

final = loss.item()
print(f"loss went from {first:.4f} to {final:.4f}")
assert final < 0.1 * first, "training did not converge"
