"""nn.init: the distributions' bounds and moments, in-place semantics, seeding."""

import math

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.nn import init


def weight(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_fills_in_place_outside_the_graph_and_keeps_dtype():
    w = weight(3, 4)
    data = np.asarray(w)
    assert init.uniform_(w, -1, 1) is w
    assert np.asarray(w) is data and w.dtype == np.float32
    assert w.requires_grad and w.grad_fn is None
    assert np.all((np.asarray(w) >= -1) & (np.asarray(w) < 1))
    assert init.normal_(weight(2, dtype=np.float64)).dtype == np.float64
    np.testing.assert_array_equal(np.asarray(init.zeros_(w)), 0)
    np.testing.assert_array_equal(np.asarray(init.ones_(w)), 1)
    np.testing.assert_array_equal(np.asarray(init.constant_(w, 0.5)), 0.5)
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.ones_(np.zeros(3))


def test_uniform_and_normal_moments():
    tg.manual_seed(0)
    w = init.normal_(weight(200, 300), mean=2.0, std=0.5)
    assert np.asarray(w).mean() == pytest.approx(2.0, abs=0.01)
    assert np.asarray(w).std() == pytest.approx(0.5, rel=0.01)
    u = init.uniform_(weight(200, 300), 1.0, 3.0)
    assert np.asarray(u).min() >= 1.0 and np.asarray(u).max() < 3.0
    assert np.asarray(u).std() == pytest.approx(2 / math.sqrt(12), rel=0.01)


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_xavier_and_kaiming_match_their_formulas(shape):
    receptive = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    tg.manual_seed(1)
    bound = math.sqrt(6 / (fan_in + fan_out))
    w = init.xavier_uniform_(weight(*shape))
    assert np.abs(np.asarray(w)).max() <= bound and np.abs(np.asarray(w)).max() > 0.99 * bound
    w = init.xavier_normal_(weight(*shape), gain=2.0)
    assert np.asarray(w).std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.03)
    w = init.kaiming_uniform_(weight(*shape), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(np.asarray(w)).max() <= bound and np.abs(np.asarray(w)).max() > 0.99 * bound
    w = init.kaiming_normal_(weight(*shape), mode="fan_out", nonlinearity="relu")
    assert np.asarray(w).std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.03)


def test_fan_and_argument_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(weight(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(weight(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    assert init.kaiming_uniform_(weight(0, 3)).shape == (0, 3)  # zero-size: a no-op


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                        ("leaky_relu", math.sqrt(5))]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))


def test_seeded_models_are_reproducible():
    def build():
        return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))

    tg.manual_seed(42)
    first = build().state_dict()
    tg.manual_seed(42)
    second = build().state_dict()
    tg.manual_seed(7)
    third = build().state_dict()
    for key in first:
        np.testing.assert_array_equal(np.asarray(first[key]), np.asarray(second[key]))
    assert not np.array_equal(np.asarray(first["0.weight"]), np.asarray(third["0.weight"]))


def test_explicit_generator():
    a = init.normal_(weight(4), generator=np.random.default_rng(5))
    b = init.normal_(weight(4), generator=np.random.default_rng(5))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
