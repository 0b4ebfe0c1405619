"""Keras-style SGD for tape users: ``SGD(learning_rate, momentum, nesterov)`` with
``apply_gradients(zip(grads, variables))`` and Keras's update equations.

``dualgrad.tf`` offers it as ``tf.keras.optimizers.SGD`` and ``tf.optimizers.SGD``.
Variables are discovered on first use, as Keras builds its slots lazily; updates happen in
place on each variable's array.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from dualgrad._tensor import Tensor

__all__ = ["SGD"]


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


class SGD:
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
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self.weight_decay = weight_decay
        self.name = name
        self.iterations = 0
        # Slots keyed by variable identity; the variable is kept so the id stays unique.
        self._momentums: dict[int, tuple[Tensor, np.ndarray]] = {}

    def _current_lr(self) -> float:
        lr = self.learning_rate
        if callable(lr):
            lr = lr(self.iterations)
        return float(lr._data if isinstance(lr, Tensor) else lr)

    @property
    def variables(self) -> list[Tensor]:
        """The momentum slots, as tensors (empty without momentum)."""
        return [Tensor._make(m) for _, m in self._momentums.values()]

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
            m = None
            if self.momentum != 0:
                slot = self._momentums.get(id(v))
                if slot is None:
                    slot = self._momentums[id(v)] = (v, np.zeros_like(var))
                m = slot[1]
            if self.weight_decay:
                var -= var * (lr * self.weight_decay)
            _keras_sgd_update(var, grad, m, lr, self.momentum, self.nesterov)
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

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        return (f"<SGD name={self.name}, learning_rate={self.learning_rate}, "
                f"momentum={self.momentum}, nesterov={self.nesterov}>")
