"""Stochastic gradient descent with PyTorch's update rule (``torch/optim/sgd.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad._tensor import Tensor
from dualgrad.optim.optimizer import Optimizer

__all__ = ["SGD"]


def _sgd_update(param: np.ndarray, grad: np.ndarray, states: dict, key: Any,
                group: dict) -> None:
    """One SGD step on ``param`` in place, PyTorch's equations (state, the momentum buffer in
    ``states[key]``, only with momentum)::

        g = -grad if maximize else grad
        g = g + weight_decay * param
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g = g + momentum * buf if nesterov else buf
        param -= lr * g
    """
    momentum = group["momentum"]
    weight_decay = group["weight_decay"]
    d_p = -grad if group["maximize"] else grad
    if weight_decay != 0:
        d_p = d_p + weight_decay * param
    if momentum != 0:
        state = states[key]
        buf_t = state.get("momentum_buffer")
        if buf_t is None:
            buf = np.array(d_p, dtype=param.dtype)
            state["momentum_buffer"] = Tensor._make(buf)
        else:
            buf = buf_t._data
            buf *= momentum
            buf += (1 - group["dampening"]) * d_p
        d_p = d_p + momentum * buf if group["nesterov"] else buf
    param -= group["lr"] * d_p


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    Parameters
    ----------
    params:
        Tensors to optimize (leaves with ``requires_grad=True``), or parameter groups.
    lr:
        Learning rate (default ``1e-3``, as PyTorch).
    momentum:
        Momentum factor.
    dampening:
        Dampening for momentum.
    weight_decay:
        L2 penalty added to the gradient: ``grad + weight_decay * param``.
    nesterov:
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize:
        Maximize the objective instead of minimizing it.

    Raises
    ------
    ValueError
        PyTorch's texts: ``Invalid learning rate: -0.1``, ``Invalid momentum value: ...``,
        ``Invalid weight_decay value: ...``,
        ``Nesterov momentum requires a momentum and zero dampening``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = dg.optim.SGD([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     loss = (w ** 2).sum()
    ...     loss.backward()
    ...     opt.step()
    >>> w
    tensor([ 0.5120, -1.0240], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    _update = staticmethod(_sgd_update)
