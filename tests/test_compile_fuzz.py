"""tinygrad_np.compile against eager on the differential fuzz's random op programs: a program
over the whole op table, compiled, is captured on one set of inputs and replayed on others;
every value and gradient must equal the eager program's on the same inputs, bit for bit.
Where the capture refuses (an op reading values), the function runs eagerly, equal again:
what this catches is a replay that reuses something the capture froze."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg

pytest.importorskip("torch")  # (the programs' op specs are written for both libraries)

from fuzzing import op_specs_shape  # noqa: E402, F401  (registers every op's spec)
from fuzzing.harness import TG, HypothesisDraw  # noqa: E402
from fuzzing.programs import Program, draw_program, random_like, run_step  # noqa: E402


def run(prog: Program, leaves: list[Any]) -> Any:
    """The program on `leaves`; backward from the sum of its last value (when it is a
    float tensor with a graph). Returns the last value and the leaves' gradients."""
    nodes = list(leaves)
    for s in prog.steps:
        nodes.append(run_step(TG, s, [nodes[a] for a in s.args]))
    out = nodes[-1]
    if isinstance(out, tg.Tensor) and out.requires_grad:
        out.sum().backward()
        out = out.detach()
    return out, [x.grad for x in leaves]


def arrays(result: Any) -> list[np.ndarray]:
    out, grads = result
    return [np.asarray(v) for v in (out, *grads) if v is not None]


def fresh(values: list[np.ndarray]) -> list[tg.Tensor]:
    return [tg.tensor(v, requires_grad=v.dtype.kind == "f") for v in values]


@settings(max_examples=200)
@given(st.data())
def test_replays_of_random_programs_equal_eager(data):
    d = HypothesisDraw(data)
    prog = draw_program(d)
    inputs = [prog.leaves] + [[random_like(d, a) for a in prog.leaves] for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's (log(0)) and compile's refusals
        try:
            expected = [arrays(run(prog, fresh(values))) for values in inputs]
        except Exception:  # (a program that raises: the fuzz against PyTorch covers it)
            return
        compiled = tg.compile(lambda *leaves: run(prog, list(leaves)))
        got = [arrays(compiled(*fresh(values))) for values in inputs]
    for want, have in zip(expected, got):
        assert len(want) == len(have)
        for a, b in zip(want, have):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), prog.render()
