"""Linear algebra: matmul (1-D, 2-D, batched with broadcasting), mm, mv, dot, outer, einsum,
solve, inv, det."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from dualgrad._registry import READS_OTHERS, defop, implements


def _mT(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 1 and yd == 1:
        return g * y
    if yd == 1:
        return np.expand_dims(g, -1) * y
    if xd == 1:
        # (..., n) x (..., n, m) -> (..., m): grad wrt x sums over the batch axes (sum_to).
        return np.squeeze(np.matmul(np.expand_dims(g, -2), _mT(y)), axis=-2)
    return np.matmul(g, _mT(y))


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 1 and yd == 1:
        return g * x
    if xd == 1:
        return np.expand_dims(x, -1) * np.expand_dims(g, -2)
    if yd == 1:
        return np.squeeze(np.matmul(_mT(x), np.expand_dims(g, -1)), axis=-1)
    return np.matmul(_mT(x), g)


_MATMUL_RULES = (_matmul_vjp_x, _matmul_vjp_y)
_MATMUL_READS = ((1,), (0,))  # each rule reads the other operand (and only the ndim of its own)
matmul = defop("matmul", np.matmul, vjp=_MATMUL_RULES, grad_fn_name="MatmulBackward0",
               reads=_MATMUL_READS,
               doc="Batched and mixed-rank matmul; 2-D, 1-D pairs record mm/mv/dot.")
mm = defop("mm", np.matmul, vjp=_MATMUL_RULES, reads=_MATMUL_READS)
mv = defop("mv", np.matmul, vjp=_MATMUL_RULES, reads=_MATMUL_READS)
bmm = defop("bmm", np.matmul, vjp=_MATMUL_RULES, reads=_MATMUL_READS,
            doc="Batched product of two 3-D tensors (``torch.bmm``).")
dot = defop("dot", np.matmul, vjp=_MATMUL_RULES, reads=_MATMUL_READS)


def _addmm_forward(c: np.ndarray, a: np.ndarray, b: np.ndarray, *, beta: Any,
                   alpha: Any) -> np.ndarray:
    # beta * c + alpha * (a @ b); with beta == 0, c is not read (its NaN do not propagate)
    prod = np.matmul(a, b)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return np.broadcast_to(prod, np.broadcast_shapes(c.shape, prod.shape)).copy()
    return prod + (c if beta == 1 else beta * c)


def _addmm_vjp_c(g: Any, ans: Any, c: Any, a: Any, b: Any, *, beta: Any, alpha: Any) -> Any:
    return g if beta == 1 else g * beta  # PyTorch's maybe_multiply(grad, beta)


def _addmm_vjp_a(g: Any, ans: Any, c: Any, a: Any, b: Any, *, beta: Any, alpha: Any) -> Any:
    grad = _matmul_vjp_x(g, ans, a, b)
    return grad if alpha == 1 else grad * alpha


def _addmm_vjp_b(g: Any, ans: Any, c: Any, a: Any, b: Any, *, beta: Any, alpha: Any) -> Any:
    grad = _matmul_vjp_y(g, ans, a, b)
    return grad if alpha == 1 else grad * alpha


# addmm, addmv and baddbmm: one formula for matrices, a matrix and a vector, and batches.
_ADDMM_RULES = (_addmm_vjp_c, _addmm_vjp_a, _addmm_vjp_b)
_ADDMM_READS = ((), (2,), (1,))
addmm = defop("addmm", _addmm_forward, vjp=_ADDMM_RULES, reads=_ADDMM_READS,
              doc="``beta * input + alpha * (mat1 @ mat2)``.")
addmv = defop("addmv", _addmm_forward, vjp=_ADDMM_RULES, reads=_ADDMM_READS,
              doc="``beta * input + alpha * (mat @ vec)``.")
baddbmm = defop("baddbmm", _addmm_forward, vjp=_ADDMM_RULES, reads=_ADDMM_READS,
                doc="``beta * input + alpha * (batch1 @ batch2)``, batch by batch.")


@implements(np.matmul)
def _np_matmul(x: Any, y: Any) -> Any:
    return matmul_any(x, y)


@implements(np.dot)
def _np_dot(a: Any, b: Any) -> Any:
    return matmul_any(a, b) if np.ndim(a) and np.ndim(b) else a * b


# The C names PyTorch's matmul kernels print for dtypes ("float != double").
C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                 "int64": "long int", "int32": "int", "int16": "short int",
                 "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
                 "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _dtype_of(a: Any) -> np.dtype:
    return a._data.dtype if hasattr(a, "_data") else np.asarray(a).dtype


def _matmul_error(xs: tuple, ys: tuple, xt: np.dtype, yt: np.dtype) -> RuntimeError | None:
    """PyTorch's error for ``x @ y`` with these shapes and dtypes (None if they are fine):
    its kernels' texts, which differ by the kind of product."""
    from dualgrad._dtypes import torch_name

    xd, yd = len(xs), len(ys)
    if xt != yt:
        if xd == 1 and yd == 1:
            return RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                                f"{torch_name(xt)} and {torch_name(yt)}")
        if xd == 2 and yd == 1:
            return RuntimeError(f"addmv input tensors must have the same dtype, but got "
                                f"{torch_name(yt)}, {torch_name(xt)}, and {torch_name(yt)}")
        if xd > 2 and yd > 2:
            return RuntimeError(f"expected scalar type {torch_name(xt)} but found "
                                f"{torch_name(yt)}")
        return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                            f"{C_TYPE_NAMES.get(xt.name, xt.name)} != "
                            f"{C_TYPE_NAMES.get(yt.name, yt.name)}")
    inner_y = ys[0] if yd == 1 else ys[-2]
    if xs[-1] == inner_y:
        return None
    if xd == 1 and yd == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{xs[0]}] and src "
                            f"[{ys[0]}] to have the same number of elements, but got {xs[0]} "
                            f"and {ys[0]} elements respectively")
    if xd == 2 and yd == 1:
        return RuntimeError(f"size mismatch, got input ({xs[0]}), mat ({xs[0]}x{xs[1]}), vec "
                            f"({ys[0]})")
    if yd == 2:  # x's leading dimensions flattened into rows, as PyTorch folds them
        rows = int(np.prod(xs[:-1]))
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} and "
                            f"{ys[0]}x{ys[1]})")
    if xd > 2 and yd > 2:
        batch = int(np.prod(np.broadcast_shapes(xs[:-2], ys[:-2])))
        return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                            f"[{batch}, {xs[-1]}] but got: [{batch}, {ys[-2]}].")
    return RuntimeError(
        f"matmul: Input operand shapes do not match: {tuple(xs)} and {tuple(ys)}")


def linear_error(xs: tuple, ws: tuple, xt: np.dtype, wt: np.dtype) -> RuntimeError | None:
    """PyTorch's error for ``linear(x, w)`` (``x @ w.T``) with these shapes and dtypes, or
    None."""
    from dualgrad._dtypes import torch_name

    if not xs or not ws:
        return RuntimeError("both arguments to linear need to be at least 1D, but they are "
                            f"{len(xs)}D and {len(ws)}D")
    if len(ws) > 2:  # linear transposes the weight first
        return RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                            f"{len(ws)}D")
    if xt != wt:
        return RuntimeError(f"mat1 and mat2 must have the same dtype, but got {torch_name(xt)} "
                            f"and {torch_name(wt)}")
    if len(ws) == 2 and xs and xs[-1] != ws[1]:
        rows = int(np.prod(xs[:-1]))
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} and "
                            f"{ws[1]}x{ws[0]})")
    return None


def matmul_any(x: Any, y: Any) -> Any:
    """``x @ y`` recorded as PyTorch names it: mm, mv, dot, or (batched) matmul."""
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 0 or yd == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{xd}D and {yd}D")
    xs, ys = np.shape(x), np.shape(y)
    inner_y = ys[0] if yd == 1 else ys[-2]
    xt, yt = _dtype_of(x), _dtype_of(y)
    if xs[-1] != inner_y or xt != yt:
        error = _matmul_error(tuple(xs), tuple(ys), xt, yt)
        if error is not None:
            raise error
    if xt == np.bool_:
        # PyTorch has no bool matrix product: its error names the kernel it would run
        kernel = ("bmm" if xd > 2 or yd > 2 else "dot" if xd == yd == 1
                  else "addmv_impl_cpu" if yd == 1 else "addmm_impl_cpu_")
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if xd == 2 and yd == 2:
        return mm(x, y)
    if xd > 2 or yd > 2:
        _check_batch_dims(xs[:-2], ys[:-2] if yd > 1 else ())
    if xd == 2 and yd == 1:
        return mv(x, y)
    if xd == 1 and yd == 1:
        return dot(x, y)
    return matmul(x, y)


def _check_batch_dims(a: tuple, b: tuple) -> None:
    """PyTorch's broadcast error for batch dimensions that do not match."""
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            dim = max(len(a), len(b)) - i
            raise RuntimeError(f"The size of tensor a ({a[-i]}) must match the size of tensor b "
                               f"({b[-i]}) at non-singleton dimension {dim}")


def _outer_forward(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.multiply.outer(x, y)


# PyTorch computes outer as ``x.reshape(-1, 1) * y`` and shows MulBackward0.
outer = defop("outer", _outer_forward, vjp=(
    lambda g, ans, x, y: np.matmul(g, y),
    lambda g, ans, x, y: np.matmul(x, g),
), numpy=(), grad_fn_name="MulBackward0", reads=((1,), (0,)))


@implements(np.outer)
def _np_outer(a: Any, b: Any) -> Any:
    return outer(a, b)


def _einsum_parse(subscripts: str, n: int) -> tuple[list[str], str]:
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    parts = ins.split(",")
    if len(parts) != n or "." in subscripts:
        raise ValueError(f"einsum(): subscripts {subscripts!r} do not fit {n} operands "
                         "(ellipsis is not supported)")
    return parts, out


def _einsum_forward(*operands: np.ndarray, subscripts: str) -> np.ndarray:
    return np.einsum(subscripts, *operands)


def _einsum_vjp(index: int, g: Any, ans: Any, *operands: Any, subscripts: str) -> Any:
    parts, out = _einsum_parse(subscripts, len(operands))
    target = parts[index]
    others = [p for k, p in enumerate(parts) if k != index]
    other_ops = [o for k, o in enumerate(operands) if k != index]
    sizes = dict(zip(target, np.shape(operands[index])))
    full = "".join(dict.fromkeys(target))  # the operand's letters, each once
    # Letters of the target that appear nowhere else were summed out: broadcast them back.
    known = set(out) | set("".join(others))
    kept = "".join(c for c in full if c in known)
    grad = np.einsum(",".join([out, *others]) + "->" + kept, g, *other_ops)
    if kept != full:
        expanded = np.reshape(grad, tuple(sizes[c] if c in kept else 1 for c in full))
        grad = np.broadcast_to(expanded, tuple(sizes[c] for c in full))
    if full != target:
        # A letter repeated within the operand ("ii->i" reads a diagonal): put the gradient
        # back on that diagonal, one identity matrix per repetition.
        fresh = iter(sorted(set(string.ascii_letters) - set(subscripts)))
        seen: set[str] = set()
        renamed, eyes = "", []
        for c in target:
            if c in seen:
                f = next(fresh)
                renamed += f
                eyes.append(c + f)
            else:
                seen.add(c)
                renamed += c
        spec = ",".join([full, *eyes]) + "->" + renamed
        grad = np.einsum(spec, grad, *[np.eye(sizes[e[0]]) for e in eyes])
    return grad


einsum_op = defop("einsum", _einsum_forward, vjp=(_einsum_vjp,), variadic=True,
                  reads=READS_OTHERS)


@implements(np.einsum)
def einsum(subscripts: str, *operands: Any, **_: Any) -> Any:
    """``np.einsum`` / ``torch.einsum`` on tensors (explicit or implicit output)."""
    _einsum_parse(subscripts, len(operands))
    return einsum_op(*operands, subscripts=subscripts)


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular), with PyTorch's message. Like
    ``torch.linalg.LinAlgError``, it is a ``RuntimeError``."""


LinAlgError.__module__ = "dualgrad.linalg"  # where users find it (``dg.linalg.LinAlgError``)


def _zero_pivot(matrix: np.ndarray) -> int:
    """The 1-based index of the first zero on the diagonal of LU's U, as LAPACK reports it."""
    import warnings

    from scipy.linalg import lu_factor  # SciPy only on this error path: it is slow to load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's own "exactly zero" warning
        lu, _ = lu_factor(matrix, check_finite=False)
    zeros = np.flatnonzero(np.diagonal(lu) == 0)
    return int(zeros[0]) + 1 if zeros.size else matrix.shape[-1]


def _per_matrix(fn: Any, name: str, message: Any, a: np.ndarray, *rest: np.ndarray) -> Any:
    """``fn`` applied matrix by matrix after NumPy refused the whole batch: a matrix holding
    NaN gives NaN (what LAPACK gives PyTorch), a singular one raises PyTorch's error."""
    batch = a.shape[:-2]
    mats = a.reshape((-1, *a.shape[-2:]))
    rests = [np.broadcast_to(r, (*batch, *r.shape[len(batch):])).reshape(
        (mats.shape[0], *r.shape[len(batch):])) for r in rest]
    outs = []
    for k, m in enumerate(mats):
        args = [r[k] for r in rests]
        if np.isnan(m).any():
            with np.errstate(invalid="ignore"):
                outs.append(np.full_like(fn(np.eye(m.shape[-1], dtype=m.dtype), *args), np.nan))
            continue
        try:
            outs.append(fn(m, *args))
        except np.linalg.LinAlgError:
            where = f"(Batch element {k}): " if batch else ""
            raise LinAlgError(f"{name}: {where}{message(m)}") from None
    out = np.stack(outs)
    return out.reshape((*batch, *out.shape[1:]))


def _inv_forward(x: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        return _per_matrix(np.linalg.inv, "linalg.inv", lambda m: (
            f"The diagonal element {_zero_pivot(m)} is zero, the inversion could not be "
            "completed because the input matrix is singular."), x)


def _inv_vjp(g: Any, ans: Any, x: Any) -> Any:
    return -np.matmul(_mT(ans), np.matmul(g, _mT(ans)))


inv = defop("inv", _inv_forward, vjp=(_inv_vjp,), save_inputs=False, save_ans=True,
            grad_fn_name="LinalgInvExBackward0", numpy=(np.linalg.inv,))


def _vector_rhs(a: Any, b: Any) -> bool:
    # PyTorch's rule (linalg_solve_is_vector_rhs): b is a (batch of) vector(s) when it is 1-D
    # or has exactly the shape of a without its last axis.
    return np.ndim(b) == 1 or (np.ndim(b) == np.ndim(a) - 1
                               and tuple(np.shape(b)) == tuple(np.shape(a))[:-1])


def _solve_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    vector = _vector_rhs(a, b)
    rhs = b[..., None] if vector else b
    try:
        out = np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError:
        batch = np.broadcast_shapes(a.shape[:-2], rhs.shape[:-2])
        out = _per_matrix(np.linalg.solve, "torch.linalg.solve", lambda m: (
            "The solver failed because the input matrix is singular."),
            np.broadcast_to(a, (*batch, *a.shape[-2:])), rhs)
    return out[..., 0] if vector else out


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return solve(_mT(a), g)


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    gb = solve(_mT(a), g)
    if _vector_rhs(a, b):
        return -np.expand_dims(gb, -1) * np.expand_dims(ans, -2)
    return -np.matmul(gb, _mT(ans))


solve = defop("solve", _solve_forward, vjp=(_solve_vjp_a, _solve_vjp_b), save_ans=True,
              grad_fn_name="LinalgSolveExBackward0")


@implements(np.linalg.solve)
def _np_solve(a: Any, b: Any) -> Any:
    return solve(a, b)


def _cofactors(x: Any) -> Any:
    """The cofactor matrix (the transposed adjugate) from the minors' determinants.

    O(n^5), so only used where the inverse does not exist: for a singular matrix the
    gradient of det is still the cofactor matrix (PyTorch 2 returns zeros there, where the
    gradient at nearby matrices tends to the cofactors).
    """
    n = np.shape(x)[-1]
    if n == 1:
        return np.ones(np.shape(x))
    keep = [np.array([k for k in range(n) if k != i]) for i in range(n)]
    rows = []
    for i in range(n):
        below = x[..., keep[i], :]
        rows.append(np.stack([np.linalg.det(below[..., :, keep[j]]) * (-1.0) ** (i + j)
                              for j in range(n)], axis=-1))
    return np.stack(rows, axis=-2)


def _det_forward(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        d = np.linalg.det(x)
    # LAPACK's LU may pivot around a NaN and report a finite determinant: NaN in, NaN out.
    nan_in = np.isnan(x).any(axis=(-2, -1))
    return np.where(nan_in, np.nan, d) if nan_in.any() else d


def _det_vjp(g: Any, ans: Any, x: Any) -> Any:
    try:
        # (NaN in x: the inverse, and so the gradient, is NaN, as in PyTorch.)
        inverse = _inv_forward(x) if isinstance(x, np.ndarray) else np.linalg.inv(x)
        cof = np.expand_dims(np.expand_dims(ans, -1), -1) * _mT(inverse)
    except (np.linalg.LinAlgError, LinAlgError):
        cof = _cofactors(x)
    return np.expand_dims(np.expand_dims(g, -1), -1) * cof


det = defop("det", _det_forward, vjp=(_det_vjp,), save_ans=True,
            grad_fn_name="LinalgDetBackward0", numpy=(np.linalg.det,),
            doc="Determinant. For an exactly singular matrix the gradient is the cofactor "
                "matrix, the limit of the gradient at nearby matrices (PyTorch 2 returns "
                "zeros there).")
