"""Regression tests for the backward engine's contract (docs/design.md, Autograd)."""

import threading

import numpy as np
import pytest

import tinygrad_np as tg


def test_deep_chain_of_100000_ops_backprops_iteratively():
    x = tg.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert np.asarray(x.grad).tolist() == [1.0]


def test_diamond_reuse_accumulates_both_paths():
    x = tg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    a = x * x  # used twice below
    (a + a * 3).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), 4 * 2 * np.array([2.0, 3.0]))


def test_leaf_grads_accumulate_across_backward_calls():
    x = tg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [6.0, 6.0])


def test_non_leaf_grad_only_with_retain_grad():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    k = x * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(np.asarray(k.grad), [2.0, 4.0])


def test_second_backward_through_freed_graph_raises_clearly():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_a_graph_that_saved_nothing_backwards_again_like_pytorch():
    # Sum, reshape, transpose, add and indexing keep only shapes and indices: nothing is freed,
    # so PyTorch lets a second backward through them accumulate again; so do we.
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = ((x.T.reshape(6) + 1.0)[1:] - x.sum()).sum()
    y.backward()
    y.backward()
    # x.T.reshape(6)[1:] drops x[0, 0]; 5 elements minus x.sum() each: -5 or -4, twice.
    np.testing.assert_array_equal(np.asarray(x.grad), 2 * (np.array([[0, 1, 1], [1, 1, 1]]) - 5.0))
    # Behind a node that saved something, the second backward still raises.
    z = (x * x).sum() + x.sum()
    z.backward()
    with pytest.raises(RuntimeError, match="MulBackward: trying to backward.*second time"):
        z.backward()


def test_retain_graph_allows_a_second_backward():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [4.0, 8.0])


def test_non_scalar_backward_without_gradient_names_the_shape():
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.full((2, 3), 0.5))
    np.testing.assert_array_equal(np.asarray(x.grad), np.ones((2, 3)))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="int64.*float32"):
        tg.tensor([1, 2, 3], requires_grad=True)


def test_in_place_change_of_saved_input_is_detected():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = tg.tensor(np.array([3.0, 4.0]))
    y = (x * w).sum()
    w.add_(1.0)
    with pytest.raises(RuntimeError, match="MulBackward.*in-place"):
        y.backward()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        x = tg.tensor(np.ones(2), requires_grad=True)
        seen["requires_grad"] = (x * 2).requires_grad

    with tg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        x = tg.tensor(np.ones(2), requires_grad=True)
        assert not (x * 2).requires_grad
    assert seen["requires_grad"] is True


def test_second_derivative_of_cube():
    x = tg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (g,) = tg.grad((x**3).sum(), x, create_graph=True)
    np.testing.assert_allclose(np.asarray(g), 3 * np.asarray(x)**2)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(np.asarray(h), 6 * np.asarray(x))


def test_float32_grads_stay_float32():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * np.float64(2.0) + np.ones(2)).sum().backward()
    assert x.dtype == np.float32 and x.grad.dtype == np.float32


def test_detect_anomaly_names_the_op_and_line():
    x = tg.tensor(np.array([-1.0, 1.0]), requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="(?s)Log.*test_engine.py"):
        with np.errstate(invalid="ignore"):
            x.log()
