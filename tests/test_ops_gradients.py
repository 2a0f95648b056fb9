"""Gradients of every differentiable op, checked three ways over Hypothesis-generated inputs
(shapes up to 3 dims of side 4, broadcasting and 0-d included):

* the forward value against plain NumPy,
* first derivatives against central finite differences (gradcheck, the full Jacobian),
* second derivatives (gradgradcheck: the op's backward recorded with create_graph=True and
  checked the same way), so create_graph is covered for every op.

Ops live in tables of `Op(name, fn, ref, args)`: `args` draws the input tensors and the
op's keyword arguments, `fn` runs the op on Tensors and `ref` computes the same on arrays.
Inputs come from `tinygrad_np.testing.strategies` domains that keep them away from kinks,
poles and ties; the kinks and ties themselves have dedicated tests below, with PyTorch as an
oracle when it is installed.
"""

from __future__ import annotations

import math

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tg
from tinygrad_np.testing import gradcheck, gradgradcheck
from tinygrad_np.testing import strategies as tst

# Central differences in float64 with eps = 1e-6 are accurate to about 1e-9 relative on these
# inputs; the bounds below leave room for that and catch any real error (a wrong factor, axis
# or sign is off by far more).
TIGHT = {"atol": 1e-7, "rtol": 1e-6}
# The forward against NumPy: the same float64 formula up to rounding.
FORWARD = {"atol": 1e-13, "rtol": 1e-12}


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable[..., tg.Tensor]  # fn(*tensors, **params)
    ref: Callable[..., np.ndarray]  # ref(*arrays, **params), the same values by NumPy
    args: st.SearchStrategy[tuple[tuple[tg.Tensor, ...], dict[str, Any]]]
    tol: dict[str, float] = field(default_factory=lambda: TIGHT)

    def __repr__(self) -> str:
        return self.name


# ---- argument strategies ------------------------------------------------------------------

def unary(domain: str = "real", unique: bool = False, shape: Any = None) -> st.SearchStrategy:
    """One tensor from `domain`, no keyword arguments."""
    return st.tuples(tst.tensors(shape, domain=domain, unique=unique).map(lambda t: (t,)),
                     st.just({}))


def nary(n: int = 2, domain: Any = "real", unique: bool = False) -> st.SearchStrategy:
    """`n` tensors of mutually broadcastable shapes."""
    return st.tuples(tst.broadcastable_tensors(n, domain=domain, unique=unique), st.just({}))


@st.composite
def reduce_args(draw: st.DrawFn, domain: str = "real", unique: bool = False,
                single_dim: bool = False, keepdim: bool = True,
                shape: st.SearchStrategy | None = None) -> tuple[tuple[tg.Tensor], dict]:
    """A tensor and a `dim` for it (None, int or tuple, negatives included), with keepdim."""
    x = draw(tst.tensors(shape, domain=domain, unique=unique))
    params: dict[str, Any] = {"dim": draw(tst.dims(x.ndim, allow_none=not single_dim,
                                                   allow_tuple=not single_dim))}
    if keepdim:
        params["keepdim"] = draw(st.booleans())
    return (x,), params


def np_accumulate(ufunc: np.ufunc, a: np.ndarray, dim: int) -> np.ndarray:
    """ufunc.accumulate along a PyTorch `dim` (a 0-d tensor is its own running value)."""
    return a.copy() if a.ndim == 0 else ufunc.accumulate(a, axis=dim)


def np_axis(a: np.ndarray, dim: Any) -> Any:
    """A PyTorch `dim` as a NumPy `axis` (a 0-d tensor accepts dim 0 or -1; NumPy does not)."""
    return None if a.ndim == 0 else dim


@st.composite
def where_args(draw: st.DrawFn) -> tuple[tuple[tg.Tensor, ...], dict]:
    cond_shape, a_shape, b_shape = draw(tst.broadcastable_shapes(3))
    cond = draw(tst.arrays(cond_shape, dtype=np.bool_))
    return (draw(tst.tensors(a_shape)), draw(tst.tensors(b_shape))), {"cond": cond}


@st.composite
def ordered_bounds(draw: st.DrawFn) -> tuple[tuple[tg.Tensor, ...], dict]:
    """x, lo, hi broadcastable and all values distinct, with lo < hi elementwise."""
    x, lo, hi = draw(tst.broadcastable_tensors(3, unique=True))
    low, high = np.broadcast_arrays(np.asarray(lo), np.asarray(hi))
    lo = tg.tensor(np.minimum(low, high), requires_grad=True)
    hi = tg.tensor(np.maximum(low, high), requires_grad=True)
    return (x, lo, hi), {}


# Divisors of the % and // tests, before the common scale.
DIVISORS = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]


@st.composite
def division_args(draw: st.DrawFn, scalar: str | None = None) -> tuple:
    """a and b for % and //, broadcastable, with every quotient a / b that broadcasting forms
    at least 0.05 from an integer: away from the jumps of %, so that finite differences hold.
    With b = s b0 for b0 in DIVISORS and a = s (k / 2 + f), f in [0.1, 0.4], for one scale s,
    a / b = (k / 2 + f) / b0 stays off the integers whichever b meets which a. `scalar` ("a"
    or "b") makes that operand a Python float, passed as a keyword argument."""
    a_shape, b_shape = draw(tst.broadcastable_shapes(2))
    a_shape, b_shape = (() if scalar == "a" else a_shape), (() if scalar == "b" else b_shape)
    s = draw(st.floats(0.5, 2.0))
    k = draw(tst.arrays(a_shape, np.int64, elements=st.integers(-6, 5)))
    f = draw(tst.arrays(a_shape, elements=st.floats(0.1, 0.4)))
    a = s * (k / 2 + f)
    b = s * draw(tst.arrays(b_shape, elements=st.sampled_from(DIVISORS)))
    if scalar == "a":
        return (tg.tensor(b, requires_grad=True),), {"a": float(a)}
    if scalar == "b":
        return (tg.tensor(a, requires_grad=True),), {"b": float(b)}
    return (tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)), {}


@st.composite
def var_args(draw: st.DrawFn) -> tuple[tuple[tg.Tensor], dict]:
    # Sides >= 2, so every reduced group has at least 2 (distinct) values: var > 0, and the
    # count exceeds the correction.
    (x,), params = draw(reduce_args(unique=True, shape=tst.shapes(min_dims=1, min_side=2)))
    params["correction"] = draw(st.sampled_from([0, 1]))
    return (x,), params


@st.composite
def reshape_args(draw: st.DrawFn) -> tuple[tuple[tg.Tensor], dict]:
    x = draw(tst.tensors())
    n = x.numel()
    shape = draw(st.sampled_from([(-1,), x.shape[::-1], (1, n), (n, 1, 1), (-1, 1)]))
    return (x,), {"shape": shape}


@st.composite
def flatten_args(draw: st.DrawFn) -> tuple[tuple[tg.Tensor], dict]:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    # Either index may be given negative.
    start -= draw(st.sampled_from([0, x.ndim]))
    end -= draw(st.sampled_from([0, x.ndim]))
    return (x,), {"start_dim": start, "end_dim": end}


def flatten_ref(a: np.ndarray, start_dim: int, end_dim: int) -> np.ndarray:
    s, e = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:])


@st.composite
def one_dim_args(draw: st.DrawFn, new_dim: bool = False) -> tuple:
    """A tensor and one dim of it (a 0-d tensor has dims 0 and -1), or with `new_dim` a
    position for a new dim (ndim + 1 of them)."""
    x = draw(tst.tensors())
    n = x.ndim + 1 if new_dim else max(x.ndim, 1)
    return (x,), {"dim": draw(st.integers(-n, n - 1))}


def squeeze_ref(a: np.ndarray, dim: int) -> np.ndarray:
    if a.ndim == 0 or a.shape[dim] != 1:
        return a
    return np.squeeze(a, axis=dim)


@st.composite
def transpose_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dims = st.integers(-x.ndim, x.ndim - 1)
    return (x,), {"dim0": draw(dims), "dim1": draw(dims)}


@st.composite
def permute_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors())
    perm = draw(st.permutations(range(x.ndim)))
    negate = draw(st.lists(st.booleans(), min_size=x.ndim, max_size=x.ndim))
    return (x,), {"dims": tuple(d - x.ndim if neg else d for d, neg in zip(perm, negate))}


@st.composite
def expand_args(draw: st.DrawFn) -> tuple:
    """A target shape: one new leading dim, size-1 dims stretched to 3, others kept or -1."""
    x = draw(tst.tensors())
    sizes = [draw(st.integers(1, 3))]
    for n in x.shape:
        sizes.append(3 if n == 1 and draw(st.booleans()) else draw(st.sampled_from([n, -1])))
    return (x,), {"sizes": tuple(sizes)}


def expand_ref(a: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return np.broadcast_to(a, shape)


@st.composite
def basic_index_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors())
    index = draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    return (x,), {"index": index}


@st.composite
def array_index_args(draw: st.DrawFn) -> tuple:
    """Integer-array indices (negative and repeated ones included), alone or with a slice."""
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    index = draw(hnp.integer_array_indices(
        x.shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)))
    if x.ndim > 1 and draw(st.booleans()):
        index = (index[0], slice(None, None, -1))  # advanced and basic indexing mixed
    return (x,), {"index": index}


@st.composite
def setitem_args(draw: st.DrawFn) -> tuple:
    """A tensor, a basic index or a boolean mask into it, and values that broadcast to the
    selection (a suffix of its shape)."""
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    if draw(st.booleans()):
        index = draw(hnp.basic_indices(x.shape, allow_ellipsis=True))
    else:
        index = draw(tst.arrays(x.shape, dtype=np.bool_))
    selected = np.asarray(x)[index].shape
    values = draw(tst.tensors(selected[draw(st.integers(0, len(selected))):]))
    return (x, values), {"index": index}


def setitem(x: tg.Tensor, values: tg.Tensor, index: Any) -> tg.Tensor:
    h = x * 1.0  # a non-leaf: the assignment is recorded, with gradients to both sides
    h[index] = values
    return h


def setitem_ref(a: np.ndarray, values: np.ndarray, index: Any) -> np.ndarray:
    a = a.copy()
    a[index] = values
    return a


@st.composite
def mask_index_args(draw: st.DrawFn) -> tuple:
    """A boolean mask over all dims or over the leading ones."""
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    lead = draw(st.integers(1, x.ndim))
    mask = draw(tst.arrays(x.shape[:lead], dtype=np.bool_))
    return (x,), {"index": mask}


@st.composite
def cat_args(draw: st.DrawFn) -> tuple:
    base = draw(tst.shapes(min_dims=1))
    dim = draw(st.integers(-len(base), len(base) - 1))
    sides = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    shapes = [base[:dim % len(base)] + (n,) + base[dim % len(base) + 1:] for n in sides]
    return tuple(draw(tst.tensors(s)) for s in shapes), {"dim": dim}


@st.composite
def stack_args(draw: st.DrawFn) -> tuple:
    shape = draw(tst.shapes())
    n = draw(st.integers(1, 3))
    dim = draw(st.integers(-len(shape) - 1, len(shape)))
    return tuple(draw(tst.tensors(shape)) for _ in range(n)), {"dim": dim}


@st.composite
def matmul_args(draw: st.DrawFn) -> tuple:
    """1-D and 2-D operands, and batched ones whose batch dims broadcast."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(tst.broadcastable_shapes(2, max_dims=2, max_side=2))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched", "vb", "bv"]))
    a_shape, b_shape = {
        "vv": ((k,), (k,)),
        "vm": ((k,), (k, m)),
        "mv": ((n, k), (k,)),
        "mm": ((n, k), (k, m)),
        "batched": (batch_a + (n, k), batch_b + (k, m)),
        "vb": ((k,), batch_b + (k, m)),
        "bv": (batch_a + (n, k), (k,)),
    }[kind]
    return (draw(tst.tensors(a_shape)), draw(tst.tensors(b_shape))), {}


@st.composite
def linear_args(draw: st.DrawFn) -> tuple:
    """F.linear's x (..., k) with 0 to 2 leading dims, weight (m, k), bias (m,) or none."""
    k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = draw(tst.shapes(max_dims=2, max_side=3))
    x, w = draw(tst.tensors(lead + (k,))), draw(tst.tensors((m, k)))
    return ((x, w, draw(tst.tensors((m,)))) if draw(st.booleans()) else (x, w)), {}


def linear_ref(x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    return x @ w.T if b is None else x @ w.T + b


@st.composite
def mm_args(draw: st.DrawFn, batched: bool = False) -> tuple:
    n, k, m, b = (draw(st.integers(1, 3)) for _ in range(4))
    lead = (b,) if batched else ()
    return (draw(tst.tensors(lead + (n, k))), draw(tst.tensors(lead + (k, m)))), {}


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
           ("...ij,jk", [(2, 2, 3), (3, 2)]), ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (2,)]),
           ("ij,ij->j", [(2, 3), (2, 3)]), ("bij->jb", [(2, 3, 2)])]


@st.composite
def einsum_args(draw: st.DrawFn) -> tuple:
    equation, shapes = draw(st.sampled_from(EINSUMS))
    return tuple(draw(tst.tensors(s)) for s in shapes), {"equation": equation}


def off_jumps(shape: Any = None) -> st.SearchStrategy:
    """Values k + 0.25 +- 0.09 for integers k: away from the jumps of floor, ceil, trunc
    (integers) and round (half-integers), where finite differences would see a step."""
    return unary("unit", shape=shape).map(lambda args: ((tg.tensor(
        np.round(np.asarray(args[0][0]) * 3) + 0.25 + 0.1 * np.asarray(args[0][0]),
        requires_grad=True),),
        {}))


@st.composite
def norm_args(draw: st.DrawFn) -> tuple:
    p = draw(st.sampled_from([1, 2, 3, 1.5, np.inf, "fro"]))
    # For p = inf, no near-ties of |x| (x and -x would share the maximum): positive values.
    (x,), params = draw(reduce_args("positive" if p == np.inf else "real", unique=True))
    params["p"] = p
    return (x,), params


def np_norm(a: np.ndarray, p: Any, dim: Any, keepdim: bool) -> np.ndarray:
    axis = np_axis(a, dim)
    if p == "fro":
        p = 2
    if p == np.inf:
        return np.abs(a).max(axis=axis, keepdims=keepdim)
    return (np.abs(a) ** p).sum(axis=axis, keepdims=keepdim) ** (1 / p)


@st.composite
def sort_args(draw: st.DrawFn) -> tuple:
    (x,), params = draw(one_dim_args_unique())
    params["descending"] = draw(st.booleans())
    return (x,), params


@st.composite
def one_dim_args_unique(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1), unique=True))
    return (x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def topk_args(draw: st.DrawFn) -> tuple:
    (x,), params = draw(one_dim_args_unique())
    params["k"] = draw(st.integers(0, x.shape[params["dim"]]))
    params["largest"] = draw(st.booleans())
    return (x,), params


def np_topk(a: np.ndarray, dim: int, k: int, largest: bool) -> np.ndarray:
    ordered = np.sort(a, axis=dim)
    ordered = np.flip(ordered, dim) if largest else ordered
    return np.take(ordered, np.arange(k), axis=dim)


@st.composite
def movedim_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    return (x,), {"source": draw(st.integers(-x.ndim, x.ndim - 1)),
                  "destination": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def roll_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    return (x,), {"shifts": draw(st.integers(-5, 5)), "dims": dim}


def np_roll(a: np.ndarray, shifts: int, dims: Any) -> np.ndarray:
    return np.roll(a, shifts, axis=dims)


@st.composite
def repeat_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(max_dims=2)))
    extra = draw(st.integers(0 if x.ndim else 1, 1))  # torch refuses x.repeat()
    return (x,), {"sizes": tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))}


@st.composite
def split_args(draw: st.DrawFn) -> tuple:
    (x,), params = draw(one_dim_args())
    if x.ndim == 0:
        x = x.reshape(1)
        x = tg.tensor(np.asarray(x), requires_grad=True)
        params["dim"] = 0
    params["size"] = draw(st.integers(1, 3))
    return (x,), params


@st.composite
def gather_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    shape = tuple(draw(st.integers(1, 3)) if i == dim % x.ndim else draw(st.integers(1, n))
                  for i, n in enumerate(x.shape))
    index = draw(tst.arrays(shape, np.int64, elements=st.integers(0, x.shape[dim] - 1)))
    return (x,), {"dim": dim, "index": index}


@st.composite
def scatter_args(draw: st.DrawFn) -> tuple:
    """x, src and an index whose positions along dim are distinct (scatter writes each once)."""
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1)) % x.ndim
    shape = tuple(draw(st.integers(1, n)) for n in x.shape)
    rows = [draw(st.permutations(range(x.shape[dim])))[:shape[dim]]
            for _ in range(int(np.prod(shape)) // shape[dim])]
    index = np.moveaxis(np.array(rows).reshape(tuple(n for i, n in enumerate(shape)
                                                     if i != dim) + (shape[dim],)), -1, dim)
    src = draw(tst.tensors(shape))
    return (x, src), {"dim": dim, "index": index}


def np_scatter(a: np.ndarray, b: np.ndarray, dim: int, index: np.ndarray,
               add: bool = False) -> np.ndarray:
    out = a.copy()
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    if add:
        np.add.at(out, tuple(grid), b)
    else:
        out[tuple(grid)] = b
    return out


@st.composite
def index_select_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    index = draw(tst.arrays((draw(st.integers(0, 4)),), np.int64,
                            elements=st.integers(0, x.shape[dim] - 1)))
    return (x,), {"dim": dim, "index": index}


@st.composite
def masked_fill_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors())
    mask = draw(tst.arrays(x.shape[draw(st.integers(0, x.ndim)):], np.bool_))
    return (x,), {"mask": mask, "value": draw(st.floats(-2, 2))}


@st.composite
def scatter_reduce_args(draw: st.DrawFn) -> tuple:
    """x, src (all values distinct: no ties for amax/amin) and an index with repeats."""
    shape = draw(tst.shapes(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, n)) for n in shape)
    size, count = int(np.prod(shape)), int(np.prod(index_shape))
    values = draw(tst.arrays((size + count,), unique=True))
    x = tg.tensor(values[:size].reshape(shape), requires_grad=True)
    src = tg.tensor(values[size:].reshape(index_shape), requires_grad=True)
    index = draw(tst.arrays(index_shape, np.int64, elements=st.integers(0, shape[dim] - 1)))
    return (x, src), {"dim": dim, "index": index,
                      "reduce": draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"])),
                      "include_self": draw(st.booleans())}


def np_scatter_reduce(a: np.ndarray, b: np.ndarray, dim: int, index: np.ndarray, reduce: str,
                      include_self: bool) -> np.ndarray:
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    hits = np.zeros(a.shape)
    np.add.at(hits, tuple(grid), 1)
    out = a.copy()
    if not include_self:
        out[hits > 0] = {"prod": 1, "amax": -np.inf, "amin": np.inf}.get(reduce, 0)
    ufunc.at(out, tuple(grid), b)
    if reduce == "mean":
        out /= np.where(hits > 0, hits + include_self, 1)
    return out


@st.composite
def diagonal_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=2)))
    dim1, dim2 = draw(st.permutations(range(x.ndim)))[:2]
    return (x,), {"offset": draw(st.integers(-2, 2)), "dim1": dim1, "dim2": dim2}


@st.composite
def unfold_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    return (x,), {"dimension": dim, "size": draw(st.integers(0, x.shape[dim])),
                  "step": draw(st.integers(1, 3))}


def np_unfold(a: np.ndarray, dimension: int, size: int, step: int) -> np.ndarray:
    dimension %= a.ndim  # (the windows' own axis comes last)
    windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=dimension)
    return np.take(windows, range(0, windows.shape[dimension], step), axis=dimension)


@st.composite
def repeat_interleave_args(draw: st.DrawFn) -> tuple:
    x = draw(tst.tensors(tst.shapes(min_dims=1)))
    dim = draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    n = x.numel() if dim is None else x.shape[dim]
    repeats = draw(st.integers(0, 3) | tst.arrays((n,), np.int64, elements=st.integers(0, 3)))
    return (x,), {"repeats": repeats, "dim": dim}


def stable_softmax(a: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_logsumexp(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


# ---- the op tables ------------------------------------------------------------------------

ELEMENTWISE = [
    Op("neg", lambda x: -x, np.negative, unary()),
    Op("exp", tg.Tensor.exp, np.exp, unary()),
    Op("log", tg.Tensor.log, np.log, unary("positive")),
    Op("log1p", tg.Tensor.log1p, np.log1p, unary("positive")),
    Op("log1p_near_minus_one", lambda x: tg.log1p(x.sigmoid() - 1), lambda a: np.log1p(
        1 / (1 + np.exp(-a)) - 1), unary()),
    Op("log2", tg.Tensor.log2, np.log2, unary("positive")),
    Op("log10", tg.log10, np.log10, unary("positive")),
    Op("expm1", tg.Tensor.expm1, np.expm1, unary()),
    Op("rsqrt", tg.Tensor.rsqrt, lambda a: 1 / np.sqrt(a), unary("positive")),
    Op("tan", tg.Tensor.tan, np.tan, unary("unit")),
    Op("asin", tg.Tensor.asin, np.arcsin, unary("unit")),
    Op("acos", tg.Tensor.acos, np.arccos, unary("unit")),
    Op("atan", tg.Tensor.atan, np.arctan, unary()),
    Op("sinh", tg.Tensor.sinh, np.sinh, unary()),
    Op("cosh", tg.Tensor.cosh, np.cosh, unary()),
    Op("asinh", tg.Tensor.asinh, np.arcsinh, unary()),
    Op("acosh", lambda x: (x + 1.2).acosh(), lambda a: np.arccosh(a + 1.2), unary("positive")),
    Op("atanh", tg.Tensor.atanh, np.arctanh, unary("unit")),
    Op("exp2", tg.Tensor.exp2, np.exp2, unary()),
    Op("erf", tg.Tensor.erf, lambda a: np.vectorize(math.erf, otypes=[a.dtype])(a), unary()),
    Op("type", lambda x: x.type(tg.float64) * 2, lambda a: a.astype(np.float64) * 2, unary()),
    Op("reciprocal", tg.Tensor.reciprocal, np.reciprocal, unary("nonzero")),
    Op("floor", tg.Tensor.floor, np.floor, off_jumps()),
    Op("ceil", tg.ceil, np.ceil, off_jumps()),
    Op("trunc", tg.Tensor.trunc, np.trunc, off_jumps()),
    Op("round", tg.Tensor.round, np.round, off_jumps()),
    Op("nan_to_num", tg.Tensor.nan_to_num, np.nan_to_num, unary()),
    Op("type_as", lambda x: x.type_as(tg.zeros(1, dtype=np.float64)),
       lambda a: a.astype(np.float64), unary()),
    Op("square", tg.Tensor.square, np.square, unary()),
    Op("positive", lambda x: +x, np.positive, unary()),
    Op("clone", tg.Tensor.clone, np.copy, unary()),
    Op("to_dtype_of", lambda x: x.to("cpu", np.float64) * x.to(tg.zeros(1, dtype=np.float64)),
       lambda a: a.astype(np.float64) ** 2, unary()),
    # float16 in between: finite differences need a step far above its 1e-3 resolution.
    Op("half_then_double", lambda x: x.half().double(),
       lambda a: a.astype(np.float16).astype(np.float64), unary(),
       tol={"eps": 5e-2, "atol": 5e-2, "rtol": 5e-2}),
    Op("double", lambda x: x.double() * 2, lambda a: a.astype(np.float64) * 2, unary()),
    Op("sqrt", tg.Tensor.sqrt, np.sqrt, unary("positive")),
    Op("abs", tg.Tensor.abs, np.abs, unary()),
    Op("sin", tg.Tensor.sin, np.sin, unary()),
    Op("cos", tg.Tensor.cos, np.cos, unary()),
    Op("tanh", tg.Tensor.tanh, np.tanh, unary()),
    Op("sigmoid", tg.Tensor.sigmoid, lambda a: 1 / (1 + np.exp(-a)), unary()),
    Op("relu", tg.Tensor.relu, lambda a: np.maximum(a, 0), unary()),
    Op("sign", tg.Tensor.sign, np.sign, unary()),
    # Bounds no generated value comes within 1e-6 of.
    Op("clamp", lambda x: x.clamp(-0.7312, 1.3177), lambda a: np.clip(a, -0.7312, 1.3177),
       unary()),
    Op("clamp_min", lambda x: x.clamp(min=0.4321), lambda a: np.maximum(a, 0.4321), unary()),
    Op("clip_max", lambda x: x.clip(max=-0.5432), lambda a: np.minimum(a, -0.5432), unary()),
    Op("clamp_tensor_bounds", lambda x, lo, hi: x.clamp(lo, hi), np.clip, ordered_bounds()),
    Op("pow_int", lambda x: x**3, lambda a: a**3, unary()),
    Op("pow_negative", lambda x: x**-2, lambda a: a**-2.0, unary("nonzero")),
    Op("pow_fractional", lambda x: x**2.5, lambda a: a**2.5, unary("positive")),
    Op("pow_zero", lambda x: x**0, lambda a: a**0, unary()),
    Op("rpow_scalar_base", lambda x: 2.5**x, lambda a: 2.5**a, unary()),
    Op("rpow_array_base", lambda x: np.array([0.7, 1.9]) ** x.unsqueeze(-1),
       lambda a: np.array([0.7, 1.9]) ** a[..., None], unary()),
    # Cast computes in float32, so its finite differences need a large step.
    Op("astype_float32", lambda x: x.astype(np.float32), lambda a: a.astype(np.float32),
       unary(), tol={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3}),
    Op("float_then_double", lambda x: x.float().double(),
       lambda a: a.astype(np.float32).astype(np.float64), unary(),
       tol={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3}),
]

BINARY = [
    Op("add", lambda a, b: a + b, np.add, nary()),
    Op("sub", lambda a, b: a - b, np.subtract, nary()),
    Op("mul", lambda a, b: a * b, np.multiply, nary()),
    Op("div", lambda a, b: a / b, np.divide, nary(domain=("real", "nonzero"))),
    Op("pow_tensor_tensor", lambda a, b: a**b, np.power, nary(domain=("positive", "real"))),
    Op("maximum", tg.Tensor.maximum, np.maximum, nary(unique=True)),
    Op("minimum", tg.Tensor.minimum, np.minimum, nary(unique=True)),
    Op("copysign", tg.copysign, np.copysign, nary(domain="nonzero")),
    Op("logaddexp", tg.logaddexp, np.logaddexp, nary()),
    Op("lerp", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), nary(3)),
    Op("remainder", lambda a, b: a % b, np.remainder, division_args()),
    Op("remainder_by_scalar", lambda x, b: tg.remainder(x, b), lambda a, b: np.remainder(a, b),
       division_args(scalar="b")),
    Op("rmod_scalar", lambda x, a: a % x, lambda b, a: np.remainder(a, b),
       division_args(scalar="a")),
    # ndarray % Tensor goes through NumPy's ufunc protocol.
    Op("ndarray_rmod", lambda x, a: np.array([a]) % x.unsqueeze(-1),
       lambda b, a: np.remainder(np.array([a]), b[..., None]), division_args(scalar="a")),
    Op("where", lambda a, b, cond: tg.where(cond, a, b),
       lambda a, b, cond: np.where(cond, a, b), where_args()),
    Op("radd_scalar", lambda x: 1.5 + x, lambda a: 1.5 + a, unary()),
    Op("rsub_scalar", lambda x: 1.5 - x, lambda a: 1.5 - a, unary()),
    Op("rmul_int", lambda x: 3 * x, lambda a: 3 * a, unary()),
    Op("rdiv_scalar", lambda x: 1.7 / x, lambda a: 1.7 / a, unary("nonzero")),
    Op("ndarray_add", lambda x: np.array([1.0, -2.0]) + x.unsqueeze(-1),
       lambda a: np.array([1.0, -2.0]) + a[..., None], unary()),
    Op("ndarray_div", lambda x: np.array([1.0, -2.0]) / x.unsqueeze(-1),
       lambda a: np.array([1.0, -2.0]) / a[..., None], unary("nonzero")),
    # A constant operand of Mul and Div (a Tensor or an array, broadcast): only it is saved.
    Op("mul_constant_tensor", lambda x: tg.tensor(np.array([1.5, -2.0])) * x.unsqueeze(-1),
       lambda a: np.array([1.5, -2.0]) * a[..., None], unary()),
    Op("div_by_ndarray", lambda x: x.unsqueeze(-1) / np.array([1.5, -2.0]),
       lambda a: a[..., None] / np.array([1.5, -2.0]), unary()),
]

REDUCTIONS = [
    Op("sum", lambda x, dim, keepdim: x.sum(dim, keepdim),
       lambda a, dim, keepdim: np.sum(a, np_axis(a, dim), keepdims=keepdim), reduce_args()),
    Op("mean", lambda x, dim, keepdim: x.mean(dim, keepdim),
       lambda a, dim, keepdim: np.mean(a, np_axis(a, dim), keepdims=keepdim), reduce_args()),
    Op("var", lambda x, dim, keepdim, correction: x.var(dim, keepdim=keepdim,
                                                        correction=correction),
       lambda a, dim, keepdim, correction: np.var(a, np_axis(a, dim), ddof=correction,
                                                  keepdims=keepdim), var_args()),
    Op("std", lambda x, dim, keepdim, correction: x.std(dim, keepdim=keepdim,
                                                        correction=correction),
       lambda a, dim, keepdim, correction: np.std(a, np_axis(a, dim), ddof=correction,
                                                  keepdims=keepdim), var_args()),
    Op("amax", lambda x, dim, keepdim: x.amax(dim, keepdim),
       lambda a, dim, keepdim: np.amax(a, np_axis(a, dim), keepdims=keepdim),
       reduce_args(unique=True)),
    Op("amin", lambda x, dim, keepdim: x.amin(dim, keepdim),
       lambda a, dim, keepdim: np.amin(a, np_axis(a, dim), keepdims=keepdim),
       reduce_args(unique=True)),
    Op("max_all", lambda x: x.max(), np.max, unary(unique=True)),
    Op("min_all", lambda x: x.min(), np.min, unary(unique=True)),
    Op("max_dim", lambda x, dim, keepdim: x.max(dim, keepdim).values,
       lambda a, dim, keepdim: np.max(a, np_axis(a, dim), keepdims=keepdim),
       reduce_args(unique=True, single_dim=True)),
    Op("min_dim", lambda x, dim, keepdim: x.min(dim, keepdim=keepdim).values,
       lambda a, dim, keepdim: np.min(a, np_axis(a, dim), keepdims=keepdim),
       reduce_args(unique=True, single_dim=True)),
    Op("logsumexp", lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
       lambda a, dim, keepdim: np_logsumexp(a, np_axis(a, dim), keepdim), reduce_args()),
    Op("prod", lambda x, dim, keepdim: x.prod(dim, keepdim),
       lambda a, dim, keepdim: np.prod(a, np_axis(a, dim), keepdims=keepdim), reduce_args()),
    # dtype= casts the input first: float32 input gives a float64 result, float32 gradients.
    Op("sum_dtype", lambda x, dim, keepdim: x.sum(dim, keepdim, dtype=np.float64),
       lambda a, dim, keepdim: np.sum(a, np_axis(a, dim), np.float64, keepdims=keepdim),
       reduce_args()),
    Op("mean_dtype", lambda x, dim, keepdim: tg.mean(x, dim, keepdim, dtype=np.float64),
       lambda a, dim, keepdim: np.mean(a, np_axis(a, dim), np.float64, keepdims=keepdim),
       reduce_args()),
    Op("prod_dtype", lambda x, dim, keepdim: x.prod(dim, keepdim, dtype="float64"),
       lambda a, dim, keepdim: np.prod(a.astype(np.float64), np_axis(a, dim),
                                       keepdims=keepdim), reduce_args()),
    # In float32 (the cast's finite differences need a large step, as astype_float32's).
    Op("sum_dtype_float32", lambda x, dim: x.sum(dim, dtype=np.float32),
       lambda a, dim: np.sum(a.astype(np.float32), np_axis(a, dim)),
       reduce_args(keepdim=False), tol={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3}),
    Op("cumsum", lambda x, dim: x.cumsum(dim), lambda a, dim: np.cumsum(a, np_axis(a, dim))
       .reshape(a.shape), one_dim_args()),
    Op("cumprod", lambda x, dim: tg.cumprod(x, dim),
       lambda a, dim: np.cumprod(a, np_axis(a, dim)).reshape(a.shape), one_dim_args()),
    Op("cummax", lambda x, dim: x.cummax(dim).values, lambda a, dim: np_accumulate(
        np.maximum, a, dim), one_dim_args_unique()),
    Op("cummin", lambda x, dim: tg.cummin(x, dim).values, lambda a, dim: np_accumulate(
        np.minimum, a, dim), one_dim_args_unique()),
    Op("logcumsumexp", lambda x, dim: x.logcumsumexp(dim), lambda a, dim: np_accumulate(
        np.logaddexp, a, dim), one_dim_args()),
    Op("std_mean", lambda x, dim, keepdim, correction: 2 * x.std_mean(
        dim, keepdim=keepdim, correction=correction)[0] + x.std_mean(dim, keepdim=keepdim)[1],
       lambda a, dim, keepdim, correction: 2 * np.std(
           a, np_axis(a, dim), ddof=correction, keepdims=keepdim) + np.mean(
           a, np_axis(a, dim), keepdims=keepdim), var_args()),
    Op("var_mean", lambda x, dim, keepdim, correction: 2 * tg.var_mean(
        x, dim, keepdim=keepdim, correction=correction)[0] + x.var_mean(dim)[1].sum(),
       lambda a, dim, keepdim, correction: 2 * np.var(
           a, np_axis(a, dim), ddof=correction, keepdims=keepdim) + np.mean(
           a, np_axis(a, dim)).sum(), var_args()),
    Op("norm", lambda x, p, dim, keepdim: x.norm(p, dim, keepdim), np_norm, norm_args()),
    Op("median", lambda x: x.median(), lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2],
       unary(unique=True)),
    Op("median_dim", lambda x, dim: x.median(dim).values,
       lambda a, dim: np.take(np.sort(a, dim), (a.shape[dim] - 1) // 2, dim),
       one_dim_args_unique()),
    Op("sort", lambda x, dim, descending: x.sort(dim, descending).values,
       lambda a, dim, descending: np.flip(np.sort(a, dim), dim) if descending
       else np.sort(a, dim), sort_args()),
    Op("topk", lambda x, dim, k, largest: x.topk(k, dim, largest).values, np_topk,
       topk_args()),
    Op("softmax", lambda x, dim: x.softmax(dim),
       lambda a, dim: stable_softmax(a, np_axis(a, dim)),
       reduce_args(single_dim=True, keepdim=False)),
    Op("log_softmax", lambda x, dim: x.log_softmax(dim),
       lambda a, dim: np.log(stable_softmax(a, np_axis(a, dim))),
       reduce_args(single_dim=True, keepdim=False)),
]

SHAPE = [
    Op("reshape", lambda x, shape: x.reshape(shape), np.reshape, reshape_args()),
    Op("view", lambda x, shape: x.view(*shape), np.reshape, reshape_args()),
    Op("flatten", tg.Tensor.flatten, flatten_ref, flatten_args()),
    Op("squeeze_all", tg.Tensor.squeeze, np.squeeze, unary()),
    Op("squeeze_dim", tg.Tensor.squeeze, squeeze_ref, one_dim_args()),
    Op("unsqueeze", tg.Tensor.unsqueeze, lambda a, dim: np.expand_dims(a, dim),
       one_dim_args(new_dim=True)),
    Op("transpose", tg.Tensor.transpose, lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
       transpose_args()),
    Op("permute", lambda x, dims: x.permute(*dims), lambda a, dims: np.transpose(a, dims),
       permute_args()),
    Op("T", lambda x: x.T, np.transpose, unary()),
    Op("mT", lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2),
       unary(shape=tst.shapes(min_dims=2))),
    Op("expand", lambda x, sizes: x.expand(*sizes), expand_ref, expand_args()),
    Op("broadcast_to", lambda x, sizes: x.broadcast_to(expand_ref(np.asarray(x), sizes).shape),
       expand_ref, expand_args()),
    Op("expand_as", lambda x, sizes: x.expand_as(tg.zeros(expand_ref(np.asarray(x), sizes).shape)),
       expand_ref, expand_args()),
    Op("getitem_basic", lambda x, index: x[index], lambda a, index: a[index],
       basic_index_args()),
    Op("getitem_int_arrays", lambda x, index: x[index], lambda a, index: a[index],
       array_index_args()),
    # PyTorch applies the int before the arrays: x[1, :, [2, 0, 2]] is x[1][:, [2, 0, 2]].
    Op("getitem_ints_then_arrays", lambda x: x[1, :, [2, 0, 2]],
       lambda a: a[1][:, [2, 0, 2]], unary(shape=st.just((2, 3, 4)))),
    Op("getitem_bool_mask", lambda x, index: x[index], lambda a, index: a[index],
       mask_index_args()),
    Op("setitem", setitem, setitem_ref, setitem_args()),
    # copy_ writes y, broadcast, into a tensor outside the graph: it joins the graph (SetItem).
    Op("copy_", lambda x, y: tg.zeros(np.broadcast_shapes(x.shape, y.shape),
                                      dtype=x.dtype).copy_(y) * x,
       lambda a, b: np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape)) * a, nary()),
    Op("cat", lambda *xs, dim: tg.cat(xs, dim), lambda *a, dim: np.concatenate(a, dim),
       cat_args()),
    Op("stack", lambda *xs, dim: tg.stack(xs, dim), lambda *a, dim: np.stack(a, dim),
       stack_args()),
    Op("mm", tg.mm, np.matmul, mm_args()),
    Op("einsum", lambda *ts, equation: tg.einsum(equation, *ts),
       lambda *a, equation: np.einsum(equation, *a), einsum_args()),
    Op("bmm", tg.Tensor.bmm, np.matmul, mm_args(batched=True)),
    Op("t", tg.Tensor.t, np.transpose, unary(shape=tst.shapes(max_dims=2))),
    Op("movedim", lambda x, source, destination: x.movedim(source, destination),
       np.moveaxis, movedim_args()),
    Op("view_as", lambda x: x.view_as(np.zeros((x.numel(),))), lambda a: a.reshape(-1),
       unary()),
    Op("flip", lambda x, dim: x.flip(dim) if x.ndim else x.flip(()),
       lambda a, dim: np.flip(a, dim) if a.ndim else a, one_dim_args()),
    Op("roll", lambda x, shifts, dims: x.roll(shifts, dims), np_roll, roll_args()),
    Op("repeat", lambda x, sizes: x.repeat(*sizes), lambda a, sizes: np.tile(a, sizes),
       repeat_args()),
    Op("tril", lambda x: x.tril(-1), lambda a: np.tril(a, -1),
       unary(shape=tst.shapes(min_dims=2))),
    Op("triu", lambda x: tg.triu(x, 1), lambda a: np.triu(a, 1),
       unary(shape=tst.shapes(min_dims=2))),
    Op("split", lambda x, dim, size: x.split(size, dim)[-1],
       lambda a, dim, size: np.split(a, range(size, a.shape[dim], size), dim)[-1],
       split_args()),
    Op("chunk", lambda x, dim, size: x.chunk(size, dim)[0],
       lambda a, dim, size: np.split(a, range(-(-a.shape[dim] // size), a.shape[dim],
                                             -(-a.shape[dim] // size)), dim)[0], split_args()),
    Op("gather", lambda x, dim, index: x.gather(dim, index),
       lambda a, dim, index: np.take_along_axis(a[tuple(
           slice(None) if i == dim % a.ndim else slice(0, n) for i, n in enumerate(index.shape))],
           index, dim), gather_args()),
    Op("scatter", lambda x, src, dim, index: x.scatter(dim, index, src), np_scatter,
       scatter_args()),
    Op("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, index, src),
       lambda a, b, dim, index: np_scatter(a, b, dim, index, add=True), scatter_args()),
    Op("scatter_reduce", lambda x, src, dim, index, reduce, include_self: x.scatter_reduce(
        dim, index, src, reduce, include_self=include_self), np_scatter_reduce,
       scatter_reduce_args()),
    Op("diagonal", lambda x, offset, dim1, dim2: x.diagonal(offset, dim1, dim2),
       lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2), diagonal_args()),
    Op("diag", lambda x: x.diag(1), lambda a: np.diag(a, 1),
       unary(shape=tst.shapes(min_dims=1, max_dims=2))),
    Op("unflatten", lambda x: x.unflatten(-1, (1, -1)),
       lambda a: a.reshape(a.shape[:-1] + (1, a.shape[-1])),
       unary(shape=tst.shapes(min_dims=1))),
    Op("unfold", lambda x, **kw: x.unfold(**kw), np_unfold, unfold_args()),
    Op("repeat_interleave", lambda x, repeats, dim: x.repeat_interleave(repeats, dim),
       lambda a, repeats, dim: np.repeat(a, repeats, dim), repeat_interleave_args()),
    Op("masked_select", lambda x, mask, value: x.masked_select(tg.tensor(mask)),
       lambda a, mask, value: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))[
           np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))],
       masked_fill_args()),
    Op("index_select", lambda x, dim, index: x.index_select(dim, index),
       lambda a, dim, index: np.take(a, index, dim), index_select_args()),
    Op("masked_fill", lambda x, mask, value: x.masked_fill(tg.tensor(mask), value),
       lambda a, mask, value: np.where(mask, value, a), masked_fill_args()),
    Op("matmul", lambda a, b: a @ b, np.matmul, matmul_args()),
    Op("linear", lambda *t: tg.nn.functional.linear(*t), linear_ref, linear_args()),
]

ALL_OPS = ELEMENTWISE + BINARY + REDUCTIONS + SHAPE


def test_every_differentiable_op_of_the_op_table_has_a_row_here():
    """No op ships untested: each differentiable row of tinygrad_np's op table needs a row
    above named after it (its name, or its name and a suffix: "pow_int" tests "pow")."""
    from tinygrad_np.ops.table import OPS

    tested = [op.name for op in ALL_OPS]
    missing = [row.name for row in OPS if row.differentiable and not any(
        name == row.name or name.startswith(row.name + "_") for name in tested)]
    assert not missing, f"ops of the table with no gradient test here: {missing}"


# ---- the property tests -------------------------------------------------------------------

@pytest.mark.parametrize("op", ALL_OPS, ids=repr)
@settings(max_examples=20)
@given(data=st.data())
def test_forward_and_first_and_second_derivatives(op, data):
    tensors, params = data.draw(op.args)
    out = op.fn(*tensors, **params)
    expected = np.asarray(op.ref(*(np.asarray(t) for t in tensors), **params))
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(out), expected, **FORWARD)

    def f(*ts):
        return op.fn(*ts, **params)

    assert gradcheck(f, tensors, **op.tol)
    # gradgradcheck differentiates the create_graph backward, so first check that it gives
    # the same first derivatives as the plain one.
    v = np.random.default_rng(0).standard_normal(out.shape)
    plain = tg.grad(out, tensors, v, retain_graph=True, allow_unused=True)
    graphed = tg.grad(out, tensors, v, create_graph=True, allow_unused=True)
    for p, g in zip(plain, graphed):
        np.testing.assert_allclose(np.asarray(g), np.asarray(p), rtol=1e-13, atol=1e-15)
    assert gradgradcheck(f, tensors, **op.tol)


@pytest.mark.parametrize("op", ALL_OPS, ids=repr)
@settings(max_examples=5)
@given(data=st.data())
def test_float32_in_float32_out_and_float32_grads(op, data):
    tensors, params = data.draw(op.args)
    arrays32 = [np.asarray(t).astype(np.float32) for t in tensors]
    tensors32 = [tg.tensor(a, requires_grad=True) for a in arrays32]
    out = op.fn(*tensors32, **params)
    # float32 unless the op mixes in a float64 array or casts (NumPy's dtype says which).
    assert out.dtype == np.asarray(op.ref(*arrays32, **params)).dtype
    expected = op.ref(*(np.asarray(t) for t in tensors), **params)  # in float64
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-6)
    out.backward(np.ones(out.shape, np.float32))
    for t in tensors32:
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


# ---- kinks, ties and zeros, on purpose ----------------------------------------------------

def f64(values: Any, requires_grad: bool = True) -> tg.Tensor:
    return tg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def grad_of(fn: Callable[[tg.Tensor], tg.Tensor], values: Any) -> np.ndarray:
    x = f64(values)
    fn(x).sum().backward()
    return np.asarray(x.grad)


def test_relu_and_abs_have_zero_subgradient_at_zero():
    np.testing.assert_array_equal(grad_of(tg.Tensor.relu, [-1.0, 0.0, 2.0]), [0, 0, 1])
    np.testing.assert_array_equal(grad_of(tg.Tensor.abs, [-1.0, 0.0, 2.0]), [-1, 0, 1])
    np.testing.assert_array_equal(grad_of(tg.Tensor.abs, [-0.0]), [0])


def _gradient_of_linear_map(f: Callable[[np.ndarray], float], shape: tuple) -> np.ndarray:
    """The gradient of a function linear in its argument: its value at each basis array."""
    basis = np.eye(int(np.prod(shape))).reshape((-1, *shape))
    return np.array([f(e) for e in basis]).reshape(shape)


@pytest.mark.parametrize("a_shape, b_shape", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
                                              ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((4,), (4,))])
def test_matmul_through_sum_matches_the_closed_form(a_shape, b_shape):
    # sum()'s backward hands matmul a stride-0 view (copied before BLAS).
    rng = np.random.default_rng(3)
    a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    a, b = f64(a_np), f64(b_np)
    (a @ b).sum().backward()
    expected_a = _gradient_of_linear_map(lambda e: np.matmul(e, b_np).sum(), a_shape)
    expected_b = _gradient_of_linear_map(lambda e: np.matmul(a_np, e).sum(), b_shape)
    np.testing.assert_allclose(np.asarray(a.grad), expected_a, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(np.asarray(b.grad), expected_b, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4), (4,)])
def test_linear_through_sum_matches_the_closed_form(x_shape):
    rng = np.random.default_rng(4)
    x_np, w_np, b_np = (rng.standard_normal(s) for s in (x_shape, (5, 4), (5,)))
    x, w, b = f64(x_np), f64(w_np), f64(b_np)
    tg.nn.functional.linear(x, w, b).sum().backward()
    rows = int(np.prod(x_shape[:-1]))
    np.testing.assert_allclose(np.asarray(x.grad), np.broadcast_to(w_np.sum(0), x_shape),
                               rtol=1e-13)
    np.testing.assert_allclose(
        np.asarray(w.grad), _gradient_of_linear_map(lambda e: (x_np @ e.T).sum(), (5,
                                                                                   4)), rtol=1e-13)
    np.testing.assert_array_equal(np.asarray(b.grad), np.full(5, float(rows)))


def test_relu_passes_the_gradient_at_nan_like_pytorch():
    # PyTorch's threshold_backward zeroes the gradient only where out <= 0, so NaN passes it.
    np.testing.assert_array_equal(grad_of(tg.Tensor.relu, [np.nan, -0.0, 3.0]), [1, 0, 1])


def test_clamp_passes_the_gradient_at_its_bounds():
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(-0.5, 0.5), values),
                                  [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(min=0.0), values), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(max=0.0), values), [1, 1, 1, 0, 0])


def test_clamp_with_tensor_bounds_sends_the_gradient_to_the_active_bound():
    x = f64([0.0, 1.0, 1.5, 2.0, 3.0])
    lo = f64([1.0, 1.0, 1.0, 1.0, 1.0])
    hi = f64(2.0)
    x.clamp(lo, hi).backward(np.arange(1.0, 6.0))
    np.testing.assert_array_equal(np.asarray(x.grad), [0, 2, 3, 4, 0])  # bounds inclusive
    np.testing.assert_array_equal(np.asarray(lo.grad), [1, 0, 0, 0, 0])
    assert hi.grad.shape == () and hi.grad.item() == 5  # summed over the broadcast


def test_amax_amin_and_full_max_min_split_ties_evenly():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    third = 1 / 3
    np.testing.assert_allclose(grad_of(lambda t: t.amax(1), x),
                               [[0, 0.5, 0.5], [third, third, third]], rtol=1e-15)
    np.testing.assert_allclose(grad_of(lambda t: t.amin(-1, keepdim=True), x),
                               [[1, 0, 0], [third, third, third]], rtol=1e-15)
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), x), [[0, 0.5, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(grad_of(lambda t: t.min(), [[1.0, 3.0], [1.0, 1.0]]),
                               [[third, 0], [third, third]], rtol=1e-15)
    np.testing.assert_array_equal(grad_of(lambda t: t.amax((0, 1)), x),
                                  [[0, 0.5, 0.5], [0, 0, 0]])


def test_max_and_min_along_a_dim_send_the_gradient_to_the_returned_index():
    x = f64([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    values, indices = x.max(1)
    np.testing.assert_array_equal(np.asarray(values), [3, 2])
    np.testing.assert_array_equal(np.asarray(indices), [1, 0])  # the first of the tied maxima
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[0, 1, 0], [1, 0, 0]])

    y = f64([[4.0, 4.0], [5.0, 4.0]])
    result = y.min(0, keepdim=True)
    np.testing.assert_array_equal(np.asarray(result.indices), [[0, 0]])
    result.values.sum().backward()
    np.testing.assert_array_equal(np.asarray(y.grad), [[1, 1], [0, 0]])


def test_max_of_a_0d_tensor_along_dim_0():
    x = f64(3.0)
    values, indices = x.max(0)
    assert values.shape == () and values.item() == 3 and indices.item() == 0
    values.backward()
    assert x.grad.item() == 1


def test_maximum_and_minimum_split_ties_half_and_half():
    a, b = f64([1.0, 2.0, 3.0]), f64([1.0, 5.0, 0.0])
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(np.asarray(a.grad), [0.5, 0, 1])
    np.testing.assert_array_equal(np.asarray(b.grad), [0.5, 1, 0])
    # broadcast: a 0-d operand tied with two elements collects both halves
    c, s = f64([2.0, 2.0, 1.0]), f64(2.0)
    c.minimum(s).sum().backward()
    np.testing.assert_array_equal(np.asarray(c.grad), [0.5, 0.5, 1])
    assert s.grad.item() == 1.0


def test_prod_with_zeros_is_exact_to_first_and_second_order():
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), [0.0, 2.0, 3.0]), [6, 0, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), [0.0, 2.0, 0.0]), [0, 0, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(1), [[0.0, 2.0], [3.0, 0.0]]),
                                  [[2, 0], [0, 3]])
    x = f64([[0.0, 2.0, -1.5], [0.0, 0.0, 1.2], [0.7, 1.1, 0.0]])
    for dim in (None, 0, 1):
        assert gradcheck(lambda t, dim=dim: t.prod(dim), x, **TIGHT)
        assert gradgradcheck(lambda t, dim=dim: t.prod(dim), x, **TIGHT)


def test_pow_at_zero_like_pytorch():
    np.testing.assert_array_equal(grad_of(lambda t: t**0, [0.0, 2.0]), [0, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t**2, [0.0, 2.0]), [0, 4])
    a, b = f64([0.0, 0.0, 2.0]), f64([0.0, 2.0, 0.0])
    with np.errstate(all="raise"):  # no 0 * inf along the way
        (a**b).sum().backward()
    np.testing.assert_array_equal(np.asarray(a.grad), [0, 0, 0])
    np.testing.assert_allclose(np.asarray(b.grad), [0, 0, np.log(2)], rtol=1e-15)


@given(tst.tensors(domain="ties"))
def test_kinked_ops_on_ties_and_zeros_follow_their_rules(x):
    """With zeros and repeated values everywhere, the subgradient rules hold exactly."""
    for fn, expected in [
        (tg.Tensor.relu, (np.asarray(x) > 0).astype(float)),
        (tg.Tensor.abs, np.sign(np.asarray(x))),
        (lambda t: t.clamp(-0.5, 0.5), (np.abs(np.asarray(x)) <= 0.5).astype(float)),
    ]:
        x.grad = None
        fn(x).sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), expected)
    x.grad = None
    x.amax().backward()
    hits = np.asarray(x) == np.asarray(x).max()
    np.testing.assert_allclose(np.asarray(x.grad), hits / hits.sum(), rtol=1e-15)


# ---- PyTorch as an oracle -----------------------------------------------------------------

@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# (name, number of inputs, the op on tinygrad_np Tensors and on torch tensors alike)
TIE_OPS = [
    ("relu", 1, lambda x: x.relu()),
    ("abs", 1, lambda x: x.abs()),
    ("clamp", 1, lambda x: x.clamp(-0.5, 0.5)),
    ("clamp_min", 1, lambda x: x.clamp(min=0.0)),
    ("amax_dim", 1, lambda x: x.amax(-1)),
    ("amin_dims", 1, lambda x: x.amin((0, -1))),
    ("max_all", 1, lambda x: x.max()),
    ("min_all", 1, lambda x: x.min()),
    ("max_dim", 1, lambda x: x.max(0).values),
    ("min_dim_keepdim", 1, lambda x: x.min(-1, keepdim=True).values),
    ("prod_dim", 1, lambda x: x.prod(-1)),
    ("prod_all", 1, lambda x: x.prod()),
    ("maximum", 2, lambda a, b: a.maximum(b)),
    ("minimum", 2, lambda a, b: a.minimum(b)),
    ("softmax", 1, lambda x: x.softmax(-1)),
    ("logsumexp", 1, lambda x: x.logsumexp(0)),
    ("pow_zero", 1, lambda x: x**0),
    ("sign", 1, lambda x: x.sign()),
    # Zero divisors too: NaN and inf values and gradients, as PyTorch's.
    ("remainder", 2, lambda a, b: a % b),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, for remainder's zero divisors
@pytest.mark.parametrize("name, n, fn", TIE_OPS, ids=[t[0] for t in TIE_OPS])
@settings(max_examples=15)
@given(data=st.data())
def test_ties_zeros_and_kinks_match_pytorch(torch, name, n, fn, data):
    shapes = tst.broadcastable_shapes(n, min_dims=2) if n > 1 else st.tuples(
        tst.shapes(min_dims=2))
    arrays = [data.draw(tst.arrays(s, domain="ties")) for s in data.draw(shapes)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), rtol=1e-14)
    weights = np.linspace(0.5, 1.5, out.numel()).reshape(out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    for t, r in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(t.grad), r.grad.numpy(), rtol=1e-14, atol=1e-15)


def test_max_dim_returns_the_same_index_as_pytorch(torch):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, -1.0, 0.0, -1.0]])
    for dim in (0, 1, -1):
        for name in ("max", "min"):
            ours = getattr(tg.tensor(x), name)(dim)
            theirs = getattr(torch.tensor(x), name)(dim)
            np.testing.assert_array_equal(np.asarray(ours.indices), theirs.indices.numpy())


def test_a_composite_model_gradient_matches_pytorch(torch):
    rng = np.random.default_rng(0)
    x, w1, b1, w2 = (rng.standard_normal(s) for s in [(5, 4), (4, 6), (6,), (6, 3)])
    labels = np.array([0, 2, 1, 1, 0])

    def loss(lib_x, w1, b1, w2):
        h = (lib_x @ w1 + b1).tanh()
        z = (h * h.sigmoid()) @ w2
        logp = z.log_softmax(-1)
        return -logp[np.arange(5), labels].mean() + (w1**2).sum() * 1e-2 + z.std()

    ours = [tg.tensor(a, requires_grad=True) for a in (w1, b1, w2)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2)]
    lo, lt = loss(tg.tensor(x), *ours), loss(torch.tensor(x), *theirs)
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-13)
    lo.backward()
    lt.backward()
    for t, r in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(t.grad), r.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_var_and_std_corrections_match_pytorch(torch):
    x = np.array([[1.0, 2.5, -0.5], [0.25, 4.0, 3.0]])
    x[1, 1] = x[0, 1]  # column 1 constant: std 0 there
    for kwargs in [{}, {"correction": 0}, {"unbiased": False}, {"dim": 1},
                   {"dim": 0, "keepdim": True, "correction": 0}]:
        for name in ("var", "std"):
            ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            a, b = getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs)
            np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-14)
            a.sum().backward()
            b.sum().backward()
            np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(), rtol=1e-13)


@settings(max_examples=30)
@given(data=st.data())
def test_std_gradient_is_zero_exactly_where_a_slice_is_constant(data):
    """Any shape and reduced dim: slices that are constant get gradient 0 (not NaN); the
    others get the closed form (x - mean) / ((n - correction) std)."""
    shape = data.draw(tst.shapes(min_dims=1))
    dim = data.draw(st.integers(0, len(shape) - 1))
    correction = data.draw(st.sampled_from([0, 1])) if shape[dim] > 1 else 0
    values = data.draw(tst.arrays(shape))
    constant = data.draw(tst.arrays(shape[:dim] + (1,) + shape[dim + 1:], dtype=np.bool_))
    # Some slices made constant, at a quarter so that their mean is exact and their std 0.
    a = np.where(constant, np.round(values.take([0], axis=dim) * 4) / 4, values)
    x = tg.tensor(a, requires_grad=True)
    x.std(dim, correction=correction).sum().backward()
    std = a.std(axis=dim, ddof=correction, keepdims=True)
    n = shape[dim] - correction
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(std == 0, 0.0, (a - a.mean(axis=dim, keepdims=True)) / (n * std))
    np.testing.assert_allclose(np.asarray(x.grad), expected, rtol=1e-9, atol=1e-12)


def test_std_of_a_constant_sample_has_gradient_zero_like_pytorch():
    # sqrt's slope is infinite at 0 and the variance's gradient is 0 there: PyTorch's std
    # gives 0, not their product NaN. Rows: constant, varying; and a single element.
    x = tg.tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    x.std(1).sum().backward()
    deviation = np.array([-4, -1, 5]) / 3  # x - mean of the second row; its std is sqrt(7/3)
    np.testing.assert_allclose(np.asarray(x.grad), [[0, 0, 0], deviation / 2 / np.sqrt(7 / 3)],
                               rtol=1e-15, atol=0)
    one = tg.tensor(np.array([3.0]), requires_grad=True)
    one.std(unbiased=False).backward()
    assert np.asarray(one.grad).tolist() == [0.0]
    (g,) = tg.grad(x.std(1).sum(), x, create_graph=True)  # the same under create_graph
    np.testing.assert_allclose(np.asarray(g), np.asarray(x.grad), rtol=1e-15, atol=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, for 0 ** -1.5 and NaN
def test_gradients_at_zero_bases_and_nans_follow_pytorch():
    # d(a^b)/db = a^b log a: at a = 0 it is 0 for b >= 0 and inf * -inf = -inf for b < 0.
    a = tg.tensor(np.array([0.0, 0.0, 0.0, 2.0]), requires_grad=True)
    b = tg.tensor(np.array([-1.5, 0.0, 2.0, -1.0]), requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_array_equal(np.asarray(b.grad), [-np.inf, 0, 0, np.log(2) / 2])
    np.testing.assert_array_equal(np.asarray(a.grad), [-np.inf, 0, 0, -0.25])
    # clamp passes no gradient through a NaN input (it is not inside the bounds).
    x = tg.tensor(np.array([0.5, np.nan, 3.0, -2.0]), requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [1, 0, 0, 0])
    # A NaN maximum is the NaNs': they share its gradient (torch.max), instead of 0/0 for all.
    x = tg.tensor(np.array([[1.0, np.nan, 3.0, np.nan], [1.0, 5.0, 5.0, 2.0]]),
                  requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[0, 0.5, 0, 0.5], [0, 0.5, 0.5, 0]])


@settings(max_examples=20)
@given(data=st.data())
def test_clamp_with_tensor_bounds_matches_pytorch(torch, data):
    """Ties with either bound, equal bounds and crossed bounds (lo > hi) included."""
    x_shape, lo_shape, hi_shape = data.draw(tst.broadcastable_shapes(3))
    x_shape = np.broadcast_shapes(x_shape, lo_shape, hi_shape)  # PyTorch wants out = x's shape
    arrays = [data.draw(tst.arrays(s, domain="ties")) for s in (x_shape, lo_shape, hi_shape)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = tg.clamp(*ours), torch.clamp(*theirs)
    np.testing.assert_array_equal(np.asarray(out), expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    for t, r in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(t.grad), r.grad.numpy())


# ---- %, //, sign and reductions' dtype= ---------------------------------------------------

@settings(max_examples=20)
@given(data=st.data())
def test_remainder_and_floor_divide_match_pytorch(torch, data):
    (a, b), _ = data.draw(division_args())
    ta, tb = (torch.tensor(np.asarray(t), requires_grad=True) for t in (a, b))
    out, expected = a % b, ta % tb
    np.testing.assert_array_equal(np.asarray(out), expected.detach().numpy())
    np.testing.assert_array_equal((np.asarray(a // b)), (ta.detach() // tb.detach()).numpy())
    weights = np.linspace(0.5, 1.5, out.numel()).reshape(out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    for t, r in ((a, ta), (b, tb)):
        np.testing.assert_allclose(np.asarray(t.grad), r.grad.numpy(), rtol=1e-14, atol=1e-15)


# Operand kinds for % and //: tensor dtypes, and Python numbers (int, float).
DIVISION_KINDS = [np.bool_, np.int32, np.int64, np.float32, np.float64, int, float]
DIVISION_PAIRS = [(a, b) for a in DIVISION_KINDS for b in DIVISION_KINDS
                  if not (a in (int, float) and b in (int, float)) and not a is b is np.bool_]


def _division_operand(data: st.DataObject, kind: Any, shape: tuple, divisor: bool) -> Any:
    """Integer divisors are nonzero (zero raises, tested apart); float values are quarters,
    so that exact multiples (zero remainders, with their signs) and zero divisors occur."""
    if kind is np.bool_:
        elements = st.just(True) if divisor else st.booleans()
    elif kind is int or np.dtype(kind).kind == "i":
        elements = st.integers(-9, 9).filter(bool) if divisor else st.integers(-40, 40)
    else:
        elements = st.integers(-36, 36).map(lambda v: v / 4)
    if kind in (int, float):
        return kind(data.draw(elements))
    return data.draw(tst.arrays(shape, kind, elements=elements))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, for float division by 0
@pytest.mark.parametrize("kinds", DIVISION_PAIRS, ids=lambda k: f"{k[0].__name__}-{k[1].__name__}")
@settings(max_examples=5)
@given(data=st.data())
def test_remainder_and_floor_divide_values_and_dtypes_match_pytorch(torch, kinds, data):
    shapes = data.draw(tst.broadcastable_shapes(2))
    a, b = (_division_operand(data, k, s, i == 1) for i, (k, s) in enumerate(zip(kinds, shapes)))
    ours = [tg.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b)]
    theirs = [torch.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b)]
    for op in (lambda x, y: x % y, lambda x, y: x // y):
        out, expected = np.asarray(op(*ours)), op(*theirs).numpy()
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))  # signed zeros


@pytest.mark.parametrize("op", ["remainder", "floor_divide"])
def test_integer_division_by_zero_and_bool_operands_raise(op):
    fn = getattr(tg, op)
    for a, b in [(tg.tensor([4, 5]), tg.tensor([2, 0])), (tg.tensor([4, 5]), 0),
                 (7, tg.tensor([1, 0], dtype=np.int32)), (tg.tensor([True]), tg.tensor([0]))]:
        with pytest.raises(RuntimeError, match=rf"{op}: integer division by zero.*x\.float"):
            fn(a, b)
    with pytest.raises(TypeError, match=rf"{op}: not defined for two bool.*x\.long"):
        fn(tg.tensor([True, False]), tg.tensor([True, True]))
    with pytest.raises(TypeError, match="unsupported operand of type str"):
        fn(tg.tensor([1.0]), "2")


def test_floor_divide_is_recorded_but_has_no_derivative_like_pytorch():
    a, b = f64([5.0, -5.0]), f64([2.0, 2.0], requires_grad=False)
    for q in (a // b, 7.0 // a, a.floor_divide(2), tg.floor_divide(a, b), np.floor_divide(a, b),
              np.array([5.0, 6.0]) // a):
        assert q.requires_grad and q.grad_fn.name() == "FloorDivBackward"
        with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
            q.sum().backward()
    with tg.no_grad():
        assert not (a // b).requires_grad
    q = a.detach() // b
    assert not q.requires_grad and q.tolist() == [2.0, -3.0]
    assert (tg.tensor([7, -7]) // 2).dtype == np.int64  # integers stay integers


def test_remainder_has_the_sign_of_the_divisor_and_its_zeros_that_of_the_dividend():
    a, b = f64([5.5, -5.5, 5.5, -5.5, 4.0, -4.0]), f64([2.0, 2.0, -2.0, -2.0, -2.0, 2.0])
    out = a.remainder(b)
    np.testing.assert_array_equal(np.asarray(out), [1.5, 0.5, -0.5, -1.5, 0, 0])
    np.testing.assert_array_equal(np.signbit(np.asarray(out)), [0, 0, 1, 1, 0, 1])  # as PyTorch
    out.sum().backward()
    np.testing.assert_array_equal(np.asarray(a.grad), np.ones(6))
    np.testing.assert_array_equal(np.asarray(b.grad), -np.floor_divide(np.asarray(a),
                                                                       np.asarray(b)))
    c = f64([5.5, -1.0])
    (c % 2.0).sum().backward()  # only the dividend needs a gradient: nothing is saved
    np.testing.assert_array_equal(np.asarray(c.grad), [1, 1])


def test_sign_is_in_the_graph_with_gradient_zero_like_pytorch():
    x = f64([-2.0, 0.0, 3.0, np.nan, -np.inf])
    for s in (x.sign(), tg.sign(x), np.sign(x)):
        assert s.grad_fn.name() == "SignBackward"
        np.testing.assert_array_equal(np.asarray(s), [-1, 0, 1, 0, -1])  # 0 at NaN, as in PyTorch
    x.sign().backward(np.full(5, np.inf))  # zeros, not inf * 0
    np.testing.assert_array_equal(np.asarray(x.grad), np.zeros(5))
    (g,) = tg.grad(x.sign().sum(), x, create_graph=True)
    np.testing.assert_array_equal(np.asarray(g), np.zeros(5))
    i = tg.tensor([-3, 0, 2])
    assert i.sign().dtype == np.int64 and i.sign().tolist() == [-1, 0, 1]


def test_sign_matches_pytorch(torch):
    for dtype in (np.float32, np.float64):
        values = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, -2.5, 1e-45], dtype=dtype)
        x, t = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        out, expected = x.sign(), t.sign()
        np.testing.assert_array_equal(np.asarray(out), expected.detach().numpy())
        np.testing.assert_array_equal(np.signbit(np.asarray(out)),
                                      np.signbit(expected.detach().numpy()))
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad), t.grad.numpy())
        assert x.grad.dtype == t.grad.numpy().dtype


REDUCE_KWARGS = [{}, {"dim": 1}, {"dim": 0, "keepdim": True}]  # (torch.prod takes one dim)


@pytest.mark.parametrize("op", ["sum", "mean", "prod"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_reduction_dtype_casts_the_input_first_like_pytorch(torch, op, dtype):
    x = np.array([[1.5, -2.25, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)
    tol = {"rtol": 1e-3} if dtype == np.float16 else {"rtol": 1e-6}
    for kwargs in REDUCE_KWARGS:
        ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out = getattr(ours, op)(dtype=dtype, **kwargs)
        expected = getattr(theirs, op)(dtype=getattr(torch, np.dtype(dtype).name), **kwargs)
        assert out.dtype == expected.detach().numpy().dtype == dtype
        np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **tol)
        out.sum().backward()
        expected.sum().backward()
        assert ours.grad.dtype == theirs.grad.numpy().dtype == np.float32  # the input's
        np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(), **tol)


@pytest.mark.parametrize("op", ["sum", "mean", "prod"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32])
@pytest.mark.parametrize("source", [np.int64, np.int32, np.bool_])
def test_reduction_dtype_of_integers_and_bools_matches_pytorch(torch, op, dtype, source):
    x = np.array([[1, 0, 3], [2, 5, 1]]).astype(source)
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    for kwargs in REDUCE_KWARGS:
        try:
            expected = getattr(torch.tensor(x), op)(dtype=torch_dtype, **kwargs).numpy()
        except RuntimeError:  # mean() of integers
            with pytest.raises(RuntimeError, match=rf"{op}\(\): dtype .* not floating"):
                getattr(tg.tensor(x), op)(dtype=dtype, **kwargs)
            continue
        out = np.asarray(getattr(tg, op)(tg.tensor(x), dtype=dtype, **kwargs))
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected)


def test_reduction_to_an_integer_dtype_refuses_a_tensor_that_requires_grad(torch):
    x, t = f64([1.5, 2.5]), torch.tensor([1.5, 2.5], requires_grad=True)
    for op in ("sum", "prod"):
        with pytest.raises(RuntimeError):
            getattr(t, op)(dtype=torch.int64)
        with pytest.raises(RuntimeError, match=rf"{op}\(\): dtype int64 cannot carry gradients"):
            getattr(x, op)(dtype=np.int64)
        with tg.no_grad():  # no gradient wanted: allowed, as in PyTorch
            assert getattr(x, op)(dtype=np.int64).item() == {"sum": 3, "prod": 2}[op]
    with pytest.raises(RuntimeError, match=r"mean\(\): dtype int64 is not floating point"):
        x.mean(dtype=np.int64)
    with pytest.raises(TypeError, match=r"sum\(\): 'float99' is not a dtype"):
        x.sum(dtype="float99")
    assert np.sum(x, dtype=np.float32).dtype == np.float32  # through NumPy's protocol too


# ---- numerically extreme inputs -----------------------------------------------------------

EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 1], [5.0, 1e4, -3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_is_finite_and_correct_at_logits_of_1e4(name, dtype):
    x = tg.tensor(EXTREME.astype(dtype), requires_grad=True)
    out = getattr(x, name)(1)
    assert out.dtype == dtype
    m = EXTREME.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(EXTREME - m).sum(axis=1, keepdims=True))  # in float64
    expected = {"softmax": np.exp(EXTREME - lse), "log_softmax": EXTREME - lse,
                "logsumexp": lse[:, 0]}[name]
    # Logits of 1e4 carry an absolute rounding error of about 1e4 * machine epsilon.
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    atol = 1e4 * np.finfo(dtype).eps
    np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)
    weights = np.arange(1, out.numel() + 1, dtype=dtype).reshape(out.shape)
    out.backward(weights)
    assert np.isfinite(np.asarray(x.grad)).all() and x.grad.dtype == dtype
    # d/dx of sum(w * f(x)) in closed form: softmax' = s (w - sum(w s)), log_softmax' =
    # w - s sum(w), logsumexp' = w s.
    s = np.exp(EXTREME - lse)
    w = weights.astype(np.float64)
    expected_grad = {
        "softmax": lambda: s * (w - (w * s).sum(axis=1, keepdims=True)),
        "log_softmax": lambda: w - s * w.sum(axis=1, keepdims=True),
        "logsumexp": lambda: w[:, None] * s,
    }[name]()
    np.testing.assert_allclose(np.asarray(x.grad), expected_grad, rtol=rtol, atol=10 * atol)


def test_softmax_family_at_extremes_matches_pytorch(torch):
    for name in ["softmax", "log_softmax", "logsumexp"]:
        for dtype in (np.float32, np.float64):
            ours = tg.tensor(EXTREME.astype(dtype), requires_grad=True)
            theirs = torch.tensor(EXTREME.astype(dtype), requires_grad=True)
            a, b = getattr(ours, name)(0), getattr(theirs, name)(0)
            np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-6)
            a.sum().backward()
            b.sum().backward()
            np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(), rtol=1e-6,
                                       atol=1e-6)


# ---- regressions --------------------------------------------------------------------------

def test_rank_mismatched_broadcasting_reduces_each_gradient_to_its_shape():
    a = f64(np.arange(24.0).reshape(2, 1, 3, 4) / 10)
    b = f64([[1.0], [2.0], [3.0]])  # (3, 1): broadcast over a's dims 0 and 1, and the last
    c = f64(0.5)  # 0-d
    (a * b + c).sum().backward()
    np.testing.assert_array_equal(np.asarray(a.grad), np.broadcast_to(np.asarray(b), (2, 1, 3, 4)))
    np.testing.assert_allclose(np.asarray(b.grad), np.asarray(a).sum(axis=(0, 1, 3))[:, None],
                               rtol=1e-15)
    assert c.grad.shape == () and c.grad.item() == 24
    for fn in [lambda a, b, c: a * b + c, lambda a, b, c: (a - b) / (c + 2),
               lambda a, b, c: tg.where(np.asarray(a) > 1.05, a, b) ** 2 * c]:
        assert gradcheck(fn, (a, b, c), **TIGHT)
        assert gradgradcheck(fn, (a, b, c), **TIGHT)


def test_reused_diamond_first_and_second_derivatives():
    x = f64([[0.3, -1.2], [2.0, 0.7]])

    def diamond(x):
        s = x.sin()  # reused by three paths
        return (s * s + s.exp() - s @ s.T).sum(0)

    assert gradcheck(diamond, x, **TIGHT)
    assert gradgradcheck(diamond, x, **TIGHT)
    diamond(x).sum().backward()
    s, c = np.sin(np.asarray(x)), np.cos(np.asarray(x))
    # sum(s s^T) = sum_k (column sum k of s)^2, so d/ds of the total is 2 s + e^s - 2 colsum.
    ds = 2 * s + np.exp(s) - 2 * s.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(np.asarray(x.grad), ds * c, rtol=1e-14)


def test_repeated_backward_with_retain_graph_accumulates():
    x = f64([0.5, -1.5, 2.0])
    y = (x.exp() * x).sum()
    expected = np.exp(np.asarray(x)) * (1 + np.asarray(x))
    for k in range(1, 4):
        y.backward(retain_graph=True)
        np.testing.assert_allclose(np.asarray(x.grad), k * expected, rtol=1e-15)
    (g,) = tg.grad(y, x, create_graph=True)
    (h,) = tg.grad(g.sum(), x, retain_graph=True)
    np.testing.assert_allclose(np.asarray(h), np.exp(np.asarray(x)) * (2 + np.asarray(x)),
                               rtol=1e-15)
    y.backward()  # the last use frees the graph
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_log1p_is_exact_for_tiny_inputs_and_follows_the_float_rules():
    x = f64([1e-300, 1e-17, -0.5, 3.0])
    y = x.log1p()
    np.testing.assert_array_equal(np.asarray(y),
                                  np.log1p(np.asarray(x)))  # log(1 + 1e-17) would give 0
    assert np.asarray(y)[1] == 1e-17
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), 1 / (1 + np.asarray(x)),
                               rtol=1e-15)  # the closed form
    assert tg.tensor([0, 1]).log1p().dtype == np.float32  # integers: the default float dtype
    assert isinstance(np.log1p(f64([1.0])), tg.Tensor)  # NumPy's ufunc records it too
    z = tg.tensor([0.0, 1.0])
    assert z.log1p_() is z and np.allclose(np.asarray(z), [0.0, np.log(2.0)])


def test_log1p_matches_pytorch(torch):
    values = np.array([-0.999, -0.5, 0.0, 1e-20, 2.0, 1e10])
    x = tg.tensor(values, requires_grad=True)
    x.log1p().sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    tx.log1p().sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-15)
