"""All of an optimizer's parameters seen as one flat vector (what LBFGS works on).

Reading gives fresh flat arrays (the values, the gradient); writing goes back into each
parameter's own array in place, so the parameters keep their identity, and bumps each one's
version counter, as PyTorch's in-place updates do (a graph that saved a parameter is stale).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor


class FlatParams:
    """The parameters `params` of optimizer `owner`, checked to be writable float arrays."""

    def __init__(self, params: Sequence[Tensor], owner: str) -> None:
        for i, p in enumerate(params):
            arr = p._data
            if arr.dtype.kind != "f":
                raise TypeError(
                    f"{owner}: parameter {i} has dtype {arr.dtype}; only real floating-point "
                    "tensors can be optimized (complex and integer ones cannot)."
                )
            if not arr.flags.writeable:
                raise ValueError(
                    f"{owner}: parameter {i}'s array is read-only, so it cannot be updated in "
                    "place; give the tensor a writable array."
                )
        self.params = list(params)
        self.owner = owner
        # The flat vectors have the common dtype of the parameters, as torch.cat's result.
        self.dtype: np.dtype = np.result_type(*(p._data.dtype for p in self.params))
        self.sizes = [p._data.size for p in self.params]
        self.numel = sum(self.sizes)
        if self.numel == 0:
            raise ValueError(f"{owner}: the parameters have no elements; there is nothing to "
                             "optimize.")

    def scalar(self, x: Any) -> Any:
        """`x` as a number of the flat dtype: PyTorch casts a Python scalar multiplying a
        tensor to the tensor's dtype, and so do we, so float32 runs round alike."""
        return self.dtype.type(x)

    def values(self) -> np.ndarray:
        """A copy of the parameters' values, flat."""
        return np.concatenate([p._data.reshape(-1) for p in self.params]).astype(
            self.dtype, copy=False)

    def grad(self, require_one: bool = False) -> np.ndarray:
        """The gradients, flat; a parameter without a gradient counts as zeros (as PyTorch).

        With `require_one`, refuse when no parameter has a gradient: the closure forgot to call
        backward(), and every step would stop at once without saying why."""
        out = np.empty(self.numel, dtype=self.dtype)
        offset, found = 0, False
        for i, (p, n) in enumerate(zip(self.params, self.sizes)):
            g = p._grad
            if g is None:
                out[offset:offset + n] = 0
            else:
                arr = g._data if isinstance(g, Tensor) else np.asarray(g)
                if arr.shape != p._data.shape or arr.dtype.kind != "f":
                    raise TypeError(
                        f"{self.owner}: parameter {i} has a gradient of shape {arr.shape} and "
                        f"dtype {arr.dtype}; it must be a dense float array of the parameter's "
                        f"shape {p._data.shape}."
                    )
                out[offset:offset + n] = arr.reshape(-1)
                found = True
            offset += n
        if require_one and not found:
            raise RuntimeError(
                f"{self.owner}: no parameter has a gradient after the closure ran; the closure "
                "must compute the loss, call loss.backward() and return the loss."
            )
        return out

    def add_(self, t: Any, d: np.ndarray) -> None:
        """params += t * d, in place."""
        step = d * self.scalar(t)
        offset = 0
        for p, n in zip(self.params, self.sizes):
            arr = p._data
            np.add(arr, step[offset:offset + n].reshape(arr.shape), out=arr,
                   casting="same_kind")
            p._version[0] += 1
            offset += n

    def set_(self, x: np.ndarray) -> None:
        """params = x (a flat vector from `values()`), in place."""
        offset = 0
        for p, n in zip(self.params, self.sizes):
            arr = p._data
            np.copyto(arr, x[offset:offset + n].reshape(arr.shape), casting="same_kind")
            p._version[0] += 1
            offset += n
