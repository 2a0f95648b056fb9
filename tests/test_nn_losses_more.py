"""The losses of issue 18 (L1 ... PoissonNLL), F.normalize / cosine_similarity /
pairwise_distance and Bilinear, against PyTorch: values, gradients of every float argument
and Hessian-vector products, for each reduction; gradcheck / gradgradcheck in float64 over
Hypothesis-drawn shapes and values; argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.nn import functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _normal(*shape):
    return RNG.normal(size=shape)


def _signs(n):
    return np.where(RNG.random(n) < 0.5, -1.0, 1.0)


# name, arguments (arrays: float ones are differentiated), keyword arguments
CASES = [
    ("l1_loss", lambda: [_normal(3, 4), _normal(3, 4)], {}),
    ("smooth_l1_loss", lambda: [_normal(3, 4), _normal(3, 4)], {"beta": 0.7}),
    ("smooth_l1_loss", lambda: [_normal(3, 4), _normal(3, 4)], {"beta": 0.0}),
    ("huber_loss", lambda: [_normal(3, 4), _normal(3, 4)], {"delta": 0.8}),
    ("kl_div", lambda: [np.log(RNG.dirichlet(np.ones(5), 3)), RNG.dirichlet(np.ones(5), 3)],
     {}),
    ("kl_div", lambda: [np.log(RNG.dirichlet(np.ones(5), 3)),
                        np.log(RNG.dirichlet(np.ones(5), 3))], {"log_target": True}),
    ("cosine_embedding_loss", lambda: [_normal(6, 4), _normal(6, 4), _signs(6)],
     {"margin": 0.1}),
    ("cosine_embedding_loss", lambda: [_normal(4), _normal(4), np.array(-1.0)], {}),
    ("margin_ranking_loss", lambda: [_normal(7), _normal(7), _signs(7)], {"margin": 0.3}),
    ("triplet_margin_loss", lambda: [_normal(5, 3), _normal(5, 3), _normal(5, 3)],
     {"margin": 0.9}),
    ("triplet_margin_loss", lambda: [_normal(5, 3), _normal(5, 3), _normal(5, 3)],
     {"p": 1.5, "swap": True}),
    ("triplet_margin_loss", lambda: [_normal(4), _normal(4), _normal(4)], {"p": np.inf}),
    ("gaussian_nll_loss", lambda: [_normal(4, 3), _normal(4, 3), RNG.random((4, 3)) + 0.1], {}),
    ("gaussian_nll_loss", lambda: [_normal(4, 3), _normal(4, 3), RNG.random(4) + 0.1],
     {"full": True}),
    ("gaussian_nll_loss", lambda: [_normal(4, 3), _normal(4, 3), RNG.random((4, 1)) + 0.1], {}),
    ("poisson_nll_loss", lambda: [_normal(3, 4), RNG.poisson(2.0, (3, 4)).astype(float)], {}),
    ("poisson_nll_loss", lambda: [RNG.random((3, 4)) + 0.1,
                                  RNG.poisson(2.0, (3, 4)).astype(float)],
     {"log_input": False, "full": True}),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _call(module, name, arrays, kwargs, reduction, differentiate):
    """Run the loss in tinygrad_np or PyTorch; returns the loss and the (requires-grad)
    arguments."""
    if module is tg:
        args = [tg.tensor(a, requires_grad=differentiate) for a in arrays]
        fn = getattr(F, name)
    else:
        args = [torch.tensor(a, requires_grad=differentiate) for a in arrays]
        fn = getattr(TF, name)
    if name in ("cosine_embedding_loss", "margin_ranking_loss"):
        args[2].requires_grad_(False)  # a label
    return fn(*args, **kwargs, reduction=reduction), args


@pytest.mark.filterwarnings("ignore:.*'mean' divides the total loss")  # kl_div's, both
@pytest.mark.parametrize("name,make,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_value_gradient_and_hvp_match_pytorch(name, make, kwargs, reduction):
    arrays = make()
    ours, args = _call(tg, name, arrays, kwargs, reduction, True)
    theirs, targs = _call(torch, name, arrays, kwargs, reduction, True)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    wrt = [a for a in args if a.requires_grad]
    twrt = [a for a in targs if a.requires_grad]
    weights = RNG.normal(size=ours.shape)  # a random cotangent, also for 'none'
    grads = tg.grad((ours * tg.tensor(weights)).sum(), wrt, create_graph=True)
    tgrads = torch.autograd.grad((theirs * torch.tensor(weights)).sum(), twrt,
                                 create_graph=True)
    for g, tgr in zip(grads, tgrads):
        _compare(name, g.detach().numpy(), tgr.detach().numpy(), 1e-10, 1e-12)
    # Hessian-vector product: d/dx of (grad . v).
    vs = [RNG.normal(size=a.shape) for a in wrt]
    dot = sum((g * tg.tensor(v)).sum() for g, v in zip(grads, vs) if g.requires_grad)
    tdot = sum((g * torch.tensor(v)).sum() for g, v in zip(tgrads, vs) if g.requires_grad)
    if not isinstance(dot, int):
        hv = tg.grad(dot, wrt, allow_unused=True)
        thv = torch.autograd.grad(tdot, twrt, allow_unused=True)
        for h, th in zip(hv, thv):
            h = np.zeros(1) if h is None else h.numpy()
            th = np.zeros(1) if th is None else th.numpy(force=True)
            _compare(name, h + np.zeros_like(th), th + np.zeros_like(h), 1e-9, 1e-11)


def _compare(name, ours, theirs, rtol, atol):
    if name == "poisson_nll_loss":
        # PyTorch's target gradient with full=True is NaN at a target <= 1 (its Stirling
        # term, masked there, still backpropagates 0 * inf); ours is the masked term's 0.
        assert np.isfinite(ours).all()
        ours = np.where(np.isnan(theirs), np.nan, ours)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


# ---- gradcheck / gradgradcheck over Hypothesis-drawn shapes and values ------------------------
OFF = 0.0371  # moves the kinks (input = target, margins) off the values Hypothesis likes


def _draw(data, shape, domain="real"):
    from tinygrad_np.testing import strategies as tst
    return data.draw(tst.tensors(shape, domain=domain))


GRAD_CASES = {
    "l1_loss": (lambda x, t: F.l1_loss(x, t + OFF), ["real", "real"]),
    "smooth_l1_loss": (lambda x, t: F.smooth_l1_loss(x, t + OFF, beta=0.61), ["real", "real"]),
    "huber_loss": (lambda x, t: F.huber_loss(x, t + OFF, delta=0.61, reduction="sum"),
                   ["real", "real"]),
    "kl_div": (lambda x, t: F.kl_div(x, t, reduction="batchmean"), ["real", "positive"]),
    "kl_div_log_target": (lambda x, t: F.kl_div(x, t, reduction="none", log_target=True),
                          ["real", "real"]),
    "cosine_embedding_loss": (lambda a, b: F.cosine_embedding_loss(
        a, b, tg.tensor(np.resize([1.0, -1.0], a.shape[0])), margin=-0.5), ["real", "real"]),
    "margin_ranking_loss": (lambda a, b: F.margin_ranking_loss(
        a.sum(1), b.sum(1), tg.tensor(np.resize([1.0, -1.0], a.shape[0])), margin=OFF),
        ["real", "real"]),
    # (p + OFF, n - OFF: distances of equal vectors sit eps = 1e-6 from the norm's kink)
    "triplet_margin_loss": (lambda a, p, n: F.triplet_margin_loss(a, p + OFF, n - OFF,
                                                                  margin=3.0 + OFF),
                            ["real", "real", "real"]),
    "triplet_margin_loss_p3_swap": (lambda a, p, n: F.triplet_margin_loss(
        a, p + OFF, n - OFF, margin=3.0 + OFF, p=3, swap=True, reduction="none"),
        ["real", "real", "real"]),
    "gaussian_nll_loss": (lambda x, t, v: F.gaussian_nll_loss(x, t, v, full=True),
                          ["real", "real", "positive"]),
    "poisson_nll_loss": (lambda x, t: F.poisson_nll_loss(x, t), ["real", "positive"]),
    "poisson_nll_loss_rate": (lambda x, t: F.poisson_nll_loss(x, t * 2, log_input=False,
                                                              full=True), ["positive", "positive"]),
    "normalize": (lambda x: F.normalize(x, p=3.0, dim=-1), ["real"]),
    "cosine_similarity": (lambda a, b: F.cosine_similarity(a, b, dim=-1), ["real", "real"]),
    "pairwise_distance": (lambda a, b: F.pairwise_distance(a, b + OFF, keepdim=True),
                          ["real", "real"]),
    "bilinear": (lambda a, b, w, c: F.bilinear(a, b, w.reshape(2, a.shape[1], b.shape[1]), c),
                 ["real", "real", "real", "real"]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
@settings(max_examples=6)
@given(n=st.integers(1, 3), d=st.integers(1, 3), data=st.data())
def test_gradcheck_and_gradgradcheck(name, n, d, data):
    fn, domains = GRAD_CASES[name]
    shapes = [(n, d)] * len(domains)
    if name == "bilinear":
        shapes = [(n, d), (n, 2), (2 * d * 2,), (2,)]
    inputs = tuple(_draw(data, s, dom) for s, dom in zip(shapes, domains))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# ---- modules, edges, distances, Bilinear, errors ------------------------------------------------
MODULES = [
    (nn.L1Loss(reduction="sum"), "L1Loss(reduction='sum')", "l1_loss", 2),
    (nn.SmoothL1Loss(beta=0.5), "SmoothL1Loss(beta=0.5)", "smooth_l1_loss", 2),
    (nn.HuberLoss(delta=2.0), "HuberLoss(delta=2.0)", "huber_loss", 2),
    (nn.KLDivLoss(reduction="batchmean", log_target=True),
     "KLDivLoss(reduction='batchmean', log_target=True)", "kl_div", 2),
    (nn.CosineEmbeddingLoss(0.2), "CosineEmbeddingLoss(0.2)", "cosine_embedding_loss", 3),
    (nn.MarginRankingLoss(0.1), "MarginRankingLoss(0.1)", "margin_ranking_loss", 3),
    (nn.TripletMarginLoss(swap=True), "TripletMarginLoss(swap=True)", "triplet_margin_loss", 3),
    (nn.GaussianNLLLoss(full=True), "GaussianNLLLoss(full=True)", "gaussian_nll_loss", 3),
    (nn.PoissonNLLLoss(log_input=False), "PoissonNLLLoss(log_input=False)", "poisson_nll_loss",
     2),
]


@pytest.mark.filterwarnings("ignore:size_average and reduce")
@pytest.mark.parametrize("module,call,fname,nargs", MODULES, ids=[m[1] for m in MODULES])
def test_loss_modules_match_pytorch(module, call, fname, nargs):
    tmod = eval("torch.nn." + call)  # the same constructor call in PyTorch
    assert repr(module) == repr(tmod) == type(module).__name__ + "()"
    assert list(module.state_dict()) == list(tmod.state_dict()) == []
    rows = np.random.default_rng(3)
    arrays = [rows.random((4, 3)) + 0.1 for _ in range(nargs)]
    if fname in ("cosine_embedding_loss", "margin_ranking_loss"):
        arrays[2] = np.array([1.0, -1.0, -1.0, 1.0])
        if fname == "margin_ranking_loss":
            arrays[:2] = [a[:, 0] for a in arrays[:2]]
    ours = module(*[tg.tensor(a) for a in arrays])
    theirs = tmod(*[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    # The legacy flags read as PyTorch reads them.
    if fname not in ("huber_loss", "gaussian_nll_loss"):
        assert type(module)(reduce=False).reduction == "none"
        assert type(module)(size_average=False).reduction == "sum"


def test_subgradients_at_kinks_match_pytorch():
    x = np.array([1.0, 2.0, -0.5, 0.3, 0.0])
    t = np.array([1.0, 1.5, 0.0, 0.3, 0.2])
    cases = [("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 0.5})]
    for name, kwargs in cases:
        a, ta = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        getattr(F, name)(a, tg.tensor(t), **kwargs).backward()
        getattr(TF, name)(ta, torch.tensor(t), **kwargs).backward()
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    # margin_ranking_loss exactly at its hinge: clamp(min=0) passes the gradient, as PyTorch.
    a, ta = tg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0],
                                                                   requires_grad=True)
    y = [1.0, -1.0]
    F.margin_ranking_loss(a, tg.tensor([0.5, 1.5]), tg.tensor(y), margin=0.5).backward()
    TF.margin_ranking_loss(ta, torch.tensor([0.5, 1.5]), torch.tensor(y), margin=0.5).backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())


def test_kl_div_zero_target_and_reductions():
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    t = np.array([[0.0, 0.4, 0.6], [0.5, 0.5, 0.0]])  # 0 log 0 = 0
    a, ta = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = F.kl_div(a, tg.tensor(t), reduction="batchmean"), TF.kl_div(
        ta, torch.tensor(t), reduction="batchmean")
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-15)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-15)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(a, tg.tensor(t))
    with pytest.raises(ValueError, match="kl_div: reduction must be 'mean', 'batchmean'"):
        F.kl_div(a, tg.tensor(t), reduction="batch")


def test_gaussian_nll_var_clamped_like_pytorch():
    # var below eps: the value is eps, the gradient var's own (PyTorch clamps under no_grad).
    x, t = np.array([0.5, -0.2, 1.0]), np.array([0.1, 0.3, 1.2])
    v = np.array([1e-9, 0.5, 0.0])
    a, ta = tg.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    ours = F.gaussian_nll_loss(tg.tensor(x), tg.tensor(t), a, reduction="sum")
    theirs = TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), ta, reduction="sum")
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-14)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-14)
    # A float var, and var with one dim of size 1 (broadcast).
    x2, t2 = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    for var in (0.7, RNG.random((2, 1, 4)) + 0.1):
        ours = F.gaussian_nll_loss(tg.tensor(x2), tg.tensor(t2), var if isinstance(var, float)
                                   else tg.tensor(var))
        theirs = TF.gaussian_nll_loss(torch.tensor(x2), torch.tensor(t2), var if isinstance(
            var, float) else torch.tensor(var))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-14)


def test_distances_match_pytorch_also_at_tiny_vectors():
    a = np.array([[1e-9, 2e-9, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    b = np.array([[3.0, -1.0, 2.0], [0.5, 0.1, -2.0], [1.0, 1.0, 1.0]])
    calls = [
        ("normalize", lambda m, x, y: m.normalize(x, dim=1)),
        ("normalize", lambda m, x, y: m.normalize(x, p=1, dim=0)),
        ("cosine_similarity", lambda m, x, y: m.cosine_similarity(x, y)),
        ("cosine_similarity", lambda m, x, y: m.cosine_similarity(x[:, None], y, dim=-1)),
        ("pairwise_distance", lambda m, x, y: m.pairwise_distance(x, y)),
        ("pairwise_distance", lambda m, x, y: m.pairwise_distance(x, y, p=np.inf,
                                                                  keepdim=True)),
        ("pairwise_distance", lambda m, x, y: m.pairwise_distance(x[1], y[1], p=1.0)),
    ]
    for name, call in calls:
        x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = tg.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
        ours, theirs = call(F, x, y), call(TF, tx, ty)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                                   atol=1e-15, err_msg=name)
        w = RNG.normal(size=ours.shape)
        (ours * tg.tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        for g, tgr in ((x.grad, tx.grad), (y.grad, ty.grad)):
            if tgr is not None:
                np.testing.assert_allclose(g.numpy(), tgr.numpy(), rtol=1e-9, atol=1e-12,
                                           err_msg=name)


def test_bilinear_init_state_dict_and_values_match_pytorch():
    tg.manual_seed(0)
    layer = nn.Bilinear(40, 3, 500)
    tlayer = torch.nn.Bilinear(40, 3, 500)
    assert repr(tlayer) == "Bilinear(in1_features=40, in2_features=3, out_features=500, bias=True)"
    assert repr(layer) == repr(tlayer) + "  # 60,500 params"
    assert [(k, tuple(v.shape)) for k, v in layer.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tlayer.state_dict().items()]
    w = layer.weight.detach().numpy()
    bound = 1 / np.sqrt(40)  # U(-1/sqrt(in1), 1/sqrt(in1)), for the bias too
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.02)
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    layer.double()
    tlayer.double().load_state_dict({k: torch.tensor(v.numpy())
                                     for k, v in layer.state_dict().items()})
    x1, x2 = RNG.normal(size=(2, 5, 40)), RNG.normal(size=(2, 5, 3))
    ours, theirs = layer(tg.tensor(x1), tg.tensor(x2)), tlayer(torch.tensor(x1),
                                                              torch.tensor(x2))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), tlayer.weight.grad.numpy(),
                               rtol=1e-12, atol=1e-12)
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None


def test_bad_arguments_raise_naming_the_function():
    x = tg.randn(3, 4)
    checks = [
        (lambda: F.l1_loss(x, tg.randn(4)), ValueError, r"l1_loss: target shape \(4,\) differs"),
        (lambda: F.l1_loss(x, x, reduction="avg"), ValueError, "l1_loss: reduction must be"),
        (lambda: F.smooth_l1_loss(x, x, beta=-1), ValueError, "smooth_l1_loss: beta must be"),
        (lambda: F.huber_loss(x, x, delta=0), ValueError, "huber_loss: delta must be positive"),
        (lambda: F.cosine_embedding_loss(x, x, tg.tensor([1, 0, 1])), ValueError,
         "cosine_embedding_loss: target must hold 1"),
        (lambda: F.cosine_embedding_loss(x, x, tg.ones(4)), ValueError,
         r"cosine_embedding_loss: target shape \(4,\) must be \(3,\)"),
        (lambda: F.margin_ranking_loss(x, x, tg.ones(3)), ValueError,
         "margin_ranking_loss: input1, input2 and target must have the same number"),
        (lambda: F.triplet_margin_loss(x, x, x[0]), ValueError,
         "triplet_margin_loss: anchor, positive and negative"),
        (lambda: F.triplet_margin_loss(x, x, x, margin=0), ValueError, "margin must be greater"),
        (lambda: F.gaussian_nll_loss(x, x, tg.ones(2)), ValueError,
         r"gaussian_nll_loss: var of shape \(2,\) does not fit"),
        (lambda: F.gaussian_nll_loss(x, x, -tg.ones(3)), ValueError, "var has negative"),
        (lambda: F.gaussian_nll_loss(x, x, -1.0), ValueError, "var must be non-negative"),
        (lambda: F.pairwise_distance(x, x, p=0.5), ValueError, "pairwise_distance: p must be"),
        (lambda: F.cosine_similarity(x, tg.randn(2, 4)), ValueError, "do not broadcast"),
        (lambda: F.bilinear(x, x, tg.randn(2, 4, 5)), ValueError,
         r"bilinear: inputs of shapes \(3, 4\) and \(3, 4\) do not fit weight"),
        (lambda: nn.KLDivLoss(reduction="avg"), ValueError, "KLDivLoss: reduction must be"),
        (lambda: nn.L1Loss(reduction="avg"), ValueError, "L1Loss: reduction must be"),
        (lambda: nn.Bilinear(2, -1, 3), ValueError, "Bilinear: in2_features must be"),
    ]
    for call, kind, message in checks:
        with pytest.raises(kind, match=message):
            call()
