"""The losses PyTorch programs use beyond MSE and cross-entropy (issue 18): each module and
function against PyTorch (value, gradients, second derivatives) in float64, all reductions."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
X2 = RNG.standard_normal((4, 3))
SIGN = np.array([1.0, -1.0, -1.0, 1.0])
PROBS = np.abs(RNG.standard_normal((4, 3)))
PROBS[0, 1] = 0.0  # (0 log 0 = 0)
COUNTS = np.floor(np.abs(RNG.standard_normal((4, 3))) * 3)

# name: (module name, its kwargs, the inputs (the first ones get gradients), how many)
CASES = {
    "l1": ("L1Loss", {}, (X, Y), 2),
    "smooth_l1": ("SmoothL1Loss", {"beta": 0.7}, (X, Y), 2),
    "smooth_l1_beta0": ("SmoothL1Loss", {"beta": 0.0}, (X, Y), 2),
    "huber": ("HuberLoss", {"delta": 0.6}, (X, Y), 2),
    "kl_div": ("KLDivLoss", {}, (X, PROBS), 1),
    "kl_div_log_target": ("KLDivLoss", {"log_target": True}, (X, Y), 2),
    "poisson": ("PoissonNLLLoss", {}, (X, COUNTS), 1),
    "poisson_full": ("PoissonNLLLoss", {"log_input": False, "full": True},
                     (np.abs(X) + 0.1, COUNTS), 1),
    "gaussian": ("GaussianNLLLoss", {"full": True}, (X, Y, np.abs(X2) + 0.05), 3),
    "margin_ranking": ("MarginRankingLoss", {"margin": 0.2}, (X[:, 0], Y[:, 0], SIGN), 2),
    "cosine_embedding": ("CosineEmbeddingLoss", {"margin": 0.1}, (X, Y, SIGN), 2),
    "triplet": ("TripletMarginLoss", {"margin": 0.5}, (X, Y, X2), 3),
    "triplet_swap_p1": ("TripletMarginLoss", {"swap": True, "p": 1.0}, (X, Y, X2), 3),
}


def _run(lib, name, reduction):
    module, kwargs, inputs, n_grad = CASES[name]
    grad = tg.grad if lib is tg else torch.autograd.grad
    tensors = [lib.tensor(a, requires_grad=i < n_grad) for i, a in enumerate(inputs)]
    loss = getattr(lib.nn, module)(reduction=reduction, **kwargs)(*tensors)
    out = loss.sum()
    gs = grad(out, tensors[:n_grad], create_graph=True)
    second = sum((g * g).sum() for g in gs)
    hs = grad(second, tensors[:n_grad], allow_unused=True) if second.requires_grad else ()
    second_order = [np.zeros(a.shape) if h is None else _numbers(h)
                    for a, h in zip(inputs, list(hs) + [None] * (n_grad - len(hs)))]
    return [_numbers(loss)] + [_numbers(g) for g in gs] + second_order


def _numbers(t):
    try:
        return np.array(t.tolist())
    except RuntimeError:  # PyTorch's all-zero second derivatives may have no storage
        return np.zeros(tuple(t.shape))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", CASES)
def test_loss_matches_pytorch_to_second_order(name, reduction):
    ours, theirs = _run(tg, name, reduction), _run(torch, name, reduction)
    assert len(ours) == len(theirs)
    # (cosine similarity: PyTorch places eps differently, ~1e-10 relative apart)
    tol = 1e-9 if name == "cosine_embedding" else 1e-11
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=1e-12)


def test_kl_div_batchmean_and_bad_reductions():
    ours = tg.nn.functional.kl_div(tg.tensor(X), tg.tensor(PROBS), reduction="batchmean")
    theirs = torch.nn.functional.kl_div(torch.tensor(X), torch.tensor(PROBS),
                                        reduction="batchmean")
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-13)
    with pytest.raises(ValueError, match="l1_loss: reduction must be"):
        tg.nn.functional.l1_loss(tg.tensor(X), tg.tensor(Y), reduction="avg")
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entries"):
        tg.nn.functional.gaussian_nll_loss(tg.tensor(X), tg.tensor(Y), tg.tensor(-np.ones(3)))
