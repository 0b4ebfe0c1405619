"""Optimizers (``torch.optim``): ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
learning-rate schedulers, and a Keras-style ``SGD`` for tape users (:mod:`dualgrad.optim.keras`).

Every optimizer works with both API styles: ``step()`` reads each parameter's ``.grad``
(PyTorch style) and ``apply_gradients(zip(grads, variables))`` takes the gradients a
``GradientTape`` returned (TensorFlow style). Updates happen in place on the parameters'
arrays, without recording a graph.
"""

from dualgrad.optim import lr_scheduler
from dualgrad.optim.adagrad import Adagrad
from dualgrad.optim.adam import Adam, AdamW
from dualgrad.optim.optimizer import Optimizer
from dualgrad.optim.rmsprop import RMSprop
from dualgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
