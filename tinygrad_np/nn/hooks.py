"""Module hooks, as PyTorch's: forward pre-hooks, forward hooks and full backward (pre-)hooks,
each registered on one module and removed through the handle its registration returns.

A full backward hook sees the gradients at the module's boundary: grad_input, one entry per
positional argument of forward (None for one that is not a Tensor, zeros for a Tensor that
needs no gradient, as PyTorch), and grad_output, one per Tensor the forward returned (zeros
for one the loss did not use, where PyTorch has None). They are caught by two identity ops,
`BoundaryIdentity`, one around the inputs (before forward) and one around the outputs (after
it): each packs its tensors into one flat array and unpacks views of it, so its backward
receives every gradient of the boundary at once (the engine has summed each tensor's uses by
then), hands them to the hooks, and passes on what the hooks return.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import is_grad_enabled
from ..autograd.function import Function
from ..autograd.tensor_core import Tensor
from ..autograd.watch import changed

_ids = itertools.count()


class RemovableHandle:
    """Returned by a hook's registration: `handle.remove()` unregisters it (also usable as a
    context manager, which removes it on exit)."""

    def __init__(self, registry: dict[int, Any]) -> None:
        self.id = next(_ids)
        self._registry = registry

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _as_tensor(g: Any) -> Any:
    """A gradient as the hooks see it: a Tensor (the engine's are arrays, except under
    create_graph)."""
    return Tensor._wrap(g, None, False, [0]) if isinstance(g, np.ndarray) else g


def _as_grad(g: Any, like: Any) -> Any:
    """A gradient a hook returned, back in the engine's form (an array unless `like`, the
    engine's own gradient, is a Tensor)."""
    if g is None or isinstance(like, Tensor):
        return g
    return g._data if isinstance(g, Tensor) else np.asarray(g)


class BoundaryIdentity(Function):
    """y_1, ..., y_n = x_1, ..., x_n through one flat array (see the module doc); `side`
    receives the gradients in backward and may replace them."""

    @staticmethod
    def forward(ctx: Any, side: Any, *arrays: np.ndarray) -> np.ndarray:
        ctx.side = side
        ctx.shapes = [a.shape for a in arrays]
        ctx.dtypes = [a.dtype for a in arrays]
        return np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        grads, start = [], 0
        for shape, dtype in zip(ctx.shapes, ctx.dtypes):
            n = int(np.prod(shape))
            g = grad[start:start + n].reshape(shape)
            grads.append(g if g.dtype == dtype else g.astype(dtype))
            start += n
        return (None, *ctx.side(grads))


def _pack(side: Callable[[list[Any]], list[Any]], tensors: list[Tensor]) -> list[Tensor]:
    """The tensors through one BoundaryIdentity: new tensors with the same values."""
    flat = BoundaryIdentity.apply(side, *tensors)
    out, start = [], 0
    for t in tensors:
        piece = flat[start:start + t.numel()].reshape(t.shape)
        out.append(piece if piece.dtype == t.dtype else piece.astype(t.dtype))
        start += t.numel()
    return out


class _BackwardCall:
    """One forward call's backward hooks: grad_output arrives first (the outputs' identity
    runs first in backward), then grad_input, and the hooks run."""

    def __init__(self, module: Any, hooks: ModuleHooks) -> None:
        self.module, self.hooks = module, hooks
        self.args: list[Any] = []  # per positional argument: (shape, dtype) of a Tensor, or None
        self.input_slots: list[int] = []  # which arguments need a gradient
        self.grad_output: tuple[Any, ...] | None = None

    def setup_input(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.args = [(a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args]
        wanted = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.input_slots = wanted
        if not wanted:
            return args
        new = list(args)
        for i, t in zip(wanted, _pack(self._on_grad_input, [args[i] for i in wanted])):
            new[i] = t
        return tuple(new)

    def setup_output(self, out: Any) -> Any:
        single = isinstance(out, Tensor)
        items = [out] if single else list(out) if isinstance(out, (tuple, list)) else []
        wanted = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
        if not wanted:
            return out
        self.n_outputs = len([t for t in items if isinstance(t, Tensor)])
        self.output_slots = [[i for i, t in enumerate(items) if isinstance(t, Tensor)].index(j)
                             for j in wanted]
        for i, t in zip(wanted, _pack(self._on_grad_output, [items[i] for i in wanted])):
            items[i] = t
        return items[0] if single else type(out)(items)

    def _on_grad_output(self, grads: list[Any]) -> list[Any]:
        full: list[Any] = [None] * self.n_outputs
        for slot, g in zip(self.output_slots, grads):
            full[slot] = _as_tensor(g)
        grad_output = tuple(full)
        for hook in list(self.hooks.backward_pre.values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = self._checked(result, grad_output, "backward pre-hook",
                                            "grad_output")
        self.grad_output = grad_output
        if not self.input_slots and self.hooks.backward:
            # No input needs a gradient: the hooks run now, as PyTorch's (with its warning).
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients.",
                          UserWarning, stacklevel=2)
            self._run_hooks((None,) * len(self.args))
        return [_as_grad(grad_output[slot], g) for slot, g in zip(self.output_slots, grads)]

    def _on_grad_input(self, grads: list[Any]) -> list[Any]:
        # As PyTorch: None for an argument that is not a Tensor, zeros for a Tensor that
        # needs no gradient.
        full: list[Any] = [None if a is None else Tensor(np.zeros(a[0], a[1]))
                           for a in self.args]
        for slot, g in zip(self.input_slots, grads):
            full[slot] = _as_tensor(g)
        grad_input = self._run_hooks(tuple(full))
        return [_as_grad(grad_input[slot], g) for slot, g in zip(self.input_slots, grads)]

    def _run_hooks(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        grad_output = self.grad_output
        if grad_output is None:  # the outputs needed no gradient
            grad_output = ()
        for hook in list(self.hooks.backward.values()):
            result = hook(self.module, grad_input, grad_output)
            if result is not None:
                grad_input = self._checked(result, grad_input, "full backward hook",
                                           "grad_input")
        return grad_input

    def _checked(self, result: Any, before: tuple[Any, ...], kind: str, what: str
                 ) -> tuple[Any, ...]:
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(before):
            raise RuntimeError(
                f"a {kind} of {type(self.module).__name__} returned {len(result)} gradients, "
                f"but {what} has {len(before)}; return a tuple of the same length (or None "
                "to keep them)."
            )
        return result


class ModuleHooks:
    """A module's hooks by kind, each an ordered dict handle id -> entry."""

    def __init__(self) -> None:
        self.forward_pre: dict[int, tuple[Callable[..., Any], bool]] = {}
        self.forward: dict[int, tuple[Callable[..., Any], bool]] = {}
        self.backward: dict[int, Callable[..., Any]] = {}
        self.backward_pre: dict[int, Callable[..., Any]] = {}

    @staticmethod
    def add(registry: dict[int, Any], entry: Any, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(registry)
        registry[handle.id] = entry
        changed()
        if prepend:
            rest = [(k, v) for k, v in registry.items() if k != handle.id]
            registry.clear()
            registry[handle.id] = entry
            registry.update(rest)
        return handle

    def call(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """module(*args, **kwargs) with its hooks, in PyTorch's order: forward pre-hooks,
        the inputs' identity, forward, forward hooks, the outputs' identity."""
        for hook, with_kwargs in list(self.forward_pre.values()):
            if with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "a forward pre-hook registered with_kwargs=True must return None "
                            f"or a tuple (args, kwargs), got {type(result).__name__}.")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward = None
        if (self.backward or self.backward_pre) and is_grad_enabled():
            backward = _BackwardCall(module, self)
            args = backward.setup_input(args)
        out = module.forward(*args, **kwargs)
        for hook, with_kwargs in list(self.forward.values()):
            result = hook(module, args, kwargs, out) if with_kwargs else hook(module, args, out)
            if result is not None:
                out = result
        if backward is not None:
            out = backward.setup_output(out)
        return out
