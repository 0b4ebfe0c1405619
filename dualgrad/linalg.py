"""``dg.linalg`` (also ``torch.linalg`` in :mod:`dualgrad.torch`): linear algebra, PyTorch's names.

Every function is differentiable (first and higher order) and works on batches of matrices
(the last two dimensions).

>>> import dualgrad as dg
>>> A = dg.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> dg.linalg.det(A)
tensor(5., grad_fn=<LinalgDetBackward0>)
>>> dg.linalg.norm(dg.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

from typing import Any

from dualgrad._functions import det as _det
from dualgrad._functions import inverse as _inverse
from dualgrad._functions import solve as _solve
from dualgrad._tensor import Tensor, from_data
from dualgrad.ops.linalg import LinAlgError

__all__ = ["inv", "det", "solve", "norm", "vector_norm", "matrix_norm", "LinAlgError"]

_INF = float("inf")


def inv(A: Any) -> Tensor:
    """The inverse of a square matrix (or of each matrix in a batch).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.linalg.inv(dg.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return _inverse(A)


def det(A: Any) -> Tensor:
    """The determinant of a square matrix (or of each matrix in a batch).

    The gradient is right for singular matrices too: the cofactor matrix, the limit of the
    gradient at nearby matrices (PyTorch 2 returns zeros for an exactly singular matrix).
    """
    return _det(A)


def solve(A: Any, B: Any) -> Tensor:
    """The solution ``X`` of ``A @ X = B`` (``B`` a vector, a matrix, or a batch of either).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.linalg.solve(dg.tensor([[2.0, 0.0], [0.0, 4.0]]), dg.tensor([1.0, 1.0]))
    tensor([0.5000, 0.2500])
    """
    return _solve(A, B)


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements, flattened, when None).

    ``ord`` is a positive number or ``inf`` (PyTorch's node: ``LinalgVectorNormBackward0``).
    The gradient at the origin is 0 (a subgradient), as in PyTorch.
    """
    return _as_tensor(x).norm(ord, dim, keepdim)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False) -> Tensor:
    """A matrix norm over the two dimensions ``dim``: ``"fro"``, ``1``, ``-1``, ``inf``, ``-inf``.

    ``1`` is the largest column sum of ``|A|``, ``inf`` the largest row sum; ``-1`` and
    ``-inf`` the smallest. The spectral and nuclear norms (``2``, ``-2``, ``"nuc"``) need an
    SVD, which dualgrad does not differentiate: they raise ``NotImplementedError``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> A = dg.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> dg.linalg.matrix_norm(A, 1), dg.linalg.matrix_norm(A, float("inf"))
    (tensor(6.), tensor(7.))
    """
    A = _as_tensor(A)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return A.norm(2, (d0, d1), keepdim)
    if ord in (1, -1, _INF, -_INF):
        # Sum |A| down the columns (ord 1) or along the rows (ord inf), then the extreme sum.
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        # ``summed`` has size 1 now: reducing both dimensions reduces ``other``.
        return (sums.amax if ord > 0 else sums.amin)((d0, d1), keepdim)
    raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs a singular value "
                              "decomposition, which dualgrad does not differentiate; use "
                              "'fro', 1, -1, inf or -inf")


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """A vector or matrix norm, chosen as ``torch.linalg.norm`` chooses.

    With ``ord=None``: the 2-norm of the flattened tensor (over ``dim`` if given). With an
    ``ord``: a matrix norm if ``dim`` is a pair or (``dim`` None) ``A`` is 2-D, else a vector
    norm.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.linalg.norm(dg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(5.)
    """
    A = _as_tensor(A)
    if isinstance(dim, list):
        dim = tuple(dim)
    matrix = (isinstance(dim, tuple) and len(dim) == 2) or (dim is None and A.ndim == 2)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if matrix:
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim)
    if dim is None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, ord, dim, keepdim)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else from_data(x)
