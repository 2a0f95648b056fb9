"""Vector similarity and distance in `nn.functional`: `normalize`, `cosine_similarity`,
`pairwise_distance`, compositions of Tensor ops (gradients of every order come with them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input

__all__ = ["cosine_similarity", "normalize", "pairwise_distance"]


def _check_p(op: str, p: float) -> None:
    if not (p == np.inf or (isinstance(p, (int, float)) and not isinstance(p, bool) and p >= 1)):
        raise ValueError(f"{op}: p must be a number >= 1 or inf, got {p!r} (p < 1 is not a "
                         "norm, and is not supported).")


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """x / max(||x||_p, eps) along `dim`: unit vectors, and x / eps for a norm below eps
    (where, as in PyTorch, the clamped norm passes no gradient)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor.")
    _check_p("normalize", p)
    x = as_input(input, "normalize")
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along dim (kept), its value raised to eps where smaller but its gradient that of
    the norm itself: PyTorch clamps the norm in place under no_grad."""
    n = x.norm(2, dim, keepdim=True)
    floor = np.maximum(n._data, eps) - n._data
    return n + floor.astype(n.dtype, copy=False) if (floor != 0).any() else n


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim`, the inputs broadcast
    together (PyTorch's formula: each vector normalised first, so its result stays in
    [-1, 1])."""
    a, b = as_input(x1, "cosine_similarity"), as_input(x2, "cosine_similarity")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 of shape {a.shape} and x2 of shape {b.shape} "
                         "do not broadcast together.") from None
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for inputs of shape "
                         f"{shape}.")
    a, b = a.expand(shape), b.expand(shape)
    return ((a / _clamped_norm(a, dim, eps)) * (b / _clamped_norm(b, dim, eps))).sum(dim)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (eps keeps the norm of equal vectors off its
    kink at 0, as in PyTorch)."""
    _check_p("pairwise_distance", p)
    a, b = as_input(x1, "pairwise_distance"), as_input(x2, "pairwise_distance")
    diff = a - b + eps
    return diff.norm(p, -1 if diff.ndim else None, keepdim=keepdim)
