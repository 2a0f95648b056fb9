"""NumPy's ufunc and array-function protocols for Tensor.

`np.exp(t)`, `np.where(c, t, 0)`, `np.broadcast_to(t, shape)`... on Tensors build graph nodes.
That is what lets every backward be written once, as plain NumPy, and still be differentiated
again under create_graph. Anything not listed falls back to plain arrays, unless an input
requires grad: then it raises rather than silently dropping the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import functions as fn
from .autograd.grad_mode import state
from .tensor import Tensor, _promote, matmul, where

_UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: fn.Add.apply,
    np.subtract: fn.Sub.apply,
    np.multiply: fn.Mul.apply,
    np.true_divide: fn.Div.apply,
    np.power: fn.Pow.apply,
    np.matmul: matmul,
    np.negative: fn.Neg.apply,
    np.exp: fn.Exp.apply,
    np.log: fn.Log.apply,
    np.sqrt: fn.Sqrt.apply,
    np.absolute: fn.Abs.apply,
    np.sin: fn.Sin.apply,
    np.cos: fn.Cos.apply,
    np.tanh: fn.Tanh.apply,
    np.maximum: fn.Maximum.apply,
    np.minimum: fn.Minimum.apply,
    np.remainder: fn.Remainder.apply,
    np.floor_divide: fn.FloorDiv.apply,
    np.sign: Tensor.sign,
}

# Ufuncs whose result carries no gradient (comparisons, tests): computed on the data,
# returned as a Tensor outside the graph, like Tensor's comparison operators.
_NO_GRAD_UFUNCS = {
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.isfinite, np.isinf, np.isnan, np.logical_and, np.logical_or, np.logical_xor,
    np.logical_not,
}


_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: lambda x, axis=None, dtype=None, keepdims=False: Tensor.sum(
        _t(x), axis=axis, dtype=dtype, keepdims=keepdims),
    np.mean: lambda x, axis=None, dtype=None, keepdims=False: Tensor.mean(
        _t(x), axis=axis, dtype=dtype, keepdims=keepdims),
    np.prod: lambda x, axis=None, dtype=None, keepdims=False: Tensor.prod(
        _t(x), axis=axis, dtype=dtype, keepdims=keepdims),
    np.reshape: lambda x, shape: Tensor.reshape(_t(x), shape),
    np.transpose: lambda x, axes=None: (_t(x).T if axes is None
                                        else Tensor.permute(_t(x), tuple(axes))),
    np.swapaxes: lambda x, a, b: Tensor.transpose(_t(x), a, b),
    np.broadcast_to: lambda x, shape: Tensor.broadcast_to(_t(x), shape),
    np.expand_dims: lambda x, axis: Tensor.unsqueeze(_t(x), axis),
    np.squeeze: lambda x, axis=None: Tensor.squeeze(_t(x), axis),
    np.where: where,
    np.concatenate: lambda seq, axis=0: fn.Cat.apply(axis, *seq),
}


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x), None, False, [0])


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


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    op = _UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and not kwargs:
        return op(*_promote(*inputs, ufunc.__name__)) if len(inputs) == 2 else op(*inputs)
    if ufunc in _NO_GRAD_UFUNCS and method == "__call__":
        result = ufunc(*_plain(inputs), **_plain(kwargs))
        return Tensor._wrap(np.asarray(result), None, False, [0])
    if state.grad_enabled and _needs_grad(inputs):
        _refuse(ufunc.__name__)
    return getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    op = _FUNCTIONS.get(func)
    if op is not None:
        return op(*args, **kwargs)
    if state.grad_enabled and _needs_grad(args):
        _refuse(func.__name__)
    return func(*_plain(args), **_plain(kwargs))
