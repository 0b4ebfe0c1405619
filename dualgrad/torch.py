"""``import dualgrad.torch as torch``: PyTorch's names over dualgrad, so tutorial code runs with
only the import changed.

Everything computes on the CPU with NumPy; asking for another device raises a clear error.
Dtypes are NumPy dtypes (``torch.float32 is numpy.dtype('float32')``).
"""

from dualgrad import *  # noqa: F403
from dualgrad import __all__ as _core_names
from dualgrad import autograd, nn  # noqa: F401
from dualgrad._dtypes import bool_ as bool  # noqa: A004
from dualgrad._dtypes import float16 as half
from dualgrad._dtypes import float32 as float  # noqa: A004
from dualgrad._dtypes import float64 as double
from dualgrad._dtypes import int32 as int  # noqa: A004
from dualgrad._dtypes import int64 as long

__all__ = [*_core_names, "bool", "half", "float", "double", "int", "long"]
