"""Parameter initialisation (``torch.nn.init``): fill a tensor in place, without recording.

Each function changes ``tensor`` in place under ``no_grad`` and returns it, as PyTorch's do,
so it works on a parameter that requires a gradient. Random values come from the generator
that :func:`dualgrad.manual_seed` seeds (the same seed gives the same values in dualgrad;
they differ from PyTorch's numbers). Gains and fans follow PyTorch's ``torch/nn/init.py``.

Examples
--------
>>> import dualgrad as dg
>>> w = dg.nn.Parameter(dg.empty(4, 3))
>>> dg.nn.init.zeros_(w) is w
True
>>> dg.nn.init.calculate_gain("relu")
1.4142135623730951
>>> dg.nn.init._calculate_fan_in_and_fan_out(dg.empty(8, 4, 3, 3))
(36, 72)
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from dualgrad import _grad_mode
from dualgrad._creation import _generator
from dualgrad._inplace import fill_random
from dualgrad._tensor import Tensor, not_implemented_for

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
    "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    ``linear``, the convolutions and ``sigmoid``: 1; ``tanh``: 5/3; ``relu``: sqrt(2);
    ``leaky_relu``: ``sqrt(2 / (1 + negative_slope ** 2))`` (``param``, 0.01 by default);
    ``selu``: 3/4.

    Raises
    ------
    ValueError
        ``Unsupported nonlinearity foo``, or ``negative_slope a not a valid number``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.init.calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)
              or isinstance(param, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)``: ``size(1) * receptive field`` and ``size(0) * receptive
    field``, the receptive field being the product of the sizes after the first two.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions (PyTorch's text).
    """
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fmt(x: float) -> str:
    """A number as PyTorch's C++ messages print it (``2``, ``-1.5``)."""
    return f"{x:g}"


def _rng(generator: Any) -> np.random.Generator:
    return _generator() if generator is None else generator


def _fill(tensor: Tensor, kernel: str, draw: Any) -> Tensor:
    """Fill ``tensor`` in place with ``draw(rng, shape)`` (floating tensors only)."""
    if tensor._data.dtype.kind not in "fc":
        raise not_implemented_for(kernel, tensor._data.dtype)
    with _grad_mode.no_grad():
        return fill_random(tensor, draw(tensor._data.shape))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``tensor`` with values drawn uniformly from ``[a, b)``; returns it.

    Raises
    ------
    RuntimeError
        ``uniform_ expects to return a [from, to) range, but found from=2 > to=1``.
    NotImplementedError
        For an integer tensor (PyTorch's text).
    """
    if tensor._data.dtype.kind in "fc" and a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(a)} > to={_fmt(b)}")
    return _fill(tensor, "check_uniform_bounds",
                 lambda shape: _rng(generator).uniform(a, b, shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Any = None) -> Tensor:
    """Fill ``tensor`` with values drawn from ``N(mean, std ** 2)``; returns it.

    Raises
    ------
    RuntimeError
        ``normal expects std >= 0.0, but found std -1``.
    NotImplementedError
        For an integer tensor (PyTorch's text).
    """
    if tensor._data.dtype.kind not in "fc":
        raise not_implemented_for("normal_kernel_cpu", tensor._data.dtype)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _fill(tensor, "normal_kernel_cpu",
                 lambda shape: _rng(generator).normal(mean, std, shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` (cast to its dtype: 2.7 gives 2 in an integer tensor);
    returns it.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.init.constant_(dg.empty(3), 0.5)
    tensor([0.5000, 0.5000, 0.5000])
    """
    if isinstance(val, Tensor) and not val._data.ndim:
        val = val._data
    elif not isinstance(val, (numbers.Number, np.generic)):
        name = type(val).__name__
        mismatch = ("      didn't match because some of the arguments have invalid types: "
                    f"(!{name}!)\n")
        raise TypeError(f"fill_() received an invalid combination of arguments - got ({name}), "
                        f"but expected one of:\n * (Tensor value)\n{mismatch}"
                        f" * (Number value)\n{mismatch}")
    with _grad_mode.no_grad():
        return fill_random(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones; returns it."""
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros; returns it."""
    return constant_(tensor, 0)


def _no_op_if_empty(tensor: Tensor) -> bool:
    """PyTorch's warning for the Kaiming inits of a tensor without elements (then a no-op)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot initialisation: uniform on ``[-a, a]``,
    ``a = gain * sqrt(6 / (fan_in + fan_out))``; returns ``tensor``.

    Raises
    ------
    ValueError
        For a tensor with fewer than 2 dimensions.

    Examples
    --------
    >>> import dualgrad as dg
    >>> w = dg.nn.init.xavier_uniform_(dg.empty(200, 100))
    >>> bool(w.abs().max() <= (6 / 300) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot initialisation: ``N(0, std ** 2)``, ``std = gain * sqrt(2 / (fan_in +
    fan_out))``; returns ``tensor``.

    Raises
    ------
    ValueError
        For a tensor with fewer than 2 dimensions.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He initialisation: uniform on ``[-bound, bound]``, ``bound = gain * sqrt(3 / fan)``,
    ``gain = calculate_gain(nonlinearity, a)``, ``fan`` by ``mode`` (``"fan_in"`` or
    ``"fan_out"``); returns ``tensor``. A tensor without elements is left as it is, with
    PyTorch's warning.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions, an unknown ``mode`` or ``nonlinearity``.
    """
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * (gain / math.sqrt(fan))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He initialisation: ``N(0, std ** 2)``, ``std = gain / sqrt(fan)``; see
    :func:`kaiming_uniform_` for the arguments; returns ``tensor``."""
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0, gain / math.sqrt(fan), generator)
