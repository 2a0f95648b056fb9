"""Activation functions and the normalised exponentials (softmax, log-softmax)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function

# A 0-d zero per float dtype: NumPy compares with (or takes the maximum against) an operand of
# the array's own dtype faster than with the Python int 0, whose dtype it must first resolve.
_ZEROS = {np.dtype(t): np.zeros((), t) for t in (np.float16, np.float32, np.float64)}


class Relu(Function):
    """relu(x) = max(x, 0); relu'(0) = 0 like PyTorch, so the gradient flows where out != 0
    (where out > 0, and at NaN as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, _ZEROS.get(x.dtype, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = np.asarray(ctx.saved_tensors[0])
        zero = _ZEROS.get(out.dtype, 0)
        if type(grad) is np.ndarray and grad.size > _SELECT_BY_BITS and grad.dtype == out.dtype \
                and grad.dtype in _SAME_SIZE_INT:
            return _select_by_bits(out != zero, grad)
        # Selected, not multiplied by a 0/1 mask: an infinite gradient times 0 would be NaN.
        return np.where(out != zero, grad, zero)


# Above this size np.where(mask, grad, 0) is slow on a random mask (its branches mispredict:
# 220 us for a 256x256 float32 ReLU gradient, 19 us by bits); below it, where is faster.
_SELECT_BY_BITS = 2048
_SAME_SIZE_INT = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32,
                  np.dtype(np.float64): np.int64}


def _select_by_bits(mask: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """np.where(mask, grad, +0.0) bit for bit, without branches: the float bits ANDed with an
    all-ones (kept) or all-zeros (+0.0) integer of the same size."""
    kind = _SAME_SIZE_INT[grad.dtype]
    bits = mask.view(np.uint8).astype(kind)
    np.negative(bits, out=bits)  # 1 -> -1: all ones
    np.bitwise_and(grad.view(kind), bits, out=bits)
    return bits.view(grad.dtype)


class Tanh(Function):
    """tanh' = 1 - tanh^2"""

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Function):
    """s = 1 / (1 + e^-x),  s' = s (1 - s)"""

    @staticmethod
    def forward(ctx, x):
        # 1 / (1 + e^-x) is accurate for every x: where e^-x overflows (x < -88 in float32,
        # -709 in float64) the result is 1/inf = 0, where the true value is below the smallest
        # normal number (a subnormal at most); only the warning is spurious.
        # One buffer, updated in place (logaddexp, the usual workaround, is ~10x slower).
        # (`out` is allocated up front: a ufunc returns a 0-d result as a scalar, not a buffer.
        # Integers give a float result; np.result_type alone costs more than the allocation.)
        out = np.empty(x.shape, x.dtype if x.dtype.kind == "f" else np.result_type(x, 1.0))
        with np.errstate(over="ignore"):
            np.exp(np.negative(x, out=out), out=out)
        out += 1
        np.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if isinstance(out, np.ndarray):  # on arrays: one new buffer instead of three
            d = 1 - out
            d *= out
            d *= grad
            return d
        return grad * out * (1 - out)


class LogAddExp(Function):
    """log(e^a + e^b);  d/da = sigmoid(a - b), d/db = sigmoid(b - a): 1 and 0 when one
    operand is +inf, 1/2 each at a tie, NaN at equal infinities (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # Each weight from its own sigmoid: 1 - sigmoid(a - b) would lose a tiny weight's digits.
        return grad * Sigmoid.call(a - b), grad * Sigmoid.call(b - a)


class Softmax(Function):
    """s = e^(x - max x) / sum e^(x - max x);  dx = s (g - sum(g s))"""

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True, initial=-np.inf))  # initial: empty dim
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return s * (grad - (grad * s).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x);  dx = g - softmax(x) sum(g) = g - e^y sum(g)"""

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True, initial=-np.inf)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=ctx.dim, keepdims=True), None
