"""``Tensor``: the user-facing value. Operators and methods call registered ops; no derivative
math and no graph walking live here (that is the registry's and the engine's job).

The methods stay on the class (the API reference is generated from their docstrings), grouped
by section; what they delegate to lives elsewhere: the ops in ``ops/``, NumPy's
``__array_ufunc__``/``__array_function__`` in ``_dispatch``, the in-place machinery in
``_inplace``, printing in ``_printing``."""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualgrad import _dispatch, _dtypes, _engine, _grad_mode, _registry
from dualgrad import _inplace as _inplace_mod
from dualgrad._device import Size, check_device, device
from dualgrad._dtypes import float32 as _float32
from dualgrad._dtypes import float64 as _float64
from dualgrad._dtypes import scalar_operand
from dualgrad._node import Node
from dualgrad._registry import NO_PARAMS, Op
from dualgrad.ops import elementwise as E
from dualgrad.ops import linalg as L
from dualgrad.ops import nn as N
from dualgrad.ops import reduce as R
from dualgrad.ops import shape as S

__all__ = ["Tensor", "apply", "as_tensor_arg", "from_data"]

_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more informations."
)
_WARN_T_ND = ("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
              "deprecated and it will throw an error in a future release. Consider `x.mT` to "
              "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
              "to reverse the dimensions of a tensor.")
_WARN_T_0D = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
_ERR_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution.")
_ERR_INT_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
_ERR_DEEPCOPY = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
    "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
_ERR_NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"


apply = _engine.apply
apply_number = _engine.apply_number
_new = object.__new__


def _plain(x: Any) -> Any:
    """A Tensor's array, anything else as it is."""
    return x._data if isinstance(x, Tensor) else x


def _rebuild_tensor(cls: type, data: np.ndarray, requires_grad: bool) -> Tensor:
    """Unpickling (``Tensor.__reduce_ex__``): a leaf of class ``cls`` holding ``data``."""
    t = cls._make(data)
    if requires_grad:
        t._requires_grad = True
    return t
_registry._apply = apply


def _binary(op: Op, x: Any, y: Any, params: dict = NO_PARAMS) -> Tensor:
    """Apply a binary op after PyTorch's type promotion (NumPy's differs for mixed kinds)."""
    if isinstance(y, Tensor):
        if x._data.dtype is not y._data.dtype and x._data.dtype != y._data.dtype:
            x, y = _promote_pair(x, y)
    elif isinstance(y, float):
        if type(y) is not float:  # np.float64 is a float: a scalar never upcasts a tensor
            y = float(y)
        if x._data.dtype.kind in "biu":
            x = x.to(_dtypes.default_float)
        if x._data.dtype.kind == "f":
            y = scalar_operand(y, x._data.dtype)
    elif isinstance(y, np.ndarray):
        # PyTorch leaves ``t * ndarray`` to NumPy (the array's reflected operator, on
        # ``t.numpy()``), so NumPy's promotion decides: float32 * int64 array is float64.
        y = from_data(y)
        target = np.result_type(x._data.dtype, y._data.dtype)
        if x._data.dtype != target:
            x = x.to(target)
        if y._data.dtype != target:
            y = y.to(target)
    elif isinstance(y, np.generic):
        # NumPy scalars promote as the Python scalars they hold, as in PyTorch.
        return _binary(op, x, _numpy_scalar(y), params)
    elif not isinstance(y, (int, complex)):
        return NotImplemented
    try:
        return apply(op, (x, y), params)
    except ValueError:
        if isinstance(y, Tensor):
            err = _broadcast_error(x._data.shape, y._data.shape)
            if err is not None:
                raise err from None
        raise
    except TypeError:
        _refuse_bool_sub(op, x)
        raise


def _refuse_bool_sub(op: Op, x: Tensor) -> None:
    """PyTorch's error in place of NumPy's TypeError for ``bool - bool``."""
    if op is E.sub and x._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")


def _numpy_scalar(value: np.generic) -> Any:
    """The Python number a NumPy scalar stands for in PyTorch's promotion: its value, except
    that PyTorch takes a NumPy bool for a float (``int_tensor + np.True_`` is float32)."""
    return float(value) if isinstance(value, np.bool_) else value.item()


def _with_number(x: Tensor, number: Any) -> Tensor:
    """``x`` in the dtype PyTorch gives ``x`` with a Python number operand."""
    data = x._data
    dtype = _dtypes.result_dtype([data.dtype] if data.ndim else [],
                                 [] if data.ndim else [data.dtype], [number])
    return x if dtype == data.dtype else x.to(dtype)


def _rbinary(op: Op, x: Tensor, number: Any) -> Tensor:
    """``number (op) x`` for a Python or NumPy number, by ``op``, the reflected op that takes
    the tensor first (``rremainder``): PyTorch's promotion, then the number as a 0-d array of
    the result dtype."""
    if isinstance(number, np.generic):
        number = _numpy_scalar(number)
    if not isinstance(number, (int, float)):
        return NotImplemented
    x = _with_number(x, number)
    return apply(op, (x, np.asarray(number, x._data.dtype)), NO_PARAMS)


def _binary_method(op: Op) -> Callable[[Tensor, Any], Tensor]:
    """An operator method (``__mul__``) applying ``op``: the common cases (a Tensor of the same
    dtype, a Python float with a floating tensor, a Python int) go straight to ``apply``; the
    rest (and any error) is handled by ``_binary``. A number goes to ``apply_number``, which
    takes only elementwise arithmetic ops."""
    if not _engine.takes_numbers(op):
        raise ValueError(f"{op.name}: apply_number cannot apply it")

    def method(self: Tensor, other: Any) -> Tensor:
        cls = other.__class__
        operand = other
        if cls is Tensor:
            if self._data.dtype is not other._data.dtype:
                return _binary(op, self, other)
        elif cls is float or cls is int:
            dtype = self._data.dtype
            # (identity first: NumPy's dtype.kind is a slow attribute)
            if dtype is _float32 or dtype is _float64 or dtype.kind == "f":
                return apply_number(op, self, scalar_operand(other, dtype))
            if cls is float:
                return _binary(op, self, other)
        else:
            return _binary(op, self, other)
        try:
            return apply(op, (self, operand), NO_PARAMS)
        except ValueError:
            # _binary raises PyTorch's error for shapes that do not broadcast
            return _binary(op, self, other)
        except TypeError:
            _refuse_bool_sub(op, self)
            raise

    return method


def _float_unary(op: Op) -> Callable[[Callable], Callable[[Tensor], Tensor]]:
    """Decorator: the method becomes ``op`` applied elementwise, integer tensors converted to
    the default float dtype first, as PyTorch does. The decorated function gives the name and
    docstring. ``op`` is kept as ``method.op`` for the module functions of ``_functions``,
    which call ``apply`` themselves."""

    def decorate(declared: Callable) -> Callable[[Tensor], Tensor]:
        def method(self: Tensor) -> Tensor:
            dtype = self._data.dtype
            is_float = dtype is _float32 or dtype is _float64 or dtype.kind in "fc"
            return apply(op, (self if is_float else self.float(),), NO_PARAMS)

        functools.update_wrapper(method, declared)
        method.op = op  # type: ignore[attr-defined]
        return method

    return decorate


def _dim(t: Tensor, dim: Any, extra: int = 0) -> int:
    """``dim`` of ``t`` as a non-negative int, checked as PyTorch checks it (``extra`` = 1 for
    ops that add a dimension, like ``unsqueeze``)."""
    span = max(t._data.ndim + extra, 1)
    if not -span <= dim < span:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, "
                         f"{span - 1}], but got {dim})")
    return int(dim) % span


def _resolve_shape(t: Tensor, shape: tuple) -> tuple:
    """``shape`` with its -1 resolved for ``t``, or PyTorch's error."""
    for i, size in enumerate(shape):
        if size < -1:
            raise RuntimeError(f"invalid shape dimension {size} at index {i} of shape "
                               f"{list(shape)}")
    if sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    try:
        # Validated against a zero-strided array: no data is touched.
        return np.broadcast_to(np.empty((), dtype=bool), t._data.shape).reshape(shape).shape
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size "
                           f"{t._data.size}") from None


def _index_error(error: IndexError, t: Tensor) -> IndexError:
    """NumPy's indexing error in PyTorch's words."""
    if not t._data.ndim:
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                          "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    text = str(error)
    if text.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {t._data.ndim}")
    if text.startswith("arrays used as indices must be of integer"):
        return IndexError("tensors used as indices must be long, int, byte or bool tensors")
    mask = _MASK_MISMATCH.match(text)
    if mask is not None:
        axis, size, mask_size = mask.groups()
        return IndexError(f"The shape of the mask [{mask_size}] at index {axis} does not match "
                          f"the shape of the indexed tensor [{size}] at index {axis}")
    return IndexError(text.replace(" for axis ", " for dimension "))


# NumPy's text for a boolean index of the wrong length
_MASK_MISMATCH = re.compile(r"boolean index did not match indexed array along (?:axis|dimension)"
                            r" (\d+); size of (?:axis|dimension) is (\d+) but size of "
                            r"corresponding boolean (?:axis|dimension) is (\d+)")


def _check_index_range(idx: np.ndarray, size: int,
                       error: Callable[[int, int], Exception]) -> None:
    """Raise ``error(first bad index, size)`` if an index is outside ``[0, size)``: PyTorch's
    gather and index_select take no negative indices, where NumPy would wrap them."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.reshape(-1)[np.flatnonzero((idx.reshape(-1) < 0) | (idx.reshape(-1) >= size))[0]]
        raise error(int(bad), size)


def _check_nonempty(t: Tensor, name: str, dim: Any, all_text: str = "") -> None:
    """PyTorch's errors for a max/min/argmax over nothing: over all of an empty tensor, or
    along a dimension of size 0."""
    shape = t._data.shape
    if dim is None:
        if not t._data.size:
            error = IndexError if name.startswith("arg") else RuntimeError
            raise error(f"{name}(): Expected reduction dim to be specified for input.numel() "
                        f"== 0.{all_text}")
    elif isinstance(dim, int) and shape and not shape[dim]:
        raise IndexError(f"{name}(): Expected reduction dim {dim % len(shape)} to have non-zero "
                         "size.")


_SPECIFY_DIM = " Specify the reduction dim with the 'dim' argument."


def check_fits(value: Any, dtype: np.dtype) -> None:
    """PyTorch's error for a finite Python number that a float16/float32 tensor cannot hold
    (``x.clamp(max=1e300)``, ``fill_``, ``masked_fill``, ``full``): NumPy would make it inf
    or ignore it."""
    name = L.C_TYPE_NAMES[dtype.name] if dtype.name in ("float16", "float32") else None
    if name is not None and isinstance(value, float) and abs(value) != float("inf") and (
            abs(value) > float(np.finfo(dtype).max)):
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _size_arg(size: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def not_implemented_for(kernel: str, dtype: np.dtype) -> NotImplementedError:
    """PyTorch's error for a kernel without a loop for ``dtype``:
    ``"softmax_lastdim_kernel_impl" not implemented for 'Long'``."""
    return NotImplementedError(f'"{kernel}" not implemented for '
                               f"'{_dtypes.torch_name(dtype)}'")


def _no_bool(t: Tensor, error: type, message: str) -> None:
    if t._data.dtype.kind == "b":
        raise error(message)


def _floating_only(t: Tensor, message: str) -> None:
    """PyTorch's error for an op defined on floating (and complex) tensors only."""
    if t._data.dtype.kind not in "fc":
        raise RuntimeError(message)


def _softmax_dtype_check(t: Tensor, name: str, dim: int) -> None:
    kind = t._data.dtype.kind
    if kind not in "fc":
        last = dim in (-1, t._data.ndim - 1)
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise not_implemented_for(kernel, t._data.dtype)


def _broadcast_error(a: tuple, b: tuple) -> RuntimeError | None:
    """PyTorch's error for shapes that do not broadcast (None if they do)."""
    ndim = max(len(a), len(b))
    for i in range(ndim - 1, -1, -1):  # PyTorch reports the last mismatching dimension
        off = ndim - 1 - i
        sa = a[len(a) - 1 - off] if off < len(a) else 1
        sb = b[len(b) - 1 - off] if off < len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b "
                                f"({sb}) at non-singleton dimension {i}")
    return None


def _raise_broadcast_error(*operands: Any) -> None:
    """PyTorch's error if ``operands`` do not broadcast together (their shapes taken in
    order, as its TensorIterator does)."""
    shape: tuple = ()
    for operand in operands:
        other = np.shape(_raw(operand))
        err = _broadcast_error(shape, other)
        if err is not None:
            raise err
        shape = np.broadcast_shapes(shape, other)


def expand_error(shape: tuple, sizes: tuple, dtype: np.dtype) -> RuntimeError | None:
    """PyTorch's error for expanding a tensor of ``shape`` to ``sizes`` (-1 keeps a
    dimension), or None if it expands."""
    lead = len(sizes) - len(shape)
    if lead < 0:
        return RuntimeError(
            f"expand(torch.{_dtypes.torch_name(dtype)}Tensor{{{list(shape)}}}, "
            f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
            f"greater or equal to the number of dimensions in the tensor ({len(shape)})")
    for i in range(lead):
        if sizes[i] == -1:
            return RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                f"leading, non-existing dimension {i}")
    for i in range(len(shape)):
        size = sizes[i + lead]
        if shape[i] != 1 and shape[i] != size and size != -1:
            return RuntimeError(
                f"The expanded size of the tensor ({size}) must match the "
                f"existing size ({shape[i]}) at non-singleton dimension {i + lead}.  "
                f"Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
    return None


def _promote_pair(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    dims, zeros = [], []
    for t in (x, y):
        (dims if t._data.ndim else zeros).append(t._data.dtype)
    target = _dtypes.result_dtype(dims, zeros)
    if x._data.dtype != target:
        x = x.to(target)
    if y._data.dtype != target:
        y = y.to(target)
    return x, y


def as_tensor_arg(value: Any) -> Any:
    """Leave tensors and Python numbers alone; make arrays and lists Tensors."""
    if isinstance(value, (Tensor, int, float, bool)):
        return value
    return from_data(value)


def from_data(data: Any) -> Tensor:
    """A Tensor for internal use, typed like ``dg.tensor``: an ndarray keeps its dtype, Python
    floats give the default float dtype, integers int64 (unlike the ``Tensor(...)`` class
    constructor, which always gives the default float dtype, as ``torch.Tensor`` does)."""
    if isinstance(data, Tensor):
        return data
    arr = np.asarray(data)
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray):
        arr = arr.astype(_dtypes.default_float)
    return Tensor._make(arr)


def _axis(t: Tensor, dim: Any) -> Any:
    """A reduction's ``dim`` as NumPy's ``axis``, checked as PyTorch checks it: a dimension
    outside ``[-ndim, ndim)`` raises PyTorch's IndexError; lists become tuples and an empty
    one means every dimension; a 0-d tensor takes dim 0 or -1 and reduces its one value."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    seen = set()
    for d in dims:
        d = _dim(t, d)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    if not dims or t._data.ndim == 0:
        return None
    return dims if isinstance(dim, (list, tuple)) else dim


class Tensor:
    """An n-dimensional array that records the operations done on it.

    Create tensors with :func:`dualgrad.tensor` and the other factories. A floating tensor
    created with ``requires_grad=True`` is a *leaf*: operations on it build a graph, and
    ``backward()`` on a result adds the gradient into the leaf's ``.grad``.

    Examples
    --------
    >>> import dualgrad as dg
    >>> x = dg.tensor(2.0, requires_grad=True)
    >>> y = 2 * x ** 4 + x ** 3 + 3 * x ** 2 + 5 * x + 1
    >>> y
    tensor(63., grad_fn=<AddBackward0>)
    >>> y.backward()
    >>> x.grad
    tensor(93.)
    """

    # ``_post_hooks`` is set by the factories (``_init``, ``_make``), not by ``apply``, which
    # makes non-leaves: read it with getattr.
    # ``_base``, ``_views`` and ``_no_grad_view`` are set only on views and on tensors that
    # have views (see ``_inplace.track_view``): read them with getattr.
    __slots__ = ("_data", "_node", "_requires_grad", "_grad", "_hooks", "_vc", "_post_hooks",
                 "_base", "_views", "_no_grad_view", "__weakref__")
    __array_priority__ = 1000
    # Tensors hash by identity (== is elementwise), as PyTorch's do.
    __hash__ = object.__hash__

    def __init__(self, *data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        """``torch.Tensor``'s constructor: the default float dtype (float32), whatever the data.

        ``Tensor([1, 2])`` is ``tensor([1., 2.])``; ``Tensor(2, 3)`` or ``Tensor(Size([2, 3]))``
        is a zero-filled tensor of that shape (PyTorch leaves it uninitialised); a Tensor is
        shared as it is. A NumPy array becomes float32 too, sharing its memory when it is
        float32 already, as in PyTorch (:func:`dualgrad.tensor` and
        :func:`dualgrad.from_numpy` keep its dtype). Unlike PyTorch, ``dtype=`` and
        ``requires_grad=`` are accepted.
        """
        dt = _dtypes.as_dtype(dtype) if dtype is not None else None
        first = data[0] if data else ()
        if len(data) > 1 or isinstance(first, Size) or (
                isinstance(first, (int, np.integer)) and not isinstance(first, bool)):
            shape = tuple(first) if len(data) == 1 and isinstance(first, Size) else data
            for pos, n in enumerate(shape):
                if not isinstance(n, (int, np.integer)):
                    raise TypeError(f"new(): argument 'size' failed to unpack the object at pos "
                                    f"{pos + 1} with error \"type must be tuple of ints,but got "
                                    f"{type(n).__name__}\"")
            arr = np.zeros(tuple(int(n) for n in shape), dtype=dt or _dtypes.default_float)
        elif isinstance(first, Tensor):
            arr = first._data if dt is None else first._data.astype(dt)
        else:
            arr = np.asarray(first, dtype=dt or _dtypes.default_float)
        self._init(arr, None)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data: np.ndarray, node: Any) -> None:
        self._data = data
        self._node = node
        self._requires_grad = False
        self._grad = None
        self._hooks = None
        self._vc = [0]
        self._post_hooks = None

    @classmethod
    def _make(cls, data: np.ndarray) -> Tensor:
        t = _new(cls)
        t._init(data, None)
        return t

    # --- autograd attributes ---------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """True if gradients flow to this tensor (a leaf that asked, or a recorded result)."""
        return self._requires_grad or self._node is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns ``self``.

        Raises
        ------
        RuntimeError
            For integer tensors, and for non-leaf tensors asked to stop requiring grad.
        """
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(_ERR_INT_GRAD)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The recorded node that produced this tensor (None for leaves)."""
        return self._node

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (leaves, or non-leaves after ``retain_grad()``)."""
        if self._node is not None and self._node.retained is None and self._grad is None:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
            if value.dtype != self.dtype:
                # A gradient of another dtype would be silently cast by the next accumulation.
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_dtypes.torch_name(value.dtype).lower()}' to a tensor with grad_dtype "
                    f"'{_dtypes.torch_name(self.dtype)}'. The gradient must match the tensor's "
                    "dtype.")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf on which ``retain_grad()`` was called."""
        return self._node is not None and self._node.retained is not None

    @property
    def _version(self) -> int:
        """How many in-place changes the tensor's memory has seen (shared with its views), as
        PyTorch's ``Tensor._version``."""
        return self._vc[0]

    def retain_grad(self) -> None:
        """Make ``backward()`` fill ``.grad`` of this non-leaf tensor too."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None:
            _engine.retain(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a new gradient to use instead. Returns a handle whose
        ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is not None:
            if self._node.pre_hooks is None:
                self._node.pre_hooks = {}
            hooks = self._node.pre_hooks
        else:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Call ``hook(tensor)`` after ``backward()`` has added into this leaf's ``.grad``.

        The hook reads (or changes) ``tensor.grad``; its return value is ignored. It runs for
        accumulating backward passes only (not ``autograd.grad`` or tapes). Returns a handle
        whose ``remove()`` unregisters it.

        Raises
        ------
        RuntimeError
            PyTorch's texts, for a tensor that does not require grad and for a non-leaf.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if getattr(self, "_post_hooks", None) is None:
            self._post_hooks = {}
        return _HookHandle(self._post_hooks, hook)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | Tensor | None = None
                 ) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Gradients are *added* into ``.grad`` of every leaf that requires grad.

        Parameters
        ----------
        gradient:
            The vector ``v`` of the vector-Jacobian product; required unless this tensor has
            a single element. Must have this tensor's shape.
        retain_graph:
            Keep the saved values so that backward can run through the graph again
            (defaults to ``create_graph``).
        create_graph:
            Record the backward pass, so the gradients are differentiable.
        inputs:
            Accumulate only into these tensors.

        Raises
        ------
        RuntimeError
            PyTorch's texts: for a tensor that does not require grad, for a non-scalar
            without ``gradient``, for a ``gradient`` of the wrong shape, for a second
            backward through freed values.
        """
        if gradient is None and inputs is None and not create_graph and self._node is not None:
            data = self._data
            if data.size == 1:
                # The training loop's ``loss.backward()``: seed with 1 and walk, without the
                # general argument handling of autograd.backward (same checks, same result).
                seed = np.array(1, dtype=data.dtype)
                if data.ndim:
                    seed = seed.reshape(data.shape)
                _engine.backward((self,), (seed,), retain_graph=bool(retain_graph))
                return
        from dualgrad.autograd import backward as _autograd_backward

        _autograd_backward(self, gradient, retain_graph=retain_graph,
                           create_graph=create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph (``requires_grad=False``)."""
        t = Tensor.__new__(Tensor)
        t._init(self._data, None)
        t._vc = self._vc
        return t

    def _storage_for_write(self) -> np.ndarray:
        # The array an in-place update (optimizer step, Variable.assign) writes into; its
        # version moves on, so that a node that saved the old value raises at backward.
        self._vc[0] += 1
        return self._data

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (not a view: use ``detach()`` there)."""
        if getattr(self, "_base", None) is not None:
            raise RuntimeError(_ERR_DETACH_VIEW)
        self._node = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph. It shares memory, like ``detach()``, but
        not the version counter: in-place changes through ``.data`` are not seen by autograd,
        as in PyTorch (a saved value changed that way gives a silently different gradient)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # --- array attributes ------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        """The shape, as ``Size`` (a tuple)."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension ``dim`` (PyTorch's IndexError when out of
        range)."""
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return shape[_dim(self, dim)]

    @property
    def dtype(self) -> _dtypes.TorchDType:
        """The dtype of the values, shown as PyTorch shows it (``torch.float32``); it
        compares equal to the NumPy dtype (``x.dtype == np.float32``)."""
        return _dtypes.torch_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def stride(self, dim: int | None = None) -> Any:
        """The steps in elements between neighbours along each dimension (a tuple), or along
        ``dim``: NumPy's byte strides divided by the element size."""
        size = self._data.itemsize
        strides = tuple(s // size for s in self._data.strides)
        if dim is None:
            return strides
        if not strides:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return strides[_dim(self, dim)]

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    @property
    def _version(self) -> int:
        """The number of in-place changes made to this tensor's memory (shared by its views),
        as PyTorch's ``_version``: backward checks it to find saved values changed in place."""
        return self._vc[0]

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    @property
    def device(self) -> device:
        """Always the CPU."""
        return device("cpu")

    @property
    def is_cuda(self) -> bool:
        """Always False: dualgrad computes on the CPU."""
        return False

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed (PyTorch records a permute:
        ``PermuteBackward0``). Other than on a matrix it warns, as PyTorch does."""
        ndim = self._data.ndim
        if ndim != 2:
            warnings.warn(_WARN_T_0D if ndim == 0 else _WARN_T_ND, UserWarning, stacklevel=2)
        return apply(S.permute, (self,), {"axes": tuple(reversed(range(ndim)))})

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped."""
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def is_floating_point(self) -> bool:
        """True for floating dtypes."""
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """True for complex dtypes."""
        return self._data.dtype.kind == "c"

    # --- conversions -----------------------------------------------------------------------

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory with the tensor."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if dtype is None and not copy:
            return self._data  # np.asarray(t): shares memory, as t.numpy() does
        # np.array(t) copies (copy=True) and np.array(t, dtype, copy=False) refuses to cast:
        # NumPy decides, with its own error.
        return np.array(self._data, dtype=dtype, copy=copy)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert dtype and/or device: ``t.to(torch.float64)``, ``t.to("cpu")``."""
        dtype = kwargs.pop("dtype", None)
        for a in list(args) + [kwargs.pop("device", None)]:
            if a is None:
                continue
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, device) or (isinstance(a, str) and a.split(":")[0] in
                                            ("cpu", "cuda", "mps", "xpu", "meta")):
                check_device(a)
            else:
                dtype = a
        if dtype is None:
            return self
        dtype = _dtypes.as_dtype(dtype)
        if dtype == self._data.dtype:
            return self
        if dtype.kind not in "fc":
            # An integer or bool result carries no gradient: no node, as in PyTorch.
            return Tensor._make(self._data.astype(dtype))
        return apply(E.cast, (self,), {"dtype": dtype})

    def astype(self, dtype: Any) -> Tensor:
        """NumPy spelling of ``to(dtype)``."""
        return self.to(dtype)

    def type(self, dtype: Any = None) -> Any:
        """The type name (``torch.FloatTensor``), or a converted tensor when given a dtype."""
        if dtype is None:
            name = _dtypes.torch_name(self._data.dtype)
            return f"torch.{name}Tensor" if name != str(self._data.dtype) else f"torch.{name}"
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """As ``other``'s dtype: ``self.to(other.dtype)``."""
        if not isinstance(other, Tensor):
            raise TypeError("type_as(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(other._data.dtype)

    def float(self) -> Tensor:
        """As float32."""
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        """As float64."""
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        """As float16."""
        return self.to(_dtypes.float16)

    def long(self) -> Tensor:
        """As int64."""
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        """As int32."""
        return self.to(_dtypes.int32)

    def bool(self) -> Tensor:
        """As bool."""
        return self.to(_dtypes.bool_)

    def cpu(self) -> Tensor:
        """This tensor (dualgrad computes on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Raises: there is no GPU in dualgrad."""
        check_device("cuda")
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph."""
        return apply(E.clone, (self,), {})

    def contiguous(self) -> Tensor:
        """This tensor if its elements are stored in row-major order, else a row-major copy
        (recorded as ``CloneBackward0``), as in PyTorch: a copy is not a view, so in-place
        changes of it do not reach this tensor."""
        if self._data.flags.c_contiguous:
            return self
        return apply(E.clone, (self,), {"order": "C"})

    def is_contiguous(self) -> bool:
        """True if the elements are stored in row-major (C) order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        # As in PyTorch, iterating unbinds dimension 0 (UnbindBackward0 pieces).
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'no values' if not self._data.size else 'more than one value'}"
                               " is ambiguous")
        return bool(self._data)

    def __contains__(self, element: Any) -> bool:
        """``x in t``: whether any element of ``t`` equals ``x`` (a number or a tensor,
        compared elementwise with broadcasting), as in PyTorch."""
        if isinstance(element, (Tensor, int, float, complex, np.number, np.bool_)):
            return bool(np.any(self._data == _plain(element)))
        raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you passed "
                           f"in a {type(element)}.")

    def __deepcopy__(self, memo: dict) -> Tensor:
        """``copy.deepcopy``: a new leaf with copied values, ``requires_grad`` and ``grad``
        (and the ``__dict__`` of a subclass). As in PyTorch, only leaves can be copied."""
        if self._node is not None:
            raise RuntimeError(_ERR_DEEPCOPY)
        new = type(self)._make(self._data.copy())
        memo[id(self)] = new
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        if getattr(self, "__dict__", None):
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce_ex__(self, protocol: Any) -> Any:
        """``pickle`` (and ``copy.copy``): the values, dtype and ``requires_grad``, rebuilt as
        a leaf, as PyTorch pickles a tensor (a non-leaf too; no graph, no ``grad``)."""
        state = self.__dict__ if getattr(self, "__dict__", None) else None
        return (_rebuild_tensor, (type(self), self._data, self.requires_grad), state)

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self.requires_grad:
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        return float(self.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __repr__(self) -> str:
        from dualgrad._printing import format_torch

        return format_torch(
            self._data,
            requires_grad=self._requires_grad and self._node is None,
            grad_fn_name=self._node.op.grad_fn_name if self._node is not None else None,
        )

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # PyTorch's: a 0-d Tensor formats as its number (f"loss {loss}" prints "loss 2.5"),
        # anything else as str() and only without a format spec.
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}"
                            ".__format__")
        return str(self)

    # --- NumPy protocols -------------------------------------------------------------------

    __array_ufunc__ = _dispatch.array_ufunc
    __array_function__ = _dispatch.array_function

    # --- arithmetic ------------------------------------------------------------------------

    __add__ = __radd__ = _binary_method(E.add)
    __sub__ = _binary_method(E.sub)
    __rsub__ = _binary_method(E.rsub)
    __mul__ = __rmul__ = _binary_method(E.mul)

    def __truediv__(self, other: Any) -> Tensor:
        if self._data.dtype.kind in "biu" and (
                not isinstance(other, Tensor) or other._data.dtype.kind in "biu") and \
                not isinstance(other, float):
            return self.float() / (other.float() if isinstance(other, Tensor) else other)
        return _binary(E.div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other / self
        # PyTorch records ``9 / x`` as ``x.reciprocal() * 9``.
        x = self if self._data.dtype.kind in "fc" else self.float()
        return _binary(E.mul, apply(E.reciprocal, (x,), {}), other)

    def __neg__(self) -> Tensor:
        return self.neg()

    def neg(self) -> Tensor:
        """``-self``, elementwise."""
        if self._data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return apply(E.neg, (self,), {})

    negative = neg

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, (Tensor, np.ndarray)):
            return _binary(E.pow_tensor, self, exponent)
        if isinstance(exponent, np.generic):  # promotes as the Python scalar it holds
            exponent = exponent.item()
        if isinstance(exponent, float) and self._data.dtype.kind in "biu":
            return self.float() ** exponent
        if isinstance(exponent, int) and exponent < 0 and self._data.dtype.kind in "biu":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return apply(E.pow_scalar, (self, exponent), {})

    def __rpow__(self, base: Any) -> Tensor:
        x = self if self._data.dtype.kind in "fc" or not isinstance(base, float) else self.float()
        return apply(E.rpow, (x, base), {})

    def __matmul__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float, complex)):
            return NotImplemented  # Python's TypeError, as PyTorch gives
        return L.matmul_any(self, as_tensor_arg(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float, complex)):
            return NotImplemented
        return L.matmul_any(as_tensor_arg(other), self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _binary(E.floor_divide, self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _rbinary(E.rfloor_divide, self, other)

    def __mod__(self, other: Any) -> Tensor:
        op = E.remainder if isinstance(other, (Tensor, np.ndarray)) else E.remainder_scalar
        return _binary(op, self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _rbinary(E.rremainder, self, other)

    def floor_divide(self, other: Any) -> Tensor:
        """``self // other``, rounded down (not differentiable, as in PyTorch).

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([7, -7]).floor_divide(2)
        tensor([ 3, -4])
        """
        return self // other

    def remainder(self, other: Any) -> Tensor:
        """``self % other``: the remainder with the sign of the divisor, as Python's ``%``
        (``torch.remainder``). Differentiable: 1 for ``self``, ``-floor(self / other)`` for
        ``other``.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([7.5, -7.5]).remainder(2)
        tensor([1.5000, 0.5000])
        """
        return self % other

    def fmod(self, other: Any) -> Tensor:
        """C's remainder, with the sign of ``self`` (``torch.fmod``). Differentiable: 1 for
        ``self``, ``-trunc(self / other)`` for ``other``.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([7.5, -7.5]).fmod(2)
        tensor([ 1.5000, -1.5000])
        """
        op = E.fmod if isinstance(other, (Tensor, np.ndarray)) else E.fmod_scalar
        return _binary(op, self, other)

    # comparisons give bool tensors outside the graph
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _binary(E.eq, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _binary(E.ne, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _binary(E.lt, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _binary(E.le, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _binary(E.gt, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _binary(E.ge, self, other)

    # bitwise on integers, logical on bools (the same NumPy functions), refused on floats
    def __and__(self, other: Any) -> Tensor:
        return _binary(E.bitwise_and, self, other)

    def __or__(self, other: Any) -> Tensor:
        return _binary(E.bitwise_or, self, other)

    def __xor__(self, other: Any) -> Tensor:
        return _binary(E.bitwise_xor, self, other)

    __rand__ = bitwise_and = __and__
    __ror__ = bitwise_or = __or__
    __rxor__ = bitwise_xor = __xor__

    def __invert__(self) -> Tensor:
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
        return apply(E.bitwise_not, (self,), NO_PARAMS)

    def bitwise_not(self) -> Tensor:
        """``~self``: bitwise NOT of an integer tensor, logical NOT of a bool tensor."""
        return apply(E.bitwise_not, (self,), NO_PARAMS)

    def logical_and(self, other: Any) -> Tensor:
        """Elementwise AND of the truth values (nonzero is True), as a bool tensor."""
        return _binary(E.logical_and, self, other)

    def logical_or(self, other: Any) -> Tensor:
        """Elementwise OR of the truth values (nonzero is True), as a bool tensor."""
        return _binary(E.logical_or, self, other)

    def logical_xor(self, other: Any) -> Tensor:
        """Elementwise XOR of the truth values (nonzero is True), as a bool tensor."""
        return _binary(E.logical_xor, self, other)

    def logical_not(self) -> Tensor:
        """Elementwise NOT of the truth values (nonzero is True), as a bool tensor."""
        return apply(E.logical_not, (self,), NO_PARAMS)

    def eq(self, other: Any) -> Tensor:
        """Elementwise ``==``."""
        return self == other

    def ne(self, other: Any) -> Tensor:
        """Elementwise ``!=``."""
        return self != other

    def lt(self, other: Any) -> Tensor:
        """Elementwise ``<``."""
        return self < other

    def le(self, other: Any) -> Tensor:
        """Elementwise ``<=``."""
        return self <= other

    def gt(self, other: Any) -> Tensor:
        """Elementwise ``>``."""
        return self > other

    def ge(self, other: Any) -> Tensor:
        """Elementwise ``>=``."""
        return self >= other

    def equal(self, other: Tensor) -> bool:
        """True if both tensors have the same shape and values."""
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        """True if all values are close (``numpy.allclose``)."""
        return bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol))

    def isnan(self) -> Tensor:
        """Elementwise NaN test."""
        return apply(E.isnan, (self,), {})

    def isinf(self) -> Tensor:
        """Elementwise test for +-inf."""
        return apply(E.isinf, (self,), {})

    def isfinite(self) -> Tensor:
        """Elementwise test for finite values (not inf, not NaN)."""
        return apply(E.isfinite, (self,), {})

    def _rounded(self, op: Op) -> Tensor:
        if self._data.dtype.kind in "iub":  # integers are already whole: a copy, as PyTorch
            return Tensor._make(self._data.copy())
        return apply(op, (self,), {})

    def floor(self) -> Tensor:
        """Round down, elementwise (zero gradient)."""
        return self._rounded(E.floor)

    def ceil(self) -> Tensor:
        """Round up, elementwise (zero gradient)."""
        return self._rounded(E.ceil)

    def round(self, decimals: int = 0) -> Tensor:
        """Round to the nearest integer, halves to even, as ``torch.round`` (zero gradient);
        ``decimals`` rounds to that many decimal places."""
        if decimals and self._data.dtype.kind == "f":
            return apply(E.round_decimals, (self,), {"decimals": decimals})
        return self._rounded(E.round_)

    def trunc(self) -> Tensor:
        """Round toward zero, elementwise (zero gradient)."""
        return self._rounded(E.trunc)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether any element is nonzero (over ``dim``, or all): a bool tensor."""
        return Tensor._make(np.asarray(np.any(self._data, axis=_axis(self, dim),
                                              keepdims=keepdim)))

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether every element is nonzero (over ``dim``, or all): a bool tensor."""
        return Tensor._make(np.asarray(np.all(self._data, axis=_axis(self, dim),
                                              keepdims=keepdim)))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions (the rest zeroed)."""
        if self._data.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return apply(E.tril, (self,), {"diagonal": diagonal})

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions (the rest zeroed)."""
        if self._data.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return apply(E.triu, (self,), {"diagonal": diagonal})

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other: Any) -> Tensor:
        """``self * other``."""
        return self * other

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other``; with ``rounding_mode="floor"`` or ``"trunc"``, the quotient
        rounded down or toward zero, in the promoted dtype (integers stay integers), with a
        zero gradient, as in PyTorch."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        return _binary(E.div_rounding, self, other, {"rounding_mode": rounding_mode})

    multiply = mul
    divide = div
    subtract = sub

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``."""
        return self ** exponent

    def matmul(self, other: Any) -> Tensor:
        """Matrix product (1-D, 2-D and batched)."""
        return self @ other

    def mm(self, other: Tensor) -> Tensor:
        """Product of two matrices."""
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError("self must be a matrix" if self.ndim != 2 else
                               "mat2 must be a matrix")
        return self @ other

    def mv(self, other: Tensor) -> Tensor:
        """Matrix-vector product."""
        return self @ other

    def dot(self, other: Tensor) -> Tensor:
        """Inner product of two 1-D tensors."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D "
                               "tensors")
        return self @ other

    def outer(self, other: Tensor) -> Tensor:
        """Outer product of two 1-D tensors (promoted as ``*``: int and float32 give
        float32)."""
        x, y = self, as_tensor_arg(other)
        for name, t in (("self", x), ("vec2", y)):
            if np.ndim(_raw(t)) != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                                   f"{np.ndim(_raw(t))}-D")
        if x._data.dtype != y._data.dtype:
            x, y = _promote_pair(x, y)
        return apply(L.outer, (x, y), {})

    # --- elementwise functions -------------------------------------------------------------

    @_float_unary(E.exp)
    def exp(self) -> Tensor:
        """Elementwise ``e ** x``."""

    @_float_unary(E.exp2)
    def exp2(self) -> Tensor:
        """Elementwise ``2 ** x``."""

    @_float_unary(E.log2)
    def log2(self) -> Tensor:
        """Logarithm to base 2."""

    @_float_unary(E.log10)
    def log10(self) -> Tensor:
        """Logarithm to base 10."""

    @_float_unary(E.asin)
    def asin(self) -> Tensor:
        """Inverse sine (NaN outside [-1, 1])."""

    @_float_unary(E.acos)
    def acos(self) -> Tensor:
        """Inverse cosine (NaN outside [-1, 1])."""

    @_float_unary(E.atan)
    def atan(self) -> Tensor:
        """Inverse tangent."""

    @_float_unary(E.sinh)
    def sinh(self) -> Tensor:
        """Hyperbolic sine."""

    @_float_unary(E.cosh)
    def cosh(self) -> Tensor:
        """Hyperbolic cosine."""

    @_float_unary(E.asinh)
    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine."""

    @_float_unary(E.acosh)
    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine (NaN below 1)."""

    @_float_unary(E.atanh)
    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent (NaN outside [-1, 1])."""

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other: Tensor) -> Tensor:
        """Elementwise ``atan(self / other)`` in the quadrant of the point ``(other, self)``,
        in ``(-pi, pi]``; the dtypes promote as for ``+``, integers giving the default float
        dtype (``Atan2Backward0``)."""
        if not isinstance(other, Tensor):
            raise TypeError("atan2(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        x, y = (self, other) if self._data.dtype == other._data.dtype else _promote_pair(
            self, other)
        if x._data.dtype.kind not in "fc":
            x, y = x.to(_dtypes.default_float), y.to(_dtypes.default_float)
        return apply(E.atan2, (x, y), NO_PARAMS)

    arctan2 = atan2

    @_float_unary(E.expm1)
    def expm1(self) -> Tensor:
        """Elementwise ``exp(x) - 1``, accurate near 0."""

    @_float_unary(E.log)
    def log(self) -> Tensor:
        """Natural logarithm."""

    @_float_unary(E.log1p)
    def log1p(self) -> Tensor:
        """``log(1 + x)``, accurate near 0."""

    @_float_unary(E.sqrt)
    def sqrt(self) -> Tensor:
        """Square root."""

    @_float_unary(E.rsqrt)
    def rsqrt(self) -> Tensor:
        """``1 / sqrt(x)``."""

    def square(self) -> Tensor:
        """``x * x`` (recorded as ``PowBackward0``, as PyTorch)."""
        x = self.long() if self._data.dtype.kind == "b" else self  # as PyTorch: int64
        return apply(E.square, (x,), {})

    @_float_unary(E.reciprocal)
    def reciprocal(self) -> Tensor:
        """``1 / x``."""

    def abs(self) -> Tensor:
        """Absolute value (gradient ``sign(x)``, 0 at 0)."""
        if self._data.dtype.kind == "b":
            raise not_implemented_for("abs_cpu", self._data.dtype)
        return apply(E.abs_, (self,), {})

    @_float_unary(E.sin)
    def sin(self) -> Tensor:
        """Sine."""

    @_float_unary(E.cos)
    def cos(self) -> Tensor:
        """Cosine."""

    @_float_unary(E.tan)
    def tan(self) -> Tensor:
        """Tangent."""

    @_float_unary(E.tanh)
    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""

    @_float_unary(E.sigmoid)
    def sigmoid(self) -> Tensor:
        """Logistic sigmoid ``1 / (1 + exp(-x))``."""

    def relu(self) -> Tensor:
        """``max(x, 0)``."""
        _no_bool(self, RuntimeError, "Boolean inputs not supported for relu")
        return apply(E.relu, (self,), {})

    @_float_unary(E.erf)
    def erf(self) -> Tensor:
        """The error function."""

    def sign(self) -> Tensor:
        """Sign (-1, 0, 1); its gradient is zero. Booleans are their own sign."""
        if self._data.dtype.kind == "b":
            return Tensor._make(self._data.copy())
        return apply(E.sign, (self,), {})

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit the values to ``[min, max]``."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            dtype, bounds = self._clamp_bounds(min, max)
            x = self if self._data.dtype == dtype else self.to(dtype)
            return apply(E.clamp_tensor, (x, *bounds), {})
        kind = self._data.dtype.kind
        if kind == "b" or (kind in "iu" and (isinstance(min, float) or isinstance(max, float))):
            # PyTorch promotes: an int tensor with a float bound gives float32, a bool
            # tensor with number bounds their type.
            dtype = _dtypes.result_dtype([], [self._data.dtype],
                                         [b for b in (min, max) if b is not None])
            if dtype != self._data.dtype:
                return self.to(dtype).clamp(min, max)
        check_fits(min, self._data.dtype)
        check_fits(max, self._data.dtype)
        return apply(E.clamp, (self,), {"min": min, "max": max})

    clip = clamp

    def _clamp_bounds(self, min: Any, max: Any) -> tuple[np.dtype, tuple]:
        """The dtype PyTorch promotes ``self`` and bounds (at least one a tensor) to, and the
        bounds in it (None and numbers as they are)."""
        args = [self] + [None if b is None else as_tensor_arg(b) for b in (min, max)]
        tensors = [a for a in args if isinstance(a, Tensor)]
        dtype = _dtypes.result_dtype(
            [t._data.dtype for t in tensors if t._data.ndim],
            [t._data.dtype for t in tensors if not t._data.ndim],
            [a for a in args[1:] if a is not None and not isinstance(a, Tensor)])
        return dtype, tuple(a.to(dtype) if isinstance(a, Tensor) and a._data.dtype != dtype
                            else a for a in args[1:])

    def clamp_min(self, min: Any) -> Tensor:
        """Limit from below."""
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:
        """Limit from above."""
        return self.clamp(max=max)

    def maximum(self, other: Tensor) -> Tensor:
        """Elementwise maximum (ties share the gradient)."""
        return _binary(E.maximum, self, other)

    def minimum(self, other: Tensor) -> Tensor:
        """Elementwise minimum (ties share the gradient)."""
        return _binary(E.minimum, self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (promoted as PyTorch does:
        ``where(c, int_tensor, 0.5)`` is float32)."""
        x, other = self, as_tensor_arg(other)
        if isinstance(other, Tensor):
            if x._data.dtype != other._data.dtype:
                x, other = _promote_pair(x, other)
        else:
            x = _with_number(x, other)
        cond = _raw(condition)
        if cond.dtype != np.bool_:
            if cond.dtype != np.uint8:
                raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                                   f"tensor with dtype {_dtypes.torch_name(cond.dtype)}")
            warnings.warn("where received a uint8 condition tensor. This behavior is deprecated "
                          "and will be removed in a future version of PyTorch. Use a boolean "
                          "condition instead.", UserWarning, stacklevel=2)
            cond = cond.astype(bool)
        try:
            return apply(E.where, (cond, x, other), {})
        except ValueError:
            _raise_broadcast_error(cond, x, other)
            raise

    # --- reductions ------------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            axis: Any = None) -> Tensor:
        """Sum over all elements, or over ``dim``."""
        dim = axis if dim is None else dim
        x = _integers_as_long(self if dtype is None else self.to(dtype))
        if dim is None:
            return apply(R.sum_all, (x,), {"axis": None, "keepdims": keepdim})
        return apply(R.sum_dim, (x,), {"axis": _axis(x, dim), "keepdims": keepdim})

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Any = None) -> Tensor:
        """Mean over all elements, or over ``dim``."""
        dim = axis if dim is None else dim
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_dtypes.torch_name(x._data.dtype)}")
        if dim is None:
            return apply(R.mean_all, (x,), {"axis": None, "keepdims": keepdim})
        return apply(R.mean_dim, (x,), {"axis": _axis(x, dim), "keepdims": keepdim})

    def prod(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Product over all elements, or over ``dim`` (bools and integers as int64)."""
        x = _integers_as_long(self)
        if dim is None:
            return apply(R.prod_all, (x,), {"axis": None, "keepdims": keepdim})
        return apply(R.prod_dim, (x,), {"axis": _axis(x, dim), "keepdims": keepdim})

    def _extreme(self, which: str, dim: Any, keepdim: bool) -> Any:
        if not isinstance(dim, Tensor):
            _check_nonempty(self, which, _axis(self, dim), _SPECIFY_DIM)
        if dim is None:
            op = R.max_all if which == "max" else R.min_all
            return apply(op, (self,), {"axis": None, "keepdims": False})
        if isinstance(dim, Tensor):
            return self.maximum(dim) if which == "max" else self.minimum(dim)
        arg = np.argmax if which == "max" else np.argmin
        op = R.max_dim if which == "max" else R.min_dim
        _axis(self, dim)  # PyTorch's IndexError for a dim out of range
        if self._data.ndim == 0:  # its value, at index 0
            idx = np.zeros(1, dtype=np.int64)
            values = apply(op, (self.reshape(1), idx), {"axis": 0, "keepdims": False})
            indices = Tensor._make(np.asarray(0, dtype=np.int64))
        else:
            idx = np.expand_dims(arg(self._data, axis=dim), dim)
            values = apply(op, (self, idx), {"axis": dim, "keepdims": keepdim})
            indices = Tensor._make(idx if keepdim else np.squeeze(idx, axis=dim))
        from dualgrad import return_types

        return (return_types.max if which == "max" else return_types.min)(values, indices)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest value; with ``dim``, a named tuple ``(values, indices)``."""
        return self._extreme("max", dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest value; with ``dim``, a named tuple ``(values, indices)``."""
        return self._extreme("min", dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Largest values over ``dim`` (ties share the gradient)."""
        axis = _axis(self, dim)
        if axis is None:
            _check_nonempty(self, "amax", None, _SPECIFY_DIM)
        return apply(R.amax, (self,), {"axis": axis, "keepdims": keepdim})

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Smallest values over ``dim`` (ties share the gradient)."""
        axis = _axis(self, dim)
        if axis is None:
            _check_nonempty(self, "amin", None, _SPECIFY_DIM)
        return apply(R.amin, (self,), {"axis": axis, "keepdims": keepdim})

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest value (flattened when ``dim`` is None)."""
        axis = _axis(self, dim)
        _check_nonempty(self, "argmax", axis)
        return Tensor._make(np.asarray(np.argmax(self._data, axis=axis, keepdims=keepdim)))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest value (flattened when ``dim`` is None)."""
        axis = _axis(self, dim)
        _check_nonempty(self, "argmin", axis)
        return Tensor._make(np.asarray(np.argmin(self._data, axis=axis, keepdims=keepdim)))

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None) -> Tensor:
        """Variance (``correction=1`` by default: the unbiased estimate)."""
        corr = _correction(unbiased, correction)
        _floating_only(self, "std and var only support floating point and complex dtypes")
        return apply(R.var, (self,), {"axis": _axis(self, dim), "correction": corr,
                                      "keepdims": keepdim})

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None) -> Tensor:
        """Standard deviation (``correction=1`` by default)."""
        corr = _correction(unbiased, correction)
        _floating_only(self, "std and var only support floating point and complex dtypes")
        return apply(R.std, (self,), {"axis": _axis(self, dim), "correction": corr,
                                      "keepdims": keepdim})

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Vector p-norm (p = 1, 2, inf, or any positive number) over ``dim`` or all."""
        if p == "fro":
            p = 2
        _floating_only(self, "linalg.vector_norm: Expected a floating point or complex tensor "
                       f"as input. Got {_dtypes.torch_name(self._data.dtype)}")
        return apply(R.norm, (self,), {"ord": float(p) if p not in (1, 2) else p,
                                       "axis": _axis(self, dim), "keepdims": keepdim})

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``dim``, computed stably (integers as the default float
        dtype, as in PyTorch)."""
        x = self if self._data.dtype.kind in "fc" else self.to(_dtypes.default_float)
        return apply(R.logsumexp, (x,), {"axis": _axis(x, dim), "keepdims": keepdim})

    def cumsum(self, dim: int) -> Tensor:
        """Cumulative sum along ``dim`` (bools and integers as int64; float32 accumulated in
        float64, as PyTorch does on the CPU)."""
        return apply(R.cumsum, (_integers_as_long(self),), {"axis": _axis(self, dim)})

    def cumprod(self, dim: int) -> Tensor:
        """Cumulative product along ``dim`` (exact gradient where values are 0).

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x.cumprod(0)
        tensor([1., 2., 6.], grad_fn=<CumprodBackward0>)
        """
        return apply(R.cumprod, (_integers_as_long(self),), {"axis": _axis(self, dim)})

    def gather(self, dim: int, index: Any) -> Tensor:
        """Pick values along ``dim``: ``out[i][j] = self[i][index[i][j]]`` for ``dim=1``.

        ``index`` (int64 or int32) has as many dimensions as ``self``; along the other dimensions it
        may be shorter than ``self``. Repeated indices add up their gradients.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> x.gather(1, dg.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]], grad_fn=<GatherBackward0>)
        """
        idx = _raw(index)
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input "
                               "tensor")
        axis = dim % max(self._data.ndim, 1)
        _check_index_range(idx, self._data.shape[axis] if self._data.ndim else 1,
                           lambda bad, size: RuntimeError(
                               f"index {bad} is out of bounds for dimension {axis} with size "
                               f"{size}"))
        x = self
        if any(i < s for d, (i, s) in enumerate(zip(idx.shape, self._data.shape)) if d != axis):
            # PyTorch reads only the leading part of the other dimensions; NumPy broadcasts.
            x = self[tuple(slice(None) if d == axis else slice(0, i)
                           for d, i in enumerate(idx.shape))]
        return apply(R.take_along, (x, idx), {"axis": axis})

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort ``dim`` (int64; ties keep their order, stable or not)."""
        axis = _dim(self, dim)
        if not self._data.ndim:
            return Tensor._make(np.zeros((), dtype=np.int64))
        data = self._data
        if not descending:
            order = np.argsort(data, axis=axis, kind="stable")
        else:
            # Descending with ties in their original order (and NaN first, as the largest),
            # for any dtype: sort the reversed data ascending, reverse that, and map the
            # positions back. (Negating would wrap unsigned integers and fail on bools.)
            flipped = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
            order = data.shape[axis] - 1 - np.flip(flipped, axis)
        return Tensor._make(order.astype(np.int64, copy=False))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``; the values are differentiable
        (``SortBackward0``)."""
        from dualgrad import return_types

        indices = self.argsort(dim, descending)
        if not self._data.ndim:
            return return_types.sort(self.clone(), indices)
        values = apply(R.sort_values, (self, indices._data), {"axis": _dim(self, dim)})
        return return_types.sort(values, indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) along
        ``dim``, in order; the values are differentiable (``TopkBackward0``)."""
        from dualgrad import return_types

        axis = _dim(self, dim)
        size = self._data.shape[axis] if self._data.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        order = self.argsort(dim, descending=largest)._data
        indices = np.take(order, np.arange(k), axis=axis) if self._data.ndim else order
        values = apply(R.topk_values, (self, indices), {"axis": axis}) if self._data.ndim \
            else self.clone()
        return return_types.topk(values, Tensor._make(indices))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the nonzero elements: an int64 ``(n, ndim)`` tensor, or one index
        tensor per dimension with ``as_tuple=True`` (not recorded)."""
        found = np.nonzero(np.atleast_1d(self._data))  # (NumPy refuses 0-d arrays)
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64)) for i in found)
        if not self._data.ndim:  # PyTorch: one row of no columns, or none
            return Tensor._make(np.zeros((len(found[0]), 0), dtype=np.int64))
        return Tensor._make(np.stack(found, axis=-1).astype(np.int64))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """``length`` elements of ``dim`` from ``start``: a view, as a slice."""
        axis = _dim(self, dim)
        size = self._data.shape[axis]
        if start < 0:
            start += size
        if not 0 <= start <= size or length < 0 or start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices ``index`` (a 1-D int tensor) of ``dim``, in that order."""
        idx = _raw(index)
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        axis = _dim(self, dim)
        _check_index_range(idx, self._data.shape[axis] if self._data.ndim else 1,
                           lambda bad, size: IndexError("index out of range in self"))
        key = (slice(None),) * axis + (idx.reshape(-1),)
        try:
            return apply(S.index_select_op, (self,), {"key": key})
        except IndexError as error:
            raise _index_error(error, self) from None

    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix product of two 3-D tensors."""
        return apply(L.bmm, (self, self._batch2(mat2)), {})

    def _batch2(self, mat2: Any) -> Tensor:
        """``mat2`` as the second operand of ``self.bmm(mat2)``, checked as PyTorch checks it."""
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        other = as_tensor_arg(mat2)
        if _raw(other).ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        error = L._matmul_error(self._data.shape, other._data.shape, self._data.dtype,
                                other._data.dtype)
        if error is not None or self._data.shape[0] != other._data.shape[0]:
            raise error or RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{self._data.shape[0]}, {self._data.shape[2]}] but got: "
                f"[{other._data.shape[0]}, {other._data.shape[1]}].")
        return other

    # --- addmm, addmv, baddbmm ----------------------------------------------------------------

    def _add_product(self, op: Any, a: Tensor, b: Tensor, beta: Any, alpha: Any) -> Tensor:
        """``beta * self + alpha * (a @ b)`` with ``self`` broadcast to the product's shape
        (PyTorch's error if it cannot be)."""
        target = a._data.shape[:-1] + b._data.shape[-1:] if b._data.ndim > 1 else \
            a._data.shape[:-1]
        if _broadcast_error(target, self._data.shape) is not None or \
                self._data.ndim > len(target):
            self.expand(target)  # raises PyTorch's error
        if self._data.dtype.kind in "biu":  # PyTorch casts the scalars to the integer type
            beta, alpha = int(beta), int(alpha)
        return apply(op, (self, a, b), {"beta": beta, "alpha": alpha})

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)`` (``AddmmBackward0``); with ``beta=0``,
        ``self``'s values (NaN too) are not read.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.ones(2, 2).addmm(dg.eye(2), dg.tensor([[1.0, 2.0], [3.0, 4.0]]), alpha=2)
        tensor([[3., 5.],
                [7., 9.]])
        """
        a, b = as_tensor_arg(mat1), as_tensor_arg(mat2)
        for name, m in (("mat1", a), ("mat2", b)):
            if m._data.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
        for left, x, y in (("mat1", a, b), ("self", self, b)):
            if x._data.dtype != y._data.dtype:
                raise RuntimeError(f"{left} and mat2 must have the same dtype, but got "
                                   f"{_dtypes.torch_name(x._data.dtype)} and "
                                   f"{_dtypes.torch_name(y._data.dtype)}")
        error = L._matmul_error(a._data.shape, b._data.shape, a._data.dtype, b._data.dtype)
        if error is not None:
            raise error
        return self._add_product(L.addmm, a, b, beta, alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (mat @ vec)`` (``AddmvBackward0``)."""
        a, v = as_tensor_arg(mat), as_tensor_arg(vec)
        dims = (self._data.ndim, a._data.ndim, v._data.ndim)
        if dims[1:] != (2, 1) or dims[0] > 1:
            raise RuntimeError("vector + matrix @ vector expected, got {}, {}, {}".format(*dims))
        dtypes = (self._data.dtype, a._data.dtype, v._data.dtype)
        if len(set(dtypes)) > 1:
            raise RuntimeError("addmv input tensors must have the same dtype, but got {}, {}, "
                               "and {}".format(*map(_dtypes.torch_name, dtypes)))
        (rows, cols), n = a._data.shape, v._data.shape[0]
        if cols != n or self._data.size not in (rows, 1):
            raise RuntimeError(f"size mismatch, got input ({self._data.shape[0]}), mat "
                               f"({rows}x{cols}), vec ({n})")
        return self._add_product(L.addmv, a, v, beta, alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """``beta * self + alpha * (batch1 @ batch2)`` for batches of matrices
        (``BaddbmmBackward0``)."""
        a = as_tensor_arg(batch1)
        b = a._batch2(batch2)
        if self._data.dtype != a._data.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input "
                               f"{L.C_TYPE_NAMES.get(self._data.dtype.name)}, batch1: "
                               f"{L.C_TYPE_NAMES.get(a._data.dtype.name)}, batch2: "
                               f"{L.C_TYPE_NAMES.get(b._data.dtype.name)}")
        return self._add_product(L.baddbmm, a, b, beta, alpha)

    # --- median, kthvalue, cummax, cummin, unique, bincount -------------------------------------

    def _pick_along(self, name: str, dim: int, keepdim: bool, k: int | None) -> Any:
        """``median(dim)`` (``k`` None) or ``kthvalue(k, dim)``: the value at the k-th
        place of each slice sorted along ``dim`` (NaN last), and its index; the median of a
        slice with a NaN is its first NaN, as in PyTorch."""
        from dualgrad import return_types

        if self._data.dtype == np.bool_:
            raise not_implemented_for(f"{name}_cpu", self._data.dtype)
        axis = _dim(self, dim)
        x = self if self._data.ndim else self.reshape(1)
        data = x._data
        size = data.shape[axis]
        if k is None:
            _check_nonempty(self, name, axis)
        elif not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                               f"{axis}")
        order = np.argsort(data, axis=axis, kind="stable")
        idx = np.take(order, [(size - 1) // 2 if k is None else k - 1], axis=axis)
        if k is None and data.dtype.kind == "f":
            nan = data != data
            idx = np.where(nan.any(axis, keepdims=True),
                           np.argmax(nan, axis=axis, keepdims=True), idx)
        op = R.kthvalue if k is not None else R.median_dim
        keep = keepdim and self._data.ndim > 0
        values = apply(op, (x, idx), {"axis": axis, "keepdims": keep})
        indices = idx if keep else np.squeeze(idx, axis=axis)
        if not self._data.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        result = return_types.kthvalue if k is not None else return_types.median
        return result(values, Tensor._make(indices.astype(np.int64, copy=False)))

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The lower median of all values (NaN if there is a NaN); with ``dim``, a named
        tuple ``(values, indices)`` along it. Among tied values, the index may differ from
        PyTorch's, which is left unspecified there.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([3.0, 1.0, 4.0, 2.0]).median()
        tensor(2.)
        """
        if dim is None:
            if self._data.dtype == np.bool_:
                raise not_implemented_for("median_cpu", self._data.dtype)
            return apply(R.median_all, (self,), NO_PARAMS)
        return self._pick_along("median", dim, keepdim, None)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        """``(values, indices)`` of the ``k``-th smallest value along ``dim`` (1-based; NaN
        count as the largest)."""
        return self._pick_along("kthvalue", dim, keepdim, k)

    def _cumulative_extreme(self, which: str, dim: int) -> Any:
        """``cummax`` / ``cummin``: the running extreme and the index where it was last
        reached (a tie moves the index on; a NaN stays, and each new NaN takes over)."""
        from dualgrad import return_types

        axis = _dim(self, dim)
        result = return_types.cummax if which == "max" else return_types.cummin
        if not self._data.ndim:
            return result(self.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
        data = self._data
        running = (np.maximum if which == "max" else np.minimum).accumulate(data, axis=axis)
        reached = (data == running) | (data != data)
        position = np.arange(data.shape[axis]).reshape(
            (-1,) + (1,) * (data.ndim - axis - 1))
        idx = np.maximum.accumulate(np.where(reached, position, 0), axis=axis)
        op = R.cummax_values if which == "max" else R.cummin_values
        values = apply(op, (self, idx), {"axis": axis})
        return result(values, Tensor._make(idx.astype(np.int64, copy=False)))

    def cummax(self, dim: int) -> Any:
        """``(values, indices)``: the running maximum along ``dim`` and where it was reached
        (``CummaxBackward0``: the gradient goes to those indices)."""
        return self._cumulative_extreme("max", dim)

    def cummin(self, dim: int) -> Any:
        """``(values, indices)``: the running minimum along ``dim`` and where it was reached
        (``CumminBackward0``)."""
        return self._cumulative_extreme("min", dim)

    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The distinct values, sorted (each NaN counted apart, as in PyTorch), or the
        distinct slices along ``dim``; with ``return_inverse``, where each element (slice)
        went, and with ``return_counts``, how often each occurs. Not differentiable.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([3, 1, 3]).unique(return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
        """
        data = self._data
        if dim is None:
            values, inverse, counts = np.unique(data.reshape(-1), return_inverse=True,
                                                return_counts=True, equal_nan=False)
            inverse = inverse.reshape(data.shape)
        else:
            values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True,
                                                axis=_dim(self, dim))
            inverse = inverse.reshape(-1)
        out = [Tensor._make(values)]
        if return_inverse:
            out.append(Tensor._make(inverse.astype(np.int64, copy=False)))
        if return_counts:
            out.append(Tensor._make(counts.astype(np.int64, copy=False)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each value ``0, 1, ...`` occurs in this 1-D tensor of non-negative
        integers (at least ``minlength`` counts); with ``weights``, their sums instead
        (float32 and float64 weights keep their dtype, others give float64). Not
        differentiable.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([1, 1, 3]).bincount()
        tensor([0, 2, 0, 1])
        """
        data = self._data
        if data.dtype.kind not in "iu":
            raise not_implemented_for("bincount_cpu", data.dtype)
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if data.ndim != 1 or (data.size and data.min() < 0):
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        length = max(int(data.max()) + 1 if data.size else 0, minlength)
        if weights is None:
            return Tensor._make(np.bincount(data, minlength=length).astype(np.int64))
        w = _raw(weights)
        if w.ndim != 1 or w.shape[0] != data.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out = np.zeros(length, w.dtype if w.dtype in (np.float32, np.float64) else np.float64)
        np.add.at(out, data, w)  # one by one, in the weights' precision, as PyTorch adds them
        return Tensor._make(out)

    # --- scatter, scatter_add, index_add ------------------------------------------------------

    def _scatter_index(self, name: str, dim: int, index: Any, src: Any) -> tuple:
        """``(axis, index array)`` for ``scatter``/``scatter_add`` into ``self``, checked with
        PyTorch's errors (``src``: a Tensor, or None for a number)."""
        idx = _raw(index)
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self "
                               "tensor")
        axis = _dim(self, dim)
        shape = self._data.shape
        if src is not None and src._data.dtype != self._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        too_big = any(n > s for d, (n, s) in enumerate(zip(idx.shape, shape)) if d != axis)
        text = (f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} "
                f"apart from dimension {axis}")
        if src is not None:
            too_big |= src._data.ndim != idx.ndim or any(
                n > s for n, s in zip(idx.shape, src._data.shape))
            text += f" and to be no larger size than src {list(src._data.shape)}"
        if too_big:
            raise RuntimeError(text)
        _check_index_range(idx, shape[axis] if shape else 1, lambda bad, size: RuntimeError(
            f"index {bad} is out of bounds for dimension {axis} with size {size}"))
        return axis, idx

    def _scatter_call(self, dim: int, index: Any, src: Any, value: Any) -> tuple:
        """The op, arguments and parameters of ``scatter(dim, index, src | value)``."""
        if src is None:
            src = value
        if isinstance(src, Tensor):
            axis, idx = self._scatter_index("scatter", dim, index, src)
            return R.scatter, (idx, src), {"axis": axis}
        axis, idx = self._scatter_index("scatter", dim, index, None)
        return R.scatter_value, (idx,), {"axis": axis, "value": src}

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """A copy with ``src[i][j]`` (or the number ``value``) written at
        ``out[index[i][j]][j]`` for ``dim=0`` (likewise along other dims); the overwritten
        elements get no gradient (``ScatterBackward0``, ``ScatterBackward1`` for a number).

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.zeros(2, 3).scatter(0, dg.tensor([[1, 0, 1]]), dg.tensor([[1.0, 2.0, 3.0]]))
        tensor([[0., 2., 0.],
                [1., 0., 3.]])
        """
        op, args, params = self._scatter_call(dim, index, src, value)
        return apply(op, (self, *args), params)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """In-place :meth:`scatter`."""
        op, args, params = self._scatter_call(dim, index, src, value)
        return self._inplace(op, *args, **params)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with ``src``'s values added at ``index`` along ``dim``, as :meth:`scatter`
        places them; repeated indices add up (``ScatterAddBackward0``)."""
        axis, idx = self._scatter_index("scatter_add", dim, index, as_tensor_arg(src))
        return apply(R.scatter_add, (self, idx, src), {"axis": axis})

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """In-place :meth:`scatter_add`."""
        axis, idx = self._scatter_index("scatter_add", dim, index, as_tensor_arg(src))
        return self._inplace(R.scatter_add, idx, src, axis=axis)

    def _index_add_args(self, dim: int, index: Any, source: Any) -> tuple:
        """``(axis, index vector, source)`` of ``index_add``, checked with PyTorch's errors."""
        idx, source = _raw(index), as_tensor_arg(source)
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                               f"{_dtypes.torch_name(idx.dtype)}")
        if idx.ndim > 1:
            raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                             f"{idx.ndim} with type: {_dtypes.torch_name(idx.dtype)} and size: "
                             f"{list(idx.shape)}")
        axis = _dim(self, dim)
        shape, src_shape = self._data.shape, source._data.shape
        along = src_shape[axis] if len(src_shape) > axis else 1
        if idx.size != along:
            raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal "
                               f"to source.size(dim): ({along}), for dim: {axis}")
        if len(src_shape) != len(shape) or any(
                a != b for d, (a, b) in enumerate(zip(shape, src_shape)) if d != axis):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding "
                               f"the specified dimension. Got self.shape = {list(shape)} "
                               f"source.shape = {list(src_shape)}")
        if source._data.dtype != self._data.dtype:
            raise RuntimeError(f"index_add_(): self ({_dtypes.torch_name(self._data.dtype)}) and "
                               f"source ({_dtypes.torch_name(source._data.dtype)}) must have "
                               "the same scalar type")
        _check_index_range(idx, shape[axis] if shape else 1, lambda bad, size: RuntimeError(
            f"index {bad} is out of bounds for dimension {axis} with size {size}"))
        return axis, idx.reshape(-1), source

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """A copy with ``alpha * source``'s slices added to the slices ``index`` of ``dim``;
        repeated indices add up (``IndexAddBackward0``).

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.zeros(3).index_add(0, dg.tensor([0, 2, 0]), dg.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
        """
        axis, idx, source = self._index_add_args(dim, index, source)
        return apply(R.index_add, (self, idx, source), {"axis": axis, "alpha": alpha})

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """In-place :meth:`index_add`."""
        axis, idx, source = self._index_add_args(dim, index, source)
        return self._inplace(R.index_add, idx, source, axis=axis, alpha=alpha)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A tensor of ``data`` with this tensor's dtype (unless ``dtype``)."""
        from dualgrad._creation import _from_data

        return _from_data(data, _dtypes.torch_dtype(self._data.dtype) if dtype is None else dtype,
                          None, requires_grad, "new_tensor")

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """A tensor of ``size`` filled with ``fill_value``, this tensor's dtype by default."""
        from dualgrad._creation import full

        return full(size, fill_value,
                    dtype=_dtypes.torch_dtype(self._data.dtype) if dtype is None else dtype,
                    requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size``, this tensor's dtype by default."""
        return self.new_full(_size_arg(size), 0, dtype, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of ``size``, this tensor's dtype by default."""
        return self.new_full(_size_arg(size), 1, dtype, requires_grad)

    new_empty = new_zeros

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``self`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` is True.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.tensor([1.0, -2.0, 3.0], requires_grad=True)
        >>> x.masked_fill(x < 0, 0.0)
        tensor([1., 0., 3.], grad_fn=<MaskedFillBackward0>)
        """
        mask = _raw(mask)
        err = _broadcast_error(mask.shape, self._data.shape)
        if err is not None:
            raise err
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {_dtypes.torch_name(mask.dtype).lower()}")
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, "
                                   f"but got tensor with {value._data.ndim} dimension(s).")
            return apply(E.masked_fill_tensor, (self, mask, value), {})
        if isinstance(value, np.generic):
            value = value.item()
        check_fits(value, self._data.dtype)
        return apply(E.masked_fill, (self, mask), {"value": value})

    def softmax(self, dim: int) -> Tensor:
        """Softmax along ``dim``."""
        _softmax_dtype_check(self, "softmax", dim)
        return apply(N.softmax, (self,), {"axis": _axis(self, dim)})

    def log_softmax(self, dim: int) -> Tensor:
        """Log-softmax along ``dim``, computed stably."""
        _softmax_dtype_check(self, "log_softmax", dim)
        return apply(N.log_softmax, (self,), {"axis": _axis(self, dim)})

    # --- shape -----------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape (one dimension may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(S.reshape, (self,), {"shape": _resolve_shape(self, shape)})

    def view(self, *shape: Any) -> Tensor:
        """The same memory in a new shape (one dimension may be -1); unlike ``reshape`` it
        never copies, so a shape that would need a copy (after ``t()``, or of a slice) is
        PyTorch's error."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        target = _resolve_shape(self, shape)
        probe = self._data.view()
        try:
            probe.shape = target  # NumPy refuses exactly when the strides cannot express it
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and "
                               "stride (at least one dimension spans across two contiguous "
                               "subspaces). Use .reshape(...) instead.") from None
        return apply(S.reshape, (self,), {"shape": target})

    def view_as(self, other: Tensor) -> Tensor:
        """Reshape to ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        shape = self._data.shape
        start, end = _dim(self, start_dim), _dim(self, end_dim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if not shape:
            return self.reshape(1)
        if start == end:
            return self  # nothing to merge: PyTorch returns the tensor itself, no new node
        merged = int(np.prod(shape[start:end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove dimensions of size 1 (all, or those of ``dim`` that have size 1).

        As in PyTorch, ``squeeze()``, ``squeeze(dim)`` and ``squeeze(dims)`` record
        ``SqueezeBackward0`` / ``1`` / ``2``, even when nothing is removed.
        """
        if dim is None:
            return apply(S.squeeze, (self,), {"axis": None})
        if isinstance(dim, (int, np.integer)):
            return apply(S.squeeze_dim, (self,), {"axis": _dim(self, dim)})
        dims = tuple(_dim(self, d) for d in dim)
        return apply(S.squeeze_dims, (self,), {"axis": dims})

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dimension of size 1 at ``dim``."""
        return apply(S.unsqueeze, (self,), {"axis": _dim(self, dim, 1)})

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        shape = self._data.shape
        error = expand_error(shape, sizes, self._data.dtype)
        if error is not None:
            raise error
        lead = len(sizes) - len(shape)
        target = tuple(shape[i - lead] if s == -1 and i >= lead else s
                       for i, s in enumerate(sizes))
        return apply(S.expand, (self,), {"shape": target})

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        """Broadcast to ``shape``."""
        return self.expand(shape)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dimensions."""
        return apply(S.transpose, (self,), {"dim0": _dim(self, dim0), "dim1": _dim(self, dim1)})

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two dimensions."""
        return self.transpose(axis0, axis1)

    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dimensions."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return apply(S.t, (self,), {})

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        ndim = self._data.ndim
        if len(dims) != ndim:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match "
                "the length of the desired ordering of dimensions i.e. input.dim() = "
                f"{ndim} is not equal to len(dims) = {len(dims)}")
        axes = tuple(_dim(self, d) for d in dims)
        if len(set(axes)) != ndim:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return apply(S.permute, (self,), {"axes": axes})

    def flip(self, dims: Any) -> Tensor:
        """Reverse the order along ``dims``."""
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        return apply(S.flip, (self,), {"axis": tuple(_dim(self, d) for d in dims)})

    def diag(self, diagonal: int = 0) -> Tensor:
        """A vector on a diagonal of a new matrix (1-D), or a matrix's diagonal as a copy (2-D);
        ``diagonal`` > 0 is above the main diagonal, < 0 below.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([1.0, 2.0]).diag(1)
        tensor([[0., 1., 0.],
                [0., 0., 2.],
                [0., 0., 0.]])
        >>> dg.tensor([[1.0, 2.0], [3.0, 4.0]]).diag()
        tensor([1., 4.])
        """
        ndim = self._data.ndim
        params = {"offset": int(diagonal), "dim1": 0, "dim2": 1}
        if ndim == 1:
            return apply(S.diag_embed, (self,), params)
        if ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")
        return apply(S.diagonal_copy, (self,), params)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of the matrices in ``dim1``, ``dim2``, as a view whose last dimension
        is the diagonal (empty when ``offset`` is past the matrix).

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.arange(6.0).reshape(2, 3).diagonal(1)
        tensor([1., 5.])
        """
        d1, d2 = _dim(self, dim1), _dim(self, dim2)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return apply(S.diagonal, (self,), {"offset": int(offset), "dim1": d1, "dim2": d2})

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices, in dimensions ``dim1`` and ``dim2`` of the result, with the last
        dimension of this tensor on their ``offset`` diagonal, zeros elsewhere."""
        d1, d2 = _dim(self, dim1, 1), _dim(self, dim2, 1)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return apply(S.diag_embed, (self,), {"offset": int(offset), "dim1": d1, "dim2": d2})

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix (integers and bools refused as in
        PyTorch: bools raise, integers sum as int64)."""
        if self._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                               f"{self._data.ndim}")
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        return apply(R.trace, (self,), {})

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift the elements circularly by ``shifts`` along ``dims`` (ints or tuples of the
        same length); without ``dims``, along the flattened tensor, shape kept.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
        """
        shift_tuple = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if dims is None:
            if not shift_tuple:
                raise RuntimeError("`shifts` required")
            if len(shift_tuple) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: "
                                   f"{len(shift_tuple)}, dims:0")
            return apply(S.roll, (self,), {"shifts": tuple(int(s) for s in shift_tuple),
                                           "dims": None})
        dim_tuple = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not shift_tuple:
            raise RuntimeError("`shifts` required")
        if len(shift_tuple) != len(dim_tuple):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift_tuple)}, "
                               f"dims:{len(dim_tuple)}")
        return apply(S.roll, (self,), {"shifts": tuple(int(s) for s in shift_tuple),
                                       "dims": tuple(_dim(self, d) for d in dim_tuple)})

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """The dimensions ``source`` moved to the positions ``destination`` (ints or
        sequences of the same length), the others kept in order (a view, ``PermuteBackward0``).

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.zeros(2, 3, 4).movedim(0, -1).shape
        torch.Size([3, 4, 2])
        """
        src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
        dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                               f"({list(src)} dims) should contain the same number of dims as "
                               f"destination ({list(dst)} dims)")
        src_n = [_dim(self, d) for d in src]
        dst_n = [_dim(self, d) for d in dst]
        for name, given, normal in (("source", src, src_n), ("destination", dst, dst_n)):
            if len(set(normal)) != len(normal):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
        ndim = self._data.ndim
        order: list[Any] = [None] * ndim
        for s, d in zip(src_n, dst_n):
            order[d] = s
        rest = iter(d for d in range(ndim) if d not in src_n)
        axes = tuple(o if o is not None else next(rest) for o in order)
        return apply(S.permute, (self,), {"axes": axes})

    moveaxis = movedim

    def rot90(self, k: int = 1, dims: Any = (0, 1)) -> Tensor:
        """Rotate by ``k`` quarter turns, from the first of ``dims`` towards the second.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([[1, 2], [3, 4]]).rot90()
        tensor([[2, 4],
                [1, 3]])
        """
        dims = tuple(dims)
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self._data.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = "
                               f"{self._data.ndim}")
        d0, d1 = _dim(self, dims[0]), _dim(self, dims[1])
        if d0 == d1:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = "
                               f"{dims[0]} and dim1 = {dims[1]}")
        return apply(S.rot90, (self,), {"k": int(k) % 4, "axes": (d0, d1)})

    def take(self, index: Any) -> Tensor:
        """The elements at ``index`` (an int64 tensor; negative counts from the end) of the
        flattened tensor, shaped like ``index``; repeated indices add up their gradients."""
        idx = _raw(index)
        if idx.dtype != np.int64:
            raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                               f"{_dtypes.torch_name(idx.dtype)}")
        size = self._data.size
        bad = (idx >= size) | (idx < -size)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {idx[bad].flat[0]} on a "
                             f"tensor of {size} elements.")
        return apply(S.take, (self, idx), {})

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times (an int, or an int64 tensor with one count
        per element along ``dim``); without ``dim`` the tensor is flattened first.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> dg.tensor([[1, 2], [3, 4]]).repeat_interleave(dg.tensor([1, 2]), dim=0)
        tensor([[1, 2],
                [3, 4],
                [3, 4]])
        """
        x = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else _dim(self, dim)
        if not isinstance(repeats, Tensor):
            count = int(repeats)
            if count < 0:
                raise RuntimeError("Repeats must be non-negative")
            shape = x._data.shape
            if not shape:
                return x.reshape(1).expand(count).reshape(-1)
            # PyTorch: unsqueeze, expand, then a view of the copy (ViewBackward0)
            expanded = x.unsqueeze(axis + 1).expand(
                *shape[:axis + 1], count, *shape[axis + 1:])
            return expanded.reshape(*shape[:axis], shape[axis] * count, *shape[axis + 1:])
        counts = repeats._data
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if counts.dtype.kind not in "iu":
            raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                      f"'{_dtypes.torch_name(counts.dtype)}'")
        size = x._data.shape[axis] if x._data.ndim else 1
        if counts.shape != (size,) and counts.size != 1:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({axis}) = "
                               f"{size}")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        index = np.repeat(np.arange(size), np.broadcast_to(counts.reshape(-1), (size,)))
        return x.index_select(axis, Tensor._make(index))

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """``self + weight * (end - self)``, computed as PyTorch does (from ``end`` when
        ``|weight| >= 0.5``); ``weight`` a number or a tensor, all broadcast together."""
        end = as_tensor_arg(end)
        dtype = self._data.dtype
        for name, t in (("end", end), ("weight", weight)):
            if isinstance(t, Tensor) and t._data.dtype != dtype and (name == "end"
                                                                     or t._data.ndim):
                raise RuntimeError(f"expected dtype {L.C_TYPE_NAMES[dtype.name]} for `{name}` "
                                   f"but got dtype {L.C_TYPE_NAMES[t._data.dtype.name]}")
        kernel = "tensor" if isinstance(weight, Tensor) else "scalar"
        if dtype.kind not in "fc":
            raise NotImplementedError(f'"lerp_kernel_{kernel}" not implemented for '
                                      f"'{_dtypes.torch_name(dtype)}'")
        if isinstance(weight, Tensor):
            return apply(E.lerp_tensor, (self, end, weight), {})
        return apply(E.lerp_scalar, (self, end), {"weight": weight})

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (a bool tensor); equal
        infinities are close, NaN only with ``equal_nan``.

        Examples
        --------
        >>> import dualgrad as dg
        >>> dg.isclose(dg.tensor([1.0, 2.0]), dg.tensor([1.0 + 1e-9, 2.1]))
        tensor([ True, False])
        """
        other = as_tensor_arg(other)
        if isinstance(other, Tensor) and other._data.dtype != self._data.dtype:
            raise RuntimeError(f"{_dtypes.torch_name(self._data.dtype)} did not match "
                               f"{_dtypes.torch_name(other._data.dtype)}")
        return apply(E.isclose, (self, other),
                     {"rtol": rtol, "atol": atol, "equal_nan": equal_nan})

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dimension."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        return apply(S.repeat, (self,), {"reps": tuple(sizes)})

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into pieces of a given size (or a list of sizes) along ``dim``."""
        dim = _dim(self, dim)
        size = self._data.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got "
                                   f"split_size={step}")
            if step == 0:
                if size:
                    raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but "
                                       f"got dimension size of {size}")
                return (apply(S.split_piece, (self,), {"start": 0, "stop": 0, "axis": dim}),)
            bounds = list(range(0, size, step)) + [size]
        else:
            sections = list(split_size_or_sections)
            if sum(sections) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                    f"tensor's size at dimension {dim}), but got split_sizes={sections}")
            bounds = [0]
            for s in sections:
                bounds.append(bounds[-1] + s)
        # One node per piece (the engine's nodes have one output), under PyTorch's name.
        op = S.split_piece if isinstance(split_size_or_sections, int) else \
            S.split_with_sizes_piece
        axis = dim % self._data.ndim
        return tuple(apply(op, (self,), {"start": a, "stop": b, "axis": axis})
                     for a, b in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``chunks`` nearly equal pieces along ``dim``."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self._data.shape[_dim(self, dim)]
        step = -(-size // chunks)
        return self.split(step, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, each without that dimension."""
        axis = dim % self._data.ndim
        return tuple(apply(S.unbind_piece, (self,), {"index": i, "axis": axis})
                     for i in range(self._data.shape[dim]))

    def __getitem__(self, key: Any) -> Tensor:
        key = _index_key(key)
        if S._is_basic(key):
            op = S.basic_index_op(key, self._data.shape)
        else:
            op = S.index
            split = _ints_first(key)
            if split is not None:
                return self[split[0]][split[1]]
        try:
            return apply(op, (self,), {"key": key})
        except IndexError as error:
            raise _index_error(error, self) from None

    def __setitem__(self, key: Any, value: Any) -> None:
        key = _index_key(key)
        # PyTorch: CopySlices for basic keys, IndexPutBackward0 for index arrays and masks.
        op = S.index_put if S._is_basic(key) else S.index_put_advanced
        if (op is S.index_put and key is not Ellipsis and self._node is None
                and self._requires_grad and _grad_mode.is_grad_enabled()):
            # PyTorch writes x[0] = v through a view of x: its error names the view.
            raise RuntimeError(_inplace_mod._ERR_VIEW_LEAF_INPLACE)
        if (op is S.index_put and getattr(self, "_no_grad_view", None) is not None
                and _grad_mode.is_grad_enabled()):
            # PyTorch writes through a view of this view: its error names that view's op.
            _inplace_mod._refuse_no_grad_view(self, _inplace_mod.basic_key_view_name(key),
                                              (value,))
        value = as_tensor_arg(value)
        split = None if op is S.index_put else _ints_first(key)
        if split is not None:
            self[split[0]][split[1]] = value  # through the view, as PyTorch writes it
            return
        try:
            self._inplace(op, value, key=key)
        except IndexError as error:
            raise _index_error(error, self) from None
        except (ValueError, RuntimeError):
            if isinstance(value, Tensor):
                self._setitem_shape_error(key, value, op is S.index_put)
            raise

    def _setitem_shape_error(self, key: Any, value: Tensor, basic: bool) -> None:
        """Raise PyTorch's error if ``value`` does not broadcast to ``self[key]``."""
        target = np.broadcast_to(np.empty((), dtype=bool), self._data.shape)[key].shape
        shape = value._data.shape
        if _broadcast_error(target, shape) is None and len(shape) <= len(target):
            return
        if basic:
            value.expand(target)  # raises PyTorch's error: the value is expanded to the slice
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target)}")

    # --- in-place ops (the machinery is in _inplace.py) -------------------------------------

    _inplace = _inplace_mod.inplace
    _fill_random = _inplace_mod.fill_random

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place ``self += alpha * other``."""
        return self._inplace(E.add, other * alpha if alpha != 1 else other)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In-place ``self -= alpha * other``."""
        return self._inplace(E.sub, other * alpha if alpha != 1 else other)

    def mul_(self, other: Any) -> Tensor:
        """In-place ``self *= other``."""
        return self._inplace(E.mul, other)

    def div_(self, other: Any) -> Tensor:
        """In-place ``self /= other``."""
        return self._inplace(E.div, other)

    def pow_(self, exponent: Any) -> Tensor:
        """In-place ``self **= exponent``."""
        if isinstance(exponent, Tensor):
            return self._inplace(E.pow_tensor, exponent)
        return self._inplace(E.pow_scalar, exponent)

    def neg_(self) -> Tensor:
        """In-place negation."""
        return self._inplace(E.neg)

    def exp_(self) -> Tensor:
        """In-place exponential."""
        return self._inplace(E.exp)

    def abs_(self) -> Tensor:
        """In-place absolute value."""
        return self._inplace(E.abs_)

    def sqrt_(self) -> Tensor:
        """In-place square root."""
        return self._inplace(E.sqrt)

    def sigmoid_(self) -> Tensor:
        """In-place logistic sigmoid."""
        return self._inplace(E.sigmoid)

    def tanh_(self) -> Tensor:
        """In-place hyperbolic tangent."""
        return self._inplace(E.tanh)

    def relu_(self) -> Tensor:
        """In-place ``max(x, 0)``."""
        return self._inplace(E.relu)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """In-place :meth:`masked_fill`."""
        if isinstance(value, Tensor):
            return self._inplace(E.masked_fill_tensor, _raw(mask), value)
        return self._inplace(E.masked_fill, _raw(mask), value=value)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """In-place clamp (bounds: numbers or tensors, as in :meth:`clamp`)."""
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            dtype, bounds = self._clamp_bounds(min, max)
            # (by PyTorch's promotion: NumPy's gives float64 for int64 and float32 bounds)
            _inplace_mod.check_cast(dtype, self._data.dtype)
            return self._inplace(E.clamp_tensor, *bounds)
        return self._inplace(E.clamp, min=min, max=max)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (recorded as ``ZeroBackward0``)."""
        return self._inplace(E.zero)

    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` (a number, or a 0-d tensor that then gets the gradient) in place.

        Examples
        --------
        >>> import dualgrad as dg
        >>> x = dg.ones(2, requires_grad=True) * 1
        >>> x.fill_(3.0)
        tensor([3., 3.], grad_fn=<FillBackward2>)
        """
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got "
                                   f"tensor with {value._data.ndim} dimensions.")
            return self._inplace(E.fill_tensor, value)
        check_fits(value, self._data.dtype)
        return self._inplace(E.fill, value)

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast) into this tensor in place."""
        return self._inplace(E.copy, as_tensor_arg(src))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with normal samples in place (not recorded)."""
        from dualgrad._creation import _generator

        return self._fill_random(_generator().normal(mean, std, self._data.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with uniform samples from ``[a, b)`` in place (not recorded)."""
        from dualgrad._creation import _generator

        return self._fill_random(_generator().uniform(a, b, self._data.shape))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_


def _integers_as_long(x: Tensor) -> Tensor:
    """``x`` as int64 if it holds bools or integers: PyTorch's sums and products of them are
    int64 (NumPy's are uint64 for unsigned ones, and cumsum keeps int32)."""
    return x.long() if x._data.dtype.kind in "biu" and x._data.dtype != np.int64 else x


def _correction(unbiased: bool | None, correction: int | None) -> int:
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def _index_key(key: Any) -> Any:
    """Tensors and lists inside an index become arrays (bool masks stay masks)."""
    def one(k: Any) -> Any:
        if isinstance(k, Tensor):
            k = k._data
            # A 0-d integer tensor selects, as an int does (PyTorch: SelectBackward0).
            return int(k) if k.ndim == 0 and k.dtype.kind in "iu" else k
        if isinstance(k, list):
            return np.asarray(k)
        return k

    if isinstance(key, tuple):
        return tuple(one(k) for k in key)
    return one(key)


def _ints_first(key: Any) -> tuple[tuple, tuple] | None:
    """An index mixing ints with index arrays or masks, split as PyTorch applies it: the ints
    (with the slices and Nones) first, as a view, then the arrays on that view. NumPy counts
    an int as one of the advanced indices instead, which moves the result's dimensions to the
    front when a slice separates them (``x[0, :, idx]``). None if there is nothing to split."""
    if not isinstance(key, tuple) or not any(
            isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in key):
        return None
    first, then = [], []
    for k in key:
        if isinstance(k, np.ndarray):
            if k.dtype == np.bool_ and k.ndim == 0:
                return None  # (a 0-d mask adds a dimension: NumPy's rule is kept)
            first.extend([slice(None)] * (k.ndim if k.dtype == np.bool_ else 1))
            then.append(k)
        elif k is Ellipsis:
            first.append(k)
            then.append(k)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            first.append(k)  # its dimension is gone after the first step
        else:  # a slice or None: applied in the first step, kept whole in the second
            first.append(k)
            then.append(slice(None))
    return tuple(first), tuple(then)


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook, and so does leaving
    a ``with`` block on it (PyTorch's ``RemovableHandle``)."""

    _next_id = 0

    def __init__(self, hooks: dict, hook: Callable) -> None:
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook (idempotent)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_engine.Tensor = Tensor
_engine._track_view = _inplace_mod.track_view
