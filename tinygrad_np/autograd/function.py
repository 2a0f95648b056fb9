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
inputs and outputs with `save_for_backward`; anything else a backward reads (masks, indices,
shapes) is a constant and goes on `ctx` as an attribute.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from .grad_mode import state

# Bound by tinygrad_np.tensor when it is imported, so that autograd sits below tensor in the
# import graph while `Function.apply` can still build Tensors.
Tensor: Any = None

_OUTPUT = -1  # marks a saved array that is the op's own output


class Context:
    """What one op's backward needs; it is also the output tensor's `grad_fn`.

    `parents` holds, per forward argument, the node its gradient flows to: the producing
    Context, the leaf Tensor itself, or None when that argument needs no gradient.
    """

    __slots__ = ("function", "parents", "needs_input_grad", "saved", "saved_sources",
                 "saved_versions", "out_shape", "out_dtype", "released", "retained", "trace",
                 "__dict__")

    def __init__(self, function: type[Function]) -> None:
        self.function = function
        self.parents: tuple[Any, ...] = ()
        # Per forward argument, whether its gradient is wanted (set with `parents` when the op
        # is recorded, before forward runs, so forward may read it too, as in PyTorch).
        self.needs_input_grad: tuple[bool, ...] = ()
        self.saved: tuple[Any, ...] = ()
        self.saved_sources: tuple[int | None, ...] = ()
        self.saved_versions: tuple[tuple[list[int], int], ...] = ()
        self.released = False
        self.retained = None
        self.trace = None

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        return self.saved

    def name(self) -> str:
        return self.function.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple[Any, ...]:
        return self.parents

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable op; subclass it for custom ops (see module doc)."""

    # A view op's output shares its input's memory, so they share one version counter.
    is_view = False

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
        return cls.forward(Context(cls), *args)

    @classmethod
    def apply(cls, *args: Any) -> Any:
        # The hot path of every op: one pass over the arguments, and the graph bookkeeping
        # (parents, saved-array versions) only when the op is recorded.
        tensor = Tensor
        ctx = Context(cls)
        arrays = []
        record = False
        for a in args:
            if isinstance(a, tensor):
                arrays.append(a._data)
                record = record or a._requires_grad
            else:
                arrays.append(a)
        if record and state.grad_enabled:
            parents, needs = [], []
            for a in args:
                if isinstance(a, tensor) and a._requires_grad:
                    parents.append(a.grad_fn or a)
                    needs.append(True)
                else:
                    parents.append(None)
                    needs.append(False)
            ctx.parents = tuple(parents)
            ctx.needs_input_grad = tuple(needs)
        else:
            record = False
        try:
            data = cls.forward(ctx, *arrays)
        except (ValueError, IndexError) as err:
            raise op_error(cls.__name__, arrays, err) from None
        if not isinstance(data, np.ndarray):
            # NumPy reductions return scalars; the graph holds arrays (and so must ctx.saved).
            scalar, data = data, np.asarray(data)
            ctx.saved = tuple(data if s is scalar else s for s in ctx.saved)

        version = [0]
        if cls.is_view and isinstance(args[0], tensor) and np.may_share_memory(data, arrays[0]):
            version = args[0]._version  # a view: in-place writes to either change both
        if not record:
            if state.anomaly_enabled:
                _check_finite(cls.__name__, "forward", data, None)
            return tensor._wrap(data, None, False, version)

        ctx.out_shape = data.shape
        ctx.out_dtype = data.dtype
        out = tensor._wrap(data, ctx, True, version)
        if ctx.saved:
            _note_saved_sources(ctx, args, arrays, data, version)
        if state.anomaly_enabled:
            ctx.trace = traceback.extract_stack()[:-2]
            _check_finite(cls.__name__, "forward", data, ctx)
        return out


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
    for s in ctx.saved:
        source = None
        if s is out:
            source, counter = _OUTPUT, out_version
        else:
            for i, a in enumerate(arrays):
                if s is a and a is not args[i]:  # the data of the Tensor argument i
                    source, counter = i, args[i]._version
                    break
        sources.append(source)
        if source is not None:
            versions.append((counter, counter[0]))
    ctx.saved_sources = tuple(sources)
    ctx.saved_versions = tuple(versions)


def _check_finite(op: str, phase: str, value: Any, ctx: Context | None) -> None:
    arr = value._data if isinstance(value, Tensor) else value
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
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
