"""Elementwise and reduction ops as the fuzz draws and calls them (in either library), with where
PyTorch is wrong or we differ on purpose (the stages not compared)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


from .harness import Draw
from .programs import SPECS, spec

def method(name: str) -> None:
    spec(name, 1, lambda L, a, p: getattr(a[0], name)(), "{0}." + name + "()")


for _n in ("neg", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs",
           "square", "sign", "positive", "clone", "contiguous", "float", "double", "asin", "acos",
           "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "erf"):
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
    if np.isinf(v[1]).any():
        return "grad"  # an infinite exponent: 0 * inf in either library's formula
    if (v[1] == 0).any():
        return "hvp"  # PyTorch's d2/da db is 0 at b = 0 (test_pytorch_is_wrong_here_pow_mixed)
    return None


SPECS["pow"].skip = _pow_skip


def _pow_s_skip(v: list[np.ndarray], p: dict) -> str | None:
    # (-inf) ** 0.5 is NaN (sqrt) in both; its derivatives are no claim (PyTorch's are 0).
    if p["s"] != int(p["s"]) and np.isneginf(v[0]).any():
        return "grad"
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
    with np.errstate(all="ignore"):
        a = np.asarray(v[0], np.float64)
        flat = a.size and np.isfinite(a).all() and np.ptp(a) <= 4 * np.finfo(
            v[0].dtype).eps * np.abs(a).max()
    if flat and np.abs(v[0]).max() > 1e8:
        # Values equal up to rounding at a large scale: our two-pass variance gives the
        # rounding of the mean squared (2.97e28 around 1e30), PyTorch's one-pass 0 (left
        # open in issue 17's note).
        return "forward"
    return "grad" if count <= int(p["unbiased"]) else None


def _huge(a: np.ndarray) -> bool:
    """Values whose sum or squares overflow where var/std do not: PyTorch's float64 var/std
    and its float32 mean overflow there, ours rescale (test_std_of_huge_float64_values...)."""
    bound = 1e154 if a.dtype == np.float64 else float(np.finfo(a.dtype).max) / max(a.size, 1)
    with np.errstate(all="ignore"):
        return bool((np.isfinite(a) & (np.abs(a) > bound)).any())


def _std_skip(v: list[np.ndarray], p: dict) -> str | None:
    first = _var_skip(v, p)
    if first is not None:
        return first
    if _huge(v[0]):
        return "forward"
    # std is not differentiable where it is 0 (equal values): rounding of the mean decides.
    with np.errstate(all="ignore"):
        dim = p["dim"]
        spread = np.ptp(v[0]) if dim is None else np.ptp(v[0], axis=dim)
    return "grad" if (np.asarray(spread) == 0).any() else None


SPECS["var"].skip = lambda v, p: "forward" if _huge(v[0]) else _var_skip(v, p)
SPECS["std"].skip = _std_skip


def _remainder_skip(v: list[np.ndarray], p: dict) -> str | None:
    # PyTorch computes a - floor(a / b) * b: where a / b overflows it gives NaN; the exact
    # remainder (ours, C's fmod based) is finite.
    with np.errstate(all="ignore"):
        try:
            return "forward" if np.isinf(np.asarray(v[0]) / np.asarray(v[1])).any() else None
        except ValueError:  # shapes that do not broadcast: both libraries must refuse
            return None


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
