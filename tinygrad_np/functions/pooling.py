"""Max pooling, and the gather / scatter pair its gradients are made of.

`MaxPool` reads each window through a strided view (no loop over pixels) and keeps, per
output, the flat index of its maximum within the input plane (PyTorch's `return_indices`).
Its backward scatters the gradient to those positions (`PlaneScatter`), whose own backward
gathers from them (`PlaneGather`), and vice versa: differentiable to any order.
(Average pooling needs no primitive: it is a convolution with a constant kernel.)
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .conv import Geometry, windows


def _global(idx: np.ndarray, plane: int) -> np.ndarray:
    """Per-plane flat indices (N, C, out ..) -> indices into the whole flattened input."""
    n, c = idx.shape[:2]
    starts = np.arange(0, n * c * plane, plane, dtype=np.intp)
    return idx + starts.reshape((n, c) + (1,) * (idx.ndim - 2))


def argmax_positions(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """For each window, the flat index within its (unpadded) input plane of the first
    maximum (NaN counts as the maximum, as in PyTorch)."""
    nd = len(geo.size)
    view = windows(x, geo, fill=-np.inf)
    flat = view.reshape(view.shape[:2 + nd] + (-1,))  # (a copy: windows may overlap)
    which = np.argmax(flat, axis=-1)
    offsets = np.unravel_index(which, geo.kernel)
    position = np.zeros(which.shape, dtype=np.int64)
    for j in range(nd):
        along = (np.arange(geo.out[j]) * geo.stride[j] - geo.padding[j][0]).reshape(
            (-1,) + (1,) * (nd - 1 - j))
        position *= geo.size[j]
        position += along + offsets[j] * geo.dilation[j]
    return position


class MaxPool(Function):
    """The maximum of each window of x (N, C, size ..), the padding never chosen. ctx.indices
    holds the per-plane flat positions of the maxima, for `return_indices`."""

    @staticmethod
    def forward(ctx, x, geo):
        idx = argmax_positions(x, geo)
        ctx.indices, ctx.shape = idx, x.shape
        # Windows never overlap when the stride covers the dilated kernel: then no input
        # position is picked twice, and the scatter can assign instead of add.
        ctx.disjoint = all(s >= e for s, e in zip(geo.stride, geo.span))
        return np.take(x.reshape(-1), _global(idx, int(np.prod(geo.size))))

    @staticmethod
    def backward(ctx, grad):
        return PlaneScatter.call(grad, ctx.indices, ctx.shape, ctx.disjoint), None


class PlaneScatter(Function):
    """zeros(shape) with values (N, C, out ..) added at the per-plane flat indices."""

    @staticmethod
    def forward(ctx, values, idx, shape, disjoint=False):
        ctx.indices = idx
        plane = int(np.prod(shape[2:]))
        where = _global(idx, plane).reshape(-1)
        if disjoint:
            out = np.zeros(int(np.prod(shape)), dtype=values.dtype)
            out[where] = values.reshape(-1)
        else:  # repeated indices add up
            out = np.bincount(where, weights=values.reshape(-1),
                              minlength=int(np.prod(shape))).astype(values.dtype, copy=False)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return PlaneGather.call(grad, ctx.indices), None, None, None


class PlaneGather(Function):
    """x (N, C, size ..) read at per-plane flat indices idx (N, C, out ..)."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.indices, ctx.shape = idx, x.shape
        return np.take(x.reshape(-1), _global(idx, int(np.prod(x.shape[2:]))))

    @staticmethod
    def backward(ctx, grad):
        return PlaneScatter.call(grad, ctx.indices, ctx.shape), None
