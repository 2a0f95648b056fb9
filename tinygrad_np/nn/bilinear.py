"""`Bilinear`, y = x1^T A x2 + b for each output feature."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from . import init
from .functional_bilinear import bilinear
from .module import Module, Parameter, factory_dtype


class Bilinear(Module):
    """y[..., o] = x1[..., :] @ weight[o] @ x2[..., :] + bias[o], with `weight` of shape
    (out_features, in1_features, in2_features) and `bias` (out_features,). Initialised like
    PyTorch: both ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        sizes = (("in1_features", in1_features), ("in2_features", in2_features),
                 ("out_features", out_features))
        for name, n in sizes:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, got {n!r}.")
        self.in1_features, self.in2_features, self.out_features = (int(n) for _, n in sizes)
        dtype = factory_dtype("Bilinear", device, dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features,
                                          self.in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
