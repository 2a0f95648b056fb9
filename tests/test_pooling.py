"""Pooling (max, average, adaptive average), F.pad, F.embedding and F.dropout2d: values and
gradients against PyTorch, gradcheck and gradgradcheck in float64 over Hypothesis-drawn
kernels, strides, paddings, dilations and ceil_mode; ties and errors on purpose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TIGHT = {"atol": 1e-7, "rtol": 1e-6}
EXACT = {"atol": 1e-12, "rtol": 1e-12}
FEW = settings(max_examples=12)


@st.composite
def pool_case(draw, dilation: bool = True, small: bool = False):
    """(x, keyword arguments): distinct values (no ties, so max is differentiable) and a
    pooling geometry PyTorch accepts (padding at most half the kernel)."""
    nd = draw(st.sampled_from([1, 2]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if dilation else (1,) * nd
    # (small: at least the kernel's extent, so that no window holds only padding)
    size = tuple(max(1, d * (k - 1) + 1 - (0 if small else 2 * p))
                 + draw(st.integers(0, 2 if small else 4))
                 for k, d, p in zip(kernel, dil, padding))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size
    seed = draw(st.integers(0, 2**16))
    # A shuffled grid: values distinct and 0.05 apart, so finite differences never reorder.
    x = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.05 - 1
    kw = {"kernel_size": kernel, "stride": stride, "padding": padding,
          "ceil_mode": draw(st.booleans())}
    if dilation:
        kw["dilation"] = dil
    return x, kw


def _both(x):
    return tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _compare(out, expected, ours_x, their_x):
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **EXACT)
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(np.asarray(ours_x.grad), their_x.grad.numpy(), **EXACT)


@given(pool_case())
def test_max_pool_values_indices_and_gradient_match_torch(case):
    x, kw = case
    nd = x.ndim - 2
    ours_x, their_x = _both(x)
    expected, their_idx = (TF.max_pool1d, TF.max_pool2d)[nd - 1](their_x, return_indices=True,
                                                                 **kw)
    if np.isinf(expected.detach().numpy()).any():  # a window of padding only: refused
        with pytest.raises(ValueError, match="holds only padding"):
            (F.max_pool1d, F.max_pool2d)[nd - 1](ours_x, **kw)
        return
    out, idx = (F.max_pool1d, F.max_pool2d)[nd - 1](ours_x, return_indices=True, **kw)
    np.testing.assert_array_equal(np.asarray(idx), their_idx.numpy())
    _compare(out, expected, ours_x, their_x)


@FEW
@given(pool_case(small=True))
def test_max_pool_gradcheck_and_gradgradcheck(case):
    x, kw = case
    op = (F.max_pool1d, F.max_pool2d)[x.ndim - 3]
    xt = tg.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: op(a, **kw), (xt,), **TIGHT)
    assert gradgradcheck(lambda a: op(a, **kw), (xt,), **TIGHT)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_as_torch():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]]]])
    ours_x, their_x = _both(x)
    _compare(F.max_pool2d(ours_x, 2, stride=1), TF.max_pool2d(their_x, 2, stride=1),
             ours_x, their_x)


def test_max_pool_unbatched_and_without_grad():
    x = np.random.default_rng(0).standard_normal((3, 6, 5))
    with tg.no_grad():
        out, idx = F.max_pool2d(tg.tensor(x), 2, return_indices=True)
    expected, their_idx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(np.asarray(out), expected.numpy())
    np.testing.assert_array_equal(np.asarray(idx), their_idx.numpy())


@given(pool_case(dilation=False), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool_matches_torch(case, count_include_pad, divisor):
    x, kw = case
    nd = x.ndim - 2
    ours_x, their_x = _both(x)
    kw["count_include_pad"] = count_include_pad
    if nd == 2:
        kw["divisor_override"] = divisor
    out = (F.avg_pool1d, F.avg_pool2d)[nd - 1](ours_x, **kw)
    expected = (TF.avg_pool1d, TF.avg_pool2d)[nd - 1](their_x, **kw)
    _compare(out, expected, ours_x, their_x)


@FEW
@given(pool_case(dilation=False, small=True), st.booleans())
def test_avg_pool_gradcheck_and_gradgradcheck(case, count_include_pad):
    x, kw = case
    op = (F.avg_pool1d, F.avg_pool2d)[x.ndim - 3]
    xt = tg.tensor(x, requires_grad=True)

    def fn(a):
        return op(a, count_include_pad=count_include_pad, **kw)

    assert gradcheck(fn, (xt,), **TIGHT)
    assert gradgradcheck(fn, (xt,), **TIGHT)


@settings(max_examples=15)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4))
def test_adaptive_avg_pool_matches_torch_and_gradchecks(h, w, oh, ow):
    x = np.random.default_rng(h * 10 + w).standard_normal((2, 2, h, w))
    ours_x, their_x = _both(x)
    _compare(F.adaptive_avg_pool2d(ours_x, (oh, ow)), TF.adaptive_avg_pool2d(their_x, (oh, ow)),
             ours_x, their_x)
    ours_x, their_x = _both(x[:, :, 0])
    _compare(F.adaptive_avg_pool1d(ours_x, ow), TF.adaptive_avg_pool1d(their_x, ow),
             ours_x, their_x)
    small = tg.tensor(x[:1, :1], requires_grad=True)
    assert gradcheck(lambda a: F.adaptive_avg_pool2d(a, (oh, None)), (small,), **TIGHT)
    assert gradgradcheck(lambda a: F.adaptive_avg_pool2d(a, (oh, ow)), (small,), **TIGHT)


@st.composite
def pad_case(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    shape = (1, 2, draw(st.integers(2, 4)), draw(st.integers(2, 4)))
    low = -1 if mode == "constant" else 0
    pads = [draw(st.integers(low, 2 if mode != "reflect" else 1)) for _ in range(4)]
    value = draw(st.sampled_from([0.0, 1.5])) if mode == "constant" else None
    x = np.random.default_rng(draw(st.integers(0, 99))).standard_normal(shape)
    return x, pads, mode, value


@settings(max_examples=20)
@given(pad_case())
def test_pad_matches_torch_and_gradchecks(case):
    x, pads, mode, value = case
    ours_x, their_x = _both(x)
    kw = {"mode": mode} if value is None else {"mode": mode, "value": value}
    _compare(F.pad(ours_x, pads, **kw), TF.pad(their_x, pads, **kw), ours_x, their_x)
    xt = tg.tensor(x[:, :1], requires_grad=True)
    assert gradcheck(lambda a: F.pad(a, pads, **kw), (xt,), **TIGHT)
    assert gradgradcheck(lambda a: F.pad(a, pads, **kw), (xt,), **TIGHT)


@settings(max_examples=15)
@given(st.integers(1, 5), st.sampled_from([None, 0, -1]), st.integers(0, 99))
def test_embedding_matches_torch_and_gradchecks(num, padding_idx, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((num, 3))
    idx = rng.integers(0, num, (2, 4))
    ours_w, their_w = _both(w)
    _compare(F.embedding(idx, ours_w, padding_idx=padding_idx),
             TF.embedding(torch.tensor(idx), their_w, padding_idx=padding_idx), ours_w, their_w)
    wt = tg.tensor(w, requires_grad=True)

    def fn(a):  # (padding_idx's zero gradient is by design, not a derivative: checked above)
        return F.embedding(idx, a) ** 2

    assert gradcheck(fn, (wt,), **TIGHT)
    assert gradgradcheck(fn, (wt,), **TIGHT)


def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    tg.manual_seed(0)
    x = tg.ones(8, 16, 3, 3, requires_grad=True)
    out = F.dropout2d(x, 0.25)
    per_channel = np.asarray(out).reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1))
    assert 0.1 < (per_channel[..., 0] == 0).mean() < 0.4
    out.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(out))  # the mask times the scale
    assert F.dropout2d(x, 0.5, training=False) is x


@pytest.mark.parametrize("call, match", [
    (lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2), r"at most half"),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 2, 2), 3), r"max_pool2d: .*smaller than"),
    (lambda: F.max_pool2d(tg.zeros(4, 4), 2), r"max_pool2d: expected a 4-D input"),
    (lambda: F.avg_pool2d(tg.zeros(1, 1, 4, 4), 2, divisor_override=0), r"non-zero"),
    (lambda: F.adaptive_avg_pool2d(tg.zeros(1, 1, 4, 4), (2, 2, 2)), r"output_size"),
    (lambda: F.pad(tg.zeros(1, 1, 4, 4), (1, 2, 3)), r"even length"),
    (lambda: F.pad(tg.zeros(1, 1, 4, 4), (4, 0), mode="reflect"), r"smaller than"),
    (lambda: F.pad(tg.zeros(1, 1, 4, 4), (1, 1), mode="wrap"), r"mode must be one of"),
    (lambda: F.embedding(np.array([0, 3]), tg.zeros(3, 2)), r"index 3 is out of range"),
    (lambda: F.embedding(np.array([0.5]), tg.zeros(3, 2)), r"must be integers"),
    (lambda: F.dropout2d(tg.zeros(4, 4), 0.5), r"dropout2d: expected"),
])
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises((ValueError, TypeError, IndexError), match=match):
        call()
