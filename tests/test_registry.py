"""The registry itself: coverage by the op-case table, grad_fn names, the NumPy table, defop."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from op_cases import OP_CASES

import dualgrad as dg
from dualgrad._registry import NONDIFF, NUMPY_IMPLS, REGISTRY, Op, defop, grad_fn_name_for


def _library_ops() -> dict[str, Op]:
    """The ops dualgrad itself declares: those bound to a name in a ``dualgrad`` module.

    Ops registered at run time by users or by doctest examples (``defop("example_cube", ...)``)
    are in REGISTRY too but are not the library's, so they need no op case.
    """
    found: dict[str, Op] = {}
    for mod_name, module in list(sys.modules.items()):
        if mod_name == "dualgrad" or mod_name.startswith("dualgrad."):
            for value in vars(module).values():
                if isinstance(value, Op) and REGISTRY.get(value.name) is value:
                    found[value.name] = value
    return found


def test_every_library_op_has_an_op_case() -> None:
    missing = sorted(set(_library_ops()) - set(OP_CASES))
    assert not missing, f"ops without an OpCase in tests/op_cases.py: {missing}"


def test_every_op_case_names_a_registered_op() -> None:
    unknown = sorted(set(OP_CASES) - set(REGISTRY))
    assert not unknown, f"op cases for ops that are not registered: {unknown}"


def test_library_ops_are_found() -> None:
    # Guards the discovery above: it must see ops from every op module and from _tensor.
    ops = _library_ops()
    for name in ("add", "sum_dim", "matmul", "view", "softmax", "max_dim", "clone"):
        assert name in ops


def test_op_cases_match_the_op_signature() -> None:
    for name, case in OP_CASES.items():
        op = REGISTRY[name]
        assert case.differentiable_output == op.differentiable_output, name
        if not op.variadic and case.call is None:
            # (Cases with their own ``call`` pass scalars or computed indices themselves.)
            assert len(case.inputs) == len(op.vjp), (
                f"{name}: {len(case.inputs)} inputs, {len(op.vjp)} rules")
        for i, rule in enumerate(op.vjp if not op.variadic else ()):
            if rule is NONDIFF and i < len(case.inputs) and op.differentiable_output:
                spec = case.inputs[i]
                # A NONDIFF input must be built as an index or a mask, never as floats.
                assert type(spec).__name__ in ("Mask", "Custom"), f"{name}: input {i}"


# PyTorch 2.13's node names for the call each op stands for (checked against torch; the
# torch comparison tests check them again where torch is installed).
PYTORCH_NAMES = {
    "add": "AddBackward0", "sub": "SubBackward0", "rsub": "RsubBackward1",
    "mul": "MulBackward0", "div": "DivBackward0", "neg": "NegBackward0",
    "pow": "PowBackward0", "pow_tensor": "PowBackward1", "rpow": "PowBackward2",
    "square": "PowBackward0", "sqrt": "SqrtBackward0", "rsqrt": "RsqrtBackward0",
    "reciprocal": "ReciprocalBackward0", "abs": "AbsBackward0", "exp": "ExpBackward0",
    "expm1": "Expm1Backward0", "log": "LogBackward0", "log1p": "Log1PBackward0",
    "sin": "SinBackward0", "cos": "CosBackward0", "tan": "TanBackward0",
    "tanh": "TanhBackward0", "sigmoid": "SigmoidBackward0", "relu": "ReluBackward0",
    "maximum": "MaximumBackward0", "minimum": "MinimumBackward0", "clamp": "ClampBackward1",
    "where": "WhereBackward0", "sign": "SignBackward0", "erf": "ErfBackward0",
    "cast": "ToCopyBackward0",
    "mm": "MmBackward0", "mv": "MvBackward0", "dot": "DotBackward0",
    "inv": "LinalgInvExBackward0", "solve": "LinalgSolveExBackward0",
    "det": "LinalgDetBackward0",
    "softmax": "SoftmaxBackward0", "log_softmax": "LogSoftmaxBackward0",
    "binary_cross_entropy_with_logits": "BinaryCrossEntropyWithLogitsBackward0",
    "binary_cross_entropy": "BinaryCrossEntropyBackward0", "mse_loss": "MseLossBackward0",
    "nll_loss": "NllLossBackward0",
    "sum": "SumBackward0", "sum_dim": "SumBackward1", "mean": "MeanBackward0",
    "mean_dim": "MeanBackward1", "prod": "ProdBackward0", "prod_dim": "ProdBackward1",
    "cumprod": "CumprodBackward0", "amax": "AmaxBackward0", "amin": "AminBackward0",
    "max": "MaxBackward1", "min": "MinBackward1", "max_dim": "MaxBackward0",
    "min_dim": "MinBackward0", "take_along": "GatherBackward0",
    "put_along": "ScatterBackward0", "var": "VarBackward0", "std": "StdBackward0",
    "norm": "LinalgVectorNormBackward0", "logsumexp": "LogsumexpBackward0",
    "cumsum": "CumsumBackward0",
    "view": "ViewBackward0", "permute": "PermuteBackward0", "transpose": "TransposeBackward0",
    "t": "TBackward0", "expand": "ExpandBackward0", "unsqueeze": "UnsqueezeBackward0",
    "flip": "FlipBackward0", "cat": "CatBackward0", "stack": "StackBackward0",
    "repeat": "RepeatBackward0", "index": "IndexBackward0", "index_put": "CopySlices",
    "clone": "CloneBackward0", "copy": "CopyBackwards",
    "outer": "MulBackward0", "select": "SelectBackward0", "slice": "SliceBackward0",
    "index_unsqueeze": "UnsqueezeBackward0", "alias": "AliasBackward0",
    "split_piece": "SplitBackward0", "split_with_sizes_piece": "SplitWithSizesBackward0",
    "unbind_piece": "UnbindBackward0", "index_put_advanced": "IndexPutBackward0",
    "fill": "FillBackward2", "fill_tensor": "FillBackward3", "zero": "ZeroBackward0",
    "squeeze": "SqueezeBackward0", "squeeze_dim": "SqueezeBackward1",
    "squeeze_dims": "SqueezeBackward2", "masked_fill": "MaskedFillBackward0",
    "masked_fill_tensor": "MaskedFillBackward1",
    "remainder": "RemainderBackward1", "remainder_scalar": "RemainderBackward0",
    "rremainder": "NotImplemented", "fmod": "FmodBackward1", "fmod_scalar": "FmodBackward0",
    "floor_divide": "NotImplemented", "rfloor_divide": "NotImplemented",
    "div_rounding": "DivBackward2",
    # (checked with PyTorch 2.13: torch.diag of a matrix is a diagonal_copy)
    "diagonal": "DiagonalBackward0", "diagonal_copy": "DiagonalBackward0_copy",
    "diagonal_backward": "DiagonalBackwardBackward0", "diag_embed": "DiagEmbedBackward0",
    "roll": "RollBackward0", "rot90": "Rot90Backward0", "take": "TakeBackward0",
    "trace": "TraceBackward0", "lerp_scalar": "LerpBackward0", "lerp_tensor": "LerpBackward1",
    "median": "MedianBackward0", "median_dim": "MedianBackward1", "kthvalue": "KthvalueBackward0",
    "cummax_values": "CummaxBackward0", "cummin_values": "CumminBackward0",
    "scatter": "ScatterBackward0", "scatter_value": "ScatterBackward1",
    "scatter_add": "ScatterAddBackward0", "index_add": "IndexAddBackward0",
    "addmm": "AddmmBackward0", "addmv": "AddmvBackward0", "baddbmm": "BaddbmmBackward0",
    "clamp_min": "ClampMinBackward0",
    "smooth_l1_loss": "SmoothL1LossBackward0", "huber_loss": "HuberLossBackward0",
    "xlogy": "XlogyBackward0", "log_sigmoid": "LogSigmoidBackward0",
    "constant_pad_nd": "ConstantPadNdBackward0",
    # (checked with PyTorch 2.13: a capital D, as load_derivatives.py title-cases "1d")
    **{f"{kind}_pad{d}d{suffix}": f"{kind.title()}Pad{d}DBackward{bsuffix}0"
       for kind in ("reflection", "replication") for d in (1, 2, 3)
       for suffix, bsuffix in (("", ""), ("_backward", "Backward"))},
}


@pytest.mark.parametrize(("name", "expected"), sorted(PYTORCH_NAMES.items()))
def test_grad_fn_names_follow_pytorch(name: str, expected: str) -> None:
    assert REGISTRY[name].grad_fn_name == expected


def test_every_grad_fn_name_has_pytorchs_form() -> None:
    pattern = re.compile(r"^[A-Z][A-Za-z0-9]*Backward(\d+|s)(_copy)?$")
    for name, op in _library_ops().items():
        # (NotImplemented: PyTorch's node for an op without a derivative, as ``x // y``)
        assert pattern.match(op.grad_fn_name) or op.grad_fn_name in (
            "CopySlices", "NotImplemented"), (
            f"{name}: {op.grad_fn_name!r}")


@pytest.mark.parametrize(("name", "expected"), [
    ("mul", "MulBackward0"), ("log1p", "Log1PBackward0"), ("log_softmax", "LogSoftmaxBackward0"),
    ("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0"),
    ("sum__dim", "SumDimBackward0"),
])
def test_derived_names(name: str, expected: str) -> None:
    assert grad_fn_name_for(name) == expected


def test_recorded_node_shows_the_name() -> None:
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    assert (8 - x).grad_fn.name() == "RsubBackward1"
    assert x.log1p().grad_fn.name() == "Log1PBackward0"
    assert repr((x * x).grad_fn).startswith("<MulBackward0 object at 0x")


def test_numpy_table_entries_are_callable() -> None:
    assert NUMPY_IMPLS
    for fn, impl in NUMPY_IMPLS.items():
        assert callable(fn) and callable(impl), (fn, impl)
    for op in _library_ops().values():
        for fn in op.numpy:
            assert fn in NUMPY_IMPLS, f"{op.name}: {fn} is declared but not served"


@pytest.mark.parametrize("name", sorted(n for n, op in REGISTRY.items()
                                        if op.numpy and isinstance(NUMPY_IMPLS.get(op.numpy[0]),
                                                                   Op)
                                        and op.numpy[0].__class__ is np.ufunc
                                        and op.numpy[0].nin == 1
                                        and op.differentiable_output))
def test_numpy_ufunc_on_a_tensor_records_the_op(name: str) -> None:
    op = REGISTRY[name]
    x = dg.tensor(np.array([0.5, 0.25]), requires_grad=True)
    with np.errstate(invalid="ignore"):  # arccosh(0.5) is NaN
        out = op.numpy[0](x)
    assert isinstance(out, dg.Tensor)
    assert out.grad_fn is not None and out.grad_fn.op is NUMPY_IMPLS[op.numpy[0]]


def test_defop_refuses_a_duplicate_name() -> None:
    before = dict(REGISTRY)
    with pytest.raises(ValueError, match="'add' is already registered"):
        defop("add", np.add, vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g))
    assert REGISTRY == before and REGISTRY["add"].forward is np.add


def test_defop_registers_and_derives_the_name() -> None:
    name = "test_registry_twice_op"
    try:
        op = defop(name, lambda x: 2 * x, vjp=(lambda g, ans, x: 2 * g,), numpy=())
        assert REGISTRY[name] is op and op.grad_fn_name == "TestRegistryTwiceOpBackward0"
        x = dg.tensor([1.0, 3.0], requires_grad=True)
        y = op(x)
        assert y.grad_fn.name() == "TestRegistryTwiceOpBackward0"
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    finally:
        REGISTRY.pop(name, None)


def test_identity_rule_passes_the_cotangent_on_on_every_path() -> None:
    from dualgrad._registry import IDENTITY

    g = np.ones(3)
    assert IDENTITY(g, None, 1.0, 2.0) is g  # callable like any rule (the general loop)
    assert REGISTRY["add"].vjp == (IDENTITY, IDENTITY)
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    (first,) = dg.autograd.grad((x + x * x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(first.detach().numpy(), [3.0, 5.0])
    (second,) = dg.autograd.grad(first.sum(), x)
    np.testing.assert_array_equal(second.numpy(), [2.0, 2.0])
