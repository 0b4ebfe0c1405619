"""The generic gradient check, run over every op case of ``tests/op_cases.py``.

For each op and each of its variants: first-order VJPs against float64 central finite
differences, second-order (the VJP of the VJP, with ``create_graph=True``) likewise, and a
float32 run that checks dtypes and agreement with float64. Shapes and data come from
Hypothesis (few examples in the ``dev`` profile).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import OP_CASES, SPECIAL_POINTS, Custom, OpCase, Point, Real

import dualgrad as dg
from dualgrad._registry import REGISTRY
from dualgrad.testing import check_second_order, check_vjp

DIFF_CASES = [c for c in OP_CASES.values() if c.differentiable_output and not c.no_derivative]
VARIANTS = [pytest.param(c, i, id=f"{c.op}-{i}") for c in DIFF_CASES
            for i in range(len(c.variants))]
SECOND_ORDER = [p for p in VARIANTS if p.values[0].second_order]


def _draw(case: OpCase, index: int, data: st.DataObject) -> tuple[list, dict, np.random.Generator]:
    variant = case.variants[index]
    shapes = data.draw(variant.shapes, label="shapes")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    return case.build(rng, shapes, variant.params), variant.params, rng


def _label(case: OpCase, params: dict) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{case.op}({shown})"


@pytest.mark.parametrize(("case", "index"), VARIANTS)
@given(data=st.data())
def test_first_order(case: OpCase, index: int, data: st.DataObject) -> None:
    inputs, params, rng = _draw(case, index, data)
    check_vjp(functools.partial(case, **params), inputs, nondiff=sorted(case.nondiff),
              atol=case.atol, rtol=case.rtol, rng=rng, name=_label(case, params))


@pytest.mark.parametrize(("case", "index"), SECOND_ORDER)
@given(data=st.data())
def test_second_order(case: OpCase, index: int, data: st.DataObject) -> None:
    inputs, params, rng = _draw(case, index, data)
    check_second_order(functools.partial(case, **params), inputs, nondiff=sorted(case.nondiff),
                       atol=case.atol, rtol=case.rtol, rng=rng, name=_label(case, params))


def _is_float_input(case: OpCase, i: int, value: object) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype.kind == "f" and i not in case.nondiff
            and not (isinstance(case.inputs[i], Custom) and value.dtype.kind != "f"))


@pytest.mark.parametrize(("case", "index"), VARIANTS)
@given(data=st.data())
def test_records_op_and_keeps_float32(case: OpCase, index: int, data: st.DataObject) -> None:
    """The call records the registered op; float32 in gives float32 values and gradients."""
    inputs, params, rng = _draw(case, index, data)
    diff = [i for i, x in enumerate(inputs) if _is_float_input(case, i, x)]
    results = {}
    for dtype in (np.float64, np.float32):
        args = list(inputs)
        for i in diff:
            args[i] = dg.tensor(inputs[i].astype(dtype), requires_grad=True)
        out = case(*args, **params)
        assert out.grad_fn is not None and out.grad_fn.op is REGISTRY[case.op], (
            f"{case.op}: the call recorded {out.grad_fn!r}")
        expected_dtype = params.get("dtype", np.dtype(dtype))
        assert out.dtype == expected_dtype, f"{case.op}: {dtype.__name__} in, {out.dtype} out"
        v = rng.standard_normal(out.shape).astype(out.dtype) if dtype is np.float64 else \
            results[np.float64][2].astype(out.dtype)
        grads = dg.autograd.grad(out, [args[i] for i in diff], grad_outputs=dg.tensor(v),
                                 allow_unused=True, materialize_grads=True)
        for i, g in zip(diff, grads):
            assert g.dtype == np.dtype(dtype) and g.shape == args[i].shape, (
                f"{case.op}: gradient of input {i} is {g.dtype} {tuple(g.shape)}, expected "
                f"{np.dtype(dtype)} {tuple(args[i].shape)}")
        results[dtype] = (out.numpy(force=True), [g.numpy() for g in grads], v)
    (out64, grads64, _), (out32, grads32, _) = results[np.float64], results[np.float32]
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5, err_msg=case.op)
    for i, g64, g32 in zip(diff, grads64, grads32):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4,
                                   err_msg=f"{case.op}: float32 gradient of input {i}")


NO_DERIVATIVE = [pytest.param(c, i, id=f"{c.op}-{i}") for c in OP_CASES.values()
                 if c.no_derivative for i in range(len(c.variants))]


@pytest.mark.parametrize(("case", "index"), NO_DERIVATIVE)
@given(data=st.data())
def test_ops_without_derivative_refuse_backward(case: OpCase, index: int,
                                                data: st.DataObject) -> None:
    """Ops PyTorch records with ``grad_fn=<NotImplemented>``: the output requires grad and
    keeps float32, and backward raises PyTorch's error instead of passing a gradient on."""
    inputs, params, _ = _draw(case, index, data)
    for dtype in (np.float64, np.float32):
        args = [dg.tensor(x.astype(dtype), requires_grad=True) for x in inputs]
        out = case(*args, **params)
        assert out.requires_grad and out.grad_fn.op is REGISTRY[case.op]
        assert out.grad_fn.name() == "torch::autograd::NotImplemented"
        assert "grad_fn=<NotImplemented>" in repr(out) and out.dtype == np.dtype(dtype)
        with pytest.raises(RuntimeError) as info:
            out.sum().backward()
        assert str(info.value) == case.no_derivative


NONDIFF_CASES = [pytest.param(c, id=c.op) for c in OP_CASES.values()
                 if not c.differentiable_output]


@pytest.mark.parametrize("case", NONDIFF_CASES)
@given(data=st.data())
def test_predicates_have_no_gradient(case: OpCase, data: st.DataObject) -> None:
    """Comparisons, predicates and bitwise ops: NumPy's values and dtype (bool for the
    predicates), never recorded."""
    inputs, params, _ = _draw(case, 0, data)
    # Ties make the equality comparisons interesting: copy some values across.
    if len(inputs) == 2 and inputs[0].size and inputs[1].size:
        inputs[1].reshape(-1)[0] = inputs[0].reshape(-1)[0]
    tensors = [dg.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    out = case(*tensors, **params)
    expected = REGISTRY[case.op].numpy[0](*inputs)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.dtype == (np.bool_ if case.op.startswith(("is", "logical")) or
                         case.op in ("eq", "ne", "lt", "le", "gt", "ge") else expected.dtype)
    assert not out.requires_grad and out.grad_fn is None


def test_distinct_inputs_have_no_ties(rng: np.random.Generator) -> None:
    case = OP_CASES["maximum"]
    x, y = case.build(rng, ((4, 3), (3,)), {})
    values = np.abs(np.concatenate([x.ravel(), y.ravel()]))
    assert np.min(np.diff(np.sort(values))) > 1e-3 and values.min() > 0.1


def test_real_spec_keeps_away_from_kinks(rng: np.random.Generator) -> None:
    spec = Real(-1.0, 1.0, avoid=(0.0, 0.5), margin=0.1)
    x = spec.draw(rng, (10_000,))
    assert np.min(np.abs(x)) >= 0.1 and np.min(np.abs(x - 0.5)) >= 0.1


@pytest.mark.parametrize("point", [pytest.param(p, id=f"{p.op}-{i}")
                                   for i, p in enumerate(SPECIAL_POINTS)])
def test_special_points(point: Point) -> None:
    """Singular matrices, zero std, ties, zeros of prod: the rules' special branches."""
    case = OP_CASES[point.op]
    fn = functools.partial(case, **point.params)
    label = f"{point.op} at a special point ({point.why})"
    check_vjp(fn, list(point.inputs), atol=case.atol, rtol=case.rtol, name=label)
    if point.second_order:
        check_second_order(fn, list(point.inputs), atol=case.atol, rtol=case.rtol, name=label)


# --- the checker itself must fail on wrong rules ------------------------------------------------

@pytest.fixture
def scratch_op() -> object:
    """Register throwaway ops for one test and remove them afterwards."""
    from dualgrad._registry import defop

    names: list[str] = []

    def make(name: str, forward: object, rule: object, **kw: object) -> object:
        names.append(name)
        return defop(name, forward, vjp=(rule,), **kw)

    yield make
    for name in names:
        REGISTRY.pop(name, None)


@pytest.mark.parametrize("size", [5, 40])  # full Jacobian, then random projections
def test_checker_catches_a_wrong_first_derivative(scratch_op: object, size: int) -> None:
    op = scratch_op(f"test_wrong_sin_{size}", np.sin, lambda g, ans, x: g * np.cos(x) * 1.01)
    with pytest.raises(AssertionError, match=r"first-order gradient check failed: input 0"):
        check_vjp(op, [np.linspace(-1.0, 1.0, size)], name="wrong sin")


@pytest.mark.parametrize("size", [5, 40])
def test_checker_catches_a_rule_that_is_not_differentiable(scratch_op: object,
                                                           size: int) -> None:
    # Right values, but the rule reads the raw output array: under create_graph the
    # dependence on x is lost, which only the second-order check can see.
    def rule(g: object, ans: object, x: object) -> object:
        raw = ans.detach().numpy() if isinstance(ans, dg.Tensor) else ans
        return g * (1 - raw * raw)

    op = scratch_op(f"test_flat_tanh_{size}", np.tanh, rule, save_ans=True)
    x = np.linspace(-1.0, 1.0, size)
    check_vjp(op, [x])
    with pytest.raises(AssertionError, match="second-order gradient check failed"):
        check_second_order(op, [x], name="flat tanh")


def test_checker_catches_a_wrong_gradient_shape(scratch_op: object) -> None:
    # sum_to cannot reduce (3,) to (2,): the engine names the op and the shapes.
    op = scratch_op("test_bad_shape", lambda x: x * 2, lambda g, ans, x: np.ones(3))
    with pytest.raises(RuntimeError, match=r"TestBadShapeBackward0 returned an invalid gradient"):
        check_vjp(op, [np.ones(2)])


def test_checker_refuses_points_outside_the_domain() -> None:
    with pytest.raises(ValueError, match="not finite"), np.errstate(invalid="ignore"):
        check_vjp(lambda x: x.log(), [np.array([-1.0, 1.0])])
