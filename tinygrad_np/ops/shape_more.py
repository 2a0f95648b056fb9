"""More shape ops of PyTorch's, each an index (or reshape) of its input, so differentiable
through Getitem / IndexAddZeros: diagonal, diag, unflatten, unfold, repeat_interleave,
masked_select."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from ..errors import ShapeError
from ..primitives.shape import IndexAddZeros
from .args import one_dim, shape_arg
from .shape import getitem, movedim, reshape


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The elements x[..., i, i + offset] (dims dim1, dim2) as a new last dim, as torch's."""
    if x.ndim < 2:
        raise ShapeError(f"diagonal(): needs at least 2 dimensions, got shape {x.shape}.")
    d1, d2 = one_dim(x, dim1, "diagonal"), one_dim(x, dim2, "diagonal")
    if d1 == d2:
        raise ShapeError(f"diagonal(): dim1 and dim2 must differ, got {dim1} and {dim2}.")
    x = movedim(x, (d1, d2), (-2, -1))
    rows, cols = x.shape[-2] - max(-offset, 0), x.shape[-1] - max(offset, 0)
    i = np.arange(max(min(rows, cols), 0))
    return getitem(x, (Ellipsis, i + max(-offset, 0), i + max(offset, 0)))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D x becomes the square matrix with x on diagonal `diagonal` (zeros elsewhere);
    a 2-D x gives that diagonal."""
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    if x.ndim != 1:
        raise ShapeError(f"diag(): expects a 1-D or 2-D tensor, got shape {x.shape}.")
    n = x.shape[0] + abs(diagonal)
    i = np.arange(x.shape[0])
    return IndexAddZeros.apply(x, (i + max(-diagonal, 0), i + max(diagonal, 0)), (n, n))


def unflatten(x: Tensor, dim: int, sizes: Any) -> Tensor:
    """Dim `dim` split into `sizes` (one of them may be -1): the inverse of flatten."""
    d = one_dim(x, dim, "unflatten")
    sizes = shape_arg(tuple(sizes), "unflatten")
    if -1 in sizes:  # resolved from this dim alone (an empty tensor's -1 is not ambiguous)
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        whole = x.shape[d]
        if known == 0 or whole % known:
            raise ShapeError(f"unflatten(): sizes {sizes} do not divide dim {dim} of size "
                             f"{whole}; their product must equal it (-1 stands for the rest).")
        sizes = tuple(whole // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of `size` elements along `dimension`, `step` apart, as a new last dim:
    that dim becomes (n - size) // step + 1 long."""
    if x.ndim == 0:
        x = x.reshape(1)
    d = one_dim(x, dimension, "unfold")
    n = x.shape[d]
    if not 0 <= size <= n or step <= 0:
        raise ShapeError(f"unfold(): size {size} must be in [0, {n}] (the size of dim "
                         f"{dimension}) and step {step} positive.")
    windows = np.arange(0, n - size + 1, step)[:, None] + np.arange(size)[None, :]
    return movedim(getitem(x, (slice(None),) * d + (windows,)), d + 1, -1)


def repeat_interleave(x: Tensor, repeats: Any, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (slice along `dim`; of the flattened x when dim is None) repeated
    `repeats` times in place: [a, b] -> [a, a, b, b]. repeats is an int or one count each."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    d = one_dim(x, dim, "repeat_interleave")
    counts = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or (counts.ndim and counts.shape != (x.shape[d],)):
        raise ShapeError(f"repeat_interleave(): repeats must be an int or one int per element "
                         f"({x.shape[d]}) of dim {dim}, got {repeats!r}.")
    index = np.repeat(np.arange(x.shape[d]), counts)
    return getitem(x, (slice(None),) * d + (index,))


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The elements of x where mask is True (the two broadcast together), as a 1-D tensor."""
    m = np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select(): mask must be a bool tensor, got dtype {m.dtype}.")
    shape = np.broadcast_shapes(x.shape, m.shape)
    return getitem(x.broadcast_to(shape), np.broadcast_to(m, shape))
