"""Layers and activations: gradcheck under Hypothesis, closed forms, and PyTorch as oracle."""

import math
import warnings

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


def randn(seed, *shape, away_from=None):
    """float64 normal samples; `away_from` pushes values at least 0.1 from a kink."""
    x = np.random.default_rng(seed).standard_normal(shape)
    if away_from is not None:
        x = np.where(x >= away_from, x + 0.1, x - 0.1)
    return tg.tensor(x, requires_grad=True)


def module_fn(module):
    """fn(x, *params) that runs `module` with its parameters replaced by the given tensors,
    so gradcheck can perturb them. Returns (fn, float64 copies of the parameters)."""
    module.double()
    names = [name for name, _ in module.named_parameters()]
    params = [tg.tensor(np.asarray(p), requires_grad=True) for p in module.parameters()]

    def fn(x, *ps):
        original = dict(module._parameters)
        module._parameters.update(zip(names, ps))
        try:
            return module(x)
        finally:
            module._parameters.update(original)

    return fn, params


# ---- Linear ---------------------------------------------------------------------------------
@given(batch=dims, n_in=dims, n_out=dims, bias=st.booleans(), seed=seeds)
def test_linear_gradcheck(batch, n_in, n_out, bias, seed):
    fn, params = module_fn(nn.Linear(n_in, n_out, bias=bias))
    assert gradcheck(fn, (randn(seed, batch, n_in), *params))


def test_linear_forward_and_shapes():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.dtype == np.float32 and nn.Dense is nn.Linear
    x = tg.randn(5, 3)
    expected = np.asarray(x) @ np.asarray(layer.weight).T + np.asarray(layer.bias)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-6)
    assert layer(x).dtype == np.float32
    assert layer(tg.randn(4, 7, 3)).shape == (4, 7, 2)  # leading dims broadcast
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match=r"linear: input of shape \(5, 4\).*in_features = 3"):
        layer(tg.randn(5, 4))
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(2.5, 3)


def test_linear_init_matches_pytorch_bounds():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = nn.Linear(400, 300)
    theirs = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for a, b in ((np.asarray(ours.weight), theirs.weight.detach().numpy()),
                 (np.asarray(ours.bias), theirs.bias.detach().numpy())):
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() > 0.95 * bound  # the whole interval is used
    # U(-b, b) has std b / sqrt(3); both libraries draw from the same distribution.
    assert np.asarray(ours.weight).std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.asarray(ours.weight).std() == pytest.approx(theirs.weight.detach().numpy().std(),
                                                   rel=0.02)
    assert abs(np.asarray(ours.weight).mean()) < 0.01 * bound


# ---- activations ----------------------------------------------------------------------------
ACTIVATIONS = [
    (nn.ReLU(), 0.0),
    (nn.LeakyReLU(0.2), 0.0),
    (nn.Sigmoid(), None),
    (nn.Tanh(), None),
    (nn.Softmax(dim=-1), None),
    (nn.LogSoftmax(dim=0), None),
    (nn.GELU(), None),
    (nn.GELU(approximate="tanh"), None),
    (nn.Softplus(beta=2.0, threshold=1.0), 0.5),  # the switch to linear is at x = 0.5
]


@pytest.mark.parametrize("module,kink", ACTIVATIONS, ids=lambda m: repr(m))
@settings(max_examples=8)
@given(rows=dims, cols=dims, seed=seeds)
def test_activation_gradcheck(module, kink, rows, cols, seed):
    assert gradcheck(module, (randn(seed, rows, cols, away_from=kink),))


@pytest.mark.parametrize("fn", [nn_ops.Erf.apply, nn_ops.Gelu.apply, nn_ops.GeluTanh.apply,
                                lambda x: nn_ops.Softplus.apply(x, 1.5, 2.0)],
                         ids=["erf", "gelu", "gelu_tanh", "softplus"])
@settings(max_examples=5)
@given(n=dims, seed=seeds)
def test_fused_activations_gradgradcheck(fn, n, seed):
    x = randn(seed, n, 2)
    np.asarray(x)[np.abs(np.asarray(x) * 1.5 - 2.0) < 0.1] += 0.3  # keep softplus off its threshold
    assert gradgradcheck(fn, (x,))


def test_activations_match_pytorch_forward_and_grad():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    pairs = [
        (nn.ReLU(), tnn.ReLU()), (nn.LeakyReLU(0.1), tnn.LeakyReLU(0.1)),
        (nn.Sigmoid(), tnn.Sigmoid()), (nn.Tanh(), tnn.Tanh()),
        (nn.Softmax(dim=1), tnn.Softmax(dim=1)), (nn.LogSoftmax(dim=1), tnn.LogSoftmax(dim=1)),
        (nn.GELU(), tnn.GELU()), (nn.GELU("tanh"), tnn.GELU("tanh")),
        (nn.Softplus(), tnn.Softplus()), (nn.Softplus(0.5, 3.0), tnn.Softplus(0.5, 3.0)),
    ]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 7)) * 4
    x[0, :3] = [0.0, 1e4, -1e4]  # the kink and extreme values
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        for ours, theirs in pairs:
            a = tg.tensor(x.astype(dtype), requires_grad=True)
            b = torch.tensor(x.astype(dtype), requires_grad=True)
            out_a, out_b = ours(a), theirs(b)
            assert out_a.dtype == dtype, repr(ours)
            np.testing.assert_allclose(np.asarray(out_a), out_b.detach().numpy(), rtol=rtol,
                                       atol=rtol, err_msg=repr(ours))
            g = rng.standard_normal(x.shape).astype(dtype)
            out_a.backward(g)
            out_b.backward(torch.tensor(g))
            np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=rtol, atol=rtol,
                                       err_msg=repr(ours))


def test_relu_and_leaky_relu_subgradient_at_zero_like_pytorch():
    x = tg.tensor(np.zeros(2), requires_grad=True)
    F.relu(x).sum().backward()
    assert np.asarray(x.grad).tolist() == [0.0, 0.0]
    x.grad = None
    F.leaky_relu(x, 0.3).sum().backward()
    assert np.asarray(x.grad).tolist() == [0.3, 0.3]


def test_erf_is_accurate_to_an_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-7, 7, 20000), np.logspace(-300, 1, 500),
                        [0.0, 0.84375, 1.25, 1 / 0.35, 6.0, np.inf, -np.inf]])
    x = np.concatenate([x, -x])
    expected = np.array([math.erf(v) for v in x])
    got = nn_ops.erf(x)
    assert np.all(np.abs(got - expected) <= np.spacing(np.abs(expected)))
    assert np.isnan(nn_ops.erf(np.array([np.nan]))[0])


def test_gelu_and_softplus_arguments():
    x = tg.tensor(np.array([-1e4, -1.0, 0.0, 1.0, 1e4]))
    assert np.isfinite(np.asarray(F.gelu(x))).all() and np.isfinite(np.asarray(F.softplus(x))).all()
    np.testing.assert_allclose(np.asarray(F.gelu(x))[1],
                               -(1 - 0.5 * (1 + math.erf(1 / math.sqrt(2)))))
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="beta must be non-zero"):
        F.softplus(x, beta=0)


def test_softmax_without_dim_warns_and_uses_pytorchs_rule():
    x = tg.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = F.softmax(x)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.log_softmax(x, dim=0)


def test_integer_input_is_refused_clearly():
    with pytest.raises(TypeError, match="relu: expected a floating-point input.*int64"):
        F.relu(tg.tensor([1, 2]))


# ---- Dropout, Flatten, Identity -------------------------------------------------------------
def test_dropout_scales_kept_values_and_is_identity_in_eval():
    tg.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = tg.tensor(np.ones((200, 50)), requires_grad=True)
    out = layer(x)
    kept = np.asarray(out) != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    np.testing.assert_allclose(np.asarray(out)[kept], 1 / 0.75)
    out.backward(np.ones_like(np.asarray(x)))
    np.testing.assert_array_equal(np.asarray(x.grad), kept / 0.75)  # d out / d x = mask / (1 - p)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not np.asarray(F.dropout(x, 1.0)).any()
    assert F.dropout(tg.ones(3, dtype=np.float32), 0.5).dtype == np.float32
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_dropout_is_reproducible_with_manual_seed():
    x = tg.ones(10, 10)
    tg.manual_seed(3)
    a = np.asarray(F.dropout(x, 0.5))
    tg.manual_seed(3)
    b = np.asarray(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.asarray(F.dropout(x, 0.5)))


@settings(max_examples=5)
@given(n=dims, seed=seeds)
def test_dropout_gradcheck_with_a_fixed_mask(n, seed):
    def fn(x):
        tg.manual_seed(seed)  # the same mask for every evaluation
        return F.dropout(x, 0.4)

    assert gradcheck(fn, (randn(seed, n, 3),))


def test_flatten_and_identity():
    x = tg.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Identity(54, unused="x")(x) is x
    assert gradcheck(nn.Flatten(), (randn(0, 2, 3, 2),))


# ---- BatchNorm1d and LayerNorm --------------------------------------------------------------
@settings(max_examples=10)
@given(batch=st.integers(2, 4), channels=dims, length=st.sampled_from([None, 1, 3]),
       training=st.booleans(), affine=st.booleans(), seed=seeds)
def test_batchnorm1d_gradcheck(batch, channels, length, training, affine, seed):
    layer = nn.BatchNorm1d(channels, affine=affine)
    layer.train(training)
    with tg.no_grad():  # non-trivial running statistics and affine parameters
        layer.running_mean.copy_(np.random.default_rng(seed).standard_normal(channels))
        layer.running_var.copy_(np.random.default_rng(seed).uniform(0.5, 2, channels))
    fn, params = module_fn(layer)
    shape = (batch, channels) if length is None else (batch, channels, length)
    assert gradcheck(fn, (randn(seed, *shape), *params))


@settings(max_examples=10)
@given(batch=dims, shape=st.sampled_from([(3,), (2, 3), (1,)]), affine=st.booleans(),
       seed=seeds)
def test_layernorm_gradcheck(batch, shape, affine, seed):
    layer = nn.LayerNorm(shape, elementwise_affine=affine)
    fn, params = module_fn(layer)
    for p in params:  # move away from the identity affine transform
        p.data += np.random.default_rng(seed).standard_normal(p.shape)
    assert gradcheck(fn, (randn(seed, batch, *shape), *params))


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm1d_matches_pytorch_in_train_and_eval(momentum, shape):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum)
    rng = np.random.default_rng(1)
    with tg.no_grad():
        ours.weight.copy_(rng.standard_normal(3))
        ours.bias.copy_(rng.standard_normal(3))
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        a = tg.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        out_a, out_b = ours(a), theirs(b)
        assert out_a.dtype == np.float32
        np.testing.assert_allclose(np.asarray(out_a), out_b.detach().numpy(), rtol=1e-4, atol=1e-5)
        out_a.backward(g)
        out_b.backward(torch.tensor(g))
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-4, atol=1e-5)
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(np.asarray(p.grad), getattr(theirs, name).grad.numpy(),
                                       rtol=1e-4, atol=1e-5)
        ours.zero_grad()
        theirs.zero_grad()
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(np.asarray(ours.state_dict()[key]), value.numpy(), rtol=1e-5,
                                       err_msg=key)


def test_batchnorm1d_without_running_stats_and_errors():
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = tg.tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(np.asarray(layer(x)), [[-1, -1], [1, 1]], atol=1e-4)  # batch stats
    assert list(layer.state_dict()) == ["weight", "bias"]
    train = nn.BatchNorm1d(2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        train(tg.randn(1, 2))
    with pytest.raises(ValueError, match=r"has 3 channels in dim 1, expected 2"):
        train(tg.randn(4, 3))
    with pytest.raises(ValueError, match="2D.*or 3D"):
        train(tg.randn(4, 2, 3, 3))
    train.eval()
    assert train(tg.randn(1, 2)).shape == (1, 2)  # eval needs no batch statistics


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_layernorm_matches_pytorch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ours = nn.LayerNorm(shape)
    theirs = torch.nn.LayerNorm(shape)
    with tg.no_grad():
        ours.weight.copy_(rng.standard_normal(shape))
        ours.bias.copy_(rng.standard_normal(shape))
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 5) + shape).astype(np.float32) * 3
    g = rng.standard_normal(x.shape).astype(np.float32)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        a = tg.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        out_a, out_b = ours(a), theirs(b)
        np.testing.assert_allclose(np.asarray(out_a), out_b.detach().numpy(), rtol=1e-4, atol=1e-5)
        out_a.backward(g)
        out_b.backward(torch.tensor(g))
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(np.asarray(ours.weight.grad), theirs.weight.grad.numpy(),
                                   rtol=1e-4, atol=1e-4)
        ours.zero_grad()
        theirs.zero_grad()
    with pytest.raises(ValueError, match="normalized_shape"):
        ours(tg.randn(2, 5))
