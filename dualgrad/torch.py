"""``import dualgrad.torch as torch``: PyTorch's names over dualgrad, so tutorial code runs with
only the import changed.

Everything computes on the CPU with NumPy; asking for another device raises a clear error.
Dtypes print as PyTorch's (``torch.float32``) and compare equal to NumPy's
(``torch.float32 == numpy.float32``), which they stand for. The TensorFlow-style
and functional names of ``dualgrad`` (``GradientTape``, ``grad``, ...) are left out, as
PyTorch has none of them at the top level.
"""

import dualgrad as _dg
from dualgrad import autograd, nn, optim  # noqa: F401
from dualgrad import bool_ as bool  # noqa: A004
from dualgrad import float16 as half
from dualgrad import float32 as float  # noqa: A004
from dualgrad import float64 as double
from dualgrad import int32 as int  # noqa: A004
from dualgrad import int64 as long
from dualgrad.diagnose import is_anomaly_check_nan_enabled, is_anomaly_enabled

_NOT_IN_TORCH = frozenset({
    "GradientTape", "UnconnectedGradients", "Variable", "constant", "stop_gradient", "grad",
    "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "elementwise_grad",
    "custom_gradient", "defop", "why_no_grad", "viz",
})
_torch_names = [n for n in _dg.__all__ if n not in _NOT_IN_TORCH]
globals().update({n: getattr(_dg, n) for n in _torch_names})

__all__ = [*_torch_names, "bool", "half", "float", "double", "int", "long",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]
