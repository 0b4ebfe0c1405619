"""Keras-style optimizers for tape users: ``SGD`` and ``Adam`` with
``apply_gradients(zip(grads, variables))`` and Keras 3's update equations.

``dualgrad.tf`` offers them as ``tf.keras.optimizers.SGD``/``Adam`` (and
``tf.optimizers.*``), and the learning-rate schedules as
``tf.keras.optimizers.schedules.*``. Variables are discovered on first use, as Keras builds
its slots lazily; updates happen in place on each variable's array, in the variable's dtype.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from dualgrad._tensor import Tensor

__all__ = ["SGD", "Adam", "Iterations", "LearningRateSchedule", "ExponentialDecay",
           "PiecewiseConstantDecay", "CosineDecay"]


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
    # dtype; TensorFlow's scalar pow is the power in float64, rounded once (see _scalar_pow).
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


# --------------------------------------------------------------------------------------------
# Learning-rate schedules, computed in float32 as Keras 3 computes them (its float type)

_f32 = np.float32


def _scalar_pow(x: np.float32, y: np.float32) -> np.float32:
    # TensorFlow's float32 pow of scalars is the power in float64, rounded once (NumPy's
    # float32 power differs in the last bit for some inputs); TensorFlow's scalar cos likewise.
    return _f32(np.float64(x) ** np.float64(y))


class LearningRateSchedule:
    """The base of Keras's learning-rate schedules: ``schedule(step)`` gives the learning
    rate at ``step`` as a 0-d float32 tensor. An optimizer given a schedule as its
    ``learning_rate`` calls it with its iteration count before each update (0 for the first).

    A subclass defines ``_value(step)``, returning a float32 NumPy scalar, and
    ``get_config()``.
    """

    def __call__(self, step: Any) -> Tensor:
        """The learning rate at ``step`` (an int, a NumPy integer or a 0-d tensor)."""
        if isinstance(step, Tensor):
            step = step._data
        return Tensor._make(np.asarray(self._value(step)))

    def _value(self, step: Any) -> np.float32:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``, as Keras's
    ``keras.optimizers.schedules.ExponentialDecay`` (in float32).

    Parameters
    ----------
    initial_learning_rate:
        The learning rate at step 0.
    decay_steps:
        The number of steps over which the rate is multiplied by ``decay_rate``.
    decay_rate:
        The factor per ``decay_steps`` steps.
    staircase:
        Decay at whole multiples of ``decay_steps`` only (``floor(step / decay_steps)``).
    name:
        The schedule's name.

    Examples
    --------
    >>> from dualgrad.optim.keras import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=3, decay_rate=0.7)
    >>> [round(float(schedule(step)), 6) for step in (0, 1, 3, 6)]
    [0.1, 0.08879, 0.07, 0.049]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        if decay_steps <= 0:
            raise ValueError("Argument `decay_steps` must be > 0. "
                             f"Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _value(self, step: Any) -> np.float32:
        p = _f32(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _f32(self.initial_learning_rate) * _scalar_pow(_f32(self.decay_rate), p)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate per interval of steps, as Keras's
    ``keras.optimizers.schedules.PiecewiseConstantDecay``: ``values[0]`` while
    ``step <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``,
    and ``values[-1]`` after the last boundary.

    Parameters
    ----------
    boundaries:
        Increasing steps (compared with the step in its own dtype, as Keras casts them).
    values:
        One more value than boundaries.
    name:
        The schedule's name.

    Raises
    ------
    ValueError
        When ``values`` is not one longer than ``boundaries`` (Keras's text).

    Examples
    --------
    >>> from dualgrad.optim.keras import PiecewiseConstantDecay
    >>> schedule = PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01])
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 6, 10, 11)]
    [0.1, 0.1, 0.05, 0.05, 0.01]
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def _value(self, step: Any) -> np.float32:
        step = np.asarray(step)
        index = sum(bool(step > np.asarray(b).astype(step.dtype)) for b in self.boundaries)
        return _f32(self.values[index])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha * initial_learning_rate`` over
    ``decay_steps`` steps (constant after), optionally after a linear warmup, as Keras's
    ``keras.optimizers.schedules.CosineDecay`` (in float32)::

        decayed = (1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha
        learning_rate = initial_learning_rate * decayed

    Parameters
    ----------
    initial_learning_rate:
        The learning rate at step 0.
    decay_steps:
        The number of steps to decay over.
    alpha:
        The final learning rate, as a fraction of the decaying one.
    name:
        The schedule's name.
    warmup_target:
        If set, the rate first grows linearly from ``initial_learning_rate`` to
        ``warmup_target`` over ``warmup_steps`` steps, then decays from ``warmup_target``.
    warmup_steps:
        The number of warmup steps.

    Examples
    --------
    >>> from dualgrad.optim.keras import CosineDecay
    >>> schedule = CosineDecay(0.1, decay_steps=10, alpha=0.1)
    >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 20)]
    [0.1, 0.055, 0.01, 0.01]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decayed(self, step: np.float32, decay_from: np.float32) -> np.float32:
        fraction = step / _f32(self.decay_steps)
        cosine = _f32(0.5) * (_f32(1.0) + _f32(np.cos(np.float64(_f32(np.pi) * fraction))))
        return decay_from * (_f32(1 - self.alpha) * cosine + _f32(self.alpha))

    def _value(self, step: Any) -> np.float32:
        initial, step = _f32(self.initial_learning_rate), _f32(step)
        if self.warmup_target is None:
            return self._decayed(min(step, _f32(self.decay_steps)), initial)
        target, warmup = _f32(self.warmup_target), _f32(self.warmup_steps)
        step = min(step, _f32(self.decay_steps) + warmup)
        if step < warmup:
            return (target - initial) * (step / warmup) + initial
        return self._decayed(step - warmup, target)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as Keras reports them."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class Iterations(int):
    """An optimizer's update count, ``optimizer.iterations``: an ``int`` that prints, and
    answers ``numpy()``, ``dtype`` and ``shape``, as Keras 3's int64 ``iteration`` variable.

    Arithmetic gives plain ints (Keras gives tensors). The optimizer replaces it by a new one
    after each update.

    Examples
    --------
    >>> from dualgrad.optim.keras import Iterations
    >>> it = Iterations(3, "sgd")
    >>> it
    <Variable path=sgd/iteration, shape=(), dtype=int64, value=3>
    >>> it + 1, it.numpy()
    (4, np.int64(3))
    """

    name = "iteration"
    dtype = "int64"
    shape = ()

    def __new__(cls, value: int, optimizer_name: str) -> Iterations:
        self = super().__new__(cls, value)
        self.path = f"{optimizer_name}/iteration"
        return self

    def numpy(self) -> np.int64:
        """The count as a NumPy int64."""
        return np.int64(self)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape=(), dtype=int64, value={int(self)}>"

    __str__ = __repr__


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
        self.iterations = Iterations(0, name)
        # Slots keyed by variable identity; the variable is kept so the id stays unique.
        self._slots: dict[int, tuple[Tensor, list[np.ndarray]]] = {}

    def _current_lr(self) -> float:
        # As Keras 3: a schedule is called with the iteration count, another callable with
        # no argument.
        lr = self.learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = lr(self.iterations)
        elif callable(lr):
            lr = lr()
        return float(lr._data if isinstance(lr, Tensor) else lr)

    @property
    def variables(self) -> list[Tensor]:
        """The slots (momentums, velocities), as tensors, variable by variable."""
        return [Tensor._make(s) for _, slots in self._slots.values() for s in slots]

    def _update(self, var: np.ndarray, grad: np.ndarray, slots: list[np.ndarray],
                lr: float) -> None:
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> Iterations:
        """Update each variable in place from its gradient; None gradients are skipped.

        Parameters
        ----------
        grads_and_vars:
            ``(gradient, variable)`` pairs, e.g. ``zip(tape.gradient(loss, vs), vs)``.

        Returns
        -------
        Iterations
            The iteration count after this update (``optimizer.iterations``).

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
        self.iterations = Iterations(self.iterations + 1, self.name)
        return self.iterations

    def minimize(self, loss: Any, var_list: list[Tensor], tape: Any = None) -> Iterations:
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
        The step size (default ``0.01``, as Keras), a ``LearningRateSchedule`` (called with
        the iteration count before each update) or a callable taking no argument.
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
    <Variable path=sgd/iteration, shape=(), dtype=int64, value=2>
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, name: str = "sgd", **kwargs: Any) -> None:
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
        The step size (default ``0.001``, as Keras), a ``LearningRateSchedule`` (called with
        the iteration count before each update) or a callable taking no argument.
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
    <Variable path=adam/iteration, shape=(), dtype=int64, value=1>
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
