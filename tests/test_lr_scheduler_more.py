"""LambdaLR, MultiplicativeLR, MultiStepLR, ConstantLR and LinearLR epoch by epoch against
PyTorch's (issue 18), and their state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")

CASES = {
    "LambdaLR": {"lr_lambda": lambda e: 0.95 ** e + 0.01 * e},
    "MultiplicativeLR": {"lr_lambda": lambda e: 0.9 if e % 2 else 1.05},
    "MultiStepLR": {"milestones": [2, 5, 5, 9], "gamma": 0.5},
    "ConstantLR": {"factor": 0.25, "total_iters": 4},
    "LinearLR": {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 6},
}


@pytest.mark.parametrize("name", CASES)
def test_schedule_matches_pytorch(name):
    ours_p = [tg.ones(2, requires_grad=True)]
    theirs_p = [torch.ones(2, requires_grad=True)]
    opt = tg.optim.SGD([{"params": ours_p}, {"params": [tg.ones(1, requires_grad=True)],
                                             "lr": 0.3}], lr=0.1)
    topt = torch.optim.SGD([{"params": theirs_p}, {"params": [torch.ones(1, requires_grad=True)],
                                                   "lr": 0.3}], lr=0.1)
    sched = getattr(tg.optim.lr_scheduler, name)(opt, **CASES[name])
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **CASES[name])
    for _ in range(12):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)
    state = sched.state_dict()
    again = getattr(tg.optim.lr_scheduler, name)(opt, **CASES[name])
    again.load_state_dict(state)
    assert again.last_epoch == sched.last_epoch


@pytest.mark.parametrize("name", ["MultiplicativeLR", "LinearLR"])
def test_resume_with_last_epoch_matches_pytorch(name):
    # A scheduler rebuilt with last_epoch=k keeps the lr it finds (it is already epoch k's),
    # as PyTorch's does; only later steps change it.
    opt = tg.optim.SGD([tg.ones(2, requires_grad=True)], lr=0.1)
    topt = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.1)
    getattr(tg.optim.lr_scheduler, name)(opt, **CASES[name])
    getattr(torch.optim.lr_scheduler, name)(topt, **CASES[name])
    sched = getattr(tg.optim.lr_scheduler, name)(opt, last_epoch=2, **CASES[name])
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, last_epoch=2, **CASES[name])
    for _ in range(6):
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
