"""`tinygrad_np.utils.data`: PyTorch's Dataset / DataLoader interface."""

from . import data

__all__ = ["data"]
