"""A recording turned into straight-line NumPy: one generated Python function per plan.

Forward: each recorded primitive's `forward` on arrays, in the recorded order, through a
Context made once per op (it carries what forward leaves for backward). Backward: what the
engine does, spelt out: nodes newest first, each node's gradients fitted to its inputs and
added up in the order the engine adds them, leaves' `.grad` stored by the engine's own
`store_grad`; so a replay's sums round as eager ones do, bit for bit. Events (zero_grad, a
scheduler's step) are called as they are; an optimizer's step through the replay function it
named (`Optimizer._replay_step`: the update without the checks its capture made). No graph
nodes, no Tensor wrappers, no checks but the fitting of the gradients that needed it: the
checks ran at capture, and the guards (compiled.py) make sure they would pass again.

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
    run: Any  # run(arguments' tensors and arrays) -> the function's result
    progress: list[int]  # [1] once a replay did something that it cannot take back
    # Per backward edge, 1 where a gradient had to be fitted to its input's shape or dtype:
    # written by a first, checking plan; `fitted` is what the plan was built with (None: it
    # checks every edge and fills `fits`).
    fits: list[int]
    fitted: list[int] | None
    steps: list[Op | Event | Backward]  # what it runs, in order (viz.plan_to_dot draws them)


class _Writer:
    """Collects the generated lines and the namespace they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "ndarray": np.ndarray, "asarray": np.asarray, "fit": _fit, "owns": _owns,
            "store_grad": store_grad, "array_result": array_result, "wrap": wrap,
            "new_tensor": Tensor._wrap,
        }
        self._ids: dict[tuple[str, int], str] = {}
        self.fitted: list[int] | None = None

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


def build(rec: Recorder, returned: Any, fitted: list[int] | None = None) -> Plan:
    """The plan of `rec`'s recording; `returned` says how to build the function's result
    (a tree of ("op", i), ("input", i), ("grad", leaf), ("same", value) and containers).

    Without `fitted` every backward edge checks its gradient's type, shape and dtype (as
    the engine does: 1.9k instructions an edge) and notes in `fits` where one needed
    fitting. Those depend only on the shapes and dtypes that the guards fix, so the plan
    built again with `fitted` (the first replay's `fits`) checks only those edges."""
    steps = rec.recording.steps
    backwards = [s for s in steps if isinstance(s, Backward)]
    reach = {id(b): _reachable(rec, b.root) for b in backwards}
    needed = _needed(rec.ops, _returned_ops(returned),
                     [i for b in backwards for i in reach[id(b)][0]])
    w = _Writer()
    w.fitted = fitted
    w.names["FIT"] = fits = []
    w.lines.append("def replay(A):")  # A: the arguments' tensors and arrays
    w.emit("M[0] = 0")
    w.names["M"] = progress = [0]
    contexts: dict[int, str] = {}
    kept: list[Op | Event | Backward] = []
    for step in steps:
        if isinstance(step, Op):
            if step.index in needed:
                contexts[step.index] = _forward(w, rec, step)
                kept.append(step)
        elif isinstance(step, Event):
            if not step.idempotent:
                w.emit("M[0] = 1")
            if step.replay is not None:
                function, argument = step.replay
                w.emit(f"{w.name('E', function)}({w.name('O', step.obj)}, "
                       f"{w.name('K', argument)})")
            else:
                args = ", ".join([w.name("O", step.obj)] + [w.value(a) for a in step.args]
                                 + [f"{k}={w.value(v)}" for k, v in step.kwargs.items()])
                w.emit(f"{w.name('E', step.method)}({args})")
            kept.append(step)
        else:
            w.emit("M[0] = 1")
            _backward(w, rec, step, reach[id(step)], contexts)
            kept.append(step)
    _guard_requires_grad(w)
    w.emit(f"return {_result(w, rec, returned)}")
    source = "\n".join(w.lines) + "\n"
    namespace = dict(w.names)
    exec(compile(source, "<tinygrad_np.compile plan>", "exec"), namespace)
    return Plan(source, namespace["replay"], progress, fits, fitted, kept)


def _returned_ops(spec: Any) -> list[int]:
    kind, what = spec
    if kind in (tuple, list, dict):
        children = what.values() if kind is dict else what
        return [i for child in children for i in _returned_ops(child)]
    return [what] if kind == "op" else []


def _result(w: _Writer, rec: Recorder, spec: Any) -> str:
    """The expression that builds the returned value: new Tensors around the replay's arrays
    (outside any graph), the arguments themselves, leaves' current .grad, constants."""
    kind, what = spec
    if kind in (tuple, list):
        items = ", ".join(_result(w, rec, child) for child in what)
        if kind is list:
            return f"[{items}]"
        return f"({items},)" if len(what) == 1 else f"({items})"
    if kind is dict:
        return "{" + ", ".join(f"{w.value(k)}: {_result(w, rec, child)}"
                               for k, child in what.items()) + "}"
    if kind == "op":
        return f"wrap(v{what})"
    if kind == "input":
        return f"A[{what}]"
    if kind == "input array":
        return f"wrap({_input_array(rec, what)})"
    if kind == "grad":
        return f"{_leaf(w, what)}._grad"
    if kind == "grad array":
        return f"wrap({_leaf(w, what)}._grad._data)"
    return w.value(what)


def _input_array(rec: Recorder, i: int) -> str:
    return f"A[{i}]._data" if isinstance(rec.recording.inputs[i], Tensor) else f"A[{i}]"


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


class ReplayContext(Context):
    """A replayed op's Context, made once per plan: `needs_input_grad` is a tuple fixed at
    capture rather than a property that builds one at every read (a chain of small ops reads
    it twice per op)."""

    needs_input_grad = ()  # (a plain attribute here, so the instance's own value wins)


def _forward(w: _Writer, rec: Recorder, op: Op) -> str:
    ctx = ReplayContext()
    ctx.function, ctx.retained, ctx.saved_tensors = op.function, None, ()
    ctx.saved_sources, ctx.saved_versions = (), ()
    ctx.parents = tuple(None if p is None else True for p in op.ctx.parents)
    ctx.needs_input_grad = tuple(p is not None for p in ctx.parents)
    ctx.out_shape, ctx.out_dtype = op.out_shape, op.out_dtype
    c = w.name("C", ctx)
    args = [c]
    for kind, what in op.sources:
        if kind == "op":
            args.append(f"v{what}")
        elif kind == "input":
            args.append(_input_array(rec, what))
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
    """The engine's loop, unrolled: each node's backward newest first, its gradients fitted
    and added to what its inputs have so far (first contribution kept, later ones summed, in
    the engine's order); then each leaf's total stored as the engine stores it."""
    ops, leaves = reach
    if any(id(leaf) in _leaf_hooks for leaf in leaves):
        raise Refused("backward to a leaf with a gradient hook")
    leaf_var = {id(leaf): f"L{k}" for k, leaf in enumerate(leaves)}
    root = rec.ops[step.root]
    # The root's gradient of ones: one read-only array for every replay (a backward that
    # returns it as some leaf's gradient is not its owner, so the leaf gets a copy).
    ones_array = np.ones(root.out_shape, root.out_dtype)
    ones_array.flags.writeable = False
    w.emit(f"g{root.index} = {w.name('K', ones_array)}")
    targets = [f"g{i}" for i in ops if i != root.index] + list(leaf_var.values())
    if targets:
        w.emit(" = ".join(targets) + " = None")
    seen: set[str] = set()
    for i in ops:
        op = rec.ops[i]
        depth = 1
        if i != root.index:
            w.emit(f"if g{i} is not None:")
            depth = 2
        c = contexts[i]
        w.emit(f"r = {w.name('B', op.function.backward)}({c}, g{i})", depth)
        edges = [m for m, parent in enumerate(op.ctx.parents) if parent is not None]
        # (as the engine does; a lone gradient to an op needs no tuple, but the ownership
        # test of a leaf's gradient looks through all of them)
        whole = len(edges) > 1 or any(type(op.ctx.parents[m]) is not Context for m in edges)
        if whole:
            w.emit("if type(r) is not tuple: r = (r,)", depth)
        for m, parent in enumerate(op.ctx.parents):
            if parent is None:
                continue
            if type(parent) is Context:
                node = rec.ops[rec.node_index(parent)]
                shape, dtype, target = node.out_shape, node.out_dtype, f"g{node.index}"
            else:
                shape, dtype, target = parent._data.shape, parent._data.dtype, leaf_var[id(parent)]
            d = w.value(dtype)
            w.emit(f"p = r[{m}]" if whole else f"p = r[{m}] if type(r) is tuple else r", depth)
            w.emit("if p is not None:", depth)
            edge = len(w.names["FIT"])
            w.names["FIT"].append(0)
            if w.fitted is None:  # (the checking plan: notes which edges fit)
                w.emit(f"if type(p) is not ndarray or p.shape != {shape!r} or p.dtype is not {d}:"
                       f" FIT[{edge}] = 1; p = fit(p, {shape!r}, {d}, {c})", depth + 1)
            elif w.fitted[edge]:
                w.emit(f"p = fit(p, {shape!r}, {d}, {c})", depth + 1)
            owner = target[0] == "L"
            if target not in seen:  # the first contribution: nothing to add it to yet
                w.emit(f"{target} = p", depth + 1)
                if owner:
                    w.emit(f"Q{target} = type(p) is ndarray and owns(p, g{i}, r, {c}."
                           "saved_tensors, None)", depth + 1)
            else:  # (a sum: a new array, owned, even where the first was not)
                w.emit(f"if {target} is None: {target} = p", depth + 1)
                w.emit(f"else: {target} = {target} + p", depth + 1)
                if shape == ():  # (0-d arrays add up to a NumPy scalar)
                    w.emit(f"{target} = asarray({target})", depth + 1)
                if owner:
                    w.emit(f"Q{target} = True", depth + 1)
            seen.add(target)
    for leaf in leaves:
        target, t = leaf_var[id(leaf)], _leaf(w, rec.leaf(leaf))
        if target in seen:
            w.emit(f"if {target} is not None:")
            w.emit(f"if {t}._grad is None and Q{target}: "
                   f"{t}._grad = new_tensor({target}, None, False, [0])", 2)
            w.emit(f"else: store_grad({t}, {target}, Q{target}, False)", 2)


def wrap(array: np.ndarray) -> Tensor:
    return Tensor._wrap(array, None, False, [0])
