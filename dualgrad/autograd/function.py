"""``torch.autograd.function``'s names: the custom ``Function``, its context and
``once_differentiable`` (defined in :mod:`dualgrad._function`)."""

from dualgrad._function import Function, FunctionCtx, once_differentiable

__all__ = ["Function", "FunctionCtx", "once_differentiable"]
