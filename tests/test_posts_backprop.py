"""Each seed post's complete hand-written backprop (examples/posts_backprop.py: vectorized,
otherwise as posted) against autodiff of the same network on the same float64 weights and
batch, parameter by parameter, to 1e-10. Small synthetic batches: no dataset needed."""

from __future__ import annotations

import numpy as np
import posts_backprop as posts
import pytest
from check_handwritten_backprop import check_post000, check_post001, check_post002

from tinygrad_np.testing import GradReport

TIGHT = {"rtol": 0.0, "atol": 1e-10}


def rng_for(*key: int) -> np.random.Generator:
    return np.random.default_rng([2024, *key])


def assert_agrees(report: GradReport, names: list[str]) -> None:
    assert [row.name for row in report.rows] == names
    report.raise_if_failed()  # on failure the message is the whole per-parameter table


# ---- post 000: 784-16-16-10, sigmoid(z - 1e-5) x2, softmax, batch-mean CE, W x + b ---------

def post000_batch(m: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = rng_for(0, m)
    return posts.post000_init(rng), rng.random((784, m)), rng.integers(0, 10, m)


@pytest.mark.parametrize("m", [1, 7, 32])
def test_post000_backprop_matches_autodiff_of_its_own_forward(m):
    params, X, labels = post000_batch(m)
    report = check_post000(params, X, labels, **TIGHT)
    assert_agrees(report, ["W1", "B1", "W2", "B2", "W3", "B3"])


def test_post000_vectorized_backprop_is_the_posts_per_example_loop():
    params, X, labels = post000_batch(5)
    Y_one = posts.post000_one_hot(labels)
    loop = posts.post000_backprop_loop(params, X, Y_one)
    vectorized = posts.post000_backprop(params, X, Y_one)
    for name in params:
        np.testing.assert_allclose(vectorized[name], loop[name], rtol=1e-12, atol=1e-15)


def test_post000_against_the_textbook_sigmoid_differs_only_by_the_1e_5_shift():
    """The shift is a change of model, not of backprop rule: against a textbook-sigmoid
    forward the same gradients miss 1e-10 but stay within ~1e-5 of autodiff."""
    params, X, labels = post000_batch(7)
    textbook = check_post000(params, X, labels, shift=0.0, **TIGHT)
    assert not textbook.passed
    assert max(row.max_abs_err for row in textbook.rows) < 1e-5


# ---- post 001: 2-64-2, relu, softmax, CE summed over the batch, x W + b ---------------------

@pytest.mark.parametrize(("m", "hidden"), [(1, 64), (10, 64), (33, 64), (10, 99)])
def test_post001_backprop_matches_autodiff(m, hidden):
    rng = rng_for(1, m, hidden)
    params = posts.post001_init(rng, n_hidden=hidden)
    x, labels = rng.standard_normal((m, 2)), rng.integers(0, 2, m)
    report = check_post001(params, x, labels, **TIGHT)
    assert_agrees(report, ["W1", "b1", "W2", "b2"])


def test_post001_backward_returns_the_negative_gradient():
    rng = rng_for(1)
    params = posts.post001_init(rng)
    x, labels = rng.standard_normal((10, 2)), rng.integers(0, 2, 10)
    returned = posts.post001_backward(params, x, labels)
    gradient = posts.post001_gradients(params, x, labels)
    for name in params:
        np.testing.assert_array_equal(returned[name], -gradient[name])


# ---- post 002: 784-16-10, relu, sigmoid, MSE, x W + b; the bias slip ---------------------------

def post002_case(m: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = rng_for(2, m)
    return posts.post002_init(rng), rng.random((m, 784)), rng.integers(0, 10, m)


NAMES_002 = ["weights 0->1", "bias 1", "weights 1->2", "bias 2"]


@pytest.mark.parametrize("m", [1, 9, 64])
def test_post002_with_the_bias_fix_matches_autodiff(m):
    report = check_post002(*post002_case(m), fix_bias=True, **TIGHT)
    assert_agrees(report, NAMES_002)


@pytest.mark.parametrize("m", [3, 64])
def test_post002_as_posted_fails_exactly_on_the_biases(m):
    report = check_post002(*post002_case(m), **TIGHT)
    assert [row.name for row in report.failed] == ["bias 1", "bias 2"]
    assert report["weights 0->1"].max_abs_err < 1e-12
    assert report["weights 1->2"].max_abs_err < 1e-12
    for name in ("bias 1", "bias 2"):
        true_db, applied = report.autodiff[name], report.manual[name]
        # sum over axis=1 then .mean(): every bias gets the same scalar, sum_j db_j / m
        np.testing.assert_allclose(applied, np.full_like(true_db, true_db.sum() / m),
                                   rtol=1e-10, atol=1e-15)
        assert report[name].max_abs_err == pytest.approx(np.abs(applied - true_db).max())
        assert report[name].max_abs_err > 1e-3


def test_post002_raw_bias_gradient_has_the_posts_batch_by_1_shape():
    params, x, labels = post002_case(64)
    prediction, memory = posts.post002_forward(x, params)
    grads = posts.post002_backward(posts.post002_one_hot(labels), prediction, memory, params)
    assert grads["dB_1"].shape == (64, 1) and grads["dB_2"].shape == (64, 1)
    fixed = posts.post002_backward(posts.post002_one_hot(labels), prediction, memory, params,
                                   fix_bias=True)
    assert fixed["dB_1"].shape == (16,) and fixed["dB_2"].shape == (10,)
