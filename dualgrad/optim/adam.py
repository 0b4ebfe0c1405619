"""Adam and AdamW with PyTorch's update rule (``torch/optim/adam.py``, ``adamw.py``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualgrad.optim.optimizer import Optimizer, buffer, next_step

__all__ = ["Adam", "AdamW"]


def _adam_update(param: np.ndarray, grad: np.ndarray, states: dict, key: Any,
                 group: dict) -> None:
    """One Adam step on ``param`` in place (its state in ``states[key]``), PyTorch's
    equations::

        t += 1
        param *= 1 - lr * weight_decay           (AdamW: decoupled decay)
        g = grad + weight_decay * param          (Adam: L2 penalty)
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        param -= lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)
    """
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    state = states[key]
    step = next_step(state)
    exp_avg = buffer(state, "exp_avg", param)
    exp_avg_sq = buffer(state, "exp_avg_sq", param)
    g = -grad if group["maximize"] else grad
    if weight_decay != 0:
        if group["decoupled_weight_decay"]:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (g * g)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
    if group["amsgrad"]:
        max_sq = buffer(state, "max_exp_avg_sq", param)
        np.maximum(max_sq, exp_avg_sq, out=max_sq)
        denom = np.sqrt(max_sq)
    else:
        denom = np.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += group["eps"]
    param -= (lr / bias_correction1) * (exp_avg / denom)


def _check(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad, as PyTorch's ``torch.optim.Adam``.

    Parameters
    ----------
    params:
        Tensors to optimize, or parameter groups.
    lr:
        Learning rate.
    betas:
        Decay rates of the first and second moment estimates.
    eps:
        Added to the denominator for numerical stability.
    weight_decay:
        L2 penalty added to the gradient (use :class:`AdamW` for decoupled decay).
    amsgrad:
        Use the running maximum of the second moment (AMSGrad).
    maximize:
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay:
        Decay the weights directly, as AdamW does.

    Raises
    ------
    ValueError
        PyTorch's texts, e.g. ``Invalid beta parameter at index 0: 1.0``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = dg.optim.Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    _update = staticmethod(_adam_update)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    The weights shrink by ``lr * weight_decay`` each step, outside the moment estimates.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0], requires_grad=True)
    >>> opt = dg.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = dg.zeros(1)
    >>> opt.step()
    >>> w
    tensor([0.9500], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
