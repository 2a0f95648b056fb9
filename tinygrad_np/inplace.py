"""A Tensor's in-place updates: x[i] = v, add_, copy_, relu_, clamp_, ... Outside the graph
they change the array itself (and count a version, so that a backward that saved it raises);
when their values need gradients they join the graph, the tensor becoming the output of a
SetItem node, as PyTorch's CopySlices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import functions as fn
from .autograd.grad_mode import state

if TYPE_CHECKING:
    from .tensor import Tensor


def _array(x: Any) -> Any:
    """A Tensor's array, or `x` itself (an array or a number)."""
    return x._data if isinstance(x, InPlaceUpdates) else x


class InPlaceUpdates:
    """The in-place methods of Tensor (its only subclass), kept apart from the ops that make
    new tensors."""

    __slots__ = ()
    _data: np.ndarray
    _requires_grad: bool
    grad_fn: Any
    _version: list[int]

    def _inplace(self, op: str) -> np.ndarray:
        """The array to change in place, once the change is allowed; counts the change."""
        if self._requires_grad and self.grad_fn is None and state.grad_enabled:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be modified in place while grad "
                "mode is on; do it under `with tinygrad_np.no_grad():` (as optimizers do), or "
                "use the out-of-place form (x = x + y)."
            )
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor's data (shape {self._data.shape}) is read-only, e.g. an "
                "expand()/broadcast_to() view whose elements share memory; call .clone() and "
                "modify the copy instead."
            )
        self._version[0] += 1
        return self._data

    def _records_update(self, *operands: Any) -> bool:
        """Whether an in-place update joins the graph, as in PyTorch: grad mode is on and the
        tensor's old values, or an operand of the new ones, need gradients."""
        return state.grad_enabled and (self._requires_grad or any(
            isinstance(v, InPlaceUpdates) and v._requires_grad for v in operands))

    def _assign(self, op: str, index: Any, value: Any) -> Tensor:
        """self[index] = value. In a graph the tensor becomes the output of a SetItem node, so
        gradients reach both the values it kept and the ones written."""
        if not self._records_update(value):
            data = self._inplace(op)
            try:
                data[index] = _array(value)
            except ValueError:
                raise ValueError(
                    f"{op}: cannot write values of shape {np.shape(_array(value))} into a "
                    f"selection of shape {np.shape(data[index])}; they must broadcast to it."
                ) from None
            return self
        if self._data.dtype.kind not in "fc":
            raise TypeError(
                f"{op}: this {self._data.dtype} tensor cannot hold values that require grad; "
                "convert it first, e.g. x = x.float()."
            )
        if self._data.base is not None:
            # The write would change the tensor this one views as well, whose graph would not
            # know: a silently wrong gradient. (PyTorch rebases the base's graph instead.)
            raise RuntimeError(
                f"{op}: this tensor is a view of another one's data (from indexing, reshape, "
                "transpose, ...), so a recorded update would change that tensor too without "
                "its graph knowing; update the base tensor itself (base[1:] = v), or .clone() "
                "the view first."
            )
        self._inplace(op)
        self.grad_fn = fn.SetItem.apply(self, index, value).grad_fn
        self._requires_grad = True
        return self

    def _update(self, op: str, ufunc: Any, other: Any) -> Tensor:
        """self = ufunc(self, other), in place."""
        if self._records_update(other):
            return self._apply_(op, other)  # e.g. add_ -> self.add(other), recorded
        data = self._inplace(op)
        try:
            ufunc(data, _array(other), out=data)
        except (TypeError, ValueError):
            value = np.asarray(_array(other), dtype=object if isinstance(other, str) else None)
            raise TypeError(
                f"{op}: the result with an operand of dtype {value.dtype} and shape "
                f"{value.shape} cannot be stored in place in this {data.dtype} tensor of shape "
                f"{data.shape}; use the out-of-place form (x = x + y), which may change the "
                "dtype and shape."
            ) from None
        return self

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._update("add_", np.add, other if alpha == 1 else alpha * other)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._update("sub_", np.subtract, other if alpha == 1 else alpha * other)

    def mul_(self, other: Any) -> Tensor:
        return self._update("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._update("div_", np.true_divide, other)

    def zero_(self) -> Tensor:
        return self._assign("zero_", Ellipsis, 0)

    def fill_(self, value: Any) -> Tensor:
        return self._assign("fill_", Ellipsis, value)

    def copy_(self, src: Any) -> Tensor:
        """Write `src` (broadcast, cast to this tensor's dtype as in PyTorch) into this tensor."""
        return self._assign("copy_", Ellipsis, src)

    def _apply_(self, op: str, *args: Any) -> Tensor:
        """self = self.op(*args) for the in-place `op_`, e.g. exp_: the out-of-place op (on a
        copy of the old values when recorded: it may save them), written back."""
        source = self.clone() if self._records_update(*args) else self.detach()
        result = getattr(source, op[:-1])(*args)
        if not np.can_cast(result.dtype, self._data.dtype, "same_kind"):
            raise TypeError(
                f"{op}: the result's dtype {result.dtype} cannot be stored in place in this "
                f"{self._data.dtype} tensor; use the out-of-place {op[:-1]}() instead."
            )
        return self._assign(op, Ellipsis, result)

    def neg_(self) -> Tensor:
        return self._apply_("neg_")

    def exp_(self) -> Tensor:
        return self._apply_("exp_")

    def log_(self) -> Tensor:
        return self._apply_("log_")

    def sqrt_(self) -> Tensor:
        return self._apply_("sqrt_")

    def abs_(self) -> Tensor:
        return self._apply_("abs_")

    def sin_(self) -> Tensor:
        return self._apply_("sin_")

    def cos_(self) -> Tensor:
        return self._apply_("cos_")

    def tanh_(self) -> Tensor:
        return self._apply_("tanh_")

    def sigmoid_(self) -> Tensor:
        return self._apply_("sigmoid_")

    def relu_(self) -> Tensor:
        return self._apply_("relu_")

    def square_(self) -> Tensor:
        return self._apply_("square_")

    def pow_(self, exponent: Any) -> Tensor:
        return self._apply_("pow_", exponent)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._apply_("clamp_", min, max)

    clip_ = clamp_

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other) if not self._records() else self + other

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other) if not self._records() else self - other

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other) if not self._records() else self * other

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other) if not self._records() else self / other

    def _records(self) -> bool:
        """`y += 1` on a non-leaf in the graph rebinds y to a new node (same values, correct
        gradients); on a leaf that requires grad it raises, as in PyTorch."""
        return self._requires_grad and state.grad_enabled and self.grad_fn is not None
