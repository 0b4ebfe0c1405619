"""Tests for :mod:`dualgrad._printing` (PyTorch / TensorFlow style tensor text).

The literal tests run everywhere; the table-driven tests compare with the real
``repr(torch.tensor(...))`` and are skipped when torch is not installed.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as dgt
from dualgrad._printing import format_tf_tensor, format_tf_variable, format_torch

f32 = np.float32
f64 = np.float64

# ---------------------------------------------------------------------------
# Literal expectations (no torch needed)
# ---------------------------------------------------------------------------

LITERAL_TORCH_CASES = [
    # (array, kwargs, expected)
    (
        np.array([3.1131, 1.8741, 3.2902], f32),
        {"grad_fn_name": "AddBackward0"},
        "tensor([3.1131, 1.8741, 3.2902], grad_fn=<AddBackward0>)",
    ),
    (
        np.array([0.39242, 10.72, 0.0090267], f32),
        {},
        "tensor([3.9242e-01, 1.0720e+01, 9.0267e-03])",
    ),
    (
        np.array([[5, 8, 11], [11, 8, 5]], f32),
        {"grad_fn_name": "AddBackward0"},
        "tensor([[ 5.,  8., 11.],\n        [11.,  8.,  5.]], grad_fn=<AddBackward0>)",
    ),
    (np.array(2.0, f32), {"requires_grad": True}, "tensor(2., requires_grad=True)"),
    (np.array([12.8, 128.0, 0.0128], f32), {}, "tensor([1.2800e+01, 1.2800e+02, 1.2800e-02])"),
    (
        np.array(16.0192, f32),
        {"grad_fn_name": "MeanBackward0"},
        "tensor(16.0192, grad_fn=<MeanBackward0>)",
    ),
    (np.array(2.0, f32), {}, "tensor(2.)"),
    (np.array([1.0, 2.0], f32), {}, "tensor([1., 2.])"),
    (np.array([0.0, 0.0, 0.0], f32), {}, "tensor([0., 0., 0.])"),
    (np.array([-1.5, 2.25, -100.125], f32), {}, "tensor([  -1.5000,    2.2500, -100.1250])"),
    (np.array([1.5, np.nan, -np.inf, np.inf], f32), {}, "tensor([1.5000,    nan,   -inf,    inf])"),
    (np.array([1.0, np.nan, -np.inf, 0.0], f32), {}, "tensor([1., nan, -inf, 0.])"),
    (np.array([1e9, 1.0], f32), {}, "tensor([1.0000e+09, 1.0000e+00])"),
    (np.array([1e-5, 1.0], f32), {}, "tensor([1.0000e-05, 1.0000e+00])"),
    (
        np.linspace(0, 3, 20, dtype=f32),
        {},
        "tensor([0.0000, 0.1579, 0.3158, 0.4737, 0.6316, 0.7895, 0.9474, 1.1053, 1.2632,\n"
        "        1.4211, 1.5789, 1.7368, 1.8947, 2.0526, 2.2105, 2.3684, 2.5263, 2.6842,\n"
        "        2.8421, 3.0000])",
    ),
    (np.arange(1001, dtype=f32), {}, "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"),
    (
        np.arange(12, dtype=f32).reshape(2, 2, 3) / 4,
        {},
        "tensor([[[0.0000, 0.2500, 0.5000],\n"
        "         [0.7500, 1.0000, 1.2500]],\n"
        "\n"
        "        [[1.5000, 1.7500, 2.0000],\n"
        "         [2.2500, 2.5000, 2.7500]]])",
    ),
    (
        np.arange(1600).reshape(40, 40),
        {},
        "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
        "        [  40,   41,   42,  ...,   77,   78,   79],\n"
        "        [  80,   81,   82,  ...,  117,  118,  119],\n"
        "        ...,\n"
        "        [1480, 1481, 1482,  ..., 1517, 1518, 1519],\n"
        "        [1520, 1521, 1522,  ..., 1557, 1558, 1559],\n"
        "        [1560, 1561, 1562,  ..., 1597, 1598, 1599]])",
    ),
    # integer / bool / non-default dtypes
    (np.array([1, 2], np.int64), {}, "tensor([1, 2])"),
    (
        np.array([[1, -20], [300, 4]], np.int32),
        {},
        "tensor([[  1, -20],\n        [300,   4]], dtype=torch.int32)",
    ),
    (np.array([True, False]), {}, "tensor([ True, False])"),
    (np.array([1.0, 2.5], f64), {}, "tensor([1.0000, 2.5000], dtype=torch.float64)"),
    (np.array([1.0, 2.5], f64), {"dtype_suffix": False}, "tensor([1.0000, 2.5000])"),
    (
        np.array([0.1, 1000.0], np.float16),
        {},
        "tensor([9.9976e-02, 1.0000e+03], dtype=torch.float16)",
    ),
    (
        np.array(3.0, f64),
        {"grad_fn_name": "SumBackward0"},
        "tensor(3., dtype=torch.float64, grad_fn=<SumBackward0>)",
    ),
    (np.array([1 + 2j, -0.5 - 1j], np.complex64), {}, "tensor([ 1.0000+2.j, -0.5000-1.j])"),
    # float32 values are formatted in float32, not as the float64 literal
    (np.array([0.00015], f32), {}, "tensor([0.0002])"),
    (np.array([0.00015], f64), {}, "tensor([0.0001], dtype=torch.float64)"),
    # empty tensors
    (np.zeros(0, f32), {}, "tensor([])"),
    (np.zeros((0, 3), f32), {}, "tensor([], size=(0, 3))"),
    (np.zeros((2, 0), np.int64), {}, "tensor([], size=(2, 0), dtype=torch.int64)"),
    (np.zeros((2, 0), np.int64), {"dtype_suffix": False}, "tensor([], size=(2, 0))"),
    # suffixes wrap past 80 columns, continuation indented by 8
    (
        np.linspace(-1, 1, 15),
        {"requires_grad": True},
        "tensor([-1.0000, -0.8571, -0.7143, -0.5714, -0.4286, -0.2857, -0.1429,  0.0000,\n"
        "         0.1429,  0.2857,  0.4286,  0.5714,  0.7143,  0.8571,  1.0000],\n"
        "       dtype=torch.float64, requires_grad=True)",
    ),
]


@pytest.mark.parametrize(("arr", "kwargs", "expected"), LITERAL_TORCH_CASES)
def test_format_torch_literal(arr: np.ndarray, kwargs: dict, expected: str) -> None:
    assert format_torch(arr, **kwargs) == expected


def test_grad_fn_takes_precedence_over_requires_grad() -> None:
    arr = np.array([1.0, 2.0], f32)
    assert (
        format_torch(arr, requires_grad=True, grad_fn_name="MulBackward0")
        == "tensor([1., 2.], grad_fn=<MulBackward0>)"
    )


def test_python_inputs_follow_torch_tensor_dtype_inference() -> None:
    assert format_torch(2.0) == "tensor(2.)"
    assert format_torch([1.5, 2.0]) == "tensor([1.5000, 2.0000])"
    assert format_torch([1, 2]) == "tensor([1, 2])"
    assert format_torch(np.float64(2.0)) == "tensor(2., dtype=torch.float64)"


def test_unsupported_dtype_raises() -> None:
    with pytest.raises(TypeError):
        format_torch(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        format_tf_tensor(np.array([object()]))


TF_COS = (
    "tf.Tensor(\n"
    "[ 1.          0.99383351  0.90284967  0.54030231 -0.20550672 -0.93454613\n"
    " -0.65364362  0.6683999   0.67640492 -0.91113026], shape=(10,), dtype=float64)"
)


@pytest.mark.parametrize(
    ("arr", "expected"),
    [
        (np.cos(np.linspace(0, 3, 10) ** 2), TF_COS),
        (np.float32(-5.4667816), "tf.Tensor(-5.4667816, shape=(), dtype=float32)"),
        (np.array(-0.91113025, f32), "tf.Tensor(-0.91113025, shape=(), dtype=float32)"),
        (np.array(3.0, f32), "tf.Tensor(3.0, shape=(), dtype=float32)"),
        (np.array([1.0, 2.0, 3.0], f32), "tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32)"),
        (np.array([1, 2], np.int32), "tf.Tensor([1 2], shape=(2,), dtype=int32)"),
        (np.array(True), "tf.Tensor(True, shape=(), dtype=bool)"),
        (
            np.array([[1.0, 2.0], [3.0, 4.0]], f32),
            "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)",
        ),
        (np.zeros((0, 3), f32), "tf.Tensor([], shape=(0, 3), dtype=float32)"),
        # Python inputs get TF's default dtypes (float32 / int32)
        ([1.0, 2.0], "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"),
        ([1, 2], "tf.Tensor([1 2], shape=(2,), dtype=int32)"),
    ],
)
def test_format_tf_tensor(arr: np.ndarray, expected: str) -> None:
    with np.printoptions(legacy=False):
        assert format_tf_tensor(arr) == expected


@pytest.mark.parametrize(
    ("arr", "name", "expected"),
    [
        (
            np.array(3.0, f32),
            "Variable:0",
            "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>",
        ),
        (
            np.array([1.0, 2.0, 3.0], f32),
            "Variable:0",
            "<tf.Variable 'Variable:0' shape=(3,) dtype=float32, "
            "numpy=array([1., 2., 3.], dtype=float32)>",
        ),
        (
            np.array([[1.0, 2.0], [3.0, 4.0]], f32),
            "w:0",
            "<tf.Variable 'w:0' shape=(2, 2) dtype=float32, numpy=\n"
            "array([[1., 2.],\n       [3., 4.]], dtype=float32)>",
        ),
        (np.array(5, np.int32), "n:0", "<tf.Variable 'n:0' shape=() dtype=int32, numpy=5>"),
        (np.array(True), "b:0", "<tf.Variable 'b:0' shape=() dtype=bool, numpy=True>"),
        (
            np.array([1.5, 2.0]),
            "Variable:0",
            "<tf.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=array([1.5, 2. ])>",
        ),
    ],
)
def test_format_tf_variable(arr: np.ndarray, name: str, expected: str) -> None:
    with np.printoptions(legacy=False):
        assert format_tf_variable(arr, name) == expected


def test_format_tf_variable_default_name() -> None:
    assert format_tf_variable(np.array(3.0, f32)) == (
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>"
    )


# ---------------------------------------------------------------------------
# Comparison with real torch
# ---------------------------------------------------------------------------


def _oracle_arrays() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(1234)
    cases: list[tuple[str, np.ndarray]] = [
        ("scalar_f32", np.array(2.0, f32)),
        ("scalar_frac", np.array(16.0192, f32)),
        ("scalar_neg_f64", np.array(-0.5, f64)),
        ("scalar_nan", np.array(np.nan, f32)),
        ("scalar_int", np.array(7)),
        ("scalar_bool", np.array(False)),
        ("vec_f32", rng.standard_normal(5).astype(f32)),
        ("vec_f64", rng.standard_normal(5)),
        ("vec_intvalued", np.array([1.0, -20.0, 300.0], f32)),
        ("vec_huge", np.array([1e9, -2e10, 3.0], f32)),
        ("vec_tiny", np.array([1e-6, 2e-7, -3e-5], f32)),
        ("vec_ratio", np.array([0.001, 5.0, 10.0], f32)),
        ("vec_extreme_f64", np.array([1e-300, 1e300, -5e-324])),
        ("vec_negzero", np.array([-0.0, 0.0, 1.0], f32)),
        ("vec_naninf", np.array([np.nan, np.inf, -np.inf, 2.5, 0.0], f32)),
        ("vec_all_nonfinite", np.array([np.nan, np.inf], f32)),
        ("vec_float16", (rng.standard_normal(9) * 100).astype(np.float16)),
        ("vec_wrap", np.linspace(0, 3, 20, dtype=f32)),
        ("vec_wrap_sci", (rng.standard_normal(30) * 10.0 ** rng.integers(-6, 6, 30)).astype(f32)),
        ("vec_long_f64", rng.standard_normal(37)),
        ("vec_summarised", rng.standard_normal(2000).astype(f32)),
        ("vec_1001_int", np.arange(1001)),
        ("mat", rng.standard_normal((3, 4)).astype(f32)),
        ("mat_wide", rng.standard_normal((3, 30)).astype(f32)),
        ("mat_summarised", rng.standard_normal((40, 40)).astype(f32)),
        ("mat_tall_summarised", rng.standard_normal((1001, 2)).astype(f32)),
        ("mat_int_values", np.array([[5, 8, 11], [11, 8, 5]], f32)),
        ("t3", rng.standard_normal((2, 3, 4)).astype(f32)),
        ("t4", rng.standard_normal((2, 2, 2, 3))),
        ("t3_summarised", rng.standard_normal((11, 11, 11)).astype(f32)),
        ("t4_6x6", rng.integers(-9, 9, (6, 6, 6, 6))),
        ("int32", rng.integers(-1000, 1000, (4, 5)).astype(np.int32)),
        ("int8", rng.integers(-128, 127, 10).astype(np.int8)),
        ("uint8", rng.integers(0, 255, 10).astype(np.uint8)),
        ("int64_big", np.array([2**62, -(2**62), 0])),
        ("bool_mat", rng.random((3, 4)) < 0.5),
        ("complex64", (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)),
        ("complex128", rng.standard_normal((2, 2)) - 1j * rng.standard_normal((2, 2))),
        ("empty_f32", np.zeros(0, f32)),
        ("empty_2d", np.zeros((0, 3), f32)),
        ("empty_f64", np.zeros((2, 0, 3))),
        ("empty_int", np.zeros(0, np.int64)),
        ("empty_bool", np.zeros((0,), bool)),
    ]
    return cases


ORACLE_CASES = _oracle_arrays()


@pytest.mark.parametrize(("label", "arr"), ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_matches_torch_repr(label: str, arr: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor(arr)
    assert format_torch(arr) == repr(t)
    assert format_torch(arr) == str(t)


@pytest.mark.parametrize(("label", "arr"), ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_matches_torch_repr_with_autograd_suffixes(label: str, arr: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    if arr.dtype.kind not in "fc":
        pytest.skip("only floating/complex tensors can require grad")
    leaf = torch.tensor(arr).requires_grad_(True)
    assert format_torch(arr, requires_grad=True) == repr(leaf)
    out = leaf.clone()  # same values, grad_fn=<CloneBackward0>
    assert format_torch(arr, grad_fn_name=type(out.grad_fn).__name__) == repr(out)


def test_matches_torch_random_sweep() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for n in range(1, 30):
        for scale in (1.0, 1e-6, 1e3, 1e9):
            for dtype in (f32, f64, np.float16):
                with np.errstate(over="ignore"):
                    arr = (rng.standard_normal(n) * scale).astype(dtype)
                for shape in ((n,), (1, n), (n, 1)):
                    a = arr.reshape(shape)
                    assert format_torch(a) == repr(torch.tensor(a))
                    out = torch.tensor(a).requires_grad_(True).clone()
                    assert format_torch(a, grad_fn_name="CloneBackward0") == repr(out)


# ---------------------------------------------------------------------------
# set_printoptions (torch.set_printoptions)
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _default_printoptions():
    """Every test starts and ends with torch's default print options (both libraries)."""
    dg.set_printoptions(profile="default")
    yield
    dg.set_printoptions(profile="default")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")


def _make(src: str, kind: str):
    t = dgt.tensor(eval(src))  # noqa: S307  (the sources are the literals below)
    if kind == "requires_grad":
        t.requires_grad_(True)
    elif kind == "neg":
        t = -t.requires_grad_(True)
    return t


# (array source, options, how the tensor is made, what PyTorch 2.13 printed)
PRINTOPTIONS_CASES = [
    ("np.array([1.12345, -2.5, 100.0], f32)", {'precision': 2}, '',
     'tensor([  1.12,  -2.50, 100.00])'),
    ("np.array(3.14159265, f64)", {'precision': 8}, '',
     'tensor(3.14159265, dtype=torch.float64)'),
    ("np.array([1.5, 2.25], f32)", {'precision': 0}, '',
     'tensor([2, 2])'),
    ("np.arange(10)", {'threshold': 5}, '',
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    ("np.arange(12, dtype=f32).reshape(3, 4)", {'threshold': 5, 'edgeitems': 1}, '',
     'tensor([[ 0.,  ...,  3.],\n        ...,\n        [ 8.,  ..., 11.]])'),
    ("np.arange(2 * 3 * 5).reshape(2, 3, 5)", {'threshold': 10, 'edgeitems': 1}, '',
     'tensor([[[ 0,  ...,  4],\n'
     '         ...,\n'
     '         [10,  ..., 14]],\n'
     '\n'
     '        [[15,  ..., 19],\n'
     '         ...,\n'
     '         [25,  ..., 29]]])'),
    ("np.arange(10.0)", {'edgeitems': 0}, '',
     'tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.], size=(10,),\n       dtype=torch.float64)'),
    ("np.arange(10.0)", {'threshold': 5, 'edgeitems': 0}, '',
     'tensor([...], size=(10,), dtype=torch.float64)'),
    ("np.arange(12.0).reshape(3, 4)", {'threshold': 5, 'edgeitems': 0}, '',
     'tensor([...], size=(3, 4), dtype=torch.float64)'),
    ("np.linspace(0, 3, 12, dtype=f32)", {'linewidth': 40}, '',
     'tensor([0.0000, 0.2727, 0.5455, 0.8182,\n'
     '        1.0909, 1.3636, 1.6364, 1.9091,\n'
     '        2.1818, 2.4545, 2.7273, 3.0000])'),
    ("np.linspace(0, 3, 12, dtype=f32)", {'linewidth': 200}, 'requires_grad',
     'tensor([0.0000, 0.2727, 0.5455, 0.8182, 1.0909, 1.3636, 1.6364, 1.9091, 2.1818, '
     '2.4545, 2.7273, 3.0000], requires_grad=True)'),
    ("np.linspace(-1, 1, 5)", {'linewidth': 30}, 'requires_grad',
     'tensor([-1.0000, -0.5000,\n'
     '         0.0000,  0.5000,\n'
     '         1.0000],\n'
     '       dtype=torch.float64,\n'
     '       requires_grad=True)'),
    ("np.arange(1200, dtype=f32) / 8", {'profile': 'short'}, '',
     'tensor([0.00e+00, 1.25e-01,  ..., 1.50e+02, 1.50e+02])'),
    ("np.array([1.0, 2.0, 300.0], f32)", {'sci_mode': True}, '',
     'tensor([1.0000e+00, 2.0000e+00, 3.0000e+02])'),
    ("np.array([[1.5, -0.25], [2.0, 4.0]], f32)", {'sci_mode': True, 'precision': 2}, 'neg',
     'tensor([[-1.50e+00,  2.50e-01],\n        [-2.00e+00, -4.00e+00]], grad_fn=<NegBackward0>)'),
    ("np.array([1e-5, 1.0, 1e9], f32)", {'sci_mode': False}, '',
     'tensor([         0.0000,          1.0000, 1000000000.0000])'),
    ("np.array([1e-5, 1.0], f64)", {'sci_mode': False, 'precision': 6}, '',
     'tensor([0.000010, 1.000000], dtype=torch.float64)'),
    ("np.array([1.5, np.nan, -np.inf, np.inf], f32)", {'sci_mode': True}, '',
     'tensor([1.5000e+00,        nan,       -inf,        inf])'),
    ("np.array([np.nan, 0.0, 2.0], f64)", {'precision': 1}, 'requires_grad',
     'tensor([nan, 0., 2.], dtype=torch.float64, requires_grad=True)'),
    ("np.array([0.0, 0.0], f32)", {'sci_mode': True}, '',
     'tensor([0., 0.])'),
    ("np.array([123, -4567], np.int64)", {'sci_mode': True, 'precision': 1}, '',
     'tensor([  123, -4567])'),
    ("np.array(2.5, f32)", {'sci_mode': True}, 'neg',
     'tensor(-2.5000e+00, grad_fn=<NegBackward0>)'),
    ("np.array(7)", {'edgeitems': 0}, '',
     'tensor(7, size=())'),
]


@pytest.mark.parametrize(("src", "options", "kind", "expected"), PRINTOPTIONS_CASES)
def test_set_printoptions_literal(src: str, options: dict, kind: str, expected: str) -> None:
    dgt.set_printoptions(**options)
    t = _make(src, kind)
    assert repr(t) == expected
    assert str(t) == expected


def test_set_printoptions_is_shared_and_persists() -> None:
    assert dgt.set_printoptions is dg.set_printoptions
    x = dgt.tensor([1.12345, 2.0])
    dgt.set_printoptions(precision=2)
    assert repr(x) == "tensor([1.12, 2.00])"
    assert repr(x * 1) == "tensor([1.12, 2.00])"  # still in force for the next tensor
    dgt.set_printoptions(linewidth=100)  # other options stay
    assert repr(x) == "tensor([1.12, 2.00])"
    dgt.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.1235, 2.0000])"


def test_set_printoptions_sci_mode_resets_when_left_out() -> None:
    # As in PyTorch, every call sets sci_mode, to None (automatic) when not given.
    x = dgt.tensor([1.0, 2.0])
    dgt.set_printoptions(sci_mode=True)
    assert repr(x) == "tensor([1.0000e+00, 2.0000e+00])"
    dgt.set_printoptions(precision=2)
    assert repr(x) == "tensor([1., 2.])"


def test_set_printoptions_profiles() -> None:
    x = dgt.arange(1200) / 8
    dgt.set_printoptions(profile="full")
    assert "..." not in repr(x)
    assert repr(x).count("\n") == 199  # 6 elements a line, all 1200 shown
    dgt.set_printoptions(profile="short", precision=3)  # options override the preset
    assert repr(x) == "tensor([0.000e+00, 1.250e-01,  ..., 1.498e+02, 1.499e+02])"
    dgt.set_printoptions(profile="default")
    assert repr(x) == (
        "tensor([0.0000e+00, 1.2500e-01, 2.5000e-01,  ..., 1.4962e+02, 1.4975e+02,\n"
        "        1.4988e+02])"
    )
    dgt.set_printoptions(profile="no such profile", precision=1)  # ignored, as in PyTorch
    assert repr(dgt.tensor(1.25)) == "tensor(1.2)"


_OPTION_SETS = [
    {"precision": 2},
    {"precision": 7, "linewidth": 60},
    {"threshold": 8, "edgeitems": 1},
    {"threshold": 8, "edgeitems": 0},
    {"edgeitems": 0},
    {"linewidth": 20},
    {"profile": "short"},
    {"profile": "full"},
    {"sci_mode": True},
    {"sci_mode": False, "precision": 3},
]


@pytest.mark.parametrize("options", _OPTION_SETS, ids=[str(o) for o in _OPTION_SETS])
def test_set_printoptions_matches_torch(options: dict) -> None:
    torch = pytest.importorskip("torch")
    torch.set_printoptions(**options)
    dgt.set_printoptions(**options)
    for _, arr in ORACLE_CASES:
        assert repr(dgt.tensor(arr)) == repr(torch.tensor(arr))
        if arr.dtype.kind in "fc" and arr.size:
            t, d = torch.tensor(arr), dgt.tensor(arr)
            assert repr(d.requires_grad_(True)) == repr(t.requires_grad_(True))
            assert repr(-d) == repr(-t)
