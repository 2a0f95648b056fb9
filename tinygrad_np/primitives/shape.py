"""Ops that move data without arithmetic: reshape, permute, expand, indexing, concatenation.
Their backward moves the gradient back the same way."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.views import replay_on_array


class Reshape(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.axes)), None


class Expand(Function):
    """Broadcast to a larger shape; the engine sums the gradient back to the input's shape."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Chained(tuple):
    """An index applied in two steps, x[first][second]: PyTorch's reading of an index that
    mixes ints with index arrays. PyTorch applies the ints first (as selections), so
    x[0, :, [1, 2]] of a (2, 3, 4) tensor has shape (3, 2); NumPy treats the int as an index
    array too and, the two being apart, puts their dimension first: (2, 3)."""


def select(x, index):
    """x[index], a Chained index included (works on arrays and Tensors)."""
    if type(index) is Chained:
        return x[index[0]][index[1]]
    return x[index]


def write(x, index, values) -> None:
    """x[index] = values in place (the first step of a Chained index is a view)."""
    if type(index) is Chained:
        x[index[0]][index[1]] = values
    else:
        x[index] = values


def is_basic_index(index: tuple) -> bool:
    """True for NumPy basic indexing (ints, slices, None, Ellipsis): a view, no repeats."""
    if type(index) is Chained:
        return False
    return all(
        i is None or i is Ellipsis or isinstance(i, slice)
        or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
        for i in index
    )


class Getitem(Function):
    """x[index]; the backward scatters the gradient back, adding up repeated indices."""

    is_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return select(x, index)

    @staticmethod
    def backward(ctx, grad):
        return IndexAddZeros.call(grad, ctx.index, ctx.shape), None


class IndexAddZeros(Function):
    """zeros(shape) with `values` added at `index`: the adjoint of x[index]."""

    @staticmethod
    def forward(ctx, values, index, shape):
        ctx.index = index
        out = np.zeros(shape, dtype=values.dtype)
        if is_basic_index(index):
            out[index] = values
        elif type(index) is Chained:
            np.add.at(out[index[0]], index[1], values)
        else:
            np.add.at(out, index, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Getitem.call(grad, ctx.index), None, None


class SetItem(Function):
    """a[index] = v, written into a's own array (the Tensor `a` becomes this node's output, as
    PyTorch's CopySlices): da = grad where a kept its values and exactly 0 where they were
    overwritten; dv = grad[index] (the engine sums it over the dimensions v was broadcast
    along)."""

    @staticmethod
    def forward(ctx, a, index, v):
        need_a, _, need_v = ctx.needs_input_grad
        if need_a:  # a constant mask, freed by backward (a[...] = v overwrites all of a)
            kept = np.False_ if index is Ellipsis else np.ones(a.shape, dtype=bool)
            if index is not Ellipsis:
                write(kept, index, False)
            ctx.save_for_backward(kept)
        if need_v and index is not Ellipsis and not is_basic_index(index):
            _refuse_repeats(a.shape, index)
        ctx.index = index
        ctx.v_ndim = np.ndim(v)
        write(a, index, v)
        return a

    @staticmethod
    def backward(ctx, grad):
        need_a, _, need_v = ctx.needs_input_grad
        grad_a = None
        if need_a:  # (where, not a product: an overwritten NaN or inf gradient must not leak)
            (kept,) = ctx.saved_tensors
            grad_a = np.where(kept, grad, 0)
        grad_v = None
        if need_v:
            grad_v = select(grad, ctx.index)
            if ctx.v_ndim > grad_v.ndim:  # v had leading 1s that the write dropped
                grad_v = grad_v.reshape((1,) * (ctx.v_ndim - grad_v.ndim) + grad_v.shape)
        return grad_a, None, grad_v


class ViewScatter(Function):
    """The base of a view, its view's part replaced: `base` written in place through the view
    that `steps` make (the recorded form of an in-place change of a view, which changes its
    base). d base = grad, 0 on the view's part;  d values = grad's view."""

    @staticmethod
    def forward(ctx, base, values, steps):
        need_base, need_values, _ = ctx.needs_input_grad
        ctx.steps = steps
        if need_base:  # a constant mask, as SetItem's
            kept = np.ones(base.shape, dtype=bool)
            replay_on_array(kept, steps)[...] = False
            ctx.save_for_backward(kept)
        replay_on_array(base, steps)[...] = values
        return base

    @staticmethod
    def backward(ctx, grad):
        need_base, need_values, _ = ctx.needs_input_grad
        grad_base = np.where(ctx.saved_tensors[0], grad, 0) if need_base else None
        grad_values = replay_on_array(grad, ctx.steps) if need_values else None
        return grad_base, grad_values, None


def _refuse_repeats(shape: tuple[int, ...], index: tuple) -> None:
    """An integer-array index that names an element twice writes it twice and the last write
    wins, so the earlier values would get a gradient for nothing: refuse it."""
    slots = np.zeros(shape, dtype=np.intp)
    if type(index) is Chained:
        np.add.at(slots[index[0]], index[1], 1)
    else:
        np.add.at(slots, index, 1)
    if slots.max(initial=0) > 1:
        raise ValueError(
            "the index names some elements more than once, so only the last value "
            "written to each survives and the gradient of the others is undefined; index "
            "each element once (e.g. np.unique the indices) when the values require grad."
        )


class Cat(Function):
    """Concatenation along `dim`; the gradient is sliced back into the pieces."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.bounds = np.cumsum([0] + [x.shape[dim] for x in xs]).tolist()
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        lead = (slice(None),) * ctx.dim
        pieces = [
            grad[lead + (slice(lo, hi),)] for lo, hi in zip(ctx.bounds[:-1], ctx.bounds[1:])
        ]
        return (None, *pieces)
