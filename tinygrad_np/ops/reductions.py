"""Reductions: sum, mean, var, std, prod, amax/amin, max/min, argmax/argmin, logsumexp,
softmax and log_softmax; dims and dtypes normalised as PyTorch does."""

from __future__ import annotations

import builtins
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import function
from ..autograd.grad_mode import state
from ..autograd.tensor_core import Tensor, untracked
from ..dtypes import as_dtype
from ..primitives import activations, elementwise, reductions
from .args import check_floating, dims, nonempty, one_dim
from .promotion import floating

max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _reduce_as(x: Tensor, dtype: Any, op: str, reduce: Callable[[Tensor], Tensor]) -> Tensor:
    """A reduction's `dtype=`, as in PyTorch: the input is cast first (through Cast, so
    the gradient comes back in the input's dtype), and the result is of `dtype` (NumPy
    would sum small integers in int64, and count bools rather than or them)."""
    dtype = as_dtype(dtype, f"{op}()")
    if op == "mean" and dtype.kind not in "fc":
        raise RuntimeError(f"mean(): dtype {dtype} is not floating point, so a mean cannot "
                           "be held in it (as in PyTorch); pass e.g. dtype=np.float32.")
    if dtype.kind not in "fc" and x._requires_grad and state.grad_enabled:
        raise RuntimeError(
            f"{op}(): dtype {dtype} cannot carry gradients, and this tensor requires grad "
            "(as in PyTorch); reduce in a floating dtype, or .detach() the tensor first."
        )
    return reduce(x.astype(dtype)).astype(dtype)


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """The sum over `dim` (all by default); `dtype` casts the input first, as in PyTorch."""
    if dtype is not None:
        return _reduce_as(x, dtype, "sum", lambda t: t.sum(dim, keepdim, axis=axis,
                                                             keepdims=keepdims))
    if x._data.dtype.kind == "u":  # NumPy would sum in uint64; PyTorch, in int64
        return _reduce_as(x, np.int64, "sum", lambda t: t.sum(dim, keepdim, axis=axis,
                                                               keepdims=keepdims))
    keep = keepdim if keepdims is None else keepdims
    return reductions.Sum.apply(x, dims(x, dim, axis, "sum"), keep)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    if dtype is not None:
        return _reduce_as(x, dtype, "mean", lambda t: t.mean(dim, keepdim, axis=axis,
                                                               keepdims=keepdims))
    keep = keepdim if keepdims is None else keepdims
    check_floating(x, "mean")
    return reductions.Mean.apply(x, dims(x, dim, axis, "mean"), keep)


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | None = None, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Variance with Bessel's `correction` (1 by default; unbiased=False means 0)."""
    check_floating(x, "var")
    if correction is None:
        correction = 0 if unbiased is False else 1
    ds = dims(x, dim, axis, "var")
    keep = keepdim if keepdims is None else keepdims
    count = int(np.prod([x._data.shape[d] for d in ds], dtype=np.int64))
    centered = x - reductions.Mean.apply(x, ds, True)
    divisor = builtins.max(count - correction, 0)
    out = reductions.Sum.apply(centered * centered, ds, keep) / divisor
    if divisor == 0:  # no degrees of freedom: inf or NaN, as PyTorch (nothing overflowed)
        return out
    # Where the squares overflow the variance need not: m^2 var(x / m), m = max |x|.
    return _unless_overflowed(out, x, ds, keep, lambda inner, m: m * (m * var(
        inner, ds, keepdim=keep, correction=correction)))


def _unless_overflowed(out: Tensor, x: Tensor, ds: tuple[int, ...], keep: bool,
                       rescaled: Any) -> Tensor:
    """`out`, a moment of x over `ds`, or where a group of finite inputs came out infinite
    (its intermediates overflowed), `rescaled(x / m, m)` with m = max |x| per group (a
    constant: var(x) = m^2 var(x / m) and std(x) = m std(x / m) hold, derivatives included).
    Where that is infinite too the moment itself overflows; the plain form stays there (its
    gradient is finite)."""
    if not np.isinf(out._data).any():  # (the usual case: one pass over the small result)
        return out
    finite = np.isfinite(x._data).all(axis=ds, keepdims=True)
    if not (np.isinf(out._data) & finite.reshape(out._data.shape)).any():
        return out
    m = np.abs(x._data).max(axis=ds, keepdims=True)
    m = np.where(finite & (m > 0), m, 1).astype(x._data.dtype)  # (elsewhere harmless)
    other = rescaled(x / m, m if keep else m.reshape(out._data.shape))
    return other.where(np.isfinite(other._data), out)


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | None = None, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    check_floating(x, "std")
    ds = dims(x, dim, axis, "std")  # (so that a bad dim's error names std)
    variance = x.var(ds, unbiased, keepdim, correction=correction, keepdims=keepdims)
    out = elementwise.StdFromVariance.apply(variance)
    keep = keepdim if keepdims is None else keepdims
    count = int(np.prod([x._data.shape[d] for d in ds], dtype=np.int64))
    if count <= (1 if correction is None and unbiased is not False else correction or 0):
        return out  # no degrees of freedom: inf or NaN, as PyTorch (nothing overflowed)
    # Where the variance overflows the std need not: m std(x / m), m = max |x|.
    return _unless_overflowed(out, x, ds, keep, lambda inner, m: m * inner.std(
        ds, unbiased, keepdim, correction=correction, keepdims=keepdims))


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    keep = keepdim if keepdims is None else keepdims
    return reductions.Amax.apply(x, nonempty(x, dims(x, dim, axis, "amax"), "amax"), keep)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    keep = keepdim if keepdims is None else keepdims
    return reductions.Amin.apply(x, nonempty(x, dims(x, dim, axis, "amin"), "amin"), keep)


def _extremum_along(x: Tensor, dim: Any, keepdim: bool, largest: bool) -> tuple[Tensor, Tensor]:
    op = "max" if largest else "min"
    d = one_dim(x, dim, op)
    if x._data.ndim == 0:  # like PyTorch: the value itself, at index 0
        return _extremum_along(x.reshape(1), 0, False, largest)
    nonempty(x, (d,), op)
    pick = np.argmax if largest else np.argmin
    idx = pick(x._data, axis=d, keepdims=True)
    # Gather through indexing, so the gradient goes only to the returned index.
    index = list(np.indices(idx.shape, sparse=True))
    index[d] = idx
    values = x[tuple(index)]
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values, untracked(idx)


def _alias(dim: Any, axis: Any, keepdim: bool, keepdims: bool | None, op: str) -> tuple:
    """PyTorch's NumPy-style aliases: axis for dim, keepdims for keepdim."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}(): give dim or its alias axis, not both.")
        dim = axis
    return dim, keepdim if keepdims is None else keepdims


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Any:
    """max() reduces all (ties share the gradient); max(dim) returns (values, indices)
    with the gradient going to the returned index; max(other) is maximum(other)."""
    dim, keepdim = _alias(dim, axis, keepdim, keepdims, "max")
    if dim is None:
        return x.amax()
    if isinstance(dim, (Tensor, np.ndarray)):
        return x.maximum(dim)
    return max_result(*_extremum_along(x, dim, keepdim, largest=True))


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Any:
    dim, keepdim = _alias(dim, axis, keepdim, keepdims, "min")
    if dim is None:
        return x.amin()
    if isinstance(dim, (Tensor, np.ndarray)):
        return x.minimum(dim)
    return min_result(*_extremum_along(x, dim, keepdim, largest=False))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the (first) largest element: of the flattened tensor when dim is None."""
    dim, keepdim = _alias(dim, axis, keepdim, keepdims, "argmax")
    return _arg_extremum(x, np.argmax, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool | None = None) -> Tensor:
    dim, keepdim = _alias(dim, axis, keepdim, keepdims, "argmin")
    return _arg_extremum(x, np.argmin, dim, keepdim, "argmin")


def _arg_extremum(x: Tensor, pick: Any, dim: Any, keepdim: bool, op: str) -> Tensor:
    if x._data.dtype == np.bool_:
        raise TypeError(f"{op}(): not defined for bool tensors (as in PyTorch); use "
                        f"x.long().{op}() (or x.nonzero() for the True positions).")
    if dim is None:  # over the flattened tensor; keepdim keeps every dim, with size 1
        nonempty(x, dims(x, None, None, op), op)
        return function.computed(lambda a: pick(a, keepdims=keepdim), x)
    d = one_dim(x, dim, op)
    if not x._data.ndim:  # a 0-d tensor has no axis: its only element is at index 0
        return untracked(np.asarray(0))
    axis = nonempty(x, (d,), op)[0]
    return function.computed(lambda a: pick(a, axis=axis, keepdims=keepdim), x)


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool | None = None) -> Tensor:
    keep = keepdim if keepdims is None else keepdims
    return reductions.LogSumExp.apply(floating(x), dims(x, dim, axis, "logsumexp"), keep)


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    if dtype is not None:
        return _reduce_as(x, dtype, "prod", lambda t: t.prod(dim, keepdim, axis=axis,
                                                               keepdims=keepdims))
    if x._data.dtype.kind == "u":  # (as sum)
        return _reduce_as(x, np.int64, "prod", lambda t: t.prod(dim, keepdim, axis=axis,
                                                                keepdims=keepdims))
    keep = keepdim if keepdims is None else keepdims
    return reductions.Prod.apply(x, dims(x, dim, axis, "prod"), keep)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, computed stably (finite at logits of 1e4)."""
    check_floating(x, "softmax")
    if x._data.ndim == 0:
        return x.reshape(1).softmax(0).reshape(())
    d = one_dim(x, dim, "softmax")
    return activations.Softmax.apply(x, d)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x - logsumexp(x) along `dim`, computed stably."""
    check_floating(x, "log_softmax")
    if x._data.ndim == 0:
        return x.reshape(1).log_softmax(0).reshape(())
    d = one_dim(x, dim, "log_softmax")
    return activations.LogSoftmax.apply(x, d)


def _logical_reduce(x: Tensor, dim: Any, keepdim: bool, reduce: Any, op: str,
                    axis: Any = None) -> Tensor:
    ds = dims(x, dim, axis, op)
    return function.computed(lambda a: reduce(a, axis=ds, keepdims=keepdim), x)


def all(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Whether every element (along `dim`) is nonzero: a bool tensor, as in PyTorch."""
    return _logical_reduce(x, dim, keepdim, np.all, "all", axis)


def any(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Whether some element (along `dim`) is nonzero: a bool tensor, as in PyTorch."""
    return _logical_reduce(x, dim, keepdim, np.any, "any", axis)


def _running_dtype(x: Tensor, dtype: Any, op: str) -> np.dtype | None:
    """The dtype a running sum or product must first cast to (dtype=, or int64 for small
    integers and bools, as in PyTorch); None when x's own will do."""
    if dtype is not None:
        target = as_dtype(dtype, f"{op}()")
        return None if target == x._data.dtype else target
    kind = x._data.dtype
    return np.dtype(np.int64) if kind.kind in "bu" or kind == np.int32 else None


def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along `dim` (integers and bools sum in int64, as in PyTorch)."""
    target = _running_dtype(x, dtype, "cumsum")
    if target is not None:
        return cumsum(x.astype(target), dim)
    d = one_dim(x, dim, "cumsum")  # (a bad dim raises IndexError, 0-d included)
    if x._data.ndim == 0:
        return x.clone()
    return reductions.CumSum.apply(x, d)


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running products along `dim`. Computed as a product over a triangular mask (element j
    is the product of x_k for k <= j), so Prod's exact rule covers zeros to any order;
    O(n^2) in the length of `dim`."""
    target = _running_dtype(x, dtype, "cumprod")
    if target is not None:
        return cumprod(x.astype(target), dim)
    one_dim(x, dim, "cumprod")  # (a bad dim raises IndexError, 0-d included)
    if x._data.ndim == 0:
        return x.clone()
    d = one_dim(x, dim, "cumprod")
    n = x._data.shape[d]
    moved = x.movedim(d, -1)
    rows = moved.unsqueeze(-2).expand(*moved.shape[:-1], n, n)  # rows[..., j, k] = x_k
    upto = np.tril(np.ones((n, n), dtype=bool))  # k <= j
    return rows.where(upto, 1).prod(-1).movedim(-1, d)


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """The p-norm of x over `dim` (all by default): p a number >= 1, inf, or 'fro' (2)."""
    check_floating(x, "norm")
    if dtype is not None:
        x = x.astype(as_dtype(dtype, "norm()"))
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str) or not (p == np.inf or (isinstance(p, (int, float)) and p >= 1)):
        raise ValueError(f"norm(): p must be a number >= 1, inf or 'fro', got {p!r}; for "
                         "p = 0 (the count of nonzeros) use (x != 0).sum().")
    axes = dims(x, dim, None, "norm")
    if p == np.inf and 0 in [x._data.shape[a] for a in axes]:
        raise RuntimeError(f"norm(): the inf norm (a max) of an empty group has no value: dims "
                           f"{axes} of shape {x._data.shape} include an empty one (as in "
                           "PyTorch); check the input's size first.")
    return reductions.Norm.apply(x, float(p), axes, keepdim)


def median(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median (of an even count, the smaller middle value, as PyTorch): of all
    elements, or (values, indices) along `dim`; the gradient goes to the median element."""
    if dim is None:
        flat = x.reshape(-1)
        if flat._data.size == 0 and flat._data.dtype.kind == "f":
            return flat.sum() * np.nan  # as PyTorch: NaN, and an (empty) gradient
        nonempty(flat, (0,), "median")
        return median(flat, 0).values
    d = one_dim(x, dim, "median")
    if x._data.ndim == 0:
        return median_result(x.clone(), untracked(np.asarray(0)))
    nonempty(x, (d,), "median")
    order = np.argsort(x._data, axis=d, kind="stable")
    middle = (x._data.shape[d] - 1) // 2
    idx = np.take(order, [middle], axis=d)
    if x._data.dtype.kind == "f":  # a NaN makes the median NaN: the first one is taken
        nan = np.isnan(x._data)
        idx = np.where(nan.any(axis=d, keepdims=True), nan.argmax(axis=d, keepdims=True), idx)
    values = x.gather(d, untracked(idx))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return median_result(values, untracked(idx))


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """(values, indices) sorted along `dim`; the gradient goes back through the indices."""
    if x._data.ndim == 0:
        return sort_result(x.clone(), untracked(np.asarray(0)))
    d = one_dim(x, dim, "sort")
    idx = argsort(x, d, descending)
    return sort_result(x.gather(d, idx), idx)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along `dim` (stable; NaN last ascending, first descending)."""
    if x._data.ndim == 0:
        return untracked(np.asarray(0))
    d = one_dim(x, dim, "argsort")
    data = x._data
    if descending:  # a stable descending order: ascending of the negation, NaNs first
        if data.dtype.kind == "b":
            return untracked(np.argsort(~data, axis=d, kind="stable"))
        # (-NaN is NaN, which argsort puts last: the NaNs are brought first by a primary key)
        order = np.lexsort((-data, ~np.isnan(data)), axis=d) if data.dtype.kind == "f" else \
            np.argsort(-data, axis=d, kind="stable")
        return untracked(order)
    return untracked(np.argsort(data, axis=d, kind="stable"))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The k largest (or smallest) elements along `dim` with their indices, largest first."""
    d = one_dim(x, dim, "topk")
    n = x._data.shape[d] if x._data.ndim else 1
    if type(k) is not int or not 0 <= k <= n:
        raise ValueError(f"topk(): k must be an int in [0, {n}] for dim {dim} of shape "
                         f"{x._data.shape}, got {k!r}.")
    idx = argsort(x, d, descending=largest)
    if x._data.ndim:
        idx = untracked(np.take(idx._data, np.arange(k), axis=d))
    return topk_result(x.gather(d, idx) if x._data.ndim else x.clone(), idx)


median_result = namedtuple("median", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def cummax(x: Tensor, dim: int) -> Any:
    """(values, indices) of the running maximum along `dim`, as torch.cummax (a tie takes the
    later index; NaN, once seen, stays); the values are x gathered there, so the gradient goes
    to the elements that were the maximum."""
    return _running_extremum(x, dim, np.greater_equal, "cummax")


def cummin(x: Tensor, dim: int) -> Any:
    """(values, indices) of the running minimum along `dim`, as torch.cummin."""
    return _running_extremum(x, dim, np.less_equal, "cummin")


def _running_extremum(x: Tensor, dim: int, better: Any, op: str) -> Any:
    d = one_dim(x, dim, op)
    data = x._data if x._data.ndim else x._data.reshape(1)
    moved = np.moveaxis(data, d, -1)
    index = np.zeros(moved.shape, dtype=np.int64)
    if moved.shape[-1]:
        best = moved[..., 0].copy()
        where = np.zeros(moved.shape[:-1], dtype=np.int64)
        for i in range(moved.shape[-1]):
            value = moved[..., i]
            take = (better(value, best) | np.isnan(value)) & ~(np.isnan(best) & (i > 0))
            if i == 0:
                take = np.ones_like(take)
            best = np.where(take, value, best)
            where = np.where(take, i, where)
            index[..., i] = where
    index = np.moveaxis(index, -1, d).reshape(x._data.shape)
    values = x.gather(d, Tensor(index)) if x._data.ndim else x * 1
    result = namedtuple(f"{op}_result", ["values", "indices"])
    return result(values, untracked(index))


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along `dim`, exact for any spread of values."""
    d = one_dim(x, dim, "logcumsumexp")
    x = x if x._data.dtype.kind == "f" else x.float()
    if x._data.ndim == 0:
        return x * 1
    return reductions.LogCumSumExp.apply(x, d)


def std_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
             *, correction: int | None = None, axis: Any = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim`, as torch.std_mean."""
    ds = dims(x, dim, axis, "std_mean")
    return (std(x, ds, unbiased, keepdim, correction=correction),
            mean(x, ds, keepdim))


def var_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
             *, correction: int | None = None, axis: Any = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim`, as torch.var_mean."""
    ds = dims(x, dim, axis, "var_mean")
    return (var(x, ds, unbiased, keepdim, correction=correction),
            mean(x, ds, keepdim))
