"""The points where eager code tells a running capture (`tinygrad_np.compile`) what it did.

A capture records the primitives a function runs so that later calls can replay them without
the eager machinery. It must see everything that a replay would otherwise get wrong: a value
read by Python (`.item()`, a mask computed from a tensor's values), a random draw, an in-place
write, a tensor made from a NumPy array. Those places call `refuse(...)`; a few library calls
that a replay makes again as they are (an optimizer's `step`, `zero_grad`) are marked
`@replayed`. All of this costs eager code one read of `switches.watch`, an empty list unless
a capture (or anomaly detection) is running; the recorder itself lives in the thread's state.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .grad_mode import state, switches


def recorder() -> Any:
    """The capture running in this thread, or None."""
    return state.recorder if switches.watch else None


def refuse(what: str) -> None:
    """Tell a running capture that the function did something a replay cannot repeat: the
    capture then keeps the function eager (with one warning naming `what`)."""
    rec = recorder()
    if rec is not None and not rec.paused:
        rec.refuse(what)


# Modules that make tensors from arrays for their caller (loaders too: their batches come
# from the user's arrays), skipped to find whose array it is.
_MAKERS = ("tinygrad_np.autograd.tensor_core", "tinygrad_np.creation", "tinygrad_np.data",
           "tinygrad_np.utils.data", "tinygrad_np.serialization", __name__)


def refuse_user_array(array: Any) -> None:
    """A tensor made from a NumPy array by the user's code: its values could be different
    at the next call without any argument showing it (pass such data as an argument)."""
    frame = sys._getframe(1)
    while frame.f_globals.get("__name__") in _MAKERS:
        frame = frame.f_back
    if frame.f_globals.get("__name__", "").split(".")[0] != __name__.split(".")[0]:
        refuse("a tensor made from a NumPy array inside the function (pass it as an argument)")


NOT_WATCHED = object()  # what `event` returns when no capture is watching


def event(method: Callable[..., Any], obj: Any, args: tuple[Any, ...] = (),
          kwargs: dict[str, Any] | None = None, idempotent: bool = False,
          replay: tuple[Callable[..., Any], Any] | None = None) -> Any:
    """For a method whose call a replay repeats as it is (it reads the tensors' current
    values itself, e.g. `Optimizer.step`): a running capture records the call and makes it
    (return its result); else NOT_WATCHED, and the method goes on. `idempotent`: calling it
    twice does what calling it once does (zero_grad), so a replay that stops after it may
    start again from the top. `replay`: (function, argument): what a replay calls instead,
    `function(obj, argument)` (a step without the checks the capture's call made). A hot
    method calls this behind `if switches.watch:`."""
    rec = recorder()
    if rec is None or rec.paused:
        return NOT_WATCHED
    return rec.event(method, obj, args, kwargs or {}, idempotent, replay)


def replayed(idempotent: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`event` as a decorator, for methods that are not on every step's path."""

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = event(method, self, args, kwargs, idempotent)
            return method(self, *args, **kwargs) if result is NOT_WATCHED else result

        return call

    return mark


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Code that a replay runs again as a whole (a custom Function's forward, an optimizer's
    step): what it does inside is not recorded, nor are its reads of values refused."""
    rec = recorder()
    if rec is None:
        yield
        return
    rec.paused += 1
    try:
        yield
    finally:
        rec.paused -= 1


# Advanced by every change that a compiled plan's guards must see but that no argument shows:
# a module's attributes (parameters, submodules, training), a tensor's `.data`, a hook. (A
# plain list: the guard reads one item. The tensors a plan reads have their requires_grad
# checked by the plan itself: a fresh tensor's must not make every plan stale.)
layout = [0]


def changed() -> None:
    layout[0] += 1
