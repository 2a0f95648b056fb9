"""Tensor constructors: tensor(), zeros/ones/full/eye/arange, random tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import DTypeError
from .device import check as check_device
from .dtypes import as_dtype, get_default_dtype
from .random import draw_from
from .autograd.grad_mode import switches
from .autograd.tensor_core import Tensor, array_of, untracked
from .autograd.watch import refuse_user_array
from .ops.args import shape_arg


def tensor(data: Any, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (same rules as `Tensor(...)`)."""
    check_device(device, "tensor()")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy), like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}.")
    if switches.watch:
        refuse_user_array(array)
    return untracked(array)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = untracked(array)
    return t.requires_grad_() if requires_grad else t


def _size(size: Any, op: str) -> tuple[int, ...]:
    """The requested shape, refusing non-integer and negative sizes with a message naming the
    call. `size` is the tuple of positional sizes (zeros(2, 3)) or the one size argument
    (full((2, 3), v), randint(0, 5, (4,)); a bare number there is a 1-d size)."""
    shape = shape_arg(size if isinstance(size, (tuple, list)) else (size,), op)
    if any(n < 0 for n in shape):
        raise ValueError(
            f"{op}(): size {shape} has a negative dimension; sizes must be >= 0 (0 gives an "
            "empty tensor)."
        )
    return shape


def _float(dtype: Any, who: str = "tensor()") -> np.dtype:
    return get_default_dtype() if dtype is None else as_dtype(dtype, who)


def _floating_only(dtype: np.dtype, who: str) -> np.dtype:
    if dtype.kind != "f":
        raise TypeError(f"{who}: samples need a floating dtype, got {dtype}; use randint() for "
                        "integers, or pass dtype=np.float32 / np.float64.")
    return dtype


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros()")
    return _new(np.zeros(_size(size, "zeros"), dtype=_float(dtype, "zeros()")), requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    check_device(device, "ones()")
    return _new(np.ones(_size(size, "ones"), dtype=_float(dtype, "ones()")), requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of `size` with unspecified values (zeros here: NumPy's empty would show
    whatever memory held, which makes bugs irreproducible)."""
    check_device(device, "empty()")
    return _new(np.zeros(_size(size, "empty"), dtype=_float(dtype, "empty()")), requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    check_device(device, "full()")
    dtype = (np.asarray(Tensor(fill_value)._data).dtype if dtype is None
             else as_dtype(dtype, "full()"))
    return _new(np.full(_size(size, "full"), fill_value, dtype=dtype), requires_grad)


def _like(t: Any, dtype: Any, device: Any, who: str) -> np.ndarray:
    check_device(device, who)
    like = np.asarray(array_of(t))
    return like.shape, (like.dtype if dtype is None else as_dtype(dtype, who))


def zeros_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, device, "zeros_like()")
    return _new(np.zeros(shape, dtype=dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, device, "ones_like()")
    return _new(np.ones(shape, dtype=dtype), requires_grad)


def empty_like(t: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, device, "empty_like()")
    return _new(np.zeros(shape, dtype=dtype), requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, device, "full_like()")
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    check_device(device, "eye()")
    _size((n,) if m is None else (n, m), "eye")
    return _new(np.eye(n, m, dtype=_float(dtype, "eye()")), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like torch.arange: int64 for integer arguments, the default float dtype otherwise."""
    check_device(device, "arange()")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError(f"arange(): step must be non-zero, got {step!r} (start={start!r}, "
                         f"end={end!r}); use a positive step to count up, a negative one down.")
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else get_default_dtype()
    return _new(values.astype(as_dtype(dtype, "arange()")), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    check_device(device, "linspace()")
    if type(steps) is not int or steps < 0:
        raise ValueError(f"linspace(): steps must be a non-negative int, got {steps!r}.")
    dtype = np.dtype(_float(dtype, "linspace()"))
    if dtype.kind == "b":
        raise DTypeError("linspace(): cannot make bool values; use a numeric dtype and compare.")
    if dtype.kind in "iu":  # PyTorch truncates toward 0 (NumPy's integer linspace floors)
        return _new(np.trunc(np.linspace(start, end, steps)).astype(dtype), requires_grad)
    return _new(np.linspace(start, end, steps, dtype=dtype), requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples from the generator seeded by manual_seed."""
    check_device(device, "randn()")
    dtype = _floating_only(_float(dtype, "randn()"), "randn()")
    rng = draw_from(generator)
    return _new(rng.standard_normal(_size(size, "randn")).astype(dtype), requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1) from the generator seeded by manual_seed."""
    check_device(device, "rand()")
    dtype = _floating_only(_float(dtype, "rand()"), "rand()")
    rng = draw_from(generator)
    return _new(rng.random(_size(size, "rand")).astype(dtype), requires_grad)


def randint(low: int, high: Any = None, size: Sequence[int] | None = None,
            dtype: Any = np.int64, device: Any = None,
            generator: np.random.Generator | None = None) -> Tensor:
    """Integers in [low, high); randint(high, size) draws from [0, high), as in PyTorch."""
    check_device(device, "randint()")
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint(): give a size, e.g. randint(0, 10, (3,)) or "
                        "randint(10, (3,)).")
    for name, bound in (("low", low), ("high", high)):
        if type(bound) is not int and not isinstance(bound, np.integer):
            raise TypeError(f"randint(): {name} must be an int, got {bound!r}.")
    if high <= low:
        raise ValueError(f"randint(): the range [{low}, {high}) is empty; high must be "
                         "greater than low.")
    rng = draw_from(generator)
    values = rng.integers(low, high, size=_size(size, "randint"))
    return _new(values.astype(as_dtype(dtype, "randint()")), False)
