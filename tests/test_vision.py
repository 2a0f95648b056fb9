"""tinygrad_np.vision: torchvision's MNIST and transforms, as PyTorch programs use them."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.utils.data import DataLoader
from tinygrad_np.vision.datasets import MNIST
from tinygrad_np.vision.transforms import Compose, Lambda, Normalize, ToTensor


def test_to_tensor_scales_bytes_and_moves_channels_first():
    image = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    t = ToTensor()(image)
    assert t.shape == (1, 2, 2) and t.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(t)[0], image.astype(np.float32) / np.float32(255))
    rgb = ToTensor()(np.zeros((4, 5, 3), dtype=np.uint8))
    assert rgb.shape == (3, 4, 5)
    with pytest.raises(ValueError, match="ToTensor: expected an image"):
        ToTensor()(np.zeros(3))


def test_normalize_per_channel_and_compose():
    t = tg.tensor(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    out = Normalize((1.0, 2.0), (2.0, 4.0))(t)
    expected = (np.arange(8, dtype=np.float32).reshape(2, 2, 2)
                - np.array([1, 2], np.float32).reshape(2, 1, 1)) / np.array(
                    [2, 4], np.float32).reshape(2, 1, 1)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-7)
    flat = Compose([ToTensor(), Normalize((0.5,), (0.5,)), Lambda(tg.flatten)])(
        np.full((2, 3), 255, dtype=np.uint8))
    np.testing.assert_allclose(np.asarray(flat), np.ones(6), rtol=1e-7)
    with pytest.raises(ValueError, match="every std must be nonzero"):
        Normalize((0.0,), (0.0,))
    with pytest.raises(TypeError, match="Lambda: expected a callable"):
        Lambda(3)


def test_mnist_items_and_batches_as_torchvision_gives_them(tmp_path):
    train = MNIST(tmp_path, train=True)  # not in tmp_path: found in the repository's data/
    test = MNIST(tmp_path, train=False, transform=ToTensor(), target_transform=lambda y: y + 1)
    assert len(train) == 60000 and len(test) == 10000
    image, label = train[0]
    assert image.dtype == np.uint8 and image.shape == (28, 28) and label == 5
    assert image.max() == 255  # the raw bytes, exactly
    x, y = test[0]
    assert x.shape == (1, 28, 28) and y == 7 + 1
    xb, yb = next(iter(DataLoader(test, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == [8, 3, 2, 1]
