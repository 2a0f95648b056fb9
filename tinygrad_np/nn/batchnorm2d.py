"""`BatchNorm2d`: per-channel batch normalisation of images (N, C, H, W)."""

from __future__ import annotations

from ..autograd.tensor_core import Tensor
from .normalization import BatchNorm1d


class BatchNorm2d(BatchNorm1d):
    """BatchNorm1d's statistics over (N, H, W) per channel: an image batch is normalised as
    (N, C, H W), so the two share one implementation, its running statistics and state_dict
    keys (weight, bias, running_mean, running_var, num_batches_tracked), as in PyTorch."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected 4D (N, C, H, W) input, got shape "
                             f"{input.shape}.")
        n, c, h, w = input.shape
        if c != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}): input of shape {input.shape} has {c} "
                f"channels in dim 1, expected {self.num_features}; make num_features match the "
                "previous layer's out_channels."
            )
        return super().forward(input.reshape(n, c, h * w)).reshape(n, c, h, w)
