"""LBFGS's state in state dicts: copying it out (`pack`) and checking it back in (`unpack`).

LBFGS keeps one state for the whole run, stored under its first parameter as PyTorch does:

    func_evals, n_iter      counts over all steps so far (ints)
    d, t                    the last search direction (flat) and step length
    old_dirs, old_stps      the remembered gradient changes y and steps s (lists of flat vectors)
    ro                      1 / (y . s) for each remembered pair
    H_diag                  the scale of the initial inverse Hessian, (y . s) / (y . y)
    prev_flat_grad, prev_loss   the gradient and loss where the last iteration started
    al                      the two-loop recursion's coefficients (a list, None where unused)

Vectors are Tensors and scalars NumPy scalars (or Python numbers) in memory; a state dict holds
copies, with NumPy scalars as 0-d Tensors so that `save` stores them with their dtype and a
float32 run resumes bit for bit.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor

COUNT_KEYS = ("func_evals", "n_iter")
VECTOR_KEYS = ("d", "prev_flat_grad")
VECTOR_LIST_KEYS = ("old_dirs", "old_stps")
SCALAR_KEYS = ("t", "H_diag", "prev_loss")
SCALAR_LIST_KEYS = ("ro", "al")
STATE_KEYS = COUNT_KEYS + VECTOR_KEYS + VECTOR_LIST_KEYS + SCALAR_KEYS + SCALAR_LIST_KEYS
# What an iteration leaves behind; a state has all of these or none (before the first one).
RUN_KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


def pack(value: Any) -> Any:
    """A copy of a state value that shares no memory with the optimizer's."""
    if isinstance(value, Tensor):
        return Tensor(value._data)
    if isinstance(value, np.generic):
        return Tensor(np.asarray(value))
    if isinstance(value, (list, tuple)):
        return [pack(v) for v in value]
    return value


def unpack(entry: Mapping[str, Any], numel: int, dtype: np.dtype, where: str) -> dict[str, Any]:
    """Check a saved LBFGS state against parameters of `numel` elements in all; return it in
    the optimizer's in-memory form (copies, vectors cast to `dtype`)."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a dict.")
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in STATE_KEYS:
            raise KeyError(f"{where} has an unexpected entry {key!r}; LBFGS keeps "
                           f"{list(STATE_KEYS)} (was it saved from another optimizer?).")
        if value is None:
            continue
        what = f"{where} {key!r}"
        if key in COUNT_KEYS:
            out[key] = _count(value, what)
        elif key in VECTOR_KEYS:
            out[key] = _vector(value, numel, dtype, what)
        elif key in VECTOR_LIST_KEYS:
            out[key] = [_vector(v, numel, dtype, f"{what}[{i}]")
                        for i, v in enumerate(_as_list(value, what))]
        elif key in SCALAR_KEYS:
            out[key] = _scalar(value, what)
        else:  # ro, al
            out[key] = [None if v is None and key == "al" else _scalar(v, f"{what}[{i}]")
                        for i, v in enumerate(_as_list(value, what))]
    present = [k for k in RUN_KEYS if k in out]
    if present and len(present) != len(RUN_KEYS):
        missing = [k for k in RUN_KEYS if k not in out]
        raise KeyError(f"{where} has {present} but lacks {missing}; LBFGS needs all of them "
                       "to resume the run exactly.")
    if present:
        n = len(out["old_dirs"])
        if len(out["old_stps"]) != n or len(out["ro"]) != n:
            raise ValueError(f"{where}: 'old_dirs', 'old_stps' and 'ro' must have the same "
                             f"length, got {n}, {len(out['old_stps'])} and {len(out['ro'])}.")
    return out


def _as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, got a {type(value).__name__}.")
    return list(value)


def _count(value: Any, what: str) -> int:
    arr = value._data if isinstance(value, Tensor) else np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "iu" or arr < 0:
        raise ValueError(f"{what} must be a non-negative whole number, got {value!r}.")
    return int(arr)


def _vector(value: Any, numel: int, dtype: np.dtype, what: str) -> Tensor:
    arr = value._data if isinstance(value, Tensor) else np.asarray(value)
    if arr.shape != (numel,) or arr.dtype.kind not in "fiu":
        raise ValueError(
            f"{what} has shape {arr.shape} and dtype {arr.dtype}, but the parameters have "
            f"{numel} elements in all; the state dict belongs to other parameters."
        )
    return Tensor(arr.astype(dtype))  # a copy


def _scalar(value: Any, what: str) -> Any:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    arr = value._data if isinstance(value, Tensor) else np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "fiu":
        raise ValueError(f"{what} must be a number, got {value!r}.")
    return arr[()]  # a NumPy scalar of the saved dtype
