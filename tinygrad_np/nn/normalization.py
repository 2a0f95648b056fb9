"""`BatchNorm1d` (running statistics, train/eval) and `LayerNorm`, as in PyTorch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, factory_dtype


class BatchNorm1d(Module):
    """Per-channel normalisation of (N, C) or (N, C, L) input, then `weight` * x + `bias`.

    Training: normalise with the batch's mean and biased variance, and update
    running_mean / running_var (unbiased) by r = (1 - momentum) r + momentum * batch
    (momentum=None: a cumulative average). Eval: use the running statistics.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = factory_dtype(type(self).__name__, device, dtype)
        self.register_parameter(
            "weight", Parameter(np.ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d: expected 2D (N, C) or 3D (N, C, L) input, got shape "
                f"{input.shape}."
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): input of shape {input.shape} has "
                f"{input.shape[1]} channels in dim 1, expected {self.num_features}; make "
                "num_features match the previous layer's output width."
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:  # cumulative moving average
            momentum = 1.0 / (float(self.num_batches_tracked._data) + 1)
        # Without running statistics, eval also normalises with the batch's statistics.
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        out = F.batch_norm(input, self.running_mean if track else None,
                           self.running_var if track else None, self.weight, self.bias,
                           use_batch_stats, momentum, self.eps)
        if counting:  # only after a successful forward: a refused batch changes no state
            self.num_batches_tracked.add_(1)
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise each sample over its last dims `normalized_shape` (mean, biased variance),
    then scale and shift elementwise; no running statistics, so train and eval agree."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = factory_dtype(type(self).__name__, device, dtype)
        affine = elementwise_affine
        self.register_parameter(
            "weight", Parameter(np.ones(self.normalized_shape, dtype=dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            if affine and bias else None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
