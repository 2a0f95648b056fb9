"""A recording turned into straight-line NumPy: one generated Python function per plan.

Forward: each recorded primitive's `forward` on arrays, in the recorded order, through a
Context made once per op (it carries what forward leaves for backward). Backward: what the
engine does, spelt out: nodes newest first, each node's gradients fitted to its inputs and
added up in the order the engine adds them, leaves' `.grad` stored by the engine's own
`store_grad`; so a replay's sums round as eager ones do, bit for bit. Events (an optimizer's
step, zero_grad) are called as they are. No graph nodes, no Tensor wrappers, no checks: those
ran at capture, and the guards (compiled.py) make sure they would pass again.

`Plan.source` is the generated code, for reading (`compiled.plans()`, `viz`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.engine import _fit, _leaf_hooks, _owns, store_grad
from ..autograd.function import Context, array_result
from ..autograd.tensor_core import Tensor
from .capture import Backward, Event, Op, Recorder

_INLINE = (type(None), bool, int, str)  # constants written into the code as they are


class Refused(Exception):
    """The recording cannot become a plan (the message says why)."""


class Stale(Exception):
    """A tensor the plan reads no longer requires grad as it did (or now does): capture
    again."""


@dataclass
class Plan:
    source: str
    run: Any  # run(*input_arrays) -> tuple of the returned arrays
    progress: list[int]  # [1] once a replay did something that it cannot take back
    ops: list[Op]  # the recorded ops the plan runs
    events: list[Event]


def leaf_sum(total: Any, owned: bool, g: Any, incoming: Any, results: tuple[Any, ...],
             saved: tuple[Any, ...]) -> tuple[Any, bool]:
    """A leaf's gradient so far after one more contribution `g`, and whether it is an array
    only the leaf holds (the engine's bookkeeping, so `.grad` aliases what eager's would)."""
    if total is None:
        return g, type(g) is np.ndarray and _owns(g, incoming, results, saved, None)
    if owned:
        total += g
        return total, True
    total = total + g
    return (np.asarray(total) if isinstance(total, np.generic) else total), True


def sum_grads(total: Any, g: Any) -> Any:
    """A node's gradient so far plus one more contribution (0-d sums stay arrays)."""
    if total is None:
        return g
    total = total + g
    return np.asarray(total) if isinstance(total, np.generic) else total


def ones(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    g = np.empty(shape, dtype)
    g.fill(1)
    return g


class _Writer:
    """Collects the generated lines and the namespace they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "ndarray": np.ndarray, "fit": _fit, "leaf_sum": leaf_sum, "sum_grads": sum_grads,
            "ones": ones, "store_grad": store_grad, "array_result": array_result,
        }
        self._ids: dict[tuple[str, int], str] = {}

    def name(self, prefix: str, value: Any) -> str:
        """A global name for `value` in the generated code (one per object)."""
        key = (prefix, id(value))
        if key not in self._ids:
            self._ids[key] = f"{prefix}{len(self._ids)}"
            self.names[self._ids[key]] = value
        return self._ids[key]

    def value(self, v: Any) -> str:
        if type(v) in _INLINE:
            return repr(v)
        return self.name("K", v)

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)


def build(rec: Recorder, returned: list[tuple[str, Any]], n_inputs: int) -> Plan:
    """The plan of `rec`'s recording; `returned` lists where each returned array comes from
    (("op", i) outputs of ops, the other kinds are the wrapper's business)."""
    steps = rec.recording.steps
    backwards = [s for s in steps if isinstance(s, Backward)]
    reach = {id(b): _reachable(rec, b.root) for b in backwards}
    needed = _needed(rec.ops, [i for kind, i in returned if kind == "op"],
                     [i for b in backwards for i in reach[id(b)][0]])
    w = _Writer()
    params = "".join(f", I{i}" for i in range(n_inputs))
    w.lines.append(f"def replay(A{params}):")  # A: the arguments, I0...: their arrays
    w.emit("M[0] = 0")
    w.names["M"] = progress = [0]
    contexts: dict[int, str] = {}
    ops, events = [], []
    for step in steps:
        if isinstance(step, Op):
            if step.index in needed:
                contexts[step.index] = _forward(w, step)
                ops.append(step)
        elif isinstance(step, Event):
            if not step.idempotent:
                w.emit("M[0] = 1")
            args = ", ".join([w.name("O", step.obj)] + [w.value(a) for a in step.args]
                             + [f"{k}={w.value(v)}" for k, v in step.kwargs.items()])
            w.emit(f"{w.name('E', step.method)}({args})")
            events.append(step)
        else:
            w.emit("M[0] = 1")
            _backward(w, rec, step, reach[id(step)], contexts)
    _guard_requires_grad(w)
    outs = [f"v{i}" for kind, i in returned if kind == "op"]
    w.emit(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    source = "\n".join(w.lines) + "\n"
    namespace = dict(w.names)
    exec(compile(source, "<tinygrad_np.compile plan>", "exec"), namespace)
    return Plan(source, namespace["replay"], progress, ops, events)


def _guard_requires_grad(w: _Writer) -> None:
    """First in the plan: each tensor it reads by reference still has its requires_grad (the
    gradients it computes, and where they go, depend on them)."""
    tensors = [(name, value) for name, value in w.names.items() if name[0] == "T"]
    if tensors:
        test = " or ".join(f"{name}._requires_grad is not {t._requires_grad}"
                           for name, t in tensors)
        w.lines.insert(1, f"    if {test}: raise Stale")
        w.names["Stale"] = Stale


def _needed(ops: list[Op], returned: list[int], differentiated: list[int]) -> set[int]:
    """The ops a replay must run: those whose outputs are returned or differentiated, and
    those they read (others are dead code in the plan: their results went nowhere)."""
    needed = set(returned) | set(differentiated)
    for op in reversed(ops):
        if op.index in needed:
            needed.update(i for kind, i in op.sources if kind == "op")
    return needed


def _forward(w: _Writer, op: Op) -> str:
    ctx = Context()
    ctx.function, ctx.retained, ctx.saved_tensors = op.function, None, ()
    ctx.saved_sources, ctx.saved_versions = (), ()
    ctx.parents = tuple(None if p is None else True for p in op.ctx.parents)
    ctx.out_shape, ctx.out_dtype = op.out_shape, op.out_dtype
    c = w.name("C", ctx)
    args = [c]
    for kind, what in op.sources:
        if kind == "op":
            args.append(f"v{what}")
        elif kind == "input":
            args.append(f"I{what}")
        elif kind == "tensor":
            args.append(f"{w.name('T', what)}._data")
        elif kind == "grad":
            args.append(f"{_leaf(w, what)}._grad._data")
        else:
            args.append(w.value(what))
    v = f"v{op.index}"
    w.emit(f"{v} = {w.name('F', op.function.forward)}({', '.join(args)})")
    if op.out_shape == ():  # (NumPy reductions return scalars)
        w.emit(f"if type({v}) is not ndarray: {v} = array_result({c}, {v})")
    return c


def _leaf(w: _Writer, leaf: tuple[str, Any]) -> str:
    kind, what = leaf
    return f"A[{what}]" if kind == "input" else w.name("T", what)


def _reachable(rec: Recorder, root: int) -> tuple[list[int], list[Any]]:
    """The ops and the leaves that backward from op `root` reaches (ops newest first)."""
    ops, leaves, seen = [], [], set()
    stack = [rec.ops[root].ctx]
    while stack:
        ctx = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        index = rec.node_index(ctx)
        if index is None:
            raise Refused("backward reaches a graph built outside the function")
        if ctx.hooks or ctx.retained is not None:
            raise Refused("backward through a tensor with a hook or retain_grad()")
        ops.append(index)
        for parent in ctx.parents:
            if type(parent) is Context:
                stack.append(parent)
            elif parent is not None and all(parent is not leaf for leaf in leaves):
                leaves.append(parent)
    return sorted(ops, reverse=True), leaves


def _backward(w: _Writer, rec: Recorder, step: Backward, reach: tuple[list[int], list[Any]],
              contexts: dict[int, str]) -> None:
    ops, leaves = reach
    if any(id(leaf) in _leaf_hooks for leaf in leaves):
        raise Refused("backward to a leaf with a gradient hook")
    leaf_var = {id(leaf): k for k, leaf in enumerate(leaves)}
    root = rec.ops[step.root]
    w.emit(f"g{root.index} = ones({root.out_shape!r}, {w.value(root.out_dtype)})")
    others = [f"g{i}" for i in ops if i != root.index]
    if others:
        w.emit(" = ".join(others) + " = None")
    for k in range(len(leaves)):
        w.emit(f"L{k}, Q{k} = None, False")
    for i in ops:
        op = rec.ops[i]
        depth = 1
        if i != root.index:
            w.emit(f"if g{i} is not None:")
            depth = 2
        c = contexts[i]
        w.emit(f"r = {w.name('B', op.function.backward)}({c}, g{i})", depth)
        w.emit("if type(r) is not tuple: r = (r,)", depth)
        for m, parent in enumerate(op.ctx.parents):
            if parent is None:
                continue
            if type(parent) is Context:
                target = rec.ops[rec.node_index(parent)]
                shape, dtype = target.out_shape, target.out_dtype
            else:
                shape, dtype = parent._data.shape, parent._data.dtype
            w.emit(f"p = r[{m}]", depth)
            w.emit("if p is not None:", depth)
            d = w.value(dtype)
            w.emit(f"if type(p) is not ndarray or p.shape != {shape!r} or p.dtype is not {d}:"
                   f" p = fit(p, {shape!r}, {d}, {c})", depth + 1)
            if type(parent) is Context:
                g = f"g{target.index}"
                w.emit(f"{g} = sum_grads({g}, p)", depth + 1)
            else:
                k = leaf_var[id(parent)]
                w.emit(f"L{k}, Q{k} = leaf_sum(L{k}, Q{k}, p, g{i}, r, {c}.saved_tensors)",
                       depth + 1)
    for k, leaf in enumerate(leaves):
        w.emit(f"if L{k} is not None: store_grad({_leaf(w, rec.leaf(leaf))}, L{k}, Q{k}, False)")


def wrap(array: np.ndarray) -> Tensor:
    return Tensor._wrap(array, None, False, [0])
