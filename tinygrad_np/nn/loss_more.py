"""More losses of `nn.functional` (as compositions of differentiable ops, so their second
derivatives come for free), with PyTorch's formulas, options and reductions."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.math import where
from .functional_activations import cosine_similarity, pairwise_distance
from .loss_functions import _float_target, _reduce, check_reduction


def _pair(op: str, input: Any, target: Any, reduction: str) -> tuple[Tensor, Tensor]:
    check_reduction(op, reduction)
    x = as_input(input, op)
    return x, _float_target(op, x, target)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target|"""
    x, y = _pair("l1_loss", input, target, reduction)
    return _reduce((x - y).abs(), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    x, y = _pair("smooth_l1_loss", input, target, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}.")
    d = (x - y).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    x, y = _pair("huber_loss", input, target, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    d = (x - y).abs()
    return _reduce(where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target (log target - input), input being log-probabilities; 'batchmean' divides the
    sum by the batch size (the mathematically right KL), 'mean' by the element count."""
    op = "kl_div"
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}.")
    x = as_input(input, op)
    y = _float_target(op, x, target)
    if log_target:
        loss = y.exp() * (y - x)
    else:  # 0 log 0 = 0: the log of the unused branch is kept finite
        loss = where(y > 0, y * (where(y > 0, y, 1.0).log() - x), y * 0)
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """exp(input) - target input (log_input), or input - target log(input + eps); `full`
    adds Stirling's term target log target - target + log(2 pi target) / 2 where target > 1."""
    x, y = _pair("poisson_nll_loss", input, target, reduction)
    loss = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full:
        safe = where(y > 1, y, 2.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(y > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2)."""
    op = "gaussian_nll_loss"
    x, y = _pair(op, input, target, reduction)
    v = as_input(var, op)
    if (v._data < 0).any():
        raise ValueError(f"{op}: var has negative entries; variances must be >= 0.")
    if v.shape != x.shape and v.ndim == x.ndim - 1:
        v = v.unsqueeze(-1)  # (PyTorch: a var without the last dim is one per sample)
    v = v.clamp(min=eps)  # (as PyTorch: no gradient to var where it was clamped)
    loss = 0.5 * (v.log() + (x - y) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin), target in {1, -1}."""
    check_reduction("margin_ranking_loss", reduction)
    a, b = as_input(input1, "margin_ranking_loss"), as_input(input2, "margin_ranking_loss")
    y = as_input(target, "margin_ranking_loss", floating=False)
    return _reduce((-y * (a - b) + margin).relu(), reduction)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    check_reduction("cosine_embedding_loss", reduction)
    cos = cosine_similarity(input1, input2, dim=-1)
    y = as_input(target, "cosine_embedding_loss", floating=False)
    return _reduce(where(y > 0, 1 - cos, (cos - margin).relu()), reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), d the pairwise p-distance (with `swap`, the
    smaller of d(a, n) and d(p, n))."""
    check_reduction("triplet_margin_loss", reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).relu(), reduction)
