"""``Embedding`` and ``LayerNorm`` (``torch.nn``), on :func:`dualgrad.nn.functional.embedding`
and :func:`dualgrad.nn.functional.layer_norm`."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._creation import _generator
from dualgrad._device import check_device
from dualgrad._tensor import Tensor
from dualgrad.nn import functional as F
from dualgrad.nn.modules import Module
from dualgrad.nn.parameter import Parameter

__all__ = ["Embedding", "LayerNorm"]


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``: integer indices
    of any shape in, their rows out (``(*, embedding_dim)``).

    Initialised as PyTorch does: ``weight`` drawn from ``N(0, 1)`` (the generator that
    :func:`dualgrad.manual_seed` seeds), the row ``padding_idx`` zeroed; that row gets no
    gradient. See :func:`dualgrad.nn.functional.embedding` for ``max_norm``.

    Parameters
    ----------
    num_embeddings, embedding_dim:
        The number of rows and their size.
    padding_idx:
        A row (negative: from the end) that stays zero and gets no gradient.
    max_norm, norm_type:
        Rescale each looked-up row to a ``norm_type``-norm of at most ``max_norm``.
    dtype:
        The weight's dtype (float32 by default).

    Raises
    ------
    AssertionError
        PyTorch's ``Padding_idx must be within num_embeddings`` and ``Shape of weight does not
        match num_embeddings and embedding_dim`` (for ``_weight``).

    Examples
    --------
    >>> import dualgrad as dg
    >>> emb = dg.nn.Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(dg.tensor([[1, 2], [0, 9]])).shape
    torch.Size([2, 2, 3])
    >>> emb.weight[0]
    tensor([0., 0., 0.], grad_fn=<SelectBackward0>)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.default_float
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Draw new weights from ``N(0, 1)`` and zero the ``padding_idx`` row."""
        w = self.weight
        w._data[...] = _generator().standard_normal(w._data.shape)
        if self.padding_idx is not None:
            w._data[self.padding_idx] = 0
        w._vc[0] += 1

    def forward(self, input: Tensor) -> Tensor:
        """The rows of ``weight`` that ``input`` picks."""
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An ``Embedding`` whose weight is ``embeddings`` (2-D; shared, not copied), frozen
        (``requires_grad=False``) unless ``freeze=False``."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


class LayerNorm(Module):
    """Layer normalization over the trailing dimensions ``normalized_shape``, with a learned
    elementwise ``weight`` (ones) and ``bias`` (zeros) of that shape.

    Parameters
    ----------
    normalized_shape:
        An int or a tuple: the sizes of the last dimensions to normalize over.
    eps:
        Added to the variance.
    elementwise_affine:
        Learn ``weight`` and ``bias`` (else both are None).
    bias:
        Learn ``bias`` (with ``elementwise_affine``).
    dtype:
        The parameters' dtype (float32 by default).

    Examples
    --------
    >>> import dualgrad as dg
    >>> ln = dg.nn.LayerNorm(4)
    >>> ln
    LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    >>> ln(dg.arange(8.0).reshape(2, 4)).grad_fn
    <NativeLayerNormBackward0 object at ...>
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.default_float
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Set ``weight`` to ones and ``bias`` to zeros."""
        for p, value in ((self.weight, 1), (self.bias, 0)):
            if p is not None:
                p._data[...] = value
                p._vc[0] += 1

    def forward(self, input: Tensor) -> Tensor:
        """``layer_norm(input, normalized_shape, weight, bias, eps)``."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
