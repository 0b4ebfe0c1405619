"""Dict and list containers (``torch.nn``): ``ModuleDict``, ``ParameterList``,
``ParameterDict``.

Their entries are registered on the container as PyTorch registers them (a module under its
key, a parameter under its key or its index as a string), so ``parameters()``,
``state_dict()`` (keys like ``"layers.fc.weight"``, ``"ps.0"``) and optimizers see them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dualgrad._tensor import Tensor
from dualgrad.nn.modules import Module, _abs_index
from dualgrad.nn.parameter import Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


def _update_from(container: Any, values: Any, sort_plain_dicts: bool) -> None:
    """PyTorch's ``ModuleDict.update`` / ``ParameterDict.update``: a mapping's items, or an
    iterable of key-value pairs, set one by one with ``container[key] = value``.

    ``ParameterDict`` takes a plain ``dict`` in sorted key order (``sort_plain_dicts``), as
    PyTorch does; an ``OrderedDict`` or a container keeps its order.
    """
    kind = type(container).__name__
    if not isinstance(values, Iterable):
        what = "ParametersDict" if kind == "ParameterDict" else kind
        raise TypeError(f"{what}.update should be called with an iterable of key/value "
                        f"pairs, but got {type(values).__name__}")
    if isinstance(values, (OrderedDict, type(container))) or (
            isinstance(values, Mapping) and not sort_plain_dicts):
        items: Iterable = values.items()
    elif isinstance(values, Mapping):
        items = sorted(values.items())
    else:
        items = []
        for j, pair in enumerate(values):
            if not isinstance(pair, Iterable):
                raise TypeError(f"{kind} update sequence element #{j} should be Iterable; "
                                f"is{type(pair).__name__}")
            if len(pair) != 2:
                raise ValueError(f"{kind} update sequence element #{j} has length "
                                 f"{len(pair)}; 2 is required")
            items.append(pair)
    for key, value in items:
        container[key] = value


def _entry_line(key: Any, value: Any, type_text: str) -> str:
    """One line of a parameter container's repr: ``  (w): Parameter containing: [...]``."""
    if isinstance(value, Tensor):
        size = "x".join(str(s) for s in value.shape)
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        return f"  ({key}): {kind} containing: [{type_text} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


def _as_parameter(value: Any) -> Any:
    """A tensor that is not a Parameter becomes one (sharing its memory), as in PyTorch."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ModuleDict(Module):
    """Modules by name, registered as children (in insertion order).

    Examples
    --------
    >>> import dualgrad as dg
    >>> from dualgrad import nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "act": nn.ReLU()})
    >>> list(heads.state_dict())
    ['cls.weight', 'cls.bias']
    >>> heads["act"]
    ReLU()
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            del self[key]

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Iterable[str]:
        """The names."""
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(name, module)`` pairs."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules."""
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or an iterable of ``(name, module)``
        pairs, in their order."""
        _update_from(self, modules, sort_plain_dicts=False)


class ParameterList(Module):
    """A list of parameters, registered under their indices (``"0"``, ``"1"``, ...). A tensor
    that is not a ``Parameter`` is made one; other values are kept as they are.

    Examples
    --------
    >>> import dualgrad as dg
    >>> ps = dg.nn.ParameterList([dg.nn.Parameter(dg.ones(2)), dg.zeros(3)])
    >>> ps
    ParameterList(
        (0): Parameter containing: [torch.float32 of size 2]
        (1): Parameter containing: [torch.float32 of size 3]
    )
    >>> list(ps.state_dict())
    ['0', '1']
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.__dict__["_size"] = 0
        if values is not None:
            self += values

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(self[i] for i in range(*idx.indices(len(self))))
        return getattr(self, str(_abs_index(idx, self._size)))

    def __setitem__(self, idx: int, param: Any) -> None:
        setattr(self, str(_abs_index(idx, self._size)), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter([self[i] for i in range(len(self))])

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end; returns the list."""
        self.__dict__["_size"] += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add each of ``values`` at the end; returns the list."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(k, p, str(p.dtype) if isinstance(p, Tensor) else "")
                         for k, p in enumerate(self))


class ParameterDict(Module):
    """Parameters by name. A tensor that is not a ``Parameter`` is made one; a plain ``dict``
    is taken in sorted key order, an ``OrderedDict`` in its own (as in PyTorch).

    Examples
    --------
    >>> import dualgrad as dg
    >>> ps = dg.nn.ParameterDict({"w": dg.ones(2), "b": dg.zeros(2)})
    >>> list(ps.state_dict())
    ['b', 'w']
    >>> ps
    ParameterDict(
        (b): Parameter containing: [torch.FloatTensor of size 2]
        (w): Parameter containing: [torch.FloatTensor of size 2]
    )
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self.__dict__["_keys"] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}'). Open an issue on "
                            "github if you need non-string keys.")
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._key(key))

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = None
        setattr(self, self._key(key), _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        """The names."""
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, parameter)`` pairs."""
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator[Any]:
        """The parameters."""
        return (self[k] for k in self._keys)

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``, else ``default``."""
        return self[key] if key in self else default

    def pop(self, key: str) -> Any:
        """Remove the parameter under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        """Remove every parameter."""
        for key in list(self._keys):
            del self[key]

    def update(self, parameters: Any) -> None:
        """Add (or replace) parameters from a mapping or an iterable of ``(name, value)``
        pairs."""
        _update_from(self, parameters, sort_plain_dicts=True)

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(k, p, p.type() if isinstance(p, Tensor) else "")
                         for k, p in self.items())
