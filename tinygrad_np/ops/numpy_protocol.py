"""NumPy's ufunc and array-function protocols for Tensor.

`np.exp(t)`, `np.where(c, t, 0)`, `np.broadcast_to(t, shape)`... on Tensors build graph nodes.
That is what lets every backward be written once, as plain NumPy, and still be differentiated
again under create_graph. Anything not listed falls back to plain arrays, unless an input
requires grad: then it raises rather than silently dropping the gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.tensor_core import Tensor, untracked
from .table import NUMPY_FUNCTIONS, UFUNCS

# Ufuncs whose result carries no gradient (comparisons, tests): computed on the data,
# returned as a Tensor outside the graph, like Tensor's comparison operators.
_NO_GRAD_UFUNCS = {
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.isfinite, np.isinf, np.isnan, np.logical_and, np.logical_or, np.logical_xor,
    np.logical_not,
}


def _needs_grad(values: Any) -> bool:
    for v in values:
        if isinstance(v, Tensor) and v._requires_grad:
            return True
        if isinstance(v, (list, tuple)) and _needs_grad(v):
            return True
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _refuse(name: str) -> None:
    raise TypeError(
        f"np.{name} is not differentiable on tinygrad_np Tensors; use the Tensor method or "
        "tinygrad_np function of the same name, or .detach() the input if no gradient is wanted."
    )


def array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """Tensor.__array_ufunc__: np.exp(t), np.add(a, t), ... run the op table's ops."""
    op = UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*inputs)
    if ufunc in _NO_GRAD_UFUNCS and method == "__call__":
        result = ufunc(*_plain(inputs), **_plain(kwargs))
        return untracked(np.asarray(result))
    if state.grad_enabled and _needs_grad(inputs):
        _refuse(ufunc.__name__)
    return getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))


def array_function(self: Tensor, func: Any, types: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    """Tensor.__array_function__: np.sum(t), np.where(c, t, 0), ... run the op table's ops."""
    op = NUMPY_FUNCTIONS.get(func)
    if op is not None:
        return op(*args, **kwargs)
    if state.grad_enabled and _needs_grad(args):
        _refuse(func.__name__)
    return func(*_plain(args), **_plain(kwargs))
