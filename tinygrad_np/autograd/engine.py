"""The backward engine: reverse mode over the recorded graph, iteratively, in topological order."""

from __future__ import annotations

import heapq
import warnings
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from .function import _OUTPUT, _RELEASED, Context, _check_finite, _user_frame
from .grad_mode import enter_grad_mode, exit_grad_mode, state, switches
from .tensor_core import Tensor
from .views import refresh
from .watch import changed, recorder, refuse


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum `grad` over the dimensions that broadcasting added or stretched.

    This is the one place where gradients of broadcast inputs are reduced. It works on arrays
    and, under create_graph, on Tensors (both have `.sum(axis, keepdims)` and `.reshape`).
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _saved_as_tensors(ctx: Context) -> tuple[Any, ...]:
    """Under create_graph, hand backward the saved values as Tensors connected to the graph."""
    if not ctx.saved_tensors:
        return ()
    tensor = Tensor
    out: list[Any] = []
    for value, source in zip(ctx.saved_tensors, ctx.saved_sources):
        if source == _OUTPUT:
            out.append(tensor._wrap(value, ctx, True, [0]))
            continue
        node = ctx.parents[source] if source is not None else None
        if node is None:
            out.append(value)  # a constant: arrays and numbers work with Tensors as they are
        elif type(node) is Context:
            out.append(tensor._wrap(value, node, True, [0]))
        else:
            out.append(node)  # the leaf tensor itself
    return tuple(out)


def _stale_saved_error(ctx: Context) -> RuntimeError:
    """The error for a node whose saved arrays are gone or were modified in place."""
    if ctx.released:
        return RuntimeError(
            f"{ctx.name()}: trying to backward through the graph a second time; its saved "
            "arrays were freed after the first backward. Pass retain_graph=True to the first "
            "backward() if you need to backward through it again."
        )
    counter, version = next((c, v) for c, v in ctx.saved_versions if c[0] != v)
    return RuntimeError(
        f"{ctx.name()}: an array it saved for backward was modified by an in-place "
        f"operation (version {version} when saved, {counter[0]} now), so its gradient "
        "would be wrong. Use an out-of-place op (x = x + 1 instead of x += 1) or "
        "modify the tensor only after backward."
    )


def _owns(grad: np.ndarray, incoming: Any, results: tuple[Any, ...], saved: tuple[Any, ...],
          shared: set[int] | None) -> bool:
    """True when `grad` is a new array that nothing else refers to, so a leaf may keep it
    as its .grad without a copy (and later accumulate into it in place). The plain version
    copies every leaf's first gradient (`owned` stays empty); this buys 2.0 % of post 001's
    step (callgrind, W2: 573.9k -> 562.9k instructions) and a copy of every weight-sized
    gradient per step on larger models."""
    if grad is incoming or grad.base is not None or not grad.flags.writeable:
        return False
    if shared is not None:
        if id(grad) in shared:
            return False
    else:
        seen = False
        for r in results:
            if r is grad:
                if seen:  # one array handed to two inputs (Add)
                    return False
                seen = True
    for s in saved:
        if s is grad:
            return False
    return True


def _shared_ids(results: tuple[Any, ...]) -> set[int]:
    """For a backward with many inputs, the ids of arrays it returned more than once, so that
    `_owns` stays O(1) per input (for a few inputs, scanning the tuple is cheaper)."""
    seen: set[int] = set()
    shared: set[int] = set()
    for r in results:
        if r is not None:
            (shared if id(r) in seen else seen).add(id(r))
    return shared


# Gradient hooks of leaves (register_hook) by id, dropped when the leaf goes; a non-leaf's
# live on its node (Context.hooks). (Not a WeakKeyDictionary: it compares keys with ==,
# which is elementwise for Tensors.)
_leaf_hooks: dict[int, list[Any]] = {}


class RemovableHandle:
    """What register_hook returns: `handle.remove()` takes the hook away."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def register_hook(t: Any, hook: Any) -> RemovableHandle:
    """Call `hook(grad)` with the gradient of `t` whenever backward computes it; a Tensor it
    returns replaces the gradient (for `t.grad` of a leaf, and for what flows on)."""
    if not callable(hook):
        raise TypeError(f"register_hook(): hook must be callable, got {type(hook).__name__}.")
    if not t._requires_grad:
        raise RuntimeError("register_hook(): this tensor does not require grad, so no "
                           "gradient will reach it; create it with requires_grad=True.")
    if t.grad_fn is None:
        if id(t) not in _leaf_hooks:
            _leaf_hooks[id(t)] = []
            weakref.finalize(t, _leaf_hooks.pop, id(t), None)
        hooks = _leaf_hooks[id(t)]
    else:
        if t.grad_fn.hooks is None:
            t.grad_fn.hooks = []
        hooks = t.grad_fn.hooks
    hooks.append(hook)
    changed()
    return RemovableHandle(hooks, hook)


def _run_hooks(hooks: list[Any], g: Any) -> Any:
    for hook in list(hooks):
        wrapped = g if isinstance(g, Tensor) else Tensor._wrap(g, None, False, [0])
        result = hook(wrapped)
        if result is not None:
            if not isinstance(result, Tensor) or result.shape != np.shape(g):
                raise RuntimeError(
                    f"a gradient hook returned {type(result).__name__} "
                    f"{getattr(result, 'shape', '')}; return None or a Tensor of the gradient's "
                    f"shape {np.shape(g)}.")
            g = result if isinstance(g, Tensor) else result._data
    return g


def run_backward(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: dict[int, Any] | None = None,
) -> None:
    """Propagate `root_grads` from the `roots` nodes to the leaves.

    Without `capture` the leaves' `.grad` accumulate (Tensor.backward). With it, the gradient
    reaching each captured node is stored in `capture[id(node)]` and no `.grad` changes
    (tinygrad_np.grad).

    Nodes run newest first (by `sequence_nr`). A node's consumers are all newer than it, so
    when it runs every contribution to its gradient has arrived: no separate pass over the
    graph to count dependencies. Backward functions run in grad mode `create_graph`, so under
    create_graph the backward pass is itself recorded.
    """
    # node -> its gradient so far. (Nodes are keys by identity: Tensor's __eq__ is never
    # called because live objects' identity hashes differ.)
    grads: dict[Any, Any] = {}
    queue: list[tuple[int, Context]] = []  # heap of (-sequence_nr, node): newest first
    leaves: list[Any] = []  # in the order their first gradient arrived
    for node, g in zip(roots, root_grads):
        if node in grads:
            total = grads[node] + g
            grads[node] = np.asarray(total) if isinstance(total, np.generic) else total
            continue
        grads[node] = g
        if type(node) is Context:
            heapq.heappush(queue, (-node.sequence_nr, node))
        else:
            leaves.append(node)
    owned: set[Any] = set()  # nodes whose gradient array we made: safe to add into in place
    restore = enter_grad_mode(create_graph)
    try:
        _run(queue, leaves, grads, owned, retain_graph, create_graph, capture)
    finally:
        exit_grad_mode(*restore)
    wrap = Tensor._wrap
    for leaf in leaves:
        g = grads.pop(leaf)
        if _leaf_hooks and id(leaf) in _leaf_hooks:
            g = _run_hooks(_leaf_hooks[id(leaf)], g)
            owned.discard(leaf)  # (a hook may have kept the array)
        if capture is not None:
            if id(leaf) in capture:
                capture[id(leaf)] = g
            continue
        old = leaf._grad
        if old is None and leaf in owned:  # the common case (every step after zero_grad)
            leaf._grad = wrap(g, None, False, [0])  # an array we made: it may keep it
        else:
            store_grad(leaf, g, leaf in owned, create_graph)


def store_grad(leaf: Any, g: Any, owned: bool, create_graph: bool) -> None:
    """Add the gradient `g` that backward computed for `leaf` to `leaf.grad`. `owned`: `g` is
    an array that nothing else refers to, so `.grad` may keep it without a copy."""
    old = leaf._grad
    if old is None and owned:
        leaf._grad = Tensor._wrap(g, None, False, [0])
    elif isinstance(g, Tensor):  # create_graph: the sum is recorded
        if old is not None and old._requires_grad:
            _warn_growing_grad_graph()
        leaf._grad = g if old is None else old + g
    elif old is None:  # (np.array: the sum of 0-d arrays is a NumPy scalar)
        leaf._grad = Tensor._wrap(np.array(g), None, False, [0])
    elif create_graph or old.requires_grad or not old._data.flags.writeable:
        leaf._grad = old + g  # never write into a graph's tensor or a read-only array
    else:
        old._data += g


def _warn_growing_grad_graph() -> None:
    warnings.warn(
        "backward(create_graph=True) added a recorded gradient to a .grad that is itself "
        "recorded, so the graph behind .grad grows with every call (and keeps its arrays "
        "alive); set .grad to None (zero_grad) between calls, or use tinygrad_np.grad(...), "
        "which leaves .grad alone, as PyTorch recommends.", UserWarning, stacklevel=4)


def _run(queue: list[tuple[int, Context]], leaves: list[Any], grads: dict[Any, Any],
         owned: set[Any], retain_graph: bool, create_graph: bool,
         capture: dict[int, Any] | None) -> None:
    """The backward loop, once per recorded op that a gradient reaches. The common case (an
    array gradient already of its input's shape and dtype) is inlined."""
    tensor = Tensor
    ndarray = np.ndarray
    heappop, heappush, heappushpop = heapq.heappop, heapq.heappush, heapq.heappushpop
    anomaly = state.anomaly_enabled
    ctx = heappop(queue)[1] if queue else None
    while ctx is not None:
        g = grads.pop(ctx)
        if ctx.hooks:
            g = _run_hooks(ctx.hooks, g)
        if capture is not None and id(ctx) in capture:
            capture[id(ctx)] = g
        for counter, version in ctx.saved_versions:  # a released node always fails this
            if counter[0] != version:
                raise _stale_saved_error(ctx)
        if ctx.retained is not None:
            kept = ctx.retained()
            if kept is not None and capture is None:
                kept.grad = _add_grads(kept.grad, g, create_graph)
        saved = ctx.saved_tensors
        if create_graph:
            ctx.saved_tensors = _saved_as_tensors(ctx)
            if not isinstance(g, tensor):
                g = tensor._wrap(g, None, False, [0])
            try:
                results = ctx.function.backward(ctx, g)
            finally:
                ctx.saved_tensors = saved
        else:
            results = ctx.function.backward(ctx, g)
        if type(results) is not tuple:
            results = (results,)
        parents = ctx.parents
        if len(results) != len(parents):
            raise RuntimeError(
                f"{ctx.name()} returned {len(results)} gradients but its forward took "
                f"{len(parents)} arguments; return one per argument (None for no gradient)."
            )
        shared = None
        first = None  # the first node this one's gradient reached: in a chain, the next to run
        for parent, pg in zip(parents, results):
            if parent is None or pg is None:
                continue
            if type(parent) is Context:
                shape, dtype = parent.out_shape, parent.out_dtype
            else:
                shape, dtype = parent._data.shape, parent._data.dtype
            if type(pg) is not ndarray or pg.shape != shape or pg.dtype is not dtype:
                pg = _fit(pg, shape, dtype, ctx)
            if anomaly:
                _check_anomaly_backward(ctx, pg)
            pending = grads.get(parent)
            if pending is None:
                grads[parent] = pg
                if type(parent) is Context:
                    # Not owned: should a second contribution come, it makes a new sum; that
                    # is cheaper than asking, for every node, who else holds this array.
                    if first is None:
                        first = parent
                    else:
                        heappush(queue, (-parent.sequence_nr, parent))
                else:
                    leaves.append(parent)  # a leaf may keep the array as its .grad, if ours
                    if shared is None and len(results) > 8:
                        shared = _shared_ids(results)
                    if type(pg) is ndarray and _owns(pg, g, results, saved, shared):
                        owned.add(parent)
            elif parent in owned:
                pending += pg  # our own buffer: accumulate in place
            else:
                total = pending + pg
                if isinstance(total, np.generic):  # 0-d arrays sum to a NumPy scalar
                    total = np.asarray(total)
                grads[parent] = total
                if type(total) is ndarray:  # (not a Tensor)
                    owned.add(parent)
        if saved and not retain_graph:
            # Free what the node saved, and its attributes with it. A node that saved nothing
            # (a sum, a reshape) stays usable, as in PyTorch: y = x.sum(); y.backward() twice.
            ctx.saved_tensors = ctx.saved_sources = ()
            ctx.saved_versions = _RELEASED
            ctx.__dict__.clear()
        # Next, the newest node with a gradient pending: in a chain that is `first`, which
        # then needs no trip through the heap.
        if first is None:
            ctx = heappop(queue)[1] if queue else None
        elif queue and queue[0][0] < -first.sequence_nr:
            ctx = heappushpop(queue, (-first.sequence_nr, first))[1]
        else:
            ctx = first


def _fit(grad: Any, shape: tuple[int, ...], dtype: np.dtype, ctx: Context) -> Any:
    """Bring a gradient to its input's shape (summing broadcast dimensions) and dtype."""
    tensor = Tensor
    if not isinstance(grad, (np.ndarray, tensor)):
        grad = np.asarray(grad, dtype=dtype)
    if grad.shape != shape:
        try:
            np.broadcast_shapes(grad.shape, shape)
            grad = sum_to_shape(grad, shape)
        except ValueError:
            grad = None
        if grad is None or grad.shape != shape:
            raise RuntimeError(
                f"{ctx.name()} returned a gradient of shape {getattr(grad, 'shape', None)} for "
                f"an input of shape {shape}; a gradient must have the input's shape or one "
                "that broadcasts from it."
            )
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _add_grads(existing: Any, g: Any, create_graph: bool) -> Any:
    tensor = Tensor
    if existing is None:
        return g if isinstance(g, tensor) else tensor._wrap(np.array(g), None, False, [0])
    if create_graph or isinstance(g, tensor):
        return existing + g
    return tensor._wrap(existing._data + g, None, False, [0])


def _check_anomaly_backward(ctx: Context, grad: Any) -> None:
    try:
        _check_finite(ctx.name(), "backward", grad, None)
    except FloatingPointError as err:
        if ctx.trace:
            frame = _user_frame(ctx.trace)
            raise FloatingPointError(
                f"{err} The forward op was created at {frame.filename}:{frame.lineno}: "
                f"{frame.line}"
            ) from None
        raise


def backward(
    tensor: Any, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """`Tensor.backward`: accumulate d(tensor)/d(leaf) into every leaf's `.grad`."""
    rec = recorder() if switches.watch else None
    if rec is not None and not rec.paused:
        return rec.backward(tensor, gradient, retain_graph, create_graph)
    _current(tensor)
    if not tensor._requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; create the "
            "inputs with requires_grad=True (and not under no_grad) to record a graph."
        )
    g = root_gradient(tensor, gradient, "backward()")
    node = tensor.grad_fn or tensor
    keep = create_graph if retain_graph is None else retain_graph
    run_backward([node], [g], keep, create_graph)


def root_gradient(t: Any, gradient: Any, who: str) -> Any:
    tensor = Tensor
    if gradient is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"{who}: grad can be implicitly created only for scalar outputs, but the "
                f"output has shape {t._data.shape}; pass gradient= (an array of that shape), "
                "or reduce it first, e.g. y.sum().backward()."
            )
        ones = np.empty(t._data.shape, t._data.dtype)  # (np.ones is Python: twice the cost)
        ones.fill(1)
        return ones
    graphed = isinstance(gradient, tensor) and gradient.requires_grad
    g = gradient if graphed else np.asarray(
        gradient._data if isinstance(gradient, tensor) else gradient, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise RuntimeError(
            f"{who}: gradient has shape {g.shape} but the output has shape {t._data.shape}; "
            "they must match."
        )
    return g


def _tensors(values: Any, what: str) -> list[Any]:
    """grad()'s `outputs` or `inputs`: a Tensor, or a sequence (any iterable) of Tensors."""
    tensor = Tensor
    if isinstance(values, tensor):
        _current(values)
        return [values]
    try:
        items = None if isinstance(values, (str, bytes)) else list(values)
    except TypeError:
        items = None
    if items is None:
        raise TypeError(
            f"grad(): {what} must be a Tensor or a sequence of Tensors, got "
            f"{type(values).__name__} {values!r:.40}; pass the tensors themselves (e.g. "
            "grad(loss, [w, b]))."
        )
    for i, v in enumerate(items):
        if not isinstance(v, tensor):
            raise TypeError(
                f"grad(): {what}[{i}] is a {type(v).__name__}, not a Tensor; {what} must be a "
                "Tensor or a sequence of Tensors."
            )
    for v in items:
        _current(v)
    return items


def _current(t: Any) -> None:
    """A view whose base changed in place since its node was made gets its node again."""
    if t._view is not None and t._view.version != t._version[0]:
        refresh(t)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """Gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`.

    Returns a tuple with one Tensor per input (None for an unused input when
    `allow_unused=True`). Leaves' `.grad` are not touched.
    """
    refuse("tinygrad_np.grad()")
    tensor = Tensor
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad(): got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give "
            "one per output (None for a scalar output)."
        )
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(
                f"grad(): input {i} does not require grad; nothing to differentiate."
            )
    roots, root_grads = [], []
    for i, (out, go) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"grad(): output {i} does not require grad and has no grad_fn; it does not "
                "depend on any input that requires grad."
            )
        roots.append(out.grad_fn or out)
        root_grads.append(root_gradient(out, go, "grad()"))
    capture = {id(x.grad_fn or x): None for x in inputs}
    keep = create_graph if retain_graph is None else retain_graph
    run_backward(roots, root_grads, keep, create_graph, capture)
    results = []
    for i, x in enumerate(inputs):
        g = capture[id(x.grad_fn or x)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it."
            )
        if g is not None and not isinstance(g, tensor):
            g = tensor._wrap(g if g.flags.writeable else g.copy(), None, False, [0])
        results.append(g)
    return tuple(results)
