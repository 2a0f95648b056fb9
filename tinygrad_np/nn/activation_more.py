"""More activation modules (ELU ... PReLU): wrappers over `nn.functional`, with PyTorch's
arguments, repr and, for PReLU, its parameter `weight`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from . import functional_activation as FA
from . import init as nn_init
from .module import Module, Parameter, factory_dtype


def _inplace(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class _Elementwise(Module):
    """An activation with an `inplace` flag (accepted for PyTorch scripts; the output is
    always a new tensor) and no other argument."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return FA.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""

    def forward(self, input: Tensor) -> Tensor:
        return FA.celu(input, self.alpha)


class SELU(_Elementwise):
    """scale * elu(x, alpha), scale = 1.0507..., alpha = 1.6733..."""

    def forward(self, input: Tensor) -> Tensor:
        return FA.selu(input)


class SiLU(_Elementwise):
    """x sigmoid(x)"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.silu(input)


class Mish(_Elementwise):
    """x tanh(softplus(x))"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.mish(input)


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        FA._limits(type(self).__name__, min_val, max_val)
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return FA.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class Hardswish(_Elementwise):
    """x relu6(x + 3) / 6"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.hardswish(input)

    def extra_repr(self) -> str:
        return ""


class Hardsigmoid(_Elementwise):
    """relu6(x + 3) / 6"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.hardsigmoid(input)

    def extra_repr(self) -> str:
        return ""


class Softsign(Module):
    """x / (1 + |x|)"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)"""

    def forward(self, input: Tensor) -> Tensor:
        return FA.tanhshrink(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), exact at any x."""

    def forward(self, input: Tensor) -> Tensor:
        return FA.logsigmoid(input)


class PReLU(Module):
    """x for x > 0, a x otherwise, with the slope a learnt: the parameter `weight` of shape
    (num_parameters,), all `init` at first; num_parameters is 1 or the input's channels."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int (1, or the number "
                             f"of channels), got {num_parameters!r}.")
        self.num_parameters = int(num_parameters)
        self.init = init
        dtype = factory_dtype("PReLU", device, dtype)
        self.weight = Parameter(np.empty(self.num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn_init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return FA.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
