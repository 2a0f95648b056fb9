"""The Tensor class itself: an ndarray plus its place in the graph.

This file holds what autograd needs of a Tensor (its fields and the one way to build one)
and the attributes and conversions that involve no op. The ops (arithmetic, reductions,
shape changes, in-place updates) are declared in `tinygrad_np/ops/table.py`, which installs
them as methods when `tinygrad_np` is imported.

A Tensor's fields, read across the package (they are the package's internal interface; a
user reads them through the properties below):

    _data           the NumPy array of values
    _requires_grad  whether gradients flow to or through this tensor
    _grad           the accumulated gradient (a Tensor) or None: `grad`, checked when set
    grad_fn         the Context of the op that made it, None for a leaf
    _version        a one-element list counting in-place changes, shared with its views
    _view           for a view made by a view op (indexing, reshape, permute, expand): a
                    ViewOf(base, steps, version) saying how to make it again from its base,
                    so that its graph follows in-place changes (autograd/views.py); else None
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..device import CPU
from ..dtypes import check_can_require_grad, to_array
from .grad_mode import switches
from .watch import changed, recorder, refuse_user_array

_new = object.__new__


class Tensor:
    """A NumPy array that can record the operations applied to it, for reverse-mode autodiff.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`; Python floats become float32
    (the default dtype), Python ints int64; NumPy arrays keep their dtype.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_version", "_view",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if switches.watch and isinstance(data, np.ndarray):
            refuse_user_array(data)
        self._set_fields(to_array(array_of(data), dtype), None, False, [0])
        if requires_grad:
            self.requires_grad = True

    def _set_fields(self, data: np.ndarray, grad_fn: Any, requires_grad: bool,
                    version: list[int]) -> None:
        """The one definition of a Tensor's fields (see the module docstring)."""
        self._data = data
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = grad_fn
        self._version = version
        self._view = None

    @staticmethod
    def _wrap(data: np.ndarray, grad_fn: Any, requires_grad: bool, version: list[int]) -> Tensor:
        """A Tensor around an existing array, without copying: how ops build their outputs.

        The body is `_set_fields` inlined: this runs for every op's output, and the call
        would cost 3 % of a chain of small ops (callgrind)."""
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._version = version
        t._view = None
        return t

    # ---- attributes -----------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The values outside the graph: a Tensor sharing this one's memory, as PyTorch's
        `.data` (p.data.add_(...), p.data.copy_(...)); its in-place changes are not tracked
        (its own version counter), so they are for code that knows no backward needs the old
        values, such as optimizers. `np.asarray(t.data)` or `t.numpy()` give the array."""
        return Tensor._wrap(self._data, None, False, [0])

    @data.setter
    def data(self, value: Any) -> None:
        value = array_of(value)
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"Tensor.data: assign a NumPy array or a Tensor, not {type(value).__name__}."
            )
        if self._requires_grad:
            check_can_require_grad(value.dtype, "Tensor.data")
        self._data = value
        changed()

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        rec = recorder() if switches.watch else None  # (zero_grad's path: one read)
        if rec is not None and not rec.paused:
            if value is not None:
                rec.refuse("an assignment to .grad (other than None)")
            else:  # (grad = None, the manual zero_grad: a replay does it again)
                return rec.event(_set_grad, self, (None,), {}, True)
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: assign a Tensor or None, got {type(value).__name__}; wrap values "
                    "with tinygrad_np.tensor(...) (as in PyTorch, a number is refused)."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"grad: the gradient has shape {value._data.shape} but the tensor has "
                    f"shape {self._data.shape}; they must match."
                )
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad: a non-leaf tensor's requires_grad cannot be turned off; use "
                ".detach() to get a tensor outside the graph."
            )
        if flag:
            check_can_require_grad(self._data.dtype)
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> Any:
        """Where the tensor lives: always the CPU (`device(type='cpu')`)."""
        return CPU

    is_cuda = False

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (shape ()); use .item() for its value.")
        return self._data.shape[0]

    # ---- conversion -----------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def numpy(self) -> np.ndarray:
        """The data as an ndarray sharing memory, like PyTorch (detach first if it needs grad)."""
        if self._requires_grad:
            raise RuntimeError(
                "numpy(): this tensor requires grad; call tensor.detach().numpy() to get its "
                "values (or use np.asarray(tensor))."
            )
        return self._data

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors convert to a Python number; this one has "
                f"shape {self._data.shape}. Reduce it first (e.g. .sum()) or use .tolist()."
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool(): the truth value of a tensor of shape {self._data.shape} is ambiguous; "
                "use .any() or .all()."
            )
        return bool(self._data.item())

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats a 0-d tensor's value, as in PyTorch."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def detach(self) -> Tensor:
        """The same data (shared memory) outside the graph."""
        return Tensor._wrap(self._data, None, False, self._version)

    __hash__ = object.__hash__  # (the table's == returns a tensor, so it is set explicitly)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extras = ""
        if self._data.size == 0 and self._data.ndim != 1:  # "[]" alone would hide the shape
            extras += f", size={self._data.shape}"
        if self._data.dtype not in (np.float32, np.int64, np.bool_):
            extras += f", dtype={self._data.dtype}"
        if self.grad_fn is not None:
            extras += f", grad_fn={self.grad_fn!r}"
        elif self._requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"


def array_of(x: Any) -> Any:
    """A Tensor's array, or `x` itself (an array, a number, a list)."""
    return x._data if isinstance(x, Tensor) else x


def shape_of(x: Any) -> tuple[int, ...]:
    """A Tensor's shape, or np.shape(x) of anything else (an array, a number, a list)."""
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def untracked(data: np.ndarray) -> Tensor:
    """A new Tensor outside the graph around `data` (comparisons, indices, fresh tensors)."""
    return Tensor._wrap(data, None, False, [0])


def _set_grad(t: Tensor, value: Tensor | None) -> None:
    t._grad = value
