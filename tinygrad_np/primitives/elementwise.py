"""Elementwise arithmetic and math. Each backward returns output-shaped gradients; the engine
sums broadcast dimensions back to each input's shape."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Cast(Function):
    """Convert the dtype (a copy); the engine casts the gradient back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        # Only what the wanted gradients read, as in PyTorch: x * c for a constant c keeps no
        # reference to x (which may then change in place), and notes no version for it.
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    """d(a/b) = da / b - a db / b^2 = (da - (a/b) db) / b"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # as Mul
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # -grad a / b^2 as -grad ((a / b) / b), as PyTorch: neither b * b (0 below 1e-154,
        # inf above 1e154) nor grad * a (inf for large operands of a moderate a / b) is formed.
        return (grad / b if need_a else None), (-grad * ((a / b) / b) if need_b else None)


def _check_division(op: str, a, b) -> None:
    """Refuse what PyTorch refuses and NumPy would answer: an integer division by zero (NumPy
    gives 0 with a warning) and two bool operands (NumPy computes in int8)."""
    kind = np.result_type(a, b).kind
    if kind == "b":
        raise TypeError(f"{op}: not defined for two bool operands (as in PyTorch); convert "
                        "one first, e.g. x.long().")
    if kind in "iu" and not np.all(b) and np.size(a) and np.size(b):  # (empty: no division)
        raise RuntimeError(
            f"{op}: integer division by zero (ZeroDivisionError, as in PyTorch); the divisor "
            "has zeros. Remove them, or divide in floating point (x.float()) to get inf/NaN."
        )


class Remainder(Function):
    """remainder(a, b) = a - b floor(a / b), with b's sign (Python's %, torch.remainder).
    d/da = 1;  d/db = -floor(a / b), which is piecewise constant: saved as a constant, so that
    under create_graph its own derivative is 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        _check_division("remainder", a, b)
        if ctx.needs_input_grad[1]:
            # PyTorch's d/db is -floor_divide(a, b), which can differ from -floor(a / b) by 1
            # where a / b rounds to an integer; divmod gives it with the remainder, in one pass.
            quotient, out = np.divmod(a, b)
            ctx.save_for_backward(quotient)
        else:
            out = np.remainder(a, b)
        if out.dtype.kind == "f":
            # PyTorch's zero result has a's sign (it starts from fmod); NumPy's has b's.
            out = np.where(out == 0, np.copysign(out, a), out)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_b = ctx.needs_input_grad[1]
        return grad, (-grad * ctx.saved_tensors[0] if need_b else None)


class FloorDiv(Function):
    """floor(a / b), rounded toward -inf like Python's // (torch.floor_divide). Like PyTorch,
    the result of operands that require grad is in the graph, but a backward through it raises:
    PyTorch defines no derivative for it."""

    @staticmethod
    def forward(ctx, a, b):
        _check_division("floor_divide", a, b)
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "floor_divide: derivative for floor_divide is not implemented (as in PyTorch); "
            "divide detached operands (a.detach() // b.detach()) to use the result as a "
            "constant."
        )


class Sign(Function):
    """sign(a) in {-1, 0, 1}, and 0 at NaN as in PyTorch (NumPy gives NaN). Its derivative is
    0 wherever it exists; like PyTorch's SignBackward, the gradient is zeros everywhere."""

    @staticmethod
    def forward(ctx, a):
        out = np.sign(a)
        if out.dtype.kind == "f":
            out = np.where(np.isnan(out), 0, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # A constant: also under create_graph, where the gradient of zeros is zero.
        return np.zeros(ctx.out_shape, ctx.out_dtype)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """d(a^b) = b a^(b-1) da + a^b log(a) db   (the db term is 0 where a = 0, like PyTorch)"""

    @staticmethod
    def forward(ctx, a, b):
        # The inputs, not the output, as PyTorch: a later in-place change of the output
        # (y = x ** 2; y.add_(1)) must not invalidate this node.
        ctx.save_for_backward(a, b)
        if type(a) is np.ndarray and a.dtype == np.bool_ and np.asarray(b).dtype == np.bool_:
            return a | ~np.asarray(b)  # PyTorch keeps bool ** bool a bool (NumPy: int8)
        try:
            return _power(a, b)
        except ValueError:  # NumPy refuses integers to negative integer powers
            return _integer_power(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = None
        if need_a:
            # (PyTorch's order: grad * b overflows sooner; and its rounding of a^(b-1))
            grad_a = grad * (b * _power(a, _exponent_less_one(a, b)))
        grad_b = None
        if need_b:
            zero = np.asarray(a) == 0
            log_a = np.log(np.where(zero, 1, a))
            # At a = 0, PyTorch's convention: the db term is 0 where b >= 0 (a^b is 0 or 1),
            # and a^b * log(0) = inf * -inf = -inf where b < 0 (a^b is inf).
            below = zero & (np.asarray(b) < 0)
            if below.any():
                log_a = np.where(below, -np.inf, log_a)
            grad_b = grad * a**b * log_a
        return grad_a, grad_b


def _exponent_less_one(a, b):
    """b - 1, the exponent of the da term b a^(b-1). Where b = 0 the term is 0, but where
    a^-1 is inf (a = 0, a subnormal) or NaN, 0 * a^-1 is NaN: the exponent is bumped to 0 at
    exactly those points (elsewhere b a^(b-1) stays, so that its derivative in b, a^-1 at
    b = 0, is right). Under create_graph (Tensors) also where a^-2, in the second
    derivative, overflows: there d2/da db is 1 rather than 1/a (above 1e154)."""
    if type(b) in (int, float) and b != 0:  # the common x ** 2: nothing to bump, no scan
        return b - 1
    a_, b_ = np.asarray(a), np.asarray(b)
    info = np.finfo(a_.dtype if a_.dtype.kind == "f" else np.float64)
    bound = info.tiny if type(a) is np.ndarray else float(info.max) ** -0.5
    overflow = (b_ == 0) & ~(np.abs(a_) >= bound)
    return b - 1 + overflow if overflow.any() else b - 1


# PyTorch's CPU kernel computes a float tensor to these exponents (a number, not a tensor) by
# multiplication, division or a square root rather than by pow, and the rounding differs:
# (x * x) * x differs from NumPy's x ** 3 by an ulp in a quarter of float32 values, enough to
# move the step at which a training loop's loss first crosses a threshold. (Other exponents
# go to its vectorised pow, SLEEF's, whose rounding NumPy's power does not reproduce.)
_POWER_FORMULAS = {
    2: lambda a: a * a,
    3: lambda a: a * a * a,
    -1: lambda a: 1 / a,
    -2: lambda a: 1 / (a * a),
    0.5: np.sqrt,
    # Also PyTorch's values at -0 and -inf (-inf and NaN; C's pow gives inf and 0).
    -0.5: lambda a: 1 / np.sqrt(a),
}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # (float16 is computed in float32)


def _power(a, b):
    """a ** b, rounded as PyTorch rounds it: by `_POWER_FORMULAS` for a float array and a
    Python number there, else NumPy's power (a Tensor `a` runs Pow, which comes back here)."""
    if type(b) in (int, float) and type(a) is np.ndarray and a.dtype in _FLOATS:
        formula = _POWER_FORMULAS.get(b)  # (2.0 finds 2: equal numbers hash alike)
        if formula is not None:
            return formula(a)
    return a**b


def _integer_power(a, b):
    """Integers to integer powers, negative ones included, as PyTorch computes them: a^b
    rounded toward 0 (2^-1 = 0, (-1)^-3 = -1), and 0 to a negative power 0 (PyTorch's value
    for what is a division by zero: floats, x.float() ** y, give inf)."""
    dtype = np.result_type(a, b)  # (before asarray: a Python int takes the tensor's dtype)
    a, b = np.asarray(a), np.asarray(b)
    negative = b < 0
    # |a| >= 2 to a negative power rounds to 0; 1 stays 1; -1 alternates in sign.
    unit = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (b % 2), 0))
    return np.where(negative, unit, a ** np.where(negative, 0, b)).astype(dtype)


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Log1p(Function):
    """log(1 + a), exact for tiny a;  d log1p(a) = da / (1 + a)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (1 + a)


class Log2(Function):
    """d log2(a) = da / (a ln 2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log2(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * np.log(2.0))


class Log10(Function):
    """d log10(a) = da / (a ln 10)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log10(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * np.log(10.0))


class Expm1(Function):
    """exp(a) - 1, exact for tiny a;  d expm1(a) = exp(a) da"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.expm1(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.exp(a)


class Rsqrt(Function):
    """a^(-1/2);  d rsqrt(a) = -a^(-3/2) da / 2 = -out^3 da / 2"""

    @staticmethod
    def forward(ctx, a):
        out = 1 / np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # In the output: out^3 is 0 at a = inf, where a * sqrt(a) would make the second
        # derivative inf / inf.
        (out,) = ctx.saved_tensors
        return -0.5 * grad * (out * out * out)


class _Stepwise(Function):
    """A piecewise-constant function (floor, ceil, round, trunc): derivative 0 wherever it
    exists, and, like PyTorch, a gradient of zeros everywhere."""

    @staticmethod
    def backward(ctx, grad):
        return (np.zeros(ctx.out_shape, ctx.out_dtype),) + (None,) * (len(ctx.parents) - 1)


class Floor(_Stepwise):
    @staticmethod
    def forward(ctx, a):
        return np.floor(a)


class Ceil(_Stepwise):
    @staticmethod
    def forward(ctx, a):
        return np.ceil(a)


class Trunc(_Stepwise):
    @staticmethod
    def forward(ctx, a):
        return np.trunc(a)


class Round(_Stepwise):
    """Half to even, as PyTorch and NumPy; `decimals` digits after the point."""

    @staticmethod
    def forward(ctx, a, decimals):
        return np.round(a, decimals)


class NanToNum(Function):
    """NaN, inf and -inf replaced by numbers (by default 0 and the dtype's extremes, as in
    PyTorch); the gradient passes where a was finite, and is 0 where it was replaced."""

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        finite = np.isfinite(a)
        ctx.save_for_backward(finite)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (finite,) = ctx.saved_tensors
        return np.where(finite, grad, 0), None, None, None


class Sqrt(Function):
    """d sqrt(a) = da / (2 sqrt(a))"""

    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class StdFromVariance(Sqrt):
    """std = sqrt(var), with gradient 0 where var = 0, as PyTorch's std: there sqrt's slope
    is infinite and the variance's own gradient is 0, and their product would be NaN."""

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (0.5 / np.where(out == 0, np.inf, out))


class Abs(Function):
    """abs'(a) = sign(a), with abs'(0) = 0 like PyTorch."""

    @staticmethod
    def forward(ctx, a):
        if ctx.needs_input_grad[0]:  # (no mask to build under no_grad)
            # A constant mask, freed by backward; 0 at NaN, as PyTorch's sign there.
            ctx.save_for_backward(np.where(a == a, np.sign(a), 0))
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return grad * sign


class _Extremum(Function):
    """Elementwise max or min; where a == b the gradient is split evenly, like PyTorch."""

    select = staticmethod(np.maximum)
    a_wins = staticmethod(np.greater)

    @staticmethod
    def forward(ctx, a, b):
        op = ctx.function
        out = op.select(a, b)
        if any(ctx.needs_input_grad):  # (no mask to build under no_grad)
            # Each input's share of the gradient: 1 where it wins, 1/2 on a tie, else 0; at a
            # NaN result both get all of it, as in PyTorch.
            share_a = op.a_wins(a, b) + 0.5 * (a == b)
            nan = out != out
            ctx.save_for_backward(np.where(nan, 1, share_a).astype(out.dtype),
                                  np.where(nan, 1, 1 - share_a).astype(out.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        share_a, share_b = ctx.saved_tensors
        return (_share(grad, share_a) if need_a else None), \
            (_share(grad, share_b) if need_b else None)


def _share(grad, share):
    """grad * share, exactly 0 where the share is 0 (an infinite grad times 0 would be NaN)."""
    return np.where(share != 0, grad, 0) * share


class Maximum(_Extremum):
    select = staticmethod(np.maximum)
    a_wins = staticmethod(np.greater)


class Minimum(_Extremum):
    select = staticmethod(np.minimum)
    a_wins = staticmethod(np.less)


class Clamp(Function):
    """clamp(a, lo, hi) = min(max(a, lo), hi). Like PyTorch, the gradient goes to `a` where
    lo <= a <= hi (bounds included), and to a bound that is a tensor where it is the result:
    to `lo` where a < lo < hi, to `hi` where a > hi or where the bounds cross (hi < lo)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        need_a, need_lo, need_hi = ctx.needs_input_grad
        # Each input's share of the gradient, as constant masks. Written as "inside the
        # bounds" rather than "not outside" so that a NaN in `a` passes none, as in PyTorch.
        inside = to_lo = to_hi = None
        if need_a:
            if lo is None:
                inside = a <= hi
            elif hi is None:
                inside = a >= lo
            else:
                inside = (a >= lo) & (a <= hi)
        if need_lo:
            to_lo = a < lo if hi is None else (a < lo) & np.less(lo, hi)
        if need_hi:
            to_hi = a > hi if lo is None else (a > hi) | np.less(hi, lo)
        ctx.save_for_backward(inside, to_lo, to_hi)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        inside, to_lo, to_hi = ctx.saved_tensors
        # Selected, not multiplied by the masks: an infinite gradient times 0 would be NaN.
        return (None if inside is None else np.where(inside, grad, 0),
                None if to_lo is None else np.where(to_lo, grad, 0),
                None if to_hi is None else np.where(to_hi, grad, 0))


class Where(Function):
    """where(cond, a, b): the gradient goes to `a` where cond holds, to `b` elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        _, need_a, need_b = ctx.needs_input_grad
        (cond,) = ctx.saved_tensors
        return (
            None,
            np.where(cond, grad, 0) if need_a else None,
            np.where(cond, 0, grad) if need_b else None,
        )


# ---- inverse trigonometric and hyperbolic functions, exp2, erf --------------------------------


class Exp2(Function):
    """d 2^a = 2^a ln(2) da"""

    @staticmethod
    def forward(ctx, a):
        out = np.exp2(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * np.log(2.0)


def _erf(a: np.ndarray) -> np.ndarray:
    import math

    return np.asarray(np.vectorize(math.erf, otypes=[a.dtype])(a), dtype=a.dtype)


class Erf(Function):
    """d erf(a) = 2/sqrt(pi) exp(-a^2) da (NumPy has no erf: math.erf per element)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(np.asarray(a))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (2.0 / np.sqrt(np.pi)) * np.exp(-(a * a))


class Copysign(Function):
    """|a| with the sign of b;  d/da = sign(a) sign(b) (0 at a = 0, as PyTorch), d/db = 0"""

    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # The sign factor is a constant of a (no division: a/|a| has a derivative that
        # overflows at subnormal a, though it is 0).
        a, out = np.asarray(ctx.saved_tensors[0]), np.asarray(ctx.saved_tensors[1])
        return grad * np.where(a == 0, 0, np.sign(a) * np.sign(out)).astype(a.dtype), grad * 0
