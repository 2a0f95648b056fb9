"""Recording one eager call of a function: the primitives it ran, on what, and the library
calls a replay repeats (backward, an optimizer's step, zero_grad).

The recorder is told of every op by `Function.apply` (through `autograd.watch`), of backward
by the engine and of events by `@replayed` methods. It also watches every read of a tensor's
values: for the length of the capture, `Tensor._data` becomes a property that notes which
function read it. A read from anywhere but the dataflow machinery (apply hands arrays to the
primitives, which a replay runs again) or a function that looks only at shapes and dtypes
(`readers.py`) means Python used a value to decide something or to build a constant, which a
replay would not redo: the capture then refuses, and the function stays eager.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import engine
from ..autograd.function import Context, Function
from ..autograd.grad_mode import state, switches
from ..autograd.tensor_core import Tensor
from ..autograd.watch import paused
from .readers import reads_only_shapes

_DATA = Tensor.__dict__["_data"]  # the slot itself: reads through it are not watched
_get_data, _set_data = _DATA.__get__, _DATA.__set__


@dataclass
class Op:
    """One primitive call: `function.forward(ctx, *sources)`, its output in slot `index`."""

    index: int
    function: type[Function]
    sources: list[tuple[str, Any]]  # per forward argument: (kind, what); see Recorder.source
    ctx: Context  # the capture's node (its parents lead the backward plan)
    out_shape: tuple[int, ...]
    out_dtype: np.dtype


@dataclass
class Event:
    """A library call that a replay makes again: `method(obj, *args, **kwargs)`."""

    method: Any
    obj: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    idempotent: bool  # calling it twice does what calling it once does (zero_grad)
    replay: tuple[Any, Any] | None = None  # (function, argument) a replay calls instead


@dataclass
class Backward:
    """`root.backward()` on the output of op `root` (`retain_graph` as given)."""

    root: int
    retain_graph: bool


@dataclass
class Recording:
    inputs: list[Any]  # the arguments' Tensors and ndarrays, in order
    steps: list[Op | Event | Backward] = field(default_factory=list)
    refusal: str | None = None  # why it cannot be replayed, if it cannot


class Recorder:
    """Watches one call; `recording` holds what it saw."""

    def __init__(self, inputs: list[Any]) -> None:
        self.paused = 0
        self.recording = Recording(inputs)
        arrays = [_get_data(a) if isinstance(a, Tensor) else a for a in inputs]
        self._input_of = {id(a): i for i, a in enumerate(arrays)}
        self._input_tensor = {id(a): i for i, a in enumerate(inputs) if isinstance(a, Tensor)}
        self._made: dict[int, int] = {}  # id(array an op returned) -> its op's index
        self._ops: list[Op] = []
        self._node_of: dict[int, int] = {}  # id(capture's Context) -> op index
        self._grad_of: dict[int, Tensor] = {}  # id(a leaf's .grad array) -> the leaf
        self._alive: list[Any] = []  # keeps the arrays behind those ids alive

    # ---- what eager code reports ------------------------------------------------------------
    def refuse(self, what: str) -> None:
        if self.recording.refusal is None:
            self.recording.refusal = what

    def op(self, cls: type[Function], args: tuple[Any, ...], arrays: list[Any],
           ctx: Context, out: Tensor) -> None:
        sources = [self.source(a, arr) for a, arr in zip(args, arrays)]
        data = _get_data(out)
        op = Op(len(self._ops), cls, sources, ctx, data.shape, data.dtype)
        self._ops.append(op)
        self.recording.steps.append(op)
        self._made[id(data)] = op.index
        self._node_of[id(ctx)] = op.index
        self._alive += (data, ctx)

    def source(self, given: Any, array: Any) -> tuple[str, Any]:
        """Where a replay finds a forward argument (or a returned array): ("op", i) the output
        of op i, ("input", i) argument i's array, ("grad", leaf) the `.grad` array of a leaf
        (as `leaf` names it) after backward, ("tensor", t) the current array of a tensor
        made before the call (a parameter: read each call, so in-place changes are seen),
        ("const", v) a value."""
        if isinstance(given, Tensor):
            array = _get_data(given)
        elif type(array) is not np.ndarray:
            return ("const", array)
        if id(array) in self._made:
            return ("op", self._made[id(array)])
        if id(array) in self._input_of:
            return ("input", self._input_of[id(array)])
        if id(array) in self._grad_of:
            return ("grad", self.leaf(self._grad_of[id(array)]))
        return ("tensor", given) if isinstance(given, Tensor) else ("const", array)

    def event(self, method: Any, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
              idempotent: bool, replay: tuple[Any, Any] | None = None) -> Any:
        if any(isinstance(a, Tensor) or callable(a) for a in (*args, *kwargs.values())):
            self.refuse(f"{_name(method)}() with a tensor or callable argument")
        self.recording.steps.append(Event(method, obj, args, kwargs, idempotent, replay))
        with paused():
            result = method(obj, *args, **kwargs)
        if result is not None:
            self.refuse(f"{_name(method)}() returned a value the function may use")
        return result

    def backward(self, tensor: Tensor, gradient: Any, retain_graph: bool | None,
                 create_graph: bool) -> None:
        root = tensor.grad_fn
        if create_graph or gradient is not None:
            self.refuse("backward() with create_graph or an explicit gradient")
        elif root is None or id(root) not in self._node_of:
            self.refuse("backward() of a tensor computed outside the function")
        else:
            self.recording.steps.append(
                Backward(self._node_of[id(root)], bool(retain_graph)))
        with paused():
            engine.backward(tensor, gradient, retain_graph, create_graph)
        if root is not None:
            self._note_grads(root)

    def _note_grads(self, root: Context) -> None:
        """Remember the leaves' new `.grad` arrays: an op that reads one (gradient clipping,
        a returned gradient) reads the leaf's `.grad` of its own call on replay."""
        stack, seen = [root], set()
        while stack:
            ctx = stack.pop()
            if id(ctx) in seen:
                continue
            seen.add(id(ctx))
            for parent in ctx.parents:
                if type(parent) is Context:
                    stack.append(parent)
                elif parent is not None and parent._grad is not None:
                    grad = _get_data(parent._grad)
                    self._grad_of[id(grad)] = parent
                    self._alive.append(grad)

    # ---- reads of values --------------------------------------------------------------------
    def read(self, frame: Any) -> None:
        if not reads_only_shapes(frame.f_globals.get("__name__", ""), frame.f_code):
            self.refuse(_reader(frame) + " reads a tensor's values")

    # ---- the end ----------------------------------------------------------------------------
    def leaf(self, t: Tensor) -> tuple[str, Any]:
        """How a replay names a leaf tensor: ("input", i) for argument i (a new tensor at each
        call), else ("tensor", t), the same object (a parameter)."""
        i = self._input_tensor.get(id(t))
        return ("tensor", t) if i is None else ("input", i)

    def node_index(self, ctx: Any) -> int | None:
        return self._node_of.get(id(ctx))

    def made_by(self, array: Any) -> int | None:
        return self._made.get(id(array))

    @property
    def ops(self) -> list[Op]:
        return self._ops


def _name(method: Any) -> str:
    return getattr(method, "__qualname__", repr(method))


def _reader(frame: Any) -> str:
    module = frame.f_globals.get("__name__", "")
    if module.split(".")[0] == __name__.split(".")[0]:
        return f"{module}.{frame.f_code.co_qualname}"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _watched_get(t: Tensor) -> Any:
    rec = getattr(state, "recorder", None)
    if rec is not None and not rec.paused:
        rec.read(sys._getframe(1))
    return _get_data(t)


_WATCHED = property(_watched_get, _set_data)


class capturing:
    """`with capturing(recorder):` — the thread's ops report to `recorder`."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __enter__(self) -> Recorder:
        state.recorder = self.recorder
        switches.watch.append(None)
        if not switches.capturing:
            Tensor._data = _WATCHED
        switches.capturing.append(None)
        return self.recorder

    def __exit__(self, *exc: object) -> None:
        switches.capturing.pop()
        if not switches.capturing:
            Tensor._data = _DATA
        switches.watch.pop()
        state.recorder = None
