"""tinygrad_np: a small, readable reverse-mode autodiff framework on NumPy, PyTorch-style."""

# First, so that every op is a Tensor method before anything runs (and so that the name
# `tensor` below is the function, not this submodule).
from .tensor import Tensor  # isort: skip

# The subpackages are reachable as attributes (`tg.nn`, `tg.optim`), like torch.nn after
# `import torch`.
from . import data, datasets, nn, optim, testing
from .autograd import (detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .creation import (arange, eye, from_numpy, full, linspace, ones, ones_like, rand, randint,
                       randn, tensor, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from .ops.table import FUNCTIONS
from .random import manual_seed
from .serialization import load, save

# The function forms of the op table's ops: tg.exp(x), tg.sum(x, 1), tg.cat([a, b]), ...
globals().update(FUNCTIONS)

__version__ = "0.1.0"
version = __version__

__all__ = [
    "Tensor", "arange", "bool_", "data", "datasets", "detect_anomaly", "enable_grad", "eye",
    "float16", "float32", "float64", "from_numpy", "full", "get_default_dtype", "grad", "int32",
    "int64", "is_grad_enabled", "linspace", "load", "manual_seed", "nn", "no_grad", "ones",
    "ones_like", "optim", "rand", "randint", "randn", "save", "set_default_dtype",
    "set_grad_enabled", "tensor", "testing", "version", "zeros", "zeros_like",
]
__all__ += sorted(FUNCTIONS)
