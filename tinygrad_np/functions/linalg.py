"""Matrix multiplication, with NumPy's matmul semantics for 1-D, 2-D and batched operands."""

from __future__ import annotations

from ..autograd.function import Function


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
