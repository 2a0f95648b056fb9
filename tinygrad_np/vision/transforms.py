"""Image transforms with torchvision's names and semantics, on (C, H, W) float tensors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, untracked
from ..dtypes import get_default_dtype

__all__ = ["Compose", "Lambda", "Normalize", "ToTensor"]


class Compose:
    """Apply each transform in turn."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class ToTensor:
    """An image (H, W) or (H, W, C), uint8 in [0, 255] (or anything np.asarray reads, such as
    a PIL image), as a (C, H, W) tensor of the default float dtype in [0, 1]: x / 255 (other
    arrays are not scaled, as in torchvision)."""

    def __call__(self, image: Any) -> Tensor:
        a = np.asarray(image)
        if a.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got "
                             f"shape {a.shape}.")
        a = a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)
        if a.dtype == np.uint8:
            dtype = get_default_dtype()
            return untracked(a.astype(dtype) / dtype.type(255))
        return untracked(np.ascontiguousarray(a))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """(x - mean[c]) / std[c] for each channel c of a (C, H, W) tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean, self.std = list(mean), list(std)
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std {self.std} has a 0; every std must be nonzero.")

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor) or tensor.ndim < 3:
            raise TypeError(f"Normalize: expected a (C, H, W) tensor (after ToTensor), got "
                            f"{type(tensor).__name__} of shape {getattr(tensor, 'shape', None)}.")
        dtype = tensor.dtype
        mean = np.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=dtype).reshape(-1, 1, 1)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a callable, got {type(lambd).__name__}.")
        self.lambd = lambd

    def __call__(self, image: Any) -> Any:
        return self.lambd(image)

    def __repr__(self) -> str:
        return "Lambda()"
