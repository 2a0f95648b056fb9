"""`tinygrad_np.compile(fn)`: capture a step once, replay it as straight-line NumPy.

The first call with a new guard key runs `fn` eagerly while a recorder watches it
(capture.py); the recording becomes a plan (plan.py). Later calls with the same key run the
plan. The key: each argument's shape, dtype and requires_grad (other arguments by value),
grad mode, the default dtype, and the layout version that module attribute assignments,
train()/eval(), `.data =` and hook registrations advance. A capture that saw something a
replay cannot repeat keeps the function eager, with one warning saying what it was.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.tensor_core import Tensor
from ..autograd.watch import layout
from ..dtypes import get_default_dtype
from .capture import Backward, Recorder, capturing
from .plan import Plan, Refused, Stale, build

_EAGER = None  # a key's entry when its capture refused: run the function as it is


class CompiledFunction:
    """`fn` with captured plans, one per guard key (at most `max_plans`, then eager)."""

    def __init__(self, fn: Callable[..., Any], max_plans: int = 8) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.max_plans = max_plans
        self._entries: dict[Any, Plan | None] = {}
        self._recordings: dict[Any, tuple[Recorder, Any]] = {}  # until the first replay
        self._layout = layout[0]
        self._warned = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if state.recorder is not None:  # inside another compiled function's capture: its
            return self.fn(*args, **kwargs)  # plan records these ops as its own
        inputs: list[Any] = []
        try:
            key = (tuple([_key(a, inputs) for a in args]),
                   _key(kwargs, inputs) if kwargs else None, state.grad_enabled,
                   get_default_dtype(), layout[0])
            entry = self._entries.get(key, False)
        except TypeError:  # an unhashable argument: nothing to key a plan on
            entry = key = _EAGER
        if entry is _EAGER:
            return self.fn(*args, **kwargs)
        if entry is False:
            return self._capture(key, inputs, args, kwargs)
        try:
            result = entry.run(inputs)
            if entry.fitted is None:  # the first replay: now build the plan without the checks
                self._entries[key] = build(*self._recordings.pop(key), entry.fits)
            return result
        except Stale:
            return self._capture(key, inputs, args, kwargs)
        except Exception:
            if entry.progress[0]:
                raise
            # A primitive refused the new values (class targets out of range, say): the
            # eager call takes the path that the capture did not see, or explains the error.
            return self.fn(*args, **kwargs)

    def plans(self) -> list[str]:
        """The generated code of each plan, for reading."""
        return [plan.source for plan in self.captured()]

    def captured(self) -> list[Plan]:
        """The plans themselves (`tinygrad_np.viz.plan_to_dot` draws one)."""
        return [plan for plan in self._entries.values() if plan is not None]

    # ---- capture ----------------------------------------------------------------------------
    def _capture(self, key: Any, inputs: list[Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        if key[-1] != self._layout:  # modules or parameters changed: the old plans are stale
            self._entries.clear()
            self._recordings.clear()
            self._layout = key[-1]
        if len(self._entries) >= self.max_plans:
            self._eager(key, f"more than {self.max_plans} different argument shapes/dtypes "
                             "(max_plans)")
            return self.fn(*args, **kwargs)
        recorder = Recorder(inputs)
        if state.anomaly_enabled:
            recorder.refuse("detect_anomaly() is on")
        with capturing(recorder):
            result = self.fn(*args, **kwargs)
        try:
            if recorder.recording.refusal is not None:
                raise Refused(recorder.recording.refusal)
            differentiated = any(isinstance(s, Backward) for s in recorder.recording.steps)
            returned = _spec(result, recorder, differentiated)
            self._entries[key] = build(recorder, returned)
            self._recordings[key] = (recorder, returned)
        except Refused as why:
            self._eager(key, str(why))
        return result

    def _eager(self, key: Any, why: str) -> None:
        self._entries[key] = _EAGER
        if not self._warned:
            self._warned = True
            warnings.warn(f"tinygrad_np.compile({self.__qualname__}): runs eagerly: {why}.",
                          stacklevel=4)


def compile(fn: Callable[..., Any] | None = None, *, max_plans: int = 8) -> Any:
    """Capture `fn` (a training step, or any function of tensors) at its first call and
    replay later calls as straight-line NumPy. Use as `step = compile(step)` or `@compile`.
    See the README's "Compiled steps" for what it guards on and what it refuses."""
    if fn is None:
        return lambda f: CompiledFunction(f, max_plans)
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}.")
    return CompiledFunction(fn, max_plans)


def _key(value: Any, inputs: list[Any]) -> Any:
    """The guard key of an argument (collecting its arrays in `inputs`)."""
    if isinstance(value, Tensor):
        inputs.append(value)
        data = value._data
        return (data.shape, data.dtype, value._requires_grad)
    if type(value) is np.ndarray:
        inputs.append(value)
        return (value.shape, value.dtype, None)
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_key(v, inputs) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _key(v, inputs)) for k, v in value.items()))
    hash(value)  # (TypeError for an unhashable one)
    return (type(value), value)


def _spec(value: Any, rec: Recorder, differentiated: bool) -> Any:
    """How a replay builds a returned value (plan._result): Tensors by where their array
    comes from, the rest as it is."""
    if isinstance(value, (tuple, list)):
        return (type(value), [_spec(v, rec, differentiated) for v in value])
    if isinstance(value, dict):
        return (dict, {k: _spec(v, rec, differentiated) for k, v in value.items()})
    if not isinstance(value, Tensor):
        return ("same", value)
    if value.grad_fn is not None and not differentiated:
        raise Refused("it returns a tensor with a graph and runs no backward; a replay returns "
                      "no graph (call backward inside the function, or run it under no_grad)")
    kind, what = rec.source(value, None)
    if kind == "input" and value is not rec.recording.inputs[what]:
        return ("input array", what)  # (another tensor on the argument's array: x.detach())
    if kind == "grad":
        leaf_kind, leaf = what
        holder = rec.recording.inputs[leaf] if leaf_kind == "input" else leaf
        return ("grad", what) if value is holder._grad else ("grad array", what)
    return (kind, what) if kind in ("op", "input") else ("same", value)
