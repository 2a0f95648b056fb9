"""`F.pad`, `F.embedding`, `F.dropout` and `F.dropout2d`: built from existing primitives
(slicing, index gathers and their scatter adjoints, products with a drawn mask), so their
gradients of any order come for free."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitives.shape import IndexAddZeros
from ..random import default_generator
from ..autograd.tensor_core import Tensor
from ..ops.math import where
from ..ops.args import as_input

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n: int, lo: int, hi: int, mode: str, op: str) -> np.ndarray:
    """For reflect / replicate / circular padding of one dim of size n: the input position
    each of the n + lo + hi output positions copies."""
    pos = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "circular":
        if lo > n or hi > n:
            raise ValueError(f"{op}: circular padding ({lo}, {hi}) can wrap at most once "
                             f"around a dim of size {n}.")
        return pos % n
    if lo >= n or hi >= n:  # reflect: mirrored about the edge elements, which repeat once
        raise ValueError(f"{op}: reflect padding ({lo}, {hi}) must be smaller than the dim's "
                         f"size {n}.")
    period = 2 * (n - 1)
    folded = np.abs(pos) % period if period else np.zeros_like(pos)
    return np.where(folded >= n, period - folded, folded)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """Pad (or, with negative amounts and mode 'constant', crop) the last len(pad) / 2 dims:
    pad = (last_before, last_after, second_last_before, ...), PyTorch's order."""
    x = as_input(input, "pad", floating=False)
    pads = [int(p) for p in pad]
    if len(pads) % 2 or len(pads) // 2 > x.ndim:
        raise ValueError(f"pad: pad {tuple(pad)} must have an even length of at most "
                         f"2 * ndim = {2 * x.ndim} for input of shape {x.shape}.")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}.")
    pairs = {x.ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)}
    if mode != "constant":
        if value:
            raise ValueError(f"pad: value applies only to mode 'constant', not {mode!r}.")
        if min(pads, default=0) < 0:
            raise ValueError(f"pad: negative padding {tuple(pad)} needs mode 'constant'.")
        out = x
        for axis, (lo, hi) in pairs.items():
            index = (slice(None),) * axis + (_source_index(x.shape[axis], lo, hi, mode, "pad"),)
            out = out[index]
        return out
    # Negative amounts crop first; then the input goes into a zero tensor (the adjoint of a
    # slice), and a constant fills the border.
    crop = tuple(slice(max(0, -pairs.get(a, (0, 0))[0]),
                       x.shape[a] - max(0, -pairs.get(a, (0, 0))[1])) for a in range(x.ndim))
    if any(s.start >= s.stop for s in crop):
        raise ValueError(f"pad: pad {tuple(pad)} crops input of shape {x.shape} to nothing.")
    x = x[crop] if any(p < 0 for p in pads) else x
    grow = {a: (max(0, lo), max(0, hi)) for a, (lo, hi) in pairs.items()}
    inner = tuple(slice(grow.get(a, (0, 0))[0], grow.get(a, (0, 0))[0] + x.shape[a])
                  for a in range(x.ndim))
    shape = tuple(x.shape[a] + sum(grow.get(a, (0, 0))) for a in range(x.ndim))
    out = IndexAddZeros.apply(x, inner, shape)
    if value:
        border = np.full(shape, value, dtype=x.dtype)
        border[inner] = 0
        out = out + border
    return out


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of weight (num_embeddings, dim) at the integer indices `input` (any shape):
    out[..., :] = weight[input[...], :]. The row at padding_idx gets no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported; leave them at their defaults.")
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype} "
                        f"(shape {idx.shape}); convert them with .long().")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D Tensor (num_embeddings, dim), got "
                         f"shape {getattr(weight, 'shape', None)}.")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"embedding: index {int(bad)} is out of range for {num} embeddings "
                         f"(weight shape {weight.shape}); indices must be in [0, {num}).")
    out = weight[idx]
    if padding_idx is not None:
        pad_row = padding_idx + num if padding_idx < 0 else padding_idx
        if not 0 <= pad_row < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for {num} "
                             "embeddings.")
        is_pad = (idx == pad_row)[..., None]
        if is_pad.any():  # the padding rows read a detached weight: no gradient flows there
            out = where(is_pad, weight.detach()[idx], out)
    return out


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (inverted
    dropout), so eval needs no rescaling; identity when not training. Draws from the
    generator seeded by manual_seed."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}.")
    x = as_input(input, "dropout")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = default_generator().random(x.shape) >= p
    return x * (keep.astype(x.dtype) / x.dtype.type(1 - p))


def dropout2d(input: Any, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels with probability p (one draw per (n, c) of (N, C, H, W), or per c
    of an unbatched (C, H, W)) and scale the rest by 1 / (1 - p); identity when not
    training."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: probability p must be in [0, 1], got {p}.")
    x = as_input(input, "dropout2d")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W) input, got shape "
                         f"{x.shape}.")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = default_generator().random(x.shape[:-2] + (1, 1)) >= p
    return x * (keep.astype(x.dtype) / x.dtype.type(1 - p))
