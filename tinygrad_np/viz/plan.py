"""Draw a compiled step's plan (`tinygrad_np.compile`): what a replay runs, in order.

    step = tg.compile(train_step)
    step(x, y)                                   # the capture
    text = plan_to_dot(step)                     # DOT text, no dependency
    draw_plan(step, "plan.svg")                  # needs the `dot` program

One node per replayed primitive (its name, output shape and dtype), with edges from what it
reads: earlier ops' outputs, the call's arguments, tensors read by reference (parameters,
named when a Module is given). The library calls a replay makes again (zero_grad, an
optimizer's step) and each backward are drawn in the order they run, chained by dashed edges.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..compile.capture import Event, Op
from ..compile.compiled import CompiledFunction
from .graph import Names, _leaf_names, _quote, _shape, save_dot

__all__ = ["draw_plan", "plan_to_dot"]

_OP = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
_INPUT = 'shape=ellipse, style=filled, fillcolor="#eeeeee"'
_PARAM = 'shape=ellipse, style=filled, fillcolor="#d9f0d3"'
_CALL = 'shape=cds, style=filled, fillcolor="#fde9c9"'


def plan_to_dot(compiled: CompiledFunction, names: Names = None, index: int = 0) -> str:
    """DOT text of the `index`-th plan `compiled` captured (one per guard key)."""
    plans = compiled.captured()
    if not plans:
        raise ValueError("plan_to_dot: this compiled function has no plan yet (call it once; "
                         "a function that runs eagerly has none, see its warning).")
    if not 0 <= index < len(plans):
        raise IndexError(f"plan_to_dot: index {index} is out of range for {len(plans)} plans.")
    leaf_names = _leaf_names(names, "plan_to_dot")
    lines = ["digraph plan {", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    drawn: set[str] = set()
    previous = None  # the last call or backward: the dashed chain of what runs in order
    for n, step in enumerate(plans[index].steps):
        if isinstance(step, Op):
            node = f"op{step.index}"
            label = f"{step.function.__name__}\n{_shape(step.out_shape, step.out_dtype)}"
            lines.append(f"  {node} [label={_quote(label)}, {_OP}];")
            for kind, what in step.sources:
                source = _source(kind, what, leaf_names, lines, drawn)
                if source is not None:
                    lines.append(f"  {source} -> {node};")
            continue
        node = f"call{n}"
        if isinstance(step, Event):
            label = f"{getattr(step.method, '__qualname__', step.method)}()"
        else:
            label = "backward()"
            lines.append(f"  op{step.root} -> {node} [style=dotted];")
        lines.append(f"  {node} [label={_quote(label)}, {_CALL}];")
        if previous is not None:
            lines.append(f"  {previous} -> {node} [style=dashed];")
        previous = node
    lines.append("}")
    return "\n".join(lines) + "\n"


def _source(kind: str, what: Any, leaf_names: dict[int, str], lines: list[str],
            drawn: set[str]) -> str | None:
    """The node an op's argument comes from (drawn once), or None for a constant."""
    if kind == "op":
        return f"op{what}"
    if kind == "input":
        node, label, style = f"input{what}", f"argument {what}", _INPUT
    elif kind == "tensor":
        node, style = f"tensor{id(what)}", _PARAM
        label = f"{leaf_names.get(id(what), 'tensor')}\n{_shape(what.shape, what.dtype)}"
    elif kind == "grad":
        node, label, style = f"grad{id(what[1])}", "a leaf's .grad", _INPUT
    else:
        return None
    if node not in drawn:
        drawn.add(node)
        lines.append(f"  {node} [label={_quote(label)}, {style}];")
    return node


def draw_plan(compiled: CompiledFunction, path: str | os.PathLike[str], names: Names = None,
              index: int = 0) -> Path:
    """`render(plan_to_dot(compiled, names, index), path)`; a `.dot` path writes the text."""
    return save_dot(plan_to_dot(compiled, names, index), path)
