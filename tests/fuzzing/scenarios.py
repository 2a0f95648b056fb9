"""Fuzz categories beyond op programs: dtypes (promotion, integer ops), in-place changes
of non-leaves and views, losses, optimizers step for step, schedulers, modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import tinygrad_np as tg

from .harness import (TG, TORCH, Draw, Lib, draw_values, finite_max, mismatch, outcome, short,
                      to_numpy)
from .programs import Failure, zero_for_none


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
    if name == "cross_entropy" and smoothing and np.abs(x0).max(initial=0) > 1e-3 * float(
            np.finfo(dtype).max):
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
        for i, (x, y) in enumerate(zip(ours[1], theirs[1])):
            first = max([finite_max(z) for z in theirs[1][1:i]] + [1.0])
            detail = detail or mismatch(*zero_for_none(x, y), 100.0, f"result {i}",
                                        singular_ok=i > 0, upstream=first)
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
