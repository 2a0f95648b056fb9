"""`F.max_pool1d/2d`, `F.avg_pool1d/2d`, `F.adaptive_avg_pool1d/2d`, with PyTorch's output
sizes (ceil_mode included) and argument checks.

Max pooling is a primitive over windowed views (`primitives.pooling`); average pooling is a
convolution of each channel with a constant kernel of ones, divided by each window's count, so
its gradients of any order come from the convolution's; adaptive average pooling is a product
with a constant averaging matrix per spatial dim.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..primitives.conv import Conv, Geometry
from ..primitives.pooling import MaxPool, max_and_positions
from ..autograd.tensor_core import Tensor
from .functional_conv import IntOrTuple, batched, check_fits, ntuple
from ..errors import DTypeError
from ..ops.args import as_input


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size: with ceil_mode the last window may hang over the end,
    but must start inside the input or its left padding."""
    span = d * (k - 1) + 1
    out = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(op: str, x: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool) -> Geometry:
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    stride_t = kernel if stride is None or stride == [] else ntuple(stride, nd, "stride", op)
    pad = ntuple(padding, nd, "padding", op, minimum=0)
    dil = ntuple(dilation, nd, "dilation", op)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"{op}: padding {pad} must be at most half the kernel size {kernel}, "
                         "so that every window holds an input element.")
    size = tuple(x.shape[2:])
    outs = [_out_size(n, k, s, p, d, ceil_mode)
            for n, k, s, p, d in zip(size, kernel, stride_t, pad, dil)]
    # Padding after: whatever the last window needs (more than `padding` with ceil_mode,
    # less when the windows stop short of the end).
    pads = tuple((p, max(0, (o - 1) * s + d * (k - 1) + 1 - n - p)) for n, k, s, p, d, o in
                 zip(size, kernel, stride_t, pad, dil, outs))
    geo = Geometry(size, kernel, stride_t, pads, dil)
    if min(outs) < 1:
        check_fits(op, x.shape, geo)
    for n, k, s, p, d, o in zip(size, kernel, stride_t, pad, dil, outs):
        # A dilated window can step over a small input and see only padding: no maximum.
        taps = np.arange(o)[:, None] * s - p + np.arange(k) * d
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            raise ValueError(
                f"{op}: with kernel {kernel}, dilation {dil} and padding {pad}, some window on "
                f"input of shape {x.shape} holds only padding; use a larger input or less "
                "padding or dilation.")
    return geo


def _max_pool(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, nd: int, op: str) -> Any:
    # Integers are fine for a maximum (PyTorch takes them too); only floats carry gradients.
    x, unbatched = batched(as_input(input, op, floating=False), nd, op)
    if x.dtype.kind not in "fiu":
        raise DTypeError(f"{op}: expected a float or integer input, got dtype {x.dtype}.")
    geo = _pool_geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode)
    out = MaxPool.apply(x, geo)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    # The recorded node kept the positions; an unrecorded op (no grad) has no node to ask.
    indices = Tensor(out.grad_fn.indices if out.grad_fn is not None
                     else max_and_positions(x._data, geo)[1])
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def max_pool1d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The maximum over each window of (N, C, L); with return_indices also the int64 position
    of each maximum in its row."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The maximum over each window of (N, C, H, W) (stride defaults to the kernel size;
    padding counts as -inf); with return_indices also the int64 flat position h W + w of each
    maximum in its plane, as PyTorch's."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def _window_counts(geo: Geometry, pad: tuple[int, ...], count_include_pad: bool) -> np.ndarray:
    """Each output's divisor, PyTorch's rule: the window clipped to the padded input (with
    count_include_pad) or to the input itself; a product of one count per spatial dim."""
    total = np.ones((), dtype=np.int64)
    for n, k, s, p, o in zip(geo.size, geo.kernel, geo.stride, pad, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        total = np.multiply.outer(total, end - start)
    return total


def _avg_pool(input: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None, nd: int, op: str) -> Tensor:
    x, unbatched = batched(as_input(input, op), nd, op)
    geo = _pool_geometry(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    n, c = x.shape[:2]
    # Each channel on its own, as one-channel images: a sum over windows by the conv's matmul.
    ones = Tensor(np.ones((1, 1) + geo.kernel, dtype=x.dtype))
    sums = Conv.apply(x.reshape((n * c, 1) + geo.size), ones, None, geo)
    sums = sums.reshape((n, c) + geo.out)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must be non-zero.")
        out = sums / divisor_override
    else:
        pad = tuple(lo for lo, _ in geo.padding)
        out = sums / _window_counts(geo, pad, count_include_pad).astype(x.dtype)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean over each window of (N, C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     1, "avg_pool1d")


def avg_pool2d(input: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean over each window of (N, C, H, W): zero padding counted in the divisor unless
    count_include_pad=False; divisor_override replaces the divisor."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def _averaging_matrix(n: int, out: int, dtype: Any) -> np.ndarray:
    """(out, n): row i averages the input's [floor(i n / out), ceil((i + 1) n / out))."""
    m = np.zeros((out, n), dtype=dtype)
    for i in range(out):  # (a loop over output sizes, a handful of rows)
        lo, hi = (i * n) // out, math.ceil((i + 1) * n / out)
        m[i, lo:hi] = 1 / (hi - lo)
    return m


def _adaptive_avg_pool(input: Any, output_size: Any, nd: int, op: str) -> Tensor:
    x, unbatched = batched(as_input(input, op), nd, op)
    sizes = (output_size,) * nd if isinstance(output_size, (int, np.integer)) or \
        output_size is None else tuple(output_size)
    if len(sizes) != nd:
        raise ValueError(f"{op}: output_size must be an int or {nd} values, got "
                         f"{output_size!r}.")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    if min(sizes) < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}.")
    out = x
    for j in range(nd):  # out = out @ M^T along spatial dim j, the others moved out of the way
        axis = 2 + j
        m = _averaging_matrix(x.shape[axis], sizes[j], x.dtype)
        out = (out.transpose(axis, -1) @ m.T).transpose(axis, -1)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Any, output_size: int) -> Tensor:
    """Average (N, C, L) over output_size near-equal windows."""
    return _adaptive_avg_pool(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average (N, C, H, W) over near-equal windows to (N, C, *output_size) (None keeps a
    dim's size)."""
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")
