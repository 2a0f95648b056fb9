"""tinygrad_np.utils.data with PyTorch's behaviour (issue 18): batch shapes and order,
drop_last, collation of tuples and dicts, random_split sizes."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.random import default_generator
from tinygrad_np.utils.data import DataLoader, Dataset, TensorDataset, random_split


def test_tensor_dataset_batches_in_order_and_with_drop_last():
    x, y = tg.arange(10.0).reshape(5, 2), tg.tensor([0, 1, 0, 1, 1])
    batches = list(DataLoader(TensorDataset(x, y), batch_size=2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert batches[0][1].tolist() == [0, 1] and batches[2][0].tolist() == [[8.0, 9.0]]
    assert len(DataLoader(TensorDataset(x, y), batch_size=2, drop_last=True)) == 2
    shuffled = DataLoader(TensorDataset(x), batch_size=5, shuffle=True,
                          generator=np.random.default_rng(0))
    (first,) = next(iter(shuffled))
    assert sorted(first[:, 0].tolist()) == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_custom_datasets_collate_tuples_dicts_and_numbers():
    class Squares(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"x": np.array([i, i * i], dtype=np.float32), "label": i % 2}

    (batch,) = list(DataLoader(Squares(), batch_size=4))
    assert batch["x"].shape == (4, 2) and batch["label"].tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="num_workers=2 is not supported"):
        DataLoader(Squares(), num_workers=2)


def test_random_split_sizes_like_pytorch():
    data = TensorDataset(tg.arange(10))
    parts = random_split(data, [0.5, 0.3, 0.2], generator=np.random.default_rng(1))
    assert [len(p) for p in parts] == [5, 3, 2]
    seen = sorted(int(p[i][0].item()) for p in parts for i in range(len(p)))
    assert seen == list(range(10))
    assert [len(p) for p in random_split(data, [7, 3])] == [7, 3]
    torch = pytest.importorskip("torch")
    ours = [len(p) for p in random_split(TensorDataset(tg.arange(11)), [0.3, 0.3, 0.4])]
    theirs = [len(p) for p in torch.utils.data.random_split(range(11), [0.3, 0.3, 0.4])]
    assert ours == theirs
    with pytest.raises(ValueError, match="add up to 9, but the dataset has 10"):
        random_split(data, [5, 4])


def test_each_pass_draws_a_base_seed_as_pytorch_does():
    # One draw per pass, when it starts (PyTorch's worker base seed): the generator's later
    # numbers then follow the same stream as in a PyTorch program.
    loader = DataLoader(TensorDataset(tg.arange(6)), batch_size=4)
    tg.manual_seed(3)
    it = iter(loader)
    after_iter = tg.randn(2).numpy()
    tg.manual_seed(3)
    default_generator().integers(0, 2**63 - 1)
    np.testing.assert_array_equal(after_iter, tg.randn(2).numpy())
    assert [b[0].tolist() for b in it] == [[0, 1, 2, 3], [4, 5]]
