"""Replay the PyTorch-style cells of the five seed notebooks (``/work/shared/seeds``).

Each cell's code is run as written, with only ``import torch`` replaced by
``import dualgrad.torch as torch``; what it prints is compared with the notebook's output:

* deterministic outputs exactly, character for character;
* random ones (``randn`` / ``rand``) by shape, dtype and printed form (a regex), the printed
  numbers parsed back and compared with the tensor, and gradients recomputed by hand from the
  tensor's own values;
* node reprs (``<AddBackward0 object at 0x...>``) by everything but the address.

The TensorFlow cells of seed 003 are replayed in the tape front end's tests.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import textwrap
from typing import Any

import numpy as np
import pytest

import dualgrad.torch as torch_ns
from dualgrad._engine import ERR_BACKWARD_TWICE

_NUMBER = r"-?\d+\.\d*(?:e[+-]\d+)?"


class _Pretty:
    """The smallest stand-in for IPython's pretty printer (``_repr_pretty_`` protocol)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, s: str) -> None:
        self.parts.append(s)


def _display(value: Any) -> str:
    """What a notebook shows for a cell's last expression."""
    if hasattr(value, "_repr_pretty_"):
        p = _Pretty()
        value._repr_pretty_(p, False)
        return "".join(p.parts)
    return repr(value)


def run(code: str, ns: dict) -> str:
    """Run a cell in ``ns`` and return its output, the last expression displayed as IPython."""
    tree = ast.parse(textwrap.dedent(code))
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<cell>", "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
            if value is not None:
                print(_display(value))
    return out.getvalue()


@pytest.fixture
def ns() -> dict:
    """A fresh notebook namespace; ``torch`` is dualgrad's namespace, seeded."""
    torch_ns.manual_seed(0)
    return {"torch": torch_ns, "tr": torch_ns, "np": np}


def printed_pattern(shape: tuple, suffix: str = "") -> str:
    """A regex for PyTorch's printed form of a float tensor of ``shape`` (1-D, 2-D or 0-d)."""
    if not shape:
        return rf"tensor\({_NUMBER}{suffix}\)"
    if len(shape) == 1:
        row = rf"\[\s*{_NUMBER}(?:,\s+{_NUMBER}){{{shape[0] - 1}}}\]"
        return rf"tensor\({row}{suffix}\)"
    row = rf"\[\s*{_NUMBER}(?:,\s+{_NUMBER}){{{shape[1] - 1}}}\]"
    return rf"tensor\(\[{row}(?:,\n\s+{row}){{{shape[0] - 1}}}\]{suffix}\)"


def check_printed(text: str, t: Any, suffix: str = "") -> None:
    """``text`` is PyTorch's form of ``t`` and its numbers are ``t``'s values (to 4-5 digits)."""
    text = text.strip()
    assert re.fullmatch(printed_pattern(tuple(t.shape), suffix), text), text
    body = text.split(", grad_fn=")[0].split(", requires_grad=")[0]
    numbers = np.array([float(s) for s in re.findall(_NUMBER, body)])
    np.testing.assert_allclose(numbers, t.detach().numpy().ravel(), rtol=1e-4, atol=6e-5)


def check_node_repr(text: str, name: str, *, ipython: bool = False) -> None:
    """A node shown as PyTorch shows it: ``print`` form, or IPython's display form."""
    middle = " at " if ipython else " object at "
    assert re.fullmatch(rf"<{name}{middle}0x[0-9a-f]+>", text.strip()), text


def close(actual: Any, expected: Any) -> None:
    """float32 values equal to a float64 recomputation."""
    np.testing.assert_allclose(np.asarray(actual.detach().numpy(), dtype=np.float64),
                               expected, rtol=2e-6, atol=1e-6)


def f64(t: Any) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


# --------------------------------------------------------------------------------------------
# seed 000: Autograd basics


def test_seed000_randn_and_requires_grad(ns: dict) -> None:
    out = run('''
        x=torch.randn(3)
        print(x)

        "Suppose that later we want to calculate the gradient of a function with respect to x."

        x=torch.randn(3,requires_grad=True)
        print(x)
    ''', ns)
    first, second = out.splitlines()
    assert ns["x"].shape == (3,) and ns["x"].dtype == np.float32 and ns["x"].requires_grad
    check_printed(second, ns["x"], ", requires_grad=True")
    assert "requires_grad" not in first and re.fullmatch(printed_pattern((3,)), first)


def test_seed000_graph_mean_backward(ns: dict) -> None:
    run("x=torch.randn(3,requires_grad=True)", ns)
    x = f64(ns["x"])
    check_printed(run("y=x+2 # \nprint(y)", ns), ns["y"], ", grad_fn=<AddBackward0>")
    close(ns["y"], x + 2)
    check_printed(run("z=y*y*2\nprint(z)", ns), ns["z"], ", grad_fn=<MulBackward0>")
    check_printed(run("z=z.mean()\nprint(z)", ns), ns["z"], ", grad_fn=<MeanBackward0>")
    out = run("z.backward()  # dz/dx\nprint(x.grad)", ns)
    check_printed(out, ns["x"].grad)
    # z = mean(2 (x + 2)^2)  =>  dz/dx = 4 (x + 2) / 3
    close(ns["x"].grad, 4 * (x + 2) / 3)


def test_seed000_vector_jacobian_product(ns: dict) -> None:
    run('''
        x=torch.randn(3,requires_grad=True)
        y=x+2
        z=y*y*2
    ''', ns)
    with pytest.raises(RuntimeError) as info:
        run("z.backward()", ns)
    # The notebook's comment quotes the error PyTorch gives.
    assert str(info.value) == "grad can be implicitly created only for scalar outputs"
    out = run('''
        v=torch.tensor([0.1,1.0,0.001],dtype=torch.float32)
        z.backward(v)  # v is the gradient argument
        print(x.grad)
    ''', ns)
    x, v = f64(ns["x"]), np.array([0.1, 1.0, 0.001], dtype=np.float32).astype(np.float64)
    close(ns["x"].grad, v * 4 * (x + 2))
    check_printed(out, ns["x"].grad)


def test_seed000_stop_tracking(ns: dict) -> None:
    out = run('''
        x=torch.randn(3,requires_grad=True)
        print(x)
        x.requires_grad_(False)
        print(x) # Thsi will not show require grade attribute
    ''', ns)
    first, second = out.splitlines()
    check_printed(first, ns["x"], ", requires_grad=True")
    check_printed(second, ns["x"])
    assert first == second.replace("])", "], requires_grad=True)")
    out = run("y=x.detach()\nprint(y)", ns)
    assert out.strip() == second
    out = run('''
        with torch.no_grad():
            y=x+2
            print(y)
    ''', ns)
    check_printed(out, ns["y"])
    close(ns["y"], f64(ns["x"]) + 2)


def test_seed000_gradients_accumulate(ns: dict) -> None:
    out = run('''
        weights=torch.ones(4,requires_grad=True)

        for epoch in range(10):
            model_output=(weights*10).sum()
            model_output.backward()
            print(weights.grad)
    ''', ns)
    assert out == "".join(f"tensor([{k}0., {k}0., {k}0., {k}0.])\n" for k in range(1, 11))


def test_seed000_zeroing_gradients(ns: dict) -> None:
    out = run('''
        weights = torch.ones(4, requires_grad=True)
        for epoch in range(10):
            model_output=(weights*10).sum()
            model_output.backward()
            print(weights.grad)
            weights.grad.zero_()
    ''', ns)
    assert out == "tensor([10., 10., 10., 10.])\n" * 10


# --------------------------------------------------------------------------------------------
# seed 001: logistic regression graph, backward twice, no_grad, Jacobian products


def test_seed001_bce_graph(ns: dict) -> None:
    run('''
        x = torch.ones(5) # The input of size 5
        y = torch.zeros(3) # expected ouput

        # Sample weights and bias, which are a matrix and vector respectively
        W = torch.rand(5, 3, requires_grad=True)
        b = torch.rand(3, requires_grad=True)

        z = torch.matmul(x, W) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z,y)
    ''', ns)
    W, b = f64(ns["W"]), f64(ns["b"])
    assert ns["W"].shape == (5, 3) and ns["W"].dtype == np.float32
    assert ((W >= 0) & (W < 1)).all() and ((b >= 0) & (b < 1)).all()
    z = W.sum(axis=0) + b
    # The notebook printed ``tensor(3.0387)`` from an earlier run; the loss of this graph is
    # shown with its grad_fn, as PyTorch shows it.
    out = run("loss", ns)
    check_printed(out, ns["loss"], ", grad_fn=<BinaryCrossEntropyWithLogitsBackward0>")
    close(ns["loss"], np.mean(np.log1p(np.exp(z))))  # targets are 0: mean(softplus(z))
    check_node_repr(run("loss.grad_fn", ns), "BinaryCrossEntropyWithLogitsBackward0",
                    ipython=True)
    check_node_repr(run("z.grad_fn", ns), "AddBackward0", ipython=True)
    assert run("W.grad_fn", ns) == ""
    assert run("loss.backward()", ns) == ""
    out = run("b.grad", ns)
    check_printed(out, ns["b"].grad)
    sig = 1 / (1 + np.exp(-z))
    close(ns["b"].grad, sig / 3)
    close(ns["W"].grad, np.broadcast_to(sig / 3, (5, 3)))
    with pytest.raises(RuntimeError) as info:
        run("loss.backward()", ns)
    assert str(info.value) == ERR_BACKWARD_TWICE
    assert str(info.value).startswith("Trying to backward through the graph a second time")
    out = run('''
        z = torch.matmul(x, W) + b
        # z.backward() will not work, gradients can only be created for scalar outputs
        print(z.requires_grad)

        with torch.no_grad():
            z = torch.matmul(x, W) + b
        print(z.requires_grad)
    ''', ns)
    assert out == "True\nFalse\n"


def test_seed001_jacobian_products(ns: dict) -> None:
    out = run('''
        inp = torch.eye(4,5, requires_grad=True)
        out = (inp+1).pow(2).t()

        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"First call : {inp.grad}")
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"Second call : {inp.grad}")

        inp.grad.zero_()
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"Call after zeroing grad: {inp.grad}")
    ''', ns)
    assert out == (
        "First call : tensor([[4., 2., 2., 2., 2.],\n"
        "        [2., 4., 2., 2., 2.],\n"
        "        [2., 2., 4., 2., 2.],\n"
        "        [2., 2., 2., 4., 2.]])\n"
        "Second call : tensor([[8., 4., 4., 4., 4.],\n"
        "        [4., 8., 4., 4., 4.],\n"
        "        [4., 4., 8., 4., 4.],\n"
        "        [4., 4., 4., 8., 4.]])\n"
        "Call after zeroing grad: tensor([[4., 2., 2., 2., 2.],\n"
        "        [2., 4., 2., 2., 2.],\n"
        "        [2., 2., 4., 2., 2.],\n"
        "        [2., 2., 2., 4., 2.]])\n"
    )


# --------------------------------------------------------------------------------------------
# seed 002: polynomial, multi-step backprop, an RNN-like cell


def test_seed002_polynomial(ns: dict) -> None:
    out = run('''
        x = torch.tensor(2.0, requires_grad=True)
        print(x)
        print(x.grad) # gradient has not yet been computed
    ''', ns)
    assert out == "tensor(2., requires_grad=True)\nNone\n"
    out = run("y = 2*x**4 + x**3 + 3*x**2 + 5*x + 1\n\nprint(y)", ns)
    assert out == "tensor(63., grad_fn=<AddBackward0>)\n"
    check_node_repr(run("y.grad_fn", ns), "AddBackward0", ipython=True)
    assert run("y.backward()", ns) == ""
    assert run("print(x.grad)", ns) == "tensor(93.)\n"


def test_seed002_multiple_steps(ns: dict) -> None:
    out = run("x = torch.tensor([[1.,2,3],[3,2,1]], requires_grad=True)\nprint(x)", ns)
    assert out == "tensor([[1., 2., 3.],\n        [3., 2., 1.]], requires_grad=True)\n"
    out = run("y = 3*x + 2\nprint(y)", ns)
    assert out == "tensor([[ 5.,  8., 11.],\n        [11.,  8.,  5.]], grad_fn=<AddBackward0>)\n"
    out = run("z = 2*y**2\nprint(z)", ns)
    assert out == ("tensor([[ 50., 128., 242.],\n        [242., 128.,  50.]], "
                   "grad_fn=<MulBackward0>)\n")
    assert run("out = z.mean()\nprint(out)", ns) == "tensor(140., grad_fn=<MeanBackward0>)\n"
    out = run("out.backward()\nprint(x.grad)", ns)
    assert out == "tensor([[10., 16., 22.],\n        [22., 16., 10.]])\n"


def test_seed002_recurrent_cell(ns: dict) -> None:
    out = run('''
        # tests
        Wh = torch.randn(3,3, requires_grad = True)
        Wx = torch.randn(3,2, requires_grad = True)
        h = torch.randn(1,3)
        x = torch.randn(1,2)

        wh2h = torch.mm(Wh,h.t())
        wx2x = torch.mm(Wx,x.t())
        print(wh2h)
        print(wx2x)

        next_h = wh2h + wx2x + 5
        next_h = next_h.tanh()
        print(next_h)

        loss = next_h.sum()
        print(loss)

        # backprop
        loss.backward()

        # stores gradients when requires_grad = True
        print(Wx.grad)
        print(Wh.grad)
        # does not store gradients when requires_grad = False
        print(x.grad)
        print(h.grad)
    ''', ns)
    Wh, Wx, h, x = (f64(ns[k]) for k in ("Wh", "Wx", "h", "x"))
    lines = out.splitlines()
    blocks = ["\n".join(lines[i:i + 3]) for i in (0, 3, 6)]
    check_printed(blocks[0], ns["wh2h"], ", grad_fn=<MmBackward0>")
    check_printed(blocks[1], ns["wx2x"], ", grad_fn=<MmBackward0>")
    check_printed(blocks[2], ns["next_h"], ", grad_fn=<TanhBackward0>")
    check_printed(lines[9], ns["loss"], ", grad_fn=<SumBackward0>")
    check_printed("\n".join(lines[10:13]), ns["Wx"].grad)
    check_printed("\n".join(lines[13:16]), ns["Wh"].grad)
    assert lines[16:] == ["None", "None"]
    pre = Wh @ h.T + Wx @ x.T + 5
    d = 1 - np.tanh(pre) ** 2  # (3, 1)
    close(ns["next_h"], np.tanh(pre))
    np.testing.assert_allclose(f64(ns["Wx"].grad), d * x, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(f64(ns["Wh"].grad), d * h, rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------------------------------
# seed 003: PyTorch cells (``import torch as tr``)


def test_seed003_scalar_ops(ns: dict) -> None:
    run("x = tr.tensor(3.0, requires_grad=True) # requires gradient (default - False)", ns)
    out = run('''
        y = x**2
        z = 2*x
        k = 9/x
        l = 8-x
        m = 11+x
        print(x)
        print(y)
        print(z)
        print(k)
        print(l)
        print(m)
    ''', ns)
    assert out == (
        "tensor(3., requires_grad=True)\n"
        "tensor(9., grad_fn=<PowBackward0>)\n"
        "tensor(6., grad_fn=<MulBackward0>)\n"
        "tensor(3., grad_fn=<MulBackward0>)\n"
        "tensor(5., grad_fn=<RsubBackward1>)\n"
        "tensor(14., grad_fn=<AddBackward0>)\n"
    )
    assert run("y.backward() # needs to be run to compute gradient\nx.grad", ns) == "tensor(6.)\n"


def test_seed003_sin_and_non_leaf_grad(ns: dict) -> None:
    out = run('''
        x = tr.tensor(3.0, requires_grad=True)
        y = x**2
        z = tr.sin(y)
        print(x)
        print(y)
        print(z)
    ''', ns)
    assert out == ("tensor(3., requires_grad=True)\ntensor(9., grad_fn=<PowBackward0>)\n"
                   "tensor(0.4121, grad_fn=<SinBackward0>)\n")
    out = run('''
        def dz_dx(x):
            return 2*x*tr.cos(x**2)

        def dz_dy(y):
            return tr.cos(y)

        print(dz_dx(x))
        print(dz_dy(y))
    ''', ns)
    assert out == ("tensor(-5.4668, grad_fn=<MulBackward0>)\n"
                   "tensor(-0.9111, grad_fn=<CosBackward0>)\n")
    # The notebook shows the UserWarning PyTorch gives for reading .grad of a non-leaf.
    with pytest.warns(UserWarning, match=r"\.grad attribute of a Tensor that is not a leaf"):
        out = run("z.backward()\nprint(y.grad)\nprint(x.grad)", ns)
    assert out == "None\ntensor(-5.4668)\n"


def test_seed003_retain_grad(ns: dict) -> None:
    out = run('''
        x = tr.tensor(3.0, requires_grad=True)
        y = x**2
        y.retain_grad() # retains gradient
        z = tr.sin(y)
        print(x)
        print(y)
        print(z)
    ''', ns)
    assert out == ("tensor(3., requires_grad=True)\ntensor(9., grad_fn=<PowBackward0>)\n"
                   "tensor(0.4121, grad_fn=<SinBackward0>)\n")
    out = run('''
        z.backward()

        print(y.grad)  # should now print the gradient of z w.r.t y
        print(x.grad)  # should print the gradient of z w.r.t x
    ''', ns)
    assert out == "tensor(-0.9111)\ntensor(-5.4668)\n"


def test_seed003_vectors(ns: dict) -> None:
    # The cell's first lines are ``import torch as tr`` / ``import numpy as np``.
    out = run('''
        x = tr.tensor(np.linspace(0, 3.0, 20), dtype=tr.float32, requires_grad=True)
        y = x**2
        y.retain_grad()
        z = tr.sin(y)

        print("x:", x)
        print("y:", y)
        print("z:", z)

        # Backpropagate using a scalar-valued function of z
        z.sum().backward() # some kind of multi-variable differentiation

        print("y.grad:", y.grad)  # d(sum sin(y)) / dy = cos(y)
        print("x.grad:", x.grad)  # d(sum sin(x^2)) / dx = cos(x^2) * 2x
    ''', ns)
    expected = (
        "x: tensor([0.0000, 0.1579, 0.3158, 0.4737, 0.6316, 0.7895, 0.9474, 1.1053, 1.2632,\n"
        "        1.4211, 1.5789, 1.7368, 1.8947, 2.0526, 2.2105, 2.3684, 2.5263, 2.6842,\n"
        "        2.8421, 3.0000], requires_grad=True)\n"
        "y: tensor([0.0000, 0.0249, 0.0997, 0.2244, 0.3989, 0.6233, 0.8975, 1.2216, 1.5956,\n"
        "        2.0194, 2.4931, 3.0166, 3.5900, 4.2133, 4.8864, 5.6094, 6.3823, 7.2050,\n"
        "        8.0776, 9.0000], grad_fn=<PowBackward0>)\n"
        "z: tensor([ 0.0000,  0.0249,  0.0996,  0.2225,  0.3884,  0.5837,  0.7818,  0.9397,\n"
        "         0.9997,  0.9011,  0.6040,  0.1246, -0.4336, -0.8780, -0.9849, -0.6239,\n"
        "         0.0989,  0.7967,  0.9751,  0.4121], grad_fn=<SinBackward0>)\n"
        "y.grad: tensor([ 1.0000,  0.9997,  0.9950,  0.9749,  0.9215,  0.8120,  0.6236,  "
        "0.3421,\n"
        "        -0.0248, -0.4337, -0.7970, -0.9922, -0.9011, -0.4786,  0.1732,  0.7815,\n"
        "         0.9951,  0.6044, -0.2217, -0.9111])\n"
        "x.grad: tensor([ 0.0000,  0.3157,  0.6284,  0.9236,  1.1640,  1.2821,  1.1815,  "
        "0.7563,\n"
        "        -0.0626, -1.2326, -2.5168, -3.4466, -3."
    )
    # The notebook's output is cut off in the middle of x.grad's second line.
    assert out.startswith(expected)
    x = np.linspace(0, 3.0, 20).astype(np.float32).astype(np.float64)
    close(ns["x"].grad, np.cos(x**2) * 2 * x)


def test_seed003_clearing_gradients(ns: dict) -> None:
    run("x = tr.tensor(2.0, requires_grad=True)\ny = x**2 # forward pass\n\ny.backward()", ns)
    assert run("x.grad", ns) == "tensor(4.)\n"
    assert run("y = x**2\n\ny.backward()\nx.grad", ns) == "tensor(8.)\n"
    assert run("x.grad.zero_() # inplace operation", ns) == "tensor(0.)\n"
    assert run("y = x**2\n\ny.backward()\nx.grad", ns) == "tensor(4.)\n"


def test_seed003_disable_tracking(ns: dict) -> None:
    out = run('''
        # 1. setting requires_grad_(False)
        x = tr.tensor(2.0)
        x.requires_grad_(False) # fun_ --> inplace changes
        y = x**2 # forward pass
        print(x,y)
    ''', ns)
    assert out == "tensor(2.) tensor(4.)\n"
    out = run('''
        # 2. using detach() --> creates completely new tensor
        x = tr.tensor(2.0,requires_grad=True)
        y = x**2
        z = x.detach()
        y1 = z**2
        print(id(x)==id(z))
        print(x)
        print(y)
        print(z)
        print(y1)
    ''', ns)
    assert out == ("False\ntensor(2., requires_grad=True)\ntensor(4., grad_fn=<PowBackward0>)\n"
                   "tensor(2.)\ntensor(4.)\n")
    out = run('''
        # 3. using no_grad() function
        x = tr.tensor(2.0,requires_grad=True)

        with tr.no_grad():
            y = x**2

        print(x,y)
    ''', ns)
    assert out == "tensor(2., requires_grad=True) tensor(4.)\n"


# --------------------------------------------------------------------------------------------
# seed 004: the PyTorch 60-minute blitz autograd page


def test_seed004_tensor_ops(ns: dict) -> None:
    out = run('''
        x = torch.tensor([[1,3],[2,2]], requires_grad=True, dtype = torch.float32)
        print(x)
        print(x.size())
    ''', ns)
    assert out == "tensor([[1., 3.],\n        [2., 2.]], requires_grad=True)\ntorch.Size([2, 2])\n"
    out = run("y = ( x + 2) \nz = 3 * (y ** 2)\nprint(y,z)", ns)
    assert out == ("tensor([[3., 5.],\n        [4., 4.]], grad_fn=<AddBackward0>) "
                   "tensor([[27., 75.],\n        [48., 48.]], grad_fn=<MulBackward0>)\n")
    # The cell's second line, ``print(zz.grad_fn)``, names a ``zz`` the notebook never
    # defines (its output, ``<MmBackward ...>``, came from a deleted cell): it is skipped.
    check_node_repr(run("print(y.grad_fn)", ns), "AddBackward0")
    out = run("z = y * y # dot product\nout = z.mean()\nprint(z, out)", ns)
    assert out == ("tensor([[ 9., 25.],\n        [16., 16.]], grad_fn=<MulBackward0>) "
                   "tensor(16.5000, grad_fn=<MeanBackward0>)\n")


def test_seed004_requires_grad_(ns: dict) -> None:
    out = run('''
        a = torch.tensor([2, 2],dtype = torch.float32)
        a = ((a * 3))
        print(a)
        print(a.requires_grad)
        a.requires_grad_(True)
        print(a.requires_grad)
        b = (a * a).sum()
        print(b)
        print(b.grad_fn)
    ''', ns)
    *lines, node = out.splitlines()
    assert lines == ["tensor([6., 6.])", "False", "True", "tensor(72., grad_fn=<SumBackward0>)"]
    check_node_repr(node, "SumBackward0")


def test_seed004_gradients(ns: dict) -> None:
    out = run('''
        # example: y = 2 * x + 3 * (x^2)
        x = torch.tensor([3],dtype = torch.float32,requires_grad = False)
        x.requires_grad_(True)
        y = 2 * x + x * x  * 3
        print(x,y)
    ''', ns)
    assert out == "tensor([3.], requires_grad=True) tensor([33.], grad_fn=<AddBackward0>)\n"
    out = run("y.backward() # first run y.backward(), then x.grad has the value\nprint(x.grad)",
              ns)
    assert out == "tensor([20.])\n"
    out = run('''
        # example 1:
        x = torch.tensor([3,4,6], dtype = torch.float32,requires_grad=True)
        y = x * x * 3
        v = torch.tensor([1,1,2], dtype=torch.float)
        y.backward(v)
        print(x.grad)
    ''', ns)
    assert out == "tensor([18., 24., 72.])\n"
    out = run('''
        # example 2:
        g = torch.tensor([[1,1,1],[2,3,4]],dtype = torch.float32)
        g.add_(torch.ones_like(g))
        g.requires_grad_(True)         # _ here means replace the variable with new value
        print(g, g.requires_grad)
        gg = g*g*g
        ggg = gg +3*g
        v = torch.tensor([[1,1,2],[2,2,2]], dtype=torch.float)
        ggg.backward(v)               # here we do the derivative calculation
        print(g.grad)
    ''', ns)
    assert out == ("tensor([[2., 2., 2.],\n        [3., 4., 5.]], requires_grad=True) True\n"
                   "tensor([[ 15.,  15.,  30.],\n        [ 60., 102., 156.]])\n")


_DOUBLING_CELL = '''
x = torch.randn(3, requires_grad=True)
print(x)
y = x * 2
count = 0
while y.data.norm() < 100:    # L2 norm / Euclidean norm
    y = y * 2
    count += 1

print(y,count)

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)

print(x.grad)
'''


def test_seed004_doubling_loop(ns: dict) -> None:
    seen_six = False
    for seed in range(20):
        torch_ns.manual_seed(seed)
        lines = run(_DOUBLING_CELL, ns).splitlines()
        x, y, count = ns["x"], ns["y"], ns["count"]
        check_printed(lines[0], x, ", requires_grad=True")
        assert lines[1].endswith(f"grad_fn=<MulBackward0>) {count}")
        check_printed(lines[1].rsplit(" ", 1)[0], y, ", grad_fn=<MulBackward0>")
        # y = x * 2**(count + 1): the smallest power with |y| >= 100
        scale = 2.0 ** (count + 1)
        assert np.linalg.norm(f64(x)) * scale >= 100 > np.linalg.norm(f64(x)) * scale / 2
        v = np.array([0.1, 1.0, 0.0001], dtype=np.float32).astype(np.float64)
        close(x.grad, v * scale)
        check_printed(lines[2], x.grad)
        if count == 6:
            # The notebook's run took six doublings; the output then matches it exactly.
            assert lines[2] == "tensor([1.2800e+01, 1.2800e+02, 1.2800e-02])"
            seen_six = True
    assert seen_six


def test_seed004_stop_autograd(ns: dict) -> None:
    out = run('''
        x = torch.randn(3, requires_grad=True)
        print(x.requires_grad)
        print((x ** 2).requires_grad)

        with torch.no_grad():
            print((x ** 2).requires_grad)  # the notebook indents this line with a tab

        x = torch.randn(3, requires_grad=True)
        x.requires_grad_(False)
        print((x**2).requires_grad)
    ''', ns)
    assert out == "True\nTrue\nFalse\nFalse\n"
    out = run('''
        x.requires_grad_(True)
        print(x.requires_grad)
        y = x.detach()
        print(y.requires_grad)
        print(x.eq(y))
    ''', ns)
    assert out == "True\nFalse\ntensor([True, True, True])\n"
