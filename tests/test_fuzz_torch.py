"""Differential fuzz against PyTorch (issue 17): every result agrees with PyTorch or the math.

Random programs run in both libraries and every observable is compared:

- `ops`: a few float leaves (float64 / float32, broadcastable shapes with 0-d and size-1 dims,
  edge values 0, -0., subnormal, tiny, huge, +-inf, NaN, ties), then a random sequence of ops
  from `tinygrad_np.ops.table.OPS` (and nn.functional) applied to earlier nodes, so
  intermediates are reused. Compared: every node's value, dtype and shape; the leaves'
  gradients from `backward(gradient)` with a random upstream gradient; and a Hessian-vector
  product through `grad(..., create_graph=True)`. A mismatch is then localised: each step is
  re-run alone on our intermediate values, and the first op that disagrees names the family.
- `dtypes`: bool / uint8 / int32 / int64 / float leaves and Python scalars through arithmetic,
  reductions and joins, compared on value, dtype, and on whether the call raises.
- `inplace`: add_ / mul_ / setitem / augmented assignment on non-leaves, views of the result.
- `losses`, `optim` (several steps, step for step), `sched`, `modules`, `api` scenarios.

Everything is derandomized (tests/conftest.py's profile), with a fixed budget per category;
`FUZZ_EXAMPLES=N` (or `pytest --fuzz-examples N`) runs N per category instead, and
`scripts/fuzz_torch.py` runs the same generators outside pytest, grouping failures by family.

Cases where PyTorch itself is mathematically wrong are asserted against the math in the
`test_pytorch_is_wrong_here_*` tests (and tests/test_edge_gradients.py) and kept out of the
differential comparison, as are the other deliberate differences; each is in the README's
"Where we differ from PyTorch" section.
"""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
import tinygrad_np.nn.functional as tF
from tinygrad_np.ops.table import OPS

torch = pytest.importorskip("torch")
tF_torch = torch.nn.functional

# ---- drawing: one interface over Hypothesis (pytest, shrinking) and random.Random (script) --


class Draw:
    """The few random choices the generators make; subclasses supply the source."""

    def integer(self, lo: int, hi: int) -> int:  # inclusive
        raise NotImplementedError

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[self.integer(0, len(seq) - 1)]

    def chance(self, p: float) -> bool:
        return self.integer(0, 999) < int(p * 1000)

    def normal(self) -> float:
        raise NotImplementedError


class RandomDraw(Draw):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def normal(self) -> float:
        return self.rng.gauss(0.0, 1.0)


class HypothesisDraw(Draw):
    def __init__(self, data: Any) -> None:
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def normal(self) -> float:
        # Shrinks toward 0; a grid of 1/64 keeps shrunk repros readable.
        return self.data.draw(st.integers(-256, 256)) / 64.0


# ---- the two libraries behind one small interface --------------------------------------------


@dataclass(frozen=True)
class Lib:
    name: str
    m: Any  # tinygrad_np or torch
    F: Any  # its nn.functional

    def leaf(self, a: np.ndarray, requires_grad: bool = False) -> Any:
        a = np.array(a, copy=True)
        if self.m is torch:
            return torch.tensor(a, requires_grad=requires_grad)
        return tg.tensor(a, requires_grad=requires_grad)

    def dtype(self, name: str) -> Any:
        return getattr(self.m, name) if self.m is torch else np.dtype(name)

    def grad(self, outs: list, ins: list, gouts: list | None, create_graph: bool) -> list:
        return list(self.m.autograd.grad(outs, ins, gouts, create_graph=create_graph,
                                         allow_unused=True) if self.m is torch else
                    tg.grad(outs, ins, gouts, create_graph=create_graph, allow_unused=True))


TG = Lib("tinygrad_np", tg, tF)
TORCH = Lib("torch", torch, tF_torch)


def to_numpy(x: Any) -> Any:
    """A result as NumPy (or a plain Python value), whichever library made it."""
    if isinstance(x, torch.Tensor):
        if x._is_zerotensor():  # autograd's lazily-zero gradients
            return np.zeros(tuple(x.shape), dtype=dtype_name(x))
        return x.detach().numpy().copy()
    if isinstance(x, tg.Tensor):
        return np.array(x.detach().numpy(), copy=True)
    return x


def dtype_name(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return str(x.dtype).removeprefix("torch.")
    return np.dtype(x.dtype).name


# ---- comparison ---------------------------------------------------------------------------

RTOL = {"float64": 1e-9, "float32": 1e-4, "float16": 2e-3}


def mismatch(ours: Any, theirs: Any, rtol_scale: float = 1.0, what: str = "",
             singular_ok: bool = False, tol: str | None = None,
             upstream: float = 0.0) -> str | None:
    """None when `ours` matches `theirs`: same kind, dtype, shape; NaN positions and inf signs
    equal; finite values within a tolerance for the dtype, scaled by the array's magnitude (so
    cancellation in a sum is not a failure). Else a one-line description.

    `singular_ok` (gradients): where PyTorch's value is not finite the point is singular (a
    derivative of sqrt at 0, of 1/x at 0, inf - inf) and the formula order decides between
    inf and NaN, so only PyTorch's finite values are compared (ours must be finite there)."""
    if isinstance(theirs, torch.Tensor) or isinstance(ours, tg.Tensor):
        if not (isinstance(theirs, torch.Tensor) and isinstance(ours, tg.Tensor)):
            return f"{what}: kind {type(ours).__name__} vs {type(theirs).__name__}"
        if dtype_name(ours) != dtype_name(theirs):
            return f"{what}: dtype {dtype_name(ours)} vs {dtype_name(theirs)}"
        if tuple(ours.shape) != tuple(theirs.shape):
            return f"{what}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
        a, b = to_numpy(ours), to_numpy(theirs)
        if singular_ok and a.dtype.kind == "f":
            a, b = a[np.isfinite(b)], b[np.isfinite(b)]
    else:
        a, b = np.asarray(ours), np.asarray(theirs)
        if a.shape != b.shape:
            return f"{what}: shape {a.shape} vs {b.shape}"
    if a.dtype.kind not in "fc":
        if not np.array_equal(a, b):
            return f"{what}: {short(a)} vs {short(b)}"
        return None
    rtol = RTOL.get(tol or a.dtype.name, 1e-9) * rtol_scale
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    bad = nan_a != nan_b
    big = np.finfo(a.dtype).max / 2  # a rounding step may overflow in one library only
    inf_a, inf_b = np.isinf(a64), np.isinf(b64)
    with np.errstate(invalid="ignore", over="ignore"):
        bad |= (inf_a | inf_b) & ~(nan_a | nan_b) & ~(
            (a64 == b64) | ((np.sign(a64) == np.sign(b64)) & (np.abs(a64) > big)
                            & (np.abs(b64) > big)))
        finite = np.isfinite(a64) & np.isfinite(b64)
        # Scale: the array's largest value or, for a gradient, the upstream gradient's (a
        # rounding of the forward value is multiplied by it: 1 - tanh(x)**2 at tanh(x) ~ 1).
        scale = max(np.abs(b64[finite]).max(initial=0.0), upstream)
        # Below the smallest normal number, rounding is absolute (subnormals): no claim.
        atol = rtol * scale * 1e-2 + float(np.finfo(a.dtype).tiny)
        bad |= finite & ~(np.abs(a64 - b64) <= atol + rtol * np.abs(b64))
    if bad.any():
        i = np.argwhere(bad)[0] if a.ndim else ()
        return f"{what}: at {tuple(int(k) for k in i)} {a[tuple(i)]!r} vs {b[tuple(i)]!r}"
    return None


def finite_max(x: Any) -> float:
    """The largest finite magnitude in a value (0. for none, or a non-array)."""
    a = np.asarray(to_numpy(x))
    if a.dtype.kind not in "fiu" or a.size == 0:
        return 0.0
    a = a.astype(np.float64)
    return float(np.abs(a[np.isfinite(a)]).max(initial=0.0))


def inverse_max(obs: dict) -> float:
    """The largest finite 1/|x| over the nonzero forward values of an observation."""
    out = 0.0
    for k, v in obs["forward"]:
        a = np.asarray(to_numpy(v)) if k == "ok" else np.zeros(0)
        if a.dtype.kind == "f" and a.size:
            with np.errstate(all="ignore"):
                inv = 1 / np.abs(a[np.isfinite(a) & (a != 0)].astype(np.float64))
            out = max(out, float(inv[np.isfinite(inv)].max(initial=0.0)))
    return out


def short(a: Any) -> str:
    return np.array2string(np.asarray(a), precision=4, threshold=12).replace("\n", "")


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", value) or ("error", exception type name); warnings are silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return "ok", f()
        except Exception as e:  # noqa: BLE001 - both libraries' errors are compared, not typed
            return "error", type(e).__name__


# ---- leaves ---------------------------------------------------------------------------------


def edge_values(dtype: str) -> list[float]:
    fi = np.finfo(dtype)
    return [0.0, -0.0, float(fi.smallest_subnormal), -float(fi.smallest_subnormal),
            float(fi.tiny) * 3, 1e-30 if dtype == "float32" else 1e-300,
            float(fi.max) / 4, -float(fi.max) / 4, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5,
            2.0, 20.0, -20.0, 100.0, -100.0]


def draw_values(d: Draw, shape: tuple[int, ...], dtype: str, edge_p: float) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    ties = d.chance(0.15)  # a few repeated values, for max / sort-like ties
    pool = [float(d.choice([-1.0, 0.0, 1.0, 2.0])) for _ in range(2)]
    edges = edge_values(dtype)
    out = []
    for _ in range(n):
        if ties:
            out.append(d.choice(pool))
        elif d.chance(edge_p):
            out.append(d.choice(edges))
        else:
            out.append(d.normal() * d.choice([1.0, 1.0, 3.0, 0.1]))
    return np.array(out, dtype=np.float64).astype(dtype).reshape(shape)


def draw_shapes(d: Draw, count: int, allow_empty: bool) -> list[tuple[int, ...]]:
    """Shapes that broadcast together: suffixes of one base shape, some dims set to 1."""
    nd = d.integer(0, 3)
    base = [d.integer(0 if allow_empty and d.chance(0.05) else 1, 3) for _ in range(nd)]
    shapes = []
    for _ in range(count):
        k = d.integer(0, nd)
        shapes.append(tuple(1 if d.chance(0.25) else s for s in base[nd - k:]))
    return shapes


# ---- the op programs ----------------------------------------------------------------------


@dataclass
class Step:
    op: str
    args: tuple[int, ...]
    p: dict[str, Any]


@dataclass
class Program:
    leaves: list[np.ndarray]
    steps: list[Step] = field(default_factory=list)

    def render(self) -> str:
        """The program as tinygrad_np code (the torch one is the same with torch. for tg.)."""
        lines = [f"x{i} = tg.tensor(np.array({a.tolist()!r}, dtype='{a.dtype}')"
                 f".reshape({a.shape}), requires_grad=True)" for i, a in enumerate(self.leaves)]
        n = len(self.leaves)
        for j, s in enumerate(self.steps):
            spec = SPECS[s.op]
            names = [f"x{a}" for a in s.args]
            lines.append(f"x{n + j} = {spec.text(names, s.p)}")
        return "\n".join(lines).replace("nan", "np.nan").replace("inf", "np.inf")


def is_float(meta: Any) -> bool:
    return np.dtype(meta.dtype).kind == "f"


def broadcasts(s1: tuple[int, ...], s2: tuple[int, ...]) -> bool:
    return all(a == b or a == 1 or b == 1 for a, b in zip(s1[::-1], s2[::-1]))


@dataclass
class Spec:
    """How to draw one op's parameters and call it in either library.

    `call(L, args, p)` runs the op with library `L`; `params(d, metas)` draws its parameters
    (None: not applicable here); `text` renders it for a repro; `covers` names the OPS rows
    (or nn.functional functions) the spec exercises."""
    name: str
    arity: int
    call: Callable[[Lib, list, dict], Any]
    text_fmt: str
    params: Callable[[Draw, list], dict | None] = lambda d, m: {}
    covers: tuple[str, ...] = ()
    second_order: bool = True  # False: HVP not compared (PyTorch wrong there, see below)
    # Given the arguments' values and the parameters: the first stage ("forward", "grad",
    # "hvp") not compared, where PyTorch is wrong or we differ on purpose; None compares all.
    skip: Callable[[list[np.ndarray], dict], str | None] | None = None
    float_only: bool = True

    def text(self, names: list[str], p: dict) -> str:
        return self.text_fmt.format(*names, **{k: repr(v) for k, v in p.items()})


SPECS: dict[str, Spec] = {}


def spec(name: str, arity: int, call: Callable, text: str, params: Callable | None = None,
         covers: tuple[str, ...] | None = None, **kw: Any) -> None:
    SPECS[name] = Spec(name, arity, call, text, params or (lambda d, m: {}),
                       covers if covers is not None else (name,), **kw)


def method(name: str) -> None:
    spec(name, 1, lambda L, a, p: getattr(a[0], name)(), "{0}." + name + "()")


for _n in ("neg", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs",
           "square", "sign", "positive", "clone", "contiguous", "float", "double"):
    method(_n)
spec("neg_op", 1, lambda L, a, p: -a[0], "-{0}", covers=("neg",))
spec("abs_op", 1, lambda L, a, p: abs(a[0]), "abs({0})", covers=("abs",))
spec("pos_op", 1, lambda L, a, p: +a[0], "+{0}", covers=("positive",))
spec("tg_exp", 1, lambda L, a, p: L.m.exp(a[0]), "tg.exp({0})", covers=("exp",))


def _clamp_params(d: Draw, m: list) -> dict:
    lo = d.choice([None, -1.0, 0.0, 0.5])
    hi = d.choice([None, 0.0, 1.0, 2.0]) if lo is not None else d.choice([0.0, 1.0])
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    return {"min": lo, "max": hi}


spec("clamp", 1, lambda L, a, p: a[0].clamp(min=p["min"], max=p["max"]),
     "{0}.clamp(min={min}, max={max})", _clamp_params)
SCALARS = [0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0, 1e-3, 1e30]
POW_EXPS = [2.0, 3.0, 0.5, -1.0, -2.0, 1.0, 2.5, 0.0, -0.5]


def _scalar(values: list) -> Callable:
    return lambda d, m: {"s": d.choice(values)}


spec("add_s", 1, lambda L, a, p: a[0] + p["s"], "{0} + {s}", _scalar(SCALARS), ("add",))
spec("rsub_s", 1, lambda L, a, p: p["s"] - a[0], "{s} - {0}", _scalar(SCALARS), ("sub",))
spec("mul_s", 1, lambda L, a, p: a[0] * p["s"], "{0} * {s}", _scalar(SCALARS), ("mul",))
spec("div_s", 1, lambda L, a, p: a[0] / p["s"], "{0} / {s}", _scalar(SCALARS), ("div",))
spec("rdiv_s", 1, lambda L, a, p: p["s"] / a[0], "{s} / {0}", _scalar(SCALARS), ("div",))
spec("pow_s", 1, lambda L, a, p: a[0] ** p["s"], "{0} ** {s}", _scalar(POW_EXPS), ("pow",))
spec("rpow_s", 1, lambda L, a, p: p["s"] ** a[0], "{s} ** {0}",
     _scalar([2.0, 0.5, 1.0, 0.0, -2.0, 10.0]), ("pow",))
spec("mod_s", 1, lambda L, a, p: a[0] % p["s"], "{0} % {s}", _scalar([1.0, -2.0, 0.5, 3.0]),
     ("remainder",))
_BINOPS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "add": (lambda x, y: x + y, "{0} + {1}"), "sub": (lambda x, y: x - y, "{0} - {1}"),
    "mul": (lambda x, y: x * y, "{0} * {1}"), "div": (lambda x, y: x / y, "{0} / {1}"),
    "pow": (lambda x, y: x ** y, "{0} ** {1}"), "remainder": (lambda x, y: x % y, "{0} % {1}")}
for _n, (_f, _t) in _BINOPS.items():
    spec(_n, 2, (lambda f: lambda L, a, p: f(a[0], a[1]))(_f), _t)
# PyTorch's d2(a**b)/da db at b == 0 is 0, the math says a**(b-1) (1 + b log a) = 1 / a
# (test_pytorch_is_wrong_here_pow_mixed_second_derivative): no HVP where an exponent is 0.



def _tiny_mask(a: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        bound = float(np.finfo(a.dtype).max) ** -0.5
        return ~np.isfinite(a) | ((a != 0) & (np.abs(a) < bound))


def _below(a: np.ndarray, power: float) -> bool:
    """Whether a non-zero entry of `a` is below max**-power in magnitude, or not finite: there
    |a|**-1 (power 1) or |a|**-2 (power 1/2) overflows."""
    with np.errstate(all="ignore"):
        bound = float(np.finfo(a.dtype).max) ** -power
        return bool((~np.isfinite(a) | ((a != 0) & (np.abs(a) < bound))).any())


def _pow_skip(v: list[np.ndarray], p: dict) -> str | None:
    with np.errstate(all="ignore"):
        neg = np.isneginf(v[0]) | ((v[0] == 0) & np.signbit(v[0]))
        if (neg & (np.asarray(v[1]) != np.round(v[1]))).any():
            # A tensor exponent: PyTorch takes C's pow ((-inf) ** 0.5 = inf), we NumPy's
            # (NaN, as sqrt; README, where we differ).
            return "forward"
    if (v[1] == 0).any():
        return "hvp"  # PyTorch's d2/da db is 0 at b = 0 (test_pytorch_is_wrong_here_pow_mixed)
    return None


SPECS["pow"].skip = _pow_skip


def _pow_s_skip(v: list[np.ndarray], p: dict) -> str | None:
    return None


def _rdiv_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch computes s / x as s * (1 / x): 0. / 1e-40 in float32 is 0 * inf = NaN there, 0
    # in the math and here (test_pytorch_is_wrong_here_scalar_over_subnormal).
    with np.errstate(all="ignore"):
        return "forward" if (np.abs(v[0]) < 1 / np.finfo(v[0].dtype).max).any() else None


SPECS["pow_s"].skip = _pow_s_skip
SPECS["rdiv_s"].skip = _rdiv_skip
spec("sub_m", 2, lambda L, a, p: a[0].sub(a[1]), "{0}.sub({1})", covers=("sub",))
spec("div_fn", 2, lambda L, a, p: L.m.div(a[0], a[1]), "tg.div({0}, {1})", covers=("div",))
spec("maximum", 2, lambda L, a, p: L.m.maximum(a[0], a[1]), "tg.maximum({0}, {1})")
spec("minimum", 2, lambda L, a, p: L.m.minimum(a[0], a[1]), "tg.minimum({0}, {1})")
spec("mul_cmp", 2, lambda L, a, p: a[0] * (a[1] > p["t"]), "{0} * ({1} > {t})",
     lambda d, m: {"t": d.choice([0.0, 1.0, -1.0])}, ("gt", "mul"))
spec("where", 2, lambda L, a, p: L.m.where(a[0] > p["t"], a[0], a[1]),
     "tg.where({0} > {t}, {0}, {1})", lambda d, m: {"t": d.choice([0.0, 0.5])}, ("where", "gt"))
spec("where_m", 2, lambda L, a, p: a[0].where(a[1] <= p["t"], a[1]),
     "{0}.where({1} <= {t}, {1})", lambda d, m: {"t": d.choice([0.0, 0.5])}, ("where", "le"))
for _n, _sym in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                 ("ge", ">=")):
    spec(_n, 2, (lambda f: lambda L, a, p: getattr(a[0], f)(a[1]))(_n),
         "{0}." + _n + "({1})", covers=(_n,))


def _dim_params(keep: bool = True, tuple_ok: bool = True, none_ok: bool = True,
                need_dim: bool = False, empty_tuple_ok: bool = True) -> Callable:
    def draw(d: Draw, m: list) -> dict | None:
        nd = len(m[0].shape)
        if need_dim and nd == 0:
            return None
        opts = (["none"] if none_ok else []) + (["int"] if nd else []) + (
            ["tuple"] if tuple_ok and nd else [])
        if not opts:
            return None
        kind = d.choice(opts)
        dim: Any = None
        if kind == "int":
            dim = d.integer(-nd, nd - 1)
        elif kind == "tuple":
            k = d.integer(0 if empty_tuple_ok else 1, nd)
            dims = list(range(nd))
            dim = tuple(sorted({dims[d.integer(0, nd - 1)] for _ in range(k)}))
        out = {"dim": dim}
        if keep:
            out["keepdim"] = d.chance(0.5)
        return out
    return draw


def _reduce(name: str, **kw: Any) -> None:
    spec(name, 1, lambda L, a, p: getattr(a[0], name)(**p), "{0}." + name + "(dim={dim}"
         + (", keepdim={keepdim}" if kw.get("keep", True) else "") + ")", _dim_params(**kw))


_reduce("sum")
_reduce("mean")
_reduce("amax")
_reduce("amin")
_reduce("logsumexp", none_ok=False, empty_tuple_ok=False)
spec("sum_fn", 1, lambda L, a, p: L.m.sum(a[0]), "tg.sum({0})", covers=("sum",))


def _var_params(d: Draw, m: list) -> dict | None:
    # PyTorch's var/std over dim=() reduces over nothing yet its backward is wrong (see
    # test_pytorch_is_wrong_here_var_over_no_dims): no empty tuples here.
    p = _dim_params(empty_tuple_ok=False)(d, m)
    if p is not None:
        p["unbiased"] = d.chance(0.5)
    return p


for _n in ("var", "std"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)(p["dim"], unbiased=p["unbiased"],
                                                           keepdim=p["keepdim"]))(_n),
         "{0}." + _n + "({dim}, unbiased={unbiased}, keepdim={keepdim})", _var_params)


def _var_skip(v: list[np.ndarray], p: dict) -> str | None:
    # With count <= correction the variance is NaN for every input: its derivatives are no
    # claim of either library (PyTorch returns 0 at second order, we NaN).
    shape = v[0].shape
    dims = range(len(shape)) if p["dim"] is None else (
        [p["dim"]] if isinstance(p["dim"], int) else p["dim"])
    count = int(np.prod([shape[k] for k in dims], dtype=np.int64))
    return "grad" if count <= int(p["unbiased"]) else None


def _std_skip(v: list[np.ndarray], p: dict) -> str | None:
    first = _var_skip(v, p)
    if first is not None:
        return first
    if v[0].dtype == np.float64 and (np.isfinite(v[0]) & (np.abs(v[0]) > 1e154)).any():
        # PyTorch's float64 std overflows where the std is finite; ours rescales
        # (test_std_of_huge_float64_values_is_finite).
        return "forward"
    # std is not differentiable where it is 0 (equal values): rounding of the mean decides.
    with np.errstate(all="ignore"):
        dim = p["dim"]
        spread = np.ptp(v[0]) if dim is None else np.ptp(v[0], axis=dim)
    return "grad" if (np.asarray(spread) == 0).any() else None


SPECS["var"].skip = _var_skip
SPECS["std"].skip = _std_skip


def _remainder_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch computes a - floor(a / b) * b: where a / b overflows it gives NaN; the exact
    # remainder (ours, C's fmod based) is finite.
    with np.errstate(all="ignore"):
        return "forward" if np.isinf(np.asarray(v[0]) / np.asarray(v[1])).any() else None


SPECS["remainder"].skip = _remainder_skip




spec("prod", 1, lambda L, a, p: a[0].prod() if p["dim"] is None else a[0].prod(**p),
     "{0}.prod(dim={dim}, keepdim={keepdim})", _dim_params(tuple_ok=False))


def _prod_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch's prod backward is prod / x unless a factor is exactly 0: where the product
    # underflows to 0 (or overflows) with no zero factor it gives 0 (or NaN) for a gradient
    # that is a finite product of the other factors
    # (test_pytorch_is_wrong_here_prod_gradient_when_the_product_underflows).
    a = v[0].astype(np.float64)
    with np.errstate(all="ignore"):
        out = v[0].prod() if p["dim"] is None else v[0].prod(p["dim"])
        bad = (~np.isfinite(out) | (np.abs(out) < np.finfo(v[0].dtype).tiny)).any()
    if bad and np.isfinite(a).all() or np.isnan(a).any():
        return "grad"  # (a NaN factor: the product is NaN, its gradient no claim)
    # PyTorch's prod double backward divides by the factors: at a factor below sqrt(tiny) its
    # Hessian entries are off by orders of magnitude (HVP 1.45e281 for x = [0.0072, 1e-300]
    # where the Hessian is [[0, 1], [1, 0]]).
    with np.errstate(all="ignore"):
        small = (a != 0) & (np.abs(a) < np.sqrt(np.finfo(v[0].dtype).tiny))
    return "hvp" if small.any() else None


SPECS["prod"].skip = _prod_skip
for _n in ("max", "min"):
    spec(_n + "_dim", 1, (lambda n: lambda L, a, p: getattr(a[0], n)(p["dim"],
                                                                    keepdim=p["keepdim"]).values)(_n),
         "{0}." + _n + "({dim}, keepdim={keepdim}).values",
         _dim_params(tuple_ok=False, none_ok=False), (_n,))
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)())(_n), "{0}." + _n + "()")
    spec("arg" + _n, 1, (lambda n: lambda L, a, p: getattr(a[0], "arg" + n)(**p))(_n),
         "{0}.arg" + _n + "(dim={dim}, keepdim={keepdim})", _dim_params(tuple_ok=False))
for _n in ("softmax", "log_softmax"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)(p["dim"]))(_n),
         "{0}." + _n + "({dim})", _dim_params(keep=False, tuple_ok=False, none_ok=False))
    spec("F." + _n, 1, (lambda n: lambda L, a, p: getattr(L.F, n)(a[0], dim=p["dim"]))(_n),
         "F." + _n + "({0}, dim={dim})", _dim_params(keep=False, tuple_ok=False,
                                                     none_ok=False), (_n,))
spec("all", 1, lambda L, a, p: bool(a[0].all()), "bool({0}.all())", float_only=False)
spec("any", 1, lambda L, a, p: bool(a[0].any()), "bool({0}.any())", float_only=False)


# -- shape ops
def _reshape_params(d: Draw, m: list) -> dict:
    shape = m[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    opts = [(-1,), tuple(reversed(shape)), (1, *shape), (n, 1)]
    return {"shape": d.choice(opts)}


spec("reshape", 1, lambda L, a, p: a[0].reshape(p["shape"]), "{0}.reshape({shape})",
     _reshape_params)
# (no .view here: ours copies where PyTorch's view of a non-contiguous tensor raises, which is
# no wrong value; views are compared in the inplace category, where aliasing matters)
spec("flatten", 1, lambda L, a, p: a[0].flatten(), "{0}.flatten()")
spec("squeeze", 1, lambda L, a, p: a[0].squeeze() if p["dim"] is None else a[0].squeeze(
    p["dim"]), "{0}.squeeze({dim})", _dim_params(keep=False, tuple_ok=False))
spec("unsqueeze", 1, lambda L, a, p: a[0].unsqueeze(p["dim"]), "{0}.unsqueeze({dim})",
     lambda d, m: {"dim": d.integer(-len(m[0].shape) - 1, len(m[0].shape))})


def _perm(d: Draw, m: list) -> dict:
    dims = list(range(len(m[0].shape)))
    for i in range(len(dims) - 1, 0, -1):
        j = d.integer(0, i)
        dims[i], dims[j] = dims[j], dims[i]
    return {"dims": tuple(dims)}


spec("permute", 1, lambda L, a, p: a[0].permute(p["dims"]), "{0}.permute({dims})", _perm)
spec("transpose", 1, lambda L, a, p: a[0].transpose(p["a"], p["b"]), "{0}.transpose({a}, {b})",
     lambda d, m: None if len(m[0].shape) < 2 else {
         "a": d.integer(0, len(m[0].shape) - 1), "b": d.integer(-len(m[0].shape), -1)})
spec("T", 1, lambda L, a, p: a[0].T, "{0}.T",
     lambda d, m: {} if len(m[0].shape) <= 2 else None)  # .T on 3-d is deprecated in PyTorch
spec("mT", 1, lambda L, a, p: a[0].mT, "{0}.mT",
     lambda d, m: {} if len(m[0].shape) >= 2 else None)
spec("expand", 1, lambda L, a, p: a[0].expand(*p["shape"]), "{0}.expand{shape}",
     lambda d, m: {"shape": (2, *(d.choice([2, -1]) if s == 1 else -1 for s in m[0].shape))})
spec("broadcast_to", 1, lambda L, a, p: L.m.broadcast_to(a[0], p["shape"]),
     "tg.broadcast_to({0}, {shape})",
     lambda d, m: {"shape": (2, *(d.choice([1, 3]) if s == 1 else s for s in m[0].shape))})
spec("expand_as", 2, lambda L, a, p: a[0].expand_as(a[0] + a[1]), "{0}.expand_as({0} + {1})")


def _index_params(d: Draw, m: list) -> dict | None:
    """An index of ints, slices, one list of (maybe repeated) ints, None and Ellipsis."""
    shape = m[0].shape
    if not shape:
        return {"idx": d.choice([(), (None,), (Ellipsis,)])}
    idx: list[Any] = []
    used_list = False
    for s in shape:
        kind = d.choice(["slice", "slice", "int", "list", "full"])
        if kind == "int" and s > 0:
            idx.append(d.integer(-s, s - 1))
        elif kind == "list" and s > 0 and not used_list:
            used_list = True
            idx.append([d.integer(-s, s - 1) for _ in range(d.integer(1, 3))])
        elif kind == "slice":
            idx.append(slice(d.choice([None, 0, 1, -1]), d.choice([None, 2, -1]),
                             d.choice([None, 1, 2])))
        else:
            idx.append(slice(None))
    if d.chance(0.2):
        idx.insert(d.integer(0, len(idx)), None)
    cut = d.integer(1, len(idx))
    idx = idx[:cut]
    return {"idx": tuple(idx)}


spec("getitem", 1, lambda L, a, p: a[0][p["idx"]], "{0}[{idx}]", _index_params)
spec("mask", 2, lambda L, a, p: a[0][a[1] > p["t"]], "{0}[{1} > {t}]",
     lambda d, m: {"t": d.choice([0.0, 0.5])} if m[0].shape == m[1].shape else None,
     ("getitem", "gt"))


def _cat_params(d: Draw, m: list) -> dict | None:
    s0, s1 = m[0].shape, m[1].shape
    if (s0 == (0,)) != (s1 == (0,)) and s0 and s1:  # PyTorch's legacy rule: left out
        return {"dim": d.integer(0, max(len(s0), len(s1)) - 1)}
    if not s0 or len(s0) != len(s1):
        return None
    diff = [i for i in range(len(s0)) if s0[i] != s1[i]]
    if len(diff) > 1:
        return None
    return {"dim": diff[0] if diff else d.integer(-len(s0), len(s0) - 1)}


spec("cat", 2, lambda L, a, p: L.m.cat([a[0], a[1]], p["dim"]), "tg.cat([{0}, {1}], {dim})",
     _cat_params)
spec("cat3", 1, lambda L, a, p: L.m.cat([a[0], a[0] * 2, a[0]], dim=p["dim"]),
     "tg.cat([{0}, {0} * 2, {0}], dim={dim})",
     lambda d, m: {"dim": d.integer(-len(m[0].shape), len(m[0].shape) - 1)}
     if m[0].shape and 0 not in m[0].shape else None, ("cat",))
spec("stack", 2, lambda L, a, p: L.m.stack([a[0], a[1]], p["dim"]), "tg.stack([{0}, {1}], {dim})",
     lambda d, m: {"dim": d.integer(-len(m[0].shape) - 1, len(m[0].shape))}
     if m[0].shape == m[1].shape else None)


def _matmul_params(d: Draw, m: list) -> dict | None:
    s0, s1 = m[0].shape, m[1].shape
    if not s0 or not s1:
        return None
    if m[0].dtype != m[1].dtype:
        return None  # PyTorch's matmul refuses mixed dtypes; we promote (no wrong value)
    k0 = s0[-1]
    k1 = s1[0] if len(s1) == 1 else s1[-2]
    if k0 != k1:
        return None
    if len(s0) > 2 and len(s1) > 2 and not broadcasts(s0[:-2], s1[:-2]):
        return None
    return {}


spec("matmul", 2, lambda L, a, p: a[0] @ a[1], "{0} @ {1}", _matmul_params)
spec("matmul_self", 1, lambda L, a, p: L.m.matmul(a[0], a[0].mT if a[0].ndim > 1 else a[0]),
     "tg.matmul({0}, {0}.mT or {0})", lambda d, m: {} if m[0].shape else None, ("matmul",))


def _sums_of_products_overflow(product: Callable) -> Callable:
    """A skip for matmul-like ops: where |a| (x) |b| overflows, the result (inf or NaN)
    depends on the order of the summation, which BLAS chooses."""
    def skip(v: list[np.ndarray], p: dict) -> str | None:
        with np.errstate(all="ignore"):
            try:
                bound = product(*[np.abs(x).astype(np.float64) for x in v])
            except ValueError:  # shapes that do not fit: both libraries must refuse
                return None
        return "forward" if not np.isfinite(bound).all() else None
    return skip


SPECS["matmul"].skip = _sums_of_products_overflow(np.matmul)
SPECS["matmul_self"].skip = _sums_of_products_overflow(
    lambda a: np.matmul(a, np.swapaxes(a, -1, -2) if a.ndim > 1 else a))
spec("astype", 1, lambda L, a, p: a[0].to(L.dtype(p["t"])), "{0}.to(tg.{t})",
     lambda d, m: {"t": d.choice(["float32", "float64"])}, ("astype",))
spec("leaky_relu", 1, lambda L, a, p: L.F.leaky_relu(a[0], p["s"]), "F.leaky_relu({0}, {s})",
     _scalar([0.01, 0.2, -1.0]), ())
spec("gelu", 1, lambda L, a, p: L.F.gelu(a[0], approximate=p["a"]),
     "F.gelu({0}, approximate={a})", lambda d, m: {"a": d.choice(["none", "tanh"])}, ())
# PyTorch's softplus is linear from beta * x > threshold on, but at beta * x == threshold
# exactly it uses the log1p branch on one side of the derivative and not the other
# (test_pytorch_is_wrong_here_softplus_at_the_threshold); thresholds here are off the leaves'
# grid of edge values, so an exact tie needs an op to land on it.
spec("softplus", 1, lambda L, a, p: L.F.softplus(a[0], beta=p["b"], threshold=p["t"]),
     "F.softplus({0}, beta={b}, threshold={t})",
     lambda d, m: {"b": d.choice([1.0, 2.0, 0.5]), "t": d.choice([20.0, 5.0, 1.5])}, ())
# PyTorch's vectorized gelu gives NaN at +-inf (float32), the math and we +inf / -0.
SPECS["gelu"].skip = lambda v, p: "forward" if np.isinf(v[0]).any() else None
spec("F.relu", 1, lambda L, a, p: L.F.relu(a[0]), "F.relu({0})", covers=("relu",))
spec("F.sigmoid", 1, lambda L, a, p: L.F.sigmoid(a[0]), "F.sigmoid({0})", covers=("sigmoid",))
spec("F.tanh", 1, lambda L, a, p: L.F.tanh(a[0]), "F.tanh({0})", covers=("tanh",))
spec("F.linear", 2, lambda L, a, p: L.F.linear(a[0], a[1]), "F.linear({0}, {1})",
     lambda d, m: {} if len(m[1].shape) == 2 and m[0].shape and m[0].shape[-1] == m[1].shape[1]
     and m[0].dtype == m[1].dtype else None, ("matmul",))
spec("F.dropout", 1, lambda L, a, p: L.F.dropout(a[0], p=p["p"], training=p["p"] == 0.0),
     "F.dropout({0}, p={p}, training={p} == 0.0)", lambda d, m: {"p": d.choice([0.0, 0.5])}, ())
# -- the rest of the op table: elementwise, rounding, predicates, logic, sorting, gathers
for _n in ("expm1", "log2", "log10", "reciprocal", "rsqrt", "tan", "ceil", "floor", "round",
           "trunc", "nan_to_num", "t", "cpu"):
    method(_n)
SPECS["t"].params = lambda d, m: {} if len(m[0].shape) <= 2 else None
for _n in ("isfinite", "isinf", "isnan", "bool", "int", "half"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)())(_n), "{0}." + _n + "()",
         float_only=False)
# float -> int32 of NaN, inf or out of range is undefined in C, in both libraries
SPECS["int"].skip = lambda v, p: "forward" if (~np.isfinite(v[0]) | (np.abs(v[0]) >= 2**31)
                                               ).any() else None
spec("isclose", 2, lambda L, a, p: L.m.isclose(a[0], a[1], equal_nan=p["n"]),
     "tg.isclose({0}, {1}, equal_nan={n})", lambda d, m: {"n": d.chance(0.5)})
spec("allclose", 2, lambda L, a, p: bool(L.m.allclose(a[0], a[1])), "tg.allclose({0}, {1})")
spec("equal", 2, lambda L, a, p: bool(L.m.equal(a[0], a[1])), "tg.equal({0}, {1})")
_LOGIC: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "logical_and": (lambda x, y: x.logical_and(y), "{0}.logical_and({1})"),
    "logical_or": (lambda x, y: x.logical_or(y), "{0}.logical_or({1})"),
    "logical_xor": (lambda x, y: x.logical_xor(y), "{0}.logical_xor({1})"),
    "bitwise_and": (lambda x, y: (x > 0) & (y > 0), "({0} > 0) & ({1} > 0)"),
    "bitwise_or": (lambda x, y: (x > 0) | (y > 0), "({0} > 0) | ({1} > 0)"),
    "bitwise_xor": (lambda x, y: (x > 0) ^ (y > 0), "({0} > 0) ^ ({1} > 0)")}
for _n, (_f, _t) in _LOGIC.items():
    spec(_n, 2, (lambda f: lambda L, a, p: f(a[0], a[1]))(_f), _t)
spec("logical_not", 1, lambda L, a, p: a[0].logical_not(), "{0}.logical_not()")
spec("bitwise_not", 1, lambda L, a, p: ~(a[0] > 0), "~({0} > 0)")
spec("masked_fill", 2, lambda L, a, p: a[0].masked_fill(a[1] > 0, p["s"]),
     "{0}.masked_fill({1} > 0, {s})", _scalar([0.0, -1.0, float("inf")]))


def _one_dim(d: Draw, m: list) -> dict | None:
    nd = len(m[0].shape)
    return {"dim": d.integer(-nd, nd - 1)} if nd else None


def _ties_skip(v: list[np.ndarray], p: dict) -> str | None:
    # Which of equal elements (or of several NaNs) comes first is not specified by either
    # library: their values agree, indices and gradients need not.
    a = v[0]
    if a.ndim == 0 or a.size == 0:
        return None
    s = np.sort(np.moveaxis(a, p["dim"], -1), axis=-1)
    tie = (s[..., 1:] == s[..., :-1]) | (np.isnan(s[..., 1:]) & np.isnan(s[..., :-1]))
    return "forward" if tie.any() else None


spec("sort", 1, lambda L, a, p: a[0].sort(p["dim"], descending=p["desc"]).values,
     "{0}.sort({dim}, descending={desc}).values",
     lambda d, m: None if not m[0].shape else {**_one_dim(d, m), "desc": d.chance(0.5)},
     skip=_ties_skip)
spec("argsort", 1, lambda L, a, p: a[0].argsort(p["dim"], descending=p["desc"]),
     "{0}.argsort({dim}, descending={desc})",
     lambda d, m: None if not m[0].shape else {**_one_dim(d, m), "desc": d.chance(0.5)},
     skip=_ties_skip)
spec("topk", 1, lambda L, a, p: a[0].topk(p["k"], p["dim"]).values,
     "{0}.topk({k}, {dim}).values",
     lambda d, m: None if not m[0].shape or 0 in m[0].shape else {
         **_one_dim(d, m), "k": 1}, skip=_ties_skip)
spec("median", 1, lambda L, a, p: a[0].median(p["dim"]).values, "{0}.median({dim}).values",
     lambda d, m: None if not m[0].shape or 0 in m[0].shape else _one_dim(d, m),
     skip=_ties_skip)
spec("median_all", 1, lambda L, a, p: a[0].median(), "{0}.median()",
     lambda d, m: {} if 0 not in m[0].shape else None, ("median",),
     skip=lambda v, p: _ties_skip([v[0].reshape(-1)], {"dim": 0}))


def _index_tensor(d: Draw, m: Meta, dim: int, length: int) -> np.ndarray:
    shape = list(m.shape)
    shape[dim] = length
    return np.array([d.integer(0, m.shape[dim] - 1) for _ in range(int(np.prod(shape)))],
                    dtype=np.int64).reshape(shape)


def _gather_params(d: Draw, m: list) -> dict | None:
    if not m[0].shape or 0 in m[0].shape:
        return None
    dim = d.integer(0, len(m[0].shape) - 1)
    return {"dim": dim, "index": _index_tensor(d, m[0], dim, d.integer(1, 3)).tolist()}


def _ix(L: Lib, p: dict) -> Any:
    return L.m.tensor(np.array(p["index"], dtype=np.int64))


spec("gather", 1, lambda L, a, p: a[0].gather(p["dim"], _ix(L, p)),
     "{0}.gather({dim}, tg.tensor({index}))", _gather_params)
spec("index_select", 1, lambda L, a, p: a[0].index_select(p["dim"], _ix(L, p)),
     "{0}.index_select({dim}, tg.tensor({index}))",
     lambda d, m: None if not m[0].shape or 0 in m[0].shape else {
         "dim": (dim := d.integer(0, len(m[0].shape) - 1)),
         "index": [d.integer(0, m[0].shape[dim] - 1) for _ in range(d.integer(1, 3))]})


def _scatter_params(d: Draw, m: list) -> dict | None:
    # The source has the self's shape: an index of the self's shape (unique along dim, so
    # scatter's result does not depend on the order of writes).
    s = m[0].shape
    if not s or 0 in s or m[0].shape != m[1].shape or m[0].dtype != m[1].dtype:
        return None
    dim = d.integer(0, len(s) - 1)
    perm = np.argsort(np.array([[d.normal() for _ in range(s[dim])]]), axis=-1)[0]
    index = np.moveaxis(np.broadcast_to(perm, (*np.delete(s, dim), s[dim])), -1, dim)
    return {"dim": dim, "index": index.tolist()}


spec("scatter", 2, lambda L, a, p: a[0].scatter(p["dim"], _ix(L, p), a[1]),
     "{0}.scatter({dim}, tg.tensor({index}), {1})", _scatter_params)
spec("scatter_add", 2, lambda L, a, p: a[0].scatter_add(p["dim"], _ix(L, p), a[1]),
     "{0}.scatter_add({dim}, tg.tensor({index}), {1})", _scatter_params)


# -- shape and structure
spec("cumsum", 1, lambda L, a, p: a[0].cumsum(p["dim"]), "{0}.cumsum({dim})", _one_dim)
spec("cumprod", 1, lambda L, a, p: a[0].cumprod(p["dim"]), "{0}.cumprod({dim})", _one_dim)


def _cumprod_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch's cumprod backward divides by the element: inexact where a running product is
    # subnormal or underflows (test_cumprod_derivatives_at_a_subnormal_running_product).
    with np.errstate(all="ignore"):
        run = np.abs(np.cumprod(v[0], axis=p["dim"])) if v[0].ndim else np.abs(v[0])
        return "grad" if (run < np.finfo(v[0].dtype).tiny).any() else None


SPECS["cumprod"].skip = _cumprod_skip
spec("flip", 1, lambda L, a, p: a[0].flip(p["dims"]), "{0}.flip({dims})",
     lambda d, m: {"dims": _perm(d, m)["dims"][:d.integer(0, len(m[0].shape))]})
spec("roll", 1, lambda L, a, p: a[0].roll(p["s"], p["dim"]), "{0}.roll({s}, {dim})",
     lambda d, m: None if not m[0].shape else {**_one_dim(d, m), "s": d.integer(-3, 3)})
for _n in ("tril", "triu"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)(p["k"]))(_n),
         "{0}." + _n + "({k})",
         lambda d, m: {"k": d.integer(-2, 2)} if len(m[0].shape) >= 2 else None)
spec("movedim", 1, lambda L, a, p: a[0].movedim(p["a"], p["b"]), "{0}.movedim({a}, {b})",
     lambda d, m: None if not m[0].shape else {
         "a": d.integer(0, len(m[0].shape) - 1), "b": d.integer(-len(m[0].shape), -1)})
spec("repeat", 1, lambda L, a, p: a[0].repeat(*p["r"]), "{0}.repeat(*{r})",
     lambda d, m: {"r": tuple(d.integer(1, 2) for _ in range(len(m[0].shape)
                                                             + d.integer(0, 1)))})
spec("chunk", 1, lambda L, a, p: a[0].chunk(p["k"], p["dim"])[-1],
     "{0}.chunk({k}, {dim})[-1]",
     lambda d, m: None if not m[0].shape else {**_one_dim(d, m), "k": d.integer(1, 3)})
spec("split", 1, lambda L, a, p: a[0].split(p["k"], p["dim"])[0], "{0}.split({k}, {dim})[0]",
     lambda d, m: None if not m[0].shape else {**_one_dim(d, m), "k": d.integer(1, 3)})
spec("view_as", 2, lambda L, a, p: a[0].reshape(-1).view_as(a[1]), "{0}.reshape(-1).view_as({1})",
     lambda d, m: {} if int(np.prod(m[0].shape)) == int(np.prod(m[1].shape)) else None)
spec("type_as", 2, lambda L, a, p: a[0].type_as(a[1]), "{0}.type_as({1})")
spec("to", 1, lambda L, a, p: a[0].to(L.dtype(p["t"])), "{0}.to(tg.{t})",
     lambda d, m: {"t": d.choice(["float32", "float64"])})
spec("mm", 1, lambda L, a, p: a[0].mm(a[0].t()), "{0}.mm({0}.t())",
     lambda d, m: {} if len(m[0].shape) == 2 else None)
spec("bmm", 1, lambda L, a, p: a[0].bmm(a[0].mT), "{0}.bmm({0}.mT)",
     lambda d, m: {} if len(m[0].shape) == 3 else None)
spec("einsum", 2, lambda L, a, p: L.m.einsum("...j,...j->...", a[0], a[1]),
     "tg.einsum('...j,...j->...', {0}, {1})",
     lambda d, m: {} if m[0].shape and m[1].shape and m[0].dtype == m[1].dtype else None)
SPECS["mm"].skip = SPECS["matmul_self"].skip
SPECS["bmm"].skip = SPECS["matmul_self"].skip
SPECS["einsum"].skip = _sums_of_products_overflow(lambda a, b: (a * b).sum(-1))
SPECS["F.linear"].skip = _sums_of_products_overflow(lambda a, w: a @ w.T)
spec("norm", 1, lambda L, a, p: a[0].norm(p["p"], p["dim"]), "{0}.norm({p}, {dim})",
     lambda d, m: {"p": d.choice([2, 1, float("inf")]),
                   "dim": _one_dim(d, m)["dim"] if m[0].shape and d.chance(0.5) else None})
ALL_OPS = {op.name for op in OPS}
NOT_IN_OP_PROGRAMS = {
    "floor_divide": "its backward raises in both libraries; in the dtypes category",
    "long": "integer result; in the dtypes category",
    "size": "returns ints, compared in the dtypes category",
    "setitem": "in-place: the inplace category", "copy_": "in-place: the inplace category",
    "zero_": "in-place: the inplace category", "fill_": "in-place: the inplace category",
    "swapaxes": "an alias row",
    "cuda": "no accelerator here: both libraries refuse (tests/test_pytorch_api.py)",
}


def covered_ops() -> set[str]:
    return {c for s in SPECS.values() for c in s.covers} | set(INPLACE_COVERS) | set(
        DTYPE_COVERS)


@dataclass
class Meta:
    shape: tuple[int, ...]
    dtype: Any


def meta(x: Any) -> Meta:
    if isinstance(x, bool):
        return Meta((), np.dtype(bool))
    return Meta(tuple(x.shape), np.dtype(dtype_name(x)))


def usable(m: Meta) -> bool:
    return is_float(m) and len(m.shape) <= 4 and int(np.prod(m.shape, dtype=np.int64)) <= 64


def draw_program(d: Draw, max_steps: int = 6) -> Program:
    dtype = d.choice(["float64", "float64", "float32"])
    shapes = draw_shapes(d, d.integer(1, 3), allow_empty=True)
    edge_p = d.choice([0.0, 0.1, 0.4])
    prog = Program([draw_values(d, s, dtype, edge_p) for s in shapes])
    metas = [Meta(a.shape, a.dtype) for a in prog.leaves]
    names = sorted(SPECS)
    for _ in range(d.integer(1, max_steps)):
        for _attempt in range(8):
            sp = SPECS[d.choice(names)]
            cands = [i for i, m in enumerate(metas) if usable(m) or not sp.float_only]
            if not cands:
                break
            # Prefer recent nodes, so programs chain rather than fan out from the leaves.
            i = cands[-1] if d.chance(0.5) else d.choice(cands)
            args = [i]
            if sp.arity == 2:
                others = [j for j in cands if broadcasts(metas[i].shape, metas[j].shape)]
                args.append(d.choice(others))
            p = sp.params(d, [metas[a] for a in args])
            if p is None:
                continue
            step = Step(sp.name, tuple(args), p)
            ins = [leaf_for_meta(metas[a]) for a in args]
            kind, out = outcome(lambda step=step, ins=ins: run_step(TG, step, ins))
            if kind == "error":
                # Still compared: both libraries must refuse. Only the first refusal stays.
                prog.steps.append(step)
                return prog
            prog.steps.append(step)
            metas.append(meta(out))
            break
    return prog


def leaf_for_meta(m: Meta) -> Any:
    return tg.tensor(np.ones(m.shape, dtype=m.dtype), requires_grad=is_float(m))


def run_step(L: Lib, step: Step, args: list) -> Any:
    return SPECS[step.op].call(L, args, step.p)


def build(L: Lib, prog: Program) -> tuple[list, list[tuple[str, Any]]]:
    """The leaves, and every node as ("ok", value) or ("error", name); stops at an error."""
    leaves = [L.leaf(a, requires_grad=True) for a in prog.leaves]
    nodes: list[tuple[str, Any]] = [("ok", x) for x in leaves]
    for s in prog.steps:
        args = [nodes[a][1] for a in s.args]
        res = outcome(lambda s=s, args=args: run_step(L, s, args))
        nodes.append(res)
        if res[0] == "error":
            break
    return leaves, nodes


def random_like(d: Draw, x: Any) -> np.ndarray:
    shape = tuple(x.shape)
    n = int(np.prod(shape, dtype=np.int64))
    vals = [d.normal() if not d.chance(0.1) else 0.0 for _ in range(n)]
    return np.array(vals, dtype=np.float64).reshape(shape).astype(np.dtype(dtype_name(x)))


@dataclass
class Failure:
    family: str
    detail: str
    repro: str
    size: int


def check_program(d: Draw, prog: Program) -> Failure | None:
    """Forward, first gradients and a Hessian-vector product, compared with PyTorch."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _check_program(d, prog)


def _check_program(d: Draw, prog: Program) -> Failure | None:
    skip, tol = plan(prog)
    if skip == "forward":
        return None
    obs_t = observe(TG, prog, d, skip)
    obs_q = observe(TORCH, prog, d, skip)
    found = compare(obs_t, obs_q, 1e3, tol)
    if found is None:
        return None
    stage, detail = found
    op = localise(prog)
    if op is None and ill_conditioned(prog, skip, tol):
        return None
    size = len(prog.steps) * 10 + sum(a.size for a in prog.leaves)
    return Failure(f"ops/{stage}/{op or 'composition'}", detail, prog.render(), size)


STAGES = ("forward", "grad", "hvp")


def plan(prog: Program) -> tuple[str | None, str]:
    """The first stage not compared (a step's `skip` on our values), and the dtype whose
    tolerance applies: the least precise float any node has (a float64 leaf's gradient that
    went through float32 ops is only float32-accurate)."""
    _, nodes = build(TG, prog)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        values = [to_numpy(v) if k == "ok" else None for k, v in nodes]
    tol = "float64"
    for v in values:
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.dtype.itemsize < 8:
            tol = v.dtype.name if v.dtype.itemsize < np.dtype(tol).itemsize else tol
    skip: str | None = None
    for s in prog.steps:
        f = SPECS[s.op].skip
        args = [values[a] if a < len(values) else None for a in s.args]
        if f is None or any(not isinstance(x, np.ndarray) for x in args):
            continue
        with np.errstate(all="ignore"):
            st_ = f(args, s.p)
        if st_ is not None and (skip is None or STAGES.index(st_) < STAGES.index(skip)):
            skip = st_
    return skip, tol


def observe(L: Lib, prog: Program, d: Draw | None, skip: str | None,
            rel: float = 0.0) -> dict[str, Any]:
    """Every node, the leaves' gradients from backward(g) and a Hessian-vector product, each
    as ("ok", values) or ("error", name), up to the stage `skip`. The random g and v are
    drawn from `d` once and kept on `prog`, the same for both libraries; `rel` perturbs the
    leaves by that relative amount (for ill_conditioned)."""
    if rel:
        rng = np.random.default_rng(1)
        moved = Program([a * (1 + rel * rng.uniform(-1, 1, a.shape)).astype(a.dtype)
                         for a in prog.leaves], prog.steps)
        moved.__dict__.update({k: prog.__dict__[k] for k in ("g", "vs") if k in prog.__dict__})
        prog = moved
    leaves, nodes = build(L, prog)
    obs: dict[str, Any] = {"forward": nodes}
    out = nodes[-1][1]
    if (skip == "grad" or len(nodes) != len(prog.leaves) + len(prog.steps)
            or nodes[-1][0] != "ok" or not hasattr(out, "requires_grad")
            or not is_float(meta(out)) or not out.requires_grad):
        return obs
    if "g" not in prog.__dict__:
        assert d is not None
        prog.__dict__["g"] = random_like(d, out)
        prog.__dict__["vs"] = [random_like(d, a) for a in prog.leaves]
    g, vs = prog.__dict__["g"], prog.__dict__["vs"]
    obs["upstream"] = [g, *vs]
    res = outcome(lambda: out.backward(L.leaf(g)))
    obs["grad"] = res if res[0] == "error" else ("ok", [x.grad for x in leaves])
    if skip == "hvp" or not all(SPECS[s.op].second_order for s in prog.steps):
        return obs
    leaves, nodes = build(L, prog)
    obs["hvp"] = outcome(lambda: hvp(L, leaves, nodes[-1][1], g, vs))
    return obs


def compare(ours: dict, theirs: dict, rtol_scale: float, tol: str) -> tuple[str, str] | None:
    """The first stage and node where two observations differ, or None."""
    # Rounding is absolute at the scale of the values an op combines (a sum's cancellation,
    # std of equal values): the tolerance's scale is the largest finite value so far.
    seen = 0.0
    for k, ((ka, a), (kb, b)) in enumerate(zip(ours["forward"], theirs["forward"])):
        if ka != kb:
            return "forward", (f"x{k}: ours {ka} {short(to_numpy(a)) if ka == 'ok' else a}"
                               f" vs torch {kb} {short(to_numpy(b)) if kb == 'ok' else b}")
        if ka == "ok":
            m = mismatch(a, b, rtol_scale, f"x{k}", tol=tol, upstream=seen)
            if m:
                return "forward", m
            seen = max(seen, finite_max(b))
    # A gradient combines terms of the size of 1/x too (d(a/b)/db = -a/b**2 cancels against
    # d(a/b)/da where a = b): those sizes join the scale.
    up = max([finite_max(v) for v in ours.get("upstream", [])] + [seen, inverse_max(ours)])
    for stage in ("grad", "hvp"):
        if (stage in ours) != (stage in theirs):
            return stage, f"ours has {stage}: {stage in ours}, torch: {stage in theirs}"
        if stage not in ours:
            continue
        (ka, a), (kb, b) = ours[stage], theirs[stage]
        if ka != kb or ka == "error":
            if ka != kb:
                return stage, f"ours {ka} {a if ka == 'error' else ''} vs torch {kb} " + (
                    b if kb == "error" else "")
            continue
        for i, (x, y) in enumerate(zip(a, b)):
            if stage == "grad" and (x is None) != (y is None):
                return stage, f"x{i}.grad: ours None {x is None} vs torch None {y is None}"
            m = mismatch(*zero_for_none(x, y), rtol_scale, f"{stage} x{i}", singular_ok=True,
                         tol=tol, upstream=up)
            if m:
                return stage, m
    return None


def ill_conditioned(prog: Program, skip: str | None, tol: str) -> bool:
    """Whether PyTorch itself moves as much as the mismatch when the leaves move by a few
    ulp: then the program amplifies rounding, and the two libraries' different (correct)
    roundings are not a finding."""
    eps = float(np.finfo(prog.leaves[0].dtype).eps) * 4 if prog.leaves else 0.0
    base = observe(TORCH, prog, None, skip)
    moved = observe(TORCH, prog, None, skip, rel=eps)
    found = compare(moved, base, 1e3, tol)
    return found is not None


def hvp(L: Lib, leaves: list, out: Any, g: np.ndarray, vs: list[np.ndarray]) -> list:
    """d/dleaves <d<out, g>/dleaves, v>: a Hessian-vector product through create_graph."""
    grads = L.grad([out], leaves, [L.leaf(g)], create_graph=True)
    s = None
    for gi, v in zip(grads, vs):
        if gi is not None and gi.requires_grad:
            term = (gi * L.leaf(v)).sum()
            s = term if s is None else s + term
    if s is None:
        return [None] * len(leaves)
    return L.grad([s], leaves, None, create_graph=False)


def zero_for_none(x: Any, y: Any) -> tuple[Any, Any]:
    """A second-order gradient that is None in one library (its first gradient did not depend
    on the leaf: abs, relu) and zeros in the other is the same value, zero."""
    if x is None and y is not None:
        x = tg.tensor(np.zeros(tuple(y.shape), dtype=dtype_name(y)))
    if y is None and x is not None:
        y = torch.zeros(tuple(x.shape), dtype=getattr(torch, dtype_name(x)))
    if x is None:
        return 0.0, 0.0
    return x, y


def localise(prog: Program) -> str | None:
    """The first step that disagrees with PyTorch when run alone on our intermediate values
    (forward, gradient and second order), or None when every step agrees locally."""
    _, nodes = build(TG, prog)
    rng = RandomDraw(0)
    for j, s in enumerate(prog.steps):
        n = len(prog.leaves) + j
        if n >= len(nodes):
            break
        ins = [nodes[a][1] for a in s.args]
        if not all(isinstance(x, tg.Tensor) for x in ins):
            continue
        sub = Program([to_numpy(x) for x in ins],
                      [Step(s.op, tuple(range(len(ins))), s.p)])
        if any(not is_float(Meta(a.shape, a.dtype)) for a in sub.leaves):
            continue
        if local_mismatch(rng, sub):
            return s.op
    return None


def local_mismatch(d: Draw, sub: Program) -> bool:
    """One op alone on given values, compared strictly (within a few ulp)."""
    skip, tol = plan(sub)
    if skip == "forward":
        return False
    return compare(observe(TG, sub, d, skip), observe(TORCH, sub, d, skip), 10.0,
                   tol) is not None


INPLACE_COVERS: tuple[str, ...] = ("setitem", "copy_", "zero_", "fill_", "add", "mul")
DTYPE_COVERS: tuple[str, ...] = ("floor_divide", "long", "size", "remainder", "prod")

# ---- dtypes: integer and bool tensors, Python scalars, PyTorch's promotion ----------------

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
INT_SCALARS: list[Any] = [True, False, 0, 1, -3, 2, 300, 2**40, 0.5, -1.5]
D_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
    "/": lambda x, y: x / y, "**": lambda x, y: x ** y, "%": lambda x, y: x % y,
    "//": lambda x, y: x // y, "max": lambda x, y: tgm(x).maximum(x, y),
    "<": lambda x, y: x < y, "==": lambda x, y: x == y}
D_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x, "abs": lambda x: x.abs(), "square": lambda x: x.square(),
    "sign": lambda x: x.sign(), "sum": lambda x: x.sum(), "sum0": lambda x: x.sum(0),
    "prod": lambda x: x.prod(), "mean": lambda x: x.mean(), "amax": lambda x: x.amax(),
    "clamp": lambda x: x.clamp(min=1, max=5), "long": lambda x: x.long(),
    "float": lambda x: x.float(), "size": lambda x: x.size(0), "exp": lambda x: x.exp(),
    "argmax": lambda x: x.argmax()}


def tgm(x: Any) -> Any:
    """The library a tensor belongs to."""
    return torch if isinstance(x, torch.Tensor) else tg


def d_value(d: Draw, dtype: str, n: int) -> np.ndarray:
    if dtype == "bool":
        return np.array([d.chance(0.5) for _ in range(n)], dtype=bool)
    if dtype.startswith("float"):
        return np.array([d.choice([0.0, -1.5, 2.0, 3.0, 0.5, -0.0]) for _ in range(n)], dtype)
    lo = 0 if dtype == "uint8" else -4
    return np.array([d.integer(lo, 6) if not d.chance(0.1) else d.choice([255, 100])
                     for _ in range(n)]).astype(dtype)


def check_dtypes(d: Draw) -> Failure | None:
    """One op on integer / bool / float tensors or a Python scalar: value, dtype, refusal."""
    n = d.integer(1 if d.chance(0.9) else 0, 3)
    ta, tb = d.choice(DTYPES), d.choice(DTYPES)
    a, b = d_value(d, ta, n), d_value(d, tb, d.choice([n, 1]))
    kind = d.choice(["tt", "ts", "st", "u", "cat", "where"])
    scalar = d.choice(INT_SCALARS)
    # (torch.maximum takes no Python scalar: "max" is tensor-tensor only)
    op = d.choice(sorted(D_BINARY)) if kind in ("tt", "ts", "st") else d.choice(sorted(D_UNARY))
    if op == "max" and kind != "tt":
        op = "+"
    text = {"tt": f"a {op} b", "ts": f"a {op} {scalar!r}", "st": f"{scalar!r} {op} a",
            "u": f"a.{op}()", "cat": "tg.cat([a, b])", "where": "tg.where(a > 1, a, b)"}[kind]
    if kind == "cat":
        bshape: tuple[int, ...] = (0,) if d.chance(0.3) else b.shape
        b = b[:0] if bshape == (0,) else b
    if deliberate_dtype_difference(kind, op, ta, scalar):
        return None

    def run(L: Lib) -> Any:
        x, y = L.leaf(a), L.leaf(b)
        if kind == "tt":
            return D_BINARY[op](x, y)
        if kind == "ts":
            return D_BINARY[op](x, scalar)
        if kind == "st":
            return D_BINARY[op](scalar, x) if op not in ("max",) else D_BINARY[op](x, scalar)
        if kind == "u":
            return D_UNARY[op](x)
        if kind == "cat":
            return L.m.cat([x, y])
        return L.m.where(x > 1, x, y)

    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None
    if ours[0] != theirs[0]:
        detail = f"ours {ours[0]} {ours[1] if ours[0] == 'error' else short(to_numpy(ours[1]))}"\
                 f" vs torch {theirs[0]} " + (theirs[1] if theirs[0] == "error"
                                               else short(to_numpy(theirs[1])))
    elif ours[0] == "ok":
        x, y = ours[1], theirs[1]
        if isinstance(y, torch.Tensor) and not isinstance(x, tg.Tensor):
            detail = f"ours {type(x).__name__} vs a tensor"
        elif isinstance(y, torch.Tensor):
            detail = mismatch(x, y, 1.0, "out")
        elif x != y:
            detail = f"ours {x!r} vs torch {y!r}"
    if detail is None:
        return None
    repro = (f"a = tg.tensor(np.array({a.tolist()!r}, dtype='{ta}'))\n"
             f"b = tg.tensor(np.array({b.tolist()!r}, dtype='{tb}'))\n{text}")
    fam = f"dtypes/{kind}/{op if kind in ('tt', 'ts', 'st', 'u') else kind}"
    return Failure(fam, detail, repro,
                   a.size + b.size)


def deliberate_dtype_difference(kind: str, op: str, ta: str, scalar: Any) -> str | None:
    """The deliberate difference from PyTorch a dtypes case falls in, if any (README)."""
    if kind in ("ts", "st") and op in ("<", "<=", ">", ">=", "==", "!=") and ta in (
            "uint8", "int32", "int64") and type(scalar) is int and not (
            np.iinfo(ta).min <= scalar <= np.iinfo(ta).max):
        # PyTorch wraps the number into the tensor's dtype first (uint8 tensor < -3 compares
        # with 253); we compare the values (test_comparison_with_an_int_outside_the_dtype).
        return "comparison with an int outside the dtype"
    return None


# ---- in-place on non-leaves, views ------------------------------------------------------


def check_inplace(d: Draw) -> Failure | None:
    """y = f(w); an in-place change of y (or of a view taken after it); then backward."""
    dtype = d.choice(["float64", "float32"])
    shape = (d.integer(1, 3), d.integer(1, 3))
    w0 = draw_values(d, shape, dtype, 0.0)
    v0 = draw_values(d, shape[1:], dtype, 0.0)
    g = draw_values(d, shape, dtype, 0.0)
    kind = d.choice(["add_", "mul_", "sub_", "div_", "setitem", "setitem_t", "copy_", "zero_",
                     "fill_", "iadd", "imul", "view_after", "exp_", "clamp_", "iadd_alias",
                     "view_before", "view_written"])
    row = d.integer(0, shape[0] - 1)
    s = d.choice([2.0, -0.5, 0.0])

    def run(L: Lib) -> list:
        w, v = L.leaf(w0, True), L.leaf(v0, True)
        y = w * 2 + 1
        if kind == "add_":
            y.add_(v)
        elif kind == "mul_":
            y.mul_(v)
        elif kind == "sub_":
            y.sub_(v * s)
        elif kind == "div_":
            y.div_(v * v + 1)
        elif kind == "setitem":
            y[row] = s
        elif kind == "setitem_t":
            y[row] = v * 3
        elif kind == "copy_":
            y.copy_(v.expand(*shape))
        elif kind == "zero_":
            y.zero_()
        elif kind == "fill_":
            y.fill_(s)
        elif kind == "iadd":
            y += v
        elif kind == "imul":
            y *= v
        elif kind == "view_after":
            y.mul_(v)
            t = y[row]  # a view taken after the in-place change, changed out of place
            t = t + s
        elif kind == "exp_":
            y.exp_()
        elif kind == "clamp_":
            y.clamp_(min=0.0, max=s if s > 0 else None)
        elif kind == "iadd_alias":  # another name sees the change, as in PyTorch
            alias = y
            y += v
            y = alias * 1.5
        elif kind == "view_before":  # a view taken before the change follows its base
            t = y[row]
            y.mul_(v)
            y = y + t * s
        elif kind == "view_written":  # writing through a view changes the base
            y[row].mul_(v)
        z = (y * y).sum(0) if d_local["reduce"] else y * y * 0.5  # well conditioned
        z.backward(L.leaf(g.sum(0) if d_local["reduce"] else g))
        return [y, z, w.grad, v.grad]

    d_local = {"reduce": d.chance(0.5)}
    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None
    if ours[0] != theirs[0]:
        detail = f"ours {ours[0]} {ours[1] if ours[0] == 'error' else ''} vs torch {theirs[0]}"
    elif ours[0] == "ok":
        for name, x, y in zip(("y", "z", "w.grad", "v.grad"), ours[1], theirs[1]):
            if (x is None) != (y is None):
                detail = f"{name}: ours None {x is None}, torch None {y is None}"
            elif x is not None:
                detail = mismatch(x, y, 10.0, name)
            if detail:
                break
    if detail is None:
        return None
    repro = (f"w = tg.tensor({w0.tolist()}, dtype=tg.{dtype}, requires_grad=True)\n"
             f"v = tg.tensor({v0.tolist()}, dtype=tg.{dtype}, requires_grad=True)\n"
             f"y = w * 2 + 1; <{kind}> (row {row}, s {s}); reduce {d_local['reduce']}")
    return Failure(f"inplace/{kind}", detail, repro, w0.size)


# ---- losses -------------------------------------------------------------------------------


def check_losses(d: Draw) -> Failure | None:
    """nn.functional losses: value, gradients wrt input (and float target), second order."""
    dtype = d.choice(["float64", "float32"])
    n, c = d.integer(1, 4), d.integer(2, 4)
    name = d.choice(["cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits", "cross_entropy_probs"])
    reduction = d.choice(["mean", "sum", "none"])
    x0 = draw_values(d, (n, c), dtype, d.choice([0.0, 0.1]))
    cls = np.array([d.integer(0, c - 1) for _ in range(n)], dtype=np.int64)
    ignore = d.choice([-100, int(cls[0])])
    weight = draw_values(d, (c,), dtype, 0.0) ** 2 if d.chance(0.3) else None
    smoothing = d.choice([0.0, 0.0, 0.2])
    edge_p = d.choice([0.0, 0.3])
    p0 = np.array([d.choice([0.0, 1.0, 0.5]) if d.chance(edge_p) else d.integer(1, 99) / 100
                   for _ in range(n * c)], dtype).reshape(n, c)
    t0 = np.array([d.choice([0.0, 1.0]) if d.chance(0.5) else d.integer(0, 100) / 100
                   for _ in range(n * c)], dtype).reshape(n, c)
    with np.errstate(all="ignore"):
        smoothed = 2 * np.abs(x0).max(initial=0) * (c if weight is None else weight.sum())
    if name == "cross_entropy" and smoothing and not smoothed < np.finfo(dtype).max:
        return None  # PyTorch overflows to inf (test_cross_entropy_smoothing_near_overflow)
    if name == "binary_cross_entropy" and ((p0 == 0) | (p0 == 1)).any():
        return None  # PyTorch's target gradient is +-inf there (README; test_edge_gradients)

    def run(L: Lib) -> list:
        W = None if weight is None else L.leaf(weight)
        if name in ("cross_entropy", "nll_loss"):
            x = L.leaf(x0, True)
            inp = x if name == "cross_entropy" else x.log_softmax(1)
            kw: dict[str, Any] = {"weight": W, "ignore_index": ignore, "reduction": reduction}
            if name == "cross_entropy":
                kw["label_smoothing"] = smoothing
            out = getattr(L.F, name)(inp, L.leaf(cls), **kw)
            leaves = [x]
        elif name == "cross_entropy_probs":
            x, t = L.leaf(x0, True), L.leaf(t0, True)
            out = L.F.cross_entropy(x, t, reduction=reduction)
            leaves = [x, t]
        elif name == "mse_loss":
            x, t = L.leaf(x0, True), L.leaf(t0, True)
            out = L.F.mse_loss(x, t, reduction=reduction)
            leaves = [x, t]
        elif name == "binary_cross_entropy":
            x, t = L.leaf(p0, True), L.leaf(t0, True)
            out = L.F.binary_cross_entropy(x, t, weight=W, reduction=reduction)
            leaves = [x, t]
        else:
            x, t = L.leaf(x0, True), L.leaf(t0, True)
            out = L.F.binary_cross_entropy_with_logits(x, t, weight=W, reduction=reduction)
            leaves = [x, t]
        grads = L.grad([out], leaves, [L.leaf(np.ones(tuple(out.shape), dtype))],
                       create_graph=True)
        res = [out, *grads]
        # PyTorch's BCE double backward adds its log-clamp eps where the math has none
        # (test_pytorch_is_wrong_here_bce_double_backward): first order only for BCE.
        if name != "binary_cross_entropy":
            s = sum(((gi * L.leaf(np.full(tuple(gi.shape), 0.5, dtype))).sum() for gi in grads
                     if gi is not None and gi.requires_grad), start=L.leaf(np.zeros((), dtype)))
            if s.requires_grad:
                res += L.grad([s], leaves, None, create_graph=False)
        return res

    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None
    if ours[0] != theirs[0]:
        detail = f"ours {ours[0]} {ours[1] if ours[0] == 'error' else ''} vs torch {theirs[0]}"\
                 f" {theirs[1] if theirs[0] == 'error' else ''}"
    elif ours[0] == "ok":
        if len(ours[1]) != len(theirs[1]):
            detail = f"{len(ours[1])} results vs {len(theirs[1])}"
        # Second-order results are rounding noise of the first-order ones where they cancel
        # (the softmax Hessian's rows sum to 0): scaled by those, not by their own size.
        first = max([finite_max(y) for y in theirs[1][:3]] + [1.0])
        for i, (x, y) in enumerate(zip(ours[1], theirs[1])):
            detail = detail or mismatch(*zero_for_none(x, y), 100.0, f"result {i}",
                                        singular_ok=i > 0, upstream=1.0 if i < 3 else first)
    if detail is None:
        return None
    repro = (f"F.{name}(x={short(p0 if 'binary_cross_entropy' == name else x0)}, "
             f"target={short(cls) if name in ('cross_entropy', 'nll_loss') else short(t0)}, "
             f"weight={None if weight is None else short(weight)}, ignore_index={ignore}, "
             f"label_smoothing={smoothing}, reduction={reduction!r}), dtype {dtype}")
    return Failure(f"losses/{name}", detail, repro, n * c)


# ---- optimizers and schedulers ---------------------------------------------------------------


def check_optim(d: Draw) -> Failure | None:
    """A few steps of an optimizer on the same parameters and gradients, step for step."""
    name = d.choice(["SGD", "Adam", "AdamW", "RMSprop"])
    kw: dict[str, Any] = {"lr": d.choice([0.1, 0.01, 1.0])}
    if name == "SGD":
        kw["momentum"] = d.choice([0.0, 0.9])
        kw["nesterov"] = kw["momentum"] > 0 and d.chance(0.5)
        kw["dampening"] = 0.0 if kw["nesterov"] else d.choice([0.0, 0.1])
    elif name in ("Adam", "AdamW"):
        kw["amsgrad"] = d.chance(0.5)
        kw["betas"] = d.choice([(0.9, 0.999), (0.5, 0.9)])
    else:
        kw["momentum"] = d.choice([0.0, 0.5])
        kw["centered"] = d.chance(0.5)
        kw["alpha"] = d.choice([0.99, 0.5])
    kw["weight_decay"] = d.choice([0.0, 0.0, 0.01])
    kw["maximize"] = d.chance(0.2)
    shape = (d.integer(1, 3), d.integer(1, 2))
    p0 = draw_values(d, shape, "float64", 0.0)
    steps = d.integer(1, 5)
    targets = [draw_values(d, shape, "float64", 0.0) for _ in range(steps)]

    def run(L: Lib) -> list:
        w = L.leaf(p0, True)
        opt = getattr(L.m.optim, name)([w], **kw)
        out = []
        for t in targets:
            opt.zero_grad()
            ((w - L.leaf(t)) ** 2).sum().backward()
            opt.step()
            out.append(to_numpy(w))
        return out

    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None
    if ours[0] != theirs[0]:
        detail = f"ours {ours[1]} vs torch {theirs[1]}"
    elif ours[0] == "ok":
        for i, (x, y) in enumerate(zip(ours[1], theirs[1])):
            detail = detail or mismatch(x, y, 1e3, f"step {i + 1}")
    if detail is None:
        return None
    return Failure(f"optim/{name}", detail, f"{name}({kw}) on {short(p0)}, {steps} steps of "
                   "((w - t)**2).sum()", steps)


def check_sched(d: Draw) -> Failure | None:
    """Learning rates of a scheduler over some epochs."""
    name = d.choice(["StepLR", "ExponentialLR", "CosineAnnealingLR"])
    kw: dict[str, Any] = {"StepLR": {"step_size": d.integer(1, 4),
                                     "gamma": d.choice([0.1, 0.5])},
                          "ExponentialLR": {"gamma": d.choice([0.9, 0.5])},
                          "CosineAnnealingLR": {"T_max": d.integer(1, 6),
                                                "eta_min": d.choice([0.0, 0.01])}}[name]
    lr, epochs = d.choice([0.1, 1.0]), d.integer(1, 15)

    def run(L: Lib) -> list:
        opt = L.m.optim.SGD([L.leaf(np.zeros(1), True)], lr=lr)
        sched = getattr(L.m.optim.lr_scheduler, name)(opt, **kw)
        out = []
        for _ in range(epochs):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None if ours[0] == theirs[0] and (ours[0] == "error" or mismatch(
        np.array(ours[1]), np.array(theirs[1]), 10.0) is None) else f"{ours} vs {theirs}"
    if detail is None:
        return None
    return Failure(f"sched/{name}", detail, f"{name}(SGD(lr={lr}), **{kw}), {epochs} steps",
                   epochs)


# ---- modules ------------------------------------------------------------------------------


def check_modules(d: Draw) -> Failure | None:
    """Linear, BatchNorm1d (train and eval), LayerNorm, Dropout(p=0 / eval) with the same
    parameters: output, gradients of the input and of every parameter, running stats."""
    name = d.choice(["Linear", "BatchNorm1d", "LayerNorm", "Dropout"])
    n, f = d.integer(2 if name == "BatchNorm1d" else 1, 4), d.integer(1, 4)
    x0 = draw_values(d, (n, f), "float64", 0.0)
    g0 = draw_values(d, (n, 3 if name == "Linear" else f), "float64", 0.0)
    train = d.chance(0.7)
    bias = d.chance(0.7)
    params = {"weight": draw_values(d, (3, f) if name == "Linear" else (f,), "float64", 0.0),
              "bias": draw_values(d, (3,) if name == "Linear" else (f,), "float64", 0.0)}

    def run(L: Lib) -> list:
        nn = L.m.nn
        if name == "Linear":
            mod = nn.Linear(f, 3, bias=bias, dtype=L.dtype("float64"))
        elif name == "BatchNorm1d":
            mod = nn.BatchNorm1d(f, dtype=L.dtype("float64"))
        elif name == "LayerNorm":
            mod = nn.LayerNorm(f, dtype=L.dtype("float64"))
        else:
            mod = nn.Dropout(p=0.0 if train else 0.5)
        with L.m.no_grad():
            for k, v in params.items():
                if getattr(mod, k, None) is not None:
                    getattr(mod, k).copy_(L.leaf(v))
        mod.train(train)
        x = L.leaf(x0, True)
        out = mod(x)
        out.backward(L.leaf(g0))
        res = [out, x.grad] + [getattr(mod, k).grad for k in params
                               if getattr(mod, k, None) is not None]
        res += [getattr(mod, k) for k in ("running_mean", "running_var")
                if getattr(mod, k, None) is not None]
        return res

    ours, theirs = outcome(lambda: run(TG)), outcome(lambda: run(TORCH))
    detail = None
    if ours[0] != theirs[0]:
        detail = f"ours {ours[1]} vs torch {theirs[1]}"
    elif ours[0] == "ok":
        if len(ours[1]) != len(theirs[1]):
            detail = f"{len(ours[1])} results vs {len(theirs[1])}"
        for i, (x, y) in enumerate(zip(ours[1], theirs[1])):
            detail = detail or mismatch(x, y, 100.0, f"result {i}", upstream=1.0)
    if detail is None:
        return None
    return Failure(f"modules/{name}", detail, f"{name}(f={f}, train={train}, bias={bias}) "
                   f"on x={short(x0)}", n * f)


# ---- categories -----------------------------------------------------------------------------

CATEGORIES: dict[str, Callable[[Draw], Failure | None]] = {
    "ops": lambda d: check_program(d, draw_program(d)),
    "dtypes": check_dtypes,
    "inplace": check_inplace,
    "losses": check_losses,
    "optim": check_optim,
    "sched": check_sched,
    "modules": check_modules,
}


def budget(default: int) -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def run_case(category: str, data: Any) -> None:
    f = CATEGORIES[category](HypothesisDraw(data))
    assert f is None, f"{f.family}: {f.detail}\n{f.repro}"


@settings(max_examples=budget(1500))
@given(st.data())
def test_op_programs_match_pytorch(data: Any) -> None:
    run_case("ops", data)


@settings(max_examples=budget(400))
@given(st.data())
def test_dtype_promotion_and_integer_ops_match_pytorch(data: Any) -> None:
    run_case("dtypes", data)


@settings(max_examples=budget(300))
@given(st.data())
def test_in_place_changes_of_non_leaves_match_pytorch(data: Any) -> None:
    run_case("inplace", data)


@settings(max_examples=budget(300))
@given(st.data())
def test_losses_match_pytorch(data: Any) -> None:
    run_case("losses", data)


@settings(max_examples=budget(200))
@given(st.data())
def test_optimizers_step_for_step_match_pytorch(data: Any) -> None:
    run_case("optim", data)


@settings(max_examples=budget(100))
@given(st.data())
def test_schedulers_match_pytorch(data: Any) -> None:
    run_case("sched", data)


@settings(max_examples=budget(200))
@given(st.data())
def test_modules_match_pytorch(data: Any) -> None:
    run_case("modules", data)


def test_every_op_of_the_table_is_fuzzed_or_said_why_not() -> None:
    missing = ALL_OPS - covered_ops() - set(NOT_IN_OP_PROGRAMS)
    assert not missing, f"ops neither fuzzed nor excluded: {sorted(missing)}"


def test_the_fuzz_finds_a_planted_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness is not vacuous: a wrong derivative of sin is caught and named."""
    from tinygrad_np.primitives import elementwise as ew

    monkeypatch.setattr(ew.Sin, "backward", staticmethod(lambda ctx, grad: grad * 0.0))
    prog = Program([np.array([0.3, -1.2])], [Step("sin", (0,), {})])
    f = check_program(RandomDraw(0), prog)
    assert f is not None and f.family == "ops/grad/sin", f


# ---- where PyTorch is mathematically wrong: the math, asserted on tinygrad_np --------------


def test_pytorch_is_wrong_here_var_over_no_dims() -> None:
    # var over dim=() reduces over every dim (as in PyTorch): var([1, 3]) = 1 with
    # correction 0, gradient 2 (x - mean) / N = [-1, 1]. PyTorch's backward gives [-2, 2].
    x = tg.tensor([1.0, 3.0], requires_grad=True)
    y = x.var((), unbiased=False)
    assert float(y.data) == 1.0
    y.backward()
    np.testing.assert_allclose(x.grad.data, [-1.0, 1.0], rtol=1e-12)


def test_pytorch_is_wrong_here_pow_mixed_second_derivative() -> None:
    # d2(a**b)/(da db) = a**(b-1) (1 + b log a), at b = 0: 1 / a.
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    (ga,) = tg.grad([a ** b], [a], create_graph=True)
    (gab,) = tg.grad([ga], [b])
    assert float(gab.data) == pytest.approx(0.5)


def test_pytorch_is_wrong_here_softplus_at_the_threshold() -> None:
    # softplus is smooth: at beta * x == threshold its derivative is sigmoid(beta * x).
    x = tg.tensor([20.0], dtype=tg.float64, requires_grad=True)
    tF.softplus(x, beta=1.0, threshold=20.0).sum().backward()
    assert float(x.grad.data[0]) == pytest.approx(1 / (1 + np.exp(-20.0)), rel=1e-12)


def test_pytorch_is_wrong_here_bce_double_backward() -> None:
    # BCE(p, t) = -(t log p + (1 - t) log(1 - p)): d2/dp2 = t / p**2 + (1 - t) / (1 - p)**2,
    # with no eps (PyTorch's double backward adds its clamp eps).
    p = tg.tensor([0.25], dtype=tg.float64, requires_grad=True)
    t = tg.tensor([0.5], dtype=tg.float64)
    (g,) = tg.grad([tF.binary_cross_entropy(p, t, reduction="sum")], [p], create_graph=True)
    (h,) = tg.grad([g.sum()], [p])
    assert float(h.data[0]) == pytest.approx(0.5 / 0.25**2 + 0.5 / 0.75**2, rel=1e-12)


def test_pytorch_is_wrong_here_scalar_over_subnormal() -> None:
    # 0 / x is 0 for every finite nonzero x; PyTorch computes 0 * (1 / x) = 0 * inf = NaN.
    x = tg.tensor(np.array([1e-40], dtype=np.float32))
    np.testing.assert_array_equal((0.0 / x).data, [0.0])


def test_pytorch_is_wrong_here_prod_gradient_when_the_product_underflows() -> None:
    # d prod(x) / dx0 = x1 * x2, finite although prod(x) underflows to 0 (PyTorch: 0 / x0).
    x = tg.tensor([5e-324, 0.5, 0.25], requires_grad=True)
    x.prod().backward()
    assert float(x.grad.data[0]) == pytest.approx(0.125)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_pytorch_is_wrong_here_gelu_at_infinity(approximate: str) -> None:
    # x Phi(x) -> -0 as x -> -inf and -> x as x -> inf, with slopes 0 and 1; PyTorch computes
    # -inf * 0 = NaN (and, in float32 without the approximation, NaN at +inf too).
    for dtype in (np.float32, np.float64):
        x = tg.tensor(np.array([-np.inf, np.inf], dtype=dtype), requires_grad=True)
        (g,) = tg.grad(tF.gelu(x, approximate=approximate).sum(), x, create_graph=True)
        np.testing.assert_array_equal(np.asarray(tF.gelu(x, approximate=approximate)),
                                      [-0.0, np.inf])
        assert np.signbit(np.asarray(tF.gelu(x, approximate=approximate))[0])
        np.testing.assert_array_equal(np.asarray(g), [0.0, 1.0])
        (h,) = tg.grad(g.sum(), x)
        np.testing.assert_array_equal(np.asarray(h), [0.0, 0.0])
