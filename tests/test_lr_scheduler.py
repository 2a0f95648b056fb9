"""Learning-rate schedulers: PyTorch's lr sequences, closed forms, resuming, argument checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.optim import SGD, Adam
from tinygrad_np.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR

EPOCHS = 40

SCHEDULES = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=5, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
]
CLASSES = {"StepLR": StepLR, "ExponentialLR": ExponentialLR,
           "CosineAnnealingLR": CosineAnnealingLR}


def two_group_sgd():
    return SGD([{"params": [tg.Tensor(np.ones(2), requires_grad=True)], "lr": 0.1},
                {"params": [tg.Tensor(np.ones(3), requires_grad=True)], "lr": 0.03}])


def lr_sequence(opt, scheduler, epochs=EPOCHS):
    seq = [[g["lr"] for g in opt.param_groups]]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        seq.append(scheduler.get_last_lr())
    return seq


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_matches_pytorch_lr_sequence(name, kwargs):
    torch = pytest.importorskip("torch")
    opt = two_group_sgd()
    ours = lr_sequence(opt, CLASSES[name](opt, **kwargs))
    topt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1},
                            {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.03}])
    theirs = lr_sequence(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs))
    assert ours == theirs  # the same floating-point operations, so bit for bit


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_closed_form(name, kwargs):
    opt = two_group_sgd()
    seq = np.array(lr_sequence(opt, CLASSES[name](opt, **kwargs)))
    base = np.array([0.1, 0.03])
    for epoch, lrs in enumerate(seq):
        if name == "StepLR":
            expected = base * kwargs.get("gamma", 0.1) ** (epoch // kwargs["step_size"])
        elif name == "ExponentialLR":
            expected = base * kwargs["gamma"] ** epoch
        else:
            eta_min, t_max = kwargs.get("eta_min", 0.0), kwargs["T_max"]
            expected = eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2
        np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15,
                                   err_msg=f"epoch {epoch}")


def test_the_optimizer_uses_the_scheduled_lr():
    w = tg.Tensor(np.zeros(1), requires_grad=True)
    opt = SGD([w], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = tg.Tensor(np.ones(1))
        opt.step()
        sched.step()
    np.testing.assert_array_equal(np.asarray(w), [-(1 + 0.5 + 0.25)])
    assert opt.param_groups[0]["initial_lr"] == 1.0


def test_resume_from_state_dicts(tmp_path):
    def make():
        opt = Adam([tg.Tensor(np.ones(2), requires_grad=True)], lr=0.1)
        return opt, CosineAnnealingLR(opt, T_max=8, eta_min=1e-3)

    opt, sched = make()
    straight = lr_sequence(opt, sched, 20)

    opt, sched = make()
    first = lr_sequence(opt, sched, 7)
    tg.save({"optim": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.npz")
    ckpt = tg.load(tmp_path / "s.npz")
    opt2, sched2 = make()
    opt2.load_state_dict(ckpt["optim"])
    sched2.load_state_dict(ckpt["sched"])
    rest = lr_sequence(opt2, sched2, 13)
    assert first + rest[1:] == straight  # bit for bit


def test_last_epoch_resumes_from_initial_lr():
    opt = two_group_sgd()
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    resumed = ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert resumed.base_lrs == [0.1, 0.03]
    assert resumed.get_last_lr() == sched.get_last_lr()
    with pytest.raises(KeyError, match="needs 'initial_lr' in param_groups\\[0\\]"):
        StepLR(two_group_sgd(), step_size=2, last_epoch=4)


def test_warns_when_stepped_before_the_optimizer():
    opt = two_group_sgd()
    sched = StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()
    opt2 = two_group_sgd()
    sched2 = StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


@pytest.mark.parametrize("make, error, message", [
    (lambda o: StepLR(o, step_size=0), ValueError, "step_size must be a positive int"),
    (lambda o: StepLR(o, step_size=2.5), ValueError, "step_size must be a positive int"),
    (lambda o: StepLR(o, step_size=2, gamma=-0.1), ValueError, "invalid gamma=-0.1"),
    (lambda o: ExponentialLR(o, gamma=float("nan")), ValueError, "invalid gamma=nan"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive int"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1), ValueError, "invalid eta_min"),
    (lambda o: StepLR(o, step_size=2, last_epoch=-3), ValueError, "last_epoch must be"),
    (lambda o: StepLR(object(), step_size=2), TypeError, "expected an Optimizer"),
])
def test_invalid_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(two_group_sgd())


def test_load_state_dict_refuses_another_schedulers_state():
    opt = two_group_sgd()
    cosine = CosineAnnealingLR(opt, T_max=4)
    step = StepLR(two_group_sgd(), step_size=2)
    with pytest.raises(KeyError, match=r"unexpected entries \['T_max', 'eta_min'\]"):
        step.load_state_dict(cosine.state_dict())
    assert set(step.state_dict()) == {"base_lrs", "last_epoch", "_step_count", "_last_lr",
                                      "step_size", "gamma"}


def test_base_class_needs_get_lr():
    with pytest.raises(NotImplementedError):
        LRScheduler(two_group_sgd())
