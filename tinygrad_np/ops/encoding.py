"""One-hot encoding of class labels: shared by `nn.functional.one_hot` and `data.one_hot`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, untracked


def one_hot(labels: Any, num_classes: int = -1, dtype: Any = np.int64) -> Any:
    """One-hot encode integer class labels: shape (...,) -> (..., num_classes).

    Like `torch.nn.functional.one_hot` (int64 by default; pass `dtype=np.float32` for targets of
    a float loss). `num_classes=-1` uses `labels.max() + 1`. A Tensor in gives a Tensor out, an
    array in gives an array out.
    """
    is_tensor = isinstance(labels, Tensor)
    y = labels._data if is_tensor else np.asarray(labels)
    if y.dtype.kind not in "iub":
        raise TypeError(
            f"one_hot: class labels must be integers, got dtype {y.dtype}; convert them with "
            ".long() (a Tensor) or .astype(np.int64) (an array)."
        )
    y = y.astype(np.int64, copy=False)
    lo, hi = (int(y.min()), int(y.max())) if y.size else (0, -1)
    if lo < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {lo}; labels are "
                         "indices 0 .. num_classes - 1.")
    if num_classes == -1:
        num_classes = hi + 1
    if hi >= num_classes:
        raise ValueError(
            f"one_hot: class values must be in [0, {num_classes - 1}], got values from {lo} "
            f"to {hi}; labels must be non-negative, and num_classes above the largest "
            "(or -1 to infer it)."
        )
    out = np.zeros((*y.shape, num_classes), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return untracked(out) if is_tensor else out
