"""``Parameter``: a leaf tensor that a ``Module`` registers as trainable."""

from __future__ import annotations

from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it to a ``Module`` attribute registers it.

    It is a leaf with ``requires_grad=True`` (unless asked otherwise) and shares memory with
    ``data``. Results of operations on a parameter are plain tensors.

    Parameters
    ----------
    data:
        A tensor or array with the initial values (an empty float32 tensor if None).
    requires_grad:
        Whether the parameter is trained.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.Parameter(dg.ones(2))
    Parameter containing:
    tensor([1., 1.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0, _dtypes.default_float)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        self._init(arr, None)
        if isinstance(data, Tensor):
            self._vc = data._vc
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        # PyTorch's Parameter.__deepcopy__: the values and requires_grad, not the grad.
        new = type(self)(self._data.copy(), self._requires_grad)
        memo[id(self)] = new
        return new
