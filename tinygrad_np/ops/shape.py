"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, permute/transpose, expand,
indexing, cat and stack. Views share their input's memory (and version counter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from ..primitives.shape import Cat, Expand, Getitem, Permute, Reshape
from .args import check_new_shape, dims, normalize_index, one_dim, shape_arg
from .inplace import assign
from .promotion import CATEGORY, cast


def reshape(x: Tensor, *shape: Any) -> Tensor:
    shape = shape_arg(shape, "reshape")
    if min(shape, default=0) < 0:
        check_new_shape(shape, x._data.size, "reshape")
    try:
        return Reshape.apply(x, shape)
    except ValueError as err:
        raise ValueError(
            f"{err} The new shape must hold the same number of elements "
            f"({x._data.size}); put -1 in one place to have it inferred."
        ) from None

view = reshape


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = x._data.shape
    if not shape:
        return x.reshape(1)
    start, end = one_dim(x, start_dim, "flatten"), one_dim(x, end_dim, "flatten")
    if start > end:
        raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim} "
                         f"for shape {shape}; pass start_dim <= end_dim.")
    middle = int(np.prod(shape[start:end + 1], dtype=np.int64))
    return x.reshape(shape[:start] + (middle,) + shape[end + 1:])


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    shape = x._data.shape
    squeezed = dims(x, dim, None, "squeeze")
    return x.reshape(tuple(n for i, n in enumerate(shape) if not (i in squeezed and n == 1)))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    ndim = x._data.ndim
    if not -ndim - 1 <= dim <= ndim:
        raise IndexError(
            f"unsqueeze(): dim {dim} is out of range for a tensor of shape "
            f"{x._data.shape}; use a dim in [{-ndim - 1}, {ndim}]."
        )
    dim = dim % (ndim + 1)
    shape = x._data.shape
    return x.reshape(shape[:dim] + (1,) + shape[dim:])


def permute(x: Tensor, *dims: Any) -> Tensor:
    axes = shape_arg(dims, "permute", "dims")
    if sorted(d % max(x.ndim, 1) for d in axes) != list(range(x.ndim)):
        raise ValueError(
            f"permute(): dims {axes} are not a permutation of the {x.ndim} dimensions "
            f"of a tensor of shape {x._data.shape}; name each dim 0..{x.ndim - 1} "
            "exactly once."
        )
    return Permute.apply(x, tuple(d % x.ndim for d in axes))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = x._data.ndim
    if ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0, d1 = one_dim(x, dim0, "transpose"), one_dim(x, dim1, "transpose")
    axes = list(range(ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(x, tuple(axes))

swapaxes = transpose


def reverse_dims(x: Tensor) -> Tensor:
    return Permute.apply(x, tuple(reversed(range(x._data.ndim))))


def matrix_transpose(x: Tensor) -> Tensor:
    if x._data.ndim < 2:
        raise ValueError(f"mT: needs at least 2 dimensions, got shape {x._data.shape}.")
    return x.transpose(-2, -1)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to `sizes` (-1 keeps a dimension), without copying."""
    sizes = shape_arg(sizes, "expand")
    lead = len(sizes) - x._data.ndim
    shape = tuple(
        x._data.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes)
    )
    return x.broadcast_to(shape)


def broadcast_to(x: Tensor, *shape: Any) -> Tensor:
    shape = shape_arg(shape, "broadcast_to")
    if shape == x._data.shape:
        return x
    try:
        return Expand.apply(x, shape)
    except ValueError as err:
        raise ValueError(
            f"{err} Only dimensions of size 1 can be expanded (and new ones added in "
            "front); reshape or unsqueeze the tensor so its sizes line up from the right."
        ) from None


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return x.broadcast_to(other.shape)


def getitem(x: Tensor, index: Any) -> Tensor:
    try:
        return Getitem.apply(x, normalize_index(index))
    except IndexError as err:
        raise IndexError(
            f"{err} Along a dimension of size n the valid indices are -n to n-1; use "
            "ints, slices, None, ..., or integer/boolean arrays."
        ) from None


def setitem(x: Tensor, index: Any, value: Any) -> None:
    assign(x, "__setitem__", normalize_index(index), value)


def _tensor_list(tensors: Any, op: str) -> list[Any]:
    """cat's and stack's `tensors`: a non-empty sequence. A single Tensor (or array) is
    refused, as in PyTorch, rather than iterated over its rows."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(
            f"{op}(): expected a sequence of tensors, got a single {type(tensors).__name__} of "
            f"shape {np.shape(tensors)}; pass a list or tuple, e.g. {op}([a, b]) (to join a "
            f"tensor's rows, {op}(list(t)))."
        )
    try:
        tensors = list(tensors)
    except TypeError:
        raise TypeError(f"{op}(): expected a sequence of tensors, got "
                        f"{type(tensors).__name__}; pass a list or tuple, e.g. {op}([a, b]).") \
            from None
    if not tensors:
        raise ValueError(f"{op}(): expected a non-empty sequence of tensors.")
    return tensors


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension; all other dimensions must match."""
    tensors = _tensor_list(tensors, "cat")
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    if any(a.shape == (0,) for a in arrays) and any(a.shape != (0,) for a in arrays):
        # PyTorch's legacy rule: an empty 1-d tensor joins anything (it is left out).
        kept = [i for i, a in enumerate(arrays) if a.shape != (0,)]
        tensors, arrays = [tensors[i] for i in kept], [arrays[i] for i in kept]
    shapes = [a.shape for a in arrays]
    ndim = len(shapes[0])
    if ndim == 0 or not -ndim <= dim < ndim:
        raise IndexError(f"cat(): dim {dim} is out of range for tensors of shapes {shapes}; "
                         f"use a dim in [-{max(ndim, 1)}, {max(ndim, 1) - 1}] (stack() adds "
                         "a new one).")
    d = dim % ndim
    for s in shapes:
        if len(s) != ndim or s[:d] + s[d + 1:] != shapes[0][:d] + shapes[0][d + 1:]:
            raise ValueError(
                f"cat(): shapes {shapes} differ outside dim {dim}; every tensor must have the "
                "same size in all other dimensions."
            )
    dtype = _joined_dtype([a.dtype for a in arrays])
    tensors = [t if a.dtype == dtype else cast(t, dtype) for t, a in zip(tensors, arrays)]
    return Cat.apply(d, *tensors)


def _joined_dtype(dtypes: list[np.dtype]) -> np.dtype:
    """PyTorch's dtype for tensors joined together: the highest category (bool < int < float)
    decides, and within it the widest dtype (NumPy would make int64 and float32 float64)."""
    top = max(CATEGORY.get(d.kind, 3) for d in dtypes)
    return np.result_type(*[d for d in dtypes if CATEGORY.get(d.kind, 3) == top])


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join along a new dimension; all tensors must have the same shape."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in _tensor_list(tensors, "stack")]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack(): all tensors must have the same shape, got {sorted(shapes)}.")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim % (tensors[0].ndim + 1))


def size(x: Tensor, dim: int | None = None) -> Any:
    """The shape, or the size of dimension `dim`."""
    shape = x._data.shape
    if dim is None:
        return shape
    if not shape:
        raise IndexError(f"size(): dim {dim!r} is out of range: a 0-d tensor (shape ()) has "
                         "no dimensions; call size() without a dim to get ().")
    return shape[one_dim(x, dim, "size")]


def numpy_transpose(x: Any, axes: Any = None) -> Tensor:
    """np.transpose(t, axes): all dims reversed, or permuted by `axes`."""
    x = as_tensor(x)
    return reverse_dims(x) if axes is None else permute(x, tuple(axes))


def as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)
