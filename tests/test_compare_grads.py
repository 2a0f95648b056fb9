"""tinygrad_np.testing.compare_grads: hand-written gradients against autodiff, per parameter."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.testing import GradMismatchError, GradReport, compare_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 2))
PARAMS = {"W": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}


def forward(p: dict) -> tg.Tensor:
    return X @ p["W"] + p["b"]


def forward_list(W: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    return X @ W + b


def mse(pred: tg.Tensor) -> tg.Tensor:
    return ((pred - Y) ** 2).mean()


def hand_written(bias_axis: int = 0) -> dict[str, np.ndarray]:
    """MSE' = 2 (pred - Y) / N; dW = X^T delta; db = delta summed over the batch (axis 0)."""
    delta = 2 * (X @ PARAMS["W"] + PARAMS["b"] - Y) / Y.size
    db = delta.sum(axis=0) if bias_axis == 0 else np.full(2, delta.sum(axis=1).mean())
    return {"W": X.T @ delta, "b": db}


class TinyModel:
    """Duck-typed model: named_parameters() and __call__, nothing from tinygrad_np.nn."""

    def __init__(self) -> None:
        self.W = tg.tensor(PARAMS["W"].copy(), requires_grad=True)
        self.b = tg.tensor(PARAMS["b"].copy(), requires_grad=True)

    def named_parameters(self):  # noqa: ANN201
        return iter([("W", self.W), ("b", self.b)])

    def __call__(self, x: np.ndarray) -> tg.Tensor:
        return x @ self.W + self.b


# ---- outcomes -------------------------------------------------------------------------------

def test_correct_gradients_pass_with_tiny_errors():
    report = compare_grads(forward, mse, hand_written(), params=PARAMS)
    assert isinstance(report, GradReport)
    assert report.passed and bool(report) and report.failed == []
    assert [r.name for r in report.rows] == ["W", "b"]
    assert [r.shape for r in report.rows] == [(3, 2), (2,)]
    assert all(r.max_abs_err < 1e-14 and r.max_rel_err < 1e-13 for r in report.rows)
    np.testing.assert_allclose(report.autodiff["W"], hand_written()["W"], rtol=1e-12)


def test_wrong_bias_fails_on_that_row_only_with_its_error():
    manual = hand_written(bias_axis=1)
    report = compare_grads(forward, mse, manual, params=PARAMS)
    assert not report.passed
    assert report["W"].passed and not report["b"].passed
    assert [r.name for r in report.failed] == ["b"]
    truth = hand_written()["b"]
    row = report["b"]
    assert row.max_abs_err == pytest.approx(np.abs(manual["b"] - truth).max(), rel=1e-12)
    assert row.max_rel_err == pytest.approx(row.max_abs_err / np.abs(truth).max(), rel=1e-12)
    i = row.worst_index
    assert row.autodiff_value == pytest.approx(truth[i]) and row.manual_value == manual["b"][i]


def test_a_nan_gradient_fails():
    manual = hand_written()
    manual["W"] = manual["W"].copy()
    manual["W"][1, 0] = np.nan
    row = compare_grads(forward, mse, manual, params=PARAMS)["W"]
    assert not row.passed and np.isnan(row.max_abs_err) and row.worst_index == (1, 0)


def test_tolerances_decide_pass_elementwise():
    manual = hand_written()
    manual["b"] = manual["b"] + 1e-6
    assert not compare_grads(forward, mse, manual, params=PARAMS).passed  # float64 default
    assert compare_grads(forward, mse, manual, params=PARAMS, atol=2e-6).passed
    scale = np.abs(hand_written()["b"]).min()
    assert compare_grads(forward, mse, manual, params=PARAMS, atol=0,
                         rtol=2e-6 / scale).passed


def test_float32_parameters_get_float32_tolerances():
    params32 = {k: v.astype(np.float32) for k, v in PARAMS.items()}
    report = compare_grads(forward, mse, hand_written(), params=params32)
    assert report.passed and (report.rtol, report.atol) == (1e-4, 1e-6)
    assert report.autodiff["W"].dtype == np.float32


# ---- the two kinds of model, dict vs list ---------------------------------------------------

def test_dict_and_list_inputs_give_the_same_rows():
    by_name = compare_grads(forward, mse, hand_written(), params=PARAMS)
    listed = compare_grads(forward_list, mse, list(hand_written().values()),
                           params=list(PARAMS.values()))
    assert [r.name for r in listed.rows] == ["params[0]", "params[1]"]
    assert [(r.max_abs_err, r.passed) for r in listed.rows] == \
        [(r.max_abs_err, r.passed) for r in by_name.rows]
    # a list of gradients also works against named parameters, in their order
    assert compare_grads(forward, mse, list(hand_written().values()), params=PARAMS).passed


def test_model_with_named_parameters_and_inputs():
    model = TinyModel()
    report = compare_grads(model, mse, hand_written(), inputs=X)
    assert report.passed and [r.name for r in report.rows] == ["W", "b"]
    assert model.W.grad is None and model.b.grad is None  # leaves' .grad untouched


def test_model_with_an_already_computed_loss_tensor():
    model = TinyModel()
    loss = mse(model(X))
    assert compare_grads(model, loss, hand_written()).passed
    loss.backward()  # the graph is kept for the caller
    np.testing.assert_allclose(np.asarray(model.W.grad), hand_written()["W"], rtol=1e-12)


def test_nn_module_if_available():
    nn = pytest.importorskip("tinygrad_np.nn")
    if not hasattr(nn, "Module") or not hasattr(nn, "Parameter"):
        pytest.skip("tinygrad_np.nn has no Module/Parameter yet")

    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.W = nn.Parameter(PARAMS["W"].copy())
            self.b = nn.Parameter(PARAMS["b"].copy())

        def forward(self, x: np.ndarray) -> tg.Tensor:
            return x @ self.W + self.b

    report = compare_grads(Affine(), mse, hand_written(), inputs=(X,))
    assert report.passed and [r.name for r in report.rows] == ["W", "b"]


def test_function_params_are_not_modified_and_tensors_keep_no_grad():
    W = tg.tensor(PARAMS["W"].copy(), requires_grad=True)
    b = tg.tensor(PARAMS["b"].copy())  # need not require grad: fresh leaves are made
    before = PARAMS["W"].copy()
    assert compare_grads(forward_list, mse, list(hand_written().values()), params=[W, b]).passed
    assert W.grad is None and b.grad is None
    np.testing.assert_array_equal(PARAMS["W"], before)


def test_unused_parameter_has_zero_autodiff_gradient():
    params = {**PARAMS, "unused": np.ones(4)}
    manual = {**hand_written(), "unused": np.zeros(4)}
    report = compare_grads(forward, mse, manual, params=params)
    assert report.passed and report["unused"].max_abs_err == 0.0


# ---- usage errors name the call, the parameter, the shapes and the fix ----------------------

def test_missing_and_extra_names_are_reported_together():
    manual = hand_written()
    manual["bias"] = manual.pop("b")
    with pytest.raises(ValueError, match=r"compare_grads\(\).*missing \['b'\].*unexpected "
                                         r"\['bias'\].*\['W', 'b'\]"):
        compare_grads(forward, mse, manual, params=PARAMS)


def test_list_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"got 1 hand-written gradients for 2 parameters"):
        compare_grads(forward, mse, [hand_written()["W"]], params=PARAMS)


def test_shape_mismatch_names_parameter_shapes_and_fix():
    manual = hand_written()
    manual["b"] = manual["b"].reshape(1, 2)
    with pytest.raises(ValueError, match=r"'b' has shape \(1, 2\) but the parameter has shape "
                                         r"\(2,\).*reshape"):
        compare_grads(forward, mse, manual, params=PARAMS)
    delta = 2 * (X @ PARAMS["W"] + PARAMS["b"] - Y) / Y.size
    manual["b"] = delta  # forgot to sum over the batch
    with pytest.raises(ValueError, match=r"\(8, 2\).*\(2,\).*batch axis"):
        compare_grads(forward, mse, manual, params=PARAMS)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: compare_grads(forward, mse, hand_written()), TypeError, "params="),
        (lambda: compare_grads(TinyModel(), mse, hand_written(), params=PARAMS), TypeError,
         "Drop params="),
        (lambda: compare_grads(forward, None, hand_written(), params=PARAMS), ValueError,
         r"scalar.*shape \(8, 2\)"),
        (lambda: compare_grads(lambda p: tg.tensor(1.0), None, hand_written(), params=PARAMS),
         RuntimeError, "does not depend"),
        (lambda: compare_grads(forward, lambda out: 1.0, hand_written(), params=PARAMS),
         TypeError, "not a Tensor"),
        (lambda: compare_grads(forward, mse, hand_written(),
                               params={"W": PARAMS["W"], "b": np.array([1, 2])}),
         TypeError, "'b' has dtype int"),
        (lambda: compare_grads(forward, tg.tensor(1.0), hand_written(), params=PARAMS),
         TypeError, "callable"),
        (lambda: compare_grads(42, mse, hand_written()), TypeError, "named_parameters"),
        (lambda: compare_grads(forward, mse, np.zeros(2), params=PARAMS), TypeError,
         "dict name -> gradient or a list"),
        (lambda: compare_grads(forward, mse, {"W": "x", "b": 0}, params=PARAMS), TypeError,
         "'W'.*not a numeric array"),
    ],
    ids=["fn-without-params", "model-with-params", "non-scalar-loss", "loss-without-graph",
         "loss-not-tensor", "int-param", "tensor-loss-with-fn", "not-a-model",
         "manual-not-container", "manual-not-numeric"],
)
def test_usage_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ---- assert mode and the table --------------------------------------------------------------

def test_assert_mode_raises_assertion_error_with_the_table():
    with pytest.raises(AssertionError) as info:
        compare_grads(forward, mse, hand_written(bias_axis=1), params=PARAMS,
                      raise_exception=True)
    err = info.value
    assert isinstance(err, GradMismatchError) and not err.report.passed
    message = str(err)
    assert "1 of 2 hand-written gradients disagree" in message
    assert str(err.report) in message
    assert "b at [" in message and "autodiff" in message and "manual" in message


def test_assert_mode_is_silent_when_everything_matches():
    report = compare_grads(forward, mse, hand_written(), params=PARAMS, raise_exception=True)
    report.raise_if_failed()


def test_table_is_aligned_with_a_row_per_parameter():
    manual = {**hand_written(bias_axis=1), "a_long_parameter_name": np.zeros((4, 5))}
    params = {**PARAMS, "a_long_parameter_name": np.ones((4, 5))}
    report = compare_grads(forward, mse, manual, params=params)
    lines = str(report).splitlines()
    header, rule, *rows, summary = lines
    assert header.split() == ["parameter", "shape", "max", "abs", "err", "max", "rel", "err",
                              "result"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert [r.split()[0] for r in rows] == ["W", "b", "a_long_parameter_name"]
    assert [r.split()[-1] for r in rows] == ["ok", "FAIL", "ok"]
    # the rule marks the columns: text starts at a left-aligned column's first dash and ends
    # at a right-aligned (numeric) column's last dash, on every line
    spans = [(m.start(), m.end()) for m in re.finditer("-+", rule)]
    assert len(spans) == 5
    for line in [header, *rows]:
        for col, (start, end) in enumerate(spans):
            if col in (2, 3):
                assert line[end - 1] != " " and line[end] == " "
            else:
                assert line[start] != " " and (start == 0 or line[start - 1] == " ")
    assert "(4, 5)" in rows[2] and f"{report['b'].max_abs_err:.2e}" in rows[1]
    assert summary == "2 of 3 parameters match autodiff (rtol=1e-07, atol=1e-09)"


def test_to_markdown_is_a_pipe_table():
    md = compare_grads(forward, mse, hand_written(bias_axis=1), params=PARAMS).to_markdown()
    lines = md.splitlines()
    assert lines[0] == "| parameter | shape | max abs err | max rel err | result |"
    assert lines[1].startswith("|---")
    assert lines[2].startswith("| `W` | (3, 2) |") and lines[2].endswith("| ok |")
    assert lines[3].endswith("| FAIL |")
    assert lines[-1].startswith("1 of 2 parameters match")


def test_report_lookup_of_an_unknown_name():
    report = compare_grads(forward, mse, hand_written(), params=PARAMS)
    with pytest.raises(KeyError, match="no parameter named 'c'"):
        report["c"]
