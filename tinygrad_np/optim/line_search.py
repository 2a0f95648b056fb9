"""The strong-Wolfe line search LBFGS uses (`line_search_fn="strong_wolfe"`), on flat arrays.

Given a descent direction `d` from the point x (loss f0, gradient g0, slope gtd0 = g0 . d < 0),
it looks for a step length t whose point x + t d satisfies the strong Wolfe conditions:

    f(x + t d) <= f0 + c1 t gtd0             (sufficient decrease, "Armijo")
    |g(x + t d) . d| <= -c2 gtd0             (the slope has flattened enough)

in two phases, as in minFunc / torch's lswolfe: first it walks out (by cubic interpolation,
at most 10x farther each time) until an interval brackets such a point, then it shrinks that
interval (cubic interpolation again, kept away from its ends) until a point qualifies, the
interval gets too small, or the evaluations run out. The arithmetic follows PyTorch's order of
operations, so that runs agree with torch.optim.LBFGS to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Point(NamedTuple):
    """A trial step length with the loss, gradient and slope (g . d) found there."""
    t: Any
    f: float
    g: np.ndarray
    gtd: Any


def cubic_minimum(a: Point, b: Point, bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimizer of the cubic that matches f and its slope at a.t and b.t, clipped to
    `bounds` (default: the interval between them); their midpoint if the cubic has no
    minimum (the discriminant is negative)."""
    lo, hi = bounds if bounds is not None else ((a.t, b.t) if a.t <= b.t else (b.t, a.t))
    d1 = a.gtd + b.gtd - 3 * (a.f - b.f) / (a.t - b.t)
    disc = d1 ** 2 - a.gtd * b.gtd
    if not disc >= 0:  # (a NaN discriminant also takes the midpoint)
        return (lo + hi) / 2.0
    d2 = _sqrt(disc)
    # The formula is written from the farther end (the larger t) for numerical stability.
    near, far = (a, b) if a.t <= b.t else (b, a)
    t = far.t - (far.t - near.t) * ((far.gtd + d2 - d1) / (far.gtd - near.gtd + 2 * d2))
    return min(max(t, lo), hi)


def _sqrt(x: Any) -> Any:
    # Keep a NumPy scalar's dtype (float32 stays float32, as PyTorch's 0-d tensors do).
    return np.sqrt(x) if isinstance(x, np.generic) else math.sqrt(x)


def strong_wolfe(
    evaluate: Callable[[Any], tuple[float, np.ndarray]],
    t: Any,
    d: np.ndarray,
    f0: float,
    g0: np.ndarray,
    gtd0: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, Any, int]:
    """Search along `d` from the point where the loss is `f0` and the gradient `g0`.

    `evaluate(t)` returns the loss and flat gradient at x + t d (and leaves x as it was); `t`
    is the first trial step. At most `max_ls` evaluations follow the first one. Returns the
    loss, gradient and step length of the best point found, and the number of evaluations.
    """
    start = Point(0, f0, g0, gtd0)
    d_norm = np.abs(d).max()

    def at(step: Any) -> Point:
        f, g = evaluate(step)
        return Point(step, f, g, g.dot(d))

    def armijo_fails(p: Point) -> bool:
        return p.f > f0 + c1 * p.t * gtd0

    def curvature_holds(p: Point) -> bool:
        return abs(p.gtd) <= -c2 * gtd0

    # Phase 1: walk out until [previous, current] brackets an acceptable point.
    prev, cur = start, at(t)
    evals, iters = 1, 0
    bracket: list[Point] | None = None
    done = False
    while iters < max_ls:
        if armijo_fails(cur) or (iters > 1 and cur.f >= prev.f):
            bracket = [prev, cur]  # the loss went up: a minimum lies between
            break
        if curvature_holds(cur):
            bracket, done = [cur], True
            break
        if cur.gtd >= 0:
            bracket = [prev, cur]  # the slope turned positive: a minimum lies between
            break
        # Still going down steeply: extrapolate, at least a little and at most 10x farther.
        bounds = (cur.t + 0.01 * (cur.t - prev.t), cur.t * 10)
        prev, cur = cur, at(cubic_minimum(prev, cur, bounds))
        evals += 1
        iters += 1
    if bracket is None:  # out of evaluations: choose between the start and the last point
        bracket = [start, cur]

    # Phase 2: shrink the bracket. `low` indexes its end with the lower loss.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress = False
    while not done and iters < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break  # the points no longer differ enough to tell them apart
        t = cubic_minimum(a, b)
        left, right = min(a.t, b.t), max(a.t, b.t)
        eps = 0.1 * (right - left)
        if min(right - t, t - left) < eps:
            # Too close to an end: twice in a row (or outside) means the interpolation is
            # stuck there, so step a tenth of the interval in from that end instead.
            if insufficient_progress or t >= right or t <= left:
                t = right - eps if abs(t - right) < abs(t - left) else left + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = at(t)
        evals += 1
        iters += 1
        if armijo_fails(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature_holds(new):
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # keep the minimum between the two ends
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
