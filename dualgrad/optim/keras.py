"""Keras-style optimizers for tape users: ``SGD`` and ``Adam`` with
``apply_gradients(zip(grads, variables))`` and Keras 3's update equations.

``dualgrad.tf`` offers them as ``tf.keras.optimizers.SGD``/``Adam`` (and
``tf.optimizers.*``). Variables are discovered on first use, as Keras builds its slots lazily;
updates happen in place on each variable's array, in the variable's dtype.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from dualgrad._tensor import Tensor

__all__ = ["SGD", "Adam"]


def _keras_sgd_update(var: np.ndarray, grad: np.ndarray, m: np.ndarray | None,
                      lr: float, momentum: float, nesterov: bool) -> None:
    """Keras's SGD step, in place::

        m = momentum * m - lr * g
        var += momentum * m - lr * g  (nesterov)   |   var += m   |   var -= lr * g (no momentum)
    """
    if m is None:
        var -= grad * lr
        return
    m *= momentum
    m -= grad * lr
    if nesterov:
        var += m * momentum - grad * lr
    else:
        var += m


def _keras_adam_update(var: np.ndarray, grad: np.ndarray, slots: list[np.ndarray], lr: float,
                       step: int, beta_1: float, beta_2: float, epsilon: float,
                       amsgrad: bool) -> None:
    """Keras 3's Adam step, in place, in the variable's dtype and Keras's order::

        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                                  (amsgrad; then v = v_hat)
        var -= m * alpha / (sqrt(v) + epsilon)
    """
    dtype = var.dtype.type
    # As Keras casts them: the learning rate is a float32 variable and the betas of the
    # powers go through float32 first (ops.cast of a Python float), whatever the variable's
    # dtype; TensorFlow's scalar pow is the power in float64, rounded once.
    f32 = np.float32
    one = dtype(1)
    beta_1_power = dtype(np.float64(f32(beta_1)) ** step)
    beta_2_power = dtype(np.float64(f32(beta_2)) ** step)
    alpha = dtype(f32(lr)) * np.sqrt(one - beta_2_power) / (one - beta_1_power)
    m, v = slots[0], slots[1]
    m += (grad - m) * dtype(1 - beta_1)
    v += (np.square(grad) - v) * dtype(1 - beta_2)
    if amsgrad:
        np.maximum(slots[2], v, out=slots[2])
        v = slots[2]
    var -= (m * alpha) / (np.sqrt(v) + dtype(epsilon))


class _KerasOptimizer:
    """What Keras's optimizers share: the learning rate (or schedule), decoupled weight
    decay, per-variable slots made on first use, ``apply_gradients`` and ``minimize``.

    A subclass sets ``_n_slots`` (arrays per variable, zeros like it) and defines
    ``_update(var, grad, slots, lr)``, which changes ``var`` and its slots in place.
    """

    _n_slots = 0

    def __init__(self, learning_rate: Any, weight_decay: float | None, name: str) -> None:
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.name = name
        self.iterations = 0
        # Slots keyed by variable identity; the variable is kept so the id stays unique.
        self._slots: dict[int, tuple[Tensor, list[np.ndarray]]] = {}

    def _current_lr(self) -> float:
        lr = self.learning_rate
        if callable(lr):
            lr = lr(self.iterations)
        return float(lr._data if isinstance(lr, Tensor) else lr)

    @property
    def variables(self) -> list[Tensor]:
        """The slots (momentums, velocities), as tensors, variable by variable."""
        return [Tensor._make(s) for _, slots in self._slots.values() for s in slots]

    def _update(self, var: np.ndarray, grad: np.ndarray, slots: list[np.ndarray],
                lr: float) -> None:
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> int:
        """Update each variable in place from its gradient; None gradients are skipped.

        Parameters
        ----------
        grads_and_vars:
            ``(gradient, variable)`` pairs, e.g. ``zip(tape.gradient(loss, vs), vs)``.

        Returns
        -------
        int
            The iteration count after this update.

        Raises
        ------
        ValueError
            If every gradient is None (Keras 3's text, ``No gradients provided for any
            variable.``), or a gradient's shape differs from its variable's.

        Warns
        -----
        UserWarning
            Keras's ``Gradients do not exist for variables [...]`` when some are None.
        """
        pairs = list(grads_and_vars)
        present = [(g, v) for g, v in pairs if g is not None]
        # Keras 3's texts (the Keras that TensorFlow 2.16 and later use), and its order: the
        # variables without a gradient are listed last to first.
        if pairs and not present:
            raise ValueError("No gradients provided for any variable.")
        if len(present) < len(pairs):
            missing = [getattr(v, "name", f"variable {i}")
                       for i, (g, v) in enumerate(pairs) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing[::-1]} when "
                          "minimizing the loss. If using `model.compile()`, did you forget to "
                          "provide a `loss` argument?", UserWarning, stacklevel=2)
        lr = self._current_lr()
        for g, v in present:
            var = v._storage_for_write()  # (in place, or a copy if a recorded read holds it)
            grad = g._data if isinstance(g, Tensor) else np.asarray(g)
            if grad.shape != var.shape:
                raise ValueError(f"gradient of shape {grad.shape} does not match its "
                                 f"variable's shape {var.shape}")
            if grad.dtype != var.dtype:
                grad = grad.astype(var.dtype)
            slots: list[np.ndarray] = []
            if self._n_slots:
                entry = self._slots.get(id(v))
                if entry is None:
                    entry = self._slots[id(v)] = (
                        v, [np.zeros_like(var) for _ in range(self._n_slots)])
                slots = entry[1]
            if self.weight_decay:
                var -= var * (lr * self.weight_decay)
            self._update(var, grad, slots, lr)
        self.iterations += 1
        return self.iterations

    def minimize(self, loss: Any, var_list: list[Tensor], tape: Any = None) -> int:
        """Compute the gradients of ``loss`` with ``tape`` and apply them.

        ``loss`` is a tensor recorded on ``tape`` (a ``GradientTape``), or a callable taking
        no arguments that returns the loss, evaluated under a fresh tape.
        """
        if callable(loss):
            import dualgrad

            with dualgrad.GradientTape() as tape:
                value = loss()
            loss = value
        if tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: "
                             f"loss={loss}, tape={tape}.")
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))


class SGD(_KerasOptimizer):
    """Gradient descent (with momentum) as Keras's ``keras.optimizers.SGD``.

    Parameters
    ----------
    learning_rate:
        The step size (default ``0.01``, as Keras), or a callable of the iteration count
        returning it (a schedule).
    momentum:
        A float in ``[0, 1]`` that accelerates descent in the relevant direction.
    nesterov:
        Use Nesterov momentum.
    weight_decay:
        If set, each variable is first shrunk by ``learning_rate * weight_decay``
        (decoupled, as Keras 3 does).
    name:
        The optimizer's name.

    Raises
    ------
    ValueError
        Keras's text ``` `momentum` must be a float between [0, 1].```

    Examples
    --------
    >>> import dualgrad as dg
    >>> from dualgrad.optim.keras import SGD
    >>> w = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(dg.tensor([1.0, 1.0]), w)])
    >>> w
    tensor([0.7100, 1.7100], requires_grad=True)
    >>> opt.iterations
    2
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, name: str = "SGD", **kwargs: Any) -> None:
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        super().__init__(learning_rate, weight_decay, name)
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self._n_slots = 1 if momentum != 0 else 0

    def _update(self, var: np.ndarray, grad: np.ndarray, slots: list[np.ndarray],
                lr: float) -> None:
        _keras_sgd_update(var, grad, slots[0] if slots else None, lr, self.momentum,
                          self.nesterov)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        return (f"<SGD name={self.name}, learning_rate={self.learning_rate}, "
                f"momentum={self.momentum}, nesterov={self.nesterov}>")


class Adam(_KerasOptimizer):
    """Adam (optionally AMSGrad) as Keras 3's ``keras.optimizers.Adam``.

    The step is Keras's, computed in the variable's dtype and in Keras's order (so float32
    trajectories match Keras's to the last digit where NumPy's float32 ``pow`` and ``sqrt``
    round as TensorFlow's do); note ``epsilon`` is added to ``sqrt(v)`` *before* the bias
    correction is applied through ``alpha``, unlike PyTorch's Adam::

        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        var -= m * alpha / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate:
        The step size (default ``0.001``, as Keras), or a callable of the iteration count
        returning it (a schedule).
    beta_1, beta_2:
        Decay rates of the first and second moment estimates.
    epsilon:
        Added to ``sqrt(v)`` (default ``1e-7``, Keras's; PyTorch's is ``1e-8``).
    amsgrad:
        Use the running maximum of ``v`` (AMSGrad).
    weight_decay:
        If set, each variable is first shrunk by ``learning_rate * weight_decay``
        (decoupled, as Keras 3 does).
    name:
        The optimizer's name.

    Examples
    --------
    >>> import dualgrad as dg
    >>> from dualgrad.optim.keras import Adam
    >>> w = dg.Variable([1.0, -1.0])
    >>> opt = Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(dg.constant([2.0, -0.5]), w)])
    >>> w.numpy()
    array([ 0.9000008, -0.9000013], dtype=float32)
    >>> opt.iterations
    1
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
                 weight_decay: float | None = None, name: str = "adam", **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay, name)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = bool(amsgrad)
        self._n_slots = 3 if amsgrad else 2

    def _update(self, var: np.ndarray, grad: np.ndarray, slots: list[np.ndarray],
                lr: float) -> None:
        _keras_adam_update(var, grad, slots, lr, self.iterations + 1, self.beta_1, self.beta_2,
                           self.epsilon, self.amsgrad)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "weight_decay": self.weight_decay, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}

    def __repr__(self) -> str:
        return (f"<Adam name={self.name}, learning_rate={self.learning_rate}, "
                f"beta_1={self.beta_1}, beta_2={self.beta_2}, epsilon={self.epsilon}, "
                f"amsgrad={self.amsgrad}>")
