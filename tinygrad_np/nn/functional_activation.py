"""More activations of `nn.functional`: `elu`, `celu`, `selu`, `silu`, `mish`, `hardtanh`,
`relu6`, `hardswish`, `hardsigmoid`, `softsign`, `tanhshrink`, `logsigmoid`, `prelu`.

Each is a composition of differentiable Tensor ops, so its gradients of every order come from
theirs. Two rules keep them exact:

- a `where` picks a branch per element, and the branch it does not pick still runs its
  backward (with a zero gradient): an argument that would overflow there (exp of a large x)
  is replaced by 0 first, so 0 * inf never makes a NaN;
- at a kink the first derivative is PyTorch's: the branch the comparison in the `where`
  selects (elu takes its negative side at 0, hardtanh is flat at its limits).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.math import where
from ..primitives import nn_ops

__all__ = [
    "celu", "elu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "silu", "softsign", "tanhshrink",
]

# SELU's constants (Klambauer et al. 2017), to PyTorch's precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _masked(x: Tensor, mask: np.ndarray) -> Tensor:
    """x where mask, else 0: the safe argument of a branch that is used only where mask."""
    return where(mask, x, 0.0)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale * (x if x > 0 else alpha (exp(input_scale x) - 1)); at 0 the negative side's
    slope, scale alpha input_scale, as PyTorch."""
    positive = x._data > 0
    negative = alpha * (_masked(x, ~positive) * input_scale).expm1()
    out = where(positive, x, negative)
    return out if scale == 1 else out * scale


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    return _elu(as_input(input, "elu"), alpha, 1.0, 1.0)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); continuously differentiable."""
    if alpha == 0:
        raise ValueError("celu: alpha must be non-zero (the input is divided by it).")
    return _elu(as_input(input, "celu"), alpha, 1.0, 1.0 / alpha)


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's self-normalising constants."""
    return _elu(as_input(input, "selu"), SELU_ALPHA, SELU_SCALE, 1.0)


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    x = as_input(input, "silu")
    return x * x.sigmoid()


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    x = as_input(input, "mish")
    return x * nn_ops.Softplus.apply(x, 1.0, 20.0).tanh()  # F.softplus's defaults


def _limits(op: str, min_val: float, max_val: float) -> None:
    if not min_val <= max_val:
        raise ValueError(f"{op}: min_val ({min_val}) must not be greater than max_val "
                         f"({max_val}).")


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside and 0 at the
    limits too (PyTorch's; `clamp` passes it at the limits)."""
    _limits("hardtanh", min_val, max_val)
    x = as_input(input, "hardtanh")
    d = x._data
    inside = (d > min_val) & (d < max_val)
    return where(inside, x, np.clip(d, min_val, max_val).astype(d.dtype, copy=False))


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), so the gradient is 0 at 0 and at 6."""
    x = as_input(input, "relu6")
    return hardtanh(x, 0.0, 6.0)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between; at -3 the
    gradient is 0 and at 3 it is 1, as PyTorch's."""
    x = as_input(input, "hardswish")
    d = x._data
    inside = (d > -3) & (d < 3)
    return where(inside, x * (x + 3) / 6, where(d >= 3, x, 0.0))


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, x / 6 + 1 / 2 between (gradient 1/6
    strictly inside only)."""
    x = as_input(input, "hardsigmoid")
    d = x._data
    inside = (d > -3) & (d < 3)
    return where(inside, x / 6 + 0.5, (d >= 3).astype(d.dtype))


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|)"""
    x = as_input(input, "softsign")
    return x / (x.abs() + 1)


def tanhshrink(input: Any) -> Tensor:
    """x - tanh(x)"""
    x = as_input(input, "tanhshrink")
    return x - x.tanh()


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), exact at any x (a softplus with a
    threshold would round x - 2e-9 to x at x = -20)."""
    x = as_input(input, "logsigmoid")
    negative = x._data < 0
    xn = _masked(x, negative)  # x < 0: x - log1p(exp(x)); exp(x) <= 1 there
    xp = _masked(x, ~negative)  # x >= 0: -log1p(exp(-x))
    return where(negative, xn - xn.exp().log1p(), -(-xp).exp().log1p())


def prelu(input: Any, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; `weight` holds one slope, or one per channel
    (dim 1 of the input)."""
    x = as_input(input, "prelu")
    if not isinstance(weight, Tensor):
        weight = Tensor(np.asarray(weight, dtype=x.dtype))
    n = weight.numel()
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d, got shape {weight.shape}.")
    if n == 1:
        slope = weight.reshape(())
    else:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise ValueError(
                f"prelu: weight has {n} slopes but the input of shape {x.shape} has {channels} "
                "channels (dim 1; a 0-d or 1-d input has 1); give one slope, or one per "
                "channel: nn.PReLU(num_parameters=C)."
            )
        slope = weight.reshape((n,) + (1,) * (x.ndim - 2))
    return where(x > 0, x, x * slope)
