"""`F.interpolate`: resizing of the spatial dims (N, C, *spatial), as torch's.

Every mode is separable, so one spatial dim is resized at a time, by gathering rows of the
input (an index along that dim) and, for the linear modes, mixing two neighbours with
constant weights. Gathers and products are differentiable, so gradients of any order follow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, untracked
from ..errors import OptionError, ShapeError

# The spatial rank each linear mode needs (nearest modes take 1 to 3 spatial dims).
_LINEAR_RANK = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", *_LINEAR_RANK)


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize input's spatial dims to `size` (or by `scale_factor`).

    Per dim, input size n, output size m, s = n / m (or 1 / scale_factor when it is given and
    not recomputed), output position j reads input position
      nearest:        floor(j s)
      nearest-exact:  floor((j + 1/2) s)
      linear modes:   x = (j + 1/2) s - 1/2 (clamped at 0), or j (n - 1) / (m - 1) with
                      align_corners; value (1 - w) in[floor x] + w in[floor x + 1], w = x - floor x
    (indices clamped to n - 1). Integer inputs are computed in float32 and rounded back."""
    if mode not in _MODES:
        raise OptionError(f"interpolate: mode {mode!r} is not supported; use one of {_MODES}.")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported.")
    spatial = input.ndim - 2
    if not 1 <= spatial <= 3 or _LINEAR_RANK.get(mode, spatial) != spatial:
        want = f"a {_LINEAR_RANK[mode] + 2}-D" if mode in _LINEAR_RANK else "a 3-D, 4-D or 5-D"
        raise ShapeError(f"interpolate: mode {mode!r} needs {want} input (N, C, *spatial), "
                         f"got shape {input.shape}.")
    if align_corners is not None and mode not in _LINEAR_RANK:
        raise ValueError(f"interpolate: align_corners only applies to the linear modes, not "
                         f"{mode!r}; leave it None.")
    sizes, scales = _output_sizes(input.shape[2:], size, scale_factor, recompute_scale_factor)
    dtype = input.dtype
    x = input.float() if np.dtype(dtype).kind != "f" else input
    for d, (n, m, scale) in enumerate(zip(input.shape[2:], sizes, scales)):
        x = _resize_dim(x, d + 2, n, m, scale, mode, bool(align_corners))
    if x.dtype != dtype:  # integers: round to nearest and saturate, as PyTorch
        info = np.iinfo(dtype)
        x = x.round().clamp(info.min, info.max).to(dtype)
    return x


def _output_sizes(shape: tuple[int, ...], size: Any, scale_factor: Any,
                  recompute: bool | None) -> tuple[list[int], list[float | None]]:
    """The output sizes, and the scale each dim's coordinates use (None: n / m)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor.")
    if size is not None:
        sizes = [int(size)] * len(shape) if isinstance(size, (int, np.integer)) else list(size)
        if len(sizes) != len(shape):
            raise ShapeError(f"interpolate: size {size} must name {len(shape)} spatial sizes "
                             f"for spatial shape {shape}.")
        return [int(s) for s in sizes], [None] * len(shape)
    factors = [float(scale_factor)] * len(shape) if isinstance(scale_factor, (int, float)) \
        else [float(f) for f in scale_factor]
    if len(factors) != len(shape):
        raise ShapeError(f"interpolate: scale_factor {scale_factor} must name {len(shape)} "
                         f"factors for spatial shape {shape}.")
    sizes = [math.floor(n * f) for n, f in zip(shape, factors)]
    # PyTorch maps coordinates with the given factor unless asked to recompute it from sizes.
    return sizes, [None if recompute else 1.0 / f for f in factors]


def _resize_dim(x: Tensor, dim: int, n: int, m: int, scale: float | None, mode: str,
                align_corners: bool) -> Tensor:
    """x resized from n to m along `dim`."""
    s = n / m if scale is None else scale
    j = np.arange(m, dtype=np.float64)
    if mode == "nearest":
        return _take(x, dim, np.minimum(np.floor(j * s).astype(np.int64), n - 1))
    if mode == "nearest-exact":
        return _take(x, dim, np.minimum(np.floor((j + 0.5) * s).astype(np.int64), n - 1))
    if align_corners:
        src = j * ((n - 1) / (m - 1)) if m > 1 else np.zeros(m)
    else:
        src = np.maximum((j + 0.5) * s - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    w = (src - lo).reshape((m,) + (1,) * (x.ndim - dim - 1))
    w = untracked(w.astype(x.dtype))
    return _take(x, dim, lo) * (1 - w) + _take(x, dim, hi) * w


def _take(x: Tensor, dim: int, index: np.ndarray) -> Tensor:
    return x[(slice(None),) * dim + (index,)]
