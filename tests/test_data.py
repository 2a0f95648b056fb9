"""tinygrad_np.data: DataLoader batching and shuffling, one_hot, train_test_split."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.data import DataLoader, one_hot, train_test_split


def _arrays(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


def _epoch(loader):
    return [tuple(t.numpy().copy() for t in batch) for batch in loader]


def test_batches_in_order_without_shuffle():
    x, y = _arrays(10)
    loader = DataLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(isinstance(t, tg.Tensor) for b in batches for t in b)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)


def test_batches_never_change_the_source():
    x, y = _arrays(6)
    (xb, _), *_ = DataLoader(x, y, batch_size=3)  # a read-only view
    with pytest.raises(ValueError, match="read-only"):
        xb.numpy()[:] = -1
    (xs, _), *_ = DataLoader(x, y, batch_size=3, shuffle=True, seed=0)  # a copy
    xs.numpy()[:] = -1
    assert x.min() == 0 and x.flags.writeable


def test_drop_last():
    x, y = _arrays(10)
    loader = DataLoader(x, y, batch_size=4, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert all(b[0].shape == (4, 3) for b in batches)
    assert len(DataLoader(x, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(x, batch_size=11, drop_last=True)) == 0


def test_single_array_gives_one_tuples():
    x, _ = _arrays(5)
    (batch,) = list(DataLoader(x, batch_size=5))
    assert isinstance(batch, tuple) and len(batch) == 1


def test_shuffle_is_a_permutation_that_changes_every_epoch_and_keeps_pairs():
    x, y = _arrays(50)
    loader = DataLoader(x, y, batch_size=8, shuffle=True, seed=3)
    e1, e2 = _epoch(loader), _epoch(loader)
    y1 = np.concatenate([b[1] for b in e1])
    y2 = np.concatenate([b[1] for b in e2])
    assert sorted(y1) == list(range(50)) and sorted(y2) == list(range(50))
    assert not np.array_equal(y1, y) and not np.array_equal(y1, y2)
    for xb, yb in e1:  # rows stay aligned across the arrays
        np.testing.assert_array_equal(xb[:, 0], yb * 3)


def test_same_seed_same_epochs_different_seed_different():
    x, y = _arrays(40)
    a = DataLoader(x, y, batch_size=7, shuffle=True, seed=11)
    b = DataLoader(x, y, batch_size=7, shuffle=True, seed=11)
    c = DataLoader(x, y, batch_size=7, shuffle=True, seed=12)
    for _ in range(3):
        ea, eb, ec = _epoch(a), _epoch(b), _epoch(c)
        for (xa, ya), (xb, yb) in zip(ea, eb):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
        assert not all(np.array_equal(p[1], q[1]) for p, q in zip(ea, ec))


def test_unseeded_shuffle_follows_manual_seed():
    x, y = _arrays(30)
    tg.manual_seed(5)
    e1 = _epoch(DataLoader(x, y, batch_size=30, shuffle=True))
    tg.manual_seed(5)
    e2 = _epoch(DataLoader(x, y, batch_size=30, shuffle=True))
    np.testing.assert_array_equal(e1[0][1], e2[0][1])


def test_accepts_tensors_and_lists():
    x, y = _arrays(4)
    (xb, yb), = DataLoader(tg.tensor(x), y.tolist(), batch_size=4)
    np.testing.assert_array_equal(xb.numpy(), x)
    assert yb.dtype == np.int64


def test_dataloader_errors():
    x, y = _arrays(10)
    with pytest.raises(ValueError, match=r"DataLoader.*same number of samples.*\(10, 3\).*\(9,\)"):
        DataLoader(x, y[:9], batch_size=2)
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive integer"):
        DataLoader(x, batch_size=0)
    with pytest.raises(TypeError, match="DataLoader: expected at least one array"):
        DataLoader(batch_size=2)
    with pytest.raises(ValueError, match="0-d"):
        DataLoader(np.float32(1.0), batch_size=1)


def test_one_hot():
    y = np.array([2, 0, 1, 2])
    out = one_hot(y)
    assert out.dtype == np.int64 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.int64)[y])
    f = one_hot(y, num_classes=5, dtype=np.float32)
    assert f.dtype == np.float32 and f.shape == (4, 5) and f.sum() == 4
    t = one_hot(tg.tensor(y), 3)
    assert isinstance(t, tg.Tensor) and t.shape == (4, 3)
    assert one_hot(np.array([[1], [0]]), 2).shape == (2, 1, 2)


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"class values must be in \[0, 1\], got .* 0 to 2"):
        one_hot(np.array([0, 2]), num_classes=2)
    with pytest.raises(TypeError, match="one_hot: class labels must be integers"):
        one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="non-negative"):
        one_hot(np.array([-1, 1]))


def test_train_test_split_sizes_alignment_and_seed():
    x, y = _arrays(100)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.33, seed=42)
    assert (len(xtr), len(xte)) == (67, 33)  # ceil(0.33 * 100) test samples, like scikit-learn
    np.testing.assert_array_equal(xtr[:, 0], ytr * 3)
    np.testing.assert_array_equal(xte[:, 0], yte * 3)
    assert sorted(np.concatenate([ytr, yte])) == list(range(100))
    again = train_test_split(x, y, test_size=0.33, seed=42)
    np.testing.assert_array_equal(again[2], ytr)
    other = train_test_split(x, y, test_size=0.33, seed=43)
    assert not np.array_equal(other[2], ytr)
    _, xte_n = train_test_split(x, test_size=10, shuffle=False)
    np.testing.assert_array_equal(xte_n, x[90:])


def test_train_test_split_errors():
    x, y = _arrays(10)
    with pytest.raises(ValueError, match=r"train_test_split: a fractional test_size must be in"):
        train_test_split(x, test_size=1.5)
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(x, test_size=10)
    with pytest.raises(ValueError, match="same number of samples"):
        train_test_split(x, y[:3])
