"""Random op programs: steps over earlier values, the spec registry each op declares
itself in (fuzzing.op_specs), and the check of a program -- forward, gradients, a
Hessian-vector product -- against PyTorch, localised to the first op that disagrees."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import tinygrad_np as tg

from .harness import (TG, TORCH, Draw, Lib, RandomDraw, draw_shapes, draw_values, dtype_name,
                      finite_max, inverse_max, mismatch, outcome, short, to_numpy)

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
            try:
                st_ = f(args, s.p)
            except ValueError:  # operands that do not fit: both libraries must refuse
                st_ = None
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
