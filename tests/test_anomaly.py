"""detect_anomaly(): the first op whose forward or backward produces NaN or inf is reported by
name and by the line of user code that created it."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn
from tinygrad_np.autograd.grad_mode import state

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own NaN warnings
FILE = "test_anomaly.py"


def _next_line() -> int:
    """The line number after the caller's line: where the op under test is created."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


def _where(line: int) -> str:
    return rf"created at \S*{FILE}:{line}: "


def test_forward_nan_names_the_first_op_and_its_line() -> None:
    x = tg.Tensor(np.array([1.0, -1.0, 4.0]), requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError) as info:
        h = x * 2.0
        line = _next_line()
        s = (h - 3.0).sqrt()  # NaN at -1 -> the first bad op
        (s.exp() + 1.0).sum()  # these would carry the NaN on
    message = str(info.value)
    assert re.search(r"detect_anomaly: Sqrt produced NaN or inf in its forward \(output shape "
                     r"\(3,\), dtype float64\)", message), message
    assert re.search(_where(line) + r"s = \(h - 3\.0\)\.sqrt\(\)", message), message
    assert "Exp" not in message


def test_forward_inf_is_reported_too() -> None:
    x = tg.Tensor(np.array([1.0, 800.0]), requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Exp produced NaN or inf "
                                                                      r"in its forward"):
        x.exp()


def test_backward_inf_names_the_op_and_the_line_that_created_it() -> None:
    x = tg.Tensor(np.array([0.0, 1.0, 4.0]), requires_grad=True)
    with tg.detect_anomaly():
        line = _next_line()
        r = x.sqrt()  # finite forward; d sqrt / dx = inf at 0
        loss = (r * 3.0).sum()
        with pytest.raises(FloatingPointError) as info:
            loss.backward()
    message = str(info.value)
    assert re.search(r"SqrtBackward produced NaN or inf in its backward", message), message
    assert re.search(r"forward op was " + _where(line) + r"r = x\.sqrt\(\)", message), message
    assert x.grad is None


def test_backward_reports_the_first_bad_gradient_the_backward_reaches() -> None:
    x = tg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with tg.detect_anomaly():
        a = x.sqrt()  # its backward would also give inf at 0 ...
        line = _next_line()
        b = a.sqrt()  # ... but this one, nearer the output, runs first in backward
        with pytest.raises(FloatingPointError) as info:
            b.sum().backward()
    message = str(info.value)
    assert "SqrtBackward produced NaN or inf in its backward" in message
    assert re.search(_where(line) + r"b = a\.sqrt\(\)", message), message


def test_anomaly_inside_a_model_points_at_the_users_call_not_the_library() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = tg.Tensor(np.array([[1.0, np.nan, 0.0]], dtype=np.float32))
    with tg.detect_anomaly(), pytest.raises(FloatingPointError) as info:
        line = _next_line()
        F.cross_entropy(model(x), tg.tensor([1]))
    message = str(info.value)
    assert re.search(r"(MatMul|Affine) produced NaN or inf in its forward", message), message
    assert re.search(_where(line) + r"F\.cross_entropy\(model\(x\)", message), message
    assert "tinygrad_np/nn" not in message


def test_a_clean_run_is_unaffected_and_matches_the_plain_gradients() -> None:
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def run() -> np.ndarray:
        x.grad = None
        (x.tanh() @ x.T).softmax(1).log().sum().backward()
        return x.grad.detach().numpy().copy()

    plain = run()
    with tg.detect_anomaly():
        checked = run()
    np.testing.assert_array_equal(plain, checked)


def test_outside_the_context_nan_propagates_silently_and_the_mode_is_restored() -> None:
    x = tg.Tensor(np.array([-1.0]), requires_grad=True)
    assert np.isnan(np.asarray(x.log())).all()
    with pytest.raises(FloatingPointError):
        with tg.detect_anomaly():
            with tg.detect_anomaly(check_nan=False):
                assert np.isnan(np.asarray(x.log())).all()  # disabled inside
            x.log()
    assert state.anomaly_enabled is False
    assert np.isnan(np.asarray(x.log())).all()


def test_no_grad_forward_is_checked_too() -> None:
    x = tg.Tensor(np.array([-1.0]))
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="Log produced NaN"):
        x.log()


def test_no_grad_forward_anomaly_also_names_the_users_line() -> None:
    x = tg.Tensor(np.array([-1.0]))
    with tg.detect_anomaly(), pytest.raises(FloatingPointError) as info:
        line = _next_line()
        x.log()
    assert re.search(_where(line), str(info.value)), str(info.value)


def test_masked_logits_are_not_an_anomaly_and_custom_functions_point_at_their_caller() -> None:
    logits = tg.tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True)
    mask = np.array([[True, False, True]])
    with tg.detect_anomaly():
        masked = tg.where(mask, logits, -np.inf)  # passes -inf on: not reported
        F.cross_entropy(masked, tg.tensor([0])).backward()
    assert np.isfinite(np.asarray(logits.grad)).all()

    class Overflow(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return tg.tensor(np.exp(np.asarray(x)))  # NumPy's overflow: this node's own

        @staticmethod
        def backward(ctx, grad):
            return grad

    with tg.detect_anomaly(), pytest.raises(FloatingPointError) as info:
        line = _next_line()
        Overflow.apply(tg.tensor(np.array([800.0]), requires_grad=True))
    assert f"test_anomaly.py:{line}" in str(info.value)  # the call itself, not its caller


def test_set_detect_anomaly_switches_at_once_and_restores_as_a_context() -> None:
    assert not tg.autograd.is_anomaly_enabled()
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.autograd.is_anomaly_enabled()
        with pytest.raises(FloatingPointError, match="Sqrt produced NaN"):
            tg.tensor([-1.0]).sqrt()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.set_detect_anomaly(True):
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()
    tg.tensor([-1.0]).sqrt()  # (off again: no error)


def test_backward_with_create_graph_into_a_recorded_grad_warns() -> None:
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)  # the first: .grad is set, no warning
    with pytest.warns(UserWarning, match="the graph behind .grad grows"):
        (x ** 3).sum().backward(create_graph=True)
    np.testing.assert_array_equal(np.asarray(x.grad), 2 * 3 * np.array([1.0, 4.0]))
