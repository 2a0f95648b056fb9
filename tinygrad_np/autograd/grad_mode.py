"""Grad mode: whether operations record a graph. Thread-local, like PyTorch's."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # A threading.local subclass: every thread starts from these class defaults.
    grad_enabled = True
    anomaly_enabled = False
    recorder = None  # the capture running in this thread (tinygrad_np.compile), if any


state = _State()


class _Switches:
    """Process-wide records that let every op skip the thread-local reads in the common case:
    grad on, no anomaly detection, no capture. The plain version reads `state.grad_enabled` and
    `state.anomaly_enabled` in `Function.apply` instead; these buy 2.8 % of a chain of small
    ops (callgrind: 37.91M -> 36.88M instructions; W2 1.0 %).
    Each list holds one entry per thread or block in that mode (list.append and list.pop are
    atomic, so no lock is needed). They never understate: a thread's flag turns off only
    after its entry went in."""

    def __init__(self) -> None:
        self.grad_off: list[None] = []  # threads and `with` blocks with grad mode off
        # active detect_anomaly blocks and captures (tinygrad_np.compile): ops then report
        # to `function._watched`
        self.watch: list[None] = []
        self.capturing: list[None] = []  # running captures (any thread)


switches = _Switches()


class _GradOff:
    """Held by a thread's state while its grad mode is off; counted in `switches.grad_off`
    while it lives. Dropping it (grad back on, or the thread ending and its thread-local
    state going away) uncounts it, so a thread that ends with grad off does not leave every
    other op on the slow path."""

    def __init__(self) -> None:
        switches.grad_off.append(None)

    def __del__(self) -> None:
        switches.grad_off.pop()


def set_grad_mode(mode: bool) -> None:
    """Set this thread's grad mode (keeping `switches.grad_off` in step)."""
    if mode == state.grad_enabled:
        return
    if not mode:
        state.grad_off = _GradOff()  # counted before the flag turns off
    state.grad_enabled = mode
    if mode:  # uncounted after the flag turns on (a `with` block that turned it off has none)
        state.__dict__.pop("grad_off", None)


def is_grad_enabled() -> bool:
    return state.grad_enabled


def enter_grad_mode(mode: bool) -> tuple[bool, bool]:
    """Set grad mode for a block; returns what `exit_grad_mode` needs to restore it. (The
    engine calls this pair directly: a `with` block's object costs a third of a backward's
    bookkeeping on a small model.)"""
    prev = state.grad_enabled
    if prev and not mode:
        # The common case (no_grad, and every backward): the block counts itself, since its
        # exit is sure to uncount it; a token costs more.
        switches.grad_off.append(None)
        state.grad_enabled = False
        return prev, True
    set_grad_mode(mode)
    return prev, False


def exit_grad_mode(prev: bool, counted: bool) -> None:
    set_grad_mode(prev)
    if counted:
        switches.grad_off.pop()


class _GradMode:
    """Sets grad mode inside a `with` block, or around every call of a decorated function."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.restore = enter_grad_mode(self.mode)

    def __exit__(self, *exc: object) -> None:
        exit_grad_mode(*self.restore)

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Disable graph recording: `with no_grad(): ...` or `@no_grad()`."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Re-enable graph recording inside a no_grad region."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` switches at once; also a context manager and a decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        # Like PyTorch, the call itself takes effect; `with` and decorating restore it.
        self.restore = (state.grad_enabled, False)
        set_grad_mode(self.mode)

    def __enter__(self) -> None:
        return None

    def __call__(self, fn: F) -> F:
        set_grad_mode(self.restore[0])
        return super().__call__(fn)
