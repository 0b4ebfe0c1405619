"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``step``/``zero_grad``,
``state_dict``/``load_state_dict``, and ``apply_gradients`` for tape users.

The shape follows PyTorch's ``torch/optim/optimizer.py``. Each optimizer supplies one private
function ``_update(param, grad, states, key, group)`` that works on NumPy arrays *in place*;
both ``step()`` (which reads ``.grad``) and ``apply_gradients()`` (which takes gradients from
a ``GradientTape``) call it, so the two API styles follow the same trajectory. It gets the
whole per-parameter ``states`` dict and the parameter ``key`` rather than ``states[key]``, so
that an update without state (SGD without momentum) leaves no empty entry, as in PyTorch.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dualgrad import _grad_mode
from dualgrad._tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must set (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

UpdateFn = Callable[[np.ndarray, np.ndarray, dict, Any, dict], None]


class Optimizer:
    """Base class of the optimizers: holds parameter groups and per-parameter state.

    Parameters
    ----------
    params:
        An iterable of tensors, of ``(name, tensor)`` pairs (as ``named_parameters()`` gives),
        or of dicts, each a parameter group ``{"params": [...], "lr": ..., ...}`` whose options
        override ``defaults``.
    defaults:
        The options of every group that does not set them.

    Attributes
    ----------
    param_groups : list of dict
        The groups, each with a ``"params"`` list and every option.
    state : dict
        Per-parameter state (e.g. momentum buffers), keyed by the parameter tensor.
    defaults : dict
        The default options.

    Raises
    ------
    TypeError
        If ``params`` is a single tensor or a set, or holds something that is not a tensor.
    ValueError
        For an empty parameter list, a non-leaf tensor, a parameter in two groups, or a group
        missing a required option (PyTorch's texts).
    """

    _update: UpdateFn
    # Set by every step, for the learning-rate schedulers' check that optimizer.step() came
    # first. PyTorch wraps step() for it; a flag set inside step() costs less on the hot path.
    _opt_called = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None:
            return

        # A subclass's own step() may not call ours, so it is wrapped to set the flag too.
        @functools.wraps(step)
        def marked_step(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
            self._opt_called = True
            return step(self, *args, **kwargs)

        cls.step = marked_step  # type: ignore[method-assign]

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # --- groups ----------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. to unfreeze layers).

        Options the group does not set are taken from ``defaults``.

        Examples
        --------
        >>> import dualgrad as dg
        >>> w, b = dg.zeros(2, requires_grad=True), dg.zeros(1, requires_grad=True)
        >>> opt = dg.optim.SGD([w], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
        param_group["params"] = tensors
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__qualname__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information", UserWarning, stacklevel=3)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- the update ------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Parameters
        ----------
        set_to_none:
            Set ``.grad`` to None (the default, as PyTorch): the next ``backward`` then
            writes a fresh gradient and ``step()`` skips parameters that got none. With
            False the gradients are filled with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g._node is not None:
                        g.detach_()
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a ``.grad`` (the others are skipped).

        Parameters
        ----------
        closure:
            Optional function that re-evaluates the model and returns the loss; it runs with
            grad mode on, before the update.

        Returns
        -------
        The closure's loss, or None.
        """
        self._opt_called = True
        loss = None
        if closure is not None:
            with _grad_mode.enable_grad():
                loss = closure()
        update = self._update
        state = self.state
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                # In place on the parameter's array (its version moves on, so anything saved
                # for backward notices; a tf.Variable keeps recorded reads as they were).
                update(p._storage_for_write(), g._data, state, p, group)
        return loss

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> None:
        """Apply gradients computed elsewhere (e.g. by ``GradientTape.gradient``).

        The same update as ``step()``, with each gradient given explicitly instead of read
        from ``.grad``; pairs whose gradient is None are skipped. Each variable must belong
        to one of this optimizer's parameter groups.

        Parameters
        ----------
        grads_and_vars:
            ``(gradient, variable)`` pairs, e.g. ``zip(grads, variables)``.

        Raises
        ------
        ValueError
            If a variable is not optimized by this optimizer, if a gradient's shape differs
            from its variable's, or if every gradient is None.

        Examples
        --------
        >>> import dualgrad as dg
        >>> w = dg.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = dg.optim.SGD([w], lr=0.5)
        >>> opt.apply_gradients([(dg.tensor([1.0, 1.0]), w)])
        >>> w
        tensor([0.5000, 1.5000], requires_grad=True)
        """
        pairs = list(grads_and_vars)
        if pairs and all(g is None for g, _ in pairs):
            raise ValueError("No gradients provided for any variable: "
                             f"{[_var_name(v, i) for i, (_, v) in enumerate(pairs)]}.")
        owner = {id(p): g for g in self.param_groups for p in g["params"]}
        self._opt_called = True
        with _grad_mode.no_grad():
            for g, v in pairs:
                if g is None:
                    continue
                group = owner.get(id(v))
                if group is None:
                    raise ValueError("apply_gradients got a variable that is not in any "
                                     "parameter group of this optimizer: "
                                     f"{_var_name(v, None)} of shape {tuple(v.shape)}")
                garr = g._data if isinstance(g, Tensor) else np.asarray(g)
                if garr.shape != v._data.shape:
                    raise ValueError(f"gradient of shape {garr.shape} does not match its "
                                     f"variable's shape {v._data.shape}")
                self._update(v._storage_for_write(), garr, self.state, v, group)

    # --- saving ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict: ``{"state": {...}, "param_groups": [...]}``.

        Parameters are replaced by their index in order of appearance across the groups, as
        PyTorch does, so the dict can be saved with :func:`dualgrad.save` and loaded into an
        optimizer over a fresh model of the same shape.

        Examples
        --------
        >>> import dualgrad as dg
        >>> w = dg.zeros(2, requires_grad=True)
        >>> dg.optim.SGD([w], lr=0.1, momentum=0.9).state_dict()["param_groups"][0]["params"]
        [0]
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load state saved by :meth:`state_dict` (options, buffers, step counts).

        Everything is checked before anything changes, so a mismatched dict leaves the
        optimizer as it was.

        Raises
        ------
        ValueError
            If the number of groups or of parameters per group differs (PyTorch's texts),
            or a saved buffer's shape differs from its parameter's.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for p, i in zip(g["params"], s["params"]):
                id_map[i] = p
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in id_map:
                continue
            p = id_map[key]
            entry = {}
            for name, item in value.items():
                if isinstance(item, (Tensor, np.ndarray)):
                    arr = item._data if isinstance(item, Tensor) else item
                    # Scalars (step counts) keep their own dtype; buffers follow the parameter.
                    if arr.ndim == 0:
                        entry[name] = Tensor._make(np.array(arr))
                        continue
                    if arr.shape != p._data.shape:
                        raise ValueError(
                            f"loaded state for parameter {key} has '{name}' of shape "
                            f"{arr.shape}, but the parameter has shape {p._data.shape}")
                    entry[name] = Tensor._make(np.array(arr, dtype=p._data.dtype))
                else:
                    entry[name] = copy.deepcopy(item)
            new_state[p] = entry
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
        self.state = new_state
        self.param_groups[:] = saved_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        # PyTorch's layout: each group after a newline, so groups are one blank line apart;
        # every option but "params" (param_names too) in sorted order.
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group)
                            if key != "params")
        return text + ")"


def _var_name(v: Any, i: int | None) -> str:
    name = getattr(v, "name", None)
    if isinstance(name, str):
        return name
    return f"variable {i}" if i is not None else "an unnamed variable"


def buffer(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """The array of state tensor ``key``, created as zeros shaped like ``like`` if missing."""
    t = state.get(key)
    if t is None:
        t = state[key] = Tensor._make(np.zeros_like(like))
    return t._data


def next_step(state: dict[str, Any]) -> float:
    """Count one more step in ``state["step"]`` (a float32 0-d tensor, created at 0 if missing,
    as PyTorch's) and return the new count."""
    t = state.get("step")
    if t is None:
        t = state["step"] = Tensor._make(np.zeros((), np.float32))
    t._data += 1
    return float(t._data)
