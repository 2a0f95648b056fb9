"""In-place updates: x[i] = v, add_, copy_, relu_, clamp_, ... Outside the graph they
change the array itself (and count a version, so that a backward that saved it raises);
when their values need gradients they join the graph, the tensor becoming the output of a
SetItem node, as PyTorch's CopySlices. The op table makes `op_` (and `__iop__`) for each op
declared with `inplace=True` from the makers at the end of this file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.tensor_core import Tensor, array_of
from ..autograd.views import refresh
from ..autograd.watch import refuse
from ..primitives.shape import SetItem, ViewScatter, select, write
from .promotion import refuse_bool_subtraction


def writable(x: Tensor, op: str) -> np.ndarray:
    """The array to change in place, once the change is allowed; counts the change."""
    if x._requires_grad and x.grad_fn is None and state.grad_enabled:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad cannot be modified in place while grad "
            "mode is on; do it under `with tinygrad_np.no_grad():` (as optimizers do), or "
            "use the out-of-place form (x = x + y)."
        )
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's data (shape {x._data.shape}) is read-only, e.g. an "
            "expand()/broadcast_to() view whose elements share memory; call .clone() and "
            "modify the copy instead."
        )
    x._version[0] += 1
    refuse(f"{op} (an in-place change)")
    return x._data


def records_update(x: Tensor, *operands: Any) -> bool:
    """Whether an in-place update joins the graph, as in PyTorch: grad mode is on and the
    tensor's old values, or an operand of the new ones, need gradients."""
    return state.grad_enabled and (x._requires_grad or any(
        isinstance(v, Tensor) and v._requires_grad for v in operands))


def assign(x: Tensor, op: str, index: Any, value: Any) -> Tensor:
    """x[index] = value. In a graph the tensor becomes the output of a SetItem node, so
    gradients reach both the values it kept and the ones written."""
    if not records_update(x, value):
        data = writable(x, op)
        try:
            write(data, index, array_of(value))
        except ValueError:
            raise ValueError(
                f"{op}: cannot write values of shape {np.shape(array_of(value))} into a "
                f"selection of shape {np.shape(select(data, index))}; they must broadcast "
                "to it."
            ) from None
        return x
    if x._data.dtype.kind not in "fc":
        raise TypeError(
            f"{op}: this {x._data.dtype} tensor cannot hold values that require grad; "
            "convert it first, e.g. x = x.float()."
        )
    if x._view is not None:
        return _assign_through_view(x, op, index, value)
    writable(x, op)
    x.grad_fn = SetItem.apply(x, index, value).grad_fn
    x._requires_grad = True
    return x


def _assign_through_view(view: Tensor, op: str, index: Any, value: Any) -> Tensor:
    """A recorded change of a view changes its base: the base becomes a ViewScatter node (its
    old values, the view's part replaced by the view's new values), and the view's node is
    made again from it, as PyTorch does (CopySlices)."""
    base, steps, _ = view._view
    if base._requires_grad and base.grad_fn is None and state.grad_enabled:
        raise RuntimeError(
            f"{op}: this tensor is a view of a leaf tensor that requires grad, so changing it "
            "in place would change the leaf while grad mode is on; do it under "
            "`with tinygrad_np.no_grad():`, or work on a copy (.clone())."
        )
    if index is Ellipsis and isinstance(value, Tensor) and value._data.shape == view.shape:
        new_values = value
    else:  # the view's new values: its old ones (from the graph) with the part written
        new_values = view.clone()
        new_values.grad_fn = SetItem.apply(new_values, index, value).grad_fn
        new_values._requires_grad = True
    writable(base, op)
    base.grad_fn = ViewScatter.apply(base, new_values, steps).grad_fn
    base._requires_grad = True
    refresh(view)
    return view


def update(x: Tensor, op: str, ufunc: Any, other: Any) -> Tensor:
    """x = ufunc(x, other), in place."""
    if records_update(x, other):
        return apply_inplace(x, op, other)  # e.g. add_ -> x.add(other), recorded
    data = writable(x, op)
    try:
        ufunc(data, array_of(other), out=data)
    except (TypeError, ValueError):
        value = np.asarray(array_of(other), dtype=object if isinstance(other, str) else None)
        raise TypeError(
            f"{op}: the result with an operand of dtype {value.dtype} and shape "
            f"{value.shape} cannot be stored in place in this {data.dtype} tensor of shape "
            f"{data.shape}; use the out-of-place form (x = x + y), which may change the "
            "dtype and shape."
        ) from None
    return x


def add_(x: Tensor, other: Any, alpha: float = 1) -> Tensor:
    return update(x, "add_", np.add, other if alpha == 1 else alpha * other)


def sub_(x: Tensor, other: Any, alpha: float = 1) -> Tensor:
    refuse_bool_subtraction(x, other, "sub_")
    return update(x, "sub_", np.subtract, other if alpha == 1 else alpha * other)


def zero_(x: Tensor) -> Tensor:
    return assign(x, "zero_", Ellipsis, 0)


def fill_(x: Tensor, value: Any) -> Tensor:
    return assign(x, "fill_", Ellipsis, value)


def copy_(x: Tensor, src: Any) -> Tensor:
    """Write `src` (broadcast, cast to this tensor's dtype as in PyTorch) into this tensor."""
    return assign(x, "copy_", Ellipsis, src)


def apply_inplace(x: Tensor, op: str, *args: Any, **kwargs: Any) -> Tensor:
    """x = x.op(*args, **kwargs) for the in-place `op_`, e.g. exp_, clamp_(min=0): the
    out-of-place op (on a copy of the old values when recorded: it may save them), written
    back."""
    source = x.clone() if records_update(x, *args, *kwargs.values()) else x.detach()
    result = getattr(source, op[:-1])(*args, **kwargs)
    if not np.can_cast(result.dtype, x._data.dtype, "same_kind"):
        raise TypeError(
            f"{op}: the result's dtype {result.dtype} cannot be stored in place in this "
            f"{x._data.dtype} tensor; use the out-of-place {op[:-1]}() instead."
        )
    return assign(x, op, Ellipsis, result)


def ufunc_update(name: str, ufunc: np.ufunc) -> Callable[..., Tensor]:
    """`x.name(other)`: x = ufunc(x, other) in place (mul_, div_, ...)."""

    def method(x: Tensor, other: Any) -> Tensor:
        return update(x, name, ufunc, other)

    return method


def recomputed_update(name: str) -> Callable[..., Tensor]:
    """`x.name(*args)`: x = x.op(*args) written back (exp_, relu_, clamp_, pow_, ...)."""

    def method(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(x, name, *args, **kwargs)

    return method


def augmented(name: str) -> Callable[..., Tensor]:
    """`x op= y`: the in-place `name` (x.add_(y) for x += y), in the graph too: tensors that
    share x (z = x; views of x) see the change, as in PyTorch. On a leaf that requires grad
    it raises under grad mode, as PyTorch does."""

    def method(x: Tensor, other: Any) -> Tensor:
        return getattr(x, name)(other)

    return method
