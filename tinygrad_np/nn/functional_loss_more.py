"""More losses of `nn.functional` (issue 18): `l1_loss`, `smooth_l1_loss`, `huber_loss`,
`kl_div`, `cosine_embedding_loss`, `margin_ranking_loss`, `triplet_margin_loss`,
`gaussian_nll_loss`, `poisson_nll_loss`.

Compositions of Tensor ops, so inputs and targets get gradients of every order. `reduction`
is 'mean', 'sum' or 'none' (and 'batchmean' for kl_div); the legacy `size_average` / `reduce`
flags are read as PyTorch reads them. Shapes are checked up front (see loss_functions.py).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.math import where
from .functional_distance import pairwise_distance
from .loss_functions import _float_target, _reduce, check_reduction

__all__ = [
    "cosine_embedding_loss", "gaussian_nll_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "poisson_nll_loss", "smooth_l1_loss", "triplet_margin_loss",
]


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's reading of the deprecated flags: reduce=False keeps every element, else
    size_average=False sums; both None leave `reduction` as given."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean', 'sum' or 'none' instead.", UserWarning, stacklevel=3)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _weighted(op: str, loss: Tensor, weight: Any, input: Tensor) -> Tensor:
    w = as_input(weight, op)
    if w.shape != input.shape:
        raise ValueError(f"{op}: weight of shape {w.shape} must have the input's shape "
                         f"{input.shape}, one weight per element.")
    return loss * w.astype(input.dtype)


def l1_loss(input: Any, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """|input - target|, reduced (gradient sign(input - target), 0 where equal). With an
    elementwise `weight`, the mean divides by the weights' sum (as PyTorch does)."""
    op = "l1_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    x = as_input(input, op)
    loss = (x - _float_target(op, x, target)).abs()
    if weight is None:
        return _reduce(loss, reduction)
    loss = _weighted(op, loss, weight, x)
    return loss.sum() / as_input(weight, op).sum() if reduction == "mean" else _reduce(
        loss, reduction)


def smooth_l1_loss(input: Any, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, for d = input - target;
    beta = 0 is l1_loss."""
    op = "smooth_l1_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}.")
    x = as_input(input, op)
    d = x - _float_target(op, x, target)
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(where(a._data < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - delta / 2): delta * smooth_l1 with
    beta = delta. With an elementwise `weight`, the mean divides by the element count (as
    PyTorch does)."""
    op = "huber_loss"
    check_reduction(op, reduction)
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}.")
    x = as_input(input, op)
    d = x - _float_target(op, x, target)
    a = d.abs()
    loss = where(a._data <= delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    loss = loss if weight is None else _weighted(op, loss, weight, x)
    return _reduce(loss, reduction)


def kl_div(input: Any, target: Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise, for log-probabilities `input`: target (log target -
    input), 0 where target = 0; with log_target, exp(target) (target - input). 'batchmean'
    divides the sum by the batch size (dim 0), which is the KL divergence per sample."""
    op = "kl_div"
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}.")
    x = as_input(input, op)
    t = _float_target(op, x, target)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        nonzero = t._data != 0  # t log t is 0 at t = 0 (its limit), NaN below 0 as in PyTorch
        loss = where(nonzero, t * where(nonzero, t, 1.0).log(), 0.0) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as "
                      "the KL divergence's definition does.", UserWarning, stacklevel=2)
    return _reduce(loss, reduction)


def _sign_target(op: str, target: Any, shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    """A target of 1s and -1s of the given shape, in the inputs' dtype."""
    t = as_input(target, op, floating=False)
    if t.shape != shape:
        raise ValueError(f"{op}: target shape {t.shape} must be {shape}.")
    return t if t.dtype == dtype else t.astype(dtype)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1,
    cos along the last dim of (N, D) or (D,) inputs (PyTorch's eps: 1e-12 on the squared
    norms)."""
    op = "cosine_embedding_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    a, b = as_input(input1, op), as_input(input2, op)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(f"{op}: input1 and input2 must have the same shape, (N, D) or (D,); "
                         f"got {a.shape} and {b.shape}.")
    t = _sign_target(op, target, a.shape[:-1], a.dtype)
    if not np.isin(t._data, (1, -1)).all():
        raise ValueError(f"{op}: target must hold 1 (similar) or -1 (dissimilar), got values "
                         f"{np.unique(t._data)[:5].tolist()}.")
    # PyTorch's form of the cosine here: x1.x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)).
    cos = (a * b).sum(-1) / (((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12)).sqrt()
    positive = t._data == 1
    loss = where(positive, 1 - cos, (cos - margin).clamp(min=0))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin): target 1 wants input1 ranked higher, -1
    input2. The three must have the same number of dims, and broadcast together."""
    op = "margin_ranking_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    a, b = as_input(input1, op), as_input(input2, op)
    t = as_input(target, op, floating=False)
    if not a.ndim == b.ndim == t.ndim:
        raise ValueError(f"{op}: input1, input2 and target must have the same number of "
                         f"dimensions, got shapes {a.shape}, {b.shape} and {t.shape}.")
    return _reduce((-t.astype(a.dtype) * (a - b) + margin).clamp(min=0), reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(., ., p, eps); swap
    uses min(d(a, n), d(p, n)) as the negative distance."""
    op = "triplet_margin_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}.")
    a, pos, neg = (as_input(v, op) for v in (anchor, positive, negative))
    if not a.ndim == pos.ndim == neg.ndim or a.ndim not in (1, 2):
        raise ValueError(f"{op}: anchor, positive and negative must all be (N, D) or (D,); got "
                         f"shapes {a.shape}, {pos.shape} and {neg.shape}.")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def _gaussian_var(op: str, var: Any, x: Tensor) -> Tensor:
    """var in a shape that broadcasts to the input's: the input's, the input's without its
    last dim (then unsqueezed), or the input's with exactly one dim of size 1."""
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var must be non-negative, got {var}.")
        return Tensor(np.full(x.shape, var, dtype=x.dtype))
    v = as_input(var, op)
    if v.shape != x.shape:
        if v.shape == x.shape[:-1]:
            v = v.unsqueeze(-1)
        elif not (v.ndim == x.ndim and sum(s != t for s, t in zip(x.shape, v.shape)) == 1
                  and all(t == 1 for s, t in zip(x.shape, v.shape) if s != t)):
            raise ValueError(
                f"{op}: var of shape {v.shape} does not fit input of shape {x.shape}: give "
                f"var the input's shape, the input's without its last dim {x.shape[:-1]}, or "
                "the input's with one dim of size 1."
            )
    if (v._data < 0).any():
        raise ValueError(f"{op}: var has negative entries; a variance must be >= 0.")
    return v.astype(x.dtype)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log(2 pi) with full), the negative
    log-likelihood of target under N(input, var). var's value is raised to eps where smaller;
    as PyTorch (which clamps in place under no_grad), its gradient is still var's own."""
    op = "gaussian_nll_loss"
    check_reduction(op, reduction)
    x = as_input(input, op)
    t = as_input(target, op)
    try:
        fits = np.broadcast_shapes(t.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: target of shape {t.shape} must have the input's shape "
                         f"{x.shape} (or broadcast to it).")
    v = _gaussian_var(op, var, x)
    raise_by = np.maximum(v._data, eps) - v._data
    if (raise_by != 0).any():
        v = v + raise_by
    loss = 0.5 * (v.log() + (x - t.astype(x.dtype)) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The Poisson negative log-likelihood without its constant: exp(input) - target input
    for a log-rate input (log_input), else input - target log(input + eps); `full` adds
    Stirling's approximation of log(target!), target log target - target + 0.5 log(2 pi
    target), where target > 1."""
    op = "poisson_nll_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    x = as_input(input, op)
    t = _float_target(op, x, target)
    loss = x.exp() - t * x if log_input else x - t * (x + eps).log()
    if full:
        big = t._data > 1
        ts = where(big, t, 1.0)  # log of t only where it is used: no 0 * -inf at t = 0
        stirling = ts * ts.log() - ts + 0.5 * (2 * math.pi * ts).log()
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)
