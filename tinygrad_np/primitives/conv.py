"""Convolution primitives for any number of spatial dims (conv1d, conv2d, ... share them).

A convolution is one BLAS matmul over an unfolded input ("im2col"): the input's windows
copied into a (C k1 k2 .., N o1 o2 ..) matrix, so that the product with the (O, C k1 k2 ..)
weight gives all outputs of all batch items at once. The copy is read from a strided view
(`sliding_window_view`), so no Python loop runs over pixels, batch items or channels; its
memory is C * prod(kernel) * N * prod(out) elements, the one large temporary of the op.

The three primitives are the three partial derivatives of one trilinear form
T(x, w, y) = <conv(x, w), y>, so each one's backward is made of the other two:

* `Conv(x, w, b)`          = conv(x, w) + b        (dT/dy)
* `ConvTranspose(y, w)`    = conv's adjoint in x  (dT/dx: conv's input gradient)
* `ConvWeight(x, y)`       = conv's adjoint in w  (dT/dw: conv's weight gradient)

and so they are differentiable to any order under create_graph. `Unfold` and `Fold` (im2col
and col2im as ops) are each other's adjoint in the same way.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Function


class Geometry(NamedTuple):
    """Where a kernel's windows lie on an input of spatial shape `size` (per spatial dim).
    `padding` holds (before, after) pairs: 'same' padding with an even kernel is uneven."""

    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int = 1

    @property
    def span(self) -> tuple[int, ...]:
        """The dilated kernel's extent: d (k - 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(n + lo + hi for n, (lo, hi) in zip(self.size, self.padding))

    @property
    def out(self) -> tuple[int, ...]:
        return tuple((p - e) // s + 1 for p, e, s in zip(self.padded, self.span, self.stride))


def padded(x: np.ndarray, geo: Geometry, fill: float) -> np.ndarray:
    """x with its spatial dims padded by `fill` (a copy only when there is padding)."""
    if not any(lo or hi for lo, hi in geo.padding):
        return x
    out = np.full(x.shape[:2] + geo.padded, fill, dtype=x.dtype)
    inner = tuple(slice(lo, lo + n) for n, (lo, _) in zip(geo.size, geo.padding))
    out[(slice(None), slice(None)) + inner] = x
    return out


def windows(x: np.ndarray, geo: Geometry, fill: float = 0.0) -> np.ndarray:
    """A strided view (N, C, o1 .., k1 ..) of x's windows: [n, c, o, k] is the padded input
    at o * stride + k * dilation. No copy beyond the padding."""
    nd = len(geo.size)
    view = sliding_window_view(padded(x, geo, fill), geo.span, axis=tuple(range(2, 2 + nd)))
    index = ((slice(None),) * 2
             + tuple(slice(None, (o - 1) * s + 1, s) for o, s in zip(geo.out, geo.stride))
             + tuple(slice(None, None, d) for d in geo.dilation))
    return view[index]


def im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The unfolded input, C-contiguous (C k1 k2 .., N o1 o2 ..). Batch and output positions
    are innermost, so the copy runs along long rows of the input, and the matrix is the right
    operand of the weight's (O, C k ..) in one matmul."""
    nd = len(geo.size)
    view = windows(x, geo)
    order = (1, *range(2 + nd, 2 + 2 * nd), 0, *range(2, 2 + nd))
    cols = np.ascontiguousarray(view.transpose(order))
    return cols.reshape(x.shape[1] * int(np.prod(geo.kernel)), -1)


def col2im(cols: np.ndarray, geo: Geometry, n: int) -> np.ndarray:
    """The adjoint of im2col: (C k .., N o ..) columns summed back into an (N, C, size ..)
    input, one strided add per kernel offset (prod(kernel) adds, each over the whole batch).
    The result is a transposed view of a (C, N, ..) buffer."""
    c = cols.shape[0] // int(np.prod(geo.kernel))
    cols = cols.reshape((c, *geo.kernel, n, *geo.out))
    buf = np.zeros((c, n) + geo.padded, dtype=cols.dtype)
    for offset in itertools.product(*(range(k) for k in geo.kernel)):
        target = tuple(slice(k * d, k * d + (o - 1) * s + 1, s) for k, d, o, s in
                       zip(offset, geo.dilation, geo.out, geo.stride))
        buf[(slice(None), slice(None)) + target] += cols[(slice(None),) + offset]
    inner = tuple(slice(lo, lo + size) for size, (lo, _) in zip(geo.size, geo.padding))
    return buf[(slice(None), slice(None)) + inner].swapaxes(0, 1)


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(R, M) -> (groups, R / groups, M): each group's rows (a view)."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _as_rows(y: np.ndarray) -> np.ndarray:
    """An (N, O, o ..) output-shaped array as the (O, N o ..) matrix of the matmuls (a view
    when y is itself a transposed (O, N, ..) buffer, as Conv's output is)."""
    return y.swapaxes(0, 1).reshape(y.shape[1], -1)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry,
                 cols: np.ndarray | None = None) -> np.ndarray:
    """conv(x, w) as (N, O, o ..): a transposed view of a C-contiguous (O, N, o ..) result."""
    cols = im2col(x, geo) if cols is None else cols
    o, g = w.shape[0], geo.groups
    if g == 1:
        out = w.reshape(o, -1) @ cols
    else:
        out = np.matmul(_grouped(w.reshape(o, -1), g), _grouped(cols, g))
    return out.reshape((o, x.shape[0], *geo.out)).swapaxes(0, 1)


def conv_input_grad(y: np.ndarray, w: np.ndarray, geo: Geometry,
                    rows: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of conv(., w) applied to an output-shaped y: col2im(w^T y)."""
    o, g = w.shape[0], geo.groups
    rows = _as_rows(y) if rows is None else rows
    if g == 1:
        cols = w.reshape(o, -1).T @ rows
    else:
        cols = np.matmul(_grouped(w.reshape(o, -1), g).transpose(0, 2, 1), _grouped(rows, g))
    return col2im(cols.reshape(-1, rows.shape[1]), geo, y.shape[0])


def conv_weight_grad(x: np.ndarray, y: np.ndarray, geo: Geometry, w_shape: tuple[int, ...],
                     cols: np.ndarray | None = None,
                     rows: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of conv(x, .) applied to an output-shaped y: y im2col(x)^T."""
    cols = im2col(x, geo) if cols is None else cols
    rows = _as_rows(y) if rows is None else rows
    g = geo.groups
    if g == 1:
        return (rows @ cols.T).reshape(w_shape)
    return np.matmul(_grouped(rows, g), _grouped(cols, g).transpose(0, 2, 1)).reshape(w_shape)


def _spatial_sum(y: np.ndarray) -> np.ndarray:
    """The bias gradient: y summed over all but the channel dim."""
    return np.sum(y, axis=(0, *range(2, y.ndim)))


class Conv(Function):
    """conv(x, w) + b: x (N, C, size ..), w (O, C / groups, kernel ..), b (O,) or None."""

    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        cols = im2col(x, geo)
        if ctx.needs_input_grad[1]:
            ctx.cols = cols  # for the plain backward's weight gradient (not recomputed)
        out = conv_forward(x, w, geo, cols)
        if b is not None:
            out += b.reshape((-1,) + (1,) * len(geo.size))
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if all(isinstance(a, np.ndarray) for a in (x, w, grad)):
            # On arrays: the gradient as (O, N L) rows once for all three matmuls / sums, and
            # the forward's columns reused.
            rows = _as_rows(grad)
            return (conv_input_grad(grad, w, geo, rows) if need_x else None,
                    conv_weight_grad(x, grad, geo, w.shape, ctx.cols, rows) if need_w else None,
                    rows.sum(axis=1) if need_b else None, None)
        dx = ConvTranspose.call(grad, w, geo) if need_x else None
        dw = ConvWeight.call(x, grad, geo, w.shape) if need_w else None
        db = _spatial_sum(grad) if need_b else None
        return dx, dw, db, None


class ConvTranspose(Function):
    """The adjoint of conv(., w) (geometry `geo` of that conv): y (N, O, out ..) ->
    (N, C, size ..). conv_transpose with weight (C_in, C_out / groups, k ..) is this op with
    conv's O = C_in."""

    @staticmethod
    def forward(ctx, y, w, geo):
        ctx.save_for_backward(y, w)
        ctx.geo = geo
        return conv_input_grad(y, w, geo)

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need_y, need_w = ctx.needs_input_grad[:2]
        dy = Conv.call(grad, w, None, ctx.geo) if need_y else None
        dw = ConvWeight.call(grad, y, ctx.geo, w.shape) if need_w else None
        return dy, dw, None


class ConvWeight(Function):
    """The adjoint of conv(x, .): (x, y) -> the weight-shaped sum over windows of x times y."""

    @staticmethod
    def forward(ctx, x, y, geo, w_shape):
        ctx.save_for_backward(x, y)
        ctx.geo = geo
        return conv_weight_grad(x, y, geo, w_shape)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        dx = ConvTranspose.call(y, grad, ctx.geo) if need_x else None
        dy = Conv.call(x, grad, None, ctx.geo) if need_y else None
        return dx, dy, None, None


class Unfold(Function):
    """im2col as an op: (N, C, size ..) -> (N, C k .., L) (PyTorch's F.unfold layout)."""

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        cols = im2col(x, geo)
        return cols.reshape(cols.shape[0], x.shape[0], -1).swapaxes(0, 1)

    @staticmethod
    def backward(ctx, grad):
        return Fold.call(grad, ctx.geo), None


class Fold(Function):
    """col2im as an op, summing overlaps: (N, C k .., L) -> (N, C, size ..)."""

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo = geo
        n = cols.shape[0]
        return col2im(cols.swapaxes(0, 1).reshape(cols.shape[1], -1), geo, n)

    @staticmethod
    def backward(ctx, grad):
        return Unfold.call(grad, ctx.geo), None
