"""`nn.functional` (imported as F): the stateless forms of the layers, activations and losses.

The modules in `nn` hold parameters and state and call these functions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..autograd.tensor_core import Tensor
from ..ops.args import as_input
from ..ops.encoding import one_hot as _one_hot
from ..ops.math import where
from ..primitives import linalg, nn_ops
from .loss_functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)

__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "gelu", "layer_norm", "leaky_relu", "linear", "log_softmax", "mse_loss",
    "nll_loss", "one_hot", "relu", "sigmoid", "softmax", "softplus", "tanh",
]


# ---- activations ----------------------------------------------------------------------------
def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0). `inplace` is accepted for PyTorch compatibility; the result is a new tensor."""
    return as_input(input, "relu").relu()


def sigmoid(input: Any) -> Tensor:
    return as_input(input, "sigmoid").sigmoid()


def tanh(input: Any) -> Tensor:
    return as_input(input, "tanh").tanh()


def _softmax_dim(op: str, ndim: int, dim: int | None) -> int:
    if dim is not None:
        return dim
    # PyTorch's legacy rule when dim is omitted, with its warning.
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, stable at large logits; `dtype` casts first."""
    x = as_input(input, "softmax")
    x = x if dtype is None else x.astype(dtype)
    return x.softmax(_softmax_dim("softmax", x.ndim, dim))


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along `dim`, stable at large logits; `dtype` casts first."""
    x = as_input(input, "log_softmax")
    x = x if dtype is None else x.astype(dtype)
    return x.log_softmax(_softmax_dim("log_softmax", x.ndim, dim))


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x (the slope also at 0, like PyTorch)."""
    x = as_input(input, "leaky_relu")
    return where(x > 0, x, x * negative_slope)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x Phi(x) with Phi the standard normal CDF (via erf); approximate='tanh' uses
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2."""
    x = as_input(input, "gelu")
    if approximate == "none":
        return nn_ops.Gelu.apply(x)
    if approximate == "tanh":
        return nn_ops.GeluTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold (as in PyTorch)."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero (the result divides by beta).")
    return nn_ops.Softplus.apply(as_input(input, "softplus"), beta, threshold)


# ---- layers -----------------------------------------------------------------------------------
def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b, with W of shape (out_features, in_features)."""
    x = as_input(input, "linear")
    x_shape, w_shape = x._data.shape, weight.shape  # once each: this runs for every layer call
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}: "
            f"the input's last dimension must be in_features = {weight.shape[-1]}. Check the "
            "layer sizes (or flatten the input first, e.g. nn.Flatten())."
        )
    if len(x_shape) == 1 and bias is not None and bias.ndim > 1 and bias.numel() == w_shape[0]:
        bias = bias.reshape(w_shape[0])  # PyTorch: a vector in gives a vector out
    return linalg.Affine.apply(x, weight, bias)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension of size num_classes (-1: max + 1)."""
    return _one_hot(as_input(tensor, "one_hot", floating=False), num_classes)


# ---- normalization ----------------------------------------------------------------------------
def _normalize(x: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """((x - mean) / sqrt(var + eps), mean, biased var) over `dims`, keeping them."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered / (var + eps).sqrt(), mean, var


def _affine(out: Tensor, weight: Any, bias: Any, shape: tuple[int, ...]) -> Tensor:
    if weight is not None:
        out = out * (weight.reshape(shape) if isinstance(weight, Tensor) else weight)
    if bias is not None:
        out = out + (bias.reshape(shape) if isinstance(bias, Tensor) else bias)
    return out


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and any trailing dims, then scale and
    shift. Training uses the batch's mean and biased variance and updates the running
    statistics in place: r = (1 - momentum) r + momentum * batch (the unbiased variance for
    running_var). Eval uses the running statistics."""
    x = as_input(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {x.shape}.")
    channels = x.shape[1]
    shape = (1, channels) + (1,) * (x.ndim - 2)
    dims = (0,) + tuple(range(2, x.ndim))
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {t.shape} but the input has "
                             f"{channels} channels (dim 1 of shape {x.shape}).")
    if training and x.numel() == 0:  # an empty batch: empty out, statistics untouched
        out = x * 1.0
        if weight is not None:
            out = out * weight.reshape(shape)
        return out if bias is None else out + bias.reshape(shape)
    if training:
        count = x.numel() // max(channels, 1)
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}; use a batch of at least 2, or call model.eval()."
            )
        out, mean, var = _normalize(x, dims, eps)
        with no_grad():
            if running_mean is not None:
                running_mean.copy_((1 - momentum) * running_mean._data
                                   + momentum * mean._data.reshape(channels))
            if running_var is not None:
                unbiased = var._data.reshape(channels) * (count / (count - 1))
                running_var.copy_((1 - momentum) * running_var._data + momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when "
                             "training=False.")
        mean = running_mean._data.reshape(shape)
        var = running_var._data.reshape(shape)
        out = (x - mean) / np.sqrt(var + eps)
    return _affine(out, weight, bias, shape)


def layer_norm(input: Any, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims (mean, biased variance) of each
    sample, then scale and shift elementwise; the same in training and eval."""
    x = as_input(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} must match the input's last dimensions; "
            f"got input of shape {x.shape}."
        )
    out, _, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(out, weight, bias, shape)


# ---- convolution, pooling, padding, embedding (implemented in functional_*.py) ----------------
from .functional_conv import (  # noqa: E402
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    unfold,
)
from .functional_extra import dropout, dropout2d, embedding, pad  # noqa: E402
from .functional_pool import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "dropout2d", "embedding", "fold", "max_pool1d",
    "max_pool2d", "pad", "unfold",
]

# ---- more activations (implemented in functional_activation.py) ------------------------------
from .functional_activation import (  # noqa: E402
    celu,
    elu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softsign,
    tanhshrink,
)

__all__ += [
    "celu", "elu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "prelu",
    "relu6", "selu", "silu", "softsign", "tanhshrink",
]

# ---- distances, bilinear and more losses (functional_distance / _bilinear / _loss_more.py) ----
from .functional_bilinear import bilinear  # noqa: E402
from .functional_distance import cosine_similarity, normalize, pairwise_distance  # noqa: E402
from .functional_loss_more import (  # noqa: E402
    cosine_embedding_loss,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)

from .functional_attention import scaled_dot_product_attention  # noqa: E402
from .functional_interpolate import interpolate  # noqa: E402

__all__ += [
    "bilinear", "cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss", "huber_loss",
    "interpolate", "kl_div", "l1_loss", "margin_ranking_loss", "normalize", "pairwise_distance",
    "poisson_nll_loss", "scaled_dot_product_attention", "smooth_l1_loss", "triplet_margin_loss",
]
