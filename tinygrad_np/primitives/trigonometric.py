"""Trigonometric and hyperbolic functions and their inverses, each with its derivative."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class Tan(Function):
    """d tan(a) = da / cos(a)^2"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.tan(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        c = np.cos(a)
        return grad / (c * c)


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -np.sin(a)


class Asin(Function):
    """d asin(a) = da / sqrt(1 - a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / np.sqrt(1 - a * a)


class Acos(Function):
    """d acos(a) = -da / sqrt(1 - a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad / np.sqrt(1 - a * a)


class Atan(Function):
    """d atan(a) = da / (1 + a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (1 + a * a)


class Sinh(Function):
    """d sinh(a) = cosh(a) da"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.cosh(a)


class Cosh(Function):
    """d cosh(a) = sinh(a) da"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.sinh(a)


class Asinh(Function):
    """d asinh(a) = da / sqrt(a^2 + 1)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / np.sqrt(a * a + 1)


class Acosh(Function):
    """d acosh(a) = da / sqrt(a^2 - 1)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / np.sqrt(a * a - 1)


class Atanh(Function):
    """d atanh(a) = da / (1 - a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctanh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (1 - a * a)
