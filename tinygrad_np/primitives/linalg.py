"""Matrix multiplication, with NumPy's matmul semantics for 1-D, 2-D and batched operands."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function

# The summation of ndarray.sum without its Python wrapper (1.5k instructions a call).
_add_reduce = np.add.reduce


def _blas_ready(grad):
    """`grad` with real strides. A broadcast gradient (sum()'s backward hands back a view with
    stride 0) makes BLAS unusable and NumPy's matmul about twice as slow as on a copy."""
    if type(grad) is np.ndarray and 0 in grad.strides:
        return np.ascontiguousarray(grad)
    return grad


class MatMul(Function):
    """C = A @ B;  dA = dC @ B^T,  dB = A^T @ dC   (^T swaps the last two dimensions).

    A 1-D operand is a vector on its side of the product; broadcast batch dimensions of the
    gradients are summed away by the engine.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad = _blas_ready(grad)
        if a.ndim == 1 and b.ndim == 1:  # dot product: a scalar out
            grad_a, grad_b = grad * b, grad * a
        elif a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
            grad_a = (b @ grad[..., None])[..., 0] if need_a else None
            grad_b = a[:, None] * grad[..., None, :] if need_b else None
        elif b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
            grad_a = grad[..., None] * b if need_a else None
            grad_b = (a.mT @ grad[..., None])[..., 0] if need_b else None
        else:
            grad_a = grad @ b.mT if need_a else None
            grad_b = a.mT @ grad if need_b else None
        return (grad_a if need_a else None), (grad_b if need_b else None)


class Affine(Function):
    """y = x W^T + b, the affine layer as one op (x of shape (..., in), W (out, in), b (out,)):
        dx = g W,   dW = g^T x,   db = sum of g over the leading dimensions,
    with the leading dimensions of x and g flattened into one for dW and db.

    One op instead of transpose, matmul and a broadcast add: a third of the graph nodes, and
    the bias gradient is a plain column sum instead of the engine's broadcast reduction.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        # A bias of another shape than (out,) (e.g. (1, out)) gets the output-shaped gradient
        # and the engine's general broadcast reduction.
        # (len and ndim, not shape: a shape is a new tuple per call, and this runs per layer)
        ctx.bias_is_vector = bias is not None and bias.ndim == 1 and len(bias) == len(weight)
        out = x @ weight.T
        if ctx.bias_is_vector:
            out += bias  # `out` is a new array: add in place rather than allocate another
        elif bias is not None:
            out = out + bias  # the bias may broadcast the result to a larger shape
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad = _blas_ready(grad)
        g2, x2 = grad, x
        if x.ndim != 2:  # (n, out) and (n, in): the leading dims as one (n given: -1 is
            n = int(np.prod(x.shape[:-1]))  # ambiguous when in_features is 0)
            g2, x2 = grad.reshape(n, grad.shape[-1]), x.reshape(n, x.shape[-1])
        grad_x = grad @ weight if need_x else None
        grad_w = g2.T @ x2 if need_w else None
        grad_b = None
        if need_b:
            if not ctx.bias_is_vector:
                grad_b = grad
            elif type(g2) is np.ndarray:
                grad_b = _add_reduce(g2, axis=0)
            else:  # a Tensor, under create_graph
                grad_b = g2.sum(axis=0)
        return grad_x, grad_w, grad_b


class Einsum(Function):
    """np.einsum over explicit subscripts ("ij,jk->ik"), each input's letters distinct.

    d operand_i = einsum(grad and the other operands -> operand_i's letters); a letter that
    only operand_i has (summed away) comes back by broadcasting. Backward is einsum again,
    so it is differentiable to any order."""

    @staticmethod
    def forward(ctx, spec, *operands):
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        return np.einsum(spec, *operands)

    @staticmethod
    def backward(ctx, grad):
        inputs, output = ctx.spec.split("->")
        letters = inputs.split(",")
        operands = ctx.saved_tensors
        grads = []
        for i, (mine, need) in enumerate(zip(letters, ctx.needs_input_grad[1:])):
            if not need:
                grads.append(None)
                continue
            others = [(s, op) for j, (s, op) in enumerate(zip(letters, operands)) if j != i]
            known = set(output).union(*[set(s) for s, _ in others])
            target = "".join(c for c in mine if c in known)
            spec = ",".join([output] + [s for s, _ in others]) + "->" + target
            g = Einsum.call(spec, grad, *[op for _, op in others])
            # A letter this operand has at size 1 that the others stretch ("..." broadcast)
            # keeps the stretched size here; the engine sums it back to 1.
            shape = tuple(g.shape[target.index(c)] if c in known else 1 for c in mine)
            grads.append(np.broadcast_to(g.reshape(shape),
                                         np.broadcast_shapes(shape, operands[i].shape)))
        return (None, *grads)
