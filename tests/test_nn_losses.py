"""Losses: gradcheck under Hypothesis, closed forms, extreme logits, PyTorch, target errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.primitives import nn_ops
from tinygrad_np.nn import functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

dims = st.integers(1, 4)
seeds = st.integers(0, 2**16)
reductions = st.sampled_from(["mean", "sum", "none"])


def rng_of(seed):
    return np.random.default_rng(seed)


def leaf(x):
    return tg.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


# ---- gradcheck ------------------------------------------------------------------------------
@given(n=dims, c=st.integers(2, 4), reduction=reductions, smoothing=st.sampled_from([0, 0.3]),
       weighted=st.booleans(), seed=seeds)
def test_cross_entropy_gradcheck_with_class_indices(n, c, reduction, smoothing, weighted, seed):
    rng = rng_of(seed)
    target = rng.integers(0, c, n)
    target[0] = -100 if n > 1 else target[0]  # one ignored sample
    weight = rng.uniform(0.5, 2, c) if weighted else None
    loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing)
    assert gradcheck(lambda x: loss(x, target), (leaf(rng.standard_normal((n, c))),))


@settings(max_examples=15)
@given(n=dims, c=st.integers(2, 3), d=st.integers(1, 2), reduction=reductions, seed=seeds)
def test_cross_entropy_gradcheck_with_probabilities_and_spatial_dims(n, c, d, reduction, seed):
    rng = rng_of(seed)
    probs = leaf(rng.dirichlet(np.ones(c), (n, d)).transpose(0, 2, 1))  # (N, C, d)
    logits = leaf(rng.standard_normal((n, c, d)))
    fn = lambda x, p: F.cross_entropy(x, p, reduction=reduction, label_smoothing=0.1)
    assert gradcheck(fn, (logits, probs))  # the target probabilities are differentiable too


@given(n=dims, c=st.integers(2, 4), reduction=reductions, weighted=st.booleans(), seed=seeds)
def test_nll_loss_gradcheck(n, c, reduction, weighted, seed):
    rng = rng_of(seed)
    target = rng.integers(0, c, n)
    weight = rng.uniform(0.5, 2, c) if weighted else None
    loss = nn.NLLLoss(weight=weight, reduction=reduction)
    assert gradcheck(lambda x: loss(x.log_softmax(1), target),
                     (leaf(rng.standard_normal((n, c))),))


@given(rows=dims, cols=dims, reduction=reductions, seed=seeds)
def test_mse_loss_gradcheck(rows, cols, reduction, seed):
    rng = rng_of(seed)
    loss = nn.MSELoss(reduction=reduction)
    assert gradcheck(loss, (leaf(rng.standard_normal((rows, cols))),
                            leaf(rng.standard_normal((rows, cols)))))


@given(rows=dims, cols=dims, reduction=reductions, weighted=st.booleans(), seed=seeds)
def test_bce_loss_gradcheck(rows, cols, reduction, weighted, seed):
    rng = rng_of(seed)
    weight = rng.uniform(0.5, 2, cols) if weighted else None
    loss = nn.BCELoss(weight=weight, reduction=reduction)
    probs = leaf(rng.uniform(0.05, 0.95, (rows, cols)))
    assert gradcheck(loss, (probs, leaf(rng.uniform(0, 1, (rows, cols)))))


@given(rows=dims, cols=dims, reduction=reductions, pos=st.booleans(), seed=seeds)
def test_bce_with_logits_gradcheck(rows, cols, reduction, pos, seed):
    rng = rng_of(seed)
    pos_weight = leaf(rng.uniform(0.5, 3, cols)) if pos else None
    fn = lambda x, t, *q: F.binary_cross_entropy_with_logits(
        x, t, reduction=reduction, pos_weight=q[0] if q else None)
    inputs = (leaf(rng.standard_normal((rows, cols)) * 3), leaf(rng.uniform(0, 1, (rows, cols))))
    assert gradcheck(fn, inputs + ((pos_weight,) if pos else ()))


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_fused_losses_gradgradcheck(reduction):
    rng = rng_of(0)
    x, t = leaf(rng.standard_normal((3, 4))), leaf(rng.dirichlet(np.ones(4), 3))
    ce = lambda x, t: nn_ops.CrossEntropy.apply(x, t, 1, reduction, 3.0)
    assert gradgradcheck(ce, (x, t))
    p, y = leaf(rng.uniform(0.1, 0.9, (2, 3))), leaf(rng.uniform(0, 1, (2, 3)))
    assert gradgradcheck(nn_ops.BinaryCrossEntropy.apply, (p, y))
    q = leaf(rng.uniform(0.5, 2, 3))
    assert gradgradcheck(nn_ops.BinaryCrossEntropyWithLogits.apply, (x[:2, :3] * 1, y, q))


# ---- closed forms ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradient_is_exactly_softmax_minus_onehot_over_n(dtype):
    rng = rng_of(1)
    x = tg.tensor(rng.standard_normal((7, 5)).astype(dtype), requires_grad=True)
    y = rng.integers(0, 5, 7)
    loss = F.cross_entropy(x, y)
    loss.backward()
    softmax = np.asarray(F.softmax(x.detach(), dim=1))
    onehot = np.eye(5, dtype=dtype)[y]
    assert x.grad.dtype == dtype and loss.dtype == dtype
    np.testing.assert_array_equal(np.asarray(x.grad), (softmax - onehot) / 7)
    np.testing.assert_allclose(loss.item(), -np.log(softmax[np.arange(7), y]).mean(), rtol=1e-6)


# ---- class indices: the fast path is the one-hot weights' math, bit for bit -----------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_class_indices_give_exactly_the_one_hot_weights_results(dtype, reduction, order):
    rng = rng_of(10)
    logits = np.asarray(rng.standard_normal((7, 5)) * 4, dtype=dtype, order=order)
    y = rng.integers(0, 5, 7)
    g = rng.standard_normal(7).astype(dtype) if reduction == "none" else None
    results = []
    for target in (y, np.eye(5, dtype=dtype)[y]):
        x = tg.tensor(logits, requires_grad=True)
        loss = nn_ops.CrossEntropy.apply(x, target, 1, reduction, 7.0)
        loss.backward(g)
        results.append((np.asarray(loss), np.asarray(x.grad)))
    (loss_i, grad_i), (loss_w, grad_w) = results
    assert loss_i.dtype == grad_i.dtype == dtype
    np.testing.assert_array_equal(loss_i, loss_w)
    np.testing.assert_array_equal(grad_i, grad_w)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_indices_matches_the_general_path(reduction):
    rng = rng_of(11)
    logits = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    results = []
    for kw in ({}, {"weight": np.ones(4)}):  # a class weight takes the general path
        x = leaf(logits)
        loss = F.cross_entropy(x, y, reduction=reduction, **kw)
        loss.sum().backward()
        results.append((np.asarray(loss), np.asarray(x.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_class_index_targets_of_any_integer_dtype_or_tensor():
    rng = rng_of(12)
    x = leaf(rng.standard_normal((5, 3)))
    y = np.array([0, 2, 1, 2, 0])
    expected = F.cross_entropy(x, y).item()
    for target in (y.astype(np.int32), y.astype(np.uint8), y.astype(np.uint64), tg.tensor(y)):
        assert F.cross_entropy(x, target).item() == expected
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        F.cross_entropy(x, np.array([0, 2**63 + 1, 1, 2, 0], dtype=np.uint64))


def test_changing_the_labels_after_the_forward_does_not_change_the_gradient():
    rng = rng_of(13)
    logits = rng.standard_normal((4, 3))
    y = np.array([0, 1, 2, 1])
    x = leaf(logits)
    losses = [F.cross_entropy(x, y) for _ in range(2)]
    y[:] = 2
    losses[0].backward()
    (recorded,) = tg.grad(losses[1], x, create_graph=True)
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for grad in (np.asarray(x.grad), np.asarray(recorded)):
        np.testing.assert_allclose(grad, (softmax - np.eye(3)[[0, 1, 2, 1]]) / 4, rtol=1e-14)


def test_an_ignore_index_that_is_a_class_is_still_ignored():
    rng = rng_of(14)
    x = leaf(rng.standard_normal((4, 3)))
    y = np.array([0, 1, 2, 1])
    log_probs = np.asarray(x) - np.log(np.exp(np.asarray(x)).sum(1, keepdims=True))
    loss = F.cross_entropy(x, y, ignore_index=1)
    assert loss.item() == pytest.approx(-(log_probs[0, 0] + log_probs[2, 2]) / 2, rel=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_indices_second_derivatives(reduction):
    rng = rng_of(15)
    y = np.array([0, 2, 1, 2])
    loss = lambda x: F.cross_entropy(x, y, reduction=reduction)
    assert gradgradcheck(loss, (leaf(rng.standard_normal((4, 3))),))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_second_derivatives(reduction):
    rng = rng_of(16)
    x, t = leaf(rng.standard_normal((3, 2))), leaf(rng.standard_normal((3, 2)))
    assert gradgradcheck(lambda x, t: F.mse_loss(x, t, reduction=reduction), (x, t))
    const = tg.tensor(rng.standard_normal((3, 2)))  # only the target is differentiated
    assert gradgradcheck(lambda t: F.mse_loss(const, t, reduction=reduction), (t,))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("shape", [(9, 7), (1,), (300, 7), (3, 1000)])  # incl. pairwise sums
def test_mse_mean_is_numpys_mean_exactly(dtype, shape):
    rng = rng_of(17)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    t = rng.standard_normal(shape).astype(dtype)
    loss = F.mse_loss(tg.tensor(x), tg.tensor(t))
    assert loss.dtype == dtype and loss.item() == np.square(x - t).mean()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3000), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32))
def test_mean_helper_is_numpys_mean_bit_for_bit(size, dtype, seed):
    a = (np.random.default_rng(seed).standard_normal(size) * 10.0**(seed % 7 - 3)).astype(dtype)
    ours = nn_ops._mean(a)
    assert type(ours) is np.ndarray and ours.dtype == dtype and ours[()] == a.mean()


def test_mse_gradient_is_two_residuals_over_n():
    rng = rng_of(2)
    pred = leaf(rng.standard_normal((4, 3)))
    target = rng.standard_normal((4, 3))
    F.mse_loss(pred, target).backward()
    np.testing.assert_allclose(np.asarray(pred.grad), 2 * (np.asarray(pred) - target) / 12,
                               rtol=1e-15)


def test_bce_with_logits_gradient_is_sigmoid_minus_target_over_n():
    rng = rng_of(3)
    x = leaf(rng.standard_normal(6) * 5)
    t = rng.uniform(0, 1, 6)
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(np.asarray(x.grad), (1 / (1 + np.exp(-np.asarray(x))) - t) / 6,
                               rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_are_finite_at_extreme_logits(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    x = tg.tensor(big, requires_grad=True)
    loss = F.cross_entropy(x, [1, 0])
    loss.backward()
    assert loss.item() == pytest.approx(2e4 + np.log(2) / 2, rel=1e-6)
    np.testing.assert_allclose(np.asarray(x.grad), [[0.5, -0.5, 0], [-0.5, 0.25, 0.25]], atol=1e-7)
    for probs in (False, True):
        x.grad = None
        target = np.array([[0, 1, 0], [1, 0, 0]], dtype=dtype) if probs else [1, 0]
        F.cross_entropy(x, target, label_smoothing=0.1).backward()
        assert np.isfinite(np.asarray(x.grad)).all()
    x.grad = None
    t = np.array([[0, 1, 1], [1, 0, 1]], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=np.full(3, 2, dtype=dtype),
                                              reduction="sum")
    loss.backward()
    # 1e4 per confident mistake on a negative, 2e4 (pos_weight 2) on a positive, 2 log 2 at 0.
    assert loss.item() == pytest.approx(2 * 1e4 + 2 * 2e4 + 2 * np.log(2))
    sig = np.sign(big) / 2 + 0.5  # sigmoid at -1e4, 0, 1e4
    np.testing.assert_allclose(np.asarray(x.grad), (1 + t) * sig - 2 * t)
    assert x.grad.dtype == dtype and loss.dtype == dtype
    p = tg.tensor(np.array([0.0, 1.0, 0.5], dtype=dtype), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0], dtype=dtype), reduction="none")
    np.testing.assert_allclose(np.asarray(loss), [100, 100, np.log(2)], rtol=1e-6)  # log clamped
    loss.sum().backward()
    assert np.isfinite(np.asarray(p.grad)).all()


# ---- PyTorch as the oracle ------------------------------------------------------------------
def _compare(ours, theirs, ours_inputs, torch_inputs, rtol=1e-10):
    out_a, out_b = ours(*ours_inputs), theirs(*torch_inputs)
    np.testing.assert_allclose(np.asarray(out_a), out_b.detach().numpy(), rtol=rtol, atol=1e-12)
    g = rng_of(9).standard_normal(out_a.shape)
    out_a.backward(g)
    out_b.backward(__import__("torch").tensor(g))
    for a, b in zip(ours_inputs, torch_inputs):
        if getattr(b, "requires_grad", False):
            np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=rtol, atol=1e-12)


def _pair(torch, x):
    return leaf(x), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_pytorch(reduction, smoothing, weighted):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = rng_of(4)
    w = rng.uniform(0.5, 2, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    for shape, target in (((6, 4), np.array([0, 3, -100, 2, 1, 3])),
                          ((2, 4, 3), rng.integers(0, 4, (2, 3))),
                          ((4,), np.array(2))):
        a, b = _pair(torch, rng.standard_normal(shape))
        _compare(lambda x, y=target: F.cross_entropy(x, y, weight=w, **kw),
                 lambda x, y=target: tf.cross_entropy(x, torch.tensor(y), weight=tw, **kw),
                 [a], [b])
        if shape == (4,):
            continue
        probs = np.moveaxis(rng.dirichlet(np.ones(4), (shape[0],) + shape[2:]), -1, 1)
        (a, b), (p, q) = _pair(torch, rng.standard_normal(shape)), _pair(torch, probs)
        _compare(lambda x, t: F.cross_entropy(x, t, weight=w, **kw),
                 lambda x, t: tf.cross_entropy(x, t, weight=tw, **kw), [a, p], [b, q])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_mse_bce_match_pytorch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = rng_of(5)
    target = np.array([1, -1, 0, 2])
    w = rng.uniform(0.5, 2, 3)
    a, b = _pair(torch, rng.standard_normal((4, 3)))
    _compare(lambda x: F.nll_loss(x, target, weight=w, ignore_index=-1, reduction=reduction),
             lambda x: tf.nll_loss(x, torch.tensor(target), weight=torch.tensor(w),
                                   ignore_index=-1, reduction=reduction), [a], [b])
    (a, b), (t, u) = _pair(torch, rng.standard_normal((3, 5))), _pair(torch, rng.random((3, 5)))
    _compare(lambda x, y: F.mse_loss(x, y, reduction=reduction),
             lambda x, y: tf.mse_loss(x, y, reduction=reduction), [a, t], [b, u])
    w = rng.uniform(0.5, 2, 5)
    (a, b), (t, u) = _pair(torch, rng.uniform(0.01, 0.99, (3, 5))), _pair(torch, rng.random((3, 5)))
    _compare(lambda x, y: F.binary_cross_entropy(x, y, weight=w, reduction=reduction),
             lambda x, y: tf.binary_cross_entropy(x, y, weight=torch.tensor(w),
                                                  reduction=reduction), [a, t], [b, u])
    pw = rng.uniform(0.5, 3, 5)
    (a, b), (t, u) = _pair(torch, rng.standard_normal((3, 5)) * 4), _pair(torch, rng.random((3, 5)))
    _compare(lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw,
                                                             reduction=reduction),
             lambda x, y: tf.binary_cross_entropy_with_logits(
                 x, y, weight=torch.tensor(w), pos_weight=torch.tensor(pw), reduction=reduction),
             [a, t], [b, u])


def test_loss_modules_match_pytorch_in_float32():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    rng = rng_of(6)
    x = rng.standard_normal((5, 3)).astype(np.float32) * 3
    y = rng.integers(0, 3, 5)
    t = rng.random((5, 3)).astype(np.float32)
    w = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    cases = [
        (nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, ignore_index=1),
         tnn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1, ignore_index=1), y),
        (nn.NLLLoss(), tnn.NLLLoss(), y),
        (nn.MSELoss(), tnn.MSELoss(), t),
        (nn.BCEWithLogitsLoss(pos_weight=w), tnn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)),
         t),
    ]
    for ours, theirs, target in cases:
        a = tg.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        out_a, out_b = ours(a, target), theirs(b, torch.tensor(target))
        assert out_a.dtype == np.float32 and a.dtype == np.float32
        np.testing.assert_allclose(out_a.item(), out_b.item(), rtol=1e-5, err_msg=repr(ours))
        out_a.backward()
        out_b.backward()
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-5, atol=1e-6)
    sig = 1 / (1 + np.exp(-x))
    ours, theirs = nn.BCELoss(), tnn.BCELoss()
    np.testing.assert_allclose(ours(tg.tensor(sig), t).item(),
                               theirs(torch.tensor(sig), torch.tensor(t)).item(), rtol=1e-5)


def test_loss_weights_are_buffers_in_the_state_dict():
    loss = nn.CrossEntropyLoss(weight=np.ones(3, dtype=np.float32))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=np.ones(2)).state_dict()) == ["pos_weight"]


# ---- -inf logits at classes whose target weight is zero (masked logits) ---------------------
# PyTorch never forms the term w_c log_softmax_c of a class that is not the target, nor any
# term of an ignored sample, so a -inf logit there costs nothing: no 0 * -inf = NaN. Where it
# does form the term (label smoothing, probability targets) it gives inf or NaN, and so do we.
INF = np.inf


def _against_torch(ours, theirs, x, target, reduction, probs=False):
    """ours(x, target, reduction) against PyTorch's in float64: the loss, the input's gradient
    and (for probability targets) the target's, to 1e-12 relative, with NaN and inf exactly
    where PyTorch has them. Returns our loss and input gradient."""
    torch = pytest.importorskip("torch")
    a, b = leaf(x), torch.tensor(x, requires_grad=True)
    ta, tb = (leaf(target), torch.tensor(target, requires_grad=True)) if probs else \
        (target, torch.tensor(target))
    out_a, out_b = ours(a, ta, reduction), theirs(b, tb, reduction)
    np.testing.assert_allclose(np.asarray(out_a), out_b.detach().numpy(), rtol=1e-12, atol=0)
    g = rng_of(9).uniform(0.5, 2, out_a.shape)
    out_a.backward(g)
    out_b.backward(torch.tensor(g))
    np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-12, atol=0)
    if probs:
        np.testing.assert_allclose(np.asarray(ta.grad), tb.grad.numpy(), rtol=1e-12, atol=0)
    return np.asarray(out_a), np.asarray(a.grad)


def _masked_index_cases():
    """(logits, class-index target, weight, ignore_index, ignored): -inf only at classes that
    are not the target or in ignored samples; every loss and gradient is finite."""
    x = rng_of(20).standard_normal((5, 4))
    x[:, 2] = -INF  # class 2 is disallowed everywhere: weight 0
    x[0, 1] = x[3, 0] = -INF
    weighted = (x, np.array([0, 1, 3, -100, 0]), np.array([1.0, 0.5, 0.0, 2.0]), -100,
                np.array([False, False, False, True, False]))
    y = rng_of(21).integers(0, 4, (2, 3))  # (N, C, d): spatial, no weight
    x = rng_of(22).standard_normal((2, 4, 3))
    x[np.arange(2)[:, None], (y + 1) % 4, np.arange(3)] = -INF
    spatial = (x, y, None, -100, np.zeros((2, 3), bool))
    x = np.array([[0.5, -INF, 1.0], [-INF, 0.2, -INF], [1.5, -INF, 0.0], [0.3, 0.1, -INF]])
    y = np.array([0, 1, 2, 1])  # ignore_index=1 is a class: samples 1 and 3 are ignored
    in_range = (x, y, None, 1, y == 1)
    one_sample = (np.array([0.3, -INF, 1.2, -INF]), np.array(2),
                  np.array([1.0, 0.0, 2.0, 0.0]), -100, np.array(False))
    return {"weighted": weighted, "spatial": spatial, "ignore_index_in_range": in_range,
            "one_sample": one_sample}


@pytest.mark.filterwarnings("error::RuntimeWarning")  # finite: no 0 * -inf warning either
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("case", list(_masked_index_cases()))
def test_cross_entropy_masked_logits_match_pytorch(case, reduction):
    x, y, w, ignore_index, ignored = _masked_index_cases()[case]
    torch = pytest.importorskip("torch")
    tw = None if w is None else torch.tensor(w)
    loss, grad = _against_torch(
        lambda a, t, r: F.cross_entropy(a, t, weight=w, ignore_index=ignore_index, reduction=r),
        lambda b, t, r: torch.nn.functional.cross_entropy(b, t, weight=tw,
                                                          ignore_index=ignore_index,
                                                          reduction=r),
        x, y, reduction)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    np.testing.assert_array_equal(np.moveaxis(grad, min(1, x.ndim - 1), -1)[ignored], 0)
    if reduction == "none":
        np.testing.assert_array_equal(loss[ignored], 0)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # finite: no 0 * -inf warning either
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_nll_loss_with_minus_inf_log_probs_matches_pytorch(reduction):
    torch = pytest.importorskip("torch")
    x, y, w, _, _ = _masked_index_cases()["weighted"]
    log_probs = x - np.log(np.exp(x).sum(1, keepdims=True))  # -inf where x is
    log_probs[3] = [-INF, np.nan, -INF, INF]  # an ignored sample may hold anything
    loss, grad = _against_torch(
        lambda a, t, r: F.nll_loss(a, t, weight=w, reduction=r),
        lambda b, t, r: torch.nn.functional.nll_loss(b, t, weight=torch.tensor(w),
                                                     reduction=r),
        log_probs, y, reduction)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    g = rng_of(9).uniform(0.5, 2, loss.shape)  # the gradient _against_torch fed in
    scale = g[:, None] if reduction == "none" else g / w[[0, 1, 3, 0]].sum() \
        if reduction == "mean" else g
    expected = np.zeros_like(x)  # -w[y] at each kept target, 0 elsewhere
    expected[[0, 1, 2, 4], [0, 1, 3, 0]] = -w[[0, 1, 3, 0]]
    np.testing.assert_allclose(grad, expected * scale, rtol=1e-15, atol=0)
    if reduction == "none":
        assert loss[3] == 0


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN, as torch
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("w", [[1.0, 2.0, 0.0], [0.0, 2.0, 1.0]])
def test_zero_weight_target_at_minus_inf_is_nan_like_pytorch(w, reduction):
    """PyTorch does form the target's own term: weight 0 times a -inf logit is NaN there (and
    inf with a nonzero weight); the gradient is finite all the same."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.array([[1.0, 0.0, -INF], [0.2, 0.3, 1.0], [-INF, 0.5, 2.0]])
    y = np.array([2, 0, 0])
    w = np.array(w)
    tw = torch.tensor(w)
    loss, grad = _against_torch(
        lambda a, t, r: F.cross_entropy(a, t, weight=w, reduction=r),
        lambda b, t, r: tf.cross_entropy(b, t, weight=tw, reduction=r), x, y, reduction)
    assert np.isfinite(grad).all()
    log_probs = x - np.log(np.exp(x).sum(1, keepdims=True))
    nll, _ = _against_torch(lambda a, t, r: F.nll_loss(a, t, weight=w, reduction=r),
                            lambda b, t, r: tf.nll_loss(b, t, weight=tw, reduction=r),
                            log_probs, y, reduction)
    for value in (loss, nll):
        if reduction == "none":  # NaN (weight 0) or inf in the first and last samples
            assert np.isnan(value[0]) == (w[2] == 0) and np.isnan(value[2]) == (w[0] == 0)
            assert np.isfinite(value[1])
        else:
            assert np.isnan(value)  # one of the two is NaN


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN, as torch
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_with_masked_logits_gives_pytorchs_inf_and_nan(weighted, reduction):
    """With smoothing every class of a kept sample is a target: a -inf logit makes its loss
    inf, or NaN where that class's weight is 0 (0 * -inf, as in PyTorch); an ignored sample
    still adds exactly 0, and every gradient stays finite."""
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, -INF, 0.5], [0.2, 0.3, -INF], [-INF, 1.0, 2.0], [-INF, 0.0, -INF],
                  [0.1, 0.7, -0.4]])
    y = np.array([0, 1, 2, -100, 1])
    w = np.array([1.0, 2.0, 0.0]) if weighted else None
    tw = None if w is None else torch.tensor(w)
    loss, grad = _against_torch(
        lambda a, t, r: F.cross_entropy(a, t, weight=w, label_smoothing=0.1, reduction=r),
        lambda b, t, r: torch.nn.functional.cross_entropy(b, t, weight=tw,
                                                          label_smoothing=0.1, reduction=r),
        x, y, reduction)
    assert np.isfinite(grad).all()
    np.testing.assert_array_equal(grad[3], 0)
    if reduction == "none":
        assert loss[3] == 0 and np.isfinite(loss[4])
        np.testing.assert_array_equal(loss[:3], [INF, np.nan if weighted else INF, INF])
    else:
        assert np.isnan(loss) if weighted else loss == INF


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN, as torch
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_probability_targets_at_masked_logits_match_pytorch(weighted, smoothing, reduction):
    """PyTorch forms every term for probability targets: probability 0 at a -inf logit is NaN
    (smoothing makes the probability nonzero: inf), and the target's gradient -log_softmax is
    inf there; the input's gradient is finite. We match it, NaN and inf included."""
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, -INF, 0.5], [0.2, 0.3, -INF], [-INF, 1.0, 2.0], [0.1, 0.7, -0.4]])
    p = np.array([[0.7, 0.0, 0.3], [0.5, 0.5, 0.0], [0.0, 0.4, 0.6], [0.2, 0.3, 0.5]])
    w = np.array([1.0, 2.0, 0.0]) if weighted else None
    tw = None if w is None else torch.tensor(w)
    kw = dict(weight=w, label_smoothing=smoothing)
    loss, grad = _against_torch(
        lambda a, t, r: F.cross_entropy(a, t, reduction=r, **kw),
        lambda b, t, r: torch.nn.functional.cross_entropy(b, t, reduction=r, **dict(
            kw, weight=tw)),
        x, p, reduction, probs=True)
    assert np.isfinite(grad).all()
    if reduction == "none":
        assert np.isfinite(loss[3])
        # 0 * -inf is NaN: without smoothing at each probability 0; with it only at a zero
        # weight (class 2 of sample 1); the other -inf terms make inf.
        expected = [np.nan] * 3 if not smoothing else [INF, np.nan if weighted else INF, INF]
        np.testing.assert_array_equal(loss[:3], expected)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # finite: no 0 * -inf warning either
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_masked_logits_exact_values(reduction):
    """Worked by hand: a target and one other class at equal logits, the third at -inf, give
    the loss w log 2 and the gradient w (softmax - onehot), e.g. (-1/2, 0, 1/2); an ignored
    sample adds exactly 0 and gets an exactly zero gradient row, as does a zero-weight
    target. nll_loss of the log-softmax gives the same."""
    x = np.array([[0.0, -INF, 0.0], [-INF, 5.0, -INF], [0.0, 0.0, -INF], [-INF, 0.0, 0.0]])
    y = np.array([0, -100, 1, 2])
    w = np.array([1.0, 0.0, 3.0])  # the mean divides by w[0] + w[1] + w[2] = 4
    log2 = np.log(2.0)
    per_sample = np.array([log2, 0, 0, 3 * log2])
    grad_rows = np.array([[-0.5, 0, 0.5], [0, 0, 0], [0, 0, 0], [0, 1.5, -1.5]])
    scale = {"none": 1.0, "sum": 1.0, "mean": 0.25}[reduction]
    expected = {"none": per_sample, "sum": 4 * log2, "mean": log2}[reduction]
    for loss_fn in (lambda a: F.cross_entropy(a, y, weight=w, reduction=reduction),
                    lambda a: F.nll_loss(a.log_softmax(1), y, weight=w, reduction=reduction)):
        a = leaf(x)
        loss = loss_fn(a)
        loss.backward(np.ones(loss.shape))
        np.testing.assert_allclose(np.asarray(loss), expected, rtol=1e-15, atol=0)
        np.testing.assert_allclose(np.asarray(a.grad), grad_rows * scale, rtol=1e-15, atol=0)
        np.testing.assert_array_equal(np.asarray(a.grad)[1:3], 0)
        if reduction == "none":
            np.testing.assert_array_equal(np.asarray(loss)[1:3], 0)


def test_masked_logits_raise_no_floating_point_error_and_keep_float32():
    x = np.array([[0.0, -INF, 1.0], [-INF, -INF, 2.0], [3.0, 1.0, -INF]], dtype=np.float32)
    y = np.array([2, -100, 0])
    w = np.array([1.0, 0.0, 2.0], dtype=np.float32)
    cases = (lambda a: F.cross_entropy(a, y, weight=w), lambda a: F.cross_entropy(a, y),
             lambda a: F.cross_entropy(a, np.array([2, 2, 0])),  # the plain index path
             lambda a: F.nll_loss(a.log_softmax(1), y, weight=w),
             lambda a: F.cross_entropy(a.reshape(3, 3, 1), y.reshape(3, 1)))
    for loss_fn in cases:
        a = tg.tensor(x, requires_grad=True)
        with np.errstate(invalid="raise", divide="raise", over="raise"):
            loss = loss_fn(a)
            loss.backward()
        assert loss.dtype == a.grad.dtype == np.float32
        assert np.isfinite(loss.item()) and np.isfinite(np.asarray(a.grad)).all()


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("case", list(_masked_index_cases()))
def test_masked_logits_gradcheck(case, reduction):
    """gradcheck perturbs a -inf entry too: -inf +- eps is -inf, so its numerical derivative
    is 0, as the analytic one (softmax is 0 there). The losses must be finite for that."""
    x, y, w, ignore_index, _ = _masked_index_cases()[case]
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    assert gradcheck(lambda a: F.cross_entropy(a, y, **kw), (leaf(x),))
    assert gradgradcheck(lambda a: F.cross_entropy(a, y, **kw), (leaf(x),))
    if x.ndim == 2:
        assert gradcheck(lambda a: F.nll_loss(a.log_softmax(1), y, **kw), (leaf(x),))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_masked_logits_create_graph_gives_the_same_gradient(reduction):
    x, y, w, _, _ = _masked_index_cases()["weighted"]
    for loss_fn in (lambda a: F.cross_entropy(a, y, weight=w, reduction=reduction),
                    lambda a: F.nll_loss(a.log_softmax(1), y, weight=w, reduction=reduction)):
        a, b = leaf(x), leaf(x)
        loss_fn(a).sum().backward()
        loss = loss_fn(b)
        assert np.isfinite(np.asarray(loss)).all()
        (recorded,) = tg.grad(loss.sum(), b, create_graph=True)
        assert recorded.requires_grad and np.isfinite(np.asarray(recorded)).all()
        np.testing.assert_allclose(np.asarray(recorded), np.asarray(a.grad), rtol=1e-14, atol=0)
        (second,) = tg.grad((recorded * recorded).sum(), b)
        assert np.isfinite(np.asarray(second)).all()
        np.testing.assert_array_equal(np.asarray(second)[np.isneginf(x)], 0)


# ---- a class weight that requires grad ------------------------------------------------------
def test_weight_of_probability_targets_gets_its_gradient():
    """The closed form: dloss/dw_c = -(1/N) sum_i p_ic log_softmax(x)_ic, here with N = 1
    (PyTorch gives [0.2303, 0.2254, 0.7756])."""
    x, p = np.array([[0.1, 0.5, -0.3]]), np.array([[0.2, 0.3, 0.5]])
    w = leaf([1.0, 2.0, 3.0])
    F.cross_entropy(leaf(x), tg.tensor(p), weight=w).backward()
    log_probs = x - np.log(np.exp(x).sum())
    np.testing.assert_allclose(np.asarray(w.grad), -(p * log_probs)[0], rtol=1e-14)
    np.testing.assert_allclose(np.asarray(w.grad), [0.2303, 0.2254, 0.7756], atol=5e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3), (4,)])
def test_weight_of_probability_targets_gradcheck(shape, reduction):
    rng = rng_of(30)
    dim = min(1, len(shape) - 1)
    probs = leaf(np.moveaxis(rng.dirichlet(np.ones(4), shape[:dim] + shape[dim + 1:]), -1, dim))
    inputs = (leaf(rng.standard_normal(shape)), probs, leaf(rng.uniform(0.5, 2, 4)))
    fn = lambda x, p, w: F.cross_entropy(x, p, weight=w, reduction=reduction,
                                         label_smoothing=0.1)
    assert gradcheck(fn, inputs)
    assert gradcheck(lambda w: fn(*inputs[:2], w), inputs[2:])  # the weight's alone


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_weight_of_probability_targets_matches_pytorch(smoothing, reduction):
    torch = pytest.importorskip("torch")
    rng = rng_of(31)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    for shape in ((5, 3), (2, 3, 4), (3,)):
        dim = min(1, len(shape) - 1)
        probs = np.moveaxis(rng.dirichlet(np.ones(3), shape[:dim] + shape[dim + 1:]), -1, dim)
        w = rng.uniform(0.5, 2, 3)
        _compare(lambda x, p, w: F.cross_entropy(x, p, weight=w, **kw),
                 lambda x, p, w: torch.nn.functional.cross_entropy(x, p, weight=w, **kw),
                 *zip(_pair(torch, rng.standard_normal(shape)), _pair(torch, probs),
                      _pair(torch, w)))


def test_weight_that_requires_grad_with_class_indices_raises_like_pytorch():
    """PyTorch does not differentiate the class-index losses with respect to weight: it
    refuses such a weight, and so do we instead of leaving its .grad None."""
    x, y, w = leaf(rng_of(32).standard_normal((2, 3))), np.array([0, 2]), leaf([1.0, 2.0, 3.0])
    calls = {"cross_entropy": lambda w: F.cross_entropy(x, y, weight=w),
             "nll_loss": lambda w: F.nll_loss(x, y, weight=w, reduction="none"),
             "cross_entropy ": lambda w: nn.CrossEntropyLoss(w, label_smoothing=0.1)(x, y),
             "nll_loss ": lambda w: nn.NLLLoss(w)(x, y)}
    for op, call in calls.items():
        with pytest.raises(RuntimeError, match=rf"{op.strip()}: weight requires grad.*"
                                               r"class-index targets.*weight.detach\(\)"):
            call(w)
        expected = np.asarray(call(w.data))  # without the graph: under no_grad, or detached
        np.testing.assert_array_equal(np.asarray(call(w.detach())), expected)
        with tg.no_grad():
            np.testing.assert_array_equal(np.asarray(call(w)), expected)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
        torch.nn.functional.cross_entropy(torch.tensor(np.asarray(x)), torch.tensor(y),
                                          weight=torch.tensor(np.asarray(w), requires_grad=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_weights_that_require_grad_get_exact_gradients(reduction):
    """PyTorch refuses a weight or pos_weight that requires grad here; ours get their exact
    gradients (the elementwise loss times dw, t softplus(-x) per unit of pos_weight)."""
    rng = rng_of(33)
    p, t = leaf(rng.uniform(0.1, 0.9, (3, 2))), leaf(rng.uniform(0, 1, (3, 2)))
    x, w, q = leaf(rng.standard_normal((3, 2))), leaf(rng.uniform(0.5, 2, 2)), \
        leaf(rng.uniform(0.5, 2, 2))
    assert gradcheck(lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction), (p, t, w))
    assert gradcheck(lambda x, t, w, q: F.binary_cross_entropy_with_logits(
        x, t, w, reduction, pos_weight=q), (x, t, w, q))
    F.binary_cross_entropy_with_logits(x, t, w, "sum", pos_weight=q).backward()
    softplus = np.logaddexp(0, -np.asarray(x))
    np.testing.assert_allclose(np.asarray(q.grad),
                               (np.asarray(w) * np.asarray(t) * softplus).sum(0), rtol=1e-14)


# ---- a mean over no target weight: NaN, with a zero gradient at the ignored samples ----------
def _nothing_kept_cases():
    """(logits, class-index target, weight, ignore_index, label_smoothing): every target
    ignored, or (the "zero weight" cases) the kept ones of weight 0."""
    rng = rng_of(34)
    x2, x3, x1 = rng.standard_normal((3, 4)), rng.standard_normal((2, 4, 3)), \
        rng.standard_normal(4)
    ignored = np.array([-100, -100, -100])
    return {"all ignored": (x2, ignored, None, -100, 0.0),
            "all ignored, weighted": (x2, ignored, np.array([1.0, 2.0, 0.5, 3.0]), -100, 0.0),
            "all ignored, smoothing": (x2, ignored, None, -100, 0.1),
            "ignore_index is a class": (x2, np.array([2, 2, 2]), None, 2, 0.0),
            "spatial": (x3, np.full((2, 3), -100), None, -100, 0.0),
            "one sample": (x1, np.array(-100), None, -100, 0.0),
            "zero weight": (x2, np.array([1, -100, 1]), np.array([1.0, 0.0, 2.0, 1.0]), -100,
                            0.0),
            "zero weight, spatial, smoothing": (x3, np.array([[0, 0, 3], [-100, 0, -100]]),
                                                np.array([0.0, 1.0, 1.0, 0.0]), -100, 0.2)}


def _nothing_kept_losses(y, w, ignore_index, smoothing, reduction):
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    dim = min(1, y.ndim)
    return {"cross_entropy": lambda a: F.cross_entropy(a, y, label_smoothing=smoothing, **kw),
            "nll_loss": lambda a: F.nll_loss(a.log_softmax(dim), y, **kw),
            "nll_loss of log-probabilities": lambda a: F.nll_loss(a, y, **kw)}


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN, as torch
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
@pytest.mark.parametrize("case", list(_nothing_kept_cases()))
def test_mean_over_no_target_weight_is_nan_with_zero_gradient_at_ignored_samples(case):
    """As PyTorch: the mean is 0/0 = NaN; an ignored sample's gradient is exactly 0 (PyTorch
    never forms its terms), a kept sample's (of weight 0) NaN. Without smoothing the other
    reductions are 0, and so is their gradient."""
    x, y, w, ignore_index, smoothing = _nothing_kept_cases()[case]
    dim = min(1, y.ndim)
    ignored = np.expand_dims(y == ignore_index, dim) & np.ones(x.shape, bool)
    for name, loss_fn in _nothing_kept_losses(y, w, ignore_index, smoothing, "mean").items():
        if name != "cross_entropy" and smoothing:
            continue
        a = leaf(x)
        loss = loss_fn(a)
        loss.backward()
        assert np.isnan(loss.item()), name
        np.testing.assert_array_equal(np.asarray(a.grad)[ignored], 0, err_msg=name)
        if name != "nll_loss of log-probabilities":  # a target's NaN spreads over its row
            assert np.isnan(np.asarray(a.grad)[~ignored]).all(), name
        for reduction in ("sum", "none") if not smoothing else ():  # (smoothing adds terms)
            a = leaf(x)
            loss = _nothing_kept_losses(y, w, ignore_index, smoothing, reduction)[name](a)
            loss.backward(np.ones(loss.shape))
            np.testing.assert_array_equal(np.asarray(a.grad), 0, err_msg=name)
            assert loss.sum().item() == 0, name


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN, as torch
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(_nothing_kept_cases()))
def test_mean_over_no_target_weight_matches_pytorch(case, reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, y, w, ignore_index, smoothing = _nothing_kept_cases()[case]
    kw = dict(weight=None if w is None else torch.tensor(w), ignore_index=ignore_index)
    theirs = {"cross_entropy": lambda b, t, r: tf.cross_entropy(b, t, reduction=r,
                                                                label_smoothing=smoothing, **kw),
              "nll_loss": lambda b, t, r: tf.nll_loss(b.log_softmax(min(1, y.ndim)), t,
                                                      reduction=r, **kw),
              "nll_loss of log-probabilities": lambda b, t, r: tf.nll_loss(b, t, reduction=r,
                                                                           **kw)}
    for name, ours in _nothing_kept_losses(y, w, ignore_index, smoothing, reduction).items():
        if name != "cross_entropy" and smoothing:
            continue
        _against_torch(lambda a, t, r, ours=ours: ours(a), theirs[name], x, y, reduction)


# ---- clear errors for bad targets -----------------------------------------------------------
def test_class_target_errors():
    x = tg.randn(4, 3)
    with pytest.raises(TypeError, match=r"cross_entropy: class-index targets must be integers.*"
                                        r"float32.*target.long\(\)"):
        F.cross_entropy(x, tg.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: target shape \(3,\) does not fit "
                                         r"input shape \(4, 3\).*need shape \(4,\)"):
        F.cross_entropy(x, [0, 1, 2])
    with pytest.raises(IndexError, match=r"target 3 is out of bounds for 3 classes.*\[0, 2\]"):
        F.cross_entropy(x, [0, 1, 3, 1])
    with pytest.raises(IndexError, match=r"target -2 is out of bounds"):
        nn.NLLLoss()(x, tg.tensor([0, -2, 1, 1]))
    with pytest.raises(TypeError, match="class probabilities and must be floating point"):
        F.cross_entropy(x, np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="nll_loss: class-index targets must be integers"):
        F.nll_loss(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.cross_entropy(x, [0, 1, 2, 1], weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(x, [0, 1, 2, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match="0-d"):
        F.cross_entropy(tg.tensor(1.0), [0])
    with pytest.raises(TypeError, match="expected a floating-point input"):
        F.cross_entropy(tg.tensor([[1, 2]]), [0])


def test_elementwise_target_errors():
    x = tg.randn(4, 2)
    for loss in (F.mse_loss, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape "
                                             r"\(4, 2\)"):
            loss(x, np.zeros(4, dtype=np.float32))
        with pytest.raises(TypeError, match=r"target must be floating point.*int64.*float\(\)"):
            loss(x, np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        F.binary_cross_entropy(x * 10, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="pos_weight of shape"):
        F.binary_cross_entropy_with_logits(x, np.zeros((4, 2), dtype=np.float32),
                                           pos_weight=np.ones(3))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(x, [0, 1, 0, 1], reduction="batchmean")


def test_second_derivatives_through_a_small_network():
    rng = rng_of(8)
    y = np.array([0, 2])

    def loss(x, w):
        return F.cross_entropy(F.gelu(F.linear(x, w)), y, label_smoothing=0.1)

    assert gradgradcheck(loss, (leaf(rng.standard_normal((2, 3))),
                                leaf(rng.standard_normal((3, 3)))))


def test_one_hot():
    out = F.one_hot(tg.tensor([0, 2, 1]))
    assert out.dtype == np.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(tg.tensor([[1]]), num_classes=3).shape == (1, 1, 3)
    with pytest.raises(ValueError, match=r"class values must be in \[0, 1\]"):
        F.one_hot(tg.tensor([0, 2]), num_classes=2)
    with pytest.raises(TypeError, match=r"must be integers.*\.long\(\)"):
        F.one_hot(tg.tensor([0.0]))
