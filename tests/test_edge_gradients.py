"""Gradients at the edges a differential fuzz against PyTorch found wrong (issue 17): each
pinned by its closed form, and by PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    return np.asarray(x.grad.detach().numpy() if lib is not tg else np.asarray(x.grad))


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
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 0.0, -1.0, 1.0])


def test_maximum_and_minimum_at_a_nan_give_both_operands_the_gradient_like_pytorch():
    for op in (tg.maximum, tg.minimum):
        a = tg.tensor([np.nan, 1.0, 2.0], requires_grad=True)
        b = tg.tensor([0.0, 1.0, np.nan], requires_grad=True)
        op(a, b).sum().backward()
        np.testing.assert_array_equal(np.asarray(a.grad), [1.0, 0.5, 1.0])
        np.testing.assert_array_equal(np.asarray(b.grad), [1.0, 0.5, 1.0])


def test_the_divisor_gradient_does_not_overflow_for_tiny_operands():
    a = tg.tensor(np.array([1e-200, 3e-180]), requires_grad=True)
    b = tg.tensor(np.array([1e-200, 1e-160]), requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(np.asarray(b.grad), -np.asarray(a) / np.asarray(b) / np.asarray(b),
                               rtol=1e-15)  # -a / b^2
    assert np.isfinite(np.asarray(b.grad)).all() and np.asarray(b.grad)[0] == pytest.approx(-1e200)


@pytest.mark.parametrize("other", ["detach", "data"])
def test_second_derivatives_treat_a_detached_operand_as_a_constant(other):
    def detached(x):
        return x.detach() if other == "detach" else tg.tensor(np.asarray(x))

    x = tg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (g,) = tg.grad((x * detached(x)).sum(), x, create_graph=True)  # d/dx = x0: the constant
    np.testing.assert_array_equal(np.asarray(g), [2.0, 3.0])
    assert not g.requires_grad  # a constant: the second derivative is 0 (was 1 before)
    x = tg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (g,) = tg.grad(((x / detached(x)) ** 2).sum(), x, create_graph=True)  # 2 x / c^2
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(np.asarray(h), 2 / np.asarray(x) ** 2, rtol=1e-15)  # 2 / c^2, c = x0


def test_an_op_of_three_operands_with_a_detached_copy_of_one():
    x = tg.tensor(np.array([2.0, -3.0]), requires_grad=True)
    y = x.clamp(min=x.detach(), max=x.detach() + 1)  # (x, x's array, another array)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x))
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [1.0, 1.0])  # inside its bounds, as PyTorch


# ---- results, dtypes and errors the fuzz found different from PyTorch ----------------------

def test_pow_saves_its_inputs_so_its_output_may_change_in_place():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    y = w.pow(2)
    y.add_(1)  # PyTorch's pow saves the input: this does not invalidate its backward
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [2.0, 4.0])


def test_x_to_the_zero_has_gradient_zero_even_at_subnormal_x():
    x = tg.tensor(np.array([1e-310, 0.0, 2.0]), requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 0.0, 0.0])


def test_integers_to_negative_integer_powers_round_toward_zero_like_pytorch():
    a = tg.tensor([2, -2, 1, -1, -1, 3, 5])
    b = tg.tensor([-1, -1, -5, -3, -2, 2, 25])
    assert (a ** b).tolist() == [0, 0, 1, -1, 1, 9, 5 ** 25]
    assert (2 ** tg.tensor([-1, 2])).tolist() == [0, 4]
    assert (tg.tensor([0]) ** tg.tensor([-1])).tolist() == [0]  # PyTorch's value
    small = 2 ** tg.tensor(np.array([0, -1], dtype=np.int32))  # keeps the tensor's dtype
    assert small.dtype == np.int32 and small.tolist() == [1, 0]
    # A negative Python integer exponent is refused, as by PyTorch (a tensor one is not).
    with pytest.raises(RuntimeError, match="pow: an integer tensor .* power -1 is not allowed"):
        tg.tensor([2]) ** -1


def test_unsigned_sums_and_products_are_int64_and_bool_squares_are_integers():
    u = tg.tensor(np.array([200, 100], dtype=np.uint8))
    assert u.sum().dtype == np.int64 and u.sum().item() == 300
    assert u.prod().dtype == np.int64 and u.prod().item() == 20000
    assert u.sum(0, keepdim=True).tolist() == [300]
    assert tg.tensor([True, False]).square().tolist() == [1, 0]
    assert tg.tensor([True, False]).square().dtype == np.int64


def test_integer_operands_out_of_the_dtype_range_wrap_like_pytorch():
    assert (tg.tensor(np.array([1, 5], dtype=np.uint8)) + (-3)).tolist() == [254, 2]
    one = tg.tensor(np.array([1], dtype=np.int32)) + 2 ** 40
    assert one.dtype == np.int32 and one.tolist() == [1]


def test_cat_leaves_out_empty_1d_tensors_like_pytorch():
    out = tg.cat([tg.ones(0), tg.ones(2, 3), tg.zeros(0)])
    assert out.shape == (2, 3)
    assert tg.cat([tg.ones(0), tg.ones(0)]).shape == (0,)


def test_backward_checks_the_shape_of_a_gradient_that_requires_grad():
    x = tg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(4, 3\) but the output has "
                                           r"shape \(3,\)"):
        (x * 2).backward(tg.ones(4, 3, requires_grad=True))


def test_a_0d_leaf_reached_twice_gets_an_array_gradient_an_optimizer_takes():
    x = tg.tensor(np.float64(2.0), requires_grad=True)
    (x * 3 + x * 4).backward()
    assert isinstance(np.asarray(x.grad), np.ndarray) and x.grad.item() == 7.0
    opt = tg.optim.SGD([x], lr=0.5)
    opt.step()
    assert x.item() == pytest.approx(-1.5)


def test_zeros_like_and_ones_like_of_a_tensor_that_requires_grad():
    p = tg.ones(2, 3, requires_grad=True)
    assert tg.zeros_like(p).tolist() == [[0.0] * 3] * 2 and not tg.zeros_like(p).requires_grad
    assert tg.ones_like(p, dtype=np.float64).dtype == np.float64


def test_to_none_keeps_the_dtype_and_grad_takes_only_tensors():
    assert tg.tensor([1, 2]).to(None).dtype == np.int64
    a = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="grad: assign a Tensor or None, got float"):
        a.grad = 0.0
    a.grad = tg.zeros(2)
    a.grad = None


def test_complex_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="complex tensors cannot require gradients"):
        tg.tensor(np.array([1 + 2j]), requires_grad=True)


def test_setitem_with_values_that_have_leading_ones_backpropagates():
    w = tg.ones(1, 2, requires_grad=True)
    y = tg.zeros(3, 2)
    y[0] = w * 2  # (1, 2) written into a (2,) row, as NumPy and PyTorch allow
    (y * tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [[2.0, 4.0]])


# ---- indexing that mixes ints and index arrays, as PyTorch reads it ------------------------

@st.composite
def mixed_indices(draw):
    """An index into a (2, 3, 4, 5) tensor mixing ints, slices, int arrays (repeats allowed),
    a bool mask, None and Ellipsis: each component for one dimension, left to right."""
    shape = (2, 3, 4, 5)
    index, dim = [], 0
    if draw(st.booleans()):
        index.append(None)
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "array", "array", "mask", "rest"]))
        n = shape[dim]
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            index.append(slice(draw(st.integers(0, n - 1)), None, draw(st.integers(1, 2))))
        elif kind == "array":
            index.append(draw(st.lists(st.integers(-n, n - 1), min_size=2, max_size=2)))
        elif kind == "mask":
            index.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        else:
            index.append(Ellipsis)
            break
        dim += 1
    return tuple(index)


@given(index=mixed_indices())
@settings(max_examples=150, deadline=None)
def test_mixed_indexing_reads_writes_and_backpropagates_as_pytorch(index):
    torch = pytest.importorskip("torch")
    values = np.arange(120.0).reshape(2, 3, 4, 5)
    t_index = tuple(torch.tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in index)
    try:
        expected = torch.tensor(values)[t_index]
    except (IndexError, RuntimeError, ValueError):
        return  # (an index PyTorch refuses, e.g. two masks of different lengths)
    x = tg.tensor(values, requires_grad=True)
    y = x[index]
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(np.asarray(y), expected.numpy())
    weights = np.random.default_rng(0).standard_normal(y.shape)
    (y * weights).sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    (tx[t_index] * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-15)
    z, tz = tg.tensor(values), torch.tensor(values)
    z[index] = -weights
    tz[t_index] = -torch.tensor(weights)
    np.testing.assert_array_equal(np.asarray(z), tz.numpy())


def test_linear_and_batch_norm_on_empty_and_one_dimensional_inputs_like_pytorch():
    F = tg.nn.functional
    x = tg.ones(2, 3, 0, requires_grad=True)
    w = tg.ones(4, 0, requires_grad=True)
    b = tg.ones(4, requires_grad=True)
    out = F.linear(x, w, b)
    assert out.shape == (2, 3, 4)
    out.sum().backward()
    assert w.grad.shape == (4, 0) and b.grad.tolist() == [6.0] * 4
    assert F.linear(tg.ones(2), tg.ones(3, 2), tg.ones(1, 3)).shape == (3,)
    mean, var = tg.zeros(3), tg.ones(3)
    gamma = tg.ones(3, requires_grad=True)
    y = F.batch_norm(tg.ones(0, 3, requires_grad=True), mean, var, gamma, training=True)
    assert y.shape == (0, 3) and mean.tolist() == [0.0] * 3 and var.tolist() == [1.0] * 3
    y.sum().backward()
    assert gamma.grad.tolist() == [0.0] * 3


# ---- where PyTorch's value is not the mathematical one (README: where we differ) ----------

def test_var_over_all_dims_by_an_empty_dim_tuple_has_the_true_gradient():
    x = tg.tensor(np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]]), requires_grad=True)
    x.var(dim=()).backward()  # PyTorch: inf
    np.testing.assert_allclose(np.asarray(x.grad), 2 * (np.asarray(x) - np.asarray(x).mean()) / 5,
                               rtol=1e-14)


def test_pow_mixed_second_derivative_at_a_zero_exponent_is_one_over_the_base():
    a = tg.tensor(np.array([2.0, 0.5, 4.0]), requires_grad=True)  # (a^b, b real: a > 0)
    b = tg.tensor(np.zeros(3), requires_grad=True)
    (ga,) = tg.grad((a ** b).sum(), a, create_graph=True)
    np.testing.assert_array_equal(np.asarray(ga), [0.0, 0.0, 0.0])
    (h,) = tg.grad(ga.sum(), b)  # d/db (b a^(b-1)) = a^(b-1) (1 + b log a) = 1/a at b = 0
    np.testing.assert_allclose(np.asarray(h), 1 / np.asarray(a), rtol=1e-15)  # PyTorch: 0


def test_softplus_second_derivative_at_the_threshold_is_that_of_its_branch():
    x = tg.tensor(np.array([20.0]), requires_grad=True)
    (g,) = tg.grad(tg.nn.functional.softplus(x, threshold=20).sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-20.0))
    np.testing.assert_allclose(np.asarray(h), [s * (1 - s)], rtol=1e-9)  # PyTorch: 0


def test_amax_at_a_nan_sends_the_gradient_to_the_nan():
    x = tg.tensor(np.array([[np.nan, 1.0], [3.0, 2.0]]), requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[1.0, 0.0], [1.0, 0.0]])  # PyTorch: NaN


def test_bce_gradient_in_the_target_is_that_of_the_clamped_loss_it_computes():
    p = tg.tensor(np.array([0.0, 1.0, 0.5]))
    y = tg.tensor(np.array([0.3, 0.3, 0.3]), requires_grad=True)
    loss = tg.nn.functional.binary_cross_entropy(p, y)
    # -(y log p + (1 - y) log(1 - p)) / 3 with each log clamped at -100 (PyTorch's forward)
    np.testing.assert_allclose(loss.item(), (30.0 + 70.0 + np.log(2)) / 3, rtol=1e-14)
    loss.backward()
    np.testing.assert_allclose(np.asarray(y.grad), [100 / 3, -100 / 3, 0.0],
                               atol=1e-14)  # torch: inf


def test_cumprod_second_derivatives_at_a_tiny_element_match_finite_differences():
    rng = np.random.default_rng(0)
    x0, u, v = np.array([1.0, 1e-300]), rng.standard_normal(2), rng.standard_normal(2)

    def grad(x: np.ndarray) -> np.ndarray:
        t = tg.tensor(x, requires_grad=True)
        (t.tanh().cumprod(-1) * tg.tensor(u)).sum().backward()
        return np.asarray(t.grad)

    x = tg.tensor(x0, requires_grad=True)
    (g,) = tg.grad((x.tanh().cumprod(-1) * tg.tensor(u)).sum(), x, create_graph=True)
    (hvp,) = tg.grad((g * tg.tensor(v)).sum(), x)
    numeric = (grad(x0 + 1e-6 * v) - grad(x0 - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(np.asarray(hvp), numeric, rtol=1e-8)  # PyTorch: 0 in [1]
    assert abs(numeric[1]) > 0.01


def test_cumprod_derivatives_at_a_subnormal_running_product():
    # cumprod([a, b]) = [a, ab]: d/da = g0 + g1 b, d/db = g1 a, exactly. PyTorch divides the
    # running product by a, which has lost its digits when ab is subnormal: it gives -2 for
    # the first entry below (ab rounds to 3 * 5e-324).
    a, b = -5e-324, -2.9544386161756604
    x = tg.tensor(np.array([a, b]), requires_grad=True)
    x.cumprod(-1).backward(tg.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(np.asarray(x.grad), [1.0 + b, a])


def test_inf_norm_at_nan_has_a_zero_gradient():
    # As amax(abs(x)) (abs' is 0 at NaN) and as PyTorch: no element is hit by a NaN norm.
    x = tg.tensor(np.array([np.nan, 1.0, -2.0]), requires_grad=True)
    x.norm(np.inf).backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 0.0, 0.0])


def test_cross_entropy_smoothing_near_overflow_stays_finite_in_float32():
    # The smoothing term sum_c w_c (-log p_c) eps / C is 2.48e37 here, within float32; PyTorch
    # forms the unscaled sum first and overflows to inf. Ours matches the float64 value.
    x = np.array([[1.0, 0.08, 0.17, 8.5e37]])
    w = np.array([4.9e-6, 5.3, 0.535, 0.0297])

    def loss(dtype: type) -> float:
        return tg.nn.functional.cross_entropy(
            tg.tensor(x.astype(dtype)), tg.tensor([3]), weight=tg.tensor(w.astype(dtype)),
            label_smoothing=0.2, reduction="sum").item()

    assert np.isfinite(loss(np.float32))
    np.testing.assert_allclose(loss(np.float32), loss(np.float64), rtol=1e-6)


def test_comparison_with_an_int_outside_the_dtype_compares_values():
    # PyTorch wraps the number into the tensor's dtype first (uint8 1 < -3 is True there, as
    # -3 becomes 253): a deliberate difference, listed in the README.
    u = tg.tensor(np.array([1, 200], dtype=np.uint8))
    assert (u < -3).tolist() == [False, False]
    assert (u > 255 + 45).tolist() == [False, False]
    assert (tg.tensor(np.array([0], dtype=np.int32)) == 2**40).tolist() == [False]


def test_bool_operands_refused_where_pytorch_refuses_them():
    b = tg.tensor([True, False])
    for f in (lambda: b - 1, lambda: 1.5 - b, lambda: tg.tensor([1.0]) - b,
              lambda: tg.tensor([1.0]) - True, lambda: tg.tensor([1.0]).sub_(True)):
        with pytest.raises(TypeError, match="subtraction with a bool operand"):
            f()
    with pytest.raises(TypeError, match="pow: not defined between two bool tensors"):
        b ** tg.tensor(True)
    assert (b ** True).tolist() == [True, False]  # a Python bool exponent is fine
    with pytest.raises(TypeError, match=r"argmax\(\): not defined for bool"):
        b.argmax()
    with pytest.raises(RuntimeError, match="pow: the exponent 300 does not fit"):
        tg.tensor(np.array([1], dtype=np.uint8)) ** 300
    # An integer division by 0 of nothing divides nothing: the empty result, as PyTorch.
    assert (tg.tensor(np.array([], dtype=np.int64)) % 0).shape == (0,)
    assert (tg.tensor([0, 2]) ** tg.tensor([-1, -1])).tolist() == [0, 0]


def test_pow_zero_exponent_derivatives_at_nan_and_tiny_bases_are_zero():
    x = tg.tensor(np.array([np.nan, 6.7e-308, 0.0, 2.0, 1e-200]), requires_grad=True)
    (g,) = tg.grad((x**0.0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(np.asarray(g), np.zeros(5))
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_array_equal(np.asarray(h), np.zeros(5))


def test_clamp_in_place_takes_keywords():
    x = tg.tensor([-1.0, 0.5, 3.0])
    x.clamp_(min=0.0, max=2.0)
    assert x.tolist() == [0.0, 0.5, 2.0]


def test_std_of_huge_float64_values_is_finite():
    # The squares overflow, the std does not: m std(x / m) with m = max |x|. PyTorch's
    # float64 std is inf here (its float32 one is right: it accumulates in float64).
    x = tg.tensor(np.array([4.49e307, 0.0, -0.06]), requires_grad=True)
    s = x.std(unbiased=False)
    np.testing.assert_allclose(s.item(), 4.49e307 * np.sqrt(2) / 3, rtol=1e-14)
    s.backward()
    # d std / dx = (x - mean) / (n std): about [2/3, -1/3, -1/3] / (3 * (sqrt 2 / 3)) here
    np.testing.assert_allclose(np.asarray(x.grad), np.array([2, -1, -1]) / (3 * np.sqrt(2)),
                               rtol=1e-12)
    f32 = tg.tensor(np.array([-0.558, -8.507e37, 0.024], dtype=np.float32))
    np.testing.assert_allclose(f32.std(unbiased=False).item(), 4.0102e37, rtol=1e-4)
    big = tg.tensor(np.array([-1e19] + [1e19] * 9, dtype=np.float32))
    np.testing.assert_allclose(big.var().item(), 4e37, rtol=1e-6)


def test_float16_with_a_python_number_computes_in_float32_as_pytorch():
    # 1e30 does not fit float16; PyTorch's kernels compute in float32 and round once.
    x = tg.tensor(np.array([-np.inf, 3.0, 6e4], dtype=np.float16))
    np.testing.assert_array_equal(np.asarray(x / 1e30), np.array([-np.inf, 0.0, 0.0]))
    y = x * 2.5
    assert y.dtype == np.float16
    np.testing.assert_array_equal(np.asarray(y), np.array([-np.inf, 7.5, np.inf], np.float16))


def test_pow_second_derivative_with_a_huge_exponent_is_not_nan():
    # a ** b with b = -9.8e29 underflows to 0 with all its derivatives (float32): the order
    # grad * (b * a**(b - 1)) keeps b * b from overflowing against a 0.
    a = tg.tensor(np.array(4.53, dtype=np.float32), requires_grad=True)
    b = tg.tensor(np.array(-9.8e29, dtype=np.float32))
    (g,) = tg.grad(a ** b, a, create_graph=True)
    (h,) = tg.grad(g, a)
    assert np.asarray(g) == 0 and np.asarray(h) == 0


def test_logcumsumexp_is_exact_for_any_spread_and_at_infinity():
    # A term 4.5e307 below the next keeps its value (shifting by the line's maximum would
    # underflow it to -inf); an infinite first term has derivative 1, not inf - inf.
    x = tg.tensor(np.array([-4.49e307, 0.43, -0.14]), requires_grad=True)
    out = x.logcumsumexp(0)
    np.testing.assert_array_equal(np.asarray(out)[:2], [-4.49e307, 0.43])
    y = tg.tensor(np.array([np.inf, -20.0]), requires_grad=True)
    (g,) = tg.grad(y.logcumsumexp(0).sum(), y, create_graph=True)
    np.testing.assert_array_equal(np.asarray(g), [2.0, 0.0])
    (h,) = tg.grad(g.sum(), y)
    np.testing.assert_array_equal(np.asarray(h), [0.0, 0.0])


def test_prod_gradient_with_two_zeros_is_zero_even_beside_inf():
    x = tg.tensor(np.array([np.inf, 0.0, 2.0, 0.0]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 0.0, 0.0, 0.0])


def test_a_bool_mask_must_match_the_dims_it_indexes():
    with pytest.raises(IndexError, match=r"bool mask of shape \(0,\) does not match"):
        tg.tensor([1.0])[tg.tensor(np.zeros(0, dtype=bool))]
    assert tg.ones(2, 3)[:, tg.tensor([True, False, True])].shape == (2, 2)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_gradient_of_a_large_tensor_selects_as_where_does(dtype):
    # Above 2,048 elements ReLU's backward selects by bits (fast on random masks): the same
    # values as np.where, bit for bit: inf and NaN gradients dropped where the input is <= 0,
    # kept (NaN's payload, -0.0's sign) where it is > 0 or NaN.
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000).astype(dtype)
    x[:4] = [np.nan, 0.0, -0.0, np.inf]
    g = rng.standard_normal(5000).astype(dtype)
    g[4:12] = [np.inf, -np.inf, np.nan, -0.0, np.inf, -np.inf, np.nan, -0.0]
    x[4:8], x[8:12] = 1.0, -1.0
    t = tg.tensor(x, requires_grad=True)
    tg.nn.functional.relu(t).backward(g)
    out = np.maximum(x, dtype(0))
    expected = np.where(out != 0, g, dtype(0))
    assert t.grad.dtype == dtype
    assert np.array_equal(t.grad.numpy().view(np.uint8), expected.view(np.uint8))


def test_logcumsumexp_passes_a_nan_gradient_on():
    # d out_j / d x_i = exp(x_i - out_j) > 0 for every i <= j, so a NaN gradient at out_j
    # (exp's backward at an overflowed inf: 0 * inf) reaches x_0 .. x_j, as the chain rule
    # says. PyTorch's backward splits the gradient by sign and drops NaN (README: "Where we
    # differ"); the fuzz found it with a float16 input (seed 778329 of `ops`).
    x = tg.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    x.logcumsumexp(0).backward(np.array([1.0, 0.0, np.nan]))
    assert np.isnan(x.grad.numpy()).all()
    y = tg.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    y.logcumsumexp(0).backward(np.array([1.0, 0.0, 0.0]))
    assert y.grad.numpy()[0] == 1.0 and y.grad.numpy()[1:].tolist() == [0.0, 0.0]
