"""`F.bilinear`: y_o = x1^T A_o x2 + b_o, one einsum (its gradients are einsums again)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.math import einsum

__all__ = ["bilinear"]


def bilinear(input1: Any, input2: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o], for
    weight (out, in1, in2); the inputs' leading dims must be equal."""
    a, b = as_input(input1, "bilinear"), as_input(input2, "bilinear")
    if weight.ndim != 3 or a.ndim == 0 or b.ndim == 0 or a.shape[-1] != weight.shape[1] \
            or b.shape[-1] != weight.shape[2] or a.shape[:-1] != b.shape[:-1]:
        raise ValueError(
            f"bilinear: inputs of shapes {a.shape} and {b.shape} do not fit weight of shape "
            f"{weight.shape}: they need shapes (..., in1_features) and (..., in2_features) "
            "with the same leading dims, for a weight (out_features, in1, in2)."
        )
    out = einsum("...i,oij,...j->...o", a, weight, b)
    return out if bias is None else out + bias
