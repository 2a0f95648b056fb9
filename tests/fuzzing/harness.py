"""The fuzz's plumbing: random draws (Hypothesis or a seed), the two libraries behind one
interface, the comparison of results, and random leaves with edge values."""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

import tinygrad_np as tg
import tinygrad_np.nn.functional as tF

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
