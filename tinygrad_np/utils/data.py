"""Datasets and a DataLoader with PyTorch's signatures: `Dataset`, `TensorDataset`,
`DataLoader` (batch_size, shuffle, drop_last, collate_fn, generator) and `random_split`.

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader: ...

(`tinygrad_np.data.DataLoader` is the faster loader over whole arrays.)"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, untracked
from ..random import draw_from


class Dataset:
    """Map-style: subclasses implement `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__.")


class TensorDataset(Dataset):
    """Sample i is (t[i] for each tensor); all tensors share their first dimension."""

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = {len(t) for t in self.tensors}
        if len(sizes) > 1:
            raise ValueError(f"TensorDataset: the tensors' first dimensions differ: "
                             f"{[t.shape for t in self.tensors]}.")

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0]) if self.tensors else 0


class Subset(Dataset):
    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def default_collate(batch: list[Any]) -> Any:
    """Stack a list of samples: tensors and arrays along a new first dim, numbers into a
    tensor, tuples and dicts element by element."""
    first = batch[0]
    if isinstance(first, Tensor):
        return untracked(np.stack([s._data for s in batch]))
    if isinstance(first, (np.ndarray, np.generic, numbers.Number)):
        return Tensor(np.stack([np.asarray(s) for s in batch]))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(items)) for items in zip(*batch))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    "pass collate_fn= to build batches yourself.")


class DataLoader:
    """Batches of a dataset, PyTorch's signature; num_workers must be 0 (no processes)."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None, **_: Any) -> None:
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers} is not supported (samples "
                             "are read in this process); use num_workers=0.")
        if sampler is not None or batch_sampler is not None:
            raise ValueError("DataLoader: custom samplers are not supported; use shuffle= or "
                             "a Subset.")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got "
                             f"{batch_size!r}.")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.generator = drop_last, generator
        self.collate_fn = collate_fn or default_collate

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return draw_from(self.generator).permutation(n)

    def __iter__(self) -> Iterator[Any]:
        # As PyTorch's, each pass draws a base seed (for workers, here unused) from the
        # generator when it starts: a program's later random numbers then follow the same
        # stream in both libraries.
        draw_from(self.generator).integers(0, 2**63 - 1)
        return self._batches(self._order())

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        if self.batch_size is None:  # no batching: the samples themselves
            for i in order:
                yield self.dataset[int(i)]
            return
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            if len(chunk) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn([self.dataset[int(i)] for i in chunk])

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def random_split(dataset: Dataset, lengths: Sequence[float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Disjoint random subsets of the given lengths, or fractions summing to 1 (the rounding
    remainder spread one by one over the first subsets, as PyTorch)."""
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(x) for x in lengths]
    if sum(sizes) != n:
        raise ValueError(f"random_split: lengths {list(lengths)} add up to {sum(sizes)}, but "
                         f"the dataset has {n} samples.")
    order = draw_from(generator).permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[lo:hi].tolist()) for lo, hi in zip(bounds[:-1], bounds[1:])]
