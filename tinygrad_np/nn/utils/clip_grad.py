"""`clip_grad_norm_` and `clip_grad_value_`: rescale or clamp the parameters' gradients in
place, between backward and the optimizer's step."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...autograd import no_grad
from ...autograd.tensor_core import Tensor
from ...dtypes import get_default_dtype


def _grads(parameters: Tensor | Iterable[Tensor], op: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameters must be Tensors (e.g. model.parameters()), "
                            f"element {i} is a {type(p).__name__}.")
    return [p.grad for p in params if p.grad is not None]


def _norm(a: np.ndarray, p: float) -> float:
    if a.size == 0:
        return 0.0
    if p == math.inf:
        return float(np.abs(a).max())
    return float(np.linalg.norm(a.ravel(), p)) if p != 2 else float(np.sqrt(np.vdot(a, a)))


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients by min(1, max_norm / (total + 1e-6)), where total is the
    norm_type-norm of the vector of the gradients' norms (the norm of all gradients as one
    vector). Returns total, a 0-d tensor in the gradients' dtype (0 without gradients)."""
    op = "clip_grad_norm_"
    grads = _grads(parameters, op)
    norm_type = float(norm_type)
    if not (norm_type == math.inf or norm_type > 0):
        raise ValueError(f"{op}: norm_type must be positive or inf, got {norm_type}.")
    if not grads:
        return Tensor(np.array(0.0, dtype=get_default_dtype()))
    dtype = grads[0].dtype
    norms = np.array([_norm(g._data, norm_type) for g in grads])
    total = dtype.type(_norm(norms, norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"{op}: the total norm of order {norm_type} of the gradients is non-finite "
            f"({total}), so it cannot be clipped; find where it came from with "
            "tinygrad_np.detect_anomaly(), or pass error_if_nonfinite=False to scale the "
            "gradients by it anyway."
        )
    scale = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(scale)  # (also by 1.0, as PyTorch: NaN gradients stay NaN)
    return Tensor(np.array(total, dtype=dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got "
                         f"{clip_value}.")
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clamp_(-clip_value, clip_value)
