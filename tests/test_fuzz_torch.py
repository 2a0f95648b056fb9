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
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
import tinygrad_np.nn.functional as tF

torch = pytest.importorskip("torch")

from fuzzing.op_specs_shape import (  # noqa: E402  (the specs need torch)
    ALL_OPS, NOT_IN_OP_PROGRAMS, covered_ops)
from fuzzing.harness import Draw, HypothesisDraw, RandomDraw  # noqa: E402
from fuzzing.programs import Failure, Program, Step, check_program, draw_program  # noqa: E402
from fuzzing.scenarios import (  # noqa: E402
    check_dtypes, check_inplace, check_losses, check_modules, check_optim, check_sched)

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
    from tinygrad_np.primitives import trigonometric as trig

    monkeypatch.setattr(trig.Sin, "backward", staticmethod(lambda ctx, grad: grad * 0.0))
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


def test_pytorch_is_wrong_here_logaddexp_second_derivative() -> None:
    # d2/dx2 logaddexp(x, 0) = s (1 - s), s = sigmoid(x): 0 (underflow) at x = -750, not NaN.
    x = tg.tensor(np.array([-750.0, 0.0, 3.0]), requires_grad=True)
    (g,) = tg.grad(x.logaddexp(tg.zeros(3, dtype=tg.float64)).sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-np.array([-750.0, 0.0, 3.0])))
    np.testing.assert_allclose(np.asarray(h), s * (1 - s), rtol=1e-14, atol=0)
