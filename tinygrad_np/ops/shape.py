"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, permute/transpose, expand,
indexing, cat and stack. Views share their input's memory (and version counter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DTypeError, IndexRangeError, OptionError, ShapeError
from ..autograd.tensor_core import Tensor, untracked
from ..primitives.shape import Cat, Expand, Getitem, IndexAddZeros, Permute, Reshape
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
        raise ShapeError(
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
        raise ShapeError(
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
        index = normalize_index(index)
        _check_masks(x._data.shape, index)
        return Getitem.apply(x, index)
    except IndexError as err:
        raise IndexError(
            f"{err} Along a dimension of size n the valid indices are -n to n-1; use "
            "ints, slices, None, ..., or integer/boolean arrays."
        ) from None


def _check_masks(shape: tuple[int, ...], index: Any) -> None:
    """A bool mask must have the shape of the dims it indexes (NumPy lets an empty mask
    index a dim of size 1; PyTorch refuses, as here). Checked up to an Ellipsis or None."""
    if type(index) is not tuple:  # (a Chained index: ints first, masks checked by NumPy)
        return
    k = 0
    for i in index:
        if i is Ellipsis or i is None:
            return
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            dims = shape[k:k + i.ndim]
            if i.shape != dims:
                raise IndexError(f"indexing: a bool mask of shape {i.shape} does not match "
                                 f"the dims {dims} it indexes (of shape {shape}).")
            k += i.ndim
        else:
            k += 1


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
    tensors = [t if isinstance(t, Tensor) else np.asarray(t)
               for t in _tensor_list(tensors, "cat")]
    # (shapes and dtypes only: a captured step runs Cat again, not this)
    shapes = [t._data.shape if isinstance(t, Tensor) else t.shape for t in tensors]
    dtypes = [t._data.dtype if isinstance(t, Tensor) else t.dtype for t in tensors]
    dtype = _joined_dtype(dtypes)  # the left-out empties count too
    empties = [i for i, shape in enumerate(shapes) if shape == (0,)]
    if empties and len(empties) < len(shapes):
        # PyTorch's legacy rule: an empty 1-d tensor joins anything. It is reshaped to an
        # empty slab of the others' shape, so that it still gets its (empty) gradient.
        kept = [i for i, shape in enumerate(shapes) if shape != (0,)]
        model = shapes[kept[0]]
        if model and -len(model) <= dim < len(model):
            slab = model[:dim % len(model)] + (0,) + model[dim % len(model) + 1:]
            for i in empties:
                tensors[i], shapes[i] = tensors[i].reshape(slab), slab
        else:
            tensors, shapes, dtypes = ([seq[i] for i in kept] for seq in (tensors, shapes, dtypes))
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
    tensors = [t if t_dtype == dtype else cast(t, dtype) for t, t_dtype in zip(tensors, dtypes)]
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


# ---- more shape ops (PyTorch's names) -------------------------------------------------------
def t(x: Tensor) -> Tensor:
    """The transpose of a matrix (a vector or a scalar stays as it is)."""
    if x._data.ndim > 2:
        raise ValueError(f"t(): expects a tensor with at most 2 dimensions, got shape "
                         f"{x._data.shape}; use transpose(dim0, dim1) or .mT for batches.")
    return reverse_dims(x)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dimension(s) `source` to position(s) `destination`, keeping the others' order."""
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim(): source {source} and destination {destination} must "
                         "name as many dims.")
    src = tuple(one_dim(x, d, "movedim") for d in src)
    dst = tuple(one_dim(x, d, "movedim") for d in dst)
    rest = [d for d in range(x._data.ndim) if d not in src]
    order: list[int] = [-1] * x._data.ndim
    for s, d in zip(src, dst):
        order[d] = s
    it = iter(rest)
    return permute(x, tuple(o if o >= 0 else next(it) for o in order))


def view_as(x: Tensor, other: Any) -> Tensor:
    return reshape(x, np.shape(other._data if isinstance(other, Tensor) else other))


def type_as(x: Tensor, other: Tensor) -> Tensor:
    return x.astype(other.dtype)


def _along(index: np.ndarray, dim: int) -> tuple[Any, ...]:
    """The advanced index that picks index[..., i, ...] along `dim` at every other position:
    x[_along(idx, d)] is np.take_along_axis(x, idx, d)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _index_array(index: Any, op: str) -> np.ndarray:
    idx = np.asarray(index._data if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}(): index must hold integers, got dtype {idx.dtype}; convert it "
                        "with .long().")
    return idx


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on): index has x's number of
    dims and may be smaller elsewhere; the gradient adds up at repeated indices."""
    d = one_dim(x, dim, "gather")
    idx = _index_array(index, "gather")
    if idx.ndim != x._data.ndim or any(i > n for j, (i, n) in enumerate(
            zip(idx.shape, x._data.shape)) if j != d):
        raise ShapeError(f"gather(): index of shape {idx.shape} must have as many dims as the "
                         f"input ({x._data.shape}) and be no larger outside dim {dim}.")
    return getitem(x, _along(idx, d))


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of x with src (or value) written at index along `dim`: the inverse of gather.
    reduce="add" / "multiply" combine with x instead (repeated indices add up / multiply)."""
    if src is not None and not isinstance(src, Tensor):  # scatter(dim, index, 2.0)
        src, value = None, src
    d, idx = _scatter_index(x, dim, index, src, "scatter")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise OptionError(f"scatter(): reduce={reduce!r} is not supported; use 'add' or "
                             "'multiply' (or scatter_reduce).")
        if src is None:
            src = untracked(np.full(idx.shape, value, x._data.dtype))
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    out = x.clone()
    values = value if src is None else _part(src, idx.shape)
    out[_along(idx, d)] = values
    return out


def _scatter_index(x: Tensor, dim: int, index: Any, src: Any, op: str
                   ) -> tuple[int, np.ndarray]:
    """dim normalised and the index array, checked as PyTorch does: as many dims as x, no
    larger than src anywhere nor than x outside dim, values within x's size along dim, and
    src in x's dtype."""
    d = one_dim(x, dim, op)
    idx = _index_array(index, op)
    src_shape = src._data.shape if isinstance(src, Tensor) else idx.shape
    if idx.ndim != x._data.ndim or any(
            i > s or (j != d and i > n)
            for j, (i, n, s) in enumerate(zip(idx.shape, x._data.shape, src_shape))):
        raise ShapeError(f"{op}(): index of shape {idx.shape} must have the input's number of "
                         f"dims ({x._data.shape}) and be no larger than src "
                         f"({src_shape}) anywhere, nor than the input outside dim {dim}.")
    n = x._data.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexRangeError(f"{op}(): index values must be in [{-n}, {n - 1}] for dim {dim} "
                              f"of size {n}, got [{idx.min()}, {idx.max()}].")
    if isinstance(src, Tensor) and src._data.dtype != x._data.dtype:
        raise DTypeError(f"{op}(): src has dtype {src._data.dtype} but the input "
                         f"{x._data.dtype}; convert one (e.g. src.to(x.dtype)).")
    return d, idx


def scatter_add(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of x with src added at index along `dim` (repeated indices add up)."""
    src = src if isinstance(src, Tensor) else untracked(np.asarray(src, x._data.dtype))
    d, idx = _scatter_index(x, dim, index, src, "scatter_add")
    values = _part(src, idx.shape)
    return x + IndexAddZeros.apply(values, _along(idx, d), x._data.shape)


_REDUCE_IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}


def scatter_reduce(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """x with src combined in at index along `dim`: out[p] = reduce(x[p] (if include_self),
    all src[j] with index j -> p); reduce is "sum", "prod", "mean", "amax" or "amin". Built
    of differentiable ops: contributions are applied in rounds, the k-th contribution to
    every position at once, so prod (and its zeros) and the max/min are exact products and
    pairwise maxima."""
    if reduce not in _REDUCE_IDENTITY:
        raise OptionError(f"scatter_reduce(): reduce={reduce!r} is not one of "
                         f"{tuple(_REDUCE_IDENTITY)}.")
    d, idx = _scatter_index(x, dim, index, src, "scatter_reduce")
    shape, values = x._data.shape, _part(src, idx.shape).reshape(-1)
    target = np.ravel_multi_index(tuple(np.broadcast_arrays(*_along(idx % shape[d], d))),
                                  shape).reshape(-1)
    hits = np.bincount(target, minlength=x._data.size).reshape(shape)
    identity = _REDUCE_IDENTITY[reduce]
    if x._data.dtype.kind != "f" and np.isinf(identity):
        info = np.iinfo(x._data.dtype)
        identity = info.min if identity < 0 else info.max
    base = x if include_self else x.masked_fill(hits > 0, identity)
    if reduce in ("sum", "mean"):
        out = base + IndexAddZeros.apply(values, (target,), (x._data.size,)).reshape(shape)
        if reduce == "mean":
            count = untracked((hits + (include_self | (hits == 0))).astype(x._data.dtype))
            out = out / count if x._data.dtype.kind == "f" else out.div(count,
                                                                        rounding_mode="floor")
        return out
    # The k-th contribution to each position: stable sort by target, rank within a target.
    order = np.argsort(target, kind="stable")
    first = np.searchsorted(target[order], target[order])
    rank = np.empty_like(target)
    rank[order] = np.arange(target.size) - first
    out = base
    for k in range(int(rank.max()) + 1 if rank.size else 0):
        picked = np.flatnonzero(rank == k)
        written = np.zeros(x._data.size, dtype=bool)
        written[target[picked]] = True
        step = IndexAddZeros.apply(getitem(values, (picked,)), (target[picked],),
                                   (x._data.size,)).masked_fill(~written, identity)
        step = step.reshape(shape)
        out = out * step if reduce == "prod" else (
            out.maximum(step) if reduce == "amax" else out.minimum(step))
    return out


def _part(src: Any, shape: tuple[int, ...]) -> Any:
    """src's leading block of `shape` (PyTorch reads only that much of src)."""
    if not isinstance(src, Tensor) or src._data.shape == shape:
        return src
    return getitem(src, tuple(slice(0, n) for n in shape))


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    d = one_dim(x, dim, "index_select")
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select(): index must be 1-d, got shape {idx.shape}.")
    return getitem(x, (slice(None),) * d + (idx.reshape(-1),))


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with `value` where mask is True; x and mask broadcast together, as in PyTorch."""
    m = np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill(): mask must be a bool tensor, got dtype {m.dtype}.")
    fill = value if isinstance(value, Tensor) else untracked(np.asarray(value, x._data.dtype))
    return x.where(~m, fill.astype(x._data.dtype))


def flip(x: Tensor, dims: Any) -> Tensor:
    """x reversed along each of `dims` (a view)."""
    ds = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len({one_dim(x, d, "flip") for d in ds}) != len(ds):
        raise ShapeError(f"flip(): dims {dims} name a dimension twice; name each at most once.")
    index = [slice(None)] * x._data.ndim
    for d in ds:
        index[one_dim(x, d, "flip")] = slice(None, None, -1)
    return getitem(x, tuple(index))


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Elements shifted along `dims` (of the flattened tensor when None), wrapping around."""
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x._data.shape)
    ss = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    ds = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(ss) != len(ds):
        raise ShapeError(f"roll(): shifts {shifts} and dims {dims} must have the same length.")
    for s, d in zip(ss, ds):
        d = one_dim(x, d, "roll")
        n = x._data.shape[d]
        x = getitem(x, (slice(None),) * d + ((np.arange(n) - s) % max(n, 1),))
    return x


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """x tiled `sizes` times along each dim (new dims in front), as torch's repeat."""
    if not sizes:
        raise TypeError("repeat() needs the number of repeats along each dim, e.g. "
                        "x.repeat(2, 1); got none.")
    sizes = shape_arg(sizes, "repeat")
    if len(sizes) < x._data.ndim:
        raise ValueError(f"repeat(): give at least {x._data.ndim} sizes for a tensor of shape "
                         f"{x._data.shape}, got {sizes}.")
    shape = (1,) * (len(sizes) - x._data.ndim) + x._data.shape
    interleaved = reshape(x, tuple(n for s in shape for n in (1, s)))
    tiled = expand(interleaved, tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
    return reshape(tiled, tuple(r * s for r, s in zip(sizes, shape)))


def _triangle(x: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    if x._data.ndim < 2:
        raise ValueError(f"{op}(): needs at least 2 dimensions, got shape {x._data.shape}.")
    rows, cols = x._data.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((rows, cols), dtype=bool), diagonal)
    return x.where(keep, untracked(np.zeros((), x._data.dtype)))


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (below and on diagonal `diagonal`), zeros elsewhere."""
    return _triangle(x, diagonal, True, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(x, diagonal, False, "triu")


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along `dim`: of split_size each (the last may be smaller), or of the listed
    sizes; views of x."""
    d = one_dim(x, dim, "split")
    n = x._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise ValueError(f"split(): split_size must be positive, got {size}.")
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split(): sections {sizes} add up to {sum(sizes)}, but dim "
                             f"{dim} has size {n}.")
    bounds = np.cumsum([0] + sizes).tolist()
    return tuple(getitem(x, (slice(None),) * d + (slice(lo, hi),))
                 for lo, hi in zip(bounds[:-1], bounds[1:]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` pieces of equal size (ceil(n / chunks)) along `dim`."""
    if type(chunks) is not int or chunks <= 0:
        raise ValueError(f"chunk(): chunks must be a positive int, got {chunks!r}.")
    n = x._data.shape[one_dim(x, dim, "chunk")]
    return split(x, max(-(-n // chunks), 1), dim)
