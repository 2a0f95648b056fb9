"""Max pooling, and the gather / scatter pair its gradients are made of.

`MaxPool` reads each window through a strided view (no loop over pixels) and keeps, per
output, the flat index of its maximum within the input plane (PyTorch's `return_indices`).
Its backward scatters the gradient to those positions (`PlaneScatter`), whose own backward
gathers from them (`PlaneGather`), and vice versa: differentiable to any order.
(Average pooling needs no primitive: it is a convolution with a constant kernel.)
"""

from __future__ import annotations

import itertools

import numpy as np

from ..autograd.function import Function
from .conv import Geometry, padded


def _global(idx: np.ndarray, plane: int) -> np.ndarray:
    """Per-plane flat indices (N, C, out ..) -> indices into the whole flattened input."""
    n, c = idx.shape[:2]
    starts = np.arange(0, n * c * plane, plane, dtype=np.intp)
    return idx + starts.reshape((n, c) + (1,) * (idx.ndim - 2))


def max_and_positions(x: np.ndarray, geo: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each window's maximum and the flat index within its (unpadded) input plane of that
    maximum: the first one, or the last NaN, as PyTorch picks them.

    A few passes per kernel offset over strided views of the padded input, each over the whole
    batch: no copy of the windows, and no argmax over rows of a few elements (several times
    dearer). Only arithmetic on bools and small ints: a masked copy or np.where per offset
    would cost five times as much."""
    nd = len(geo.size)
    # Padding never wins: -inf, or the smallest integer of an integer input.
    xp = padded(x, geo, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    offsets = list(itertools.product(*(range(k) for k in geo.kernel)))
    views = [xp[(slice(None),) * 2 + tuple(
        slice(k * d, k * d + (o - 1) * s + 1, s)
        for k, d, o, s in zip(offset, geo.dilation, geo.out, geo.stride))]
        for offset in offsets]
    # (order K: the input's memory order, often channels-first from a convolution; mixing
    # layouts would make every pass below stride across memory)
    best = views[0].copy(order="K")
    for view in views[1:]:
        np.maximum(best, view, out=best)  # NaN propagates, as in PyTorch
    # which = the number of offsets before the first maximum: the sum of "still below it".
    which = np.zeros_like(best, dtype=np.int8 if len(offsets) < 128 else np.intp)
    below = np.empty_like(best, dtype=bool)
    pending = np.ones_like(best, dtype=bool)
    for view in views[:-1]:
        np.less(view, best, out=below)
        pending &= below
        which += pending
    nan = np.isnan(best)
    if nan.any():  # PyTorch keeps the last NaN of a window
        for n, view in enumerate(views):
            which[nan & np.isnan(view)] = n
    # position = (window origin in the plane) + (the chosen offset's displacement), each a
    # sum over the spatial dims of coordinate * the plane's stride along that dim.
    plane_strides = [int(np.prod(geo.size[j + 1:])) for j in range(nd)]
    shift = np.array([sum(k * d * ps for k, d, ps in zip(offset, geo.dilation, plane_strides))
                      for offset in offsets], dtype=np.intp)
    origin = np.zeros((), dtype=np.intp)
    for j in range(nd):
        starts = (np.arange(geo.out[j]) * geo.stride[j] - geo.padding[j][0]) * plane_strides[j]
        origin = np.add.outer(origin, starts)
    return best, np.take(shift, which) + origin


class MaxPool(Function):
    """The maximum of each window of x (N, C, size ..), the padding never chosen. ctx.indices
    holds the per-plane flat positions of the maxima, for `return_indices`."""

    @staticmethod
    def forward(ctx, x, geo):
        out, idx = max_and_positions(x, geo)
        ctx.indices, ctx.shape = idx, x.shape
        # Windows never overlap when the stride covers the dilated kernel: then no input
        # position is picked twice, and the scatter can assign instead of add.
        ctx.disjoint = all(s >= e for s, e in zip(geo.stride, geo.span))
        return out

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
