"""Linear regression trained with SGD, in both API styles, checked against the closed-form
least-squares solution.

1. PyTorch style: raw tensors with ``requires_grad=True``, ``loss.backward()``,
   ``optimizer.step()``.
2. TensorFlow style: ``tf.Variable``s, a ``tf.GradientTape``, and a Keras-style SGD's
   ``apply_gradients``.

Both start from zero and must land on ``numpy.linalg.lstsq``'s answer.
Set ``DUALGRAD_EXAMPLE_SMALL=1`` for a smaller, faster run.
"""

import os

import numpy as np

import dualgrad as dg
import dualgrad.tf as tf
from dualgrad.optim.keras import SGD as KerasSGD

SMALL = os.environ.get("DUALGRAD_EXAMPLE_SMALL") == "1"
N, D = (100, 3) if SMALL else (1000, 5)
EPOCHS = 100 if SMALL else 200

rng = np.random.default_rng(0)
X = rng.normal(size=(N, D))
true_w = rng.normal(size=D)
y = X @ true_w + 0.5 + 0.1 * rng.normal(size=N)

# The answer gradient descent should reach: least squares with an intercept column.
solution = np.linalg.lstsq(np.c_[X, np.ones(N)], y, rcond=None)[0]
w_star, b_star = solution[:D], solution[D]

inputs, targets = dg.tensor(X), dg.tensor(y)  # float64, as the NumPy arrays are


def report(epoch: int, loss: float) -> None:
    # Log-spaced progress lines: the loss falls fast, then settles on the noise floor.
    if epoch in (1, 2, 5, 10, 20, 50, 100, 200, EPOCHS):
        print(f"  epoch {epoch:3d}/{EPOCHS}   mse {loss:.6f}")


# --- 1. PyTorch style ----------------------------------------------------------------------
print("PyTorch style: tensors with requires_grad, backward(), SGD.step()")
w = dg.zeros(D, dtype=dg.float64, requires_grad=True)
b = dg.zeros((), dtype=dg.float64, requires_grad=True)
optimizer = dg.optim.SGD([w, b], lr=0.1, momentum=0.5)
for epoch in range(1, EPOCHS + 1):
    optimizer.zero_grad()
    loss = ((inputs @ w + b - targets) ** 2).mean()
    loss.backward()
    optimizer.step()
    report(epoch, loss.item())

print("  learned w:", np.round(w.detach().numpy(), 4), " b:", round(b.item(), 4))
print("  lstsq   w:", np.round(w_star, 4), " b:", round(b_star, 4))
assert np.allclose(w.detach().numpy(), w_star, atol=1e-6), "PyTorch style did not converge"
assert abs(b.item() - b_star) < 1e-6

# --- 2. TensorFlow style -------------------------------------------------------------------
# ``dualgrad.tf`` reads like TensorFlow; the optimizer is the Keras-style SGD (Keras's update
# equations), fed through apply_gradients.
print("TensorFlow style: Variables, GradientTape, Keras-style SGD.apply_gradients")
vw = tf.Variable(tf.zeros((D, 1), dtype=tf.float64))
vb = tf.Variable(tf.zeros((1,), dtype=tf.float64))
variables = [vw, vb]
optimizer = KerasSGD(learning_rate=0.1, momentum=0.5)
x_const, y_const = tf.constant(X), tf.constant(y[:, None])
for epoch in range(1, EPOCHS + 1):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.matmul(x_const, vw) + vb - y_const))
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    report(epoch, float(loss))

assert np.allclose(vw.numpy()[:, 0], w_star, atol=1e-6), "TensorFlow style did not converge"
assert abs(vb.numpy()[0] - b_star) < 1e-6
print("both styles reached the least-squares solution")
