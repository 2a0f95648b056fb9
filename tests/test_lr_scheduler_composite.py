"""ReduceLROnPlateau, SequentialLR and ChainedScheduler step by step against PyTorch's (issue
18), on two parameter groups: learning rates, state dicts that resume exactly, bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sched_twins import make_optimizer, resume_matches, run_side_by_side

import tinygrad_np as tg
from tinygrad_np.optim.lr_scheduler import ChainedScheduler, ReduceLROnPlateau, SequentialLR

torch = pytest.importorskip("torch")

# A composite nested first in SequentialLR steps its schedulers at construction, before any
# optimizer.step(): both libraries warn about it, as they should.
EARLY_STEP = pytest.mark.filterwarnings("ignore:.*before `?optimizer.step:UserWarning")

# A validation loss that falls, then plateaus with noise, falls again and creeps back up.
_rng = np.random.default_rng(18)
LOSS = np.concatenate([np.linspace(1.0, 0.6, 8), 0.6 + 0.01 * _rng.standard_normal(20),
                       np.linspace(0.6, 0.3, 6), 0.3 + 0.003 * np.arange(26)]).tolist()

PLATEAU = {
    "defaults": dict(),
    "max, patience 2": dict(mode="max", factor=0.5, patience=2),
    "abs, cooldown": dict(patience=0, threshold=0.01, threshold_mode="abs", cooldown=2),
    "min_lr per group": dict(patience=1, min_lr=[0.01, 0.001], factor=0.3),
    "max abs, eps": dict(mode="max", threshold_mode="abs", threshold=0.05, cooldown=1,
                         eps=1e-3, min_lr=0.02, patience=1),
    "factor 0": dict(factor=0.0, patience=3, min_lr=1e-4),
    "rel 0.05": dict(threshold=0.05, patience=2, cooldown=3, factor=0.7),
}


def metric(kw):
    sign = -1.0 if kw.get("mode") == "max" else 1.0
    return lambda i: sign * LOSS[i]


@pytest.mark.parametrize("case", PLATEAU)
def test_plateau_matches_pytorch(case):
    kw = PLATEAU[case]
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    sched = ReduceLROnPlateau(opt, **kw)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)

    def checked(i):  # the counters too, before each step
        for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
            assert getattr(sched, key) == getattr(tsched, key), (key, i)
        return metric(kw)(i)

    seen = run_side_by_side(sched, opt, tsched, topt, len(LOSS), checked)
    assert seen[-1]["lr"] != seen[0]["lr"]  # every case reduces at least once


def test_plateau_metric_as_tensor():
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    sched = ReduceLROnPlateau(opt, patience=1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, patience=1)
    for value in [1.0, 1.0, 1.0, 0.5, 0.7, 0.7, float("nan"), 0.1]:
        sched.step(tg.tensor(value))
        tsched.step(torch.tensor(value))
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert sched.num_bad_epochs == tsched.num_bad_epochs


def test_plateau_new_group():
    opt = make_optimizer(tg)
    sched = ReduceLROnPlateau(opt, patience=0, min_lr=0.05)
    opt.add_param_group({"params": [tg.zeros(1, requires_grad=True)], "lr": 1.0})
    for value in (1.0, 2.0):
        sched.step(value)
    assert sched.get_last_lr() == [0.05, 0.03, 0.1]  # a scalar min_lr covers the new group
    opt = make_optimizer(tg)
    sched = ReduceLROnPlateau(opt, patience=0, min_lr=[0.05, 0.0])
    opt.add_param_group({"params": [tg.zeros(1, requires_grad=True)], "lr": 1.0})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="ReduceLROnPlateau: the optimizer has 3"):
        sched.step(2.0)


def test_plateau_state_dict(tmp_path):
    for kw in PLATEAU.values():
        build = (lambda o, kw=kw: ReduceLROnPlateau(o, **kw))
        resume_matches(build, "sgd", len(LOSS), 31, tmp_path, metric(kw))
    # Before the first step the best is +-inf, which a checkpoint keeps too.
    resume_matches(lambda o: ReduceLROnPlateau(o, patience=1), "adam", 20, 0, tmp_path,
                   metric({}))
    resume_matches(lambda o: ReduceLROnPlateau(o, "max", patience=1), "adam", 20, 0, tmp_path,
                   metric({"mode": "max"}))


def test_plateau_epoch_argument_warns():
    sched = ReduceLROnPlateau(make_optimizer(tg))
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(1.0, epoch=5)
    assert sched.last_epoch == 5


# Scheduler lists built the same way from tinygrad_np (L = tg) or torch (L = torch).
def _sched(L):
    return L.optim.lr_scheduler


SEQUENTIAL = {
    "warm-up then exponential": (lambda L, o: [_sched(L).ConstantLR(o, factor=0.1, total_iters=5),
                                               _sched(L).ExponentialLR(o, gamma=0.9)], [5]),
    "linear then cosine": (lambda L, o: [_sched(L).LinearLR(o, start_factor=0.1, total_iters=4),
                                         _sched(L).CosineAnnealingLR(o, T_max=10,
                                                                     eta_min=0.001)], [4]),
    "three, closed forms": (lambda L, o: [
        _sched(L).LinearLR(o, start_factor=0.5, end_factor=0.9, total_iters=6),
        _sched(L).StepLR(o, step_size=3, gamma=0.5),
        _sched(L).MultiStepLR(o, milestones=[0, 2, 6], gamma=0.7)], [3, 10]),
    "no closed forms": (lambda L, o: [
        _sched(L).ConstantLR(o, factor=0.5, total_iters=3),
        _sched(L).LambdaLR(o, lambda e: 0.95 ** e + 0.01),
        _sched(L).MultiplicativeLR(o, lambda e: 0.9)], [2, 7]),
    "milestone 0": (lambda L, o: [_sched(L).ConstantLR(o, factor=0.2, total_iters=3),
                                  _sched(L).ExponentialLR(o, gamma=0.8)], [0]),
    "equal milestones": (lambda L, o: [_sched(L).ConstantLR(o, factor=0.2, total_iters=9),
                                       _sched(L).ExponentialLR(o, gamma=0.5),
                                       _sched(L).StepLR(o, step_size=2)], [3, 3]),
    "constant ends early": (lambda L, o: [_sched(L).ConstantLR(o, factor=0.3, total_iters=2),
                                          _sched(L).LinearLR(o, 0.2, 1.0, 5)], [6]),
    "cyclic then cosine": (lambda L, o: [
        _sched(L).CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
        _sched(L).CosineAnnealingLR(o, T_max=7)], [9]),
    "linear then one cycle": (lambda L, o: [
        _sched(L).LinearLR(o, start_factor=0.1, total_iters=3),
        _sched(L).OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30)], [5]),
    "chained first": (lambda L, o: [
        _sched(L).ChainedScheduler([_sched(L).ConstantLR(o, factor=0.5, total_iters=4),
                                    _sched(L).ExponentialLR(o, gamma=0.9)]),
        _sched(L).StepLR(o, step_size=2, gamma=0.5)], [8]),
}


@EARLY_STEP
@pytest.mark.parametrize("case", SEQUENTIAL)
def test_sequential_matches_pytorch(case):
    build, milestones = SEQUENTIAL[case]
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    sched = SequentialLR(opt, build(tg, opt), milestones)
    tsched = torch.optim.lr_scheduler.SequentialLR(topt, build(torch, topt), milestones)
    run_side_by_side(sched, opt, tsched, topt, 24)
    assert sched.last_epoch == tsched.last_epoch


def test_sequential_warm_up_closed_form():
    opt = make_optimizer(tg)
    s = tg.optim.lr_scheduler
    sched = SequentialLR(opt, [s.ConstantLR(opt, factor=0.1, total_iters=20),
                               s.ExponentialLR(opt, gamma=0.9)], milestones=[20])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(22):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[:20] == pytest.approx([0.01] * 20, rel=1e-12)
    assert lrs[20:] == pytest.approx([0.1, 0.09, 0.081], rel=1e-12)


CHAINED = {
    "warm-up times decay": lambda L, o: [_sched(L).ConstantLR(o, factor=0.1, total_iters=8),
                                         _sched(L).ExponentialLR(o, gamma=0.9)],
    "three": lambda L, o: [_sched(L).LinearLR(o, start_factor=0.3, total_iters=5),
                           _sched(L).MultiStepLR(o, milestones=[4, 9], gamma=0.5),
                           _sched(L).CosineAnnealingLR(o, T_max=6, eta_min=0.001)],
    "multiplicative and step": lambda L, o: [_sched(L).MultiplicativeLR(o, lambda e: 0.97),
                                             _sched(L).StepLR(o, step_size=4, gamma=0.5)],
}


@pytest.mark.parametrize("pass_optimizer", [False, True])
@pytest.mark.parametrize("case", CHAINED)
def test_chained_matches_pytorch(case, pass_optimizer):
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    if pass_optimizer:
        sched = ChainedScheduler(CHAINED[case](tg, opt), optimizer=opt)
        tsched = torch.optim.lr_scheduler.ChainedScheduler(CHAINED[case](torch, topt),
                                                           optimizer=topt)
    else:
        sched = ChainedScheduler(CHAINED[case](tg, opt))
        tsched = torch.optim.lr_scheduler.ChainedScheduler(CHAINED[case](torch, topt))
    run_side_by_side(sched, opt, tsched, topt, 20)


@EARLY_STEP
def test_composite_state_dicts(tmp_path):
    for case, (build, milestones) in SEQUENTIAL.items():
        resume_matches(lambda o, b=build, m=milestones: SequentialLR(o, b(tg, o), m), "sgd",
                       24, 6 if case != "milestone 0" else 0, tmp_path)
    for build in CHAINED.values():
        resume_matches(lambda o, b=build: ChainedScheduler(b(tg, o)), "adam", 20, 7, tmp_path)
    opt = make_optimizer(tg)
    sched = ChainedScheduler(CHAINED["three"](tg, opt))
    state = sched.state_dict()
    assert [type(s).__name__ for s in sched._schedulers] == ["LinearLR", "MultiStepLR",
                                                             "CosineAnnealingLR"]
    assert len(state["_schedulers"]) == 3 and "optimizer" not in state
    with pytest.raises(ValueError, match="one state dict per scheduler"):
        sched.load_state_dict({**state, "_schedulers": state["_schedulers"][:2]})
    with pytest.raises(KeyError, match="ChainedScheduler.load_state_dict: unexpected"):
        sched.load_state_dict({**state, "factor": 0.5})


def _two(opt):
    s = tg.optim.lr_scheduler
    return [s.ConstantLR(opt, factor=0.5), s.ExponentialLR(opt, gamma=0.9)]


def test_sequential_bad_arguments():
    opt, other = make_optimizer(tg), make_optimizer(tg)
    with pytest.raises(ValueError, match=r"SequentialLR: expects one milestone fewer than "
                                         r"schedulers, got 2 schedulers and 2 milestones"):
        SequentialLR(opt, _two(opt), milestones=[3, 5])
    with pytest.raises(ValueError, match="SequentialLR: expects at least one scheduler"):
        SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match=r"SequentialLR: schedulers\[1\].*another optimizer"):
        SequentialLR(opt, [_two(opt)[0], _two(other)[1]], milestones=[3])
    with pytest.raises(ValueError, match="SequentialLR: schedulers.0. is a ReduceLROnPlateau"):
        SequentialLR(opt, [ReduceLROnPlateau(opt), _two(opt)[0]], milestones=[3])
    with pytest.raises(TypeError, match=r"SequentialLR: schedulers\[1\] is a str"):
        SequentialLR(opt, [_two(opt)[0], "StepLR"], milestones=[3])
    with pytest.raises(ValueError, match=r"SequentialLR: milestones must be sorted.*\[5, 2\]"):
        SequentialLR(opt, _two(opt) + _two(opt)[:1], milestones=[5, 2])
    with pytest.raises(ValueError, match="SequentialLR: each milestone must be an int >= 0"):
        SequentialLR(opt, _two(opt), milestones=[2.5])
    with pytest.raises(TypeError, match="SequentialLR: milestones must be a list"):
        SequentialLR(opt, _two(opt), milestones=3)
    with pytest.raises(TypeError, match="SequentialLR: expected an Optimizer"):
        SequentialLR(_two(opt), opt, milestones=[3])


def test_chained_bad_arguments():
    opt, other = make_optimizer(tg), make_optimizer(tg)
    with pytest.raises(ValueError, match="ChainedScheduler: expects at least one scheduler"):
        ChainedScheduler([])
    with pytest.raises(ValueError, match=r"ChainedScheduler: schedulers\[0\].*another optimizer"):
        ChainedScheduler(_two(opt), optimizer=other)
    with pytest.raises(ValueError, match="ChainedScheduler: schedulers.1. is a ReduceLROnPlateau"):
        ChainedScheduler([_two(opt)[0], ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="ChainedScheduler: schedulers must be a list"):
        ChainedScheduler(_two(opt)[0])


@EARLY_STEP
def test_nested_composite_at_a_milestone():
    # PyTorch fails when SequentialLR hands over to a composite (it has no lr of its own to
    # restart from); here the error says so.
    for L in (tg, torch):
        opt = make_optimizer(L)
        s = _sched(L)
        inner = s.ChainedScheduler([s.ExponentialLR(opt, gamma=0.9)])
        sched = s.SequentialLR(opt, [s.ConstantLR(opt, factor=0.5), inner], milestones=[2])
        opt.step()
        sched.step()
        with pytest.raises(NotImplementedError, match=None if L is torch else
                           "SequentialLR cannot hand over to a ChainedScheduler"):
            sched.step()


PLATEAU_BAD = [
    (dict(factor=1.0), ValueError, "factor=1.0"),
    (dict(factor=1.5), ValueError, "factor=1.5"),
    (dict(factor=-0.1), ValueError, "factor"),
    (dict(mode="avg"), ValueError, "'avg'"),
    (dict(threshold_mode="relative"), ValueError, "'relative'"),
    (dict(threshold=-1e-3), ValueError, "threshold"),
    (dict(patience=-1), ValueError, "patience must be an int >= 0, got -1"),
    (dict(cooldown=1.5), ValueError, "cooldown"),
    (dict(min_lr=[0.1]), ValueError, "min_lr must be one number or one per parameter group"),
    (dict(min_lr=-0.1), ValueError, "min_lr"),
    (dict(eps=math.inf), ValueError, "eps"),
]


@pytest.mark.parametrize("kw, error, match", PLATEAU_BAD)
def test_plateau_bad_arguments(kw, error, match):
    with pytest.raises(error, match=match) as info:
        ReduceLROnPlateau(make_optimizer(tg), **kw)
    assert "ReduceLROnPlateau" in str(info.value)


def test_plateau_bad_metric():
    sched = ReduceLROnPlateau(make_optimizer(tg))
    with pytest.raises(TypeError, match="ReduceLROnPlateau.step: metrics must be a number"):
        sched.step("loss")
    with pytest.raises(TypeError, match="ReduceLROnPlateau: expected an Optimizer"):
        ReduceLROnPlateau([tg.zeros(1)])
