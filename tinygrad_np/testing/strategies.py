"""Hypothesis strategies for property-based tests of tinygrad_np ops (needs Hypothesis).

    from hypothesis import given
    from tinygrad_np.testing import gradcheck, strategies as tst

    @given(tst.broadcastable_tensors(2, domain=("real", "nonzero")))
    def test_div(ab):
        assert gradcheck(lambda a, b: a / b, ab)

Values come from a *domain* chosen so that finite differences are meaningful: inside the op's
domain, and at least 0.1 away from the kinks of relu/abs and from the poles of log/div.

=============  ==========================================  ======================================
domain         values                                       for
=============  ==========================================  ======================================
``"real"``     ``0.1 <= |x| <= 3``, either sign              most ops; avoids the kink at 0
``"positive"`` ``0.2 <= x <= 4``                            log, sqrt, fractional powers, bases
``"nonzero"``  ``0.2 <= |x| <= 3``, either sign             denominators
``"unit"``     ``-0.9 <= x <= 0.9``                          near 0, including it
``"any"``      ``-3 <= x <= 3``                              no promises: zeros and ties may occur
``"ties"``     ``{-1, -0.5, 0, 0.5, 1}``                     zeros and repeated values on purpose
=============  ==========================================  ======================================

``unique=True`` makes all values distinct, spaced at least a 4096th of the domain's width apart,
so that no tie exists and no finite-difference step can reorder them (max, amax, sort-like ops).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..autograd.tensor_core import Tensor

__all__ = [
    "DOMAINS", "arrays", "broadcastable_shapes", "broadcastable_tensors", "dims", "floats",
    "shapes", "tensors",
]

ShapeLike = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None

# Each domain as the closed intervals it is made of (a finite set is intervals of width 0).
DOMAINS: dict[str, tuple[tuple[float, float], ...]] = {
    "real": ((-3.0, -0.1), (0.1, 3.0)),
    "positive": ((0.2, 4.0),),
    "nonzero": ((-3.0, -0.2), (0.2, 3.0)),
    "unit": ((-0.9, 0.9),),
    "any": ((-3.0, 3.0),),
    "ties": ((-1.0, -1.0), (-0.5, -0.5), (0.0, 0.0), (0.5, 0.5), (1.0, 1.0)),
}

# unique=True picks distinct points of a grid of this many values spread over the domain.
_GRID_SIZE = 4096


def _intervals(domain: str) -> tuple[tuple[float, float], ...]:
    try:
        return DOMAINS[domain]
    except KeyError:
        raise ValueError(
            f"unknown domain {domain!r}; choose one of {sorted(DOMAINS)}."
        ) from None


def floats(domain: str = "real") -> st.SearchStrategy[float]:
    """Python floats from `domain` (see the module doc)."""
    intervals = _intervals(domain)
    if all(lo == hi for lo, hi in intervals):
        return st.sampled_from([lo for lo, _ in intervals])
    return st.one_of([st.floats(lo, hi) for lo, hi in intervals])


@functools.cache
def _grid(domain: str) -> np.ndarray:
    """`_GRID_SIZE` evenly spaced points along the domain's intervals (in order, gaps skipped);
    read-only, since it is cached."""
    intervals = _intervals(domain)
    widths = np.array([hi - lo for lo, hi in intervals])
    if widths.sum() == 0:
        raise ValueError(
            f"unique=True: domain {domain!r} is a finite set of values, so it cannot give "
            "distinct values; use a continuous domain such as 'real'."
        )
    # Position t along the concatenated intervals, mapped back into the interval it falls in.
    t = (np.arange(_GRID_SIZE) + 0.5) / _GRID_SIZE * widths.sum()
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(intervals) - 1)
    lows = np.array([lo for lo, _ in intervals])
    grid = lows[which] + (t - edges[which])
    grid.flags.writeable = False
    return grid


def _as_shape_strategy(shape: ShapeLike) -> st.SearchStrategy[tuple[int, ...]]:
    if shape is None:
        return shapes()
    if isinstance(shape, st.SearchStrategy):
        return shape
    return st.just(tuple(int(n) for n in shape))


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, 0-d included by default; small, since gradcheck costs O(elements)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Tuples of `n` mutually broadcastable shapes: equal shapes, lower ranks (0-d included
    when min_dims is 0) and size-1 dimensions that broadcasting stretches."""

    @st.composite
    def draw_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], ...]:
        full = draw(shapes(min_dims, max_dims, min_side, max_side))
        # Each input keeps the trailing dims of `full` (its full rank twice as likely as any
        # lower one), some of them set to 1.
        ranks = [len(full), *range(min_dims, len(full) + 1)]
        out = []
        for _ in range(n):
            rank = draw(st.sampled_from(ranks))
            tail = full[len(full) - rank:]
            ones = draw(st.lists(st.booleans(), min_size=rank, max_size=rank))
            out.append(tuple(1 if one and min_side <= 1 else side
                             for side, one in zip(tail, ones)))
        return tuple(out)

    return draw_shapes()


def dims(ndim: int, allow_none: bool = True,
         allow_tuple: bool = True) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """A reduction's `dim` for a tensor with `ndim` dimensions: None (all), an int (possibly
    negative), or a tuple of distinct ints (possibly negative)."""
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, like PyTorch
    single = st.integers(-n, n - 1)
    options = [single]
    if allow_none:
        options.append(st.none())
    if allow_tuple and ndim > 0:
        options.append(
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
                lambda ds: st.tuples(*[st.sampled_from([d, d - ndim]) for d in ds])
            )
        )
    return st.one_of(options)


def _elements_for(dtype: np.dtype, domain: str) -> st.SearchStrategy[Any]:
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        # Integers in the spirit of the domain: no 0 for positive/nonzero, few values for ties.
        low, high = {"positive": (1, 5), "unit": (0, 1), "ties": (-1, 1)}.get(domain, (-5, 5))
        ints = st.integers(low, high)
        return ints.filter(lambda v: v != 0) if domain in ("real", "nonzero") else ints
    return floats(domain)


def arrays(shape: ShapeLike = None, dtype: Any = np.float64, elements: Any = None,
           domain: str = "real", unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays with values from `domain` (or from the `elements` strategy, if given)."""
    dtype = np.dtype(dtype)
    shape_st = _as_shape_strategy(shape)
    if unique and elements is None and dtype.kind == "f":
        grid = _grid(domain)
        indices = shape_st.flatmap(
            lambda s: hnp.arrays(np.int64, s, elements=st.integers(0, _GRID_SIZE - 1),
                                 unique=True)
        )
        return indices.map(lambda i: grid[i].astype(dtype))
    if elements is None:
        elements = _elements_for(dtype, domain)
    # Values are drawn in a wide dtype and then cast, so that float32/float16 tensors can use
    # the same domains (Hypothesis refuses elements that do not fit the dtype exactly).
    wide = np.dtype(np.float64) if dtype.kind == "f" else dtype
    # fill=st.nothing(): draw every element, rather than filling most of it with one value.
    return hnp.arrays(wide, shape_st, elements=elements, fill=st.nothing(),
                      unique=unique).map(lambda a: a.astype(dtype))


def _tensor(array: np.ndarray, requires_grad: bool | None) -> Tensor:
    if requires_grad is None:
        requires_grad = array.dtype.kind == "f"
    return Tensor(array, requires_grad=requires_grad)


def tensors(shape: ShapeLike = None, dtype: Any = np.float64, elements: Any = None,
            requires_grad: bool | None = None, domain: str = "real",
            unique: bool = False) -> st.SearchStrategy[Tensor]:
    """Tensors of `shape` (a tuple, a strategy of tuples, or None for `shapes()`).

    `requires_grad` defaults to True for floating dtypes (the only ones that can have
    gradients); `domain` and `unique` are described in the module doc; `elements` (a
    strategy of Python numbers) replaces the domain.
    """
    return arrays(shape, dtype, elements, domain, unique).map(
        lambda a: _tensor(a, requires_grad)
    )


def broadcastable_tensors(n: int = 2, dtype: Any = np.float64,
                          domain: str | Sequence[str] = "real", elements: Any = None,
                          requires_grad: bool | None = None, unique: bool = False,
                          **shape_kwargs: int) -> st.SearchStrategy[tuple[Tensor, ...]]:
    """Tuples of `n` tensors with mutually broadcastable shapes (`shape_kwargs` go to
    `broadcastable_shapes`). `domain` is one name or one per tensor, e.g. ("real",
    "nonzero") for a division. With `unique=True` no value repeats within a tensor, nor across
    tensors of the same domain (as maximum/minimum need)."""
    domains = (domain,) * n if isinstance(domain, str) else tuple(domain)
    if len(domains) != n:
        raise ValueError(f"broadcastable_tensors: got {len(domains)} domains for {n} tensors.")

    @st.composite
    def draw_tensors(draw: st.DrawFn) -> tuple[Tensor, ...]:
        shape_list = draw(broadcastable_shapes(n, **shape_kwargs))
        if unique and elements is None:
            # One draw of distinct grid positions for all tensors, so none repeats across them.
            sizes = [int(np.prod(s, dtype=np.int64)) for s in shape_list]
            idx = draw(hnp.arrays(np.int64, sum(sizes),
                                  elements=st.integers(0, _GRID_SIZE - 1), unique=True))
            bounds = np.cumsum([0, *sizes])
            out = []
            for s, d, lo, hi in zip(shape_list, domains, bounds[:-1], bounds[1:]):
                values = _grid(d)[idx[lo:hi]].reshape(s).astype(dtype)
                out.append(_tensor(values, requires_grad))
            return tuple(out)
        return tuple(
            draw(tensors(s, dtype, elements, requires_grad, d, unique))
            for s, d in zip(shape_list, domains)
        )

    return draw_tensors()
