"""Adagrad with PyTorch's update rule (``torch/optim/adagrad.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad._tensor import Tensor
from dualgrad.optim.optimizer import Optimizer, next_step

__all__ = ["Adagrad"]


def _adagrad_update(param: np.ndarray, grad: np.ndarray, states: dict, key: Any,
                    group: dict) -> None:
    """One Adagrad step on ``param`` in place (its state in ``states[key]``), PyTorch's
    equations::

        t += 1
        g = -grad if maximize else grad
        g = g + weight_decay * param
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                                     (sum)
        param -= clr * g / (sqrt(s) + eps)
    """
    state = states[key]
    if "sum" not in state:  # a group added after construction
        _init_state(state, param, group)
    step = next_step(state)
    g = -grad if group["maximize"] else grad
    if group["weight_decay"] != 0:
        g = g + group["weight_decay"] * param
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
    total = state["sum"]._data
    total += g * g
    std = np.sqrt(total)
    std += group["eps"]
    param += -clr * g / std  # addcdiv_: value * t1 / t2


def _init_state(state: dict, param: np.ndarray, group: dict) -> None:
    """PyTorch's eager state: step 0 and the sum filled with ``initial_accumulator_value``."""
    state["step"] = Tensor._make(np.zeros((), np.float32))
    state["sum"] = Tensor._make(np.full_like(param, group["initial_accumulator_value"]))


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as ``torch.optim.Adagrad``: each parameter's step is divided
    by the root of its summed squared gradients.

    As in PyTorch, the state (``step`` and ``sum``) exists from construction on.

    Parameters
    ----------
    params:
        Tensors to optimize, or parameter groups.
    lr:
        Learning rate.
    lr_decay:
        Learning-rate decay: step ``t`` uses ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay:
        L2 penalty added to the gradient.
    initial_accumulator_value:
        Starting value of the sums of squared gradients.
    eps:
        Added to the denominator for numerical stability.
    maximize:
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        PyTorch's texts: ``Invalid learning rate: -1``, ``Invalid lr_decay value: ...``,
        ``Invalid weight_decay value: ...``, ``Invalid initial_accumulator_value value: ...``,
        ``Invalid epsilon value: ...``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = dg.optim.Adagrad([w], lr=0.5)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.5000, -0.5000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value),
                            ("epsilon value", eps)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                _init_state(self.state[p], p._data, group)

    _update = staticmethod(_adagrad_update)
