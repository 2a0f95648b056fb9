"""Tensor constructors: tensor(), zeros/ones/full/eye/arange, random tensors, cat and stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import functions as fn
from .dtypes import get_default_dtype
from .random import default_generator
from .tensor import _CATEGORY, Tensor, _cast, _shape_arg


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (same rules as `Tensor(...)`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy), like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}.")
    return Tensor._wrap(array, None, False, [0])


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(array, None, False, [0])
    return t.requires_grad_() if requires_grad else t


def _size(size: Any, op: str) -> tuple[int, ...]:
    """The requested shape, refusing non-integer and negative sizes with a message naming the
    call. `size` is the tuple of positional sizes (zeros(2, 3)) or the one size argument
    (full((2, 3), v), randint(0, 5, (4,)); a bare number there is a 1-d size)."""
    shape = _shape_arg(size if isinstance(size, (tuple, list)) else (size,), op)
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
    return _new(np.zeros(np.shape(t), dtype=dtype or np.asarray(t).dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(np.shape(t), dtype=dtype or np.asarray(t).dtype), requires_grad)


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


def _tensor_list(tensors: Any, op: str) -> list[Any]:
    """cat's and stack's `tensors`: a non-empty sequence. A single Tensor (or array) is
    refused, as in PyTorch, rather than iterated over its rows."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(
            f"{op}(): expected a sequence of tensors, got a single {type(tensors).__name__} of "
            f"shape {np.shape(tensors)}; pass a list or tuple, e.g. {op}([a, b]) (to join a "
            f"tensor's rows, {op}(list(t)))."
        )
    try:
        tensors = list(tensors)
    except TypeError:
        raise TypeError(f"{op}(): expected a sequence of tensors, got "
                        f"{type(tensors).__name__}; pass a list or tuple, e.g. {op}([a, b]).") \
            from None
    if not tensors:
        raise ValueError(f"{op}(): expected a non-empty sequence of tensors.")
    return tensors


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension; all other dimensions must match."""
    tensors = _tensor_list(tensors, "cat")
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    shapes = [a.shape for a in arrays]
    ndim = len(shapes[0])
    if ndim == 0 or not -ndim <= dim < ndim:
        raise IndexError(f"cat(): dim {dim} is out of range for tensors of shapes {shapes}; "
                         f"use a dim in [-{max(ndim, 1)}, {max(ndim, 1) - 1}] (stack() adds "
                         "a new one).")
    d = dim % ndim
    for s in shapes:
        if len(s) != ndim or s[:d] + s[d + 1:] != shapes[0][:d] + shapes[0][d + 1:]:
            raise ValueError(
                f"cat(): shapes {shapes} differ outside dim {dim}; every tensor must have the "
                "same size in all other dimensions."
            )
    dtype = _joined_dtype([a.dtype for a in arrays])
    tensors = [t if a.dtype == dtype else _cast(t, dtype) for t, a in zip(tensors, arrays)]
    return fn.Cat.apply(d, *tensors)


def _joined_dtype(dtypes: list[np.dtype]) -> np.dtype:
    """PyTorch's dtype for tensors joined together: the highest category (bool < int < float)
    decides, and within it the widest dtype (NumPy would make int64 and float32 float64)."""
    top = max(_CATEGORY.get(d.kind, 3) for d in dtypes)
    return np.result_type(*[d for d in dtypes if _CATEGORY.get(d.kind, 3) == top])


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join along a new dimension; all tensors must have the same shape."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in _tensor_list(tensors, "stack")]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack(): all tensors must have the same shape, got {sorted(shapes)}.")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim % (tensors[0].ndim + 1))
