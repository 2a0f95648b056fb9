"""The dtype policy: float32 by default, NumPy dtypes kept, only floats can require grad."""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_

_default = {"float": np.dtype(np.float32)}


def get_default_dtype() -> np.dtype:
    return _default["float"]


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats and float lists become (float32 unless changed)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}.")
    _default["float"] = dt


def as_dtype(dtype: Any, who: str) -> np.dtype:
    """`np.dtype(dtype)`, with an error naming the call when NumPy does not know it."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{who}: {dtype!r} is not a dtype; pass a NumPy dtype such as np.float32, "
            "np.float64, np.int64 or a name like 'float32'."
        ) from None
    if dt.kind not in "biufc":
        raise TypeError(
            f"{who}: dtype {dt} is not numeric; tensors hold bools, integers, floats or "
            "complex numbers (e.g. np.float32, np.int64)."
        )
    return dt


def to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Convert `data` to an ndarray the way torch.tensor does.

    Python floats (and lists of them) become the default float dtype, Python ints int64,
    bools bool; NumPy arrays and scalars keep their dtype unless `dtype` is given.
    """
    if dtype is not None:
        return np.array(data, dtype=as_dtype(dtype, "tensor()"), copy=copy)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data, copy=copy)
    try:
        arr = np.asarray(data)
    except ValueError:
        raise ValueError(
            "tensor(): the nested lists have different lengths; every row of a tensor needs "
            "the same number of elements (pad them, or make separate tensors)."
        ) from None
    if arr.dtype == np.float64:
        return arr.astype(_default["float"], copy=False)
    if arr.dtype.kind in "iu":
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise OverflowError(
                "tensor(): an integer is beyond int64's range (PyTorch's integer default); "
                "pass dtype=np.uint64, or use floats."
            )
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind not in "fcb":
        raise TypeError(
            f"tensor(): cannot make a tensor from {type(data).__name__} data (NumPy dtype "
            f"{arr.dtype}); pass numbers, nested lists of numbers, or a NumPy array."
        )
    return arr


def check_can_require_grad(dtype: np.dtype, who: str = "requires_grad") -> None:
    if dtype.kind == "c":
        raise TypeError(
            f"{who}: complex tensors cannot require gradients here (dtype {dtype}): "
            "tinygrad_np does not implement PyTorch's conjugate Wirtinger calculus, and a "
            "real-valued rule would give wrong gradients. Differentiate the real and imaginary "
            "parts as two float tensors instead."
        )
    if dtype.kind not in "fc":
        raise TypeError(
            f"{who}: only floating-point tensors can require gradients, but this tensor's "
            f"dtype is {dtype}; create it with dtype=np.float32 (or np.float64), or call "
            ".float() first."
        )
