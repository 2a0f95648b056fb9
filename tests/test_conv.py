"""Convolutions (conv1d, conv2d, conv_transpose1d/2d) and unfold / fold, three ways over
Hypothesis-drawn sizes, strides, paddings ('same' and 'valid' included), dilations and groups:
the forward and both first derivatives against PyTorch, gradcheck and gradgradcheck in
float64; then the errors for bad shapes."""

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
# gradgradcheck costs a double backward per element: fewer, smaller examples.
FEW = settings(max_examples=15)


@st.composite
def conv_case(draw, transposed: bool = False, small: bool = False):
    """(x, w, b or None, keyword arguments) of a 1-D or 2-D (transposed) convolution whose
    output is non-empty."""
    nd = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2 if small else 3))
    n = draw(st.integers(1, 1 if small else 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kw = {"stride": stride, "dilation": dilation, "groups": groups}
    if transposed:
        pad = tuple(draw(st.integers(0, 1)) for _ in range(nd))
        kw["padding"] = pad
        kw["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in stride)
        # Any input size works as long as the output is not empty.
        size = tuple(draw(st.integers(max(1, 2 * p // s + 1), 3 if small else 5))
                     for p, s in zip(pad, stride))
        w_shape = (groups * cg, og) + kernel
        c_in = groups * cg
    else:
        padding = draw(st.sampled_from(["ints", "same", "valid"] if stride == (1,) * nd
                                       else ["ints", "valid"]))
        pad = (tuple(draw(st.integers(0, 2)) for _ in range(nd)) if padding == "ints"
               else (0,) * nd)
        kw["padding"] = pad if padding == "ints" else padding
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(1, e - 2 * p) + draw(st.integers(0, 2 if small else 4))
                     for e, p in zip(spans, pad))
        if padding == "valid":
            size = tuple(max(s, e) for s, e in zip(size, spans))
        w_shape = (groups * og, cg) + kernel
        c_in = groups * cg
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.uniform(-1, 1, (n, c_in) + size)
    w = rng.uniform(-1, 1, w_shape)
    out_channels = w_shape[1] * groups if transposed else w_shape[0]
    b = rng.uniform(-1, 1, out_channels) if draw(st.booleans()) else None
    return x, w, b, kw


def ours(nd: int, transposed: bool):
    return {(1, False): F.conv1d, (2, False): F.conv2d, (1, True): F.conv_transpose1d,
            (2, True): F.conv_transpose2d}[nd, transposed]


def theirs(nd: int, transposed: bool):
    return {(1, False): TF.conv1d, (2, False): TF.conv2d, (1, True): TF.conv_transpose1d,
            (2, True): TF.conv_transpose2d}[nd, transposed]


def check_against_torch(case, transposed: bool) -> None:
    x, w, b, kw = case
    nd = x.ndim - 2
    args = [tg.tensor(a, requires_grad=True) for a in (x, w)]
    targs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    bias = None if b is None else tg.tensor(b, requires_grad=True)
    tbias = None if b is None else torch.tensor(b, requires_grad=True)
    out = ours(nd, transposed)(*args, bias, **kw)
    expected = theirs(nd, transposed)(*targs, tbias, **kw)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **EXACT)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    expected.backward(torch.tensor(g))
    for ours_t, their_t in zip(args + [bias], targs + [tbias]):
        if ours_t is not None:
            np.testing.assert_allclose(np.asarray(ours_t.grad), their_t.grad.numpy(), **EXACT)


@given(conv_case())
def test_conv_forward_and_gradients_match_torch(case):
    check_against_torch(case, transposed=False)


@given(conv_case(transposed=True))
def test_conv_transpose_forward_and_gradients_match_torch(case):
    check_against_torch(case, transposed=True)


def _inputs(case):
    x, w, b, kw = case
    tensors = [tg.tensor(a, requires_grad=True) for a in (x, w)]
    if b is not None:
        tensors.append(tg.tensor(b, requires_grad=True))
    return tensors, kw


@FEW
@given(conv_case(small=True))
def test_conv_gradcheck_and_gradgradcheck(case):
    tensors, kw = _inputs(case)
    op = ours(tensors[0].ndim - 2, False)

    def fn(x, w, b=None):
        return op(x, w, b, **kw)

    assert gradcheck(fn, tensors, **TIGHT)
    assert gradgradcheck(fn, tensors, **TIGHT)


@FEW
@given(conv_case(transposed=True, small=True))
def test_conv_transpose_gradcheck_and_gradgradcheck(case):
    tensors, kw = _inputs(case)
    op = ours(tensors[0].ndim - 2, True)

    def fn(x, w, b=None):
        return op(x, w, b, **kw)

    assert gradcheck(fn, tensors, **TIGHT)
    assert gradgradcheck(fn, tensors, **TIGHT)


def test_third_derivative_of_a_convolution():
    """Each backward is made of the other conv primitives, so any order is recorded: the
    third derivative of sum(conv(x, w)^2) in w, through create_graph twice, is finite-
    difference exact (checked as gradgradcheck of the gradient)."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.uniform(-1, 1, (1, 2, 4, 4)), requires_grad=True)
    w = tg.tensor(rng.uniform(-1, 1, (2, 2, 2, 2)), requires_grad=True)

    def grad_w(x, w):
        (g,) = tg.grad((F.conv2d(x, w, stride=2) ** 2).sum(), [w], create_graph=True)
        return g

    assert gradgradcheck(grad_w, (x, w), **TIGHT)


@st.composite
def unfold_case(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 2))
                 for k, d, p in zip(kernel, dilation, padding))
    c = draw(st.integers(1, 2))
    x = np.random.default_rng(draw(st.integers(0, 99))).uniform(-1, 1, (1, c) + size)
    return x, {"kernel_size": kernel, "dilation": dilation, "padding": padding,
               "stride": stride}


@settings(max_examples=10)
@given(unfold_case())
def test_unfold_and_fold_match_torch_and_gradchecks(case):
    x, kw = case
    cols = F.unfold(tg.tensor(x), **kw)
    np.testing.assert_allclose(np.asarray(cols), TF.unfold(torch.tensor(x), **kw).numpy(), **EXACT)
    back = F.fold(cols, x.shape[2:], **kw)
    np.testing.assert_allclose(np.asarray(back), TF.fold(torch.tensor(np.asarray(cols)),
                                                         x.shape[2:],
                                                  **kw).numpy(), **EXACT)
    xt = tg.tensor(x, requires_grad=True)
    ct = tg.tensor(np.asarray(cols), requires_grad=True)
    assert gradcheck(lambda a: F.unfold(a, **kw), (xt,), **TIGHT)
    assert gradgradcheck(lambda a: F.unfold(a, **kw), (xt,), **TIGHT)
    assert gradcheck(lambda a: F.fold(a, x.shape[2:], **kw), (ct,), **TIGHT)
    assert gradgradcheck(lambda a: F.fold(a, x.shape[2:], **kw), (ct,), **TIGHT)


def test_float32_and_unbatched_inputs_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 9, 8)).astype(np.float32)  # unbatched (C, H, W)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    out = F.conv2d(tg.tensor(x), tg.tensor(w), padding=1, stride=2)
    assert out.dtype == np.float32 and out.shape == (4, 5, 4)
    expected = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1, stride=2).numpy()
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: F.conv2d(tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 3, 3)), r"conv2d: .*smaller than"),
    (lambda: F.conv2d(tg.zeros(1, 3, 5, 5), tg.zeros(2, 2, 3, 3)), r"conv2d: .*3 channels"),
    (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(3, 2, 3, 3), groups=2),
     r"conv2d: .*divisible by groups=2"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), padding="full"),
     r"'same', 'valid'"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=2, padding="same"),
     r"needs stride 1"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3), stride=0), r"stride"),
    (lambda: F.conv2d(tg.zeros(1, 5, 5), tg.zeros(1, 1, 3)), r"conv2d: weight must be a 4-D"),
    (lambda: F.conv2d(tg.zeros(5, 5), tg.zeros(1, 1, 3, 3)), r"conv2d: expected a 4-D input"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(2, 1, 3, 3), tg.zeros(3)),
     r"bias must be a Tensor of shape \(2,\)"),
    (lambda: F.conv2d(tg.zeros(1, 1, 5, 5), tg.zeros(1, 1, 3, 3, dtype="float64")),
     r"conv2d: input dtype float32 differs"),
    (lambda: F.conv1d(tg.zeros(1, 2, 4), tg.zeros(1, 2, 5)), r"conv1d: .*smaller than"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 1, 3, 3), tg.zeros(1, 1, 3, 3), stride=2,
                                output_padding=2), r"output_padding"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 2, 3, 3), tg.zeros(1, 1, 3, 3)),
     r"conv_transpose2d: .*2 channels"),
    (lambda: F.fold(tg.zeros(1, 4, 5), (3, 3), 2), r"fold: .*5 columns"),
    (lambda: F.unfold(tg.zeros(1, 1, 2, 2), 3), r"unfold: .*smaller than"),
])
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
