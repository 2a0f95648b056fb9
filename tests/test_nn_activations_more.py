"""The activations, distances and nn.utils PyTorch programs use (issue 18): values, first
and second derivatives against PyTorch in float64, gradcheck/gradgradcheck, kinks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck
from tinygrad_np.testing import strategies as tst

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# name: (ours, theirs) on one tensor
ACTIVATIONS = {
    "silu": (F.silu, TF.silu), "mish": (F.mish, TF.mish), "elu": (F.elu, TF.elu),
    "elu_alpha": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    "celu": (lambda x: F.celu(x, 1.3), lambda x: TF.celu(x, 1.3)), "selu": (F.selu, TF.selu),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 0.8), lambda x: TF.hardtanh(x, -0.5, 0.8)),
    "relu6": (F.relu6, TF.relu6), "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "hardswish": (F.hardswish, TF.hardswish), "softsign": (F.softsign, TF.softsign),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink), "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "normalize": (lambda x: F.normalize(x, dim=-1), lambda x: TF.normalize(x, dim=-1)),
}
# values on the kinks and far out, where subgradients and overflow matter
EDGES = np.array([-50.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 0.8, 1.0, 3.0, 6.0, 50.0])
KINKS = [-3.0, -0.5, 0.0, 0.8, 3.0, 6.0]


def _derivatives(lib, f, x0, u, v):
    grad = tg.grad if lib is tg else torch.autograd.grad
    x = lib.tensor(x0, requires_grad=True)
    y = f(x)
    (g,) = grad((y * lib.tensor(u)).sum(), x, create_graph=True)
    h = np.zeros_like(x0)
    if g.requires_grad:
        try:
            (hh,) = grad((g * lib.tensor(v)).sum(), x, allow_unused=True)
        except RuntimeError:  # (PyTorch has no second derivative of hardsigmoid/hardswish)
            return np.array(y.tolist()), np.array(g.tolist()), None
        h = np.zeros_like(x0) if hh is None else np.array(hh.tolist())
    return np.array(y.tolist()), np.array(g.tolist()), h


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_pytorch_on_edges_to_second_order(name):
    ours, theirs = ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    x0 = np.concatenate([EDGES, rng.standard_normal(8) * 3]).reshape(4, 5)
    u, v = rng.standard_normal(x0.shape), rng.standard_normal(x0.shape)
    mine, reference = _derivatives(tg, ours, x0, u, v), _derivatives(torch, theirs, x0, u, v)
    for part, (a, b) in enumerate(zip(mine, reference)):
        if b is None:
            continue
        if part == 2:  # second derivatives only off the kinks, where they exist
            a, b = a[~np.isin(x0, KINKS)], b[~np.isin(x0, KINKS)]
        # PyTorch's celu and hardsigmoid kernels hold 1/alpha and 1/6 in float32 (their
        # float64 results differ from the formula by ~3e-8); the rest agree to rounding.
        tol = 1e-7 if name in ("celu", "hardsigmoid") else 1e-12
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=15)
@given(x=tst.tensors(tst.shapes(min_dims=1)))
def test_activation_gradchecks(name, x):
    f = ACTIVATIONS[name][0]
    # (kinked ones moved off their kinks, which the drawn values can hit: 0.8, 3, ...)
    kinked = ("hardsigmoid", "hardswish", "hardtanh", "relu6")
    g = (lambda t: f(t * 0.9 + 0.0123)) if name in kinked else f
    assert gradcheck(g, (x,)) and gradgradcheck(g, (x,))


def test_prelu_distances_and_modules_match_pytorch():
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((4, 3, 2))
    ours, theirs = tg.nn.PReLU(3).double(), torch.nn.PReLU(3).double()
    x, tx = tg.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    ours(x).pow(2).sum().backward()
    theirs(tx).pow(2).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(ours.weight.grad), theirs.weight.grad.numpy(),
                               rtol=1e-13)
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    np.testing.assert_allclose(np.asarray(F.cosine_similarity(tg.tensor(a), tg.tensor(b))),
                               TF.cosine_similarity(torch.tensor(a), torch.tensor(b)).numpy(),
                               rtol=1e-13)
    np.testing.assert_allclose(np.asarray(F.pairwise_distance(tg.tensor(a), tg.tensor(b))),
                               TF.pairwise_distance(torch.tensor(a), torch.tensor(b)).numpy(),
                               rtol=1e-13)
    for module in ("SiLU", "Mish", "SELU", "ReLU6", "Hardsigmoid", "Hardswish", "Softsign",
                   "Tanhshrink", "LogSigmoid", "ELU", "CELU", "Hardtanh"):
        y = getattr(tg.nn, module)()(tg.tensor(x0))
        ty = getattr(torch.nn, module)()(torch.tensor(x0))
        np.testing.assert_allclose(np.asarray(y), ty.numpy(), rtol=1e-13, atol=1e-15)


def test_nn_utils_match_pytorch():
    rng = np.random.default_rng(2)
    shapes = [(3, 2), (2,), (4,)]
    grads = [rng.standard_normal(s) * 3 for s in shapes]
    for norm_type in (2.0, 1.0, np.inf):
        ps = [tg.tensor(np.zeros(s), requires_grad=True) for s in shapes]
        tps = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
        for p, tp, g in zip(ps, tps, grads):
            p.grad, tp.grad = tg.tensor(g), torch.tensor(g)
        total = tg.nn.utils.clip_grad_norm_(ps, 1.5, norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type)
        assert total.item() == pytest.approx(ttotal.item(), rel=1e-13)
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(np.asarray(p.grad), tp.grad.numpy(), rtol=1e-13)
    tg.nn.utils.clip_grad_value_(ps, 0.1)
    torch.nn.utils.clip_grad_value_(tps, 0.1)
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(np.asarray(p.grad), tp.grad.numpy())
    model = tg.nn.Linear(3, 2)
    vec = tg.nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,) and vec.requires_grad
    tg.nn.utils.vector_to_parameters(tg.arange(8.0), model.parameters())
    assert model.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert model.bias.tolist() == [6.0, 7.0]


def test_module_and_parameter_containers_register_like_pytorch():
    def build(nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.heads = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.Linear(2, 1)})
                self.scales = nn.ParameterList([nn.Parameter(torch.ones(2) if nn is torch.nn
                                                             else tg.ones(2))])
                self.extra = nn.ParameterDict({"bias": nn.Parameter(
                    torch.zeros(3) if nn is torch.nn else tg.zeros(3))})

        return Net()

    ours, theirs = build(tg.nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    assert "a" in ours.heads and len(ours.heads) == 2 and ours.scales[0].shape == (2,)
    ours.heads["c"] = tg.nn.Linear(1, 1)
    assert "heads.c.weight" in ours.state_dict() and list(ours.extra) == ["bias"]
    with pytest.raises(TypeError, match="ModuleDict: 'd' must be a Module"):
        ours.heads["d"] = 3
