"""Factories and ``torch.tensor`` refuse what PyTorch 2.13 refuses, with its exception type and
text (taken from PyTorch 2.13 CPU), and accept what it accepts. Each case is a string run
against ``dualgrad.torch`` (and, when installed, against PyTorch too)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualgrad.torch as torch

NEG = "Trying to create tensor with negative dimension {}: [{}]"
UNPACK = ("{}(): argument 'size' failed to unpack the object at pos 2 with error "
          '"type must be tuple of ints,but got {}"')
_OPTS = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
         "bool pin_memory = False, bool requires_grad = False")
_OUT = "Tensor out = None, " + _OPTS
_GEN = "torch.Generator generator, "


def _combination(fn: str, got: str, *signatures: str) -> str:
    listed = "".join(f" * ({s})\n" for s in signatures)
    return (f"{fn}() received an invalid combination of arguments - got ({got}), but expected "
            f"one of:\n{listed}")


_RANDINT = (f"int high, tuple of ints size, *, {_GEN}{_OUT}",
            f"int high, tuple of ints size, *, {_OUT}",
            f"int low, int high, tuple of ints size, *, {_GEN}{_OUT}",
            f"int low, int high, tuple of ints size, *, {_OUT}")
_RAND = (f"tuple of ints size, *, {_GEN}{_OUT}", f"tuple of ints size, *, {_OUT}")
_EYE = (f"int n, *, {_OUT}", f"int n, int m, *, {_OUT}")
_LINSPACE = tuple(f"{a} start, {b} end, int steps, *, {_OUT}" for a, b in (
    ("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"), ("Number", "Number")))

# (call, exception type, PyTorch 2.13's exact text)
CASES = [
    # negative sizes
    ("torch.zeros(-1)", RuntimeError, "zeros: Dimension size must be non-negative."),
    ("torch.zeros(2, -3)", RuntimeError, "zeros: Dimension size must be non-negative."),
    ("torch.zeros((2, -3))", RuntimeError, "zeros: Dimension size must be non-negative."),
    ("torch.ones(-1)", RuntimeError, NEG.format(-1, "-1")),
    ("torch.ones(-2, -1)", RuntimeError, NEG.format(-2, "-2, -1")),
    ("torch.empty(-1)", RuntimeError, NEG.format(-1, "-1")),
    ("torch.full((2, -1), 1.0)", RuntimeError, NEG.format(-1, "2, -1")),
    ("torch.rand(-1)", RuntimeError, NEG.format(-1, "-1")),
    ("torch.randn(2, -2)", RuntimeError, NEG.format(-2, "2, -2")),
    ("torch.randint(0, 5, (2, -1))", RuntimeError, NEG.format(-1, "2, -1")),
    ("torch.randperm(-1)", RuntimeError, NEG.format(-1, "-1")),
    ("torch.nn.Linear(-1, 2)", RuntimeError, NEG.format(-1, "2, -1")),
    ("torch.nn.Linear(2, -1)", RuntimeError, NEG.format(-1, "-1, 2")),
    ("torch.eye(-1)", RuntimeError, "n must be greater or equal to 0, got -1"),
    ("torch.eye(2, -1)", RuntimeError, "m must be greater or equal to 0, got -1"),
    ("torch.linspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
    # sizes of the wrong type
    ("torch.zeros(2.5)", TypeError,
     "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
    ("torch.ones('3')", TypeError,
     "ones(): argument 'size' (position 1) must be tuple of ints, not str"),
    ("torch.empty(None)", TypeError,
     "empty(): argument 'size' (position 1) must be tuple of ints, not NoneType"),
    ("torch.rand(True)", TypeError,
     "rand(): argument 'size' (position 1) must be tuple of ints, not bool"),
    ("torch.randn(np.array([2, 3]))", TypeError,
     "randn(): argument 'size' (position 1) must be tuple of ints, not numpy.ndarray"),
    ("torch.zeros([2.5])", TypeError, "zeros(): argument 'size' (position 1) must be tuple of "
                                      "ints, but found element of type float at pos 0"),
    ("torch.zeros(2, 2.5)", TypeError, UNPACK.format("zeros", "float")),
    ("torch.rand((2, 2.5))", TypeError, UNPACK.format("rand", "float")),
    ("torch.ones(2, None)", TypeError, UNPACK.format("ones", "NoneType")),
    ("torch.zeros(2.5, 2)", TypeError, "zeros() takes 1 positional argument but 2 were given"),
    ("torch.zeros()", TypeError, 'zeros() missing 1 required positional arguments: "size"'),
    ("torch.full(3, 1.0)", TypeError,
     "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    ("torch.full((2.5,), 1.0)", TypeError, "full(): argument 'size' (position 1) must be tuple "
                                           "of ints, but found element of type float at pos 0"),
    ("torch.full((2,), 'a')", TypeError,
     "full(): argument 'fill_value' (position 2) must be Number, not str"),
    ("torch.full((2,), torch.ones(2))", TypeError,
     "full(): argument 'fill_value' (position 2) must be Number, not Tensor"),
    ("torch.eye(2.5)", TypeError, "eye(): argument 'n' (position 1) must be int, not float"),
    ("torch.eye(2, 2.5)", TypeError, _combination("eye", "int, float", *_EYE)),
    ("torch.randperm('3')", TypeError,
     "randperm(): argument 'n' (position 1) must be int, not str"),
    ("torch.linspace(0, 1, 2.5)", TypeError, _combination("linspace", "int, int, float",
                                                          *_LINSPACE)),
    ("torch.arange('5')", TypeError, "arange(): argument 'end' (position 1) must be Number, "
                                     "not str"),
    # randint's forms
    ("torch.randint(0, 5)", TypeError,
     "randint(): argument 'size' (position 2) must be tuple of ints, not int"),
    ("torch.randint(5)", TypeError, _combination("randint", "int", *_RANDINT)),
    ("torch.randint(0, 5, 2)", TypeError, _combination("randint", "int, int, int", *_RANDINT)),
    ("torch.randint(0, 2.5, (2,))", TypeError,
     _combination("randint", "int, float, tuple", *_RANDINT)),
    ("torch.randint(2.5, (2,))", TypeError,
     "randint(): argument 'high' (position 1) must be int, not float"),
    ("torch.randint(5, (2.5,))", TypeError, "randint(): argument 'size' (position 2) must be "
                                            "tuple of ints, but found element of type float at "
                                            "pos 0"),
    ("torch.randint(5, 3, (2,))", RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    ("torch.randint(3, 3, (2,))", RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=3 >= to=3"),
    # dtypes that are not torch.dtype
    ("torch.zeros(3, dtype='float32')", TypeError,
     "zeros(): argument 'dtype' must be torch.dtype, not str"),
    ("torch.ones(3, dtype=np.float32)", TypeError,
     "ones(): argument 'dtype' must be torch.dtype, not type"),
    ("torch.empty(3, dtype=np.dtype('float32'))", TypeError,
     "empty(): argument 'dtype' must be torch.dtype, not numpy.dtypes.Float32DType"),
    ("torch.full((2,), 1.0, dtype='float32')", TypeError,
     "full(): argument 'dtype' must be torch.dtype, not str"),
    ("torch.tensor([1.0], dtype='float32')", TypeError,
     "tensor(): argument 'dtype' must be torch.dtype, not str"),
    ("torch.as_tensor([1.0], dtype='float32')", TypeError,
     "as_tensor(): argument 'dtype' must be torch.dtype, not str"),
    ("torch.zeros_like(torch.ones(2), dtype='float32')", TypeError,
     "zeros_like(): argument 'dtype' must be torch.dtype, not str"),
    ("torch.rand(3, dtype='float32')", TypeError, _combination("rand", "int, dtype=str", *_RAND)),
    ("torch.randn(3, dtype=np.float32)", TypeError,
     _combination("randn", "int, dtype=type", *_RAND)),
    ("torch.eye(3, dtype='float32')", TypeError, _combination("eye", "int, dtype=str", *_EYE)),
    ("torch.randint(5, (2,), dtype='int64')", TypeError,
     _combination("randint", "int, tuple, dtype=str", *_RANDINT)),
    ("torch.rand(3, dtype=torch.int64)", NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("torch.randn(3, dtype=torch.int64)", NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    # the *_like factories take tensors only
    ("torch.zeros_like([1, 2])", TypeError,
     "zeros_like(): argument 'input' (position 1) must be Tensor, not list"),
    ("torch.ones_like(np.ones(2))", TypeError,
     "ones_like(): argument 'input' (position 1) must be Tensor, not numpy.ndarray"),
    # data torch.tensor cannot convert
    ("torch.tensor([torch.ones(2), torch.ones(2)])", ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("torch.tensor([torch.ones(0)])", ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("torch.tensor([[1, 2], [3]])", ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ("torch.tensor([[1], [2, 3]])", ValueError, "expected sequence of length 1 at dim 1 (got 2)"),
    ("torch.tensor([[[1, 2], [3, 4]], [[1, 2], [3]]])", ValueError,
     "expected sequence of length 2 at dim 2 (got 1)"),
    ("torch.tensor([[1, 2], [3]], dtype=torch.float32)", ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    ("torch.tensor([[1, 2], 3])", TypeError, "not a sequence"),
    ("torch.tensor([1.0, [2.0]])", TypeError, "must be real number, not list"),
    ("torch.tensor([1, [2]])", TypeError, "'list' object cannot be interpreted as an integer"),
    ("torch.tensor(None)", RuntimeError, "Could not infer dtype of NoneType"),
    ("torch.tensor([1, None])", RuntimeError, "Could not infer dtype of NoneType"),
    ("torch.tensor([None], dtype=torch.float32)", TypeError, "must be real number, not NoneType"),
    ("torch.tensor({1: 2})", RuntimeError, "Could not infer dtype of dict"),
    ("torch.tensor(['a'])", ValueError, "too many dimensions 'str'"),
    ("torch.tensor(['1.5'], dtype=torch.float32)", ValueError, "too many dimensions 'str'"),
    ("torch.tensor('a')", TypeError, "new(): invalid data type 'str'"),
    ("torch.tensor([1, 'a'])", TypeError, "new(): invalid data type 'str'"),
    ("torch.tensor(2**70)", ValueError, "Overflow when unpacking long long"),
    ("torch.tensor([1, 2**63])", ValueError, "Overflow when unpacking long long"),
    ("torch.tensor(np.array(['a']))", TypeError,
     "can't convert np.ndarray of type numpy.str_. The only supported types are: float64, "
     "float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
     "uint16, uint8, and bool."),
    # seeds PyTorch cannot hold in 64 bits
    ("torch.manual_seed(2**64)", ValueError, "Overflow when unpacking long long"),
    ("torch.manual_seed(-2**63 - 1)", ValueError, "Overflow when unpacking long long"),
]


@pytest.mark.parametrize(("call", "error", "text"), CASES, ids=[c[0] for c in CASES])
def test_factories_refuse_with_pytorchs_error(call: str, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        eval(call, {"torch": torch, "np": np})
    assert type(info.value) is error and str(info.value) == text


@pytest.mark.parametrize(("call", "error", "text"), CASES, ids=[c[0] for c in CASES])
def test_the_table_is_pytorchs(call: str, error: type, text: str) -> None:
    real = pytest.importorskip("torch")
    with pytest.raises(error) as info:
        eval(call, {"torch": real, "np": np})
    assert type(info.value) is error and str(info.value) == text


# (call, the values, the dtype) of calls PyTorch accepts
ACCEPTED = [
    ("torch.tensor([torch.ones(1), torch.ones(1)])", [1.0, 1.0], "torch.float32"),
    ("torch.tensor([torch.tensor(1), torch.tensor(2)])", [1, 2], "torch.int64"),
    ("torch.tensor([torch.ones(1, 1), torch.tensor(2.0)])", [1.0, 2.0], "torch.float32"),
    ("torch.tensor([torch.tensor(1.5), 2])", [1.5, 2.0], "torch.float32"),
    ("torch.tensor([torch.tensor(1.0, dtype=torch.float64)])", [1.0], "torch.float64"),
    ("torch.tensor([[1, 2], torch.ones(2)])", [[1.0, 2.0], [1.0, 1.0]], "torch.float32"),
    ("torch.tensor([[1, 2], (3, 4)])", [[1, 2], [3, 4]], "torch.int64"),
    ("torch.tensor([[], []])", [[], []], "torch.float32"),
    ("torch.tensor([1, 2**63], dtype=torch.float64)", [1.0, 2.0**63], "torch.float64"),
    ("torch.tensor(2**70, dtype=torch.float64)", 2.0**70, "torch.float64"),
    ("torch.tensor([2**63 - 1, -2**63])", [2**63 - 1, -2**63], "torch.int64"),
    ("torch.zeros(2, True)", [[0.0], [0.0]], "torch.float32"),
    ("torch.zeros(np.int64(2), dtype=float)", [0.0, 0.0], "torch.float64"),
    ("torch.ones(torch.Size([2]), dtype=int)", [1, 1], "torch.int64"),
    ("torch.zeros([])", 0.0, "torch.float32"),
    ("torch.full((2,), torch.tensor(1.5))", [1.5, 1.5], "torch.float32"),
    ("torch.eye(0).reshape(-1)", [], "torch.float32"),
    ("torch.linspace(0, 1, 0)", [], "torch.float32"),
    ("torch.randint(5, (0,), dtype=torch.float32)", [], "torch.float32"),
    ("torch.randint(high=1, size=(2,))", [0, 0], "torch.int64"),
    ("torch.randint(0, 1, size=[2])", [0, 0], "torch.int64"),
]


@pytest.mark.parametrize(("call", "values", "dtype"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_what_pytorch_accepts_still_works(call: str, values: object, dtype: str) -> None:
    t = eval(call, {"torch": torch, "np": np})
    assert t.tolist() == values and str(t.dtype) == dtype


@pytest.mark.parametrize(("call", "values", "dtype"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_pytorch_accepts_them_too(call: str, values: object, dtype: str) -> None:
    real = pytest.importorskip("torch")
    t = eval(call, {"torch": real, "np": np})
    assert t.tolist() == values and str(t.dtype) == dtype


COPY_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "torch.tensor(sourceTensor).")


def test_tensor_of_a_tensor_warns_at_the_callers_line() -> None:
    t = torch.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copy = torch.tensor(t)
    [w] = caught
    assert w.category is UserWarning and str(w.message) == COPY_WARNING
    assert w.filename == __file__
    assert copy.tolist() == [1.0, 1.0] and not copy.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the other ways to make a tensor of one stay silent
        torch.as_tensor(t, dtype=torch.float64)
        t.new_tensor([1.0])
        torch.tensor([torch.ones(1)])


@pytest.mark.parametrize("seed", [-1, -2**63, 2**64 - 1, 1.5, "3"])
def test_manual_seed_takes_what_pytorch_takes_and_repeats(seed: object) -> None:
    torch.manual_seed(seed)
    first = torch.rand(4).tolist()
    torch.manual_seed(seed)
    assert torch.rand(4).tolist() == first
