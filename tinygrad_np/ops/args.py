"""Argument normalisers shared by the ops: sizes, dims, indices.

They accept what PyTorch accepts (f(2, 3) and f((2, 3)); negative dims; dim=() for all) and
refuse the rest with an error that names the op."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..autograd.tensor_core import Tensor
from ..primitives.shape import Chained


def shape_arg(shape: Sequence[Any], op: str, what: str = "sizes") -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike, as PyTorch does; every size must be an integer
    (a float or a bool is refused rather than truncated, as in PyTorch)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    for i, n in enumerate(shape):
        if type(n) is not int and not isinstance(n, np.integer):  # (bool is refused too)
            raise TypeError(
                f"{op}(): {what} must be ints, got {type(n).__name__} {n!r} at position {i} of "
                f"{tuple(shape)!r}; pass whole numbers as ints (convert with int() first)."
            )
    return tuple([int(n) for n in shape])


def check_new_shape(shape: tuple[int, ...], numel: int, op: str) -> None:
    """A target shape for reshape/view: sizes >= 0, and -1 (inferred) in at most one place."""
    for i, n in enumerate(shape):
        if n < -1:
            raise ShapeError(
                f"{op}(): invalid size {n} at position {i} of shape {shape}; sizes must be "
                f">= 0, or -1 in one place to have that size inferred from the {numel} elements."
            )
    if shape.count(-1) > 1:
        raise ShapeError(
            f"{op}(): shape {shape} has -1 in {shape.count(-1)} places, but only one size can "
            f"be inferred; give all but one of the sizes (the tensor has {numel} elements)."
        )


def normalize_index(index: Any) -> tuple[Any, ...]:
    """Make an index a tuple of NumPy index components; Tensors and lists become arrays.
    One that mixes ints with index arrays becomes a Chained index, read as PyTorch does."""
    if type(index) is Chained:  # (already normalised: a backward indexing its gradient)
        return index
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i._data
        elif isinstance(i, list):
            # An empty list selects nothing, as in PyTorch (NumPy makes it a float array).
            i = np.asarray(i) if i else np.empty(0, dtype=np.intp)
        if isinstance(i, np.ndarray) and i.dtype.kind not in "iub":
            raise IndexError(
                f"indexing: an index array must hold integers or booleans, got dtype {i.dtype}; "
                "convert it with .long() or .astype(np.int64)."
            )
        out.append(i)
    return _ints_first(tuple(out))


def _is_int(i: Any) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _ints_first(index: tuple[Any, ...]) -> Any:
    """PyTorch applies an index's ints before its index arrays: (ints and slices) first, as
    a view, then the arrays. NumPy would count the ints among the arrays, which moves the
    arrays' dimension to the front when a slice stands between them."""
    arrays = [isinstance(i, np.ndarray) for i in index]
    if not any(arrays) or not any(_is_int(i) for i in index):
        return index
    first: list[Any] = []
    second: list[Any] = []
    for i, is_array in zip(index, arrays):
        if is_array:  # a bool mask spans as many dimensions as it has
            first += [slice(None)] * (i.ndim if i.dtype == np.bool_ else 1)
            second.append(i)
        elif _is_int(i):
            first.append(i)
        else:  # a slice, None or Ellipsis: applied first, kept whole second
            first.append(i)
            second.append(i if i is Ellipsis else slice(None))
    return Chained((tuple(first), tuple(second)))


def check_floating(x: Tensor, op: str) -> None:
    """PyTorch refuses integers here (averages, softmax) rather than guess a dtype."""
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}(): input dtype {x._data.dtype} is not floating point, so the result's "
            "dtype is ambiguous; convert first, e.g. x.float()."
        )


def dims(x: Tensor, dim: Any, axis: Any, op: str) -> tuple[int, ...]:
    """Normalise dim/axis (int, tuple, negative, None for all) to sorted non-negative ints."""
    if dim is not None and axis is not None:
        raise TypeError(f"{op}(): give dim or its alias axis, not both.")
    dim = axis if dim is None else dim
    ndim = x._data.ndim
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int or isinstance(dim, np.integer):
        ds: tuple[Any, ...] = (dim,)
    else:
        ds = tuple(dim) if isinstance(dim, (tuple, list)) else (None,)
        for d in ds:
            if type(d) is not int and not isinstance(d, np.integer):  # (refuses bool too)
                raise TypeError(
                    f"{op}(): dim must be an int or a tuple of ints, got "
                    f"{type(dim).__name__} {dim!r}; e.g. {op}(dim=1) or {op}(dim=(0, 1)) "
                    "(None for all dims)."
                )
    if not ds:  # dim=() reduces everything, as in PyTorch (NumPy's axis=() reduces nothing)
        return tuple(range(ndim))
    out = []
    for d in ds:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{op}(): dim {d} is out of range for a tensor of shape "
                f"{x._data.shape}; use a dim in [{-max(ndim, 1)}, {max(ndim, 1) - 1}]."
            )
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}(): dim {dim} names a dimension twice.")
    return tuple(sorted(d for d in set(out) if d < ndim))


def one_dim(x: Tensor, dim: Any, op: str) -> int:
    """One dim, for ops that take a single one (normalised; 0 for a 0-d tensor)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): dim must be one int, got {dim!r}.")
    ds = dims(x, dim, None, op)
    return ds[0] if ds else 0


def nonempty(x: Tensor, ds: tuple[int, ...], op: str) -> tuple[int, ...]:
    if any(x._data.shape[d] == 0 for d in ds) or x._data.size == 0 and not ds:
        raise ValueError(
            f"{op}(): cannot reduce over an empty dimension (shape {x._data.shape}); "
            "the result has no identity element. Reduce a non-empty dim, or check that "
            "the batch is not empty."
        )
    return ds


def as_input(x: Any, op: str, floating: bool = True) -> Tensor:
    """`x` as a Tensor (arrays and lists are wrapped); with `floating`, it must be a float."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    if floating and t._data.dtype.kind != "f":
        raise TypeError(
            f"{op}: expected a floating-point input, got dtype {t.dtype} (shape {t.shape}); "
            "convert it with .float()."
        )
    return t
