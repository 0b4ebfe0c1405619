"""How to probe every registered op: one ``OpCase`` per entry of ``dualgrad._registry.REGISTRY``.

The registry describes the math; this table describes test data: the input domain of each
op (``log`` on ``(0.1, 3)``), the kinks to stay away from (``abs`` and ``relu`` at 0, ties of
``max``), the shapes (mutually broadcastable for binary elementwise ops, so that the engine's
``sum_to`` is exercised), the parameter sets (``axis`` / ``keepdims`` variants), and which
inputs can never carry a gradient (indices, masks). ``tests/test_gradcheck_ops.py`` runs the
generic checks over it and ``tests/test_registry.py`` checks that it covers the registry.

Each case has one or more ``Variant``s: a Hypothesis strategy for the input shapes and a dict
of static parameters. A case is called as ``case(*inputs, **params)``; by default that is
``REGISTRY[case.op](*inputs, **params)`` (an ``Op`` applies itself to Tensors), and ops that
users reach through a method (``x.max(dim)``) are called through that method instead.
``SPECIAL_POINTS`` adds fixed inputs where a rule takes a special branch (singular matrices,
ties, zeros).

To test a new op: add one ``case(...)`` line below, then run
``python -m pytest tests/test_gradcheck_ops.py -k <op name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dualgrad._registry import REGISTRY
from dualgrad.ops import shape as _shape_ops

Shapes = tuple[tuple[int, ...], ...]


# --- input specifications ----------------------------------------------------------------------

@dataclass(frozen=True)
class Real:
    """Floats uniform on ``(lo, hi)``, kept at least ``margin`` away from each ``avoid`` point."""

    lo: float = -2.0
    hi: float = 2.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.1

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.uniform(self.lo, self.hi, shape)
        for p in self.avoid:
            near = np.abs(x - p) < self.margin
            # Push the point out past the margin on its own side (the domain allows it).
            x = np.where(near, p + np.where(x >= p, 1.0, -1.0) * (self.margin + 0.5 * np.abs(
                x - p) + 1e-3), x)
        return x


@dataclass(frozen=True)
class WellConditioned:
    """Square matrices (the last two axes) ``scale * I + noise``: far from singular."""

    scale: float = 2.0

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.scale * np.eye(shape[-1]) + rng.uniform(-0.5, 0.5, shape)


@dataclass(frozen=True)
class Mask:
    """A boolean array (a ``where`` condition or an index mask): never differentiated."""

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.random(shape) < 0.5


@dataclass(frozen=True)
class Custom:
    """Built by ``fn(rng, shape, params, previous_inputs)``: indices that depend on a shape."""

    fn: Callable[..., np.ndarray]

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError  # built in OpCase.build, which passes the context


Spec = Real | WellConditioned | Mask | Custom


@dataclass(frozen=True)
class Variant:
    """One way of calling an op: input shapes (a strategy) and static parameters."""

    shapes: st.SearchStrategy
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OpCase:
    """How to test one registered op.

    Attributes
    ----------
    op:
        The registry key.
    inputs:
        One spec per positional input (``Real``, ``WellConditioned``, ``Mask``, ``Custom``).
    variants:
        Shape strategies with parameter sets.
    call:
        ``call(*inputs, **params) -> Tensor``; default: the registered op itself.
    nondiff:
        Positions of floating inputs that are never differentiated.
    distinct:
        Draw all ``Real`` inputs jointly from well-separated magnitudes in ``(0.2, 2)`` with
        random signs (their own domains are then ignored): no ties anywhere (``max``,
        ``maximum``, ``l1_loss``, ``norm(p=inf)``...), not even between broadcast partners,
        and nothing near 0.
    second_order:
        False if the op's rules are not differentiable; every op here supports it.
    differentiable_output:
        False for comparisons and predicates (checked by value only).
    no_derivative:
        For an op PyTorch records without a derivative (``grad_fn=<NotImplemented>``, as
        ``x // y``): the error that backward through it raises. Such ops are not
        gradient-checked; ``test_ops_without_derivative_refuse_backward`` checks the error.
    atol, rtol:
        Gradient-check tolerances.
    """

    op: str
    inputs: tuple[Spec, ...]
    variants: tuple[Variant, ...]
    call: Callable[..., Any] | None = None
    nondiff: frozenset[int] = frozenset()
    distinct: bool = False
    second_order: bool = True
    differentiable_output: bool = True
    no_derivative: str = ""
    atol: float = 1e-5
    rtol: float = 1e-4

    def __repr__(self) -> str:
        return f"OpCase({self.op!r})"

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """Apply the op (or the public method that records it)."""
        if self.call is not None:
            return self.call(*inputs, **params)
        return REGISTRY[self.op](*inputs, **params)

    def build(self, rng: np.random.Generator, shapes: Shapes, params: dict) -> list:
        """The inputs (NumPy arrays, float64 for the differentiable ones) for ``shapes``."""
        arrays: list = []
        reals = [i for i, s in enumerate(self.inputs) if isinstance(s, Real)]
        pooled = {}
        if self.distinct and reals:
            # Well-separated magnitudes in (0.2, 2) with random signs: distinct values and
            # distinct absolute values, none near 0.
            sizes = [int(np.prod(shapes[i])) for i in reals]
            n = sum(sizes)
            slots = rng.permutation(n) + 0.5 + rng.uniform(-0.25, 0.25, n)
            pool = (0.2 + 1.8 * slots / n) * rng.choice([-1.0, 1.0], n)
            split = np.split(pool, np.cumsum(sizes)[:-1])
            pooled = {i: part.reshape(shapes[i]) for i, part in zip(reals, split)}
        for i, spec in enumerate(self.inputs):
            if i in pooled:
                arrays.append(pooled[i])
            elif isinstance(spec, Custom):
                arrays.append(spec.fn(rng, shapes[i], params, arrays))
            else:
                arrays.append(spec.draw(rng, shapes[i]))
        return arrays


# --- shape strategies --------------------------------------------------------------------------

def fixed(*shapes: tuple[int, ...]) -> st.SearchStrategy:
    """Always these shapes."""
    return st.just(tuple(shapes))


def one_of_shapes(*options: Shapes) -> st.SearchStrategy:
    """One of several shape tuples."""
    return st.sampled_from(list(options))


def unary_shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                 max_side: int = 3) -> st.SearchStrategy:
    """One shape of at most ``max_dims`` small axes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side).map(lambda s: (s,))


def broadcast_shapes(n: int = 2, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy:
    """``n`` mutually broadcastable shapes (some axes of size 1, some missing)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side,
    ).map(lambda r: tuple(r.input_shapes))


def same_shapes(n: int, min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy:
    """``n`` copies of one shape."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                            max_side=3).map(lambda s: (s,) * n)


ELEM = (Variant(unary_shapes()),)
# Hypothesis may draw equal shapes; the fixed pair always needs sum_to on both sides (a
# missing leading axis and size-1 axes).
BINARY = (Variant(broadcast_shapes(2)), Variant(fixed((3, 1), (2, 1, 4))))


def reduce_variants(extra: dict | None = None, *, all_only: bool = False,
                    dim_only: bool = False, min_side: int = 1) -> tuple[Variant, ...]:
    """The axis/keepdims variants of a reduction (whole tensor, one axis, two axes)."""
    extra = extra or {}
    m = min_side
    whole = (Variant(unary_shapes(1 if m > 1 else 0, min_side=m),
                     {"axis": None, "keepdims": False, **extra}),)
    dims = (
        Variant(unary_shapes(1, min_side=m), {"axis": 0, "keepdims": False, **extra}),
        Variant(unary_shapes(1, min_side=m), {"axis": -1, "keepdims": True, **extra}),
        Variant(unary_shapes(2, min_side=m), {"axis": (0, -1), "keepdims": False, **extra}),
        Variant(unary_shapes(2, min_side=m), {"axis": None, "keepdims": True, **extra}),
    )
    if all_only:
        return whole
    if dim_only:
        return dims
    return whole + dims


def axis_variants(**extra: Any) -> tuple[Variant, ...]:
    """Ops along one axis (softmax, cumsum): the first and the last axis."""
    return (Variant(unary_shapes(1), {"axis": 0, **extra}),
            Variant(unary_shapes(2), {"axis": -1, **extra}))


# --- builders of non-differentiable inputs -----------------------------------------------------

def _gather_index(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    # Indices along ``axis`` with repeats (their gradients must add up).
    x_shape = prev[0].shape
    axis = params["axis"] % len(x_shape)
    return rng.integers(0, x_shape[axis], size=shape)


def _scatter_index(rng: np.random.Generator, shape: tuple, params: dict,
                   prev: list) -> np.ndarray:
    axis = params["axis"] % len(params["shape"])
    return rng.integers(0, params["shape"][axis], size=shape)


def _class_targets(rng: np.random.Generator, shape: tuple, params: dict,
                   prev: list) -> np.ndarray:
    n, c = prev[0].shape
    target = rng.integers(0, c, size=n)
    ignore = params.get("ignore_index", -100)
    if ignore != -100:
        target[0] = ignore  # one row ignored, and at least one counted (else the mean is nan)
        target[1] = (ignore + 1) % c
    return target


def _some_zeros(rng: np.random.Generator, shape: tuple, params: dict,
                prev: list) -> np.ndarray:
    # Products are polynomials, smooth at 0: finite differences hold there, and exact zeros
    # are where a division-based rule would fail.
    x = rng.uniform(-2.0, 2.0, shape)
    return np.where(rng.random(shape) < 0.3, 0.0, x)


def _dropout_mask(rng: np.random.Generator, shape: tuple, params: dict,
                  prev: list) -> np.ndarray:
    # Kept elements scaled by 1 / (1 - p), p = 0.5, as F.dropout draws them.
    return (rng.random(shape) >= 0.5) * 2.0


def _sort_index(rng: np.random.Generator, shape: tuple, params: dict,
                prev: list) -> np.ndarray:
    return np.argsort(prev[0], axis=params["axis"], kind="stable")


def _topk_index(rng: np.random.Generator, shape: tuple, params: dict,
                prev: list) -> np.ndarray:
    order = np.argsort(-prev[0], axis=params["axis"], kind="stable")
    return np.take(order, np.arange(shape[params["axis"]]), axis=params["axis"])


def _dividend(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    # With _divisor: quotients of magnitude (0.1, 0.9) or (1.05, 1.9), both signs, so that
    # floor and trunc take several values, and none near an integer, where remainder and
    # fmod jump.
    magnitude = np.where(rng.random(shape) < 0.5, rng.uniform(0.2, 1.4, shape),
                         rng.uniform(2.0, 3.0, shape))
    return np.asarray(magnitude * rng.choice([-1.0, 1.0], shape))


def _divisor(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    return np.asarray(rng.uniform(1.6, 1.9, shape) * rng.choice([-1.0, 1.0], shape))


def _integers(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    return np.asarray(rng.integers(-8, 8, shape))


def _unit(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    return rng.uniform(0.0, 1.0, shape)


def _distributions(rng: np.random.Generator, shape: tuple, params: dict,
                   prev: list) -> np.ndarray:
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


# --- calls through the public API --------------------------------------------------------------

def _pow_scalar(x: Any, *, exponent: float) -> Any:
    return REGISTRY["pow"](x, exponent)


def _rpow(x: Any, *, base: float) -> Any:
    return REGISTRY["rpow"](x, base)


def _remainder_scalar(x: Any, *, divisor: float) -> Any:
    return x % divisor


def _fmod_scalar(x: Any, *, divisor: float) -> Any:
    return x.fmod(divisor)


def _rremainder(x: Any, *, dividend: float) -> Any:
    return dividend % x


def _rfloor_divide(x: Any, *, dividend: float) -> Any:
    return dividend // x


def _max_dim(x: Any, *, axis: int, keepdims: bool) -> Any:
    return x.max(axis, keepdims).values


def _min_dim(x: Any, *, axis: int, keepdims: bool) -> Any:
    return x.min(axis, keepdims).values


def _fill(x: Any, value: Any) -> Any:
    return REGISTRY["fill"](x, value)


def _masked_fill(x: Any, mask: Any) -> Any:
    # A mask wider than ``x`` gives the broadcast shape, as in PyTorch: sum_to folds x's
    # gradient back.
    return REGISTRY["masked_fill"](x, mask, value=0.5)


# --- the table ---------------------------------------------------------------------------------

R = Real()
POS = Real(0.3, 2.0)
NONZERO = Real(-2.0, 2.0, avoid=(0.0,), margin=0.3)
ANY = Real(-2.0, 2.0)

_cases: list[OpCase] = []


def case(op: str, inputs: Sequence[Spec], variants: Sequence[Variant], **kw: Any) -> None:
    """Add one op case to the table."""
    _cases.append(OpCase(op, tuple(inputs), tuple(variants), **kw))


# elementwise arithmetic: broadcasting binary ops, so sum_to undoes the broadcast
for _name in ("add", "sub", "rsub", "mul"):
    case(_name, (R, R), BINARY)
case("div", (R, NONZERO), BINARY)
case("neg", (R,), ELEM)
# division with rounding (the quotients stay away from integers: see _dividend)
QUOTIENT = (Custom(_dividend), Custom(_divisor))
DIVISORS = tuple(Variant(unary_shapes(), {"divisor": d}) for d in (1.7, -1.7))
DIVIDENDS = tuple(Variant(unary_shapes(), {"dividend": d}) for d in (2.5, -2.5))
case("remainder", QUOTIENT, BINARY)
case("remainder_scalar", (Custom(_dividend),), DIVISORS, call=_remainder_scalar)
case("fmod", QUOTIENT, BINARY)
case("fmod_scalar", (Custom(_dividend),), DIVISORS, call=_fmod_scalar)
case("div_rounding", QUOTIENT, (Variant(broadcast_shapes(2), {"rounding_mode": "floor"}),
                                Variant(broadcast_shapes(2), {"rounding_mode": "trunc"})))
case("floor_divide", QUOTIENT, BINARY,
     no_derivative="derivative for aten::floor_divide is not implemented")
case("rfloor_divide", (Custom(_divisor),), DIVIDENDS, call=_rfloor_divide,
     no_derivative="derivative for aten::floor_divide is not implemented")
case("rremainder", (Custom(_divisor),), DIVIDENDS, call=_rremainder,
     no_derivative="derivative for aten::remainder is not implemented")
case("pow", (POS,), tuple(Variant(unary_shapes(), {"exponent": e}) for e in (2.0, -1.5, 3)),
     call=_pow_scalar)
case("pow_tensor", (POS, R), BINARY)
case("rpow", (R,), (Variant(unary_shapes(), {"base": 2.5}), Variant(unary_shapes(), {"base": 0.5})),
     call=_rpow)
case("square", (R,), ELEM)
case("sqrt", (Real(0.2, 3.0),), ELEM)
case("rsqrt", (Real(0.2, 3.0),), ELEM)
case("reciprocal", (NONZERO,), ELEM)
case("abs", (NONZERO,), ELEM)  # kink at 0
case("exp", (R,), ELEM)
case("expm1", (R,), ELEM)
case("log", (Real(0.1, 3.0),), ELEM)
case("log1p", (Real(-0.8, 3.0),), ELEM)
case("sin", (R,), ELEM)
case("cos", (R,), ELEM)
case("tan", (Real(-1.2, 1.2),), ELEM)
case("tanh", (R,), ELEM)
case("exp2", (R,), ELEM)
case("log2", (Real(0.1, 3.0),), ELEM)
case("log10", (Real(0.1, 3.0),), ELEM)
for _name in ("asin", "acos", "atanh"):
    case(_name, (Real(-0.9, 0.9),), ELEM)  # the derivative is infinite at -1 and 1
for _name in ("atan", "sinh", "cosh", "asinh"):
    case(_name, (R,), ELEM)
case("acosh", (Real(1.2, 3.0),), ELEM)  # defined from 1, with an infinite derivative there
case("atan2", (NONZERO, NONZERO), BINARY)  # away from its jump along y = 0, x < 0
case("sigmoid", (Real(-4.0, 4.0),), ELEM)
case("relu", (NONZERO,), ELEM)  # kink at 0
case("threshold_backward", (R, NONZERO), BINARY)  # relu's gradient: jump where ans is 0
case("leaky_relu", (NONZERO,), (Variant(unary_shapes()),
                                Variant(unary_shapes(), {"negative_slope": 0.2})))
# kinks at the bounds (-1 and 1 by default)
_HARDTANH = Real(-2.5, 2.5, avoid=(-1.0, 1.0, -0.5, 1.5), margin=0.15)
case("hardtanh", (_HARDTANH,), (Variant(unary_shapes()),
                               Variant(unary_shapes(), {"min_val": -0.5, "max_val": 1.5})))
case("hardtanh_backward", (R, _HARDTANH), (Variant(same_shapes(2)),))
case("leaky_relu_backward", (R, NONZERO), (Variant(same_shapes(2)),
                                          Variant(same_shapes(2), {"negative_slope": 0.2})))
case("elu", (NONZERO,), (Variant(unary_shapes()), Variant(unary_shapes(), {"alpha": 0.5})))
case("gelu", (R,), (Variant(unary_shapes()), Variant(unary_shapes(), {"approximate": "tanh"})))
case("silu", (R,), ELEM)
case("softplus", (Real(-3.0, 3.0),), (Variant(unary_shapes()),
                                      Variant(unary_shapes(), {"beta": 2.0, "threshold": 20.0}),
                                      Variant(unary_shapes(), {"beta": 1.0, "threshold": 1.0})))
case("dropout", (R, Custom(_dropout_mask)), (Variant(same_shapes(2)),), nondiff=frozenset({1}))
case("maximum", (R, R), BINARY, distinct=True)  # ties share the gradient: no FD there
case("minimum", (R, R), BINARY, distinct=True)
case("clamp", (Real(-2.0, 2.0, avoid=(-0.5, 0.5)),), (
    Variant(unary_shapes(), {"min": -0.5, "max": 0.5}),
    Variant(unary_shapes(), {"min": -0.5, "max": None}),
    Variant(unary_shapes(), {"min": None, "max": 0.5}),
))
# Tensor bounds (lo > hi happens too); no ties, where the gradient jumps.
case("clamp_tensor", (R, R, R), (Variant(broadcast_shapes(3)),), distinct=True)
case("where", (Mask(), R, R), (Variant(broadcast_shapes(3)),
                               Variant(fixed((3, 1), (1, 4), (2, 1, 1)))))
case("sign", (NONZERO,), ELEM)  # zero gradient everywhere off the jump at 0
case("erf", (R,), ELEM)
case("cast", (R,), (Variant(unary_shapes(), {"dtype": np.dtype(np.float64)}),))

# comparisons and predicates: no gradient, checked by value
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"):
    case(_name, (R, R), BINARY, differentiable_output=False)
for _name in ("logical_not", "isnan", "isfinite", "isinf"):
    case(_name, (R,), ELEM, differentiable_output=False)
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):  # integers (floats are refused)
    case(_name, (Custom(_integers), Custom(_integers)), BINARY, differentiable_output=False)
case("bitwise_not", (Custom(_integers),), ELEM, differentiable_output=False)

# linear algebra
case("matmul", (R, R), (
    Variant(fixed((3,), (3,))),
    Variant(fixed((2, 3), (3,))),
    Variant(fixed((3,), (3, 2))),
    Variant(fixed((2, 3), (3, 2))),
    Variant(fixed((2, 1, 2, 3), (3, 3, 2))),  # batched, broadcast batch axes
    Variant(fixed((3,), (2, 3, 2))),  # 1-D against a batch
    Variant(fixed((2, 2, 3), (3,))),
))
case("mm", (R, R), (Variant(one_of_shapes(((2, 3), (3, 2)), ((1, 4), (4, 3)))),))
case("mv", (R, R), (Variant(fixed((2, 3), (3,))),))
case("dot", (R, R), (Variant(fixed((4,), (4,))),))
case("outer", (R, R), (Variant(fixed((3,), (2,))),))
case("einsum", (R, R), (
    Variant(fixed((2, 3), (3, 2)), {"subscripts": "ij,jk->ik"}),
    Variant(fixed((3,), (3,)), {"subscripts": "i,i->"}),
    Variant(fixed((2, 2, 3), (2, 3, 2)), {"subscripts": "bij,bjk->bik"}),
    Variant(fixed((2, 3), (2,)), {"subscripts": "ij,k->jk"}),  # i summed out, then restored
    Variant(fixed((2, 3), (3, 2)), {"subscripts": "ij,jk"}),  # implicit output
    Variant(fixed((2, 3), (3, 3)), {"subscripts": "ij,jj->i"}),  # a diagonal
    Variant(fixed((3, 3), (2,)), {"subscripts": "ii,k->k"}),  # a trace
))
case("inv", (WellConditioned(),), (Variant(one_of_shapes(((3, 3),), ((2, 2, 2),))),))
case("solve", (WellConditioned(), R), (
    Variant(fixed((3, 3), (3,))),
    Variant(fixed((3, 3), (3, 2))),
    Variant(fixed((2, 3, 3), (2, 3, 2))),
    Variant(fixed((2, 3, 3), (3,))),  # one vector for a batch of matrices
    Variant(fixed((2, 3, 3), (2, 3))),  # a batch of vectors
    Variant(fixed((3, 3), (2, 3, 2))),  # matrix broadcast against a batch
))
case("det", (WellConditioned(),), (Variant(one_of_shapes(((3, 3),), ((2, 2, 2),))),))

# neural-network ops and losses
case("softmax", (R,), axis_variants())
case("log_softmax", (R,), axis_variants())
_REDUCTIONS = ("mean", "sum", "none")
case("binary_cross_entropy_with_logits", (Real(-3.0, 3.0), Custom(_unit)), tuple(
    Variant(same_shapes(2), {"reduction": r, "pos_weight": w})
    for r in _REDUCTIONS for w in (None, 2.0)))
case("binary_cross_entropy", (Real(0.05, 0.95), Custom(_unit)), tuple(
    Variant(same_shapes(2), {"reduction": r}) for r in _REDUCTIONS))
case("mse_loss", (R, R), tuple(Variant(same_shapes(2), {"reduction": r}) for r in _REDUCTIONS))
case("linear", (R, R, R), (
    Variant(fixed((4, 3), (2, 3), (2,))),
    Variant(fixed((2, 4, 3), (2, 3), (2,))),
))
case("cross_entropy", (R, Custom(_class_targets)), tuple(
    Variant(fixed((4, 3), (4,)), {"reduction": r, "ignore_index": ig})
    for r in _REDUCTIONS for ig in (-100, 1)))
case("nll_loss", (R, Custom(_class_targets)), tuple(
    Variant(fixed((4, 3), (4,)), {"reduction": r, "ignore_index": ig})
    for r in _REDUCTIONS for ig in (-100, 1)))
# (labels that sum to 1 per row: TensorFlow's logits gradient, softmax - labels, is the
# derivative of the loss only then; broadcast labels too)
case("softmax_cross_entropy_with_logits", (R, Custom(_distributions)), (
    Variant(fixed((4, 3), (4, 3))),
    Variant(fixed((2, 4, 3), (4, 3))),
    Variant(fixed((4, 3), (3,))),
))



def _off_kinks(rng: np.random.Generator, shape: tuple, params: dict, prev: list) -> np.ndarray:
    """A target whose difference from the input stays away from the kinks at +-beta (delta)."""
    k = params.get("beta", params.get("delta"))
    return np.asarray(prev[0] - Real(-3.0, 3.0, avoid=(-k, k)).draw(rng, shape))


# the smooth losses, xlogy (kl_div), log_sigmoid, clamp_min (normalize), constant padding
for _name, _key in (("smooth_l1_loss", "beta"), ("huber_loss", "delta")):
    case(_name, (R, Custom(_off_kinks)), tuple(
        Variant(same_shapes(2), {"reduction": r, _key: k}) for r in _REDUCTIONS
        for k in (1.0, 0.5)))
case("xlogy", (NONZERO, POS), BINARY)
case("log_sigmoid", (Real(-6.0, 6.0),), ELEM)
case("clamp_min", (Real(-2.0, 2.0, avoid=(0.5,)),), (Variant(unary_shapes(), {"min": 0.5}),))
case("constant_pad_nd", (R,), (
    Variant(unary_shapes(1), {"pad": (1, 2), "value": 0.0}),
    Variant(fixed((3, 4)), {"pad": (-1, 2, 1, -1), "value": 1.5}),
))
# F.pad's reflect and replicate modes and their backwards (each the other's derivative):
# widths that fold several output entries onto one input entry, and negative (cropping) ones
_MODE_PADS = {1: ((2, 1), (-1, 2)), 2: ((1, 2, 2, 0), (2, -1, 1, 1)),
              3: ((1, 2, 0, 1, 1, 1), (-1, 2, 1, -1, 0, 2))}
for _kind in ("reflection", "replication"):
    for _dims, _pads in _MODE_PADS.items():
        _shape = {1: (2, 3), 2: (2, 4, 3), 3: (1, 3, 4, 3)}[_dims]  # reflect: widths < sizes
        case(f"{_kind}_pad{_dims}d", (R,), tuple(
            Variant(fixed(_shape), {"pad": _p}) for _p in _pads))
        # (the gradient's shape: the input's with each padded axis widened)
        case(f"{_kind}_pad{_dims}d_backward", (R,), tuple(
            Variant(fixed(_shape[:len(_shape) - _dims] + tuple(
                n + _p[2 * (_dims - 1 - i)] + _p[2 * (_dims - 1 - i) + 1]
                for i, n in enumerate(_shape[len(_shape) - _dims:]))), {"pad": _p})
            for _p in _pads))

def _embedding_indices(rng: np.random.Generator, shape: tuple, params: dict,
                       prev: list) -> np.ndarray:
    # Rows of the weight (or of the gradient's table), with repeats. The padding row is
    # picked by embedding_dense_backward only: embedding's gradient leaves it out by
    # definition (not the derivative that finite differences see; tests/test_nn_layers.py
    # checks it against PyTorch).
    rows = params.get("num_weights") or prev[0].shape[0]
    padding_idx = params.get("padding_idx", -1)
    indices = rng.integers(0, rows, size=shape)
    if "num_weights" in params:
        indices.flat[-1] = padding_idx % rows
    else:
        indices[indices == padding_idx] = (padding_idx + 1) % rows
    indices.flat[:2] = (1, 1)[:indices.size]
    return indices


case("embedding", (R, Custom(_embedding_indices)), (
    Variant(fixed((5, 3), (2, 3))), Variant(fixed((5, 3), (4,)), {"padding_idx": 2}),
    Variant(fixed((4, 2), ()), {"padding_idx": 0}),
))
case("embedding_dense_backward", (R, Custom(_embedding_indices)), (
    Variant(fixed((2, 3, 3), (2, 3)), {"num_weights": 5}),
    Variant(fixed((4, 2), (4,)), {"num_weights": 3, "padding_idx": 1}),
))
case("native_layer_norm", (R, R, R), (
    Variant(fixed((4, 3), (3,), (3,)), {"normalized_ndim": 1, "eps": 1e-5}),
    Variant(fixed((2, 3, 2), (3, 2), (3, 2)), {"normalized_ndim": 2, "eps": 1e-5}),
    Variant(fixed((5,), (5,), (5,)), {"normalized_ndim": 1, "eps": 0.5}),
))

# reductions
case("sum", (R,), reduce_variants(all_only=True))
case("sum_dim", (R,), reduce_variants(dim_only=True))
case("mean", (R,), reduce_variants(all_only=True))
case("mean_dim", (R,), reduce_variants(dim_only=True))
case("prod", (Custom(_some_zeros),), reduce_variants(all_only=True))
case("prod_dim", (Custom(_some_zeros),), reduce_variants(dim_only=True))
case("cumprod", (Custom(_some_zeros),), axis_variants())
for _name in ("amax", "amin"):
    case(_name, (R,), reduce_variants(), distinct=True)
for _name in ("max", "min"):
    case(_name, (R,), reduce_variants(all_only=True), distinct=True)
case("sort_values", (R, Custom(_sort_index)), (Variant(fixed((3, 4), (3, 4)), {"axis": 1}),
                                               Variant(fixed((3, 2), (3, 2)), {"axis": 0})),
     distinct=True)
case("topk_values", (R, Custom(_topk_index)), (Variant(fixed((3, 4), (3, 2)), {"axis": 1}),),
     distinct=True)
case("round_decimals", (Real(-2.4, 2.4),), (Variant(unary_shapes(), {"decimals": 1}),),
     atol=1e-3)  # zero gradient; finite differences can straddle a jump at 0.05 steps
case("bmm", (R, R), (Variant(fixed((2, 3, 4), (2, 4, 2))),))
for _name in ("floor", "ceil", "round", "trunc"):  # zero gradient off the jumps at integers
    case(_name, (Real(-2.4, 2.4, avoid=(-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0),
                      margin=0.1),), ELEM)
for _name in ("tril", "triu"):
    case(_name, (R,), (Variant(same_shapes(1, min_dims=2)),
                       Variant(same_shapes(1, min_dims=2), {"diagonal": 1}),
                       Variant(same_shapes(1, min_dims=2), {"diagonal": -1})))
case("take_along", (R, Custom(_gather_index)), (
    Variant(fixed((3, 4), (3, 5)), {"axis": 1}),
    Variant(fixed((3, 2), (4, 2)), {"axis": 0}),
    Variant(fixed((2, 3), (1, 3)), {"axis": 0}),
))
case("put_along", (R, Custom(_scatter_index)), (
    Variant(fixed((3, 5), (3, 5)), {"axis": 1, "shape": (3, 4)}),
    Variant(fixed((4, 2), (4, 2)), {"axis": 0, "shape": (3, 2)}),
))
for _name in ("var", "std"):
    # At least 2 values per reduced slice: n - correction > 0, and std stays away from 0.
    case(_name, (R,), reduce_variants({"correction": 1}, dim_only=True, min_side=2)
         + reduce_variants({"correction": 0}, all_only=True, min_side=2))
case("norm", (NONZERO,), tuple(
    Variant(v.shapes, {**v.params, "ord": p}) for p in (1, 2, np.inf, 3.0)
    for v in reduce_variants()[:3]), distinct=True)  # inf: no ties of |x|
case("logsumexp", (R,), reduce_variants())
case("cumsum", (R,), axis_variants())

# shape ops
case("view", (R,), (
    Variant(fixed((2, 3)), {"shape": (3, 2)}),
    Variant(fixed((2, 3, 2)), {"shape": (6, 2)}),
    Variant(fixed((4,)), {"shape": (2, 1, 2)}),
))
case("permute", (R,), (Variant(fixed((2, 3, 4)), {"axes": (2, 0, 1)}),
                       Variant(fixed((2, 3)), {"axes": (1, 0)})))
case("transpose", (R,), (Variant(unary_shapes(2), {"dim0": 0, "dim1": -1}),))
case("t", (R,), (Variant(one_of_shapes(((2, 3),), ((3,),))),))
case("expand", (R,), (Variant(fixed((3, 1)), {"shape": (2, 3, 4)}),
                      Variant(fixed((1,)), {"shape": (3,)})))
case("squeeze", (R,), (Variant(fixed((1, 3, 1)), {"axis": None}),
                       Variant(fixed((2, 3)), {"axis": None})))
case("squeeze_dim", (R,), (Variant(fixed((1, 3, 1)), {"axis": 0}),
                           Variant(fixed((1, 3, 1)), {"axis": 1})))  # size 3: left alone
case("squeeze_dims", (R,), (Variant(fixed((1, 3, 1)), {"axis": (0, 2)}),
                            Variant(fixed((1, 3, 1)), {"axis": (1, 2)})))
case("unsqueeze", (R,), (Variant(unary_shapes(), {"axis": 0}),
                         Variant(unary_shapes(), {"axis": -1})))
case("flip", (R,), (Variant(unary_shapes(1), {"axis": (0,)}),
                    Variant(unary_shapes(2), {"axis": (0, 1)})))
case("cat", (R, R, R), (Variant(fixed((2, 3), (1, 3), (3, 3)), {"axis": 0}),
                        Variant(fixed((2, 1), (2, 3), (2, 2)), {"axis": -1})))
case("stack", (R, R, R), (Variant(same_shapes(3, 0, 2), {"axis": 0}),
                          Variant(same_shapes(3, 1, 2), {"axis": -1})))
case("repeat", (R,), (Variant(fixed((2, 3)), {"reps": (2, 1)}),
                      Variant(fixed((3,)), {"reps": (2, 1, 2)})))
_ADVANCED_KEYS = (
    np.array([0, 2, 0, 1]),  # repeated integer indices: gradients accumulate
    (slice(None), np.array([1, 1, 0])),
    np.array([[True, False, True], [False, True, True], [True, True, False]]),  # boolean mask
    (np.array([0, 2]), np.array([1, 1])),
)
case("index", (R,), tuple(Variant(fixed((3, 3)), {"key": k}) for k in _ADVANCED_KEYS))
# index_select's keys: full slices, then one integer vector (repeats accumulate)
case("index_select", (R,), (
    Variant(fixed((3, 4)), {"key": (np.array([2, 0, 2]),)}),
    Variant(fixed((3, 4)), {"key": (slice(None), np.array([1, 1, 3]))}),
))
# The four basic-indexing views share their rules; each is probed with the keys it serves.
case("select", (R,), tuple(Variant(fixed((3, 4)), {"key": k}) for k in (
    1, (slice(None), 2), (Ellipsis, None, 1), (0, slice(None)))))
case("slice", (R,), tuple(Variant(fixed((3, 4)), {"key": k}) for k in (
    slice(1, 3), (slice(0, 2), slice(None, None, -2)), (1, slice(1, None)))))
case("index_unsqueeze", (R,), tuple(Variant(fixed((3, 4)), {"key": k}) for k in (
    None, (0, None), (Ellipsis, None))))
case("alias", (R,), tuple(Variant(fixed((3, 4)), {"key": k}) for k in (
    Ellipsis, (slice(None), slice(0, 4)))))
case("split_piece", (R,), (Variant(fixed((5, 3)), {"start": 2, "stop": 4, "axis": 0}),
                           Variant(fixed((2, 5)), {"start": 4, "stop": 5, "axis": -1})))
case("split_with_sizes_piece", (R,), (
    Variant(fixed((5, 3)), {"start": 0, "stop": 3, "axis": 0}),
    Variant(fixed((2, 3, 4)), {"start": 1, "stop": 4, "axis": 2})))
case("unbind_piece", (R,), (Variant(fixed((3, 2)), {"index": 2, "axis": 0}),
                            Variant(fixed((2, 3, 2)), {"index": 1, "axis": -1})))
case("index_backward", (R,), (
    Variant(fixed((4, 3)), {"key": _ADVANCED_KEYS[0], "shape": (3, 3)}),
    Variant(fixed((6,)), {"key": _ADVANCED_KEYS[2], "shape": (3, 3)}),
    Variant(fixed((3,)), {"key": (slice(None), 1), "shape": (3, 3)}),
))
case("index_put", (R, R), (
    Variant(fixed((3, 3), (3,)), {"key": 1}),
    Variant(fixed((3, 3), ()), {"key": (slice(None), slice(0, 2))}),
))
case("view_put", (R, R), (  # the view ops' own rules are checked through their cases
    Variant(fixed((2, 3), (3, 2)), {"view_op": _shape_ops.t, "view_params": {}}),
    Variant(fixed((2, 3, 4), (4,)), {"view_op": _shape_ops.index_select,
                                     "view_params": {"key": (1,)}}),
    Variant(fixed((2, 3), (3, 1)), {"view_op": _shape_ops.transpose,
                                    "view_params": {"dim0": 0, "dim1": 1}}),
    Variant(fixed((2, 3), (6,)), {"view_op": _shape_ops.reshape, "view_params": {"shape": (6,)}}),
))
case("index_put_advanced", (R, R), (
    Variant(fixed((3, 3), (2, 3)), {"key": np.array([2, 0])}),
    Variant(fixed((3, 3), (1,)), {"key": _ADVANCED_KEYS[2]}),
    Variant(fixed((3, 3), (3, 1)), {"key": (slice(None), np.array([1]))}),
))
case("max_dim", (R,), (Variant(unary_shapes(1), {"axis": 0, "keepdims": False}),
                       Variant(unary_shapes(2), {"axis": -1, "keepdims": True})),
     call=_max_dim, distinct=True)
case("min_dim", (R,), (Variant(unary_shapes(1), {"axis": 0, "keepdims": False}),
                       Variant(unary_shapes(2), {"axis": -1, "keepdims": True})),
     call=_min_dim, distinct=True)
case("clone", (R,), ELEM)
case("fill", (R, R), (Variant(fixed((2, 3), ())),), call=_fill)
case("fill_tensor", (R, R), (Variant(fixed((2, 3), ())),))
case("zero", (R,), ELEM)
case("masked_fill", (R, Mask()), (Variant(broadcast_shapes(2)), Variant(fixed((2, 3), (3,)))),
     call=_masked_fill)
case("masked_fill_tensor", (R, Mask(), R), (Variant(fixed((2, 3), (2, 3), ())),
                                            Variant(fixed((2, 3), (3,), ()))))
case("copy", (R, R), (Variant(fixed((2, 3), (3,))), Variant(fixed((2, 3), (2, 1)))))

# diagonals, roll, rot90, take, trace, lerp
_DIAGONALS = (
    Variant(fixed((3, 4)), {"offset": 0, "dim1": 0, "dim2": 1}),
    Variant(fixed((3, 4)), {"offset": 2, "dim1": 1, "dim2": 0}),
    Variant(fixed((2, 3, 4)), {"offset": -1, "dim1": 2, "dim2": 0}),
)
case("diagonal", (R,), _DIAGONALS)
case("diagonal_copy", (R,), _DIAGONALS[:2])
case("diagonal_backward", (R,), (
    Variant(fixed((3,)), {"shape": (3, 4), "offset": 0, "dim1": 0, "dim2": 1}),
    Variant(fixed((3, 2)), {"shape": (2, 3, 4), "offset": -1, "dim1": 2, "dim2": 0}),
))
case("diag_embed", (R,), (Variant(fixed((3,)), {"offset": 0, "dim1": 0, "dim2": 1}),
                          Variant(fixed((2, 3)), {"offset": -2, "dim1": 2, "dim2": 0}),
                          Variant(fixed((2, 3)), {"offset": 1, "dim1": 1, "dim2": 2})))
case("roll", (R,), (Variant(unary_shapes(1), {"shifts": (2,), "dims": None}),
                    Variant(fixed((2, 3, 4)), {"shifts": (1, -5), "dims": (0, 2)})))
case("rot90", (R,), tuple(Variant(fixed((2, 3, 4)), {"k": k, "axes": axes})
                          for k, axes in ((1, (0, 1)), (2, (2, 0)), (3, (1, 2)), (0, (0, 2)))))
case("take", (R, Custom(lambda rng, shape, params, prev: rng.integers(
    -prev[0].size, prev[0].size, shape))), (Variant(fixed((3, 4), (2, 5))),
                                            Variant(fixed((5,), (7,)))))
case("trace", (R,), (Variant(one_of_shapes(((3, 3),), ((2, 4),), ((4, 2),))),))
case("lerp_scalar", (R, R), (Variant(broadcast_shapes(2), {"weight": 0.3}),
                             Variant(broadcast_shapes(2), {"weight": 1.7})))
case("lerp_tensor", (R, R, Real(-0.5, 1.5, avoid=(-0.5, 0.5), margin=0.05)),
     (Variant(broadcast_shapes(3)),))  # (PyTorch's two formulas meet at |weight| = 0.5)

# median, kthvalue, cummax, cummin: values picked at indices found by the method
case("median", (R,), (Variant(unary_shapes()),), distinct=True)
case("median_dim", (R,), (Variant(unary_shapes(1), {"axis": 0, "keepdims": False}),
                          Variant(unary_shapes(2), {"axis": -1, "keepdims": True})),
     call=lambda x, *, axis, keepdims: x.median(axis, keepdims).values, distinct=True)
case("kthvalue", (R,), (Variant(fixed((3, 4)), {"k": 2, "axis": 0, "keepdims": False}),
                        Variant(fixed((2, 5)), {"k": 5, "axis": -1, "keepdims": True})),
     call=lambda x, *, k, axis, keepdims: x.kthvalue(k, axis, keepdims).values, distinct=True)
case("cummax_values", (R,), axis_variants(), call=lambda x, *, axis: x.cummax(axis).values,
     distinct=True)
case("cummin_values", (R,), axis_variants(), call=lambda x, *, axis: x.cummin(axis).values,
     distinct=True)


def _distinct_index(rng: np.random.Generator, shape: tuple, params: dict,
                    prev: list) -> np.ndarray:
    # Distinct places along ``axis`` in each column: which of two writes to one place wins
    # is unspecified in PyTorch, and its gradient goes to both.
    axis = params["axis"]
    keys = rng.random(shape[:axis] + (prev[0].shape[axis],) + shape[axis + 1:])
    return np.take(np.argsort(keys, axis=axis), np.arange(shape[axis]), axis=axis)


# scatter, scatter_add, index_add; addmm, addmv, baddbmm
_SCATTERS = (Variant(fixed((3, 4), (2, 4), (2, 4)), {"axis": 0}),
             Variant(fixed((3, 4), (2, 3), (2, 3)), {"axis": 1}))
case("scatter", (R, Custom(_distinct_index), R), _SCATTERS)
case("scatter_value", (R, Custom(_distinct_index)), tuple(
    Variant(v.shapes.map(lambda s: s[:2]), {**v.params, "value": 0.5}) for v in _SCATTERS))
case("scatter_add", (R, Custom(_gather_index), R), _SCATTERS)
case("index_add", (R, Custom(lambda rng, shape, params, prev: rng.integers(
    0, prev[0].shape[params["axis"]], shape)), R), (
    Variant(fixed((3, 4), (5,), (5, 4)), {"axis": 0, "alpha": 1}),
    Variant(fixed((3, 4), (2,), (3, 2)), {"axis": 1, "alpha": 2.5})))
case("addmm", (R, R, R), (Variant(fixed((2, 3), (2, 4), (4, 3)), {"beta": 1, "alpha": 1}),
                          Variant(fixed((3,), (2, 4), (4, 3)), {"beta": 0.5, "alpha": -2.0})))
case("addmv", (R, R, R), (Variant(fixed((2,), (2, 3), (3,)), {"beta": 1, "alpha": 1}),
                          Variant(fixed((1,), (2, 3), (3,)), {"beta": 0, "alpha": 1.5})))
case("baddbmm", (R, R, R), (Variant(fixed((2, 2, 3), (2, 2, 4), (2, 4, 3)),
                                    {"beta": 1, "alpha": 1}),
                            Variant(fixed((2, 3), (2, 2, 4), (2, 4, 3)),
                                    {"beta": 2.0, "alpha": 0.5})))
case("isclose", (R, R), (Variant(broadcast_shapes(2), {"rtol": 1e-5, "atol": 1e-8,
                                                     "equal_nan": False}),),
     differentiable_output=False)


OP_CASES: dict[str, OpCase] = {}
for _c in _cases:
    if _c.op in OP_CASES:
        raise ValueError(f"two op cases for {_c.op!r}")
    OP_CASES[_c.op] = _c



@dataclass(frozen=True)
class Point:
    """A fixed point where an op's rule takes a special branch, checked like the random ones.

    ``second_order=False`` where the op has a kink exactly there (finite differences of the
    first derivative do not converge).
    """

    op: str
    inputs: tuple[np.ndarray, ...]
    params: dict = field(default_factory=dict)
    second_order: bool = True
    why: str = ""


_SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
_PAIR_TIES = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, 0.5]])

# Central differences at a tie of two values give 1/2 each, which is exactly how the rules
# share the gradient between two tied values (three ties would not match: 1/3 vs 1/2).
SPECIAL_POINTS: tuple[Point, ...] = (
    Point("det", (_SINGULAR,), why="singular: no inverse, the cofactors are the gradient"),
    Point("det", (np.stack([_SINGULAR[:2, :2], np.eye(2) * 2]),), why="one singular in a batch"),
    Point("det", (np.zeros((1, 1)),), why="1 x 1 singular"),
    Point("std", (np.ones((2, 3)),), {"axis": 1, "correction": 1, "keepdims": False},
          second_order=False, why="std = 0: gradient 0 (PyTorch's choice, and the symmetric "
          "finite difference)"),
    Point("norm", (np.zeros((2, 3)),), {"ord": 2, "axis": None, "keepdims": False},
          second_order=False, why="at the origin: subgradient 0"),
    Point("maximum", (_PAIR_TIES, np.array([3.0, 3.0, 0.5])), second_order=False,
          why="ties share the gradient"),
    Point("minimum", (_PAIR_TIES, np.array([1.0, 0.0, 3.0])), second_order=False,
          why="ties share the gradient"),
    Point("amax", (_PAIR_TIES,), {"axis": 1, "keepdims": False}, second_order=False,
          why="two tied maxima share the gradient"),
    Point("max", (np.array([[1.0, 3.0], [3.0, 0.5]]),), {"axis": None, "keepdims": False},
          second_order=False, why="two tied maxima over the whole tensor"),
    Point("prod", (np.array([[0.0, 2.0], [0.0, -1.0]]),), {"axis": None, "keepdims": False},
          why="two zeros: every first derivative is 0, some second ones are not"),
)

__all__ = ["OP_CASES", "SPECIAL_POINTS", "OpCase", "Point", "Variant", "Real", "WellConditioned",
           "Mask", "Custom", "unary_shapes", "broadcast_shapes", "same_shapes", "fixed",
           "one_of_shapes"]
