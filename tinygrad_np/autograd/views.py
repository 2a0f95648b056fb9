"""Views and in-place changes, as in PyTorch.

A view (x[1:], x.reshape(...), x.T, x.expand(...)) shares its base's memory and version
counter, and remembers how it was made from the base: `ViewOf(base, steps, version)`, each
step a view primitive and its other arguments. An in-place change of the base or of any of
its views bumps the shared counter; a view whose recorded version is behind is *stale*: its
graph node still describes the old base. Before a stale view is used by an op (or backward
from it), `refresh` makes its node again by replaying the steps on the base's current node,
so its gradient flows through the change, as PyTorch regenerates a view's grad_fn.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .grad_mode import state


class ViewOf(NamedTuple):
    base: Any  # the Tensor whose memory this one views (never itself a tracked view)
    steps: tuple[tuple[Any, tuple[Any, ...]], ...]  # (view primitive, its other arguments)
    version: int  # the shared counter's value when the view's node was last made


def view_of(source: Any, primitive: Any, rest: tuple[Any, ...], version: list[int]) -> ViewOf:
    """The record of a new view made by `primitive(source, *rest)`: steps from the root base."""
    if source._view is None:
        return ViewOf(source, ((primitive, rest),), version[0])
    base, steps, _ = source._view
    return ViewOf(base, steps + ((primitive, rest),), version[0])


def refresh(view: Any) -> None:
    """Make a stale view's graph node again from its base (under grad mode; without it no
    node is recorded, so the view waits until one is)."""
    base, steps, _ = view._view
    if not state.grad_enabled:
        return
    if base._view is not None:  # (a base that became a view itself: catch it up first)
        refresh(base)
    if base._requires_grad:
        replayed = base
        for primitive, rest in steps:
            replayed = primitive.apply(replayed, *rest)
        view.grad_fn = replayed.grad_fn
        view._requires_grad = True
    view._view = ViewOf(base, steps, view._version[0])


def replay_on_array(array: Any, steps: tuple[tuple[Any, tuple[Any, ...]], ...]) -> Any:
    """The view of `array` (or of a Tensor, recorded) that `steps` make."""
    for primitive, rest in steps:
        array = primitive.call(array, *rest)
    return array
