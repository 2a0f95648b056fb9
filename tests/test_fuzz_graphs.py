"""Differential fuzzing of whole graphs.

Hypothesis builds random programs: a few leaves of broadcastable shapes, then a sequence of ops
drawn from the whole op set (elementwise, broadcasting binaries, reductions over random dims,
softmax family, shape ops, indexing with slices / ints / repeated integer arrays / masks,
matmul, cat / stack, fused activations), each applied to earlier nodes, so intermediates are
reused. Every program runs twice: on tinygrad_np Tensors, and on plain NumPy arrays with
reference formulas written here. The test checks every forward value against the NumPy
evaluation and every leaf's gradient against central finite differences of the NumPy program.

Failures found while writing this test are kept as named regression tests at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

_erf = np.vectorize(math.erf, otypes=[np.float64])


# ---- the NumPy reference: independent formulas --------------------------------------------
def np_logsumexp(a: np.ndarray, dim: int, keep: bool = False) -> np.ndarray:
    m = a.max(axis=dim, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=dim, keepdims=True))
    return out if keep else out.squeeze(dim)


def np_softmax(a: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def positive(a: Any) -> Any:
    """Maps any input into a domain that keeps log, sqrt and division well conditioned."""
    return a * a + 0.5


# name -> (tinygrad fn, NumPy fn); `p` carries the op's drawn parameters.
Fn = Callable[..., Any]
UNARY: dict[str, tuple[Fn, Fn]] = {
    "neg": (lambda a, p: -a, lambda a, p: -a),
    "exp": (lambda a, p: a.exp(), lambda a, p: np.exp(a)),
    "log": (lambda a, p: positive(a).log(), lambda a, p: np.log(positive(a))),
    "sqrt": (lambda a, p: positive(a).sqrt(), lambda a, p: np.sqrt(positive(a))),
    "abs": (lambda a, p: a.abs(), lambda a, p: np.abs(a)),
    "sin": (lambda a, p: a.sin(), lambda a, p: np.sin(a)),
    "cos": (lambda a, p: a.cos(), lambda a, p: np.cos(a)),
    "tanh": (lambda a, p: a.tanh(), lambda a, p: np.tanh(a)),
    "sigmoid": (lambda a, p: a.sigmoid(), lambda a, p: 1 / (1 + np.exp(-a))),
    "relu": (lambda a, p: a.relu(), lambda a, p: np.where(a > 0, a, 0.0)),
    "leaky_relu": (lambda a, p: F.leaky_relu(a, 0.1), lambda a, p: np.where(a > 0, a, 0.1 * a)),
    "gelu": (lambda a, p: F.gelu(a), lambda a, p: a * 0.5 * (1 + _erf(a / math.sqrt(2)))),
    "gelu_tanh": (lambda a, p: F.gelu(a, approximate="tanh"),
                  lambda a, p: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                      * (a + 0.044715 * a**3)))),
    "softplus": (lambda a, p: F.softplus(a), lambda a, p: np.log1p(np.exp(a))),
    "clamp": (lambda a, p: a.clamp(-0.7, 0.6), lambda a, p: np.minimum(np.maximum(a, -0.7), 0.6)),
    "square": (lambda a, p: a ** 2, lambda a, p: a * a),
    "cube": (lambda a, p: a ** 3, lambda a, p: a * a * a),
    "rpow": (lambda a, p: 1.5 ** a, lambda a, p: np.power(1.5, a)),
    "scale": (lambda a, p: 2.0 - a * 0.5, lambda a, p: 2.0 - a * 0.5),
    "rdiv": (lambda a, p: 1.0 / positive(a), lambda a, p: 1.0 / positive(a)),
    "sum_all": (lambda a, p: a.sum(), lambda a, p: np.sum(a)),
    "mean_all": (lambda a, p: a.mean(), lambda a, p: np.mean(a)),
    "flatten": (lambda a, p: a.reshape(-1), lambda a, p: a.reshape(-1)),
    "unsqueeze": (lambda a, p: a.unsqueeze(0), lambda a, p: a[None]),
    "expand": (lambda a, p: a.expand(2, *a.shape), lambda a, p: np.broadcast_to(a, (2,) + a.shape)),
}
# Ops over one dim `p["dim"]` (the input has at least one dimension).
ALONG: dict[str, tuple[Fn, Fn]] = {
    "sum": (lambda a, p: a.sum(p["dim"], keepdim=p["keep"]),
            lambda a, p: a.sum(axis=p["dim"], keepdims=p["keep"])),
    "mean": (lambda a, p: a.mean(p["dim"], keepdim=p["keep"]),
             lambda a, p: a.mean(axis=p["dim"], keepdims=p["keep"])),
    "amax": (lambda a, p: a.amax(p["dim"], keepdim=p["keep"]),
             lambda a, p: a.max(axis=p["dim"], keepdims=p["keep"])),
    "amin": (lambda a, p: a.amin(p["dim"]), lambda a, p: a.min(axis=p["dim"])),
    "max_dim": (lambda a, p: a.max(p["dim"]).values, lambda a, p: a.max(axis=p["dim"])),
    "min_dim": (lambda a, p: a.min(p["dim"], keepdim=True).values,
                lambda a, p: a.min(axis=p["dim"], keepdims=True)),
    "prod": (lambda a, p: a.prod(p["dim"]), lambda a, p: a.prod(axis=p["dim"])),
    "logsumexp": (lambda a, p: a.logsumexp(p["dim"], keepdim=p["keep"]),
                  lambda a, p: np_logsumexp(a, p["dim"], p["keep"])),
    "softmax": (lambda a, p: a.softmax(p["dim"]), lambda a, p: np_softmax(a, p["dim"])),
    "log_softmax": (lambda a, p: a.log_softmax(p["dim"]),
                    lambda a, p: np.log(np_softmax(a, p["dim"]))),
    "var": (lambda a, p: a.var(p["dim"]), lambda a, p: a.var(axis=p["dim"], ddof=1)),
    "std": (lambda a, p: a.std(p["dim"], unbiased=False),
            lambda a, p: a.std(axis=p["dim"], ddof=0)),
    "transpose": (lambda a, p: a.transpose(p["dim"], -1),
                  lambda a, p: np.swapaxes(a, p["dim"], -1)),
    "permute": (lambda a, p: a.permute(*reversed(range(a.ndim))), lambda a, p: a.transpose()),
    "squeeze_unsqueeze": (lambda a, p: a.unsqueeze(p["dim"]).squeeze(p["dim"]),
                          lambda a, p: a),
    "index_int": (lambda a, p: a[p["i"]], lambda a, p: a[p["i"]]),
    "index_slice": (lambda a, p: a[..., ::-1][p["sl"]], lambda a, p: a[..., ::-1][p["sl"]]),
    "index_array": (lambda a, p: a[:, p["rows"]] if a.ndim > 1 else a[p["rows"]],
                    lambda a, p: a[:, p["rows"]] if a.ndim > 1 else a[p["rows"]]),
    "index_mask": (lambda a, p: a[p["mask"]], lambda a, p: a[p["mask"]]),
    "matmul_self": (lambda a, p: a @ a.transpose(-1, -2) if a.ndim > 1 else a @ a,
                    lambda a, p: a @ np.swapaxes(a, -1, -2) if a.ndim > 1 else a @ a),
    "cat_self": (lambda a, p: tg.cat([a, a * 2.0], dim=p["dim"]),
                 lambda a, p: np.concatenate([a, a * 2.0], axis=p["dim"])),
    "stack_self": (lambda a, p: tg.stack([a, a.exp()], dim=p["dim"]),
                   lambda a, p: np.stack([a, np.exp(a)], axis=p["dim"])),
}
BINARY: dict[str, tuple[Fn, Fn]] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / positive(b), lambda a, b: a / positive(b)),
    "pow": (lambda a, b: positive(a) ** b.tanh(), lambda a, b: positive(a) ** np.tanh(b)),
    "maximum": (lambda a, b: a.maximum(b), lambda a, b: np.maximum(a, b)),
    "minimum": (lambda a, b: tg.minimum(a, b), lambda a, b: np.minimum(a, b)),
    "where": (lambda a, b: tg.where(a > 0.1, a, b), lambda a, b: np.where(a > 0.1, a, b)),
    "mse": (lambda a, b: F.mse_loss(a, b.expand_as(a) if b.shape != a.shape else b,
                                    reduction="none"),
            lambda a, b: (a - np.broadcast_to(b, a.shape)) ** 2),
}
# A matmul against a new leaf weight (like a Linear layer) with `out` columns.
LINEAR = "matmul_new_leaf"
ALL_OPS = sorted(UNARY) + sorted(ALONG) + sorted(BINARY) + [LINEAR]
KINKS = {"abs": 0.0, "relu": 0.0, "leaky_relu": 0.0}


@dataclass
class Program:
    leaves: list[np.ndarray]
    steps: list[tuple[str, tuple[int, ...], dict[str, Any]]] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)  # of the final weighted sum

    def describe(self) -> str:
        shapes = [leaf.shape for leaf in self.leaves]
        body = "; ".join(f"n{len(self.leaves) + i} = {op}{args} {dict(sorted(p.items())) or ''}"
                         for i, (op, args, p) in enumerate(self.steps))
        return f"leaves {shapes}: {body}"


def _apply(op: str, args: tuple[Any, ...], p: dict[str, Any], numpy: bool,
           leaves: list[Any]) -> Any:
    side = 1 if numpy else 0
    if op in UNARY:
        return UNARY[op][side](args[0], p)
    if op in ALONG:
        return ALONG[op][side](args[0], p)
    if op in BINARY:
        return BINARY[op][side](args[0], args[1])
    return args[0] @ leaves[p["weight"]]


def run(program: Program, leaves: list[Any], numpy: bool) -> list[Any]:
    nodes = list(leaves)
    for op, operands, p in program.steps:
        nodes.append(_apply(op, tuple(nodes[i] for i in operands), p, numpy, leaves))
    return nodes


def loss_of(program: Program, nodes: list[Any], numpy: bool) -> Any:
    first = len(program.leaves)
    terms = [(n * w).sum() for n, w in zip(nodes[first:], program.weights)]
    if numpy:
        return float(np.sum(terms))
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _kink_margin(op: str, args: list[np.ndarray]) -> float:
    """How far the inputs of a kinked op are from its kink (exact ties and zeros count as
    far: they are structural and both sides treat them the same way)."""
    if op in KINKS:
        d = np.abs(args[0] - KINKS[op])
    elif op == "clamp":
        d = np.minimum(np.abs(args[0] + 0.7), np.abs(args[0] - 0.6))
    elif op in ("maximum", "minimum"):
        d = np.abs(args[0] - args[1])
    elif op == "where":
        d = np.abs(args[0] - 0.1)
    else:
        return np.inf
    d = d[d != 0]
    return float(d.min()) if d.size else np.inf


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Hypothesis draws the seed and the number of steps; the seeded generator makes every
    structural choice (shapes, ops, operands, parameters), so that all ops and shapes come up
    about equally often (Hypothesis's own draws favour small and early choices)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_steps = draw(st.integers(2, 9))
    rng = np.random.default_rng(seed)
    ndim = int(rng.choice(4, p=[0.1, 0.3, 0.4, 0.2]))
    base = tuple(int(n) for n in rng.integers(1, 4, ndim))
    leaves = []
    for _ in range(int(rng.integers(1, 4))):  # broadcastable: drop leading dims, squash to 1
        cut = int(rng.integers(0, ndim + 1)) if rng.random() < 0.4 else 0
        shape = tuple(n if rng.random() < 0.7 else 1 for n in base[cut:])
        leaves.append(rng.uniform(-1.5, 1.5, shape))
    program = Program(leaves)
    values = list(leaves)
    for _ in range(n_steps):
        op = ALL_OPS[int(rng.integers(len(ALL_OPS)))]
        # Favour recent nodes (deeper graphs) but keep reusing earlier ones.
        a = len(values) - 1 - min(int(rng.geometric(0.5)) - 1, len(values) - 1)
        x = values[a]
        p: dict[str, Any] = {}
        operands: tuple[int, ...] = (a,)
        if op in ALONG:
            if x.ndim == 0 or x.size == 0:
                continue
            p["dim"] = int(rng.integers(-x.ndim, x.ndim))
            p["keep"] = bool(rng.random() < 0.5)
            if op == "var" and x.shape[p["dim"]] < 2:
                continue
            if op == "std" and not np.all(x.std(axis=p["dim"]) > 1e-3):
                continue
            if op == "index_int":
                p["i"] = int(rng.integers(-x.shape[0], x.shape[0]))
            if op == "index_slice":
                p["sl"] = (slice(int(rng.integers(0, x.shape[0])), None),)
            if op == "index_array":
                n = x.shape[1] if x.ndim > 1 else x.shape[0]
                p["rows"] = rng.integers(0, n, size=int(rng.integers(1, 5)))  # repeats
            if op == "index_mask":
                mask = rng.random(x.shape) < 0.6
                mask.flat[int(rng.integers(0, x.size))] = True
                p["mask"] = mask
            if op == "stack_self":
                p["dim"] = int(rng.integers(-x.ndim - 1, x.ndim + 1))
        elif op in BINARY:
            compatible = []
            for i, v in enumerate(values):
                try:
                    np.broadcast_shapes(x.shape, v.shape)
                    compatible.append(i)
                except ValueError:
                    pass
            b = int(rng.choice(compatible))  # may be `a` itself: reuse
            if op == "mse" and np.broadcast_shapes(x.shape, values[b].shape) != x.shape:
                continue
            operands = (a, b)
        elif op == LINEAR:
            if x.ndim == 0:
                continue
            program.leaves.append(rng.uniform(-1.0, 1.0, (x.shape[-1], int(rng.integers(1, 4)))))
            # Leaves come first in the node list: shift the indices of the other nodes.
            program, values, operands = _insert_leaf(program, values, operands)
            p["weight"] = len(program.leaves) - 1
        args = [values[i] for i in operands]
        with np.errstate(all="ignore"):
            out = np.asarray(_apply(op, tuple(args), p, True, program.leaves))
        if not np.isfinite(out).all() or np.abs(out).max(initial=0) > 1e3 or out.size == 0:
            continue
        if _kink_margin(op, args) < 1e-3:
            continue
        program.steps.append((op, operands, p))
        values.append(out)
    assume(program.steps)
    program.weights = [rng.uniform(0.5, 1.5, np.shape(v)) for v in values[len(program.leaves):]]
    return program


def _insert_leaf(program: Program, values: list[np.ndarray], operands: tuple[int, ...]
                 ) -> tuple[Program, list[np.ndarray], tuple[int, ...]]:
    """A leaf was appended to program.leaves: node indices >= the old leaf count shift by 1."""
    old = len(program.leaves) - 1

    def shift(i: int) -> int:
        return i + 1 if i >= old else i

    program.steps = [(op, tuple(shift(i) for i in args), p) for op, args, p in program.steps]
    values = values[:old] + [program.leaves[-1]] + values[old:]
    return program, values, tuple(shift(i) for i in operands)


def numerical_grads(program: Program, eps: float = 1e-6) -> list[np.ndarray]:
    grads = []
    for k, leaf in enumerate(program.leaves):
        g = np.zeros_like(leaf)
        for i in np.ndindex(leaf.shape):
            values = [x.copy() for x in program.leaves]
            values[k][i] = leaf[i] + eps
            up = loss_of(program, run(program, values, True), True)
            values[k][i] = leaf[i] - eps
            down = loss_of(program, run(program, values, True), True)
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def check(program: Program) -> None:
    leaves = [tg.Tensor(x.copy(), requires_grad=True) for x in program.leaves]
    nodes = run(program, leaves, False)
    reference = run(program, program.leaves, True)
    for i, (ours, ref) in enumerate(zip(nodes, reference)):
        np.testing.assert_allclose(np.asarray(np.asarray(ours)), ref, rtol=1e-9, atol=1e-12,
                                   err_msg=f"forward of node {i}: {program.describe()}")
        assert ours.dtype == np.float64, f"node {i} has dtype {ours.dtype}"
    loss_of(program, nodes, False).backward()
    for k, (leaf, num) in enumerate(zip(leaves, numerical_grads(program))):
        analytic = np.zeros_like(num) if leaf.grad is None else np.asarray(leaf.grad)
        assert analytic.shape == leaf.shape
        np.testing.assert_allclose(analytic, num, rtol=1e-5, atol=1e-6,
                                   err_msg=f"gradient of leaf {k}: {program.describe()}")


@settings(max_examples=500)
@given(programs())
def test_random_graphs_match_numpy_and_finite_differences(program: Program) -> None:
    check(program)


def test_the_generator_covers_the_whole_op_set() -> None:
    """Sanity check of the fuzzer itself: over a fixed set of draws every op shows up."""
    seen: set[str] = set()

    @settings(max_examples=300, database=None)
    @given(programs())
    def collect(program: Program) -> None:
        seen.update(op for op, _, _ in program.steps)

    collect()
    missing = set(ALL_OPS) - seen
    assert not missing, f"ops never generated: {sorted(missing)}"


# ---- named regressions ------------------------------------------------------------------------
def _program(leaves: list[Any], steps: list[tuple[str, tuple[int, ...], dict[str, Any]]]
             ) -> Program:
    program = Program([np.asarray(x, dtype=np.float64) for x in leaves], steps)
    values = run(program, program.leaves, True)
    program.weights = [np.linspace(0.5, 1.5, np.size(v)).reshape(np.shape(v))
                       for v in values[len(program.leaves):]]
    return program


@pytest.mark.parametrize("name, program", [
    # Found by the fuzzer: erf() turned a 0-d input into a NumPy scalar and then failed on
    # item assignment, so gelu (and erf) of a 0-d tensor raised a raw TypeError.
    ("gelu-of-a-0d-tensor", _program([0.41088506], [("gelu", (0,), {})])),
    ("gelu-of-a-0d-reduction",
     _program([[0.3, -2.0, 7.5]], [("sum_all", (0,), {}), ("gelu", (1,), {})])),
    ("reused-intermediate-in-broadcast-binary",
     _program([[[0.3, -0.2, 0.9]], [[0.5], [-1.1]]],
              [("mul", (0, 1), {}), ("sub", (2, 2), {}), ("add", (2, 0), {})])),
    ("repeated-integer-index-then-reduce",
     _program([[[0.3, -0.2, 0.9], [1.2, 0.1, -0.4]]],
              [("index_array", (0,), {"rows": np.array([2, 2, 0])}),
               ("logsumexp", (1,), {"dim": -1, "keep": False})])),
    ("mask-index-of-broadcast-product",
     _program([[0.4, -0.8], [[1.1], [0.2], [-0.3]]],
              [("mul", (0, 1), {}), ("index_mask", (2,), {"mask": np.array(
                  [[True, False], [True, True], [False, True]])}), ("exp", (3,), {})])),
    ("prod-along-a-dim-with-keepdim-false",
     _program([[[0.5, -1.2], [0.7, 0.9]]], [("prod", (0,), {"dim": 0, "keep": False})])),
    ("zero-d-leaf-through-matmul-and-softmax",
     _program([0.7, [[0.2, -0.5], [1.0, 0.3]]],
              [("mul", (0, 1), {}), ("matmul_self", (2,), {}),
               ("softmax", (3,), {"dim": 0, "keep": False})])),
])
def test_named_graph_regressions(name: str, program: Program) -> None:
    check(program)
