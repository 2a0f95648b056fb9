"""`Tensor` with its whole API: the class from `autograd/tensor_core.py` (fields,
attributes, conversions), the autograd methods below, and every op of the op table
(`ops/table.py`), installed as methods and operators when this module is imported."""

from __future__ import annotations

import weakref
from typing import Any

from .autograd import engine
from .autograd.tensor_core import Tensor
from .ops import declare, numpy_protocol
from .ops.table import OPS


def backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate the gradient of this tensor into every leaf's `.grad`."""
    engine.backward(self, gradient, retain_graph, create_graph)


def retain_grad(self: Tensor) -> None:
    """Keep this non-leaf tensor's `.grad` after backward (leaves always keep theirs)."""
    if self.grad_fn is not None:
        self.grad_fn.retained = weakref.ref(self)
    elif not self._requires_grad:
        raise RuntimeError("retain_grad(): this tensor does not require grad.")


def register_hook(self: Tensor, hook: Any) -> engine.RemovableHandle:
    """Call `hook(grad)` whenever backward computes this tensor's gradient; a Tensor it
    returns replaces the gradient. Returns a handle whose `remove()` takes it away."""
    return engine.register_hook(self, hook)


Tensor.backward = backward  # type: ignore[method-assign]
Tensor.register_hook = register_hook  # type: ignore[attr-defined]
Tensor.retain_grad = retain_grad  # type: ignore[method-assign]
Tensor.__array_ufunc__ = numpy_protocol.array_ufunc  # type: ignore[attr-defined]
Tensor.__array_function__ = numpy_protocol.array_function  # type: ignore[attr-defined]
declare.install(OPS)

__all__ = ["Tensor"]
