"""tinygrad_np: a small, readable reverse-mode autodiff framework on NumPy, PyTorch-style."""

# The subpackages are reachable as attributes (`tg.nn`, `tg.optim`), like torch.nn after
# `import torch`.
from . import data, datasets, nn, optim, testing
from .autograd import (detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .creation import (arange, cat, eye, from_numpy, full, linspace, ones, ones_like, rand,
                       randint, randn, stack, tensor, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from .ops import (abs, amax, amin, argmax, argmin, broadcast_to, clamp, clip, cos, exp,
                  flatten, floor_divide, log, log_softmax, logsumexp, max, maximum, mean, min,
                  minimum, permute, prod, relu, remainder, reshape, sigmoid, sign, sin, softmax,
                  sqrt, squeeze, std, sum, tanh, transpose, unsqueeze, var)
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, matmul, where

__version__ = "0.1.0"
version = __version__

__all__ = [
    "Tensor", "abs", "amax", "amin", "arange", "argmax", "argmin", "bool_", "broadcast_to",
    "cat", "clamp", "clip", "cos", "data", "datasets", "detect_anomaly", "enable_grad", "exp",
    "eye", "flatten", "float16", "float32", "float64", "floor_divide", "from_numpy", "full",
    "get_default_dtype", "grad", "int32", "int64", "is_grad_enabled", "linspace", "load", "log",
    "log_softmax", "logsumexp", "manual_seed", "matmul", "max", "maximum", "mean", "min",
    "minimum", "nn", "no_grad", "ones", "ones_like", "optim", "permute", "prod", "rand",
    "randint", "randn", "relu", "remainder", "reshape", "save", "set_default_dtype",
    "set_grad_enabled",
    "sigmoid", "sign", "sin", "softmax", "sqrt", "squeeze", "stack", "std", "sum", "tanh",
    "tensor",
    "testing", "transpose", "unsqueeze", "var", "version", "where", "zeros", "zeros_like",
]
