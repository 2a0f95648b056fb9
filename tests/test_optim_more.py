"""Adagrad, Adadelta, Adamax, NAdam and RAdam step for step against PyTorch's (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")

CONFIGS = [
    ("Adagrad", {}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                                  "initial_accumulator_value": 0.2}),
    ("Adagrad", {"maximize": True}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.05}),
    ("Adadelta", {"maximize": True, "eps": 1e-4}),
    ("Adamax", {}), ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adamax", {"maximize": True}),
    ("NAdam", {}), ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                       enumerate(CONFIGS)])
def test_steps_match_pytorch(name, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(3, 2), (2,), ()]
    init = [rng.standard_normal(s) for s in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt = getattr(tg.optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    # PyTorch keeps NAdam's running product of momenta in its default dtype (float32 unless
    # changed); ours is a Python float, so compare with PyTorch's float64 default.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _steps(ours, theirs, opt, topt, shapes, rng)
    finally:
        torch.set_default_dtype(previous)
    state = opt.state_dict()
    opt2 = getattr(tg.optim, name)([tg.tensor(a, requires_grad=True) for a in init], **kwargs)
    opt2.load_state_dict(state)
    assert opt2.state_dict()["param_groups"] == state["param_groups"]


def _steps(ours, theirs, opt, topt, shapes, rng):
    for step in range(8):
        grads = [rng.standard_normal(s) * (step + 1) for s in shapes]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad, tp.grad = tg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(np.asarray(p), tp.detach().numpy(), rtol=1e-13,
                                       atol=1e-15)


def test_bad_hyperparameters_are_refused():
    p = [tg.ones(2, requires_grad=True)]
    with pytest.raises(ValueError, match="Adagrad: invalid lr=-1"):
        tg.optim.Adagrad(p, lr=-1)
    with pytest.raises(ValueError, match="Adadelta: invalid rho=2"):
        tg.optim.Adadelta(p, rho=2)
    with pytest.raises(ValueError, match="Adamax: betas must be a pair"):
        tg.optim.Adamax(p, betas=0.9)
