"""dualgrad: automatic differentiation on NumPy, PyTorch style and TensorFlow style.

The public API, re-exported; nothing is defined here but the dtype objects.

>>> import dualgrad as dg
>>> x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

import warnings as _warnings

import numpy as _np

from dualgrad import (  # noqa: E402
    autograd,
    linalg,
    nn,
    ops,  # noqa: F401  (registers every op)
    optim,  # noqa: E402
    viz,  # noqa: E402
)
from dualgrad._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from dualgrad._device import Size, device
from dualgrad._dtypes import torch_dtype as _torch_dtype
from dualgrad._function import custom_gradient  # noqa: E402
from dualgrad._functions import *  # noqa: F403
from dualgrad._functions import __all__ as _function_names
from dualgrad._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from dualgrad._printing import set_printoptions
from dualgrad._registry import defop  # noqa: E402
from dualgrad._tensor import Tensor
from dualgrad.diagnose import why_no_grad  # noqa: E402
from dualgrad.functional import (  # noqa: E402
    elementwise_grad,
    grad,
    hessian,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from dualgrad.serialization import load, save  # noqa: E402
from dualgrad.tape import (  # noqa: E402
    GradientTape,
    UnconnectedGradients,
    Variable,
    constant,
    stop_gradient,
)

__version__ = "0.1.0"

# The dtype objects, shown as PyTorch shows them (``torch.float32``); they compare equal to the
# NumPy dtypes, which dualgrad computes with.
bool_ = _torch_dtype(_np.dtype(_np.bool_))
complex64 = _torch_dtype(_np.dtype(_np.complex64))
complex128 = _torch_dtype(_np.dtype(_np.complex128))
float16 = _torch_dtype(_np.dtype(_np.float16))
float32 = _torch_dtype(_np.dtype(_np.float32))
float64 = _torch_dtype(_np.dtype(_np.float64))
int8 = _torch_dtype(_np.dtype(_np.int8))
int16 = _torch_dtype(_np.dtype(_np.int16))
int32 = _torch_dtype(_np.dtype(_np.int32))
int64 = _torch_dtype(_np.dtype(_np.int64))
uint8 = _torch_dtype(_np.dtype(_np.uint8))

# NumPy warns (RuntimeWarning) at edge values inside dualgrad's ops and rules: log(0), 0/0,
# overflow. PyTorch computes the same inf and nan silently, and such a warning names a line
# of dualgrad, not of the user's code; anomaly detection (dg.autograd.detect_anomaly) is what
# finds where a nan came from. Only warnings raised from dualgrad's own modules are dropped.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"dualgrad\.")

__all__ = [
    "Tensor", "Size", "device", "autograd", "linalg", "nn", "optim", "save", "load",
    "bool_", "complex64", "complex128", "float16", "float32", "float64", "int8", "int16",
    "int32", "int64", "uint8",
    "enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "no_grad",
    "set_grad_enabled", "set_printoptions",
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "rand_like", "randint", "randn",
    "randn_like", "tensor", "zeros", "zeros_like", "randperm", "get_default_dtype",
    "GradientTape", "UnconnectedGradients", "Variable", "constant", "stop_gradient",
    "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "elementwise_grad",
    "custom_gradient", "defop", "why_no_grad", "viz",
    *_function_names,
]
