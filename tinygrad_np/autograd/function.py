"""`Function`: an op with its forward and backward side by side, and `Context`, its graph node.

A primitive is written the PyTorch way::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * a

and called as ``Mul.apply(x, y)``. `forward` receives the inputs' NumPy arrays (other
arguments as given) and returns one array. `backward` receives the gradient of the output and
returns one gradient per forward argument (None where there is none), each either of the
input's shape or of the output's shape; the engine sums broadcast dimensions away in one place.

During an ordinary backward the gradients and saved values are NumPy arrays. Under
``create_graph=True`` they are Tensors, and the same backward code records a graph, because
Tensor implements NumPy's ufunc and array-function protocols. For that to be exact, save only
inputs, outputs and constants (such as masks) with `save_for_backward`: a saved array that is
neither an input's nor the output is a constant there. Small non-array facts a backward reads
(shapes, dims, flags) go on `ctx` as attributes.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import state, switches
from .tensor_core import Tensor
from .views import refresh, view_of
from .watch import paused

_OUTPUT = -1  # marks a saved array that is the op's own output
ndarray = np.ndarray
_NO_PARENTS = [(None,) * n for n in range(4)]  # an unrecorded op's parents
_sequence = itertools.count()  # numbers recorded nodes in creation order (thread-safe)

# A released node's version record: it never matches, so the engine's version check before
# a backward (one loop, no call) catches a second backward through a freed graph too.
_RELEASED = (([-1], 0),)


class Context:
    """What one op's backward needs; it is also the output tensor's `grad_fn`.

    `parents` holds, per forward argument, the node its gradient flows to: the producing
    Context, the leaf Tensor itself, or None when that argument needs no gradient.
    `sequence_nr` counts the nodes in creation order: a node's inputs are always older than
    it, so the engine runs backward newest first, as PyTorch does. `saved_sources` and
    `saved_versions` say where each saved array came from and which version it had.
    A custom op's own attributes go to `__dict__`. The backward that uses a node frees what
    it saved and, with it, its attributes (unless retain_graph); a node that saved nothing
    keeps its attributes and may run backward again, as in PyTorch. Built by
    `Function.apply`, which sets the fields (a constructor would cost a Python call per op).
    """

    __slots__ = ("function", "parents", "sequence_nr", "out_shape", "out_dtype", "retained",
                 "saved_tensors", "saved_sources", "saved_versions", "__dict__")
    trace = None  # where the op was created, recorded under detect_anomaly
    hooks = None  # the output tensor's gradient hooks (register_hook), when it has any

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Per forward argument, whether its gradient is wanted (known before forward runs,
        so forward may read it too, as in PyTorch)."""
        parents = self.parents
        # The plain form is the last line; the two common arities spelt out buy 3.3 % of a
        # chain of small ops (callgrind: 38.10M -> 36.88M instructions, W2 0.9 %).
        if len(parents) == 2:
            return (parents[0] is not None, parents[1] is not None)
        if len(parents) == 3:
            return (parents[0] is not None, parents[1] is not None, parents[2] is not None)
        return tuple([p is not None for p in parents])

    @property
    def released(self) -> bool:
        """Whether backward has run and freed what this node saved (without retain_graph)."""
        return self.saved_versions is _RELEASED

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    def name(self) -> str:
        return self.function.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple[Any, ...]:
        return tuple(self.parents)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable op; subclass it for custom ops (see module doc).

    The package's primitives work on NumPy arrays. A Function defined outside the package
    (yours) gets Tensors, as in PyTorch: forward receives its inputs as Tensors outside the
    graph and returns a Tensor; backward receives and returns Tensors, so PyTorch tutorials'
    `input.clamp(min=0)` and `grad_output.clone()` run unchanged."""

    # A view op's output shares its input's memory, so they share one version counter.
    is_view = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.split(".")[0] == __name__.split(".")[0]:
            return  # the package's own primitives keep working on arrays
        if "forward" in cls.__dict__:
            cls.forward = staticmethod(_with_tensors_forward(cls.__dict__["forward"]))
        if "backward" in cls.__dict__:
            cls.backward = staticmethod(_with_tensors_backward(cls.__dict__["backward"]))

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def call(cls, *args: Any) -> Any:
        """Run on arrays, or record the op when an argument is a Tensor. A backward that needs
        another op (not a NumPy ufunc) calls it this way, so that it stays differentiable
        under create_graph."""
        for a in args:
            if isinstance(a, Tensor):
                return cls.apply(*args)
        ctx = Context()  # unrecorded: no input needs a gradient
        ctx.function, ctx.retained, ctx.saved_tensors = cls, None, ()
        ctx.parents = (None,) * len(args)
        return cls.forward(ctx, *args)

    @classmethod
    def apply(cls, *args: Any) -> Any:
        # The hot path of every op, so it is written out flat: one pass over the arguments;
        # the node's bookkeeping (sequence number, output shape, saved-array versions) only
        # when the op is recorded; the Context built in place, without the cost of calling
        # its constructor.
        tensor = Tensor
        arrays = []
        parents = []
        record = False
        for a in args:
            if isinstance(a, tensor):
                if a._view is not None and a._view.version != a._version[0]:
                    refresh(a)  # a view whose base changed in place since its node was made
                arrays.append(a._data)
                if a._requires_grad:
                    record = True
                    parents.append(a.grad_fn or a)
                    continue
            else:
                arrays.append(a)
            parents.append(None)
        if record and len(arrays) > 1:
            # Two different Tensors on one array (x and x.detach()): forward gets a view for
            # the second, since saved arrays are traced back to their Tensors by identity.
            if len(arrays) == 2:
                if arrays[0] is arrays[1] and args[0] is not args[1]:
                    arrays[1] = arrays[1].view()
            elif len(set(map(id, arrays))) < len(arrays):  # (a check in C for the rest)
                _separate_shared_arrays(args, arrays)
        ctx = Context()
        ctx.function = cls
        ctx.retained = None
        ctx.saved_tensors = ()
        if record and (not switches.grad_off or state.grad_enabled):
            ctx.parents = parents
        else:
            record = False
            ctx.parents = _NO_PARENTS[len(args)] if len(args) < 4 else (None,) * len(args)
        try:
            data = cls.forward(ctx, *arrays)
        except (ValueError, IndexError) as err:
            raise op_error(cls.__name__, arrays, err) from None
        if type(data) is not ndarray:
            data = array_result(ctx, data)

        if cls.is_view and isinstance(args[0], tensor) and np.may_share_memory(data, arrays[0]):
            # A view: in-place writes to either change both, and its node follows its base's.
            out = tensor._wrap(data, ctx if record else None, record, args[0]._version)
            out._view = view_of(args[0], cls, args[1:], args[0]._version)
        else:
            out = tensor._wrap(data, ctx if record else None, record, [0])
        if not record:
            if switches.watch:
                _watched(cls, args, arrays, ctx, out)
            return out

        ctx.sequence_nr = next(_sequence)
        ctx.out_shape = data.shape
        ctx.out_dtype = data.dtype
        if ctx.saved_tensors:
            _note_saved_sources(ctx, args, arrays, data, out._version)
        else:
            ctx.saved_versions = ()
        if switches.watch:
            _watched(cls, args, arrays, ctx, out)
        return out


def _watched(cls: type[Function], args: tuple[Any, ...], arrays: list[Any], ctx: Context,
             out: Tensor) -> None:
    """An op's report under detect_anomaly (NaN/inf check, where it was created) and to a
    running capture (what it ran, on what)."""
    if state.anomaly_enabled:
        if out.grad_fn is not None:
            # (apply's and this frame dropped: a custom Function's caller is the user's line)
            ctx.trace = traceback.extract_stack()[:-2]
        _check_finite(cls.__name__, "forward", out._data, out.grad_fn, arrays)
    rec = getattr(state, "recorder", None)
    if rec is not None and not rec.paused:
        rec.op(cls, args, arrays, ctx, out)


class Computed(Function):
    """`fn(*arrays)` as an op without a gradient: what `computed` runs, and what a replay of a
    captured step runs again."""

    @staticmethod
    def forward(ctx: Context, fn: Any, *arrays: Any) -> Any:
        return np.asarray(fn(*arrays))


def computed(fn: Callable[..., Any], *args: Any) -> Tensor:
    """A tensor outside the graph holding `fn` of the arguments' arrays (a comparison, an
    integer conversion, an index): the values a capture must see computed from its inputs,
    so that a replay computes them again (`fn` may close over shapes, dtypes and options,
    never over values). Cheaper than `apply`: no node, whatever needs grad."""
    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    out = Tensor._wrap(np.asarray(fn(*arrays)), None, False, [0])
    if switches.watch:
        ctx = Context()
        ctx.function, ctx.retained, ctx.saved_tensors = Computed, None, ()
        ctx.parents = (None,) * (len(args) + 1)
        _watched(Computed, (fn, *args), [fn, *arrays], ctx, out)
    return out


def array_result(ctx: Context, data: Any) -> np.ndarray:
    """A forward's result as an array: NumPy reductions return scalars, and the graph holds
    arrays (so must the saved ones)."""
    scalar, data = data, np.asarray(data)
    saved = ctx.saved_tensors
    for s in saved:  # (a loop, not a generator: a loss's apply runs every step)
        if s is scalar:
            ctx.saved_tensors = tuple([data if s is scalar else s for s in saved])
            break
    return data


def _separate_shared_arrays(args: tuple[Any, ...], arrays: list[Any]) -> None:
    """Replace by a view each array that an earlier argument, a different Tensor, shares: the
    detached operand must stay a constant, not be taken for x, when backward is
    differentiated."""
    owner: dict[int, Any] = {}
    for i, a in enumerate(arrays):
        if type(a) is ndarray and owner.setdefault(id(a), args[i]) is not args[i]:
            arrays[i] = a.view()


def _with_tensors_forward(forward: Any) -> Any:
    """A user's forward, called with Tensors (sharing the inputs' arrays, outside the graph)
    and brought back to arrays for the node: its output and what it saved."""
    forward = forward.__func__ if isinstance(forward, staticmethod) else forward

    def on_arrays(ctx: Context, *args: Any) -> Any:
        wrapped = [Tensor._wrap(a, None, False, [0]) if type(a) is ndarray else a for a in args]
        previous = state.grad_enabled
        state.grad_enabled = False  # (forward's own ops are not recorded, as in PyTorch)
        try:
            with paused():  # (a replay runs this forward again, as a whole)
                out = forward(ctx, *wrapped)
        finally:
            state.grad_enabled = previous
        ctx.saved_tensors = tuple(s._data if isinstance(s, Tensor) else s
                                  for s in ctx.saved_tensors)
        return out._data if isinstance(out, Tensor) else np.asarray(out)

    return on_arrays


def _with_tensors_backward(backward: Any) -> Any:
    """A user's backward, called with Tensors; on arrays (an ordinary backward) its inputs
    are wrapped and its results unwrapped, under create_graph they are Tensors already."""
    backward = backward.__func__ if isinstance(backward, staticmethod) else backward

    def on_arrays(ctx: Context, *grads: Any) -> Any:
        if any(isinstance(g, Tensor) for g in grads):  # create_graph: recorded as it runs
            return backward(ctx, *grads)
        saved = ctx.saved_tensors
        ctx.saved_tensors = tuple(Tensor._wrap(s, None, False, [0]) if type(s) is ndarray
                                  else s for s in saved)
        try:
            results = backward(ctx, *[Tensor._wrap(g, None, False, [0]) for g in grads])
        finally:
            ctx.saved_tensors = saved
        if not isinstance(results, tuple):
            return results._data if isinstance(results, Tensor) else results
        return tuple(r._data if isinstance(r, Tensor) else r for r in results)

    return on_arrays


def op_error(op: str, args: Any, err: Exception) -> Exception:
    """Reword NumPy's error from inside an op so that it names the op and its input shapes."""
    op = op.lower()
    shapes = [a.shape for a in args if isinstance(a, np.ndarray)]
    names = [str(s) for s in shapes]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
    if "broadcast" in str(err):
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            return ValueError(
                f"{op}: shapes {listed} do not broadcast together: aligned from the right, "
                "each pair of dimensions must be equal or 1. Reshape or unsqueeze an operand "
                "to line them up."
            )
    kind = IndexError if isinstance(err, IndexError) else ValueError
    plural = "s" if len(shapes) > 1 else ""
    return kind(f"{op}: {err} (input shape{plural} {listed}).")


def _note_saved_sources(ctx: Context, args: tuple[Any, ...], arrays: list[Any],
                        out: np.ndarray, out_version: list[int]) -> None:
    """Remember where each saved array came from: to detect in-place changes to it before
    backward, and to map it back to a Tensor when backward itself is differentiated."""
    sources: list[int | None] = []
    versions: list[tuple[list[int], int]] = []
    for s in ctx.saved_tensors:
        source = None
        if s is out:
            source, counter = _OUTPUT, out_version
        elif type(s) is ndarray:  # (a number is a constant: no need to look)
            for i, a in enumerate(arrays):
                if s is a and a is not args[i]:  # the data of the Tensor argument i
                    source, counter = i, args[i]._version
                    break
        sources.append(source)
        if source is not None:
            versions.append((counter, counter[0]))
    ctx.saved_sources = sources
    ctx.saved_versions = versions


def _check_finite(op: str, phase: str, value: Any, ctx: Context | None,
                  inputs: Any = ()) -> None:
    """Raise if `value` has NaN, or inf that the op produced: a forward whose inputs already
    held infinities (masked logits: where(mask, x, -inf)) passes them on unreported."""
    arr = value._data if isinstance(value, Tensor) else value
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        if not np.isnan(arr).any() and any(
                isinstance(given, (np.ndarray, float)) and np.isinf(given).any()
                for given in inputs):
            return
        where = ""
        trace = ctx.trace if ctx is not None else None
        if trace is None and phase == "forward":
            # An unrecorded op has no stored trace, but its forward is running now.
            trace = traceback.extract_stack()
        if trace:
            frame = _user_frame(trace)
            where = f"\nThe op was created at {frame.filename}:{frame.lineno}: {frame.line}"
        raise FloatingPointError(
            f"detect_anomaly: {op} produced NaN or inf in its {phase} "
            f"(output shape {arr.shape}, dtype {arr.dtype}).{where}"
        )


def _user_frame(trace: traceback.StackSummary) -> traceback.FrameSummary:
    """The innermost stack frame outside tinygrad_np: the user's line that created the op."""
    package = __name__.split(".")[0]
    for frame in reversed(trace):
        if f"/{package}/" not in frame.filename.replace("\\", "/"):
            return frame
    return trace[-1]
