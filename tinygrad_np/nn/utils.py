"""`nn.utils`: gradient clipping and flattening parameters into one vector, as in PyTorch."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor_core import Tensor
from ..creation import tensor
from ..ops.shape import cat


def _list(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients in place so their joint `norm_type` norm is at most `max_norm`
    (by max_norm / (total + 1e-6), as PyTorch); returns the total norm before clipping."""
    grads = [p._grad._data for p in _list(parameters) if p._grad is not None]
    if not grads:
        return tensor(0.0)
    if norm_type == np.inf:
        total = max(float(np.abs(g).max(initial=0.0)) for g in grads)
    else:
        total = float(sum(float((np.abs(g) ** norm_type).sum()) for g in grads)
                      ) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}; "
                           "pass error_if_nonfinite=False to clip anyway.")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    return tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    for p in _list(parameters):
        if p._grad is not None:
            np.clip(p._grad._data, -clip_value, clip_value, out=p._grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one vector (in the graph)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into the parameters, in place."""
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            if start + n > vec.numel():
                raise ValueError(f"vector_to_parameters: the vector has {vec.numel()} "
                                 "elements, fewer than the parameters need.")
            p.copy_(vec[start:start + n].reshape(p.shape))
            start += n
