"""Feeding arrays to a model: `DataLoader` (minibatches of Tensors), `one_hot`, `train_test_split`.

These work on NumPy arrays (or anything `np.asarray` accepts, Tensors included) and depend only on
the core: the loader yields `Tensor`s, nothing else here builds a graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .creation import from_numpy
from .ops.encoding import one_hot  # (data.one_hot: the same encoding as nn.functional's)
from .random import default_generator, draw_from
from .tensor import Tensor

__all__ = ["DataLoader", "one_hot", "train_test_split"]


def _as_array(x: Any, who: str = "DataLoader") -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach()._data
    try:
        return np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"{who}: cannot read {type(x).__name__} as an array ({err}); pass arrays, or lists "
            "whose rows all have the same length."
        ) from None


_KINDS = {"O": "Python objects", "U": "strings", "S": "bytes", "V": "structured records",
          "M": "datetimes", "m": "timedeltas"}


def _same_length(who: str, arrays: list[np.ndarray]) -> int:
    if not arrays:
        raise TypeError(f"{who}: expected at least one array, got none.")
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(
                f"{who}: array {i} is a 0-d scalar; every array needs a first (sample) dimension."
            )
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        shapes = [a.shape for a in arrays]
        raise ValueError(
            f"{who}: all arrays must have the same number of samples (first dimension), got "
            f"shapes {shapes}; pass arrays that line up sample by sample."
        )
    return lengths[0]


def _readonly(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


class DataLoader:
    """Iterate over aligned arrays in minibatches, yielding one tuple of Tensors per batch.

    `DataLoader(x, y, batch_size=64, shuffle=True, seed=0)` yields `(x_batch, y_batch)`;
    with `shuffle=True` every epoch (every `iter()`) draws a new permutation. With a `seed`, the
    loader owns its random generator, so two loaders made with the same seed give the same
    sequence of epochs; without one, permutations come from the generator `manual_seed` seeds.
    Arrays keep their dtype. Shuffled batches are fresh copies; unshuffled ones are read-only
    views of the source arrays (no copy, so a full-batch loader costs nothing per epoch).
    """

    def __init__(self, *arrays: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None) -> None:
        self.arrays = [_as_array(a) for a in arrays]
        self.num_samples = _same_length("DataLoader", self.arrays)
        for i, a in enumerate(self.arrays):
            # Tensors hold numbers; an object or string array would fail (or pickle) only
            # later, in the middle of an epoch, far from the line that built the loader.
            if a.dtype.kind not in "biufc":
                what = _KINDS.get(a.dtype.kind, "not numeric")
                raise TypeError(
                    f"DataLoader: array {i} has dtype {a.dtype} ({what}); batches become "
                    "Tensors, which hold numbers: convert it first, e.g. np.asarray(x, "
                    "dtype=np.float32), or encode strings as integer ids."
                )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}."
            )
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def _order(self) -> np.ndarray | None:
        if not self.shuffle:
            return None
        rng = draw_from(self._rng)
        return rng.permutation(self.num_samples)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        order = self._order()
        for b in range(len(self)):
            start = b * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            if order is None:  # zero-copy views, read-only so the source cannot change
                batch = tuple(_readonly(a[start:stop]) for a in self.arrays)
            else:
                idx = order[start:stop]
                batch = tuple(a[idx] for a in self.arrays)
            yield tuple(from_numpy(x) for x in batch)

    def __repr__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed})")


def train_test_split(*arrays: Any, test_size: float | int = 0.25, seed: int | None = None,
                     shuffle: bool = True) -> list[np.ndarray]:
    """Split aligned arrays into train and test parts, like scikit-learn's function.

    Returns `[a_train, a_test, b_train, b_test, ...]`. `test_size` is a fraction in (0, 1)
    (rounded up to whole samples, as scikit-learn does) or a number of samples. With
    `shuffle=True` the rows are permuted by a generator seeded with `seed` (the `manual_seed`
    generator when `seed` is None); with `shuffle=False` the last rows are the test set.
    """
    arrs = [_as_array(a, "train_test_split") for a in arrays]
    n = _same_length("train_test_split", arrs)
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"train_test_split: a fractional test_size must be in (0, 1), got {test_size}."
            )
        n_test = int(np.ceil(test_size * n))
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} leaves {n - n_test} training and "
            f"{n_test} test samples out of {n}; both parts must be non-empty."
        )
    if shuffle:
        rng = np.random.default_rng(seed) if seed is not None else default_generator()
        order = rng.permutation(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test:]
        out = []
        for a in arrs:
            out += [a[train_idx], a[test_idx]]
        return out
    out = []
    for a in arrs:
        out += [a[: n - n_test].copy(), a[n - n_test:].copy()]
    return out
