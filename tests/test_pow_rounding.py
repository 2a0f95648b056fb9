"""x ** e rounded as PyTorch's CPU kernel rounds it: a float tensor to the Python numbers 2, 3,
-1, -2, 0.5 and -0.5 is computed by multiplication, division or a square root, not by pow
(x ** 3 is (x * x) * x, an ulp away from a correctly rounded pow in a quarter of float32
values); a tensor exponent goes to pow. The gradient, grad * (e * x ** (e - 1)), rounds its
x ** (e - 1) the same way. Closed forms first, then PyTorch itself bit for bit."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_np as tg

FORMULAS: dict[float, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda x: x,  # (a copy in PyTorch; NumPy's power to 1 gives x too)
    2: lambda x: x * x,
    3: lambda x: x * x * x,
    -1: lambda x: 1 / x,
    -2: lambda x: 1 / (x * x),
    0.5: np.sqrt,
    -0.5: lambda x: 1 / np.sqrt(x),
}
DTYPES = [np.float32, np.float64]


def values(dtype: type, n: int = 20_000, seed: int = 0) -> np.ndarray:
    """Random values over many binades, and the special ones (zeros, infinities, NaN, a
    subnormal)."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))).astype(dtype)
    x[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).smallest_subnormal]
    return x


def assert_bitwise(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal bit for bit, apart from the sign of a NaN (which no one rounds)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), nan)
    differ = actual[~nan].view(np.uint8).reshape(-1, actual.itemsize) != \
        expected[~nan].view(np.uint8).reshape(-1, expected.itemsize)
    assert not differ.any(), f"{differ.any(axis=1).sum()} of {differ.shape[0]} values differ"


def forward_and_grad(x: np.ndarray, exponent: object, g: np.ndarray) -> tuple:
    t = tg.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0 ** -1 and the like, as in NumPy
        y = t**exponent
        y.backward(tg.tensor(g))
    return np.asarray(y.detach()), np.asarray(t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("exponent", [2, 3, -1, -2, 0.5, -0.5, 3.0, -2.0, np.float64(3)])
def test_special_exponents_are_computed_by_their_formula(dtype: type, exponent: float) -> None:
    x = values(dtype)
    with np.errstate(all="ignore"):
        expected = FORMULAS[float(exponent)](x)
        y, _ = forward_and_grad(x, exponent, np.ones_like(x))
    assert_bitwise(y, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_x_cubed_is_x_times_x_times_x_not_numpys_power(dtype: type) -> None:
    x = values(dtype)[6:]
    cube = np.asarray(tg.tensor(x) ** 3)
    assert_bitwise(cube, x * x * x)
    if dtype is np.float32:  # the point: NumPy's power rounds differently in many places
        assert np.mean(cube != np.power(x, np.float32(3))) > 0.01


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("exponent", [2, 3, 4, -1, 0.5, 1.5])
def test_the_gradient_rounds_x_to_the_exponent_minus_one_by_the_same_formulas(
        dtype: type, exponent: float) -> None:
    """grad * (e * x ** (e - 1)): x ** 3 (for e = 4) as x * x * x, x ** -2 (for e = -1) as
    1 / (x * x), x ** -0.5 (for e = 0.5) as 1 / sqrt(x)."""
    x = values(dtype)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    _, grad = forward_and_grad(x, exponent, g)
    with np.errstate(all="ignore"):
        expected = g * (dtype(exponent) * FORMULAS[exponent - 1](x))
    assert_bitwise(grad, expected)


def test_square_roots_have_pytorchs_values_at_minus_zero_and_minus_infinity() -> None:
    x = np.array([-0.0, -np.inf, 0.0, np.inf, 4.0])
    y, grad = forward_and_grad(x, 0.5, np.ones_like(x))
    assert_bitwise(y, np.array([-0.0, np.nan, 0.0, np.inf, 2.0]))
    assert_bitwise(grad, np.array([-np.inf, np.nan, np.inf, 0.0, 0.25]))
    y, grad = forward_and_grad(x, -0.5, np.ones_like(x))
    assert_bitwise(y, np.array([-np.inf, np.nan, np.inf, 0.0, 0.5]))
    # -0.5 * x ** -1.5, a pow (C's: inf at -0, 0 at -inf)
    assert_bitwise(grad, np.array([-np.inf, -0.0, -np.inf, -0.0, -0.0625]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_tensor_exponent_is_a_pow_as_in_pytorch(dtype: type) -> None:
    x = values(dtype)[6:]
    assert_bitwise(np.asarray(tg.tensor(x) ** tg.tensor(dtype(3))), np.power(x, dtype(3)))


def test_half_precision_rounds_once_and_integers_stay_exact() -> None:
    h = values(np.float32)[6:].astype(np.float16)
    with np.errstate(all="ignore"):
        wide = h.astype(np.float32)
        assert_bitwise(np.asarray(tg.tensor(h) ** 3), (wide * wide * wide).astype(np.float16))
    i = np.arange(-1000, 1000)
    np.testing.assert_array_equal(np.asarray(tg.tensor(i) ** 3), i * i * i)
    assert (tg.tensor(i) ** 2).dtype == tg.int64


# ---- PyTorch itself (skipped without it) --------------------------------------------------

def torch_forward_and_grad(torch, x: np.ndarray, exponent: object, g: np.ndarray) -> tuple:
    t = torch.tensor(x, requires_grad=True)
    y = t**exponent
    y.backward(torch.tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("exponent", [2, 3, -1, -2, -0.5, 0, 1, 3.0, np.float32(-2)])
def test_forward_is_pytorchs_bit_for_bit(dtype: type, exponent: float) -> None:
    torch = pytest.importorskip("torch")
    x = values(dtype, seed=2)
    g = np.ones_like(x)
    assert_bitwise(forward_and_grad(x, exponent, g)[0],
                   torch_forward_and_grad(torch, x, exponent, g)[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("exponent", [2, 3, 4, -1, 0.5, 1])
def test_gradient_is_pytorchs_bit_for_bit(dtype: type, exponent: float) -> None:
    """The exponents whose e - 1 is one of the formulas (or 0)."""
    torch = pytest.importorskip("torch")
    x = values(dtype, seed=3)
    x[~np.isfinite(x)] = 1.0  # (PyTorch's gradient at inf and NaN: its own conventions)
    g = np.random.default_rng(4).standard_normal(x.shape).astype(dtype)
    assert_bitwise(forward_and_grad(x, exponent, g)[1],
                   torch_forward_and_grad(torch, x, exponent, g)[1])
