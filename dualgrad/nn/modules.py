"""``Module`` and the layers built on it (``torch.nn``): ``Linear``, ``Sequential``,
activations, and loss modules.

A module owns parameters and child modules, registered by assigning them as attributes. It
gives them back with ``parameters()`` / ``named_parameters()`` (for an optimizer) and saves
and restores them with ``state_dict()`` / ``load_state_dict()``.

::

    Sequential ──(0)── Linear ── weight: Parameter(out, in), bias: Parameter(out)
               ──(1)── Tanh
               ──(2)── Linear ── ...
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from dualgrad import _dtypes
from dualgrad._creation import _generator, _size_arg, check_shape
from dualgrad._device import check_device
from dualgrad._tensor import Tensor, apply
from dualgrad.nn import functional as F
from dualgrad.nn.parameter import Parameter
from dualgrad.ops import nn as N

__all__ = [
    "Module", "Linear", "Sequential", "Identity", "Flatten", "ReLU", "Tanh", "Sigmoid",
    "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss",
]


def _typename(value: Any) -> str:
    return value.type() if isinstance(value, Tensor) else F.type_name(value)


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    __str__ = __repr__


class Module:
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters and sub-modules as
    attributes, and define ``forward``; calling the module calls ``forward``.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after ``eval()``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> from dualgrad import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(dg.ones(4, 3)).shape
    torch.Size([4, 2])
    >>> net
    Net(
      (fc): Linear(in_features=3, out_features=2, bias=True)
    )
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}

    forward: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: registered names live in __dict__ too.
        if name == "forward":
            raise NotImplementedError(
                f'Module [{type(self).__name__}] is missing the required "forward" function')
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            # Assigning over an existing parameter keeps its place in the order (state_dict,
            # named_parameters and the optimizer's indices follow it), as in PyTorch.
            self._forget(name, keep="_parameters")
            # As PyTorch: a plain attribute of that name goes first, then the name is checked
            # as register_parameter checks it ("a.b", "", a class attribute like "forward").
            d.pop(name, None)
            self._check_name("parameter", name, params)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            d["_modules"][name] = None
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            d["_buffers"][name] = value
        d[name] = value

    def __delattr__(self, name: str) -> None:
        self._forget(name)
        object.__delattr__(self, name)

    def _forget(self, name: str, keep: str | None = None) -> None:
        """Unregister ``name`` everywhere but in the registry ``keep`` (where a new value then
        replaces the old one in place)."""
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        d["_non_persistent_buffers"].discard(name)

    # --- registration ----------------------------------------------------------------------

    def _check_name(self, kind: str, name: Any, registry: dict) -> None:
        """PyTorch's checks of a ``name`` for ``register_parameter`` / ``register_buffer`` /
        ``add_module`` (``kind`` is "parameter", "buffer" or "module"): a string without "."
        that is not empty and not already an attribute, unless one of ``registry``'s."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            got = f", got: {name}" if kind == "module" else ""
            raise KeyError(f'{kind} name can\'t contain "."{got}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        # Registered names live in __dict__ too, so this is PyTorch's hasattr(self, name)
        # (without calling __getattr__, which raises its own error for "forward").
        if (name in self.__dict__ or hasattr(type(self), name)) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder) under ``name``.

        Raises
        ------
        KeyError
            If ``name`` contains ".", is empty, or is already an attribute that is not a
            parameter (PyTorch's texts).
        TypeError
            If ``name`` is not a string or ``param`` is neither a Parameter nor None.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (saved in ``state_dict`` when
        ``persistent``).

        Raises
        ------
        KeyError
            If ``name`` contains ".", is empty, or is already an attribute that is not a
            buffer (PyTorch's texts), e.g. ``"attribute 'weight' already exists"``.
        TypeError
            If ``name`` is not a string or ``tensor`` is neither a Tensor nor None.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``.

        Raises
        ------
        KeyError
            If ``name`` contains ".", is empty, or is already an attribute that is not a
            child module (PyTorch's texts).
        TypeError
            If ``module`` is not a Module (or None), or ``name`` not a string.
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name("module", name, self._modules)
        self._modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    # --- traversal -------------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and all below it, with dotted names, each once unless
        ``remove_duplicate=False`` (a module used twice is then listed under both names)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and all below it."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mod_prefix, module in mods:
            for name, value in getattr(module, attr).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs, each parameter once unless
        ``remove_duplicate=False`` (then a parameter, or a module, used in two places is listed
        under each of its names)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and (with ``recurse``) of all sub-modules.

        Examples
        --------
        >>> import dualgrad as dg
        >>> sum(p.numel() for p in dg.nn.Linear(3, 2).parameters())
        8
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module and its sub-modules."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes and bulk changes ------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and all below it; returns ``self``."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``); returns ``self``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch ``requires_grad`` of every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                p._grad._data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module, then on this module; returns ``self``."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert parameters and buffers to a dtype in place (``"cpu"`` is accepted)."""
        dtype = kwargs.pop("dtype", None)
        for a in [*args, kwargs.pop("device", None)]:
            if a is None:
                continue
            if isinstance(a, str) or type(a).__name__ == "device":
                check_device(a)
            else:
                dtype = a
        if dtype is not None:
            dt = _dtypes.as_dtype(dtype)
            for t in [*self.parameters(), *self.buffers()]:
                if t._data.dtype.kind in "fc" and t._data.dtype != dt:
                    t._data = t._data.astype(dt)
                    if t._grad is not None:
                        t._grad._data = t._grad._data.astype(dt)
        return self

    def double(self) -> Module:
        """Parameters and buffers as float64."""
        return self.to(_dtypes.float64)

    def float(self) -> Module:
        """Parameters and buffers as float32."""
        return self.to(_dtypes.float32)

    def cpu(self) -> Module:
        """This module (dualgrad computes on the CPU)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises dualgrad's CPU-only error: there is no GPU in dualgrad."""
        check_device("cuda" if device is None else
                     f"cuda:{device}" if isinstance(device, int) else device)
        return self  # (a "cpu" device: nothing to move)

    # --- saving ----------------------------------------------------------------------------

    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name.

        The tensors share memory with the module's (detached unless ``keep_vars``), as
        PyTorch's do; save them with :func:`dualgrad.save`.

        Examples
        --------
        >>> import dualgrad as dg
        >>> list(dg.nn.Linear(3, 2).state_dict())
        ['weight', 'bias']
        """
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination
        # Every place a module is used gets its keys, as PyTorch's recursive save does (and
        # load_state_dict then expects them all).
        modules = self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False)
        for mod_prefix, module in modules:
            base = f"{mod_prefix}." if mod_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers:
                    out[base + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Every key and shape is checked before anything is copied, so a mismatched dict
        changes nothing.

        Parameters
        ----------
        state_dict:
            Name to tensor, as :meth:`state_dict` gives or :func:`dualgrad.load` returns
            (anything else, a NumPy array too, is an error, as in PyTorch).
        strict:
            Raise on missing or unexpected keys (shapes are always checked).
        assign:
            Accepted for compatibility; values are always copied.

        Returns
        -------
        NamedTuple with ``missing_keys`` and ``unexpected_keys``.

        Raises
        ------
        RuntimeError
            PyTorch's ``Error(s) in loading state_dict for Linear:`` with ``Missing key(s)``,
            ``Unexpected key(s)``, ``While copying the parameter named ...`` (a value that is
            not a tensor) and ``size mismatch for ...`` lines.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected '
                              "torch.Tensor or Tensor-like object from checkpoint but "
                              f"received {type(value)}")
                continue
            arr = value._data
            if arr.shape != target._data.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_size(arr.shape)} from checkpoint, the shape in current model is "
                    f"{_size(target._data.shape)}.")
                continue
            updates.append((target, arr))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              f"{_quoted(unexpected)}. ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              f"{_quoted(missing)}. ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for target, arr in updates:
            np.copyto(target._data, arr, casting="unsafe")
            target._vc[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # --- printing --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (subclasses set it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def _child_lines(self) -> list[str]:
        """One ``(name): repr`` entry per child for :meth:`__repr__` (ModuleList groups them)."""
        return [f"({key}): {_addindent(repr(m), 2)}" for key, m in self._modules.items()]

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _abs_index(idx: Any, n: int) -> int:
    """``idx`` (an integer, negative from the end) into ``n`` entries of a container, with
    PyTorch's errors (``'str' object cannot be interpreted as an integer``)."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _size(shape: tuple) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


# --- layers --------------------------------------------------------------------------------


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Initialised as PyTorch does: weight and bias uniform in ``[-1/sqrt(in), 1/sqrt(in))``,
    drawn from the generator that :func:`dualgrad.manual_seed` seeds.

    Parameters
    ----------
    in_features, out_features:
        Sizes of each input and output sample.
    bias:
        Learn an additive bias.
    dtype:
        The parameters' dtype (float32 by default).

    Examples
    --------
    >>> import dualgrad as dg
    >>> layer = dg.nn.Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape
    (torch.Size([2, 3]), torch.Size([2]))
    >>> layer(dg.ones(5, 3)).grad_fn
    <AddmmBackward0 object at ...>
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        # PyTorch's errors for bad features: its weight comes from torch.empty((out, in)).
        check_shape(_size_arg("empty", (out_features, in_features)))
        self.in_features = in_features
        self.out_features = out_features
        dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.default_float
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        rng = _generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features))
                                .astype(dt))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, (out_features,)).astype(dt))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Draw new initial values (PyTorch's default initialisation)."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        rng = _generator()
        for p in (self.weight, self.bias):
            if p is not None:
                p._data[...] = rng.uniform(-bound, bound, p._data.shape)
                p._vc[0] += 1

    def forward(self, input: Tensor) -> Tensor:
        """Apply the affine map to the last dimension of ``input``."""
        bias = self.bias
        if bias is not None and type(input) is Tensor and input._data.ndim >= 2:
            # What F.linear does for a batch, without its argument handling (the hot path).
            data, weight = input._data, self.weight._data
            if data.dtype is weight.dtype and data.shape[-1] == weight.shape[1]:
                try:  # (free in Python 3.11+ until something raises)
                    return apply(N.linear, (input, self.weight, bias), {})
                except ValueError:  # NumPy's broadcast error for a bias of the wrong shape
                    F.linear_bias_check(input, self.weight, bias)
                    raise
        return F.linear(input, self.weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after the other.

    Examples
    --------
    >>> import dualgrad as dg
    >>> from dualgrad import nn
    >>> model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    >>> model(dg.zeros(4, 2)).shape
    torch.Size([4, 1])
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        """Pass ``input`` through each module in order."""
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_abs_index(idx, len(self._modules))]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns ``self``."""
        self.add_module(str(len(self._modules)), module)
        return self


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        """``input``."""
        return input


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` (by default all but the batch dimension)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        """The flattened input."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class ReLU(Module):
    """``max(x, 0)`` elementwise.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.ReLU()(dg.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """``relu(input)``."""
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """Hyperbolic tangent elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """``tanh(input)``."""
        if not isinstance(input, Tensor):  # PyTorch's module calls torch.tanh, which refuses
            raise F.not_a_tensor("tanh", "input", 1, input)
        return input.tanh()


class Sigmoid(Module):
    """Logistic sigmoid elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """``sigmoid(input)``."""
        if not isinstance(input, Tensor):  # as tanh
            raise F.not_a_tensor("sigmoid", "input", 1, input)
        return input.sigmoid()


class Softmax(Module):
    """Softmax along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """``softmax(input, dim)``."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim``."""

    def forward(self, input: Tensor) -> Tensor:
        """``log_softmax(input, dim)``."""
        return F.log_softmax(input, self.dim)


# --- losses --------------------------------------------------------------------------------


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error; see :func:`dualgrad.nn.functional.mse_loss`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.MSELoss()(dg.tensor([1.0, 3.0]), dg.tensor([0.0, 0.0]))
    tensor(5.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see :func:`dualgrad.nn.functional.l1_loss`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.l1_loss(input, target, reduction=self.reduction)



class SmoothL1Loss(_Loss):
    """Smooth L1 loss with threshold ``beta``; see
    :func:`dualgrad.nn.functional.smooth_l1_loss`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> dg.nn.SmoothL1Loss(beta=0.5)(dg.tensor([0.25, 2.0]), dg.tensor([0.0, 0.0]))
    tensor(0.9062)
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta``; see :func:`dualgrad.nn.functional.huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of a target from log-probabilities; see
    :func:`dualgrad.nn.functional.kl_div` (``reduction="batchmean"`` is the divergence;
    ``"mean"``, the default, warns as in PyTorch)."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

class BCELoss(_Loss):
    """Binary cross-entropy of probabilities; see
    :func:`dualgrad.nn.functional.binary_cross_entropy`."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable op; see
    :func:`dualgrad.nn.functional.binary_cross_entropy_with_logits`."""

    def __init__(self, reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices; see :func:`dualgrad.nn.functional.nll_loss`."""

    def __init__(self, reduction: str = "mean", ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.nll_loss(input, target, reduction=self.reduction,
                          ignore_index=self.ignore_index)


class CrossEntropyLoss(NLLLoss):
    """Softmax cross-entropy with class indices; see
    :func:`dualgrad.nn.functional.cross_entropy`.

    Examples
    --------
    >>> import dualgrad as dg
    >>> loss = dg.nn.CrossEntropyLoss()(dg.zeros(2, 4), dg.tensor([0, 3]))
    >>> round(loss.item(), 4)
    1.3863
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The reduced loss."""
        return F.cross_entropy(input, target, reduction=self.reduction,
                               ignore_index=self.ignore_index)
