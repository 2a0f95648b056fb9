"""Gradients at the edges a differential fuzz against PyTorch found wrong (issue 17): each
pinned by its closed form, and by PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

INF_THROUGH_A_MASK = [  # f(x) whose gradient meets an infinite upstream gradient (sqrt at 0)
    ("relu", lambda t, x: x.relu().sqrt()),
    ("clamp_min", lambda t, x: x.clamp(min=0).sqrt()),
    ("clamp_max", lambda t, x: (-x).clamp(max=0).neg().sqrt()),
    ("maximum", lambda t, x: t.maximum(x, t.zeros(2, dtype=x.dtype)).sqrt()),
    ("minimum", lambda t, x: t.minimum(-x, t.zeros(2, dtype=x.dtype)).neg().sqrt()),
]


def _grad(values, f, lib=tg):
    x = lib.tensor(values, requires_grad=True)
    f(lib, x).sum().backward()
    return np.asarray(x.grad.detach().numpy() if lib is not tg else x.grad.data)


@pytest.mark.parametrize("name, f", INF_THROUGH_A_MASK, ids=[n for n, _ in INF_THROUGH_A_MASK])
def test_an_infinite_gradient_through_a_closed_mask_gives_zero_not_nan(name, f):
    with np.errstate(divide="ignore"):
        grad = _grad(np.array([-1.0, 4.0]), f)
    np.testing.assert_array_equal(grad, [0.0, 0.25])  # d sqrt(x)/dx = 1 / (2 sqrt(x))


@pytest.mark.parametrize("name, f", INF_THROUGH_A_MASK, ids=[n for n, _ in INF_THROUGH_A_MASK])
def test_an_infinite_gradient_through_a_closed_mask_matches_pytorch(name, f):
    torch = pytest.importorskip("torch")
    with np.errstate(divide="ignore"):
        ours = _grad(np.array([-1.0, 4.0]), f)
    np.testing.assert_array_equal(ours, _grad(np.array([-1.0, 4.0]), f, torch))


def test_abs_has_gradient_zero_at_nan_like_pytorch():
    x = tg.tensor([np.nan, 0.0, -2.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, -1.0, 1.0])


def test_maximum_and_minimum_at_a_nan_give_both_operands_the_gradient_like_pytorch():
    for op in (tg.maximum, tg.minimum):
        a = tg.tensor([np.nan, 1.0, 2.0], requires_grad=True)
        b = tg.tensor([0.0, 1.0, np.nan], requires_grad=True)
        op(a, b).sum().backward()
        np.testing.assert_array_equal(a.grad.data, [1.0, 0.5, 1.0])
        np.testing.assert_array_equal(b.grad.data, [1.0, 0.5, 1.0])


def test_the_divisor_gradient_does_not_overflow_for_tiny_operands():
    a = tg.tensor(np.array([1e-200, 3e-180]), requires_grad=True)
    b = tg.tensor(np.array([1e-200, 1e-160]), requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad.data, -a.data / b.data / b.data, rtol=1e-15)  # -a / b^2
    assert np.isfinite(b.grad.data).all() and b.grad.data[0] == pytest.approx(-1e200)


@pytest.mark.parametrize("other", ["detach", "data"])
def test_second_derivatives_treat_a_detached_operand_as_a_constant(other):
    def detached(x):
        return x.detach() if other == "detach" else tg.tensor(x.data)

    x = tg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (g,) = tg.grad((x * detached(x)).sum(), x, create_graph=True)  # d/dx = x0: the constant
    np.testing.assert_array_equal(g.data, [2.0, 3.0])
    assert not g.requires_grad  # a constant: the second derivative is 0 (was 1 before)
    x = tg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (g,) = tg.grad(((x / detached(x)) ** 2).sum(), x, create_graph=True)  # 2 x / c^2
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 2 / x.data ** 2, rtol=1e-15)  # 2 / c^2, c = x0


def test_an_op_of_three_operands_with_a_detached_copy_of_one():
    x = tg.tensor(np.array([2.0, -3.0]), requires_grad=True)
    y = x.clamp(min=x.detach(), max=x.detach() + 1)  # (x, x's array, another array)
    np.testing.assert_array_equal(y.data, x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])  # inside its bounds, as PyTorch
