"""Each documented mistake raises PyTorch's error type with PyTorch's text (see ERRORS.md)."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pytest

import dualgrad.torch as torch

ERR_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True).")


def _modified(tensor: str, producer: str | None) -> str:
    """PyTorch's text for a saved tensor changed in place after it was saved (at version 0)."""
    of = f", which is output 0 of {producer}," if producer else ""
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{tensor}]{of} is at version 1; expected version 0 instead. "
            f"{HINT}")


@contextlib.contextmanager
def raises(exc: type, text: str):
    """``pytest.raises`` for exactly this message (``str(error)``; notes are extra lines)."""
    with pytest.raises(exc) as info:
        yield info
    assert str(info.value) == text


def test_non_scalar_backward_without_gradient() -> None:
    x = torch.randn(3, requires_grad=True)
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        torch.autograd.grad(x * 2, x)
    # A one-element tensor of any shape is fine, as in PyTorch.
    y = torch.ones(1, 1, requires_grad=True)
    (y * 3).backward()
    assert y.grad.tolist() == [[3.0]]


def test_backward_twice() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with raises(RuntimeError, ERR_TWICE):
        y.backward()
    z = (x * x).sum()
    torch.autograd.grad(z, x)
    with raises(RuntimeError, ERR_TWICE):
        torch.autograd.grad(z, x)


def test_backward_on_tensor_without_grad() -> None:
    text = "element 0 of tensors does not require grad and does not have a grad_fn"
    with raises(RuntimeError, text):
        torch.ones(3).sum().backward()
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = (x * 2).sum()
    with raises(RuntimeError, text):
        y.backward()
    with raises(RuntimeError, text):
        x.detach().sum().backward()


@pytest.mark.parametrize(
    "call",
    [
        lambda: torch.tensor([1, 2], requires_grad=True),
        lambda: torch.tensor([1, 2]).requires_grad_(),
        lambda: setattr(torch.tensor([1, 2]), "requires_grad", True),
        lambda: torch.ones(2, dtype=torch.int64, requires_grad=True),
        lambda: torch.arange(3, requires_grad=True),
        lambda: torch.tensor([True], requires_grad=True),
    ],
)
def test_integer_tensor_cannot_require_grad(call) -> None:
    with raises(RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients"):
        call()


def test_inplace_on_leaf_that_requires_grad() -> None:
    text = "a leaf Variable that requires grad is being used in an in-place operation."
    x = torch.ones(3, requires_grad=True)
    for call in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.zero_(),
                 lambda: x.__setitem__(torch.tensor([True, False, True]), 5.0),
                 lambda: x.normal_()):
        with raises(RuntimeError, text):
            call()
    with raises(RuntimeError, text):
        x += 1
    # x[0] = v writes through a view of x, as x[0:2].add_(1) does: PyTorch names the view.
    for call in (lambda: x[0:2].add_(1), lambda: x.__setitem__(0, 5.0)):
        with raises(RuntimeError,
                    "a view of a leaf Variable that requires grad is being used in an "
                    "in-place operation."):
            call()
    assert x.tolist() == [1.0, 1.0, 1.0]  # nothing was written
    with torch.no_grad():  # the manual update every optimizer does
        x.sub_(0.5)
        x[0:2].mul_(2)
    assert x.tolist() == [1.0, 1.0, 0.5] and x.is_leaf and x.requires_grad


def test_inplace_on_an_indexing_view_of_a_non_leaf_writes_through_the_base() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a * 1
    b[0:2].mul_(3)  # PyTorch rebases b (CopySlices), as dualgrad does
    assert b.tolist() == [3.0, 3.0, 1.0] and b.grad_fn.name() == "CopySlices"
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 1.0]


def test_inplace_on_other_views_of_a_non_leaf_writes_through_the_base_too() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a * 1
    b.reshape(3, 1).mul_(3)
    assert b.tolist() == [3.0, 3.0, 3.0] and b.grad_fn.name() == "CopySlices"
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 3.0]


def test_inplace_on_an_expanded_tensor_refuses_with_pytorch_text() -> None:
    b = (torch.ones(3, requires_grad=True) * 1).expand(2, 3)
    with raises(RuntimeError, "unsupported operation: more than one element of the written-to "
                              "tensor refers to a single memory location. Please clone() the "
                              "tensor before performing the operation."):
        b.add_(1)


def test_inplace_change_of_saved_input() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a * 2
    c = b * b  # saves b
    b.add_(1)
    with raises(RuntimeError, _modified("torch.FloatTensor [3]", "AddBackward0")):
        c.sum().backward()


def test_inplace_change_of_saved_output() -> None:
    a = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    b = a.sigmoid()  # its backward reads its output
    b.mul_(2)
    with raises(RuntimeError, _modified("torch.DoubleTensor [2, 3]", "SigmoidBackward0")):
        b.sum().backward()


def test_inplace_change_of_saved_leaf() -> None:
    a = torch.ones(3, requires_grad=True)
    w = torch.ones(3)
    b = a * w  # saves w for a's gradient
    w.add_(1)
    with raises(RuntimeError, _modified("torch.FloatTensor [3]", None)):
        b.sum().backward()


def test_inplace_change_through_detach_is_caught() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a.exp()
    c = b * b
    b.detach().zero_()  # shares memory and version counter with b
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


@pytest.mark.parametrize(
    ("grad_shape", "out_shape"),
    [((2,), (3,)), ((3, 2), (2, 3)), ((3,), ())],
)
def test_gradient_of_wrong_shape(grad_shape: tuple, out_shape: tuple) -> None:
    x = torch.ones(out_shape, requires_grad=True)
    y = x * 2

    def size(s: tuple) -> str:
        return f"torch.Size([{', '.join(map(str, s))}])"

    text = (f"Mismatch in shape: grad_output[0] has a shape of {size(grad_shape)} and "
            f"output[0] has a shape of {size(out_shape)}.")
    with raises(RuntimeError, text):
        y.backward(torch.ones(grad_shape))
    with raises(RuntimeError, text):
        torch.autograd.grad(y, x, torch.ones(grad_shape))


def test_item_on_several_elements() -> None:
    with raises(RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"):
        torch.ones(2).item()
    with raises(RuntimeError, "a Tensor with 0 elements cannot be converted to Scalar"):
        torch.ones(0).item()
    assert torch.ones(1, 1).item() == 1.0


def test_numpy_on_tensor_that_requires_grad() -> None:
    text = ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
            "instead.")
    x = torch.ones(2, requires_grad=True)
    with raises(RuntimeError, text):
        x.numpy()
    with raises(RuntimeError, text):
        (x * 2).numpy()
    with raises(RuntimeError, text):
        np.asarray(x)
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_non_leaf_grad_warns_and_is_none() -> None:
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning) as record:
        assert y.grad is None
    assert str(record[0].message) == (
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
        "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
        "Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more informations."
    )
    # No warning for leaves, nor for non-leaves that retain their gradient.
    y.retain_grad()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and y.grad is None


@pytest.mark.parametrize(
    ("a", "b", "text"),
    [
        ((3, 2), (4, 2), "mat1 and mat2 shapes cannot be multiplied (3x2 and 4x2)"),
        ((3,), (4,), "inconsistent tensor size, expected tensor [3] and src [4] to have the "
                     "same number of elements, but got 3 and 4 elements respectively"),
        ((3, 2), (4,), "size mismatch, got input (3), mat (3x2), vec (4)"),
        ((5, 3, 2), (5, 4, 2), "Expected size for first two dimensions of batch2 tensor to be: "
                               "[5, 2] but got: [5, 4]."),
        ((5, 3, 2), (4, 2), "mat1 and mat2 shapes cannot be multiplied (15x2 and 4x2)"),
        ((2,), (3, 2), "mat1 and mat2 shapes cannot be multiplied (1x2 and 3x2)"),
    ],
)
def test_matmul_mismatch_has_pytorchs_text(a: tuple, b: tuple, text: str) -> None:
    x, y = torch.ones(a, requires_grad=True), torch.ones(b)
    with raises(RuntimeError, text):
        torch.matmul(x, y)


def test_mm_mismatch() -> None:
    with raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (3x2 and 4x2)"):
        torch.mm(torch.ones(3, 2), torch.ones(4, 2))


def test_bool_of_several_values() -> None:
    with raises(RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.ones(2))


def test_assigning_a_gradient_of_the_wrong_kind() -> None:
    x = torch.ones(2, requires_grad=True)
    with raises(RuntimeError, "attempting to assign a gradient of size '[3]' to a tensor of "
                              "size '[2]'. Please ensure that the gradient and the tensor are "
                              "the same size"):
        x.grad = torch.ones(3)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype "
                                           "'double' to a tensor with grad_dtype 'Float'"):
        x.grad = torch.ones(2, dtype=torch.float64)
    with raises(TypeError, "assigned grad expected to be a Tensor or None but got grad of type "
                           "list"):
        x.grad = [1.0, 2.0]
    x.grad = torch.full((2,), 3.0)
    (x * 1).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_batched_matmul_batch_dims_must_broadcast() -> None:
    a, b = torch.ones(2, 3, 4), torch.ones(3, 4, 5)
    with raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) "
                              "at non-singleton dimension 0"):
        torch.matmul(a, b)
    assert torch.matmul(torch.ones(2, 3, 4), torch.ones(1, 4, 5)).shape == (2, 3, 5)


def test_missing_grad_fn_error_points_to_why_no_grad() -> None:
    x = torch.ones(2)
    with raises(RuntimeError, "element 0 of tensors does not require grad and does not have "
                              "a grad_fn") as info:
        x.sum().backward()
    assert any("why_no_grad" in note for note in info.value.__notes__)


def test_integer_cast_of_a_graph_tensor_has_no_grad_fn() -> None:
    w = torch.ones(2, requires_grad=True)
    assert w.long().grad_fn is None and not w.long().requires_grad
    assert w.double().grad_fn.name() == "ToCopyBackward0"


@pytest.mark.parametrize("changed", ["base", "exponent", "output"])
def test_inplace_change_to_an_input_or_the_output_a_node_kept(changed: str) -> None:
    # tensor ** tensor keeps both inputs and its output: each is checked, and the error names
    # the one that changed (the output's version is the node's last).
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base, exponent = x * 1, x + 1
    out = base ** exponent
    assert out.grad_fn.name() == "PowBackward1"
    loss = out.sum()
    # (as in PyTorch: an input is named by its node after the in-place op, the output by
    # the node that saved it)
    producer = {"base": "AddBackward0", "exponent": "AddBackward0",
                "output": "PowBackward1"}[changed]
    {"base": base, "exponent": exponent, "output": out}[changed].add_(1)
    with raises(RuntimeError, _modified("torch.FloatTensor [3]", producer)):
        loss.backward()


@pytest.mark.parametrize(("make", "keeps_a_tensor"), [
    (torch.exp, True),  # keeps only its output
    (lambda x: x * x, True),  # keeps its inputs
    (lambda x: x.sum() * 2, True),  # keeps the constant 2 (PyTorch saves it too)
    (lambda x: 2 / (x + 1), True),
    (lambda x: (x + 2).neg(), False),  # keeps nothing: walking it again is allowed
    (lambda x: x.sum() - x.mean(), False),
])
def test_second_backward_through_a_freed_node(make: Any, keeps_a_tensor: bool) -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = make(x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()  # the retained graph is walked a second time, then freed
    if keeps_a_tensor:
        with raises(RuntimeError, ERR_TWICE):
            y.backward()
        with raises(RuntimeError, ERR_TWICE):
            torch.autograd.grad(y, x)
        np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy())
    else:
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 3 * first.numpy())


@pytest.mark.parametrize("make", [
    lambda x: x * 2, lambda x: 2 * x, lambda x: x / 2, lambda x: x * 0.0, lambda x: x + 2,
    lambda x: x - 2, lambda x: 2 - x, lambda x: x ** 2, lambda x: 2 ** x, lambda x: -x,
])
def test_second_backward_fails_where_pytorchs_does(make: Any) -> None:
    real = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, real):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = make(x).sum()
        y.backward()
        try:
            y.backward()
            outcomes.append("walked again")
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]


# What each backward keeps, as PyTorch keeps it: an in-place change between forward and
# backward is an error only for a value the backward reads. (op, tensor changed, x requires
# grad, PyTorch 2.13 raises)
_KEPT_CASES = {
    "linear: the bias": ("linear", "b", False, False),
    "linear: the weight, x without grad": ("linear", "w", False, False),
    "linear: the weight, x with grad": ("linear", "w", True, True),
    "linear: x, the weight with grad": ("linear", "x", False, True),
    "cat: an input": ("cat", "x", True, False),
    "sort: the input": ("sort", "x", True, False),
    "topk: the input": ("topk", "x", True, False),
    "max(dim): the input": ("max", "x", True, False),
    "min(dim): the input": ("min", "x", True, False),
    "gather: the input": ("gather", "x", True, True),
    "einsum: an operand, the other without grad": ("einsum", "x", True, False),
    "einsum: an operand, the other with grad": ("einsum_both", "x", True, True),
    "einsum: one operand": ("einsum_one", "x", True, False),
}


def _kept_case(lib: Any, op: str, changed: str, x_grad: bool) -> bool:
    """Run one case with ``lib`` (torch or dualgrad.torch); True if backward raised."""
    x = lib.ones(2, 3, requires_grad=True) * 1 if x_grad else lib.ones(2, 3)
    w = lib.ones(4, 3, requires_grad=True)
    b = lib.ones(4, requires_grad=True)
    out = {
        "linear": lambda: lib.nn.functional.linear(x, w, b),
        "cat": lambda: lib.cat([x, lib.zeros(1, 3)]),
        "sort": lambda: lib.sort(x, dim=0)[0],
        "topk": lambda: lib.topk(x, 1, dim=0)[0],
        "max": lambda: lib.max(x, dim=0)[0],
        "min": lambda: lib.min(x, dim=0)[0],
        "gather": lambda: lib.gather(x, 0, lib.tensor([[0, 1, 0]])),
        "einsum": lambda: lib.einsum("ij,ij->i", x, lib.ones(2, 3)),
        "einsum_both": lambda: lib.einsum("ij,ij->i", x, lib.ones(2, 3, requires_grad=True)),
        "einsum_one": lambda: lib.einsum("ij->j", x),
    }[op]()
    with lib.no_grad():
        {"x": x, "w": w, "b": b}[changed].add_(1)
    try:
        out.sum().backward()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        return True
    return False


@pytest.mark.parametrize("case", list(_KEPT_CASES))
def test_inplace_change_to_a_value_backward_does_not_read_is_no_error(case: str) -> None:
    op, changed, x_grad, raises_in_pytorch = _KEPT_CASES[case]
    assert _kept_case(torch, op, changed, x_grad) is raises_in_pytorch


@pytest.mark.parametrize("case", list(_KEPT_CASES))
def test_inplace_cases_against_pytorch(case: str) -> None:
    real_torch = pytest.importorskip("torch")
    op, changed, x_grad, raises_in_pytorch = _KEPT_CASES[case]
    assert _kept_case(real_torch, op, changed, x_grad) is raises_in_pytorch


def _ones(T: Any, *shape: int, **kw: Any) -> Any:
    return T.ones(*shape, **kw)


# (id, call on a torch-like module, exception type, PyTorch 2.13's exact text). Each was
# accepted silently before, or raised NumPy's exception and text.
_ARGUMENT_ERRORS = [
    ("detach_ of a view", lambda T: (_ones(T, 2, 3, requires_grad=True) * 2)[0].detach_(),
     RuntimeError, "Can't detach views in-place. Use detach() instead. If you are using "
     "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
     "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
     "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
     "torch/optim/optimizer.py as the solution."),
    ("backward inputs=[]",
     lambda T: (_ones(T, 2, requires_grad=True) * 2).sum().backward(inputs=[]),
     RuntimeError, "`inputs` argument to `backward()` cannot be empty."),
    ("grad inputs=[]",
     lambda T: T.autograd.grad((_ones(T, 2, requires_grad=True) * 2).sum(), []),
     RuntimeError, "`inputs` argument to `grad()` cannot be empty."),
    ("grad of a float", lambda T: T.autograd.grad((_ones(T, 2, requires_grad=True) * 2).sum(),
                                                  [1.0]),
     RuntimeError, "all inputs have to be Tensors or GradientEdges, but got float"),
    ("gradient list of floats",
     lambda T: (_ones(T, 3, requires_grad=True) * 2).backward([1.0, 1.0, 1.0]),
     TypeError, "gradients can be either Tensors or None, but got float"),
    ("fewer gradients than outputs",
     lambda T: T.autograd.backward([_ones(T, 1, requires_grad=True) * 2,
                                    _ones(T, 1, requires_grad=True) * 3], [_ones(T, 1)]),
     RuntimeError, "got 2 tensors and 1 gradients"),
    ("outer of a matrix", lambda T: T.outer(_ones(T, 2, 2), _ones(T, 3)),
     RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    ("outer by a matrix", lambda T: T.outer(_ones(T, 2), _ones(T, 3, 1)),
     RuntimeError, "outer: Expected 1-D argument vec2, but got 2-D"),
    ("view(-2, 3)", lambda T: _ones(T, 2, 3).view(-2, 3),
     RuntimeError, "invalid shape dimension -2 at index 0 of shape [-2, 3]"),
    ("reshape(-2, 3)", lambda T: _ones(T, 2, 3).reshape(-2, 3),
     RuntimeError, "invalid shape dimension -2 at index 0 of shape [-2, 3]"),
    ("chunk(-1)", lambda T: _ones(T, 6).chunk(-1),
     RuntimeError, "chunk expects `chunks` to be greater than 0, got: -1"),
    ("chunk(0)", lambda T: _ones(T, 6).chunk(0),
     RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    ("split(0)", lambda T: _ones(T, 6).split(0),
     RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size "
     "of 6"),
    ("split(-1)", lambda T: _ones(T, 6).split(-1),
     RuntimeError, "split expects split_size be non-negative, but got split_size=-1"),
    ("split along a missing dim", lambda T: _ones(T, 6).split(2, dim=1),
     IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("flatten(2, 1)", lambda T: _ones(T, 2, 3, 4).flatten(2, 1),
     RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim"),
    ("repeat with fewer dims", lambda T: _ones(T, 2, 3).repeat(2),
     RuntimeError, "Number of dimensions of repeat dims can not be smaller than number of "
     "dimensions of tensor"),
    ("permute too short", lambda T: _ones(T, 2, 3).permute(0),
     RuntimeError, "permute(sparse_coo): number of dimensions in the tensor input does not "
     "match the length of the desired ordering of dimensions i.e. input.dim() = 2 is not "
     "equal to len(dims) = 1"),
    ("permute twice the same", lambda T: _ones(T, 2, 3).permute(0, 0),
     RuntimeError, "permute(): duplicate dims are not allowed."),
    ("permute out of range", lambda T: _ones(T, 2, 3).permute(0, 2),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("sum over a dim twice", lambda T: _ones(T, 2, 3).sum((0, 0)),
     RuntimeError, "dim 0 appears multiple times in the list of dims"),
    ("mean over a dim twice", lambda T: _ones(T, 2, 3).mean((1, -1)),
     RuntimeError, "dim 1 appears multiple times in the list of dims"),
    ("where on floats", lambda T: T.where(T.tensor([1.0, 0.0]), _ones(T, 2), T.zeros(2)),
     RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with "
     "dtype Float"),
    ("where shapes", lambda T: T.where(T.tensor([True, False, True]), _ones(T, 3), _ones(T, 2)),
     RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
     "non-singleton dimension 0"),
    ("masked_fill shapes", lambda T: T.zeros(3).masked_fill(T.tensor([True, False]), 1.0),
     RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at "
     "non-singleton dimension 0"),
    ("bool mm", lambda T: _ones(T, 2, 2, dtype=T.bool) @ _ones(T, 2, 2, dtype=T.bool),
     NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    ("bool mv", lambda T: _ones(T, 2, 2, dtype=T.bool) @ _ones(T, 2, dtype=T.bool),
     NotImplementedError, "\"addmv_impl_cpu\" not implemented for 'Bool'"),
    ("bool dot", lambda T: _ones(T, 2, dtype=T.bool) @ _ones(T, 2, dtype=T.bool),
     NotImplementedError, "\"dot\" not implemented for 'Bool'"),
    ("bool bmm", lambda T: _ones(T, 2, 2, 2, dtype=T.bool) @ _ones(T, 2, 2, 2, dtype=T.bool),
     NotImplementedError, "\"bmm\" not implemented for 'Bool'"),
    ("tensor @ int", lambda T: _ones(T, 2, 2) @ 2,
     TypeError, "unsupported operand type(s) for @: 'Tensor' and 'int'"),
    ("inv of a 2x3", lambda T: T.linalg.inv(_ones(T, 2, 3)),
     RuntimeError, "linalg.inv: A must be batches of square matrices, but they are 2 by 3 "
     "matrices"),
    ("det of a 2x3", lambda T: T.det(_ones(T, 2, 3)),
     RuntimeError, "linalg.det: A must be batches of square matrices, but they are 2 by 3 "
     "matrices"),
    ("inv of a vector", lambda T: T.linalg.inv(_ones(T, 3)),
     RuntimeError, "linalg.inv: The input tensor A must have at least 2 dimensions."),
    ("solve with a 2x3", lambda T: T.linalg.solve(_ones(T, 2, 3), _ones(T, 2)),
     RuntimeError, "linalg.solve: A must be batches of square matrices, but they are 2 by 3 "
     "matrices"),
    ("solve shapes", lambda T: T.linalg.solve(T.eye(2), _ones(T, 3)),
     RuntimeError, "linalg.solve: Incompatible shapes of A and B for the equation AX = B (2x2 "
     "and 3x1)"),
    ("bool - bool", lambda T: T.tensor([True]) - T.tensor([False]),
     RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. "
     "Use the `^` or `logical_xor()` operator instead."),
    ("bool - True", lambda T: T.tensor([True]) - True,
     RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. "
     "Use the `^` or `logical_xor()` operator instead."),
    ("-bool", lambda T: -T.tensor([True]),
     RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
     "trying to invert a mask, use the `~` or `logical_not()` operator instead."),
    ("mT of a vector", lambda T: _ones(T, 3).mT,
     RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D "
     "tensor."),
    ("expand -1 in a new dim", lambda T: _ones(T, 3).expand(-1, 3),
     RuntimeError, "The expanded size of the tensor (-1) isn't allowed in a leading, "
     "non-existing dimension 0"),
    ("setitem of a column", lambda T: T.zeros(2, 3).__setitem__((slice(None), 0), _ones(T, 3)),
     RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
     "non-singleton dimension 0.  Target sizes: [2].  Tensor sizes: [3]"),
    ("setitem of a row", lambda T: T.zeros(2, 3).__setitem__(0, _ones(T, 4)),
     RuntimeError, "The expanded size of the tensor (3) must match the existing size (4) at "
     "non-singleton dimension 0.  Target sizes: [3].  Tensor sizes: [4]"),
    ("setitem through a mask", lambda T: T.zeros(4).__setitem__(T.zeros(4) == 0, _ones(T, 3)),
     RuntimeError, "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing "
     "result of shape [4]"),
    ("gather out of range", lambda T: T.gather(_ones(T, 2, 3), 1, T.tensor([[0, 3], [1, 1]])),
     RuntimeError, "index 3 is out of bounds for dimension 1 with size 3"),
    ("gather negative", lambda T: T.gather(_ones(T, 2, 3), 1, T.tensor([[0, -1]])),
     RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    ("index_select out of range", lambda T: T.index_select(_ones(T, 3), 0, T.tensor([5])),
     IndexError, "index out of range in self"),
    ("index_select negative", lambda T: T.index_select(_ones(T, 3), 0, T.tensor([-1])),
     IndexError, "index out of range in self"),
    ("too many indices", lambda T: _ones(T, 3)[0, 0],
     IndexError, "too many indices for tensor of dimension 1"),
    ("float index", lambda T: _ones(T, 3)[T.tensor([0.0])],
     IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    ("mask of the wrong length", lambda T: _ones(T, 3)[T.tensor([True, False])],
     IndexError, "The shape of the mask [2] at index 0 does not match the shape of the indexed "
     "tensor [3] at index 0"),
]


@pytest.mark.parametrize("call, error, text", [c[1:] for c in _ARGUMENT_ERRORS],
                         ids=[c[0] for c in _ARGUMENT_ERRORS])
def test_wrong_arguments_raise_pytorchs_error(call: Any, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        call(torch)
    assert str(info.value) == text


@pytest.mark.parametrize("call, error, text", [c[1:] for c in _ARGUMENT_ERRORS],
                         ids=[c[0] for c in _ARGUMENT_ERRORS])
def test_wrong_arguments_table_matches_pytorch(call: Any, error: type, text: str) -> None:
    real = pytest.importorskip("torch")
    with pytest.raises(error) as info:
        call(real)
    assert str(info.value) == text


def test_where_takes_a_uint8_condition_with_pytorchs_warning() -> None:
    with pytest.warns(UserWarning, match="^where received a uint8 condition tensor"):
        out = torch.where(torch.tensor([1, 0], dtype=torch.uint8), torch.ones(2), torch.zeros(2))
    assert out.tolist() == [1.0, 0.0]


def test_split_by_zero_of_an_empty_dimension_gives_one_empty_piece() -> None:
    (piece,) = torch.ones(0, 2).split(0)
    assert piece.shape == (0, 2)
