"""`F.conv1d`, `F.conv2d`, `F.conv_transpose1d/2d`, `F.unfold`, `F.fold`: argument checks and
the geometry of the windows; the arithmetic is in `primitives.conv` (im2col + one matmul).

Shapes, layouts and defaults are PyTorch's: input (N, C, *size) or unbatched (C, *size),
weight (out, in / groups, *kernel) for a convolution and (in, out / groups, *kernel) for a
transposed one. Bad arguments raise ValueError naming the op, the shapes and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..primitives.conv import Conv, ConvTranspose, Fold, Geometry, Unfold
from ..autograd.tensor_core import Tensor
from ..ops.args import as_input

IntOrTuple = int | Sequence[int]


def ntuple(value: Any, nd: int, name: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of `nd` ints, each >= minimum, as a tuple of `nd` ints."""
    values = (value,) * nd if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != nd or not all(isinstance(v, (int, np.integer))
                                    and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: {name} must be an int or {nd} ints, got {value!r}.")
    if min(values) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}.")
    return tuple(int(v) for v in values)


def batched(x: Tensor, nd: int, op: str, what: str = "") -> tuple[Tensor, bool]:
    """x as (N, C, *size), and whether it came unbatched (C, *size)."""
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    if x.ndim != nd + 2:
        raise ValueError(
            f"{op}: expected a {nd + 2}-D input (N, C{', L' if nd == 1 else ', H, W'}) or an "
            f"unbatched {nd + 1}-D one{what}, got shape {x.shape}."
        )
    return x, False


def check_fits(op: str, x_shape: tuple[int, ...], geo: Geometry) -> None:
    """Every output dimension must be at least 1: the padded input holds the dilated kernel."""
    if min(geo.padded[j] - geo.span[j] for j in range(len(geo.size))) < 0:
        raise ShapeError(
            f"{op}: input of shape {x_shape} (spatial size {geo.size}, padded to "
            f"{geo.padded}) is smaller than the kernel {geo.kernel} with dilation "
            f"{geo.dilation} (extent {geo.span}); use a larger input, more padding or a "
            "smaller kernel."
        )


def _padding(padding: Any, nd: int, kernel: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...], op: str) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial dim for an int, ints, 'valid' (none) or 'same' (the output
    as large as the input; an odd total puts the extra element after, as PyTorch does)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(f"{op}: padding must be 'same', 'valid' or ints, got {padding!r}.")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}; "
                             "pad explicitly with ints for a strided convolution.")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in ntuple(padding, nd, "padding", op, minimum=0))


def _check_weight(op: str, x: Tensor, weight: Tensor, groups: int, nd: int,
                  transposed: bool) -> None:
    layout = "(in, out / groups, *kernel)" if transposed else "(out, in / groups, *kernel)"
    if not isinstance(weight, Tensor) or weight.ndim != nd + 2:
        shape = getattr(weight, "shape", None)
        raise ValueError(f"{op}: weight must be a {nd + 2}-D Tensor {layout}, got shape {shape}.")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}.")
    c_in = x.shape[1]
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if c_in != expected:
        raise ValueError(
            f"{op}: input of shape {x.shape} has {c_in} channels but weight of shape "
            f"{weight.shape} {layout} with groups={groups} expects {expected}; make the "
            "layer's in_channels match the input's dim 1."
        )
    outer = weight.shape[0]
    if c_in % groups or outer % groups:
        raise ValueError(
            f"{op}: in_channels {c_in} and weight dim 0 ({outer}) must both be divisible by "
            f"groups={groups} (weight shape {weight.shape})."
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} differs from weight dtype "
                        f"{weight.dtype}; cast one, e.g. input.to(weight.dtype).")


def _check_bias(op: str, bias: Any, channels: int) -> None:
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (channels,)):
        raise ValueError(f"{op}: bias must be a Tensor of shape ({channels},), got shape "
                         f"{getattr(bias, 'shape', None)}.")


def _conv(input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, nd: int, op: str) -> Tensor:
    x, unbatched = batched(as_input(input, op), nd, op)
    _check_weight(op, x, weight, groups, nd, transposed=False)
    _check_bias(op, bias, weight.shape[0])
    kernel = tuple(weight.shape[2:])
    stride_t = ntuple(stride, nd, "stride", op)
    dilation_t = ntuple(dilation, nd, "dilation", op)
    pads = _padding(padding, nd, kernel, stride_t, dilation_t, op)
    geo = Geometry(tuple(x.shape[2:]), kernel, stride_t, pads, dilation_t, int(groups))
    check_fits(op, x.shape, geo)
    out = Conv.apply(x, weight, bias, geo)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C_in, L) with weight (C_out, C_in / groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C_in, H, W) with weight (C_out, C_in / groups, kh, kw)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(input: Any, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any, nd: int,
                    op: str) -> Tensor:
    x, unbatched = batched(as_input(input, op), nd, op)
    _check_weight(op, x, weight, groups, nd, transposed=True)
    _check_bias(op, bias, weight.shape[1] * groups)
    kernel = tuple(weight.shape[2:])
    stride_t = ntuple(stride, nd, "stride", op)
    dilation_t = ntuple(dilation, nd, "dilation", op)
    pad = ntuple(padding, nd, "padding", op, minimum=0)
    extra = ntuple(output_padding, nd, "output_padding", op, minimum=0)
    if any(e >= s for e, s in zip(extra, stride_t)):
        raise ValueError(f"{op}: output_padding {extra} must be smaller than the stride "
                         f"{stride_t} (it picks one of the output sizes a stride allows).")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
                 zip(x.shape[2:], stride_t, pad, dilation_t, kernel, extra))
    if min(size) < 1:
        raise ValueError(f"{op}: input of shape {x.shape} with kernel {kernel}, stride "
                         f"{stride_t} and padding {pad} gives output size {size}; reduce "
                         "the padding.")
    # The geometry of the convolution this op is the adjoint of: it maps `size` to x's size.
    geo = Geometry(size, kernel, stride_t, tuple((p, p) for p in pad), dilation_t, int(groups))
    out = ConvTranspose.apply(x, weight, geo)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Any, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                     output_padding: IntOrTuple = 0, groups: int = 1,
                     dilation: IntOrTuple = 1) -> Tensor:
    """The adjoint (gradient) of conv1d: (N, C_in, L) with weight (C_in, C_out / groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Any, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                     output_padding: IntOrTuple = 0, groups: int = 1,
                     dilation: IntOrTuple = 1) -> Tensor:
    """The adjoint (gradient) of conv2d: (N, C_in, H, W) with weight
    (C_in, C_out / groups, kh, kw); output size (H - 1) s - 2 p + d (k - 1) + output_padding
    + 1 per dim."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def unfold(input: Any, kernel_size: IntOrTuple, dilation: IntOrTuple = 1,
           padding: IntOrTuple = 0, stride: IntOrTuple = 1) -> Tensor:
    """The sliding windows of (N, C, H, W) as columns (N, C kh kw, L), L = the number of
    windows (im2col). Its adjoint is fold."""
    x, unbatched = batched(as_input(input, "unfold"), 2, "unfold")
    geo = Geometry(tuple(x.shape[2:]), ntuple(kernel_size, 2, "kernel_size", "unfold"),
                   ntuple(stride, 2, "stride", "unfold"),
                   tuple((p, p) for p in ntuple(padding, 2, "padding", "unfold", 0)),
                   ntuple(dilation, 2, "dilation", "unfold"))
    check_fits("unfold", x.shape, geo)
    out = Unfold.apply(x, geo)
    return out.squeeze(0) if unbatched else out


def fold(input: Any, output_size: IntOrTuple, kernel_size: IntOrTuple,
         dilation: IntOrTuple = 1, padding: IntOrTuple = 0, stride: IntOrTuple = 1) -> Tensor:
    """Columns (N, C kh kw, L) summed back into (N, C, *output_size), overlaps added (col2im):
    the adjoint of unfold with the same arguments."""
    cols = as_input(input, "fold")
    unbatched = cols.ndim == 2
    cols = cols.unsqueeze(0) if unbatched else cols
    kernel = ntuple(kernel_size, 2, "kernel_size", "fold")
    geo = Geometry(ntuple(output_size, 2, "output_size", "fold"), kernel,
                   ntuple(stride, 2, "stride", "fold"),
                   tuple((p, p) for p in ntuple(padding, 2, "padding", "fold", 0)),
                   ntuple(dilation, 2, "dilation", "fold"))
    k = kernel[0] * kernel[1]
    if cols.ndim != 3 or cols.shape[1] % k:
        raise ValueError(f"fold: expected input (N, C * {k}, L) or (C * {k}, L) for kernel "
                         f"{kernel}, got shape {tuple(input.shape)}.")
    check_fits("fold", (cols.shape[0], cols.shape[1] // k) + geo.size, geo)
    if cols.shape[2] != int(np.prod(geo.out)):
        raise ValueError(
            f"fold: input of shape {tuple(input.shape)} has {cols.shape[2]} columns, but "
            f"output_size {geo.size} with kernel {kernel}, stride {geo.stride}, padding "
            f"and dilation given has {int(np.prod(geo.out))} windows ({geo.out}); they must "
            "match."
        )
    out = Fold.apply(cols, geo)
    return out.squeeze(0) if unbatched else out
