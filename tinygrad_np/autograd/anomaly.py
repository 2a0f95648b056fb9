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
        switches.anomaly_on.append(None)

    def __exit__(self, *exc: object) -> None:
        state.anomaly_enabled = self.prev
        switches.anomaly_on.pop()
