"""Tensor constructors: tensor(), zeros/ones/full/eye/arange, random tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .dtypes import get_default_dtype
from .random import default_generator
from .autograd.tensor_core import Tensor, array_of, untracked
from .ops.args import shape_arg


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (same rules as `Tensor(...)`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy), like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}.")
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


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size, "zeros"), dtype=_float(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_size(size, "ones"), dtype=_float(dtype)), requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = np.asarray(Tensor(fill_value)._data).dtype
    return _new(np.full(_size(size, "full"), fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    like = np.asarray(array_of(t))
    return _new(np.zeros(like.shape, dtype=dtype or like.dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    like = np.asarray(array_of(t))
    return _new(np.ones(like.shape, dtype=dtype or like.dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    _size((n,) if m is None else (n, m), "eye")
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like torch.arange: int64 for integer arguments, the default float dtype otherwise."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError(f"arange(): step must be non-zero, got {step!r} (start={start!r}, "
                         f"end={end!r}); use a positive step to count up, a negative one down.")
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else get_default_dtype()
    return _new(values.astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _new(np.linspace(start, end, steps, dtype=_float(dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples from the generator seeded by manual_seed."""
    rng = generator or default_generator()
    return _new(rng.standard_normal(_size(size, "randn")).astype(_float(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False,
         generator: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1) from the generator seeded by manual_seed."""
    rng = generator or default_generator()
    return _new(rng.random(_size(size, "rand")).astype(_float(dtype)), requires_grad)


def randint(low: int, high: int, size: Sequence[int], dtype: Any = np.int64,
            generator: np.random.Generator | None = None) -> Tensor:
    rng = generator or default_generator()
    return _new(rng.integers(low, high, size=_size(size, "randint")).astype(dtype), False)
