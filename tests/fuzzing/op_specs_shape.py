"""The fuzz's specs of shape, indexing, joining, linear-algebra, sorting and gathering ops,
and the check that every row of the op table is fuzzed or said why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.ops.table import OPS

from .harness import Draw, Lib
from .programs import SPECS, Meta, broadcasts, spec
from .op_specs import _dim_params, _scalar, _std_skip, method


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
        limit = float(np.finfo(np.result_type(*v)).max)  # (the operands' dtype overflows)
        return "forward" if not (bound <= limit).all() else None
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
for _n in ("ceil", "floor", "round", "trunc", "sign"):
    # 0 times a NaN gradient beyond: NaN here, 0 in PyTorch (README, other differences).
    SPECS[_n].skip = lambda v, p: "grad" if np.isnan(v[0]).any() else None
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


# -- rows added for the upstream op suite
_BIN2: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "copysign": (lambda x, y: x.copysign(y), "{0}.copysign({1})"),
    "logaddexp": (lambda x, y: x.logaddexp(y), "{0}.logaddexp({1})"),
    "lerp": (lambda x, y: x.lerp(y, 0.3), "{0}.lerp({1}, 0.3)")}
for _n, (_f, _t) in _BIN2.items():
    spec(_n, 2, (lambda f: lambda L, a, p: f(a[0], a[1]))(_f), _t)


def _logaddexp_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch's second derivative is NaN where e^-|x - y| underflows (|x - y| > 103 in
    # float32, 709 in float64) or an operand is infinite; the math, and ours, 0
    # (test_pytorch_is_wrong_here_logaddexp_second_derivative).
    with np.errstate(all="ignore"):
        gap = np.abs(np.asarray(v[0], np.float64) - np.asarray(v[1], np.float64))
    limit = 80.0 if np.result_type(v[0], v[1]) == np.float32 else 700.0
    return "hvp" if (~(gap <= limit)).any() else None


SPECS["logaddexp"].skip = _logaddexp_skip
for _n in ("cummax", "cummin"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(a[0], n)(p["dim"]).values)(_n),
         "{0}." + _n + "({dim}).values", _one_dim, skip=lambda v, p: _ties_skip(v, p))
spec("logcumsumexp", 1, lambda L, a, p: a[0].logcumsumexp(p["dim"]), "{0}.logcumsumexp({dim})",
     _one_dim)
for _n in ("std_mean", "var_mean"):
    spec(_n, 1, (lambda n: lambda L, a, p: getattr(L.m, n)(a[0], p["dim"])[p["i"]])(_n),
         "tg." + _n + "({0}, {dim})[{i}]",
         lambda d, m: None if not m[0].shape or 0 in m[0].shape else {
             **_one_dim(d, m), "i": d.integer(0, 1)},
         skip=lambda v, p: "forward" if p["i"] == 1 and np.isinf(v[0]).any() else _std_skip(
             v, {**p, "unbiased": True, "keepdim": False}))  # (the mean at inf: README)
spec("type", 1, lambda L, a, p: a[0].type(getattr(L.m, p["t"])), "{0}.type(tg.{t})",
     lambda d, m: {"t": d.choice(["float32", "float64"])})
spec("diagonal", 1, lambda L, a, p: a[0].diagonal(p["k"], 0, 1), "{0}.diagonal({k}, 0, 1)",
     lambda d, m: {"k": d.integer(-1, 1)} if len(m[0].shape) >= 2 else None)
spec("diag", 1, lambda L, a, p: a[0].diag(p["k"]), "{0}.diag({k})",
     lambda d, m: {"k": d.integer(-1, 1)} if len(m[0].shape) in (1, 2) else None)
spec("unflatten", 1, lambda L, a, p: a[0].unflatten(p["dim"], (1, -1)),
     "{0}.unflatten({dim}, (1, -1))", _one_dim)
spec("unfold", 1, lambda L, a, p: a[0].unfold(p["dim"], p["size"], p["step"]),
     "{0}.unfold({dim}, {size}, {step})",
     lambda d, m: None if not m[0].shape or 0 in m[0].shape else {
         **(o := _one_dim(d, m)), "size": d.integer(1, m[0].shape[o["dim"]]),
         "step": d.integer(1, 2)})
spec("repeat_interleave", 1, lambda L, a, p: a[0].repeat_interleave(p["r"], p["dim"]),
     "{0}.repeat_interleave({r}, {dim})",
     lambda d, m: {"r": d.integer(1, 3), "dim": None if not m[0].shape or d.chance(0.3)
                   else _one_dim(d, m)["dim"]})
spec("masked_select", 2, lambda L, a, p: a[0].masked_select(a[1] > 0), "{0}.masked_select({1} > 0)")
spec("scatter_reduce", 2, lambda L, a, p: a[0].scatter_reduce(
    p["dim"], _ix(L, p), a[1], p["reduce"], include_self=p["self"]),
    "{0}.scatter_reduce({dim}, tg.tensor({index}), {1}, {reduce!r}, include_self={self})",
    lambda d, m: None if (q := _scatter_params(d, m)) is None else {
        **q, "reduce": d.choice(["sum", "prod", "mean", "amax", "amin"]),
        "self": d.chance(0.5)},
    skip=lambda v, p: "grad" if p["reduce"] in ("amax", "amin", "prod") else None)
spec("shifts", 1, lambda L, a, p: ((a[0] > 0).long() << p["k"]) >> 1,
     "(({0} > 0).long() << {k}) >> 1", lambda d, m: {"k": d.integer(0, 3)},
     covers=("bitwise_left_shift", "bitwise_right_shift"))


ALL_OPS = {op.name for op in OPS}
# Rows the other categories exercise (fuzzing.scenarios).
INPLACE_COVERS: tuple[str, ...] = ("setitem", "copy_", "zero_", "fill_", "add", "mul")
DTYPE_COVERS: tuple[str, ...] = ("floor_divide", "long", "size", "remainder", "prod")
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
