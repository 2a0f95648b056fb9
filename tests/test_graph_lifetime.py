"""Graph lifetime: what a backward frees, what the garbage collector can reclaim, and how the
engine scales with the graph's size (deep chains and wide fan-ins, no recursion)."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, optim
from tinygrad_np.autograd.function import Context

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _nodes(root: Any) -> Iterator[Context]:
    """Every Context reachable from `root` (iteratively)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if type(node) is not Context or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.parents)


def _saved_array_refs(root: Any) -> list[weakref.ref[np.ndarray]]:
    """Weak references to every array the graph's nodes hold for their backward."""
    refs = []
    for ctx in _nodes(root):
        held = list(ctx.saved_tensors) + list(vars(ctx).values())
        refs += [weakref.ref(a) for a in held if isinstance(a, np.ndarray)]
    return refs


def _build(x: tg.Tensor, w: tg.Tensor) -> tg.Tensor:
    """A small model-like graph; only the loss escapes, intermediates die with the frame."""
    h = (x @ w).tanh()
    h = h.exp() * h.sigmoid() + h.abs()
    h = h.log_softmax(1)[:, :2].maximum(h[:, 1:])
    h = tg.where(h > -1.2, h, h.clamp(-1.5, 0.5))  # two more ops whose masks are saved
    return (h * h).mean()


def test_saved_arrays_are_released_after_backward_and_kept_with_retain_graph() -> None:
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = tg.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    loss = _build(x, w)
    refs = _saved_array_refs(loss.grad_fn)
    leaves = {id(np.asarray(x)), id(np.asarray(w))}
    owned = [r for r in refs if id(r()) not in leaves]
    assert len(owned) >= 8  # the graph really holds arrays of its own
    assert all(r() is not None for r in owned)

    loss.backward(retain_graph=True)
    gc.collect()
    assert all(r() is not None for r in owned), "retain_graph=True must keep the saved arrays"
    grad_once = x.grad.detach().numpy().copy()

    loss.backward()  # the last backward frees the graph
    gc.collect()
    alive = [r() for r in owned if r() is not None]
    assert alive == [], f"{len(alive)} saved arrays outlived backward: {[a.shape for a in alive]}"
    nodes = list(_nodes(loss.grad_fn))
    assert all(ctx.saved_tensors == () for ctx in nodes)
    assert sum(ctx.released for ctx in nodes) >= 8  # every node that held something let go
    np.testing.assert_allclose(np.asarray(x.grad), 2 * grad_once)
    with pytest.raises(RuntimeError, match=r"Backward: trying to backward through the graph a "
                                           r"second time.*retain_graph=True"):
        loss.backward()


def test_grad_without_retain_graph_also_releases_the_saved_arrays() -> None:
    x = tg.Tensor(np.linspace(0.1, 1.0, 6).reshape(2, 3), requires_grad=True)
    y = (x.exp() * x.sin()).sum()
    owned = [r for r in _saved_array_refs(y.grad_fn) if r() is not np.asarray(x)]
    assert owned
    (g,) = tg.grad(y, x)
    gc.collect()
    assert all(r() is None for r in owned)
    a = np.asarray(x)
    np.testing.assert_allclose(np.asarray(g), np.exp(a) * (np.sin(a) + np.cos(a)))


def test_intermediates_are_freed_by_reference_counting_alone() -> None:
    """No reference cycles: with the cycle collector off, dropping the last reference to an
    intermediate (or to the whole graph after backward) frees it at once."""
    x = tg.Tensor(np.ones((3, 3)), requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        h = x * 2
        k = h.exp()
        k.retain_grad()
        y = (k * h).sum()
        h_ref, k_ref = weakref.ref(h), weakref.ref(k)
        h_data = weakref.ref(np.asarray(h))
        del h
        assert h_ref() is None  # the graph does not hold output Tensors
        assert h_data() is not None  # ... but Mul saved h's array for its backward
        y.backward()
        assert h_data() is None  # backward released it
        assert k_ref() is not None and k.grad is not None
        del k
        assert k_ref() is None  # retain_grad holds the tensor only weakly
        graph = len(list(_nodes(y.grad_fn)))
        contexts = sum(type(o) is Context for o in gc.get_objects())
        del y
        after = sum(type(o) is Context for o in gc.get_objects())
        assert graph >= 3 and contexts - after == graph  # all gone without the collector
    finally:
        gc.enable()


def test_a_training_loop_creates_no_reference_cycles() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 8),
                          nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = tg.Tensor(rng.integers(0, 3, 16))

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step()
    gc.collect()
    gc.disable()
    try:
        objects = len(gc.get_objects())
        losses = [step() for _ in range(50)]
        grown = len(gc.get_objects()) - objects
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert losses[-1] < losses[0]
    assert unreachable == 0, f"{unreachable} objects were only freed by the cycle collector"
    assert grown < 50, f"{grown} objects accumulated over 50 steps"


# ---- scaling: deep chains and wide fan-ins --------------------------------------------------
# Linearity is measured in executed lines of Python (sys.settrace), not seconds: the count is
# exact and repeatable whatever else the machine runs, and a quadratic loop hidden anywhere
# in the engine shows up as a 4x count for 2x the nodes.
def _lines_executed(fn: Callable[[], Any]) -> int:
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def _chain(n: int) -> None:
    x = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x
    for i in range(n):
        y = y * 1.0 if i % 2 else y + 1e-6
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [1.0, 1.0])
    del y  # freeing the 100,000-node chain must not recurse either


def _fan_in(n: int) -> None:
    xs = [tg.Tensor(np.array([float(i)]), requires_grad=True) for i in range(n)]
    tg.stack(xs).pow(2).sum().backward()  # one node with n parents
    total = xs[0]
    for x in xs[1:]:  # and n - 1 nested adds
        total = total + x
    total.backward()
    assert [float(np.asarray(x.grad)[0]) for x in xs[:3]] == [1.0, 3.0, 5.0]
    assert float(np.asarray(xs[-1].grad)[0]) == 2.0 * (n - 1) + 1.0


def _fan_out(n: int) -> None:
    x = tg.Tensor(np.array([2.0]), requires_grad=True)
    tg.stack([x * float(i) for i in range(n)]).sum().backward()
    assert float(np.asarray(x.grad)[0]) == n * (n - 1) / 2


@pytest.mark.parametrize("build, small", [(_chain, 2_000), (_fan_in, 1_000), (_fan_out, 1_000)],
                         ids=["chain", "fan-in", "fan-out"])
def test_graph_size_scales_linearly(build: Callable[[int], None], small: int) -> None:
    lines_small = _lines_executed(lambda: build(small))
    lines_large = _lines_executed(lambda: build(2 * small))
    print(f"{build.__name__}: {small} -> {lines_small} lines, {2 * small} -> {lines_large}")
    assert lines_large <= 2.05 * lines_small  # linear: 2x; quadratic: 4x


@pytest.mark.parametrize("build, size", [(_chain, 100_000), (_fan_in, 10_000),
                                         (_fan_out, 10_000)], ids=["chain", "fan-in", "fan-out"])
def test_big_graphs_backprop_without_recursion(build: Callable[[int], None], size: int) -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000)  # a recursive engine (or recursive freeing) fails at once
    try:
        build(size)
    finally:
        sys.setrecursionlimit(limit)


# ---- the soak script -------------------------------------------------------------------------
def test_soak_script_keeps_resident_memory_flat() -> None:
    result = subprocess.run([sys.executable, str(BENCHMARKS / "soak.py"), "--steps", "500",
                             "--max-growth-mb", "8"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"RSS start ([\d.]+) MiB, after 50 warm-up steps ([\d.]+) MiB, end "
                      r"([\d.]+) MiB \(growth ([+-][\d.]+) MiB", result.stdout)
    assert match, result.stdout
    start, warm, end, growth = map(float, match.groups())
    assert abs(end - warm - growth) < 0.11 and growth < 8  # printed to 0.1 / 0.01 MiB
    assert "OK: resident memory is flat" in result.stdout


def test_soak_script_rejects_a_bad_step_count() -> None:
    result = subprocess.run([sys.executable, str(BENCHMARKS / "soak.py"), "--steps", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--steps must be at least 2" in result.stderr


class _SumAll(tg.autograd.Function):
    """A custom op with one input per tensor, whose backward returns a fresh array for each."""

    @staticmethod
    def forward(ctx: Any, *xs: np.ndarray) -> np.ndarray:
        ctx.n = len(xs)
        return np.asarray(sum(float(x.sum()) for x in xs))

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.full(1, float(grad)) for _ in range(ctx.n))


def test_a_custom_op_with_many_inputs_backprops_in_linear_time() -> None:
    def run(n: int) -> None:
        xs = [tg.Tensor(np.array([1.0]), requires_grad=True) for _ in range(n)]
        _SumAll.apply(*xs).backward()
        assert float(np.asarray(xs[-1].grad)[0]) == 1.0

    lines_small, lines_large = _lines_executed(lambda: run(500)), _lines_executed(lambda: run(1000))
    assert lines_large <= 2.05 * lines_small  # linear: 2x; quadratic: 4x
