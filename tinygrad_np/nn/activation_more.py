"""More activation modules (PyTorch's names and arguments) over functional_activations."""

from __future__ import annotations

from ..autograd.tensor_core import Tensor
from ..creation import full
from . import functional_activations as FA
from .module import Module, Parameter


class _Elementwise(Module):
    """An activation without parameters: forward is `fn(input, **options)`."""

    fn = staticmethod(FA.silu)
    options: tuple[str, ...] = ()

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input, **{k: getattr(self, k) for k in self.options})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)}" for k in self.options)


class SiLU(_Elementwise):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class Mish(SiLU):
    fn = staticmethod(FA.mish)


class SELU(SiLU):
    fn = staticmethod(FA.selu)


class ReLU6(SiLU):
    fn = staticmethod(FA.relu6)


class Hardsigmoid(SiLU):
    fn = staticmethod(FA.hardsigmoid)


class Hardswish(SiLU):
    fn = staticmethod(FA.hardswish)


class Softsign(_Elementwise):
    fn = staticmethod(FA.softsign)


class Tanhshrink(Softsign):
    fn = staticmethod(FA.tanhshrink)


class LogSigmoid(Softsign):
    fn = staticmethod(FA.logsigmoid)


class ELU(_Elementwise):
    fn = staticmethod(FA.elu)
    options = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha


class CELU(ELU):
    fn = staticmethod(FA.celu)


class Hardtanh(_Elementwise):
    fn = staticmethod(FA.hardtanh)
    options = ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val = min_val, max_val


class PReLU(Module):
    """x for x >= 0, a x otherwise, with a learned slope a (one, or one per channel)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), float(init)))

    def forward(self, input: Tensor) -> Tensor:
        return FA.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
