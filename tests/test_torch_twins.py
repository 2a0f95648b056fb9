"""The ops PyTorch programs use, run as the same code on tinygrad_np and on PyTorch (the
oracle; skipped without it): forward values, dtypes and shapes, first derivatives with a
random upstream gradient, and second derivatives (the gradient of <grad, v>), in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np.testing import strategies as tst

torch = pytest.importorskip("torch")

TWINS: dict[str, tuple[Callable[..., Any], str]] = {
    # name: (f(lib, x, params) on a tensor x of either library, x's domain)
    "log2": (lambda lib, x, p: x.log2(), "positive"),
    "log10": (lambda lib, x, p: x.log10(), "positive"),
    "log1p": (lambda lib, x, p: x.log1p(), "positive"),
    "expm1": (lambda lib, x, p: x.expm1(), "real"),
    "rsqrt": (lambda lib, x, p: x.rsqrt(), "positive"),
    "tan": (lambda lib, x, p: x.tan(), "unit"),
    "reciprocal": (lambda lib, x, p: x.reciprocal(), "nonzero"),
    "floor": (lambda lib, x, p: x.floor() * x, "any"),
    "ceil": (lambda lib, x, p: x.ceil() * x, "any"),
    "trunc": (lambda lib, x, p: x.trunc() * x, "any"),
    "round": (lambda lib, x, p: x.round() * x, "any"),
    "round_decimals": (lambda lib, x, p: x.round(decimals=1) + x, "any"),
    "cumsum": (lambda lib, x, p: x.cumsum(p["dim"]) ** 2, "real"),
    "cumprod": (lambda lib, x, p: x.cumprod(p["dim"]), "ties"),
    "norm": (lambda lib, x, p: x.norm(p["p"], p["dim"], p["keepdim"]), "real"),
    "norm_at_zero": (lambda lib, x, p: (x * 0).norm(p["p"], p["dim"]) + x.sum(), "real"),
    # Which of tied elements gets the gradient is PyTorch's implementation detail: distinct
    # values ("!") for the ops that pick elements.
    "median": (lambda lib, x, p: x.median(p["dim"]).values, "real!"),
    "median_all": (lambda lib, x, p: x.median() * x, "real!"),
    "sort": (lambda lib, x, p: x.sort(p["dim"], p["descending"]).values, "real!"),
    "topk": (lambda lib, x, p: x.topk(1, p["dim"], p["largest"]).values, "real!"),
    "movedim": (lambda lib, x, p: x.movedim(p["dim"], 0) * 2, "real"),
    "flip": (lambda lib, x, p: x.flip([p["dim"]]) * x, "real"),
    "roll": (lambda lib, x, p: x.roll(2, p["dim"]) * x, "real"),
    "repeat": (lambda lib, x, p: x.repeat(*([2] * (x.dim() + 1))) ** 2, "real"),
    "tril": (lambda lib, x, p: x.reshape(x.shape[0], -1).tril(-1) ** 2, "real"),
    "triu": (lambda lib, x, p: x.reshape(x.shape[0], -1).triu(1) ** 2, "real"),
    "split": (lambda lib, x, p: x.split(2, p["dim"])[-1] ** 2, "real"),
    "chunk": (lambda lib, x, p: x.chunk(2, p["dim"])[0] ** 2, "real"),
    "gather": (lambda lib, x, p: x.gather(p["dim"], lib.tensor(p["index"])) ** 2, "real"),
    "scatter": (lambda lib, x, p: x.scatter(p["dim"], x.argsort(p["dim"]), x.exp()) ** 2,
                "real"),  # (a permutation along dim: each place written once)
    "scatter_add": (lambda lib, x, p: x.scatter_add(p["dim"], lib.tensor(p["index"]),
                                                    x.exp()) ** 2, "real"),
    "index_select": (lambda lib, x, p: x.index_select(
        p["dim"], lib.tensor(p["index"].reshape(-1)[:3])) ** 2, "real"),
    "masked_fill": (lambda lib, x, p: x.masked_fill(x > 0.5, 2.0) * x, "real"),
    "masked_fill_": (lambda lib, x, p: (x * 1).masked_fill_(x < 0, 0.0) ** 2, "real"),
    "nan_to_num": (lambda lib, x, p: lib.log(x).nan_to_num(0.5, 9.0, -9.0) * x, "ties"),
    "t_mm": (lambda lib, x, p: lib.mm(x.reshape(x.shape[0], -1).t(),
                                      x.reshape(x.shape[0], -1)), "real"),
    "bmm": (lambda lib, x, p: x.reshape(1, x.shape[0], -1).bmm(
        x.reshape(1, x.shape[0], -1).transpose(1, 2)), "real"),
    "isnan_where": (lambda lib, x, p: lib.where(lib.isfinite(x.log()), x, -x), "ties"),
    "view_as": (lambda lib, x, p: x.view_as(x.reshape(-1)) ** 3, "real"),
    "einsum": (lambda lib, x, p: lib.einsum("...i,...j->ij", x, x.exp()), "real"),
    "einsum_implicit": (lambda lib, x, p: lib.einsum("...i,...i", x, x * x), "real"),
    "log1p_": (lambda lib, x, p: (x * 1).log1p_() ** 2, "positive"),
}


# Where PyTorch's second derivative is not the mathematical one (README, where we differ):
# ||0 x|| has second derivative 0 (PyTorch: NaN, from its x / ||x|| at 0).
FIRST_ORDER_ONLY = {"norm_at_zero"}


@st.composite
def twin_args(draw: st.DrawFn, domain: str) -> tuple[np.ndarray, dict[str, Any]]:
    x = draw(tst.arrays(draw(tst.shapes(min_dims=1, min_side=1, max_side=4)), np.float64,
                        domain=domain.rstrip("!"), unique=domain.endswith("!")))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    index = draw(tst.arrays(x.shape, np.int64, elements=st.integers(0, x.shape[dim] - 1)))
    return x, {"dim": dim, "index": index, "p": draw(st.sampled_from([1, 2, 3, "fro"])),
               "keepdim": draw(st.booleans()), "descending": draw(st.booleans()),
               "largest": draw(st.booleans())}


def _run(lib: Any, f: Callable[..., Any], x0: np.ndarray, params: dict[str, Any],
         v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grad = tg.grad if lib is tg else torch.autograd.grad
    x = lib.tensor(x0, requires_grad=True)
    y = f(lib, x, params)
    u = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)))
    (g,) = grad((y * u).sum(), x, create_graph=True)
    h = None
    if g.requires_grad:  # (a constant gradient: the second derivative is 0)
        (h,) = grad((g * lib.tensor(v)).sum(), x, allow_unused=True)
    h = np.zeros(x0.shape) if h is None else _numbers(h)
    return _numbers(y), _numbers(g), h


def _numbers(t: Any) -> np.ndarray:
    try:
        return np.array(t.tolist())
    except RuntimeError:  # PyTorch's all-zero second derivatives may have no storage
        return np.zeros(tuple(t.shape))


@pytest.mark.parametrize("name", TWINS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_twin_matches_pytorch(name: str, data: st.DataObject) -> None:
    f, domain = TWINS[name]
    x0, params = data.draw(twin_args(domain))
    v = np.random.default_rng(2).standard_normal(x0.shape)
    try:
        expected = _run(torch, f, x0, params, v)
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
            _run(tg, f, x0, params, v)
        return
    results = _run(tg, f, x0, params, v)
    if name in FIRST_ORDER_ONLY:
        np.testing.assert_array_equal(results[2], np.zeros(x0.shape))
        results, expected = results[:2], expected[:2]
    for ours, theirs, what in zip(results, expected, ("value", "gradient", "second derivative")):
        assert ours.shape == theirs.shape, what
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=what)
