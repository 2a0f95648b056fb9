"""`Dropout2d`: drops whole channels (feature maps) in training, the identity in eval."""

from __future__ import annotations

from ..autograd.tensor_core import Tensor
from . import functional as F
from .module import Module


class Dropout2d(Module):
    """In training, zero each channel of (N, C, H, W) with probability p and scale the others
    by 1 / (1 - p): neighbouring pixels are correlated, so dropping single pixels would
    regularise little. Seeded by manual_seed."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout2d: probability p must be in [0, 1], got {p}.")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
