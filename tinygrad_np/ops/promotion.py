"""PyTorch's dtype rules for an op's operands, on top of NumPy's.

Every binary op and float function runs its operands through here before its primitive, so
that results have the dtype PyTorch gives (NumPy 2 would often widen more)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor, array_of
from ..dtypes import get_default_dtype, to_array


def floating(t: Tensor) -> Tensor:
    """`t` for a float-valued function (exp, log, tanh, ...): integer and bool tensors become
    the default float dtype, as in PyTorch (NumPy would give float64, or float16 for bool)."""
    return t if t._data.dtype.kind in "fc" else t.astype(get_default_dtype())


_HALF, _BOOL = np.dtype(np.float16), np.dtype(np.bool_)


def binary(function: Any, t: Tensor, other: Any, reverse: bool = False) -> Tensor:
    """`function` applied to the Tensor `t` and `other` (in that order, or reversed), in the
    dtype PyTorch would give (`promote`). This runs on every arithmetic operator, so the
    common cases (same dtype; a float tensor and a Python number) are decided in two checks."""
    if type(other) is Tensor:
        # (two bool tensors go through promote too: it refuses their subtraction)
        if other._data.dtype is not t._data.dtype or t._data.dtype is _BOOL:
            t, other = promote(t, other, function.__name__.lower())
    elif type(other) not in (float, int) or t._data.dtype.kind != "f":
        t, other = promote(t, other, function.__name__.lower())
    elif t._data.dtype is _HALF:
        return _half_with_number(function, t, other, reverse)
    return function.apply(other, t) if reverse else function.apply(t, other)


def _half_with_number(function: Any, t: Tensor, other: float, reverse: bool) -> Tensor:
    """A float16 tensor with a Python number, computed in float32 and rounded once, as
    PyTorch's CPU kernels do: the number itself may not fit float16 (x / 1e30 is x * 1e-30,
    not x / inf)."""
    wide = t.float()
    out = function.apply(other, wide) if reverse else function.apply(wide, other)
    return out.half()


def true_divide(function: Any, t: Tensor, other: Any, reverse: bool = False) -> Tensor:
    """`t / other` (or `other / t`) by `function` (Div). Integer and bool operands divide in
    the default float dtype, as in PyTorch (NumPy would give float64); a float operand
    decides as usual."""
    if t._data.dtype.kind in "iub" and dtype_of(other).kind in "iub":
        t = floating(t)
    return binary(function, t, other, reverse)


def power(function: Any, t: Tensor, other: Any, reverse: bool = False) -> Tensor:
    """`t ** other` (or `other ** t`) by `function` (Pow). An integer tensor to a negative
    Python integer is refused, as in PyTorch: the result would round to 0 almost everywhere
    (a negative integer *tensor* as exponent is computed, rounded toward 0, as PyTorch does)."""
    kind = t._data.dtype.kind
    if not reverse and type(other) is int and other < 0 and kind in "iub":
        raise RuntimeError(f"pow: an integer tensor ({t._data.dtype}) to the negative integer "
                           f"power {other} is not allowed (as in PyTorch); use floats: "
                           f"x.float() ** {other}.")
    if not reverse and kind in "iu" and type(other) is int and not (
            np.iinfo(t._data.dtype).min <= other <= np.iinfo(t._data.dtype).max):
        raise RuntimeError(f"pow: the exponent {other} does not fit this {t._data.dtype} "
                           "tensor's dtype (as in PyTorch); convert first, e.g. x.long().")
    if kind == "b" and (reverse and type(other) is bool or isinstance(other, Tensor)
                        and other._data.dtype == np.bool_):
        raise TypeError("pow: not defined between two bool tensors (as in PyTorch); convert "
                        "one first, e.g. x.long() ** y.")
    return binary(function, t, other, reverse)


def refuse_bool_subtraction(t: Any, other: Any, op: str) -> None:
    """Refuse a subtraction with a bool operand, as PyTorch: True - True would be an int or a
    wrapped bool, and `~x` is what was meant. (Called from promote, the slow path, which
    every such subtraction takes.)"""
    if _is_bool(t) or _is_bool(other):
        raise TypeError(f"{op}: subtraction with a bool operand is not supported (as in "
                        "PyTorch); to invert a mask use ~x or x.logical_not(), else convert "
                        "first, e.g. x.long().")


def _is_bool(x: Any) -> bool:
    """A Python bool or a bool tensor/array (a NumPy bool scalar counts as a number, as in
    PyTorch)."""
    meta = _array_meta(x)
    return type(x) is bool or (meta is not None and meta[0] == _BOOL)


def dtype_of(x: Any) -> np.dtype:
    """The dtype of a Tensor or an array, or of what np.asarray makes of anything else."""
    meta = _array_meta(x)
    return meta[0] if meta is not None else np.asarray(x).dtype


def _array_meta(x: Any) -> tuple[np.dtype, int] | None:
    """(dtype, ndim) of a Tensor or an array; None for anything else (a number, a list). Only
    these, never values: a captured step (tinygrad_np.compile) reruns the ops, not this."""
    if isinstance(x, Tensor):
        return x._data.dtype, x._data.ndim
    if isinstance(x, np.ndarray):
        return x.dtype, x.ndim
    return None


# PyTorch's type categories: an operand of a higher one decides the result's dtype.
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    """Make NumPy compute `a (op) b` in the dtype PyTorch would give; refuse (naming `op`) an
    operand that is not numeric, such as a string or None.

    NumPy 2 widens more eagerly: float32 with an int64 array or with a NumPy float64 scalar
    gives float64, and an int array with a Python float gives float64. PyTorch keeps a tensor's
    dtype unless the other operand is of a higher category (bool < int < float), treats NumPy
    scalars like Python numbers, and does not let a 0-d operand widen a dimensioned one of the
    same category. Returns the operands, one of them cast where needed (through a Cast node if
    it needs grad)."""
    if op == "sub":
        refuse_bool_subtraction(a, b, op)
    if isinstance(a, (list, tuple)):
        a = _list_operand(op, a)
    if isinstance(b, (list, tuple)):
        b = _list_operand(op, b)
    meta_a, meta_b = _array_meta(a), _array_meta(b)
    if meta_a is not None and meta_b is not None:
        (ta, na), (tb, nb) = meta_a, meta_b
        if ta == tb:
            return a, b
        ka, kb = CATEGORY.get(ta.kind), CATEGORY.get(tb.kind)
        if ka is None or kb is None:  # complex, or not numeric at all
            check_numeric(op, array_of(a), array_of(b))
            return a, b
        if ka != kb:  # the lower category takes the higher one's dtype
            return (cast(a, tb), b) if ka < kb else (a, cast(b, ta))
        # A wider 0-d operand takes the dimensioned one's dtype.
        if na == 0 and nb and ta.itemsize > tb.itemsize:
            return cast(a, tb), b
        if nb == 0 and na and tb.itemsize > ta.itemsize:
            return a, cast(b, ta)
        return a, b
    if meta_a is not None and isinstance(b, _NUMBERS):
        a, b = _with_number(a, meta_a[0], b)
    elif meta_b is not None and isinstance(a, _NUMBERS):
        b, a = _with_number(b, meta_b[0], a)
    else:  # a complex number (NumPy decides), or something that is not a number
        check_numeric(op, array_of(a), array_of(b))
    return a, b


_NUMBERS = (bool, int, float, np.number, np.bool_)


def _list_operand(op: str, values: list | tuple) -> np.ndarray:
    """A list operand, read as tensor() reads it (1.5 is the default float, not float64)."""
    try:
        return to_array(values, copy=False)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{op}(): the list operand: {err}") from None


def check_numeric(op: str, *operands: Any) -> None:
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


def _with_number(x: Any, dtype: np.dtype, number: Any) -> tuple[Any, Any]:
    """An array operand (of `dtype`) and a number: NumPy treats Python numbers as weakly typed
    (NEP 50), so only an integer or bool array with a float number needs the default float
    dtype."""
    if isinstance(number, np.generic):
        number = number.item()  # a NumPy scalar counts as a Python number, as in PyTorch
    if isinstance(number, float) and dtype.kind in "iub":
        return cast(x, get_default_dtype()), number
    if isinstance(number, int) and not isinstance(number, bool) and dtype.kind == "b":
        return cast(x, np.dtype(np.int64)), number
    if type(number) is int and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= number <= info.max:  # wrapped into the dtype, as PyTorch does
            return x, np.array(number).astype(dtype)
    return x, number


def cast(x: Any, dtype: np.dtype) -> Any:
    return x.astype(dtype) if isinstance(x, Tensor) else np.asarray(x).astype(dtype)

