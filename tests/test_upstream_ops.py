"""The ops added for the upstream op suite (scripts/upstream_op_suite.py), against PyTorch:
values, dtypes and gradients, including the extreme inputs that suite uses."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")


def both(fn, *arrays, grad=True):
    """fn on tinygrad_np and on PyTorch tensors of the same data: (outputs, input grads)."""
    ours = [tg.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    out_ours, out_theirs = fn(tg, *ours), fn(torch, *theirs)
    np.testing.assert_equal(np.asarray(out_ours).dtype, out_theirs.detach().numpy().dtype)
    np.testing.assert_allclose(np.asarray(out_ours), out_theirs.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    if grad:
        g_ours = tg.grad(out_ours.sum(), ours)
        g_theirs = torch.autograd.grad(out_theirs.sum(), theirs)
        for a, b in zip(g_ours, g_theirs):
            np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-5, atol=1e-6)


RNG = np.random.default_rng(0)
UNIT = RNG.uniform(-0.95, 0.95, (4, 5)).astype(np.float32)
REAL = RNG.uniform(-3, 3, (4, 5)).astype(np.float32)
FAR = np.array([-300.0, -1e3, 1e3, 300.0], dtype=np.float32)


@pytest.mark.parametrize("name", ["asin", "acos", "atanh"])
def test_inverse_functions_on_their_domain(name):
    both(lambda L, x: getattr(x, name)(), UNIT)


@pytest.mark.parametrize("name", ["atan", "sinh", "cosh", "asinh", "exp2", "erf"])
def test_functions_on_the_reals(name):
    both(lambda L, x: getattr(L, name)(x), REAL)


@pytest.mark.parametrize("name", ["atan", "asinh", "erf"])
def test_functions_far_out(name):
    both(lambda L, x: getattr(x, name)(), FAR)


def test_acosh_and_nan_outside_the_domains():
    both(lambda L, x: (x.abs() + 1.01).acosh(), REAL)
    x = np.array([-2.0, 2.0], dtype=np.float32)
    for name in ("asin", "acos", "atanh", "acosh"):
        np.testing.assert_array_equal(np.isnan(np.asarray(getattr(tg.tensor(x), name)())),
                                      getattr(torch.tensor(x), name)().isnan().numpy())


def test_integers_become_the_default_float():
    assert tg.tensor([0, 1]).asin().dtype == np.float32
    assert tg.tensor([0, 1]).erf().dtype == np.float32


def test_copysign_with_zeros_and_broadcasting():
    values = np.array([-1.0, -0.0, 0.0, 1.0], dtype=np.float32)
    a, b = np.meshgrid(values, values)
    both(lambda L, x, y: L.copysign(x, y), a.copy(), b.copy())
    both(lambda L, x, y: L.copysign(x, y), REAL, REAL[:1])


def test_logaddexp_far_apart_and_equal():
    a = np.array([-1.0, -100.0, 1.0, 2000.0, 3.0], dtype=np.float32)
    b = np.array([-1.0, 2.0, 30000.0, 2.0, 3.0], dtype=np.float32)
    both(lambda L, x, y: L.logaddexp(x, y), a, b)


def test_lerp_with_tensor_and_number_weights():
    both(lambda L, x, y, w: x.lerp(y, w), REAL, UNIT, UNIT[::-1].copy())
    both(lambda L, x, y: x.lerp(y, 0.5), REAL, UNIT)


def test_cummax_values_indices_and_gradient():
    x = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [0.0, -1.0, 4.0, 4.0, 1.0]], dtype=np.float32)
    for dim in (0, 1, -1):
        both(lambda L, t, dim=dim: L.cummax(t, dim).values, x)
        both(lambda L, t, dim=dim: L.cummin(t, dim).values, x)
        np.testing.assert_array_equal(np.asarray(tg.cummax(tg.tensor(x), dim).indices),
                                      torch.cummax(torch.tensor(x), dim).indices.numpy())
        np.testing.assert_array_equal(np.asarray(tg.cummin(tg.tensor(x), dim).indices),
                                      torch.cummin(torch.tensor(x), dim).indices.numpy())


def test_logcumsumexp_without_overflow():
    both(lambda L, x: L.logcumsumexp(x, 0), np.array([0.0, 100.0, -50.0], dtype=np.float32))
    both(lambda L, x: x.logcumsumexp(1), REAL)


def test_std_mean_and_var_mean():
    both(lambda L, x: L.stack(L.std_mean(x, 1)), REAL)
    both(lambda L, x: L.stack(L.var_mean(x, 0, correction=0)), REAL)


def test_var_and_std_with_no_degrees_of_freedom_are_not_rescaled():
    x = RNG.uniform(-1, 1, (1, 2, 3, 1, 5)).astype(np.float32)
    for correction in (1, 5):
        for name in ("var", "std"):
            ours = getattr(tg.tensor(x), name)(axis=(0, 3), correction=correction)
            theirs = getattr(torch.tensor(x), name)(dim=(0, 3), correction=correction)
            np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())


def test_div_rounding_modes():
    a = np.array([5, 6, 7, 0, -5, -6, -7], dtype=np.int32)
    for b in (np.array([3], dtype=np.int32), np.array([-2.0], dtype=np.float32)):
        for mode in (None, "trunc", "floor"):
            for x in (a, a.astype(np.float32)):
                both(lambda L, s, t, m=mode: s.div(t, rounding_mode=m), x, b, grad=False)
                both(lambda L, s, t, m=mode: L.div(s, t, rounding_mode=m), x, b, grad=False)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        tg.tensor([5]).div(tg.tensor([1]), rounding_mode="typo")


def test_bitwise_ops_and_shifts_keep_pytorchs_dtype():
    x = np.array([[1, -8, 1], [32, 1, 6]], dtype=np.int32)
    for fn in (lambda L, t: t ^ 0x1337, lambda L, t: 0x1337 & t, lambda L, t: t | t,
               lambda L, t: t << 2, lambda L, t: t >> 1, lambda L, t: t.bitwise_left_shift(31),
               lambda L, t: t.bitwise_right_shift(2)):
        both(fn, x, grad=False)


def test_type_casts_or_names_the_type():
    x = tg.tensor([1.5, -2.0], requires_grad=True)
    y = x.type(tg.float64)
    assert y.dtype == np.float64 and x.type() == torch.tensor([1.5]).type()
    assert x.type(tg.int32).dtype == np.int32 and x.type("torch.DoubleTensor").dtype == np.float64
    (g,) = tg.grad((y * y).sum(), [x])
    np.testing.assert_allclose(np.asarray(g), [3.0, -4.0])


def test_any_all_take_axis_and_cumsum_checks_the_dim_of_a_0d_tensor():
    x = RNG.uniform(-1, 1, (3, 4, 5)) > 0
    for name in ("any", "all"):
        np.testing.assert_array_equal(np.asarray(getattr(tg.tensor(x), name)(axis=(1, 2))),
                                      getattr(torch.tensor(x), name)(dim=(1, 2)).numpy())
    for op in (tg.cumsum, tg.cumprod):
        with pytest.raises(IndexError):
            op(tg.tensor(1.0), 1)


def test_gradients_of_a_leaf_used_twice_in_0d_stay_arrays():
    a, b = tg.tensor(-1.0, requires_grad=True), tg.tensor(2.0, requires_grad=True)
    (ga, gb) = tg.grad(a.lerp(b, 0.25), [a, b])
    assert isinstance(ga._data, np.ndarray) and float(ga) == 0.75 and float(gb) == 0.25


# ---- shape ops, scatter_reduce, interpolate, attention (the second round) -------------------
def test_diag_diagonal_unflatten_unfold_repeat_interleave_masked_select():
    square = RNG.uniform(-1, 1, (4, 4, 3)).astype(np.float32)
    both(lambda L, x: x.diagonal(1, 0, 2), square)
    both(lambda L, x: x[:, 0].diagonal(-1), square)
    both(lambda L, x: x[0, :, 0].diag(-2), square)
    both(lambda L, x: x.unflatten(1, (2, -1)), square)
    both(lambda L, x: x.unfold(1, 2, 1).unfold(0, 3, 2), square)
    both(lambda L, x: x.repeat_interleave(2), REAL)
    both(lambda L, x: x.repeat_interleave(L.tensor([0, 2, 1, 3, 1]), dim=1), REAL)
    both(lambda L, x: x.masked_select(x > 0), REAL)
    both(lambda L, x: x.masked_select(L.tensor([True, False, True, True, False])), REAL)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients(reduce, include_self):
    index = np.array([[0, 0, 2], [1, 0, 1]])
    src = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -1.0]], dtype=np.float32)
    both(lambda L, x, s: x.scatter_reduce(0, L.tensor(index), s, reduce,
                                          include_self=include_self), UNIT[:3, :4], src)


def test_scatter_with_a_value_multiply_and_refusals():
    index = np.array([[0, 1, 0], [2, 0, 0]])
    both(lambda L, x: x.scatter(0, L.tensor(index), 2.0, reduce="multiply"), REAL, grad=False)
    both(lambda L, x: x.scatter(1, L.tensor(index), value=-1.0), REAL, grad=False)
    with pytest.raises(RuntimeError):
        tg.tensor(REAL).scatter_reduce(0, tg.tensor(index), tg.tensor(REAL), "median")
    with pytest.raises(RuntimeError):
        tg.tensor(REAL).double().scatter(0, tg.tensor(index), tg.tensor(REAL))


@pytest.mark.parametrize("mode, shape, size, corners", [
    ("nearest", (2, 3, 7), (11,), None), ("nearest-exact", (2, 3, 7, 5), (4, 9), None),
    ("nearest", (1, 2, 3, 4, 5), (5, 3, 2), None), ("linear", (2, 3, 9), (4,), False),
    ("linear", (2, 3, 4), (9,), True), ("bilinear", (2, 3, 5, 6), (8, 3), False),
    ("bilinear", (1, 1, 5, 6), (1, 9), True), ("trilinear", (1, 2, 3, 4, 5), (5, 2, 6), False),
    ("trilinear", (1, 2, 3, 4, 5), (5, 2, 6), True)])
def test_interpolate_values_and_gradients(mode, shape, size, corners):
    x = RNG.uniform(-1, 1, shape).astype(np.float32)
    both(lambda L, t: L.nn.functional.interpolate(t, size=size, mode=mode,
                                                  align_corners=corners), x)


def test_interpolate_by_scale_factor_and_integer_input():
    x = RNG.uniform(-1, 1, (1, 2, 5, 4)).astype(np.float32)
    both(lambda L, t: L.nn.functional.interpolate(t, scale_factor=1.7, mode="bilinear"), x)
    both(lambda L, t: L.nn.functional.interpolate(t, scale_factor=(0.5, 2.5)), x)
    u = (x * 100 + 100).astype(np.uint8)
    both(lambda L, t: L.nn.functional.interpolate(t, size=(7, 3), mode="nearest-exact"), u,
         grad=False)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"},
                                {"mask": "float"}, {"enable_gqa": True}])
def test_scaled_dot_product_attention(kw):
    kw = dict(kw)
    q = RNG.uniform(-1, 1, (2, 4, 3, 5)).astype(np.float32)
    heads = 2 if kw.get("enable_gqa") else 4
    k = RNG.uniform(-1, 1, (2, heads, 6, 5)).astype(np.float32)
    v = RNG.uniform(-1, 1, (2, heads, 6, 2)).astype(np.float32)
    mask = kw.pop("mask", None)
    if mask == "bool":
        m = RNG.uniform(size=(3, 6)) > 0.3
        m[:, 0] = True  # no fully masked row (NaN in both)
        kw["attn_mask"] = m
    elif mask == "float":
        kw["attn_mask"] = RNG.uniform(-1, 1, (3, 6)).astype(np.float32)

    def fn(L, q, k, v):
        extra = {n: (L.tensor(a) if n == "attn_mask" else a) for n, a in kw.items()}
        return L.nn.functional.scaled_dot_product_attention(q, k, v, **extra)

    both(fn, q, k, v)


@pytest.mark.parametrize("equation, shapes", [
    ("ii->i", [(4, 4)]), ("ii->", [(4, 4)]), ("...ii->...i", [(3, 4, 4)]),
    ("iji,j->j", [(3, 2, 3), (2,)]), ("iij,jk->ik", [(2, 2, 3), (3, 4)])])
def test_einsum_diagonals(equation, shapes):
    arrays = [RNG.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    both(lambda L, *t: L.einsum(equation, *t), *arrays)


def test_max_pool2d_of_integers_with_padding_and_indices():
    x = RNG.integers(-50, 50, (2, 3, 7, 6)).astype(np.int32)
    both(lambda L, t: L.nn.functional.max_pool2d(t, 3, 2, padding=1), x, grad=False)
    ours = tg.nn.functional.max_pool2d(tg.tensor(x), 2, return_indices=True)[1]
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)[1]
    np.testing.assert_equal(np.asarray(ours), theirs.numpy())


def test_integer_linspace_truncates_and_bool_is_refused():
    for start, end, steps in [(5, 10, 20), (5, -5, 20), (-3, 4, 9)]:
        ours = tg.linspace(start, end, steps, dtype=tg.int32)
        theirs = torch.linspace(start, end, steps, dtype=torch.int32)
        np.testing.assert_equal(np.asarray(ours), theirs.numpy())
    with pytest.raises(RuntimeError):
        tg.linspace(0, 1, 3, dtype=tg.bool)
