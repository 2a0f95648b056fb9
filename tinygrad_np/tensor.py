"""Tensor: an ndarray plus its place in the graph. Operators and methods delegate to the
primitives in `functions`; this file holds no derivative math."""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import functions as fn
from .autograd import engine, function
from .autograd.grad_mode import state
from .dtypes import as_dtype, check_can_require_grad, get_default_dtype, to_array
from .inplace import InPlaceUpdates, _array

max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _shape_arg(shape: Sequence[Any], op: str, what: str = "sizes") -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike, as PyTorch does; every size must be an integer
    (a float or a bool is refused rather than truncated, as in PyTorch)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    for i, n in enumerate(shape):
        if type(n) is not int and not isinstance(n, np.integer):  # (bool is refused too)
            raise TypeError(
                f"{op}(): {what} must be ints, got {type(n).__name__} {n!r} at position {i} of "
                f"{tuple(shape)!r}; pass whole numbers as ints (convert with int() first)."
            )
    return tuple([int(n) for n in shape])


def _check_new_shape(shape: tuple[int, ...], numel: int, op: str) -> None:
    """A target shape for reshape/view: sizes >= 0, and -1 (inferred) in at most one place."""
    for i, n in enumerate(shape):
        if n < -1:
            raise ValueError(
                f"{op}(): invalid size {n} at position {i} of shape {shape}; sizes must be "
                f">= 0, or -1 in one place to have that size inferred from the {numel} elements."
            )
    if shape.count(-1) > 1:
        raise ValueError(
            f"{op}(): shape {shape} has -1 in {shape.count(-1)} places, but only one size can "
            f"be inferred; give all but one of the sizes (the tensor has {numel} elements)."
        )


class Tensor(InPlaceUpdates):
    """A NumPy array that can record the operations applied to it, for reverse-mode autodiff.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`; Python floats become float32
    (the default dtype), Python ints int64; NumPy arrays keep their dtype.
    """

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self._data = to_array(_array(data), dtype)
        self._requires_grad = False
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self._version = [0]
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _wrap(data: np.ndarray, grad_fn: Any, requires_grad: bool, version: list[int]) -> Tensor:
        """Build a Tensor around an existing array, without copying: the ops' fast path."""
        t = Tensor.__new__(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._version = version
        return t

    # ---- attributes -----------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        value = _array(value)
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"Tensor.data: assign a NumPy array or a Tensor, not {type(value).__name__}."
            )
        if self._requires_grad:
            check_can_require_grad(value.dtype, "Tensor.data")
        self._data = value

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

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        shape = self._data.shape
        if dim is None:
            return shape
        if not shape:
            raise IndexError(f"size(): dim {dim!r} is out of range: a 0-d tensor (shape ()) has "
                             "no dimensions; call size() without a dim to get ().")
        return shape[self._dim(dim, "size")]

    def numel(self) -> int:
        return self._data.size

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

    def detach(self) -> Tensor:
        """The same data (shared memory) outside the graph."""
        return Tensor._wrap(self._data, None, False, self._version)

    def astype(self, dtype: Any) -> Tensor:
        dtype = as_dtype(dtype, "astype")
        if dtype == self._data.dtype:
            return self
        if dtype.kind not in "fc":  # integers and bools have no gradient: outside the graph
            return Tensor._wrap(self._data.astype(dtype), None, False, [0])
        return fn.Cast.apply(self, dtype)

    to = astype

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def clone(self) -> Tensor:
        return fn.Cast.apply(self, self._data.dtype)

    def contiguous(self) -> Tensor:
        return self

    # ---- autograd -------------------------------------------------------------------------
    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate the gradient of this tensor into every leaf's `.grad`."""
        engine.backward(self, gradient, retain_graph, create_graph)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's `.grad` after backward (leaves always keep theirs)."""
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)
        elif not self._requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad.")

    # ---- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _binary(fn.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(fn.Add, self, other, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(fn.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(fn.Sub, self, other, reverse=True)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(fn.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(fn.Mul, self, other, reverse=True)

    def __truediv__(self, other: Any) -> Tensor:
        return _true_divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _true_divide(self, other, reverse=True)

    def __pow__(self, exponent: Any) -> Tensor:
        return _binary(fn.Pow, self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return _binary(fn.Pow, self, base, reverse=True)

    def __mod__(self, other: Any) -> Tensor:
        return _binary(fn.Remainder, self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _binary(fn.Remainder, self, other, reverse=True)

    def __floordiv__(self, other: Any) -> Tensor:
        return _binary(fn.FloorDiv, self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _binary(fn.FloorDiv, self, other, reverse=True)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    def __neg__(self) -> Tensor:
        return fn.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return fn.Abs.apply(self)

    pow = __pow__
    matmul = __matmul__
    neg = __neg__
    remainder = __mod__  # Python's %: the result has the divisor's sign, as in PyTorch
    floor_divide = __floordiv__  # Python's //: rounds toward -inf; it has no gradient

    def add(self, other: Any) -> Tensor:
        return _binary(fn.Add, self, other)

    def sub(self, other: Any) -> Tensor:
        return _binary(fn.Sub, self, other)

    def mul(self, other: Any) -> Tensor:
        return _binary(fn.Mul, self, other)

    def div(self, other: Any) -> Tensor:
        return _true_divide(self, other)

    # Comparisons give bool tensors outside the graph.
    def _compare(self, op: Any, other: Any) -> Tensor:
        other = _array(other)
        try:
            result = op(self._data, other)
        except ValueError as err:
            raise function.op_error(op.__name__, (self._data, np.asarray(other)), err) from None
        except TypeError:  # NumPy's UFuncTypeError: an operand that is not numeric
            _check_numeric(op.__name__, self._data, other)
            raise
        return Tensor._wrap(np.asarray(result), None, False, [0])

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(np.greater_equal, other)

    __hash__ = object.__hash__

    # ---- elementwise math -----------------------------------------------------------------
    def exp(self) -> Tensor:
        return fn.Exp.apply(_floating(self))

    def log(self) -> Tensor:
        return fn.Log.apply(_floating(self))

    def sqrt(self) -> Tensor:
        return fn.Sqrt.apply(_floating(self))

    def abs(self) -> Tensor:
        if self._data.dtype.kind == "b":
            raise TypeError("abs(): not defined for bool tensors (as in PyTorch); convert "
                            "first, e.g. x.long().")
        return fn.Abs.apply(self)

    def sin(self) -> Tensor:
        return fn.Sin.apply(_floating(self))

    def cos(self) -> Tensor:
        return fn.Cos.apply(_floating(self))

    def tanh(self) -> Tensor:
        return fn.Tanh.apply(_floating(self))

    def sigmoid(self) -> Tensor:
        return fn.Sigmoid.apply(_floating(self))

    def relu(self) -> Tensor:
        return fn.ReLU.apply(self)

    def square(self) -> Tensor:
        return fn.Mul.apply(self, self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 (0 at NaN); in the graph with gradient 0, as in PyTorch."""
        data = self._data
        if data.dtype.kind == "b":  # NumPy has no sign for bool; PyTorch's is the identity
            return Tensor._wrap(data.copy(), None, False, [0])
        return fn.Sign.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clamp(): give at least one of min and max.")
        # The dtype PyTorch gives x op bound: an integer tensor with a float bound gives the
        # default float dtype, and a NumPy float64 scalar keeps a float32 tensor float32.
        x = self
        if min is not None:
            x, min = _promote(x, min, "clamp")
        if max is not None:
            x, max = _promote(x, max, "clamp")
        return fn.Clamp.apply(x, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return _binary(fn.Maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        return _binary(fn.Minimum, self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """`x.where(cond, y)` is `where(cond, x, y)`, as in PyTorch."""
        return where(condition, self, other)

    # ---- reductions -----------------------------------------------------------------------
    def _check_floating(self, op: str) -> None:
        """PyTorch refuses integers here (averages, softmax) rather than guess a dtype."""
        if self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"{op}(): input dtype {self._data.dtype} is not floating point, so the result's "
                "dtype is ambiguous; convert first, e.g. x.float()."
            )

    def _dims(self, dim: Any, axis: Any, op: str) -> tuple[int, ...]:
        """Normalise dim/axis (int, tuple, negative, None for all) to sorted non-negative ints."""
        if dim is not None and axis is not None:
            raise TypeError(f"{op}(): give dim or its alias axis, not both.")
        dim = axis if dim is None else dim
        ndim = self._data.ndim
        if dim is None:
            return tuple(range(ndim))
        if type(dim) is int or isinstance(dim, np.integer):
            dims: tuple[Any, ...] = (dim,)
        else:
            dims = tuple(dim) if isinstance(dim, (tuple, list)) else (None,)
            for d in dims:
                if type(d) is not int and not isinstance(d, np.integer):  # (refuses bool too)
                    raise TypeError(
                        f"{op}(): dim must be an int or a tuple of ints, got "
                        f"{type(dim).__name__} {dim!r}; e.g. {op}(dim=1) or {op}(dim=(0, 1)) "
                        "(None for all dims)."
                    )
        if not dims:  # dim=() reduces everything, as in PyTorch (NumPy's axis=() reduces nothing)
            return tuple(range(ndim))
        out = []
        for d in dims:
            if not -max(ndim, 1) <= d < max(ndim, 1):
                raise IndexError(
                    f"{op}(): dim {d} is out of range for a tensor of shape "
                    f"{self._data.shape}; use a dim in [{-max(ndim, 1)}, {max(ndim, 1) - 1}]."
                )
            out.append(int(d) % max(ndim, 1))
        if len(set(out)) != len(out):
            raise ValueError(f"{op}(): dim {dim} names a dimension twice.")
        return tuple(sorted(d for d in set(out) if d < ndim))

    def _dim(self, dim: Any, op: str) -> int:
        """One dim, for ops that take a single one (normalised; 0 for a 0-d tensor)."""
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{op}(): dim must be one int, got {dim!r}.")
        dims = self._dims(dim, None, op)
        return dims[0] if dims else 0

    def _reduce_as(self, dtype: Any, op: str, reduce: Callable[[Tensor], Tensor]) -> Tensor:
        """A reduction's `dtype=`, as in PyTorch: the input is cast first (through Cast, so
        the gradient comes back in the input's dtype), and the result is of `dtype` (NumPy
        would sum small integers in int64, and count bools rather than or them)."""
        dtype = as_dtype(dtype, f"{op}()")
        if op == "mean" and dtype.kind not in "fc":
            raise RuntimeError(f"mean(): dtype {dtype} is not floating point, so a mean cannot "
                               "be held in it (as in PyTorch); pass e.g. dtype=np.float32.")
        if dtype.kind not in "fc" and self._requires_grad and state.grad_enabled:
            raise RuntimeError(
                f"{op}(): dtype {dtype} cannot carry gradients, and this tensor requires grad "
                "(as in PyTorch); reduce in a floating dtype, or .detach() the tensor first."
            )
        return reduce(self.astype(dtype)).astype(dtype)

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            axis: Any = None, keepdims: bool | None = None) -> Tensor:
        """The sum over `dim` (all by default); `dtype` casts the input first, as in PyTorch."""
        if dtype is not None:
            return self._reduce_as(dtype, "sum", lambda t: t.sum(dim, keepdim, axis=axis,
                                                                 keepdims=keepdims))
        keep = keepdim if keepdims is None else keepdims
        return fn.Sum.apply(self, self._dims(dim, axis, "sum"), keep)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Any = None, keepdims: bool | None = None) -> Tensor:
        if dtype is not None:
            return self._reduce_as(dtype, "mean", lambda t: t.mean(dim, keepdim, axis=axis,
                                                                   keepdims=keepdims))
        keep = keepdim if keepdims is None else keepdims
        self._check_floating("mean")
        return fn.Mean.apply(self, self._dims(dim, axis, "mean"), keep)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:
        """Variance with Bessel's `correction` (1 by default; unbiased=False means 0)."""
        self._check_floating("var")
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = self._dims(dim, axis, "var")
        keep = keepdim if keepdims is None else keepdims
        count = int(np.prod([self._data.shape[d] for d in dims], dtype=np.int64))
        centered = self - fn.Mean.apply(self, dims, True)
        return fn.Sum.apply(centered * centered, dims, keep) / max(count - correction, 0)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:
        self._check_floating("std")
        dims = self._dims(dim, axis, "std")  # (so that a bad dim's error names std)
        return fn.StdFromVariance.apply(self.var(dims, unbiased, keepdim, correction=correction,
                                                 keepdims=keepdims))

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        keep = keepdim if keepdims is None else keepdims
        return fn.Amax.apply(self, self._nonempty(self._dims(dim, axis, "amax"), "amax"), keep)

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        keep = keepdim if keepdims is None else keepdims
        return fn.Amin.apply(self, self._nonempty(self._dims(dim, axis, "amin"), "amin"), keep)

    def _nonempty(self, dims: tuple[int, ...], op: str) -> tuple[int, ...]:
        if any(self._data.shape[d] == 0 for d in dims) or self._data.size == 0 and not dims:
            raise ValueError(
                f"{op}(): cannot reduce over an empty dimension (shape {self._data.shape}); "
                "the result has no identity element. Reduce a non-empty dim, or check that "
                "the batch is not empty."
            )
        return dims

    def _extremum_along(self, dim: Any, keepdim: bool, largest: bool) -> tuple[Tensor, Tensor]:
        op = "max" if largest else "min"
        d = self._dim(dim, op)
        if self._data.ndim == 0:  # like PyTorch: the value itself, at index 0
            return self.reshape(1)._extremum_along(0, False, largest)
        self._nonempty((d,), op)
        pick = np.argmax if largest else np.argmin
        idx = pick(self._data, axis=d, keepdims=True)
        # Gather through indexing, so the gradient goes only to the returned index.
        index = list(np.indices(idx.shape, sparse=True))
        index[d] = idx
        values = self[tuple(index)]
        if not keepdim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return values, Tensor._wrap(idx, None, False, [0])

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """max() reduces all (ties share the gradient); max(dim) returns (values, indices)
        with the gradient going to the returned index; max(other) is maximum(other)."""
        if dim is None:
            return self.amax()
        if isinstance(dim, (Tensor, np.ndarray)):
            return self.maximum(dim)
        return max_result(*self._extremum_along(dim, keepdim, largest=True))

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return self.amin()
        if isinstance(dim, (Tensor, np.ndarray)):
            return self.minimum(dim)
        return min_result(*self._extremum_along(dim, keepdim, largest=False))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the (first) largest element: of the flattened tensor when dim is None."""
        return self._arg_extremum(np.argmax, dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg_extremum(np.argmin, dim, keepdim, "argmin")

    def _arg_extremum(self, pick: Any, dim: Any, keepdim: bool, op: str) -> Tensor:
        if dim is None:  # over the flattened tensor; keepdim keeps every dim, with size 1
            self._nonempty(self._dims(None, None, op), op)
            idx = pick(self._data, keepdims=keepdim)
        else:
            d = self._dim(dim, op)
            if self._data.ndim:
                idx = pick(self._data, axis=self._nonempty((d,), op)[0], keepdims=keepdim)
            else:  # a 0-d tensor has no axis: its only element is at index 0
                idx = 0
        return Tensor._wrap(np.asarray(idx), None, False, [0])

    def logsumexp(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
                  keepdims: bool | None = None) -> Tensor:
        keep = keepdim if keepdims is None else keepdims
        return fn.LogSumExp.apply(_floating(self), self._dims(dim, axis, "logsumexp"), keep)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Any = None, keepdims: bool | None = None) -> Tensor:
        if dtype is not None:
            return self._reduce_as(dtype, "prod", lambda t: t.prod(dim, keepdim, axis=axis,
                                                                   keepdims=keepdims))
        keep = keepdim if keepdims is None else keepdims
        return fn.Prod.apply(self, self._dims(dim, axis, "prod"), keep)

    def softmax(self, dim: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `dim`, computed stably (finite at logits of 1e4)."""
        self._check_floating("softmax")
        if self._data.ndim == 0:
            return self.reshape(1).softmax(0).reshape(())
        d = self._dim(dim, "softmax")
        return fn.Softmax.apply(self, d)

    def log_softmax(self, dim: int = -1) -> Tensor:
        """x - logsumexp(x) along `dim`, computed stably."""
        self._check_floating("log_softmax")
        if self._data.ndim == 0:
            return self.reshape(1).log_softmax(0).reshape(())
        d = self._dim(dim, "log_softmax")
        return fn.LogSoftmax.apply(self, d)

    def all(self) -> bool:
        return bool(self._data.all())

    def any(self) -> bool:
        return bool(self._data.any())

    # ---- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape, "reshape")
        if min(shape, default=0) < 0:
            _check_new_shape(shape, self._data.size, "reshape")
        try:
            return fn.Reshape.apply(self, shape)
        except ValueError as err:
            raise ValueError(
                f"{err} The new shape must hold the same number of elements "
                f"({self._data.size}); put -1 in one place to have it inferred."
            ) from None

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        start, end = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        if start > end:
            raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for shape {shape}; pass start_dim <= end_dim.")
        middle = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return self.reshape(shape[:start] + (middle,) + shape[end + 1:])

    def squeeze(self, dim: Any = None) -> Tensor:
        shape = self._data.shape
        dims = self._dims(dim, None, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        ndim = self._data.ndim
        if not -ndim - 1 <= dim <= ndim:
            raise IndexError(
                f"unsqueeze(): dim {dim} is out of range for a tensor of shape "
                f"{self._data.shape}; use a dim in [{-ndim - 1}, {ndim}]."
            )
        dim = dim % (ndim + 1)
        shape = self._data.shape
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def permute(self, *dims: Any) -> Tensor:
        axes = _shape_arg(dims, "permute", "dims")
        if sorted(d % max(self.ndim, 1) for d in axes) != list(range(self.ndim)):
            raise ValueError(
                f"permute(): dims {axes} are not a permutation of the {self.ndim} dimensions "
                f"of a tensor of shape {self._data.shape}; name each dim 0..{self.ndim - 1} "
                "exactly once."
            )
        return fn.Permute.apply(self, tuple(d % self.ndim for d in axes))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        ndim = self._data.ndim
        if ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        d0, d1 = self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
        axes = list(range(ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return fn.Permute.apply(self, tuple(axes))

    swapaxes = transpose

    @property
    def T(self) -> Tensor:
        return fn.Permute.apply(self, tuple(reversed(range(self._data.ndim))))

    @property
    def mT(self) -> Tensor:
        if self._data.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self._data.shape}.")
        return self.transpose(-2, -1)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to `sizes` (-1 keeps a dimension), without copying."""
        sizes = _shape_arg(sizes, "expand")
        lead = len(sizes) - self._data.ndim
        shape = tuple(
            self._data.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes)
        )
        return self.broadcast_to(shape)

    def broadcast_to(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape, "broadcast_to")
        if shape == self._data.shape:
            return self
        try:
            return fn.Expand.apply(self, shape)
        except ValueError as err:
            raise ValueError(
                f"{err} Only dimensions of size 1 can be expanded (and new ones added in "
                "front); reshape or unsqueeze the tensor so its sizes line up from the right."
            ) from None

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        try:
            return fn.Getitem.apply(self, _normalize_index(index))
        except IndexError as err:
            raise IndexError(
                f"{err} Along a dimension of size n the valid indices are -n to n-1; use "
                "ints, slices, None, ..., or integer/boolean arrays."
            ) from None

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __setitem__(self, index: Any, value: Any) -> None:
        self._assign("__setitem__", _normalize_index(index), value)

    # ---- NumPy protocols: ufuncs and functions on Tensors build graph nodes ---------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from .interop import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from .interop import array_function

        return array_function(func, args, kwargs)

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


def _floating(t: Tensor) -> Tensor:
    """`t` for a float-valued function (exp, log, tanh, ...): integer and bool tensors become
    the default float dtype, as in PyTorch (NumPy would give float64, or float16 for bool)."""
    return t if t._data.dtype.kind in "fc" else t.astype(get_default_dtype())


def _binary(function: Any, t: Tensor, other: Any, reverse: bool = False) -> Tensor:
    """`function` applied to the Tensor `t` and `other` (in that order, or reversed), in the
    dtype PyTorch would give (`_promote`). This runs on every arithmetic operator, so the
    common cases (same dtype; a float tensor and a Python number) are decided in two checks."""
    if type(other) is Tensor:
        if other._data.dtype is not t._data.dtype:
            t, other = _promote(t, other, function.__name__.lower())
    elif type(other) not in (float, int) or t._data.dtype.kind != "f":
        t, other = _promote(t, other, function.__name__.lower())
    return function.apply(other, t) if reverse else function.apply(t, other)


def _true_divide(t: Tensor, other: Any, reverse: bool = False) -> Tensor:
    """`t / other` (or `other / t`). Integer and bool operands divide in the default float
    dtype, as in PyTorch (NumPy would give float64); a float operand decides as usual."""
    if t._data.dtype.kind in "iub" and np.asarray(_array(other)).dtype.kind in "iub":
        t = _floating(t)
    return _binary(fn.Div, t, other, reverse)


# PyTorch's type categories: an operand of a higher one decides the result's dtype.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    """Make NumPy compute `a (op) b` in the dtype PyTorch would give; refuse (naming `op`) an
    operand that is not numeric, such as a string or None.

    NumPy 2 widens more eagerly: float32 with an int64 array or with a NumPy float64 scalar
    gives float64, and an int array with a Python float gives float64. PyTorch keeps a tensor's
    dtype unless the other operand is of a higher category (bool < int < float), treats NumPy
    scalars like Python numbers, and does not let a 0-d operand widen a dimensioned one of the
    same category. Returns the operands, one of them cast where needed (through a Cast node if
    it needs grad)."""
    if isinstance(a, (list, tuple)):
        a = _list_operand(op, a)
    if isinstance(b, (list, tuple)):
        b = _list_operand(op, b)
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    a_array, b_array = isinstance(da, np.ndarray), isinstance(db, np.ndarray)
    if a_array and b_array:
        if da.dtype == db.dtype:
            return a, b
        ka, kb = _CATEGORY.get(da.dtype.kind), _CATEGORY.get(db.dtype.kind)
        if ka is None or kb is None:  # complex, or not numeric at all
            _check_numeric(op, da, db)
            return a, b
        if ka != kb:  # the lower category takes the higher one's dtype
            return (_cast(a, db.dtype), b) if ka < kb else (a, _cast(b, da.dtype))
        # A wider 0-d operand takes the dimensioned one's dtype.
        if da.ndim == 0 and db.ndim and da.dtype.itemsize > db.dtype.itemsize:
            return _cast(a, db.dtype), b
        if db.ndim == 0 and da.ndim and db.dtype.itemsize > da.dtype.itemsize:
            return a, _cast(b, da.dtype)
        return a, b
    if a_array and isinstance(db, _NUMBERS):
        a, b = _with_number(a, da, db)
    elif b_array and isinstance(da, _NUMBERS):
        b, a = _with_number(b, db, da)
    else:  # a complex number (NumPy decides), or something that is not a number
        _check_numeric(op, da, db)
    return a, b


_NUMBERS = (bool, int, float, np.number, np.bool_)


def _list_operand(op: str, values: list | tuple) -> np.ndarray:
    """A list operand, read as tensor() reads it (1.5 is the default float, not float64)."""
    try:
        return to_array(values, copy=False)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{op}(): the list operand: {err}") from None


def _check_numeric(op: str, *operands: Any) -> None:
    """Raise a TypeError naming `op` if an operand is not numeric (a string, None, an object
    array), instead of NumPy's UFuncTypeError from inside the op. Runs only on the slow paths
    (operands that are neither same-dtype arrays nor Python numbers)."""
    for i, value in enumerate(operands):
        try:
            kind = np.asarray(value).dtype.kind
        except ValueError:  # a ragged list: NumPy's own error says what is wrong
            continue
        if kind not in "biufc":
            others = [f"dtype {o.dtype}, shape {o.shape}" if isinstance(o, np.ndarray)
                      else type(o).__name__ for j, o in enumerate(operands) if j != i]
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise TypeError(
                f"{op}(): unsupported operand of type {type(value).__name__} ({shown}) for a "
                f"tensor ({'; '.join(others)}); use a number, a Tensor or a numeric array."
            )


def _with_number(x: Any, data: np.ndarray, number: Any) -> tuple[Any, Any]:
    """An array operand and a number: NumPy treats Python numbers as weakly typed (NEP 50),
    so only an integer or bool array with a float number needs the default float dtype."""
    if isinstance(number, np.generic):
        number = number.item()  # a NumPy scalar counts as a Python number, as in PyTorch
    if isinstance(number, float) and data.dtype.kind in "iub":
        return _cast(x, get_default_dtype()), number
    if isinstance(number, int) and not isinstance(number, bool) and data.dtype.kind == "b":
        return _cast(x, np.dtype(np.int64)), number
    return x, number


def _cast(x: Any, dtype: np.dtype) -> Any:
    return x.astype(dtype) if isinstance(x, Tensor) else np.asarray(x).astype(dtype)


def _normalize_index(index: Any) -> tuple[Any, ...]:
    """Make an index a tuple of NumPy index components; Tensors and lists become arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i._data
        elif isinstance(i, list):
            # An empty list selects nothing, as in PyTorch (NumPy makes it a float array).
            i = np.asarray(i) if i else np.empty(0, dtype=np.intp)
        if isinstance(i, np.ndarray) and i.dtype.kind not in "iub":
            raise IndexError(
                f"indexing: an index array must hold integers or booleans, got dtype {i.dtype}; "
                "convert it with .long() or .astype(np.int64)."
            )
        out.append(i)
    return tuple(out)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with np.matmul's rules (1-D, 2-D, batched with broadcast batch dims)."""
    sa, sb = np.shape(_array(a)), np.shape(_array(b))
    if not sa or not sb:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got shapes {sa} and {sb}; "
            "use * to multiply by a scalar."
        )
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not match: the last dimension of the first "
            f"({k_a}) must equal the {'only' if len(sb) == 1 else 'second-to-last'} dimension "
            f"of the second ({k_b}). Transpose one operand (e.g. .T) or check the layer sizes."
        )
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {sa} and {sb} do not broadcast; each "
            "pair of leading dims must be equal or 1 (reshape or unsqueeze an operand)."
        ) from None
    return fn.MatMul.apply(a, b)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of `input` where `condition` holds, else of `other`."""
    cond = np.asarray(_array(condition))
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)  # Python numbers take PyTorch's dtypes (1.0: the default float)
    return fn.Where.apply(cond, *_promote(input, other, "where"))


function.Tensor = Tensor
