"""`parameters_to_vector` and `vector_to_parameters`: all parameters as one flat vector, and
back, in the order the iterable gives them."""

from __future__ import annotations

from collections.abc import Iterable

from ...autograd import no_grad
from ...autograd.tensor_core import Tensor
from ...ops.shape import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated (differentiable: a graph op)."""
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, element {i} is a "
                            f"{type(p).__name__}.")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into the parameters, in place. (PyTorch instead makes
    each parameter's .data a view of vec; the values are the same, but here a later change
    to vec does not reach the parameters.)"""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor vec, got "
                        f"{type(vec).__name__}.")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec must be 1-d with {total} elements (the "
                         f"parameters' total), got shape {vec.shape}.")
    start = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec[start:start + n].reshape(p.shape))
            start += n
