"""Module-level functions (``dg.sin(x)``, ``dg.matmul(a, b)``, ...): thin wrappers that turn
their arguments into tensors and call the Tensor method of the same name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dualgrad import _dtypes
from dualgrad._dtypes import float32 as _float32
from dualgrad._dtypes import float64 as _float64
from dualgrad._registry import NO_PARAMS
from dualgrad._tensor import Tensor, _dim, apply, from_data
from dualgrad.ops import linalg as L
from dualgrad.ops import shape as S

__all__ = [
    "abs", "add", "sub", "mul", "div", "neg", "pow", "exp", "expm1", "log", "log1p", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf",
    "sign", "maximum", "minimum", "clamp", "clip", "where", "sum", "mean", "prod", "max", "min",
    "amax", "amin", "argmax", "argmin", "var", "std", "norm", "logsumexp", "cumsum", "matmul",
    "mm", "mv", "dot", "outer", "einsum", "transpose", "t", "permute", "reshape", "flatten",
    "squeeze", "unsqueeze", "cat", "concat", "stack", "split", "chunk", "flip", "softmax",
    "log_softmax", "detach", "numel", "allclose", "equal", "isnan", "inverse", "det", "solve",
    "broadcast_to", "is_tensor", "unbind", "gather", "cumprod", "masked_fill", "isinf",
    "isfinite", "floor", "ceil", "round", "trunc", "any", "all", "tril", "triu", "argsort",
    "sort", "topk", "nonzero", "narrow", "index_select", "bmm", "is_floating_point", "hstack",
    "vstack", "meshgrid", "remainder", "fmod", "floor_divide", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "logical_and", "logical_or", "logical_xor", "logical_not",
    "exp2", "log2", "log10", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2",
    "eq", "ne", "lt", "le", "gt", "ge", "diag", "diagonal", "diag_embed", "trace", "roll",
    "movedim", "moveaxis", "rot90", "take", "repeat_interleave", "lerp", "isclose", "clone",
    "median", "kthvalue", "cummax", "cummin", "unique", "bincount", "addmm", "addmv", "baddbmm",
    "scatter", "scatter_add", "index_add",
]


def _t(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return from_data(x)


def _method(name: str, doc: str) -> Any:
    method = getattr(Tensor, name)

    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:
        if input.__class__ is Tensor:
            return method(input, *args, **kwargs)
        # Subclasses (Parameter, Variable) may override the method.
        return getattr(_t(input), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _unary(name: str, doc: str) -> Any:
    """``_method`` for the one-argument elementwise functions (no argument packing). A
    floating Tensor goes to ``apply`` directly when the method says which op it applies."""
    method = getattr(Tensor, name)
    op = getattr(method, "op", None)

    def fn(input: Any) -> Any:
        if input.__class__ is Tensor:
            dtype = input._data.dtype
            if op is not None and (dtype is _float32 or dtype is _float64
                                   or dtype.kind in "fc"):
                return apply(op, (input,), NO_PARAMS)
            return method(input)
        return getattr(_t(input), name)()

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


abs = _method("abs", "Absolute value, elementwise.")
neg = _method("__neg__", "Negation, elementwise.")
exp = _unary("exp", "Exponential, elementwise.")
expm1 = _unary("expm1", "``exp(x) - 1``, elementwise.")
log = _unary("log", "Natural logarithm, elementwise.")
log1p = _unary("log1p", "``log(1 + x)``, elementwise.")
sqrt = _unary("sqrt", "Square root, elementwise.")
rsqrt = _unary("rsqrt", "``1 / sqrt(x)``, elementwise.")
square = _unary("square", "``x * x``, elementwise.")
reciprocal = _unary("reciprocal", "``1 / x``, elementwise.")
sin = _unary("sin", "Sine, elementwise.")
cos = _unary("cos", "Cosine, elementwise.")
tan = _unary("tan", "Tangent, elementwise.")
tanh = _unary("tanh", "Hyperbolic tangent, elementwise.")
exp2 = _unary("exp2", "``2 ** x``, elementwise.")
log2 = _unary("log2", "Logarithm to base 2, elementwise.")
log10 = _unary("log10", "Logarithm to base 10, elementwise.")
asin = arcsin = _unary("asin", "Inverse sine, elementwise.")
acos = arccos = _unary("acos", "Inverse cosine, elementwise.")
atan = arctan = _unary("atan", "Inverse tangent, elementwise.")
sinh = _unary("sinh", "Hyperbolic sine, elementwise.")
cosh = _unary("cosh", "Hyperbolic cosine, elementwise.")
asinh = arcsinh = _unary("asinh", "Inverse hyperbolic sine, elementwise.")
acosh = arccosh = _unary("acosh", "Inverse hyperbolic cosine, elementwise.")
atanh = arctanh = _unary("atanh", "Inverse hyperbolic tangent, elementwise.")
atan2 = arctan2 = _method("atan2", "``atan(input / other)`` in the right quadrant, elementwise.")
eq = _method("eq", "Elementwise ``==`` (a bool tensor).")
ne = _method("ne", "Elementwise ``!=`` (a bool tensor).")
lt = _method("lt", "Elementwise ``<`` (a bool tensor).")
le = _method("le", "Elementwise ``<=`` (a bool tensor).")
gt = _method("gt", "Elementwise ``>`` (a bool tensor).")
ge = _method("ge", "Elementwise ``>=`` (a bool tensor).")
sigmoid = _unary("sigmoid", "Logistic sigmoid, elementwise.")
relu = _unary("relu", "``max(x, 0)``, elementwise.")
erf = _unary("erf", "Error function, elementwise.")
sign = _unary("sign", "Sign, elementwise (zero gradient).")
clamp = _method("clamp", "Limit values to ``[min, max]``.")
clip = clamp
sum = _method("sum", "Sum of all elements, or over ``dim``.")
mean = _method("mean", "Mean of all elements, or over ``dim``.")
prod = _method("prod", "Product of all elements, or over ``dim``.")
amax = _method("amax", "Largest values over ``dim``.")
amin = _method("amin", "Smallest values over ``dim``.")
argmax = _method("argmax", "Index of the largest value.")
argmin = _method("argmin", "Index of the smallest value.")
var = _method("var", "Variance (unbiased by default).")
std = _method("std", "Standard deviation (unbiased by default).")
logsumexp = _method("logsumexp", "``log(sum(exp(x)))`` over ``dim``, stably.")
cumsum = _method("cumsum", "Cumulative sum along ``dim``.")
mm = _method("mm", "Product of two matrices.")
mv = _method("mv", "Matrix-vector product.")
dot = _method("dot", "Inner product of two 1-D tensors.")
outer = _method("outer", "Outer product of two 1-D tensors.")
transpose = _method("transpose", "Swap two dimensions.")
t = _method("t", "Transpose of a matrix.")
permute = _method("permute", "Reorder the dimensions.")
reshape = _method("reshape", "The same values in a new shape.")
flatten = _method("flatten", "Merge dimensions into one.")
squeeze = _method("squeeze", "Remove dimensions of size 1.")
unsqueeze = _method("unsqueeze", "Insert a dimension of size 1.")
split = _method("split", "Split into pieces along ``dim``.")
chunk = _method("chunk", "Split into ``chunks`` pieces along ``dim``.")
unbind = _method("unbind", "The slices along ``dim``.")
flip = _method("flip", "Reverse the order along ``dims``.")
softmax = _method("softmax", "Softmax along ``dim``.")
log_softmax = _method("log_softmax", "Log-softmax along ``dim``.")
detach = _method("detach", "A tensor cut from the graph.")
numel = _method("numel", "Number of elements.")
isnan = _method("isnan", "Elementwise NaN test.")
broadcast_to = _method("broadcast_to", "Broadcast to a shape.")
equal = _method("equal", "True if shapes and values are equal.")
allclose = _method("allclose", "True if all values are close.")
cumprod = _method("cumprod", "Cumulative product along ``dim``.")
masked_fill = _method("masked_fill", "``input`` with ``value`` where the bool ``mask`` is True.")
isinf = _method("isinf", "Elementwise test for +-inf.")
isfinite = _method("isfinite", "Elementwise test for finite values.")
floor = _method("floor", "Round down, elementwise (zero gradient).")
ceil = _method("ceil", "Round up, elementwise (zero gradient).")
round = _method("round", "Round to the nearest integer, halves to even (zero gradient).")  # noqa: A001
trunc = _method("trunc", "Round toward zero, elementwise (zero gradient).")
any = _method("any", "Whether any element is nonzero (over ``dim``).")  # noqa: A001
all = _method("all", "Whether every element is nonzero (over ``dim``).")  # noqa: A001
tril = _method("tril", "The lower triangle of the last two dimensions.")
triu = _method("triu", "The upper triangle of the last two dimensions.")
argsort = _method("argsort", "The indices that sort ``dim``.")
sort = _method("sort", "``(values, indices)`` sorted along ``dim``.")
topk = _method("topk", "``(values, indices)`` of the ``k`` largest along ``dim``.")
nonzero = _method("nonzero", "The indices of the nonzero elements.")
narrow = _method("narrow", "``length`` elements of ``dim`` from ``start`` (a view).")
index_select = _method("index_select", "The slices ``index`` of ``dim``, in that order.")
bmm = _method("bmm", "Batched matrix product of two 3-D tensors.")
is_floating_point = _method("is_floating_point", "True for floating dtypes.")


diag = _method("diag", "A vector on a diagonal of a new matrix, or a matrix's diagonal.")
diagonal = _method("diagonal", "A diagonal of the matrices in ``dim1``, ``dim2`` (a view).")
diag_embed = _method("diag_embed", "Matrices with the last dimension on a diagonal.")
trace = _method("trace", "The sum of a matrix's main diagonal.")
roll = _method("roll", "Shift the elements circularly along ``dims``.")
movedim = moveaxis = _method("movedim", "Move dimensions to new positions (a view).")
rot90 = _method("rot90", "Rotate by ``k`` quarter turns in the plane of ``dims``.")
take = _method("take", "The elements at ``index`` of the flattened tensor.")
lerp = _method("lerp", "Linear interpolation ``input + weight * (end - input)``.")
isclose = _method("isclose", "Elementwise closeness test (a bool tensor).")
clone = _method("clone", "A copy that stays in the graph (``CloneBackward0``).")
median = _method("median", "The lower median; with ``dim``, ``(values, indices)``.")
kthvalue = _method("kthvalue", "``(values, indices)`` of the k-th smallest along ``dim``.")
cummax = _method("cummax", "``(values, indices)`` of the running maximum along ``dim``.")
cummin = _method("cummin", "``(values, indices)`` of the running minimum along ``dim``.")
unique = _method("unique", "The sorted distinct values (with inverse indices and counts).")
bincount = _method("bincount", "How often each non-negative integer occurs (or its weights).")
addmm = _method("addmm", "``beta * input + alpha * (mat1 @ mat2)``.")
addmv = _method("addmv", "``beta * input + alpha * (mat @ vec)``.")
baddbmm = _method("baddbmm", "``beta * input + alpha * (batch1 @ batch2)``, batched.")
scatter = _method("scatter", "A copy with ``src`` (or ``value``) written at ``index``.")
scatter_add = _method("scatter_add", "A copy with ``src`` added at ``index``.")
index_add = _method("index_add", "A copy with ``alpha * source`` added to the slices "
                    "``index`` of ``dim``.")


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (see :meth:`Tensor.repeat_interleave`); with one int64 tensor
    only, ``repeat_interleave(counts)``, the indices ``0, 1, ...`` each repeated ``counts[i]``
    times.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.repeat_interleave(dg.tensor([2, 0, 1]))
    tensor([0, 0, 2])
    """
    if repeats is None:
        counts = _t(input)
        if counts._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return from_data(np.arange(counts._data.size)).repeat_interleave(counts)
    return _t(input).repeat_interleave(repeats, dim, output_size=output_size)


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Join along the columns: ``cat(tensors, 1)``, or ``cat(tensors, 0)`` for 1-D tensors."""
    ts = [_t(x) for x in tensors]
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Join along the rows: 1-D tensors become rows first."""
    return cat([x.reshape(1, -1) if x._data.ndim < 2 else x for x in map(_t, tensors)], 0)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing="ij"``, PyTorch's default, or
    ``"xy"``); each grid is an expanded view of its input, so gradients flow back to it."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_t(x) for x in tensors]
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    sizes = [t._data.size for t in ts]
    order = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
        order[0], order[1] = 1, 0
    grids = []
    for i, t in enumerate(ts):
        shape = [1] * len(ts)
        shape[order[i]] = t._data.size
        grids.append(t.reshape(shape).expand(sizes))
    return tuple(grids)


def gather(input: Any, dim: int, index: Any) -> Tensor:
    """Values of ``input`` picked along ``dim`` by ``index`` (see :meth:`Tensor.gather`).

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.gather(dg.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, dg.tensor([[1], [0]]))
    tensor([[2.],
            [3.]])
    """
    return _t(input).gather(dim, index)


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input + alpha * other``."""
    return _t(input).add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input - alpha * other``."""
    return _t(input).sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    """``input * other``."""
    return _t(input) * other if isinstance(input, Tensor) or not isinstance(other, Tensor) \
        else other * input


def div(input: Any, other: Any) -> Tensor:
    """``input / other``."""
    return _t(input) / other


def _first_operand(input: Any, other: Any) -> Any:
    """``input`` as the left operand of an operator: itself when either side is a Tensor (a
    number ``input`` then goes to the Tensor's reflected method), else a Tensor."""
    return input if isinstance(input, Tensor) or isinstance(other, Tensor) else _t(input)


def remainder(input: Any, other: Any) -> Tensor:
    """``input % other``, with the sign of the divisor (either may be a number)."""
    return _first_operand(input, other) % other


def floor_divide(input: Any, other: Any) -> Tensor:
    """``input // other``, rounded down (either may be a number; not differentiable)."""
    return _first_operand(input, other) // other


def bitwise_and(input: Any, other: Any) -> Tensor:
    """``input & other``: bitwise AND of integers, logical AND of bools (either may be a
    number)."""
    return _first_operand(input, other) & other


def bitwise_or(input: Any, other: Any) -> Tensor:
    """``input | other``: bitwise OR of integers, logical OR of bools."""
    return _first_operand(input, other) | other


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """``input ^ other``: bitwise XOR of integers, logical XOR of bools."""
    return _first_operand(input, other) ^ other


bitwise_not = _method("bitwise_not", "``~input``: bitwise NOT of integers, logical NOT of "
                                     "bools.")
logical_and = _method("logical_and", "Elementwise AND of the truth values, as bools.")
logical_or = _method("logical_or", "Elementwise OR of the truth values, as bools.")
logical_xor = _method("logical_xor", "Elementwise XOR of the truth values, as bools.")
logical_not = _method("logical_not", "Elementwise NOT of the truth values, as bools.")
fmod = _method("fmod", "C's remainder ``input - trunc(input / other) * other``, with the sign "
                       "of ``input``.")


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent``; a number base with a tensor exponent works too."""
    if not isinstance(input, Tensor) and isinstance(exponent, Tensor):
        return input ** exponent
    return _t(input) ** exponent


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum."""
    return _t(input).maximum(_t(other))


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise minimum."""
    return _t(input).minimum(_t(other))


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``."""
    x = input if isinstance(input, Tensor) else from_data(input)
    return x.where(condition, other)


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Largest value; with ``dim``, ``(values, indices)``; with a tensor, elementwise."""
    return _t(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Smallest value; with ``dim``, ``(values, indices)``; with a tensor, elementwise."""
    return _t(input).min(dim, keepdim)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector norm (``p`` = 1, 2, inf, ...)."""
    return _t(input).norm(p, dim, keepdim)


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product (1-D, 2-D and batched)."""
    return L.matmul_any(_t(input), _t(other))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (``torch.einsum``), differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return L.einsum(equation, *[_t(o) for o in operands])


def _promoted(ts: list[Tensor]) -> list[Tensor]:
    """The tensors in their common dtype, by PyTorch's promotion (an int and a float tensor
    give float32, not NumPy's float64)."""
    dtypes = {t._data.dtype for t in ts}
    if len(dtypes) == 1:
        return ts
    target = _dtypes.result_dtype([t._data.dtype for t in ts if t._data.ndim],
                                  [t._data.dtype for t in ts if not t._data.ndim])
    return [t if t._data.dtype == target else t.to(target) for t in ts]


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (PyTorch's promotion, checks and texts; a
    legacy empty ``tensor([])`` among tensors of more dimensions is skipped, as in PyTorch)."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    ts = [_t(x) for x in tensors]
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(ts):
        if not t._data.ndim:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    ts = _promoted(ts)  # the legacy empty tensors take part in the promotion, as in PyTorch
    # (and stay inputs of the op, which skips them, so that they get an empty gradient)
    shaped = ([t for t in ts if t._data.shape != (0,)] or ts[:1]) if len(ts) > 1 else ts
    first = shaped[0]._data.shape
    axis = _dim(shaped[0], dim)
    for i, t in enumerate(shaped[1:], 1):
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{len(first)} and {len(shape)}")
        for d, (a, b) in enumerate(zip(first, shape)):
            if d != axis and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} "
                                   "in the list.")
    return apply(S.cat, tuple(ts), {"axis": axis})


concat = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along a new dimension (PyTorch's promotion, checks and texts)."""
    ts = [_t(x) for x in tensors]
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = ts[0]._data.shape
    for i, t in enumerate(ts[1:], 1):
        if t._data.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(t._data.shape)} at entry "
                               f"{i}")
    return apply(S.stack, tuple(_promoted(ts)), {"axis": _dim(ts[0], dim, 1)})


def _square_matrices(A: Any, name: str) -> Tensor:
    """``A`` as a tensor, checked as PyTorch's ``linalg.<name>`` checks it: matrices, or
    batches of them, that are square."""
    A = _t(A)
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 "
                           "dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")
    return A


def inverse(input: Any) -> Tensor:
    """Matrix inverse."""
    return apply(L.inv, (_square_matrices(input, "inv"),), {})


def det(input: Any) -> Tensor:
    """Determinant."""
    return apply(L.det, (_square_matrices(input, "det"),), {})


def solve(A: Any, B: Any) -> Tensor:
    """Solution ``X`` of ``A @ X = B``."""
    A, B = _square_matrices(A, "solve"), _t(B)
    n, b_shape = A._data.shape[-1], B._data.shape
    # (PyTorch's rule: B is a vector, or a batch of them, if it is 1-D or shaped like A
    # without its last dimension)
    vector = len(b_shape) == 1 or b_shape == A._data.shape[:-1]
    rows, cols = (b_shape[-1], 1) if vector else b_shape[-2:]
    if rows != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {rows}x{cols})")
    return apply(L.solve, (A, B), {})


def is_tensor(obj: Any) -> bool:
    """True for dualgrad tensors."""
    return isinstance(obj, Tensor)
