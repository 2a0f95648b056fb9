"""tinygrad_np: a small, readable reverse-mode autodiff framework on NumPy, PyTorch-style."""

# First, so that every op is a Tensor method before anything runs (and so that the name
# `tensor` below is the function, not this submodule).
from .tensor import Tensor  # isort: skip

from types import SimpleNamespace as _SimpleNamespace

from . import device as _device

# The subpackages are reachable as attributes (`tg.nn`, `tg.optim`), like torch.nn after
# `import torch`.
from . import data, datasets, nn, optim, testing, vision
from .compile import compile
from .autograd import (detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like, linspace,
                       ones, ones_like, rand, randint, randn, tensor, zeros, zeros_like)
from .device import device, set_default_device
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .errors import DTypeError, IndexRangeError, OptionError, ShapeError
from .ops.table import FUNCTIONS
from .random import manual_seed
from .serialization import load, save

# The function forms of the op table's ops: tg.exp(x), tg.sum(x, 1), tg.cat([a, b]), ...
globals().update(FUNCTIONS)

# PyTorch's short dtype names (set after the function forms: tg.float is a dtype, as in torch).
float, double, half, long, int, bool, short = (float32, float64, float16, int64, int32, bool_,
                                               int16)
# `tg.cuda.is_available()`, `tg.accelerator.is_available()` (and xpu's, mps's) answer no:
# scripts that choose their device with them pick the CPU.
cuda = xpu = _SimpleNamespace(is_available=_device.is_available,
                              device_count=_device.device_count)
accelerator = _SimpleNamespace(is_available=_device.is_available,
                               device_count=_device.device_count,
                               current_accelerator=lambda: None)
backends = _SimpleNamespace(mps=_SimpleNamespace(is_available=_device.is_available,
                                                 is_built=_device.is_available))

__version__ = "0.1.0"
version = __version__

__all__ = [
    "DTypeError", "IndexRangeError", "OptionError", "ShapeError",
    "Tensor", "accelerator", "arange", "backends", "bool", "bool_", "compile", "cuda", "data",
    "datasets",
    "detect_anomaly", "device", "double", "empty", "empty_like", "enable_grad", "eye", "float",
    "float16", "float32", "float64", "from_numpy", "full", "full_like", "get_default_dtype",
    "grad", "half", "int", "int8", "int16", "int32", "int64", "is_grad_enabled", "linspace",
    "load", "long", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand",
    "randint", "randn", "save", "set_default_device", "set_default_dtype", "set_grad_enabled",
    "short", "tensor", "testing", "uint8", "version", "vision", "xpu", "zeros", "zeros_like",
]
__all__ += sorted(FUNCTIONS)
