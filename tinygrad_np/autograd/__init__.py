"""Reverse-mode autodiff: graph nodes (`Function`, `Context`), grad mode, the engine."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Context, Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Context", "Function", "backward", "detect_anomaly", "enable_grad", "grad",
    "is_anomaly_enabled", "set_detect_anomaly",
    "is_grad_enabled", "no_grad", "set_grad_enabled",
]
