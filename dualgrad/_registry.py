"""The op registry: the one place where an op and its derivative are declared.

An op is declared once with :func:`defop`: a name, a forward NumPy (or SciPy) function, and
one vector-Jacobian-product rule per positional array input.

The rule contract
-----------------
1. A rule is called as ``rule(g, ans, *inputs, **params)``: ``g`` is the cotangent (shaped like
   ``ans``), ``ans`` the forward output, ``inputs`` the forward's positional inputs and
   ``params`` its static keyword-only parameters (hashable: tuples, not lists).
2. It returns the *mathematical* VJP; for a derivative that is zero everywhere (``sign``),
   ``zeros_like_grad(g)``, as PyTorch returns ``zeros_like(grad)``, so the input still gets
   a gradient of zeros. ``None`` means *no* gradient (a leaf reached only through ``None``
   keeps ``.grad`` None); custom ``Function``s return it for inputs they do not
   differentiate. The result may have the
   broadcast shape: the engine (``_engine.sum_to``) reduces it to the input's shape and casts
   it to the input's dtype. A rule never unbroadcasts, casts, accumulates, or mutates ``g`` or
   the inputs.
3. A rule uses only ``np.*`` calls and arithmetic operators that have a registered op. The same
   rule then runs on ``ndarray`` (the fast first-order path) and on ``Tensor`` (with
   ``create_graph=True``, nested tapes or ``hessian``), where it is recorded in turn, so every
   derivative is differentiable again.
4. One-line rules may be lambdas; longer ones are module-level functions ``_<op>_vjp...``.

Saved values: an op keeps what its rules read (``save_inputs``, ``save_ans``). ``reads`` narrows
this per rule: ``reads[i]`` lists the inputs rule ``i`` reads, and an input that none of the
rules to be run reads is not kept: the rules get an :class:`InputMeta` (its ``shape``,
``dtype`` and ``ndim``) in its place. That frees memory and, as in PyTorch, an in-place change
to such an input is no error at backward.

``NONDIFF`` marks an input that can never carry a gradient (indices, masks); asking for its
gradient raises instead of silently returning zero. ``IDENTITY`` is the rule ``g -> g`` (add,
clone): the engine passes the cotangent on without a call. It is callable like any rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["NONDIFF", "IDENTITY", "READS_OTHERS", "zeros_like_grad", "Op", "REGISTRY",
           "NUMPY_IMPLS", "NO_PARAMS", "InputMeta", "defop", "implements", "grad_fn_name_for"]


READS_OTHERS = "others"
"""``Op.reads`` of a variadic op whose rule for input ``i`` reads every other input."""


class _NonDiff:
    """Sentinel type for inputs that can never carry a gradient."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NONDIFF"


NONDIFF = _NonDiff()
"""In ``vjp``, in place of a rule: this input (an index, a mask) never carries a gradient."""


class _Identity:
    """Sentinel type for a rule that passes the cotangent on unchanged."""

    __slots__ = ()

    def __call__(self, g: Any, ans: Any, *inputs: Any, **params: Any) -> Any:
        return g

    def __repr__(self) -> str:
        return "IDENTITY"


IDENTITY = _Identity()
"""In ``vjp``, the rule ``g -> g`` (``add``, ``clone``): the engine passes the cotangent on
without calling anything."""


def zeros_like_grad(g: Any) -> Any:
    """A zero cotangent shaped and typed like ``g`` (an array, or a Tensor under
    ``create_graph``): what a rule returns for an input whose derivative is zero everywhere
    (``sign``, an input overwritten by ``zero_``). PyTorch's rules return ``zeros_like(grad)``
    there, so the input still receives a gradient, of zeros; a rule returning None would
    leave a leaf's ``.grad`` None instead."""
    data = g if isinstance(g, (np.ndarray, np.generic)) else g.detach().numpy()
    return np.zeros(data.shape, data.dtype)


class InputMeta:
    """What a rule gets for an input whose values were not kept: its shape, dtype and ndim.

    ``np.shape(meta)``, ``np.ndim(meta)`` and ``meta.dtype`` work as on the array.
    """

    __slots__ = ("shape", "dtype", "ndim")

    def __init__(self, shape: tuple, dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)

    def __repr__(self) -> str:
        return f"InputMeta(shape={self.shape}, dtype={self.dtype})"


VJPRule = Callable[..., Any]


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """A registered differentiable operation.

    Attributes
    ----------
    name:
        Registry key, used in errors (``"mul"``).
    forward:
        The NumPy callable computing the value from arrays.
    vjp:
        One rule (or ``NONDIFF``) per positional array input.
    grad_fn_name:
        The name ``grad_fn`` shows, following PyTorch (``"MulBackward0"``).
    save_inputs, save_ans:
        Whether the rules read the inputs / the output; what is not read is not kept alive.
    reads:
        Per rule, the inputs it reads (None: all of them); see the module docstring. A
        variadic op has one rule for all its inputs: ``()`` says that it reads no input's
        values (only shapes, ``cat``), :data:`READS_OTHERS` that the rule for input ``i``
        reads every input but ``i`` (``einsum``).
    view:
        The output may share memory with the first input (reshape, transpose, indexing):
        the two then share a version counter, as in PyTorch.
    differentiable_output:
        False for ops whose output never carries a gradient (comparisons, argmax).
    variadic:
        Any number of array inputs (``cat``, ``stack``): ``vjp`` holds one rule, called as
        ``rule(i, g, ans, *inputs, **params)`` for input ``i``.
    """

    name: str
    forward: Callable[..., Any]
    vjp: tuple[VJPRule | _NonDiff, ...]
    grad_fn_name: str
    save_inputs: bool = True
    save_ans: bool = False
    reads: tuple[tuple[int, ...], ...] | str | None = None
    view: bool = False
    differentiable_output: bool = True
    variadic: bool = False
    numpy: tuple[Callable[..., Any], ...] = field(default=())
    doc: str = ""
    # kept_inputs' answers, one per pattern of differentiable inputs.
    _kept: dict = field(default_factory=dict, init=False, repr=False)
    # With ``reads``, for two or three inputs (a variadic op: two): kept_inputs' answers
    # indexed by the edge mask ``sum(2**i for each input i with an edge)``, so that the
    # engine finds them without building and hashing a pattern.
    kept_table: tuple | None = field(default=None, init=False, repr=False)
    # Whether the op keeps its input when called on one input that needs a gradient.
    keeps_single_input: bool = field(default=True, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.variadic and self.reads not in (None, (), READS_OTHERS):
            raise ValueError(f"{self.name}: a variadic op's reads must be None, () or "
                             "READS_OTHERS")
        if self.reads is not None:
            object.__setattr__(self, "keeps_single_input", self.kept_inputs((True,))[0])
        n = 2 if self.variadic else len(self.vjp)
        if self.reads is not None and n in (2, 3):
            masks = [tuple(True if mask >> i & 1 else None for i in range(n))
                     for mask in range(2 ** n)]
            table = (None,) + tuple(self.kept_inputs(m) for m in masks[1:])
            object.__setattr__(self, "kept_table", table)

    def kept_inputs(self, edges: tuple) -> tuple[bool, ...]:
        """Which inputs to keep (by ``reads``) when the inputs with a non-None edge need
        gradients; ``edges`` has one entry per input."""
        pattern = tuple([e is not None for e in edges])
        kept = self._kept.get(pattern)
        if kept is None:
            n = len(pattern)
            if self.reads == READS_OTHERS:
                # input j is read by the rules of the other inputs that need a gradient
                kept = tuple([any(pattern[:j] + pattern[j + 1:]) for j in range(n)])
            else:
                read: set[int] = set()
                for rule_reads, needed in zip(self.reads or (), pattern):
                    if needed:
                        read.update(rule_reads)
                kept = tuple([i in read for i in range(n)])
            self._kept[pattern] = kept
        return kept

    def __call__(self, *args: Any, **params: Any) -> Any:
        """Apply the op to tensors, arrays or Python numbers, recording it when needed."""
        return _apply(self, args, params)

    def __repr__(self) -> str:
        return f"<Op {self.name}>"


REGISTRY: dict[str, Op] = {}
# The params of an op called without any: one shared, read-only mapping, so the operator
# methods (``a * b``) do not allocate a dict per call.
NO_PARAMS: Mapping[str, Any] = MappingProxyType({})
# NumPy callable -> what serves it for Tensors: a registered Op (same signature as the NumPy
# function) or a small adapter that translates NumPy's signature into registered-op calls.
NUMPY_IMPLS: dict[Any, Callable[..., Any]] = {}

# Filled in by ``_tensor`` at import: the single function that runs an op on tensors.
_apply: Callable[[Op, tuple, dict], Any] = None  # type: ignore[assignment]


def grad_fn_name_for(name: str) -> str:
    """PyTorch's node name for an op name: ``"log_softmax"`` -> ``"LogSoftmaxBackward0"``.

    Each ``_``-separated part is ``str.title()``-cased, as PyTorch's ``load_derivatives.py``
    does it, so a letter after a digit is capitalised too: ``"log1p"`` -> ``"Log1PBackward0"``.
    """
    camel = "".join(part.title() for part in re.split(r"_+", name) if part)
    return f"{camel}Backward0"


def defop(
    name: str,
    forward: Callable[..., Any],
    vjp: Iterable[VJPRule | _NonDiff],
    *,
    grad_fn_name: str | None = None,
    save_inputs: bool = True,
    save_ans: bool = False,
    reads: Iterable[Iterable[int]] | str | None = None,
    view: bool = False,
    differentiable_output: bool = True,
    variadic: bool = False,
    numpy: Iterable[Callable[..., Any]] = (),
    doc: str = "",
) -> Op:
    """Declare an op and put it in the registry.

    Parameters
    ----------
    name:
        Unique registry key.
    forward:
        Called as ``forward(*arrays, **params)`` on NumPy arrays.
    vjp:
        One rule per positional input, see the module docstring for the contract.
    grad_fn_name:
        Override of the derived ``CamelCaseBackward0`` name.
    save_inputs, save_ans:
        Which values the rules read (the others are passed as ``None``).
    reads:
        ``reads[i]``: the inputs rule ``i`` reads; inputs no needed rule reads are not kept.
        A variadic op gives ``()`` (its rule reads no values) or :data:`READS_OTHERS`.
    view, differentiable_output, variadic:
        See :class:`Op`.
    numpy:
        NumPy callables (``np.sin``) that this op serves when they meet a Tensor through
        ``__array_ufunc__`` / ``__array_function__``.

    Returns
    -------
    Op
        The registered op; calling it applies it to tensors.

    Examples
    --------
    >>> import numpy as np
    >>> from dualgrad._registry import defop
    >>> cube = defop("example_cube", lambda x: x ** 3, vjp=(lambda g, ans, x: g * 3 * x * x,))
    >>> cube.grad_fn_name
    'ExampleCubeBackward0'
    """
    if name in REGISTRY:
        raise ValueError(f"an op named {name!r} is already registered")
    op = Op(
        name=name,
        forward=forward,
        vjp=tuple(vjp),
        grad_fn_name=grad_fn_name or grad_fn_name_for(name),
        save_inputs=save_inputs,
        reads=reads if reads is None or reads == READS_OTHERS else tuple(tuple(r) for r in reads),
        save_ans=save_ans,
        view=view,
        differentiable_output=differentiable_output,
        variadic=variadic,
        numpy=tuple(numpy),
        doc=doc,
    )
    REGISTRY[name] = op
    for fn in op.numpy:
        NUMPY_IMPLS.setdefault(fn, op)
    return op


def implements(*numpy_functions: Callable[..., Any]) -> Callable[[Callable], Callable]:
    """Decorator: let ``impl`` serve ``numpy_functions`` when they are called on a Tensor.

    ``impl`` takes the NumPy function's own signature and calls registered ops, so
    ``np.sum(t, axis=0)`` records ``SumBackward1`` like ``t.sum(0)`` does.
    """

    def register(impl: Callable) -> Callable:
        for fn in numpy_functions:
            NUMPY_IMPLS[fn] = impl
        return impl

    return register
