"""A differential fuzz against PyTorch (skipped without it): Hypothesis builds random programs
of the ops PyTorch programs use -- leaves of broadcastable shapes (0-d and size-1 dims too)
in float64 or float32 with edge values (0, -0, ties, tiny, large), then a chain of elementwise,
binary, reduction and shape ops, each applied to earlier values -- and runs each program on
tinygrad_np and on PyTorch: forward values, first derivatives with a random upstream
gradient, and Hessian-vector products (create_graph), NaN positions included.

The CI budget is FUZZ_EXAMPLES (default 300 programs); set it higher for a long run, or run
scripts/fuzz_torch.py, which counts programs per category and prints each failure."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_np as tg

torch = pytest.importorskip("torch")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))

# name: f(lib, a) -- unary ops, kept to where both are smooth (domains enforced by the input
# transform in front of each: e.g. log of a positive value).
UNARY: dict[str, Callable[[Any, Any], Any]] = {
    "exp": lambda lib, a: (a.clamp(-5, 5)).exp(),
    "log": lambda lib, a: (a * a + 0.5).log(),
    "log1p": lambda lib, a: (a * a).log1p(),
    "sqrt": lambda lib, a: (a * a + 0.25).sqrt(),
    "tanh": lambda lib, a: a.tanh(),
    "sigmoid": lambda lib, a: a.sigmoid(),
    "sin": lambda lib, a: a.sin(),
    "relu": lambda lib, a: a.relu(),
    "abs": lambda lib, a: a.abs(),
    "square": lambda lib, a: a.square(),
    "neg": lambda lib, a: -a,
    "clamp": lambda lib, a: a.clamp(-0.5, 0.7),
    "pow3": lambda lib, a: a ** 3,
    "softplus": lambda lib, a: (tg.nn.functional if lib is tg
                                else torch.nn.functional).softplus(a),
    "cumsum": lambda lib, a: a.cumsum(-1) if a.dim() else a,
    "flip": lambda lib, a: a.flip([0]) if a.dim() else a,
    "softmax": lambda lib, a: a.softmax(-1) if a.dim() else a,
    "logsumexp": lambda lib, a: a.logsumexp(-1, keepdim=True) if a.dim() else a,
    "sum_keep": lambda lib, a: a.sum(0, keepdim=True) if a.dim() else a,
    "mean": lambda lib, a: a.mean(-1, keepdim=True) if a.dim() else a,
    "amax": lambda lib, a: a.amax(-1, keepdim=True) if a.dim() else a,
    "norm": lambda lib, a: (a * a + 1).norm(dim=-1, keepdim=True) if a.dim() else a,
    "t": lambda lib, a: a.transpose(0, -1) if a.dim() else a,
    # (kept off tiny elements: there PyTorch's second derivative is 0, finite differences
    # and ours are not -- README, where we differ)
    "cumprod": lambda lib, a: (a.tanh() + 1.5).cumprod(-1) if a.dim() else a,
    "log_softmax": lambda lib, a: a.log_softmax(-1) if a.dim() else a,
    "gelu": lambda lib, a: _f(lib).gelu(a),
    "leaky_relu": lambda lib, a: _f(lib).leaky_relu(a, 0.1),
    # losses, each reducing to a scalar
    "mse_loss": lambda lib, a: _f(lib).mse_loss(a, lib.zeros_like(a) + 0.25),
    "bce_logits": lambda lib, a: _f(lib).binary_cross_entropy_with_logits(
        a, lib.zeros_like(a) + 0.3),
    "cross_entropy": lambda lib, a: _f(lib).cross_entropy(
        a.reshape(-1, a.shape[-1]), lib.zeros(a.reshape(-1, a.shape[-1]).shape[0],
                                               dtype=lib.long)) if a.dim() else a,
}


def _f(lib: Any) -> Any:
    return tg.nn.functional if lib is tg else torch.nn.functional
BINARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (b * b + 0.5),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "where": lambda lib, a, b: lib.where(a > b, a, b * 2),
    # (exponents kept off 0: there PyTorch's mixed second derivative is 0, the true one
    # 1 / base -- README, where we differ; tests/test_edge_gradients.py pins ours)
    "pow": lambda lib, a, b: (a * a + 0.5) ** b.clamp(0.1, 2),
    "atan2_like": lambda lib, a, b: (a * b).tanh() + a,
}
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, 1e-8, 3.0, -2.5]


@st.composite
def programs(draw: st.DrawFn) -> dict[str, Any]:
    dtype = draw(st.sampled_from(["float64", "float64", "float32"]))
    base = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):  # leaves of mutually broadcastable shapes
        shape = [n if draw(st.booleans()) else 1 for n in base]
        shapes.append(tuple(shape[draw(st.integers(0, len(shape))):]))
    leaves = []
    for shape in shapes:
        size = int(np.prod(shape))
        values = draw(st.lists(st.one_of(st.sampled_from(EDGES),
                                         st.floats(-3, 3, allow_nan=False)),
                               min_size=size, max_size=size))
        leaves.append(np.array(values, dtype=np.float64).reshape(shape))
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(sorted(UNARY)))))
        else:
            steps.append(("b", draw(st.sampled_from(sorted(BINARY)))))
    picks = [draw(st.integers(0, 100)) for _ in range(2 * len(steps))]
    return {"dtype": dtype, "leaves": leaves, "steps": steps, "picks": picks}


def run(lib: Any, program: dict[str, Any]) -> list[np.ndarray]:
    """Value, gradients and a Hessian-vector product of the program in `lib`."""
    dtype = getattr(lib, program["dtype"])
    grad = tg.grad if lib is tg else torch.autograd.grad
    leaves = [lib.tensor(v, dtype=dtype, requires_grad=True) for v in program["leaves"]]
    values = list(leaves)
    picks = iter(program["picks"])
    for kind, name in program["steps"]:
        a = values[next(picks) % len(values)]
        if kind == "u":
            values.append(UNARY[name](lib, a))
        else:
            b = values[next(picks) % len(values)]
            try:
                np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
            except ValueError:  # (a transpose made them misfit: pair the value with itself)
                b = a
            values.append(BINARY[name](lib, a, b))
    out = values[-1]
    rng = np.random.default_rng(0)
    u = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=dtype)
    grads = grad((out * u).sum(), leaves, create_graph=True, allow_unused=True)
    vs = [lib.tensor(rng.standard_normal(tuple(x.shape)), dtype=dtype) for x in leaves]
    dot = sum(((g * v).sum() for g, v in zip(grads, vs) if g is not None), lib.zeros((),
                                                                                dtype=dtype))
    if dot.requires_grad:
        hvp = grad(dot, leaves, allow_unused=True)
    else:
        hvp = [None] * len(leaves)
    numbers = [_numbers(out)]
    for g in (*grads, *hvp):
        numbers.append(np.zeros(0) if g is None else _numbers(g))
    return numbers


def _numbers(t: Any) -> np.ndarray:
    try:
        return np.array(t.tolist(), dtype=np.float64)
    except RuntimeError:  # PyTorch's all-zero derivatives may have no storage
        return np.zeros(tuple(t.shape))


def compare(ours: list[np.ndarray], theirs: list[np.ndarray], dtype: str) -> None:
    tol = {"float64": 1e-9, "float32": 2e-4}[dtype]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a.size == 0 or b.size == 0:  # unused on one side: zeros on the other
            assert not np.any(a if a.size else b), f"part {i}: only one side is nonzero"
            continue
        assert a.shape == b.shape, f"part {i}: shapes {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"part {i} (0: value, then gradients, then HVP)")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(program=programs())
def test_random_programs_agree_with_pytorch(program: dict[str, Any]) -> None:
    with np.errstate(all="ignore"):
        theirs = run(torch, program)
        ours = run(tg, program)
    compare(ours, theirs, program["dtype"])
