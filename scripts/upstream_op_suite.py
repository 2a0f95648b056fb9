"""Run an upstream PyTorch-oracle op suite with tinygrad_np standing in for PyTorch.

tinygrad's ``test/test_ops.py`` checks each op with ``helper_test_op(shapes, torch_fxn,
tinygrad_fxn, ...)``: it runs ``torch_fxn`` on PyTorch tensors and ``tinygrad_fxn`` on tinygrad
tensors and compares values and gradients. This script uses such a file as a suite for
tinygrad_np instead. It imports the file with stand-in ``tinygrad`` modules (the tinygrad side
is never run), then runs every test method twice:

1. with the module's ``torch`` being PyTorch, recording what each ``helper_test_op`` call gives
   (forward values, gradients of the inputs) and whether each ``helper_test_exception`` call
   raises the expected error;
2. with ``torch`` being a proxy that maps ``torch.xxx`` to ``tinygrad_np.xxx`` (``torch.nn`` to
   ``tinygrad_np.nn``, ``torch.nn.functional`` to ``tinygrad_np.nn.functional``, ...), so that
   the same lambdas and test bodies run on tinygrad_np, recording the same things.

The two recordings are compared call by call, with the tolerances the test passes (``atol``,
``rtol``, ``grad_atol``, ``grad_rtol``) and PyTorch's shapes and dtypes. Inputs are made as
upstream makes them (the same NumPy draws, turned into tinygrad_np tensors from the PyTorch
tensors' data), and random tensors a test body draws (``torch.randint`` for indices, ...) come
from PyTorch's generator under the same seed in both runs, so both runs see the same data.

Checks of the tinygrad side alone (``assert len(tor) == len(ten)``, ``with
self.assertRaises(...): Tensor...``, ``np.testing.assert_equal(Tensor(...).numpy(), ...)``) are
left out: they touch the stand-in tinygrad, which raises :class:`TinygradSideUsed` (or, in an
``assertRaises`` block, is seen to be used), and the check is skipped. A test whose PyTorch run
cannot go on without a tinygrad result is reported as not applicable; one whose PyTorch side
stops after some calls (for instance, a tinygrad-only check after them) is judged on those.

Usage::

    python scripts/upstream_op_suite.py /tmp/upstream/test_ops.py
    python scripts/upstream_op_suite.py /tmp/upstream/test_ops.py -k conv --verbose
    python scripts/upstream_op_suite.py /tmp/upstream/test_ops.py --failures failures.txt
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import importlib.util
import signal
import sys
import time
import traceback
import types
import unittest
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# The worktree's package, whatever the current directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import tinygrad_np as tg  # noqa: E402

SEED = 1337


# ---- the stand-in tinygrad ---------------------------------------------------------------


class TinygradSideUsed(BaseException):
    """A value of the tinygrad side was needed (its length, truth, number or array).

    A BaseException, so that library code catching ``Exception`` does not turn it into
    something else on its way up.
    """


class _Usage:
    """Counts operations on stand-in tinygrad objects (an ``assertRaises`` block that used
    them checked the tinygrad side)."""

    count = 0


def _used() -> None:
    _Usage.count += 1


class TinyStub:
    """Any tinygrad object: every attribute, call, operator and index gives another stub.

    Attributes are cached per name, so ``Tensor.pow`` is one object and ``op != Tensor.pow``
    means what the test meant. A stub cannot become a value: ``len``, ``bool``, iteration,
    ``float``, ``int``, NumPy conversion and equality with a non-stub raise TinygradSideUsed.
    """

    def __init__(self, name: str = "tinygrad") -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_children", {})

    def __getattr__(self, name: str) -> TinyStub:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        _used()
        children: dict[str, TinyStub] = object.__getattribute__(self, "_children")
        if name not in children:
            children[name] = TinyStub(f"{self._name}.{name}")
        return children[name]

    def __setattr__(self, name: str, value: Any) -> None:
        _used()

    def __call__(self, *args: Any, **kwargs: Any) -> TinyStub:
        _used()
        return TinyStub(f"{self._name}()")

    def __repr__(self) -> str:
        return f"<tinygrad stand-in {self._name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, TinyStub):
            return self is other
        raise TinygradSideUsed(f"{self._name} compared with {type(other).__name__}")

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    def _value(self, *args: Any) -> Any:
        _used()
        raise TinygradSideUsed(f"a value of {self._name} was needed")

    __bool__ = __len__ = __iter__ = __float__ = __int__ = __index__ = __array__ = _value
    __complex__ = __contains__ = _value

    def _op(self, *args: Any) -> TinyStub:
        _used()
        return TinyStub(f"({self._name} op)")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _op
    __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = _op
    __rpow__ = __matmul__ = __rmatmul__ = __and__ = __rand__ = __or__ = __ror__ = _op
    __xor__ = __rxor__ = __lshift__ = __rlshift__ = __rshift__ = __rrshift__ = _op
    __neg__ = __pos__ = __abs__ = __invert__ = __lt__ = __le__ = __gt__ = __ge__ = _op
    __getitem__ = __setitem__ = _op


@dataclasses.dataclass(frozen=True)
class _DType:
    """A tinygrad dtype name (only what test bodies compute with: names, min and max)."""

    name: str


_DTYPE_ALIASES = {"int": "int32", "uint": "uint32", "float": "float32", "double": "float64",
                  "half": "float16", "uchar": "uint8", "char": "int8", "short": "int16",
                  "ushort": "uint16", "long": "int64", "ulong": "uint64", "bool": "bool",
                  "default_float": "float32", "default_int": "int32"}


class _DTypes:
    """tinygrad's ``dtypes``: ``dtypes.float32``, ``dtypes.max(dtypes.int)``, ..."""

    def __getattr__(self, name: str) -> _DType:
        if name.startswith("__"):
            raise AttributeError(name)
        return _DType(_DTYPE_ALIASES.get(name, name))

    @staticmethod
    def max(dtype: _DType) -> int | float | bool:
        return _limits(dtype)[1]

    @staticmethod
    def min(dtype: _DType) -> int | float | bool:
        return _limits(dtype)[0]


def _limits(dtype: _DType) -> tuple[Any, Any]:
    if dtype.name == "bool":
        return False, True
    np_dtype = np.dtype(dtype.name)
    if np.issubdtype(np_dtype, np.integer):
        return int(np.iinfo(np_dtype).min), int(np.iinfo(np_dtype).max)
    return float(np.finfo(np_dtype).min), float(np.finfo(np_dtype).max)


class _Context(contextlib.ContextDecorator):
    """tinygrad's ``Context(NOOPT=1)``: nothing to set here."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __enter__(self) -> _Context:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _getenv(key: str, default: Any = 0) -> Any:
    return default  # upstream's switches (FORWARD_ONLY, TINY_BACKEND, ...) stay off


def _stub_module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    fallback = TinyStub(name)
    module.__getattr__ = lambda attr: getattr(fallback, attr)  # type: ignore[method-assign]
    return module


def _install_tinygrad_stand_in() -> None:
    dtypes = _DTypes()
    helpers = _stub_module("tinygrad.helpers", getenv=_getenv, IMAGE=0, DEBUG=0, CI=True,
                           Context=_Context, CPU_LLVM=False, AMD_LLVM=False, EMULATE=False)
    device = _stub_module("tinygrad.device", is_dtype_supported=lambda dtype, device=None: True)
    tensor = _stub_module("tinygrad.tensor",
                          _to_np_dtype=lambda dtype: np.dtype(getattr(dtype, "name", dtype)))
    root = _stub_module("tinygrad", Tensor=TinyStub("Tensor"), dtypes=dtypes,
                        Device=types.SimpleNamespace(DEFAULT="CPU"), helpers=helpers,
                        device=device, tensor=tensor)
    nn = _stub_module("tinygrad.nn", torch=_stub_module("tinygrad.nn.torch"))
    root.nn = nn  # type: ignore[attr-defined]
    for module in (root, helpers, device, tensor, nn, nn.torch):
        sys.modules[module.__name__] = module


# ---- tinygrad_np in torch's place --------------------------------------------------------


class TorchOnlyFeature(Exception):
    """The test uses something only PyTorch has (a dtype tinygrad_np does not have, ...)."""


# Creation functions that draw random numbers: both runs take them from PyTorch's generator
# under the same seed, so that a test's random indices are the same data in both runs.
RANDOM_FUNCTIONS = frozenset({"rand", "randn", "randint", "randperm", "rand_like", "randn_like",
                              "randint_like", "normal", "bernoulli", "multinomial"})


def _torch_dtype(dtype: Any) -> Any:
    """The PyTorch dtype of a tinygrad_np dtype (other values unchanged)."""
    try:
        if isinstance(dtype, type) and issubclass(dtype, np.generic):
            return getattr(torch, np.dtype(dtype).name)
    except (AttributeError, TypeError):
        pass
    return dtype


def _random_in_torch(name: str) -> Callable[..., Any]:
    def draw(*args: Any, **kwargs: Any) -> Any:
        requires_grad = kwargs.pop("requires_grad", False)
        args = tuple(_torch_dtype(a) for a in args)
        kwargs = {k: _torch_dtype(v) for k, v in kwargs.items()}
        args = tuple(torch.from_numpy(a.detach().numpy()) if isinstance(a, tg.Tensor) else a
                     for a in args)
        result = getattr(torch, name)(*args, **kwargs)
        return tg.tensor(result.numpy(), requires_grad=requires_grad)

    return draw


class TorchProxy:
    """``torch`` for the test bodies: ``torch.xxx`` is ``tinygrad_np.xxx``.

    Submodules are proxied the same way (``torch.nn.functional.pad`` is
    ``tinygrad_np.nn.functional.pad``). A name tinygrad_np lacks raises AttributeError naming
    the ``torch.`` path, or TorchOnlyFeature for a PyTorch dtype tinygrad_np does not have.
    """

    def __init__(self, target: Any = tg, path: str = "torch", twin: Any = torch) -> None:
        self._target, self._path, self._twin = target, path, twin

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        path = f"{self._path}.{name}"
        if self._path == "torch" and name in RANDOM_FUNCTIONS:
            return _random_in_torch(name)
        twin = getattr(self._twin, name, None)
        if not hasattr(self._target, name):
            if isinstance(twin, torch.dtype):
                raise TorchOnlyFeature(f"{path} (a dtype tinygrad_np does not have)")
            raise AttributeError(f"tinygrad_np has no {path}")
        value = getattr(self._target, name)
        if isinstance(value, types.ModuleType) or isinstance(twin, types.ModuleType):
            return TorchProxy(value, path, twin)
        return value

    def __repr__(self) -> str:
        return f"<tinygrad_np as {self._path}>"


# ---- one mode of a run: which library plays torch ------------------------------------------


@dataclasses.dataclass
class Mode:
    """The library playing ``torch`` in a run, and how to read its tensors."""

    name: str
    torch: Any

    @property
    def is_torch(self) -> bool:
        return self.name == "torch"

    def from_torch(self, t: torch.Tensor, requires_grad: bool) -> Any:
        if self.is_torch:
            return t
        return tg.tensor(t.detach().cpu().numpy(), requires_grad=requires_grad)

    def to_numpy(self, x: Any) -> np.ndarray:
        if self.is_torch:
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"the result is a {type(x).__name__}, not a torch.Tensor")
            return x.detach().cpu().numpy()
        if not isinstance(x, tg.Tensor):
            raise TypeError(f"the result is a {type(x).__name__}, not a tinygrad_np Tensor")
        return np.asarray(x.detach().numpy())

    def grad(self, output: Any, inputs: Sequence[Any]) -> Sequence[Any]:
        if self.is_torch:
            return torch.autograd.grad(output, list(inputs))
        return tg.grad(output, list(inputs))


@dataclasses.dataclass
class OpRecord:
    """What one helper_test_op call gave: forward values, gradients, tolerances."""

    line: int
    forward: np.ndarray
    grads: list[np.ndarray] | None
    atol: float
    rtol: float
    grad_atol: float
    grad_rtol: float


@dataclasses.dataclass
class RaiseRecord:
    """What one helper_test_exception call gave: the error raised (if any) and if expected."""

    line: int
    raised: str | None
    expected: str
    as_expected: bool


Record = OpRecord | RaiseRecord


class Recorder:
    """The records of the current run, and the mode it runs in."""

    mode: Mode
    records: list[Record]
    skipped_checks: int

    def start(self, mode: Mode) -> None:
        self.mode, self.records, self.skipped_checks = mode, [], 0


RECORDER = Recorder()


def _caller_line() -> int:
    frame = sys._getframe(2)
    return frame.f_lineno


def _inputs(shps: Sequence[Any] | None, vals: Sequence[Any] | None, low: float, high: float,
            forward_only: bool) -> list[Any]:
    """upstream's prepare_test_op, then the same data as tensors of the current mode."""
    needs_grad = not forward_only
    if shps is None:
        ts = [torch.tensor(x, requires_grad=needs_grad) for x in (vals or [])]
    else:
        np.random.seed(0)
        data = [np.random.uniform(low=low, high=high, size=size).astype(np.float32)
                for size in shps]
        ts = [torch.tensor(d, requires_grad=needs_grad) for d in data]
    ts = [t.type(torch.int32) if t.dtype == torch.int64 else t for t in ts]
    return [RECORDER.mode.from_torch(t, needs_grad and t.requires_grad) for t in ts]


def helper_test_op(shps: Sequence[Any] | None, torch_fxn: Callable[..., Any],
                   tinygrad_fxn: Any = None, atol: float = 1e-6, rtol: float = 1e-3,
                   grad_atol: float = 1e-4, grad_rtol: float = 1e-3, forward_only: bool = False,
                   vals: Sequence[Any] | None = None, low: float = -2, high: float = 2) -> None:
    """Runs ``torch_fxn`` in the current mode and records values and input gradients."""
    line = _caller_line()
    mode = RECORDER.mode
    ts = _inputs(shps, vals, low, high, forward_only)
    forward = mode.to_numpy(torch_fxn(*ts))
    grads = None
    if not forward_only and ts:
        grads = [mode.to_numpy(g) for g in mode.grad(torch_fxn(*ts).sum(), ts)]
    RECORDER.records.append(OpRecord(line, forward, grads, atol, rtol, grad_atol, grad_rtol))


def _expected_name(expected: Any) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(getattr(k, "__name__", str(k)) for k in kinds)


def helper_test_exception(self: unittest.TestCase, shps: Sequence[Any] | None,
                          torch_fxn: Callable[..., Any], tinygrad_fxn: Any = None,
                          expected: Any = None, forward_only: bool = False, exact: bool = False,
                          vals: Sequence[Any] | None = None, low: float = -1.5,
                          high: float = 1.5) -> None:
    """Runs ``torch_fxn`` in the current mode and records whether it raised ``expected``."""
    line = _caller_line()
    ts = _inputs(shps, vals, low, high, forward_only)
    raised: BaseException | None = None
    try:
        torch_fxn(*ts)
    except Exception as error:  # noqa: BLE001 -- any error is a result to compare
        raised = error
    if isinstance(raised, TorchOnlyFeature):
        raise raised
    RECORDER.records.append(RaiseRecord(
        line, None if raised is None else f"{type(raised).__name__}: {raised}",
        _expected_name(expected),
        raised is not None and (expected is None or isinstance(raised, expected))))


@contextlib.contextmanager
def _tinygrad_check(check: Any) -> Iterator[Any]:
    """A ``with self.assertRaises(...)`` block: left out if its body used the tinygrad side
    (the stand-in raises nothing, so such a check cannot pass or mean anything here)."""
    before = _Usage.count
    try:
        with check as context:
            with contextlib.suppress(TinygradSideUsed):
                yield context
    except AssertionError:
        if _Usage.count == before:
            raise
        RECORDER.skipped_checks += 1


def _note_skipped_check() -> None:
    RECORDER.skipped_checks += 1


# ---- loading the suite: checks on the tinygrad side made skippable ------------------------


class _GuardChecks(ast.NodeTransformer):
    """Makes each check statement of a test skippable when it touches the tinygrad side.

    ``assert ...`` and ``self.assert...(...)`` / ``np.testing.assert_...(...)`` statements
    become ``try: <check> except TinygradSideUsed: <note it>``; ``with self.assertRaises...``
    blocks run through ``_tinygrad_check``.
    """

    @staticmethod
    def _is_check_call(node: ast.AST) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("assert")
                and not node.func.attr.startswith("assertRaises"))

    def _guard(self, node: ast.stmt) -> ast.Try:
        handler = ast.ExceptHandler(
            type=ast.Name("_suite_TinygradSideUsed", ast.Load()), name=None,
            body=[ast.Expr(ast.Call(ast.Name("_suite_note_skipped_check", ast.Load()), [], []))])
        return ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[])

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        return ast.copy_location(self._guard(node), node)

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if self._is_check_call(node.value):
            return ast.copy_location(self._guard(node), node)
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        self.generic_visit(node)
        for item in node.items:
            call = item.context_expr
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr.startswith("assertRaises")):
                item.context_expr = ast.Call(ast.Name("_suite_tinygrad_check", ast.Load()),
                                             [call], [])
        return node


def load_suite(path: Path) -> types.ModuleType:
    """Imports the test file with the stand-in tinygrad and this script's helpers."""
    _install_tinygrad_stand_in()
    tree = _GuardChecks().visit(ast.parse(path.read_text(), filename=str(path)))
    ast.fix_missing_locations(tree)
    spec = importlib.util.spec_from_loader("upstream_test_ops", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    module.__dict__.update(_suite_TinygradSideUsed=TinygradSideUsed,
                           _suite_note_skipped_check=_note_skipped_check,
                           _suite_tinygrad_check=_tinygrad_check)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(tree, str(path), "exec"), module.__dict__)  # noqa: S102 -- the suite
    module.helper_test_op = helper_test_op  # type: ignore[attr-defined]
    module.prepare_test_op = None  # type: ignore[attr-defined]
    module.COMPILE_ONLY = True  # type: ignore[attr-defined]  # `if not COMPILE_ONLY:` blocks
    for cls in test_classes(module):  # check the tinygrad side only
        if hasattr(cls, "helper_test_exception"):
            cls.helper_test_exception = helper_test_exception  # type: ignore[attr-defined]
    return module


def test_classes(module: types.ModuleType) -> list[type[unittest.TestCase]]:
    return [value for value in vars(module).values() if isinstance(value, type)
            and issubclass(value, unittest.TestCase) and value.__module__ == module.__name__]


# ---- running and judging one test ----------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One run of a test method in one mode."""

    records: list[Record]
    error: BaseException | None
    error_text: str
    skipped_checks: int


@dataclasses.dataclass
class Result:
    """The verdict on one test."""

    name: str
    status: str  # "pass", "fail" or "skip"
    detail: str
    compared: int
    seconds: float
    cause: str = ""


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout("the test ran out of time")


def run_mode(module: types.ModuleType, cls: type[unittest.TestCase], name: str, mode: Mode,
             timeout: float) -> Run:
    RECORDER.start(mode)
    module.torch = mode.torch  # type: ignore[attr-defined]
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    tg.manual_seed(SEED)
    error: BaseException | None = None
    text = ""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            getattr(cls(name), name)()
    except (Exception, TinygradSideUsed) as caught:  # noqa: BLE001 -- reported per test
        error = caught
        text = "".join(traceback.format_exception_only(type(caught), caught)).strip()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        module.torch = torch  # type: ignore[attr-defined]
    return Run(RECORDER.records, error, text, RECORDER.skipped_checks)


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _compare_arrays(what: str, ours: np.ndarray, theirs: np.ndarray, atol: float,
                    rtol: float) -> tuple[str, str] | None:
    """(cause, message) if ``ours`` differs from ``theirs`` as upstream's compare sees it."""
    if ours.shape != theirs.shape:
        return f"{what} shape", f"{what}: shape {ours.shape}, PyTorch {theirs.shape}"
    if ours.dtype != theirs.dtype:
        return (f"{what} dtype {ours.dtype} vs {theirs.dtype}",
                f"{what}: dtype {ours.dtype}, PyTorch {theirs.dtype}")
    try:
        if np.issubdtype(theirs.dtype, np.floating):
            np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol)
        else:
            np.testing.assert_equal(ours, theirs)
    except AssertionError as error:
        lines = [s.strip() for s in str(error).splitlines() if s.strip()]
        found = "; ".join(s for s in lines if s.startswith(("Mismatched", "Max")))
        return f"{what} values", f"{what}: values differ ({found or _first_line(str(error))})"
    return None


def compare(ours: Record, theirs: Record) -> tuple[str, str] | None:
    """(cause, message) if ``ours`` (tinygrad_np) differs from ``theirs`` (PyTorch)."""
    where = f"line {theirs.line}"
    if type(ours) is not type(theirs):
        return "different helper calls", f"{where}: a different helper call"
    if isinstance(theirs, RaiseRecord):
        assert isinstance(ours, RaiseRecord)
        if not theirs.as_expected or ours.as_expected:
            return None
        got = ours.raised or "no error"
        return (f"error: {got.split(':')[0]} instead of {theirs.expected}",
                f"{where}: expected {theirs.expected}, got {_first_line(got, 160)}")
    assert isinstance(ours, OpRecord)
    problem = _compare_arrays("forward", ours.forward, theirs.forward, theirs.atol, theirs.rtol)
    if problem is None and theirs.grads is not None:
        assert ours.grads is not None
        for i, (mine, other) in enumerate(zip(ours.grads, theirs.grads, strict=True)):
            problem = _compare_arrays(f"gradient {i}", mine, other, theirs.grad_atol,
                                      theirs.grad_rtol)
            if problem:
                break
    return None if problem is None else (problem[0], f"{where}: {problem[1]}")


def _cause(error: BaseException | None, text: str) -> str:
    """A short key that groups failures of one cause."""
    if error is None:
        return text.split(":")[0] if text else ""
    message = str(error)
    if isinstance(error, AttributeError):
        return f"missing: {message.split(' has no ')[-1].split(' (')[0]}"[:80]
    return f"{type(error).__name__}: {_first_line(message, 70)}"


def judge(name: str, theirs: Run, ours: Run, seconds: float) -> Result:
    """The verdict from PyTorch's run (``theirs``) and tinygrad_np's (``ours``)."""
    if isinstance(theirs.error, unittest.SkipTest):
        return Result(name, "skip", f"skipped by the test: {theirs.error}", 0, seconds)
    limit = len(theirs.records)
    if theirs.error is not None and limit == 0:
        why = ("its PyTorch side needs tinygrad results"
               if isinstance(theirs.error, TinygradSideUsed) else
               f"its PyTorch side fails here: {_first_line(theirs.error_text, 160)}")
        return Result(name, "skip", f"not applicable: {why}", 0, seconds)
    if isinstance(ours.error, TorchOnlyFeature):
        return Result(name, "skip", f"PyTorch-only: {ours.error}", 0, seconds)
    for index, (mine, other) in enumerate(zip(ours.records, theirs.records)):
        problem = compare(mine, other)
        if problem:
            return Result(name, "fail", f"call {index + 1}, {problem[1]}", index, seconds,
                          cause=problem[0])
    if (len(ours.records) < limit or (theirs.error is None and ours.error is not None)
            or (theirs.error is None and len(ours.records) != limit)):
        return Result(name, "fail", _first_line(ours.error_text or "a different number of calls"),
                      len(ours.records), seconds, cause=_cause(ours.error, ours.error_text))
    note = f"{limit} calls compared"
    if theirs.error is not None:
        note += f"; stopped where the PyTorch side stops ({_first_line(theirs.error_text, 90)})"
    if theirs.skipped_checks:
        note += f"; {theirs.skipped_checks} tinygrad-only checks left out"
    return Result(name, "pass", note, limit, seconds)


def upstream_skip(cls: type[unittest.TestCase], name: str) -> str | None:
    method = getattr(cls, name)
    for target in (cls, method):
        if getattr(target, "__unittest_skip__", False):
            return str(getattr(target, "__unittest_skip_why__", ""))
    return None


def run_suite(module: types.ModuleType, pattern: str | None, timeout: float,
              on_result: Callable[[Result], None]) -> list[Result]:
    loader = unittest.TestLoader()
    torch_mode, our_mode = Mode("torch", torch), Mode("tinygrad_np", TorchProxy())
    results = []
    for cls in test_classes(module):
        for name in loader.getTestCaseNames(cls):
            full = f"{cls.__name__}.{name}"
            if pattern and pattern not in full:
                continue
            start = time.perf_counter()
            why = upstream_skip(cls, name)
            if why is not None:
                result = Result(full, "skip", f"skipped upstream: {why}", 0, 0.0)
            else:
                theirs = run_mode(module, cls, name, torch_mode, timeout)
                ours = run_mode(module, cls, name, our_mode, timeout)
                result = judge(full, theirs, ours, time.perf_counter() - start)
            results.append(result)
            on_result(result)
    return results


# ---- reporting -------------------------------------------------------------------------------


def summary(results: list[Result]) -> str:
    counts = Counter(r.status for r in results)
    applicable = counts["pass"] + counts["fail"]
    rate = 100.0 * counts["pass"] / applicable if applicable else 0.0
    lines = [f"tests: {len(results)}  passed: {counts['pass']}  failed: {counts['fail']}  "
             f"skipped: {counts['skip']}  pass rate: {rate:.1f}% of {applicable} applicable"]
    skips = Counter(r.detail.split(":")[0] for r in results if r.status == "skip")
    for why, n in skips.most_common():
        lines.append(f"  skipped, {why}: {n}")
    causes = Counter(r.cause for r in results if r.status == "fail")
    if causes:
        lines.append("failures by cause:")
        lines += [f"  {n:3d}  {cause}" for cause, n in causes.most_common()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("test_file", type=Path, help="the upstream test_ops.py")
    parser.add_argument("-k", dest="pattern", help="run only tests whose name contains this")
    parser.add_argument("--failures", type=Path, help="write the failed tests to this file")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per test and mode")
    parser.add_argument("--verbose", action="store_true", help="print passes and skips too")
    args = parser.parse_args(argv)

    module = load_suite(args.test_file)
    marks = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}

    def show(result: Result) -> None:
        if args.verbose or result.status == "fail":
            print(f"{marks[result.status]}  {result.name:<58} {result.seconds:6.2f}s  "
                  f"{result.detail}", flush=True)

    results = run_suite(module, args.pattern, args.timeout, show)
    print(summary(results))
    if args.failures:
        failed = [f"{r.name}\t{r.cause}\t{r.detail}" for r in results if r.status == "fail"]
        args.failures.write_text("\n".join(failed) + ("\n" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
