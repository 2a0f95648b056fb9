"""detect_anomaly(): name the first op whose forward or backward produces NaN or inf."""

from __future__ import annotations

from .grad_mode import state, switches


class detect_anomaly:
    """Within this context every op checks its output and its gradients for NaN/inf and
    raises FloatingPointError naming the op and the line of user code that created it.
    It slows every op down; use it to find a bug, not to train."""

    def __init__(self, check_nan: bool = True) -> None:
        self.enabled = check_nan

    def __enter__(self) -> None:
        self.prev = state.anomaly_enabled
        state.anomaly_enabled = self.enabled
        switches.watch.append(None)

    def __exit__(self, *exc: object) -> None:
        state.anomaly_enabled = self.prev
        switches.watch.pop()


class set_detect_anomaly:
    """`set_detect_anomaly(True)` switches anomaly detection on at once (off with False);
    used as a context manager, it restores the previous mode on exit, as in PyTorch."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = state.anomaly_enabled
        _set(bool(mode) and check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _set(self.prev)


def _set(mode: bool) -> None:
    """Anomaly mode for this thread, counted in the process-wide switch while on."""
    if mode and not state.anomaly_enabled:
        switches.watch.append(None)
    elif not mode and state.anomaly_enabled and switches.watch:
        switches.watch.pop()
    state.anomaly_enabled = mode


def is_anomaly_enabled() -> bool:
    return state.anomaly_enabled
