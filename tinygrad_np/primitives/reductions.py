"""Reductions over a tuple of dimensions (`dims`, already normalised to non-negative ints)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction's result with keepdim=True."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.reshape(kept_shape(ctx.shape, ctx.dims))
        return np.broadcast_to(grad, ctx.shape), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims = x.shape, dims
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        count = 1
        for d in ctx.dims:
            count *= ctx.shape[d]
        grad = grad.reshape(kept_shape(ctx.shape, ctx.dims)) / count
        return np.broadcast_to(grad, ctx.shape), None, None


class Amax(Function):
    """Max over `dims`; tied maxima share the gradient evenly, like torch.amax."""

    reduce = staticmethod(np.max)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        out = ctx.function.reduce(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape = kept_shape(x.shape, ctx.dims)
        x_values, out_values = np.asarray(x), np.asarray(out).reshape(shape)
        hit = x_values == out_values
        count = hit.sum(axis=ctx.dims, keepdims=True)
        if not count.all():  # a NaN result (NaN != NaN): like PyTorch, the NaNs get the gradient
            hit |= np.isnan(x_values) & np.isnan(out_values)
            count = hit.sum(axis=ctx.dims, keepdims=True)
        share = (hit / count).astype(x.dtype)
        return grad.reshape(shape) * share, None, None


class Amin(Amax):
    reduce = staticmethod(np.min)


class LogSumExp(Function):
    """y = m + log(sum e^(x - m)) with m = max x;  dx = g e^(x - y)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        m = x.max(axis=dims, keepdims=True, initial=-np.inf)  # an empty slice gives -inf
        # An all -inf slice has m = -inf; shifting by 0 there keeps the result -inf, not NaN.
        m = np.where(np.isfinite(m), m, 0)
        out = m + np.log(np.exp(x - m).sum(axis=dims, keepdims=True))
        if not keepdim:
            out = out.squeeze(axis=dims)
        ctx.save_for_backward(x, out)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape = kept_shape(x.shape, ctx.dims)
        return grad.reshape(shape) * np.exp(x - out.reshape(shape)), None, None


class Prod(Function):
    """d prod(x) / dx_i = product of the other elements; exact when some x_j are zero."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save_for_backward(x)
        ctx.dims = dims
        return x.prod(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        shape = kept_shape(x.shape, ctx.dims)
        return grad.reshape(shape) * product_of_others(x, ctx.dims), None, None


def product_of_others(x, dims):
    """For each element, the product of the other elements of its reduced group.

    On arrays: the group's product over x_i where that is a normal number and x_i is not 0
    (PyTorch's rule); elsewhere exclusive cumulative products from both ends, O(n), right with
    zeros and where a partial product overflows or underflows (where out / x_i would not be:
    a subnormal product has lost its digits). Under create_graph `x` is a Tensor and cumprod
    is no op here, so each group is laid out n times with 1 on the diagonal and reduced by
    Prod itself: O(n^2), differentiable again.
    """
    keep = [i for i in range(x.ndim) if i not in dims]
    order = keep + list(dims)
    outer = tuple(x.shape[i] for i in keep)
    n = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
    if n == 0:  # empty groups: x has no elements, and neither has its gradient
        return x * 0
    grouped = np.transpose(x, order).reshape(outer + (n,))
    if isinstance(x, np.ndarray):
        total = grouped.prod(axis=-1, keepdims=True)
        with np.errstate(all="ignore"):
            others = total / grouped
            fine = (grouped != 0) & (np.abs(total) >= np.finfo(x.dtype).tiny) & (
                np.abs(total) <= np.finfo(x.dtype).max)
        if not fine.all():
            ones = np.ones(outer + (1,), dtype=x.dtype)
            left = np.cumprod(np.concatenate([ones, grouped[..., :-1]], axis=-1), axis=-1)
            right = np.cumprod(np.concatenate([ones, grouped[..., :0:-1]], axis=-1), axis=-1)
            others = np.where(fine, others, left * right[..., ::-1])
            # Two zeros in a group: every product of the others has a zero factor, so it is
            # 0 even beside an inf (as PyTorch; the running products would give 0 * inf).
            two_zeros = (grouped == 0).sum(axis=-1, keepdims=True) >= 2
            others = np.where(two_zeros, 0, others)
    else:
        rows = np.broadcast_to(grouped.reshape(outer + (1, n)), outer + (n, n))
        others = np.where(np.eye(n, dtype=bool), 1, rows).prod(axis=-1)
    others = others.reshape(tuple(x.shape[i] for i in order))
    return np.transpose(others, np.argsort(order))


class LogCumSumExp(Function):
    """Running log(sum(exp)) along `dim`, exact for any spread (NumPy's logaddexp, step by
    step);  d out_j / d x_i = exp(x_i - out_j) for i <= j, so
    dx_i = sum over j >= i of g_j exp(x_i - out_j), each factor <= 1 (laid out n x n per
    line: O(n^2), in Tensor operations, so differentiable again)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = np.logaddexp.accumulate(x, axis=dim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        d = ctx.dim
        xs, outs, gs = (_to_last(t, d) for t in (x, out, grad))
        n = xs.shape[-1]
        later = np.triu(np.ones((n, n), dtype=bool))  # [i, j]: j >= i
        # exp(x_i - out_j) where j >= i; elsewhere -inf (exp 0), so no overflow is formed;
        # where x_i is out_j (an infinite x_i, or a line's only term) the gap is 0, not inf - inf.
        same = np.asarray(xs)[..., :, None] == np.asarray(outs)[..., None, :]
        gap = np.where(later, np.where(same, 0, xs[..., :, None] - outs[..., None, :]), -np.inf)
        dx = (np.exp(gap) * gs[..., None, :]).sum(axis=-1)
        return _to_last(dx, -1, d), None


def _to_last(t, dim: int, to: int = -1):
    """`dim` moved to `to`, on arrays or (under create_graph, recorded) on Tensors."""
    return np.moveaxis(t, dim, to) if isinstance(t, np.ndarray) else t.movedim(dim, to)


class CumSum(Function):
    """Running sums along `dim`;  dx_i = sum over j >= i of g_j (the reversed running sum)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        reverse = (slice(None),) * ctx.dim + (slice(None, None, -1),)
        return CumSum.call(grad[reverse], ctx.dim)[reverse], None


def out_size(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    """The number of groups a reduction over `dims` of `shape` leaves."""
    return int(np.prod([n for i, n in enumerate(shape) if i not in dims], dtype=np.int64))


class Norm(Function):
    """The p-norm over `dims`: (sum |x|^p)^(1/p), max |x| for p = inf.

    dx = g sign(x) |x|^(p-1) / n^(p-1)  (g x / n for p = 2, g sign(x) for p = 1), and 0 where
    n = 0 (PyTorch's subgradient); for p = inf the gradient goes to the largest |x|, shared
    evenly by ties."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims = p, dims
        a = np.abs(x)
        # A group of one element: its norm is |x| for every p, computed so (as PyTorch), not
        # through x^2, which would overflow at 1e200 or vanish at a subnormal.
        ctx.single = a.size == 0 or a.size // max(out_size(a.shape, dims), 1) == 1
        if ctx.single:
            p = 1.0
        if p == np.inf:
            out = a.max(axis=dims, keepdims=keepdim, initial=0)
        elif p == 2:
            out = np.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            out = a.sum(axis=dims, keepdims=keepdim)
        else:
            out = (a**p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.p
        shape = kept_shape(x.shape, ctx.dims)
        g, n = grad.reshape(shape), out.reshape(shape)
        if p == 1 or ctx.single:
            xa = np.asarray(x)  # sign(x) is constant: 0 at NaN, as abs' (and PyTorch's)
            return g * np.where(xa == xa, np.sign(xa), 0), None, None, None
        zero = np.asarray(n) == 0
        safe = np.where(zero, 1, n)  # (no division by 0 where the gradient is 0 anyway)
        if p == np.inf:
            # No element is hit where the norm is NaN: the gradient is 0 there, as PyTorch's
            # (and as amax(abs(x)) gives, abs' being 0 at NaN).
            hit = np.abs(np.asarray(x)) == np.asarray(n)
            share = hit / np.maximum(hit.sum(axis=ctx.dims, keepdims=True), 1)
            return np.where(zero | ~hit, 0, g * np.sign(x) * share), None, None, None
        if p == 2:
            return np.where(zero, 0, g * x / safe), None, None, None
        scale = np.abs(x) ** (p - 1) / safe ** (p - 1)
        return np.where(zero, 0, g * np.sign(x) * scale), None, None, None
