"""`F.scaled_dot_product_attention`, composed of differentiable ops (matmul, softmax, where)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, untracked
from ..errors import ShapeError
from .functional_extra import dropout


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + bias) V, as torch's: scale defaults to 1 / sqrt(E) (E the last
    dim of Q); bias is -inf where a bool attn_mask is False (or above the diagonal with
    is_causal), or a float attn_mask itself. Shapes (..., L, E), (..., S, E), (..., S, Ev);
    with enable_gqa, K and V may have fewer heads (dim -3), each shared by a group of Q's."""
    if is_causal and attn_mask is not None:
        raise ShapeError("scaled_dot_product_attention: give attn_mask or is_causal=True, not "
                         "both (build the causal mask into attn_mask instead).")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or value.shape[-3] != kv_heads:
            raise ShapeError(f"scaled_dot_product_attention: with enable_gqa the query's "
                             f"{heads} heads must be a multiple of the key's and value's "
                             f"({kv_heads}, {value.shape[-3]}).")
        key = key.repeat_interleave(heads // kv_heads, dim=-3)
        value = value.repeat_interleave(heads // kv_heads, dim=-3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((length, source), dtype=bool))
    if attn_mask is not None:
        mask = attn_mask if isinstance(attn_mask, Tensor) else untracked(np.asarray(attn_mask))
        if mask.dtype == np.bool_:
            # -inf where masked: a fully masked row gives NaN, as in PyTorch.
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value
