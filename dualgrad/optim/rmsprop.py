"""RMSprop with PyTorch's update rule (``torch/optim/rmsprop.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad.optim.optimizer import Optimizer, buffer, next_step

__all__ = ["RMSprop"]


def _rmsprop_update(param: np.ndarray, grad: np.ndarray, states: dict, key: Any,
                    group: dict) -> None:
    """One RMSprop step on ``param`` in place (its state in ``states[key]``), PyTorch's
    equations, in its order of operations::

        g = -grad if maximize else grad
        g = g + weight_decay * param
        v = alpha * v + (1 - alpha) * g * g                        (square_avg)
        m = lerp(m, g, 1 - alpha); avg = sqrt(v - m * m) + eps     (centered: grad_avg)
        avg = sqrt(v) + eps                                        (otherwise)
        buf = momentum * buf + g / avg; param -= lr * buf          (momentum > 0)
        param -= lr * g / avg                                      (otherwise)
    """
    state = states[key]
    next_step(state)
    square_avg = buffer(state, "square_avg", param)
    momentum = group["momentum"]
    if momentum > 0:
        buf = buffer(state, "momentum_buffer", param)
    g = -grad if group["maximize"] else grad
    if group["weight_decay"] != 0:
        g = g + group["weight_decay"] * param
    alpha = group["alpha"]
    square_avg *= alpha
    square_avg += (1 - alpha) * g * g  # addcmul_: value * t1 * t2
    if group["centered"]:
        grad_avg = buffer(state, "grad_avg", param)
        weight = 1 - alpha  # lerp_ as PyTorch computes it on either side of 1/2
        if weight < 0.5:
            grad_avg += weight * (g - grad_avg)
        else:
            grad_avg[...] = g - (g - grad_avg) * (1 - weight)
        avg = np.sqrt(square_avg + -1 * grad_avg * grad_avg)
    else:
        avg = np.sqrt(square_avg)
    avg += group["eps"]
    lr = group["lr"]
    if momentum > 0:
        buf *= momentum
        buf += g / avg
        param += -lr * buf
    else:
        param += -lr * g / avg  # addcdiv_: value * t1 / t2


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum, as ``torch.optim.RMSprop``.

    The state of each parameter holds ``step``, ``square_avg``, and ``momentum_buffer``
    (``momentum > 0``) and ``grad_avg`` (``centered``), as PyTorch's.

    Parameters
    ----------
    params:
        Tensors to optimize, or parameter groups.
    lr:
        Learning rate.
    alpha:
        Smoothing constant of the running average of the squared gradient.
    eps:
        Added to the denominator for numerical stability.
    weight_decay:
        L2 penalty added to the gradient.
    momentum:
        Momentum factor.
    centered:
        Divide by an estimate of the gradient's variance instead of its second moment.
    maximize:
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        PyTorch's texts: ``Invalid learning rate: -1``, ``Invalid epsilon value: ...``,
        ``Invalid momentum value: ...``, ``Invalid weight_decay value: ...``,
        ``Invalid alpha value: ...``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = dg.optim.RMSprop([w], lr=0.01)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        for name, value in (("learning rate", lr), ("epsilon value", eps),
                            ("momentum value", momentum), ("weight_decay value", weight_decay),
                            ("alpha value", alpha)):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {name}: {value}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    _update = staticmethod(_rmsprop_update)
