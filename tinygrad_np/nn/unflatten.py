"""`Unflatten`: split one dim into several, the inverse of Flatten."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .module import Module


class Unflatten(Module):
    """Reshape dim `dim` into `unflattened_size` (one entry may be -1)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim + input.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < input.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for input of shape "
                             f"{input.shape}.")
        sizes, n = self.unflattened_size, input.shape[dim]
        known = int(np.prod([s for s in sizes if s != -1]))
        if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
            raise ValueError(f"Unflatten: dim {self.dim} of input shape {input.shape} has size "
                             f"{n}, which does not split into {sizes}.")
        return input.reshape(input.shape[:dim] + sizes + input.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
