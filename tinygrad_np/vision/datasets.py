"""torchvision-style datasets: MNIST, read offline first (tinygrad_np.datasets.mnist)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.mnist import load_mnist
from ..utils.data import Dataset

__all__ = ["MNIST"]


class MNIST(Dataset):
    """MNIST as torchvision's `MNIST(root, train, transform, target_transform, download)`:
    item i is (image, label), the image a uint8 (28, 28) array passed through `transform`,
    the label an int passed through `target_transform`.

    The IDX files are looked up in torchvision's layout (`root/MNIST/raw`), then in `root`,
    then where tinygrad_np.datasets.mnist looks (the repository's data/mnist, the cache);
    `download=True` lets that fetch (and checksum) missing files."""

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root, self.train = Path(root), train
        self.transform, self.target_transform = transform, target_transform
        arrays = None
        for where in (self.root / "MNIST" / "raw", self.root):
            if where.is_dir():
                try:
                    arrays = load_mnist(where, flatten=False, download=False)
                    break
                except FileNotFoundError:
                    continue
        if arrays is None:
            arrays = load_mnist(None, flatten=False, download=download)
        x, y = (arrays[0], arrays[1]) if train else (arrays[2], arrays[3])
        # load_mnist scales to [0, 1]; the raw bytes come back exactly (k / 255 * 255 = k).
        self.data = np.rint(x * 255).astype(np.uint8)
        self.targets = y

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, label = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self) -> int:
        return len(self.data)
