"""Hook results, node pre-hooks, retain_grad under autograd.grad, custom Function details and
autograd.grad options, with PyTorch's values and texts."""

import pytest

import dualgrad.torch as torch


def _x():
    return torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize(("hook", "error", "text"), [
    (lambda g: g.sum(), RuntimeError, "hook '<lambda>' has changed the size of value"),
    (lambda g: g.float(), RuntimeError, "hook '<lambda>' has changed the type of value (was "
     "torch.DoubleTensor got torch.FloatTensor)"),
    (lambda g: 3, TypeError, "expected Variable, but hook returned 'int'"),
])
def test_hook_result_checks(hook, error, text) -> None:
    x = _x()
    x.register_hook(hook)
    with pytest.raises(error) as info:
        (x * 2).sum().backward()
    assert str(info.value) == text


def test_post_accumulate_hook_must_return_none() -> None:
    x = _x()
    x.register_post_accumulate_grad_hook(lambda p: p.grad.zero_())
    with pytest.raises(RuntimeError, match=r"^Tensor post accumulate grad hooks should return "
                       r"None\.$"):
        x.sum().backward()


def test_handle_as_context_manager() -> None:
    x = _x()
    with x.register_hook(lambda g: g * 3):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_node_prehook() -> None:
    x = _x()
    y = x * 2
    seen = []
    y.grad_fn.register_prehook(lambda go: seen.append(len(go)))
    h = y.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    y.sum().backward(retain_graph=True)
    assert seen == [1] and x.grad.tolist() == [6.0, 6.0, 6.0]
    h.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    z = x * 2
    z.grad_fn.register_prehook(lambda go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match=r"^hook '<lambda>' has returned an incorrect number "
                       r"of values \(got 2, but expected 1\)$"):
        z.sum().backward()


def test_retain_grad_filled_by_autograd_grad() -> None:
    x = _x()
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    torch.autograd.grad(z, x)
    assert y.grad.tolist() == [4.0, 8.0, 12.0]


def test_function_details() -> None:
    class Scale(torch.autograd.Function):  # PyTorch 2's split form, and vjp for backward
        @staticmethod
        def forward(a, k):
            return a * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def vjp(ctx, g):
            return g * ctx.k, None

    x = _x()
    Scale.apply(x, 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]

    seen = []

    class Both(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            seen.append(ctx.needs_input_grad)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    with torch.no_grad():
        Both.apply(x)
    assert seen == [(True,)]
    with pytest.raises(RuntimeError, match="^Implementing both 'backward' and 'vjp' for a custom "
                       "Function is not allowed. You should only implement one of them.$"):
        Both.apply(x).sum().backward()


def test_function_errors() -> None:
    class SaveInt(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a

    with pytest.raises(TypeError, match="^save_for_backward can only save variables, but "
                       "argument 1 is of type int$"):
        SaveInt.apply(_x())

    class DirtyCopy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    with pytest.raises(RuntimeError, match="^Some elements marked as dirty during the forward "
                       "method were not returned as output. The inputs that are modified "
                       "inplace must all be outputs of the Function.$"):
        DirtyCopy.apply(_x() + 0)
    h = _x() + 0
    assert h._version == 0
    h.add_(1)
    assert h._version == 1 and h[:1]._version == 1


def test_grad_options() -> None:
    x = _x()
    (jac,) = torch.autograd.grad(x ** 2, x, torch.eye(3, dtype=torch.float64),
                                 is_grads_batched=True)
    assert jac.tolist() == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    with pytest.raises(ValueError, match=r"^Expected allow_unused to be True or not passed when "
                       r"materialize_grads=True, but got: allow_unused=False\.$"):
        torch.autograd.grad(x.sum(), [x, _x()], materialize_grads=True, allow_unused=False)
    with pytest.raises(RuntimeError, match="^element 1 of tensors does not require grad and "
                       "does not have a grad_fn"):
        torch.autograd.grad([x.sum(), torch.ones(1)], x)


def test_against_torch() -> None:
    real = pytest.importorskip("torch")
    for lib in (real, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        x.register_hook(lambda g: g.sum())
        with pytest.raises(RuntimeError, match="has changed the size of value"):
            (x * 2).sum().backward()
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        y.retain_grad()
        lib.autograd.grad((y * y).sum(), x)
        assert y.grad.tolist() == [4.0, 8.0, 12.0]
