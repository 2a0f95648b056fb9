"""More activations of `nn.functional`, as compositions of differentiable ops (so first and
second derivatives come from the ops' own), with PyTorch's formulas and subgradients."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.math import where
from ..primitives import nn_ops


def _softplus(x: Tensor) -> Tensor:
    return nn_ops.Softplus.apply(x, 1.0, 20.0)


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (swish)."""
    x = as_input(input, "silu")
    return x * x.sigmoid()


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    x = as_input(input, "mish")
    return x * _softplus(x).tanh()


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise (the exp of the unused branch is kept <= 0, so
    it cannot overflow into the gradient)."""
    x = as_input(input, "elu")
    return where(x > 0, x, alpha * x.clamp(max=0).expm1())


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    x = as_input(input, "celu")
    return where(x > 0, x, alpha * (x.clamp(max=0) / alpha).expm1())


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return SELU_SCALE * elu(as_input(input, "selu"), SELU_ALPHA)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside, 0 at the bounds
    (PyTorch's hardtanh, unlike its clamp)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is above max_val {max_val}.")
    x = as_input(input, "hardtanh")
    return where((x > min_val) & (x < max_val), x, x.clamp(min_val, max_val).detach())


def relu6(input: Any, inplace: bool = False) -> Tensor:
    return hardtanh(as_input(input, "relu6"), 0.0, 6.0)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6; the gradient is 1/6 strictly inside (-3, 3), as in PyTorch."""
    x = as_input(input, "hardsigmoid")
    return where((x > -3) & (x < 3), x / 6 + 0.5, (x >= 3).astype(x.dtype))


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    x = as_input(input, "hardswish")
    return where(x <= -3, x * 0, where(x >= 3, x, x * (x + 3) / 6))


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = as_input(input, "softsign")
    return x / (1 + x.abs())


def tanhshrink(input: Any) -> Tensor:
    x = as_input(input, "tanhshrink")
    return x - x.tanh()


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -_softplus(-as_input(input, "logsigmoid"))


def prelu(input: Any, weight: Tensor) -> Tensor:
    """x for x >= 0, weight * x otherwise; a weight of n > 1 entries is per channel (dim 1)."""
    x = as_input(input, "prelu")
    w = weight
    if w.numel() > 1:
        if x.ndim < 2 or x.shape[1] != w.numel():
            raise ValueError(f"prelu: {w.numel()} weights need an input with that many "
                             f"channels in dim 1, got shape {x.shape}.")
        w = w.reshape((w.numel(),) + (1,) * (x.ndim - 2))
    return where(x >= 0, x, w * x)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p along dim, eps)."""
    x = as_input(input, "normalize")
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / max(||x1|| ||x2||, eps) along dim (PyTorch's formula)."""
    a, b = as_input(x1, "cosine_similarity"), as_input(x2, "cosine_similarity")
    norms = (a * a).sum(dim) * (b * b).sum(dim)
    return (a * b).sum(dim) / norms.clamp(min=eps * eps).sqrt()


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim."""
    a, b = as_input(x1, "pairwise_distance"), as_input(x2, "pairwise_distance")
    return (a - b + eps).norm(p, -1, keepdim=keepdim)


