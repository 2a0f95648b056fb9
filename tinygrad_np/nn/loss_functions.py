"""The loss functions of `nn.functional`, with the target checks they share.

`reduction` is 'mean' (the default), 'sum' or 'none' (one loss per sample / element). Targets
are checked up front, so a wrong shape, dtype or class index fails with a message naming the
loss, the shapes and the fix instead of a broadcasting surprise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DTypeError
from ..autograd import is_grad_enabled
from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..primitives import nn_ops

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def _reduce(loss: Tensor, reduction: str, denom: float | None = None) -> Tensor:
    """'none' keeps the elementwise loss; 'sum' adds it up; 'mean' divides the sum by `denom`
    (the element count when None)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if denom is None else loss.sum() / denom


def _float_target(op: str, input: Tensor, target: Any) -> Tensor:
    """A float target of the input's exact shape (no silent broadcasting), in its dtype."""
    target = as_input(target, op, floating=False)
    t_dtype, x_dtype = target._data.dtype, input._data.dtype
    if target._data.shape != input._data.shape:
        raise ValueError(
            f"{op}: target shape {target.shape} differs from input shape {input.shape}; they "
            "must be equal (reshape the target, e.g. target.reshape(input.shape), if they hold "
            "the same values)."
        )
    if t_dtype.kind != "f":
        raise TypeError(
            f"{op}: target must be floating point like the input ({input.dtype}), got "
            f"{target.dtype}; convert it with target.float() or .astype(input.dtype)."
        )
    return target if t_dtype == x_dtype else target.astype(x_dtype)


def _constant(value: Any, dtype: np.dtype) -> Any:
    """A weight argument as an array of the input's dtype (Tensors keep their graph)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.astype(dtype)
    return np.asarray(value, dtype=dtype)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced; the mean's gradient is 2 (input - target) / N."""
    check_reduction("mse_loss", reduction)
    input = as_input(input, "mse_loss")
    return nn_ops.SquaredError.apply(input, _float_target("mse_loss", input, target), reduction)


def _class_dim(op: str, input: Tensor) -> int:
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: shape (C,), (N, C) or "
                         f"(N, C, d1, ...); got a 0-d tensor.")
    return 0 if input.ndim == 1 else 1


def _class_weight(op: str, weight: Any, classes: int, dtype: np.dtype,
                  differentiable: bool) -> np.ndarray | Tensor | None:
    """The class weights in the input's dtype: an array, or a Tensor keeping its graph where
    the weight requires grad and the loss is `differentiable` in it (probability targets).
    Elsewhere PyTorch refuses such a weight, and so do we rather than drop its gradient."""
    if weight is None:
        return None
    records = isinstance(weight, Tensor) and weight.requires_grad and is_grad_enabled()
    w = _constant(weight if records or not isinstance(weight, Tensor) else weight._data, dtype)
    if w.shape != (classes,):
        raise ValueError(f"{op}: weight must have shape ({classes},), one per class; got "
                         f"{w.shape}.")
    if records and not differentiable:
        probs = " (class-probability targets are)" if op == "cross_entropy" else ""
        raise RuntimeError(
            f"{op}: weight requires grad, but with class-index targets {op} is not "
            f"differentiable with respect to weight{probs}, as in PyTorch; pass "
            "weight.detach(), or call it under tinygrad_np.no_grad()."
        )
    return w


def _class_index_weights(op: str, input: Tensor, target: Any, weight: np.ndarray | None,
                         ignore_index: int, label_smoothing: float
                         ) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-class target weights W (the input's shape) for integer class targets, their
    structure S and the mean's divisor: S = (1 - eps) onehot(y) + eps / C, zero where
    y == ignore_index, and W = S * w; divisor = sum of w[y] over the kept targets (their count
    without `weight`). S is nonzero at the terms w_c input_c that PyTorch forms: elsewhere the
    term is exactly 0, even where the input is -inf (S is W itself when w is None)."""
    dim = _class_dim(op, input)
    shape, classes = input.shape, input.shape[dim]
    expected = shape[:dim] + shape[dim + 1:]
    target = as_input(target, op, floating=False)
    y = target._data
    # Only cross_entropy also takes class probabilities (nll_loss needs indices).
    probs = f" class-probability targets need the input's shape {shape}." \
        if op == "cross_entropy" else ""
    if y.dtype.kind not in "iu":
        raise DTypeError(
            f"{op}: class-index targets must be integers (int64), got dtype {y.dtype} with "
            f"shape {y.shape}; convert them with target.long().{probs}"
        )
    if y.shape != expected:
        raise ValueError(
            f"{op}: target shape {y.shape} does not fit input shape {shape}: class-index "
            f"targets need shape {expected} (the input's shape without the class dim {dim})."
            f"{probs}"
        )
    keep = y != ignore_index
    bad = keep & ((y < 0) | (y >= classes))
    if bad.any():
        raise IndexError(
            f"{op}: target {y[bad].flat[0]} is out of bounds for {classes} classes; class "
            f"indices must be in [0, {classes - 1}] (or equal ignore_index={ignore_index})."
        )
    dtype = input.dtype
    safe = np.where(keep, y, 0)
    onehot = np.moveaxis(np.eye(classes, dtype=dtype)[safe], -1, dim)
    if weight is None and not label_smoothing:  # the common case: the one-hot rows as they are
        if not keep.all():
            onehot *= np.expand_dims(keep, dim)
        return onehot, onehot, float(np.count_nonzero(keep))
    structure = onehot
    if label_smoothing:
        structure = (1 - label_smoothing) * onehot + label_smoothing / classes
    if not keep.all():
        structure *= np.expand_dims(keep, dim)
    if weight is None:
        return structure, structure, float(np.count_nonzero(keep))
    broadcast = (classes,) + (1,) * (input.ndim - dim - 1)
    return structure * weight.reshape(broadcast), structure, float((weight[safe] * keep).sum())


def _plain_class_indices(input: Tensor, target: Any, ignore_index: int) -> bool:
    """Whether the shapes make the common case: a batch of logits (N, C) and N integer
    class indices, with an ignore_index that is no class. CrossEntropy's forward then checks
    that the indices are in [0, C) (else the general path handles them, or raises its error
    naming the problem)."""
    if isinstance(target, Tensor):
        y_shape, y_kind = target._data.shape, target._data.dtype.kind
    elif isinstance(target, np.ndarray):
        y_shape, y_kind = target.shape, target.dtype.kind
    else:
        return False
    shape = input._data.shape
    return (len(shape) == 2 and y_shape == shape[:1] and y_kind in "iu" and shape[0] > 0
            and ignore_index not in range(shape[1]))


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """-sum_c w_c log_softmax(input)_c over the class dim (1, or 0 for a 1-D input), fused
    and stable at any logits; the mean's gradient is exactly (softmax - onehot) / N.

    `target` holds class indices (int, the input's shape without the class dim) or class
    probabilities (float, the input's shape). `label_smoothing` eps mixes the target with the
    uniform distribution: (1 - eps) target + eps / C. `weight` rescales each class; with
    class indices the mean divides by the summed weights of the kept targets (as PyTorch),
    and is NaN where they sum to 0 (every target ignored), with a zero gradient at the
    ignored samples. A `weight` that requires grad gets its gradient with probability
    targets; with class indices PyTorch refuses it, and so do we (RuntimeError).

    A logit of -inf (a masked class) costs nothing where the class is not a class-index
    target or the sample is ignored: the loss stays finite. Where it is a target (label
    smoothing makes every class one, and so do probability targets) the loss is inf, or NaN
    where its weight or probability is 0, as in PyTorch; the input's gradient stays finite.
    """
    op = "cross_entropy"
    check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}.")
    input = as_input(input, op)
    if weight is None and not label_smoothing and _plain_class_indices(input, target,
                                                                       ignore_index):
        try:
            return nn_ops.CrossEntropy.apply(input, target, 1, reduction,
                                             float(input._data.shape[0]))
        except nn_ops.TargetOutOfRange:
            pass  # an ignored target, or an invalid one: the general path
    dim = _class_dim(op, input)
    classes = input.shape[dim]
    target_shape = target.shape if isinstance(target, (Tensor, np.ndarray)) else np.shape(target)
    probabilities = tuple(target_shape) == input.shape
    w = _class_weight(op, weight, classes, input.dtype, differentiable=probabilities)
    if probabilities:
        probs = as_input(target, op, floating=False)
        if probs.dtype.kind != "f":
            raise TypeError(
                f"{op}: a target of the input's shape {input.shape} holds class probabilities "
                f"and must be floating point, got {probs.dtype}; for class indices give shape "
                f"{input.shape[:dim] + input.shape[dim + 1:]}."
            )
        target_w = probs.astype(input.dtype)
        if label_smoothing:
            target_w = target_w * (1 - label_smoothing) + label_smoothing / classes
        if w is not None:
            target_w = target_w * w.reshape((classes,) + (1,) * (input.ndim - dim - 1))
        denom = float(input.numel() // classes) if classes else 0.0
        # PyTorch forms every term here: a zero probability at a -inf logit gives NaN.
        return nn_ops.CrossEntropy.apply(input, target_w, dim, reduction, denom)
    target_w, structure, denom = _class_index_weights(op, input, target, w, ignore_index,
                                                      label_smoothing)
    return nn_ops.CrossEntropy.apply(input, target_w, dim, reduction, denom, structure)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-w[y] input[y] per sample, for log-probabilities `input` (e.g. from log_softmax) and
    class-index targets y; the mean divides by the summed weights of the kept targets. An
    ignored sample and the other classes contribute exactly 0, whatever their input (-inf),
    and get a zero gradient even where nothing is kept (the mean is then NaN, as PyTorch's).
    A `weight` that requires grad raises (RuntimeError), as in PyTorch, which does not
    differentiate nll_loss with respect to it."""
    op = "nll_loss"
    check_reduction(op, reduction)
    input = as_input(input, op)
    dim = _class_dim(op, input)
    w = _class_weight(op, weight, input.shape[dim], input.dtype, differentiable=False)
    target_w, structure, denom = _class_index_weights(op, input, target, w, ignore_index, 0.0)
    # Only the targets' terms: the others are 0 even where the input is -inf (0 * -inf = NaN).
    loss = -(input.where(structure != 0, 0) * target_w).sum(dim)
    return _reduce(loss, reduction, denom)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p, each log clamped at -100 (as
    PyTorch), so p = 0 or 1 gives a finite loss. Prefer binary_cross_entropy_with_logits."""
    op = "binary_cross_entropy"
    check_reduction(op, reduction)
    input = as_input(input, op)
    target = _float_target(op, input, target)
    p = input._data
    if np.isnan(p).any():
        raise ValueError(
            f"{op}: input (shape {input.shape}) holds NaN, which is not a probability; find "
            "where it came from with tinygrad_np.detect_anomaly(), or use "
            "binary_cross_entropy_with_logits on the logits, which is more stable."
        )
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise ValueError(
            f"{op}: input must hold probabilities in [0, 1], got values from {np.nanmin(p)} "
            f"to {np.nanmax(p)}; for logits use binary_cross_entropy_with_logits "
            "(nn.BCEWithLogitsLoss), which is also more stable."
        )
    loss = nn_ops.BinaryCrossEntropy.apply(input, target)
    w = _constant(weight, input.dtype)
    return _reduce(loss if w is None else loss * w, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None
                                     ) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits so it is stable at
    any value: (1 - t) x + (1 + (q - 1) t) softplus(-x); its gradient is sigmoid(x) - t
    (without pos_weight). `pos_weight` q (broadcast along the last dim) weighs positives."""
    op = "binary_cross_entropy_with_logits"
    check_reduction(op, reduction)
    input = as_input(input, op)
    target = _float_target(op, input, target)
    q = _constant(pos_weight, input.dtype)
    if q is not None:
        try:
            fits = np.broadcast_shapes(q.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{op}: pos_weight of shape {q.shape} must broadcast to the "
                             f"input's shape {input.shape} (one weight per class: shape "
                             f"({input.shape[-1] if input.ndim else 1},)).")
    loss = nn_ops.BinaryCrossEntropyWithLogits.apply(input, target, q)
    w = _constant(weight, input.dtype)
    return _reduce(loss if w is None else loss * w, reduction)
