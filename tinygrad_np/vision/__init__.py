"""torchvision's names for what PyTorch's MNIST programs use: `vision.datasets.MNIST` and
`vision.transforms` (Compose, ToTensor, Normalize, Lambda), so that `from torchvision.datasets
import MNIST` ports by changing the import. Images are uint8 NumPy arrays where torchvision
hands out PIL images (no imaging library is needed); ToTensor takes either."""

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
