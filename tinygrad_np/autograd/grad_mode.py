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


state = _State()


class _Anomaly:
    """How many detect_anomaly blocks are active in any thread. The ops read this plain
    attribute first and the thread-local flag only when it is non-zero: a thread-local
    read costs as much as the rest of an op's bookkeeping."""

    active = 0
    lock = threading.Lock()


anomaly_blocks = _Anomaly()


def is_grad_enabled() -> bool:
    return state.grad_enabled


class _GradMode:
    """Sets grad mode inside a `with` block, or around every call of a decorated function."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.prev

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
        self.prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __call__(self, fn: F) -> F:
        state.grad_enabled = self.prev
        return super().__call__(fn)
