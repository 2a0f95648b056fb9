"""Draw the graph recorded behind a tensor: Graphviz DOT text, rendered when Graphviz is there.

    loss = F.cross_entropy(model(x), y)
    text = to_dot(loss, model)                    # DOT text, no dependency
    draw_graph(loss, "graph.svg", model, grad_norms=True)   # needs the `dot` program

One node per recorded op (its name, output shape and dtype) and one per leaf that requires
grad (its parameter name when a Module or a name mapping is given); edges run in data-flow
order, from each input to the op that consumes it, in the op's argument order. Inputs that
do not require grad are not part of the recorded graph and are not drawn.

Nothing here runs while a model trains: the graph is read after the fact from the
`Context` nodes the engine already keeps (`.function`, `.parents`, `.out_shape`,
`.out_dtype`). With `trace_modules`, ops are grouped by the Module call that made them, so a
graph of thousands of ops can be drawn one box per layer call (`collapse=True`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd.engine import root_gradient, run_backward
from ..autograd.function import Context
from ..autograd.tensor_core import Tensor

__all__ = ["GraphvizNotFoundError", "ModuleCalls", "draw_graph", "render", "to_dot",
           "trace_modules"]

Names = Any  # a Module (anything with named_parameters()), a Mapping[str, Tensor], or a list


class GraphvizNotFoundError(RuntimeError):
    """Neither the Graphviz `dot` program nor a working `graphviz` Python package was found."""


# ---- reading the graph -------------------------------------------------------------------
def _roots(output: Tensor | Sequence[Tensor], who: str) -> list[Any]:
    outputs = [output] if isinstance(output, Tensor) else list(output)
    roots = []
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: expected a Tensor (or a list of them), got "
                            f"{type(t).__name__} at position {i}.")
        if not t.requires_grad:
            raise ValueError(
                f"{who}: the tensor has no recorded graph (requires_grad=False); build it from "
                "inputs created with requires_grad=True (or a Module's parameters), outside "
                "no_grad()."
            )
        roots.append(t.grad_fn or t)
    return roots


def _forward_order(roots: Sequence[Any]) -> list[Any]:
    """Every node reachable from `roots`, producers before consumers (iterative DFS
    post-order, so a chain of 100,000 ops is fine), inputs visited in argument order."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if type(node) is Context:
            for parent in reversed(node.parents):
                if parent is not None and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _leaf_names(names: Names, who: str) -> dict[int, str]:
    """id(tensor) -> name, from a Module (duck-typed: `named_parameters()`), a mapping of
    names to tensors, or a list of either."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        return {id(p): name for name, p in names.named_parameters()}
    if isinstance(names, Mapping):
        return {id(t): str(name) for name, t in names.items()}
    if isinstance(names, (list, tuple)):
        out: dict[int, str] = {}
        for item in names:
            out.update(_leaf_names(item, who))
        return out
    raise TypeError(f"{who}: names= takes a Module, a dict of name -> Tensor, or a list of "
                    f"them; got {type(names).__name__}.")


def _gradient_norms(roots: Sequence[Any], outputs: Sequence[Tensor], nodes: Sequence[Any],
                    who: str) -> dict[int, float]:
    """The norm of d(output)/d(node) at every node, from a backward pass of our own that
    captures each node's gradient: nothing accumulates into any `.grad` and the graph is
    kept, so the caller's own backward (before or after) is unaffected."""
    for node in nodes:
        if type(node) is Context and node.released:
            raise RuntimeError(
                f"{who}(grad_norms=True): the graph was freed by an earlier backward(); draw "
                "it before calling backward(), or call backward(retain_graph=True)."
            )
    root_grads = [root_gradient(t, None, f"{who}(grad_norms=True)") for t in outputs]
    capture: dict[int, Any] = {id(n): None for n in nodes}
    run_backward(list(roots), root_grads, True, False, capture)
    return {key: float(np.linalg.norm(np.asarray(g))) for key, g in capture.items()
            if g is not None}


# ---- module calls ------------------------------------------------------------------------
class ModuleCalls:
    """Which Module call created each recorded op; filled inside `with trace_modules(...)`.

    For every op it keeps the chain of calls it was made in, outermost first, each as
    (module name, call number), so ops can be grouped per call at any nesting depth.
    """

    def __init__(self, names: Mapping[int, str]) -> None:
        self._names = dict(names)
        self._counts: dict[str, int] = {}
        self._stack: list[tuple[str, int, str]] = []
        self.chains: dict[int, tuple[tuple[str, int, str], ...]] = {}
        self._keep: list[Context] = []  # ids stay valid while we hold the nodes

    def _enter(self, module: Any) -> None:
        name = self._names.get(id(module), type(module).__name__)
        n = self._counts.get(name, 0) + 1
        self._counts[name] = n
        self._stack.append((name, n, type(module).__name__))

    def _exit(self, inputs: Iterable[Any], output: Any) -> None:
        chain = tuple(self._stack)
        self._stack.pop()
        stop = {id(a.grad_fn or a) for a in inputs if isinstance(a, Tensor)}
        outs = output if isinstance(output, (tuple, list)) else (output,)
        pending = [t.grad_fn for t in outs if isinstance(t, Tensor) and t.grad_fn is not None]
        seen: set[int] = set()
        while pending:  # the ops between this call's inputs and its outputs
            ctx = pending.pop()
            if id(ctx) in stop or id(ctx) in seen:
                continue
            seen.add(id(ctx))
            if id(ctx) not in self.chains:  # inner calls claimed theirs first
                self.chains[id(ctx)] = chain
                self._keep.append(ctx)
            pending.extend(p for p in ctx.parents if type(p) is Context)

    def group(self, ctx: Any, depth: int | None) -> tuple[tuple[str, int, str], ...] | None:
        """The call chain of `ctx` cut to `depth` levels (None: innermost), or None."""
        chain = self.chains.get(id(ctx))
        if chain is None:
            return None
        return chain if depth is None else chain[:depth]


@contextlib.contextmanager
def trace_modules(model: Any = None) -> Iterator[ModuleCalls]:
    """Record which Module call makes each op, while the block runs::

        with trace_modules(model) as calls:
            loss = F.cross_entropy(model(x), y)
        to_dot(loss, model, modules=calls, collapse=True)

    `model` (optional) gives the modules their dotted names. `Module.__call__` is wrapped
    only inside the block (not thread-safe: trace while nothing else trains).
    """
    from ..nn.module import Module

    names = {id(m): (name or type(m).__name__) for name, m in model.named_modules()} \
        if model is not None else {}
    calls = ModuleCalls(names)
    original = Module.__call__

    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls._enter(self)
        try:
            out = original(self, *args, **kwargs)
        except BaseException:
            calls._stack.pop()
            raise
        calls._exit([*args, *kwargs.values()], out)
        return out

    Module.__call__ = traced  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        Module.__call__ = original  # type: ignore[method-assign]


# ---- DOT text ----------------------------------------------------------------------------
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape: tuple[int, ...], dtype: Any) -> str:
    dims = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    return f"{dims} {np.dtype(dtype).name}"


def _norm_line(norms: dict[int, float] | None, key: int) -> str:
    if norms is None:
        return ""
    value = norms.get(key)
    return "\n|grad| " + (f"{value:.3g}" if value is not None else "none")


_OP_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
_PARAM_STYLE = 'shape=ellipse, style=filled, fillcolor="#d9f0d3"'
_LEAF_STYLE = 'shape=ellipse, style=filled, fillcolor="#eeeeee"'
_GROUP_STYLE = 'shape=box3d, style=filled, fillcolor="#fde9c9"'


def to_dot(
    output: Tensor | Sequence[Tensor],
    names: Names = None,
    *,
    grad_norms: bool = False,
    modules: ModuleCalls | None = None,
    collapse: bool = False,
    depth: int | None = None,
    rankdir: str = "TB",
    title: str = "",
) -> str:
    """The graph recorded behind `output` as Graphviz DOT text.

    `names`: a Module (its `named_parameters()` name the leaves) or a dict name -> Tensor.
    `grad_norms`: add |d output / d node| to every node (runs its own backward pass and
    keeps the graph; draw before `backward()` or after `backward(retain_graph=True)`).
    `modules`: the `ModuleCalls` of `trace_modules`; ops are then boxed per module call, or
    with `collapse=True` drawn as one node per call (`depth` levels of nesting, default the
    innermost), the named parameters used only inside one call folded into it.
    """
    who = "to_dot"
    if collapse and modules is None:
        raise ValueError(f"{who}: collapse=True needs modules=, the ModuleCalls recorded by "
                         "`with trace_modules(model) as calls:` around the forward pass.")
    roots = _roots(output, who)
    outputs = [output] if isinstance(output, Tensor) else list(output)
    nodes = _forward_order(roots)
    leaf_names = _leaf_names(names, who)
    norms = _gradient_norms(roots, outputs, nodes, who) if grad_norms else None
    root_ids = {id(r) for r in roots}

    ids = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    groups: dict[int, Any] = {}  # id(node) -> group key, for grouped ops
    if modules is not None:
        for n in nodes:
            if type(n) is Context:
                key = modules.group(n, depth)
                if key:
                    groups[id(n)] = key
        if collapse:  # a named parameter used only inside one call belongs to it
            consumers: dict[int, set[Any]] = {}
            for n in nodes:
                if type(n) is Context:
                    for p in n.parents:
                        if type(p) is not Context and id(p) in leaf_names:
                            consumers.setdefault(id(p), set()).add(groups.get(id(n)))
            for key, owners in consumers.items():
                if len(owners) == 1 and None not in owners:
                    groups[key] = next(iter(owners))

    lines = [f"digraph {_quote(title or 'graph')} {{",
             f"  graph [rankdir={rankdir}, fontname=Helvetica, fontsize=11"
             + (f", label={_quote(title)}, labelloc=t" if title else "") + "];",
             "  node [fontname=Helvetica, fontsize=10];",
             "  edge [arrowsize=0.6];"]
    if collapse:
        ids, body = _collapsed_nodes(nodes, ids, groups, leaf_names, norms, root_ids)
    else:
        body = _plain_nodes(nodes, ids, leaf_names, norms, root_ids)
        if groups:
            body += _clusters(nodes, ids, groups)
    lines += body
    seen_edges: set[tuple[str, str]] = set()
    for n in nodes:
        if type(n) is not Context:
            continue
        head = ids[id(n)]
        for p in n.parents:
            if p is None:
                continue
            edge = (ids[id(p)], head)
            if edge[0] != edge[1] and edge not in seen_edges:
                seen_edges.add(edge)
                lines.append(f"  {edge[0]} -> {edge[1]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _plain_nodes(nodes: Sequence[Any], ids: dict[int, str], leaf_names: dict[int, str],
                 norms: dict[int, float] | None, root_ids: set[int]) -> list[str]:
    out = []
    for n in nodes:
        key = id(n)
        if type(n) is Context:
            label = f"{n.function.__name__}\n{_shape(n.out_shape, n.out_dtype)}"
            style = _OP_STYLE + (", penwidth=2" if key in root_ids else "")
        else:
            name = leaf_names.get(key)
            label = f"{name or 'tensor'}\n{_shape(n.shape, n.dtype)}"
            style = _PARAM_STYLE if name else _LEAF_STYLE
        out.append(f"  {ids[key]} [label={_quote(label + _norm_line(norms, key))}, {style}];")
    return out


def _group_label(key: tuple[tuple[str, int, str], ...]) -> str:
    name, call, kind = key[-1]
    return f"{name} ({kind})" + (f" call {call}" if call > 1 else "")


def _clusters(nodes: Sequence[Any], ids: dict[int, str], groups: dict[int, Any]) -> list[str]:
    members: dict[Any, list[str]] = {}
    for n in nodes:
        if id(n) in groups:
            members.setdefault(groups[id(n)], []).append(ids[id(n)])
    out = []
    for i, (key, names) in enumerate(members.items()):
        out.append(f"  subgraph cluster_{i} {{ label={_quote(_group_label(key))}; "
                   f'style=dashed; color="#999999"; {"; ".join(names)}; }}')
    return out


def _collapsed_nodes(nodes: Sequence[Any], ids: dict[int, str], groups: dict[int, Any],
                     leaf_names: dict[int, str], norms: dict[int, float] | None,
                     root_ids: set[int]) -> tuple[dict[int, str], list[str]]:
    """One node per group, placed where its last op is (which gives its shape and gradient
    norm); ungrouped nodes as they are."""
    group_id: dict[Any, str] = {}
    info: dict[Any, list[Any]] = {}  # key -> [ops, params, last op]
    out_ids: dict[int, str] = {}
    for n in nodes:
        key = groups.get(id(n))
        if key is None:
            out_ids[id(n)] = ids[id(n)]
            continue
        if key not in group_id:
            group_id[key] = f"g{len(group_id)}"
            info[key] = [0, 0, None]
        out_ids[id(n)] = group_id[key]
        if type(n) is Context:
            info[key][0] += 1
            info[key][2] = n
        else:
            info[key][1] += int(n._data.size)
    body: list[str] = []
    for n in nodes:
        key = groups.get(id(n))
        if key is None:
            body += _plain_nodes([n], ids, leaf_names, norms, root_ids)
        elif info[key][2] is n:
            ops, params, last = info[key]
            label = f"{_group_label(key)}\n{ops} op{'s' if ops != 1 else ''}"
            if params:
                label += f", {params:,} params"
            label += f"\n{_shape(last.out_shape, last.out_dtype)}" + _norm_line(norms, id(n))
            body.append(f"  {group_id[key]} [label={_quote(label)}, {_GROUP_STYLE}];")
    return out_ids, body


# ---- rendering ---------------------------------------------------------------------------
def render(dot: str, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Render DOT text to `path` (SVG, PNG or PDF, from `format` or the file's suffix) with
    the Graphviz `dot` program, or the `graphviz` Python package when that finds one."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("dot")
    if exe is not None:
        done = subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=dot.encode(),
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"render: dot -T{fmt} failed: "
                               f"{done.stderr.decode(errors='replace').strip()}")
        return path
    try:
        import graphviz  # the Python wrapper; it still needs Graphviz's programs
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            path.write_bytes(graphviz.Source(dot).pipe(format=fmt))
            return path
        except graphviz.ExecutableNotFound:
            pass
    raise GraphvizNotFoundError(
        f"render: cannot write {path}: the Graphviz 'dot' program was not found on PATH. "
        "Install Graphviz (apt-get install graphviz, brew install graphviz, conda install "
        "graphviz or https://graphviz.org/download/); the `graphviz` Python package alone is "
        "a wrapper around it. Without it, to_dot(...) still gives the DOT text: save it as a "
        ".dot file or paste it into an online Graphviz viewer."
    )


def draw_graph(output: Tensor | Sequence[Tensor], path: str | os.PathLike[str],
               names: Names = None, **options: Any) -> Path:
    """`render(to_dot(output, names, **options), path)`; a `.dot` path writes the text."""
    return save_dot(to_dot(output, names, **options), path)


def save_dot(dot: str, path: str | os.PathLike[str]) -> Path:
    """DOT text to `path`: the text itself for a `.dot` path, else rendered (`render`)."""
    path = Path(path)
    if path.suffix == ".dot":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dot)
        return path
    return render(dot, path)
