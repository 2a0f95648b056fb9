"""OneCycleLR and CyclicLR batch by batch against PyTorch's (issue 18): learning rates and the
cycled momentum (SGD's momentum, Adam's beta1) of two parameter groups, state dicts that resume
exactly, and clear errors for bad arguments."""

from __future__ import annotations

import math

import pytest
from sched_twins import make_optimizer, resume_matches, run_side_by_side

import tinygrad_np as tg
from tinygrad_np.optim.lr_scheduler import CyclicLR, OneCycleLR

torch = pytest.importorskip("torch")

ONE_CYCLE = {
    "defaults": dict(max_lr=1.0, total_steps=40),
    "epochs, linear": dict(max_lr=[0.5, 2.0], epochs=4, steps_per_epoch=9, pct_start=0.25,
                           anneal_strategy="linear"),
    "three phase": dict(max_lr=0.3, total_steps=30, three_phase=True, div_factor=10.0,
                        final_div_factor=100.0),
    "momenta per group": dict(max_lr=[1.0, 0.1], total_steps=25, pct_start=0.4,
                              base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95]),
    "no momentum": dict(max_lr=0.1, total_steps=20, cycle_momentum=False),
    "three phase linear": dict(max_lr=1.0, total_steps=33, three_phase=True,
                               anneal_strategy="linear", pct_start=0.45),
    "one step": dict(max_lr=0.5, total_steps=1),
}


def total(kw):
    return kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]


@pytest.mark.parametrize("kind", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("case", ONE_CYCLE)
def test_one_cycle_matches_pytorch(case, kind):
    kw = ONE_CYCLE[case]
    opt, topt = make_optimizer(tg, kind), make_optimizer(torch, kind)
    sched = OneCycleLR(opt, **kw)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kw)
    # total_steps steps are allowed (the last one a step past the schedule's end, as in
    # PyTorch); one more raises in both.
    run_side_by_side(sched, opt, tsched, topt, total(kw))
    with pytest.raises(ValueError, match="tried to step"):
        sched.step()
    with pytest.raises(ValueError):
        tsched.step()


def test_one_cycle_endpoints():
    opt = make_optimizer(tg, "adam")
    sched = OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=12, pct_start=0.5,
                       anneal_strategy="linear")
    seq = []
    for _ in range(11):
        seq.append(sched.get_last_lr())
        opt.step()
        sched.step()
    seq.append(sched.get_last_lr())
    assert seq[0] == [1.0 / 25, 2.0 / 25]
    assert seq[5] == [1.0, 2.0]  # the peak, at step pct_start * total_steps - 1
    assert seq[-1] == pytest.approx([1.0 / 25 / 1e4, 2.0 / 25 / 1e4], rel=1e-12)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)  # momentum back at max, beta2 kept


def test_one_cycle_zero_length_phase():
    # pct_start * total_steps == 1: the warm-up is the single step 0, where PyTorch divides
    # by zero; here it is the phase's end, max_lr, and the annealing follows from there.
    with pytest.raises(ZeroDivisionError):
        torch.optim.lr_scheduler.OneCycleLR(make_optimizer(torch), max_lr=1.0, total_steps=10,
                                            pct_start=0.1)
    opt = make_optimizer(tg)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.1)
    assert sched.get_last_lr() == [1.0, 1.0]
    assert opt.param_groups[0]["momentum"] == 0.85
    low = 1.0 / 25 / 1e4
    for step in range(1, 10):
        opt.step()
        sched.step()
        expected = low + (1.0 - low) / 2.0 * (math.cos(math.pi * step / 9) + 1)
        assert sched.get_last_lr() == pytest.approx([expected] * 2, rel=1e-12)


def test_one_cycle_overrides_initial_lr_and_resumes(tmp_path):
    resume_matches(lambda o: OneCycleLR(o, max_lr=[1.0, 0.2], total_steps=30, three_phase=True),
                   "sgd", 30, 11, tmp_path)
    resume_matches(lambda o: OneCycleLR(o, max_lr=0.5, total_steps=20, anneal_strategy="linear"),
                   "adam", 20, 7, tmp_path)


def test_one_cycle_resume_with_last_epoch():
    kw = dict(max_lr=[1.0, 0.4], total_steps=20)
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    sched, tsched = OneCycleLR(opt, **kw), torch.optim.lr_scheduler.OneCycleLR(topt, **kw)
    run_side_by_side(sched, opt, tsched, topt, 6)
    # A new scheduler on the same optimizer (which holds initial_lr, max_lr, momenta)
    # continues at batch 6.
    sched = OneCycleLR(opt, last_epoch=6, **kw)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, last_epoch=6, **kw)
    run_side_by_side(sched, opt, tsched, topt, 8)


CYCLIC = {
    "triangular": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "triangular2": dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3,
                        step_size_down=5, mode="triangular2"),
    "exp_range": dict(base_lr=0.001, max_lr=0.05, step_size_up=2, step_size_down=7,
                      mode="exp_range", gamma=0.97),
    "scale_fn cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=5,
                           scale_fn=lambda x: 0.5 * (1 + math.sin(x)), scale_mode="cycle"),
    "scale_fn iterations": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=4,
                                scale_fn=lambda x: 1 / (1 + 0.1 * x),
                                scale_mode="iterations"),
    "momenta per group": dict(base_lr=0.05, max_lr=[0.2, 0.1], step_size_up=6,
                              base_momentum=[0.7, 0.8], max_momentum=[0.95, 0.9]),
    "no momentum": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False),
    "sawtooth": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=0),
    "float steps": dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5, step_size_down=3.5,
                        mode="triangular2"),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", CYCLIC)
def test_cyclic_matches_pytorch(case, kind):
    kw = CYCLIC[case]
    opt, topt = make_optimizer(tg, kind), make_optimizer(torch, kind)
    sched = CyclicLR(opt, **kw)
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, **kw)
    run_side_by_side(sched, opt, tsched, topt, 50)


def test_cyclic_without_momentum_on_adagrad():
    opt, topt = make_optimizer(tg, "adagrad"), make_optimizer(torch, "adagrad")
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False)
    run_side_by_side(CyclicLR(opt, **kw), opt,
                     torch.optim.lr_scheduler.CyclicLR(topt, **kw), topt, 20)


def test_cyclic_after_another_scheduler_starts_from_initial_lr():
    # PyTorch's constructor step uses the groups' "initial_lr", which an earlier scheduler
    # may have set to other than base_lr; base_lr applies from the next step on.
    opt, topt = make_optimizer(tg), make_optimizer(torch)
    tg.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.5)
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=4)
    run_side_by_side(CyclicLR(opt, **kw), opt,
                     torch.optim.lr_scheduler.CyclicLR(topt, **kw), topt, 10)


class Decay:
    """A scale_fn that is a callable object: its attributes are saved, like PyTorch's."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, x: float) -> float:
        return 1 / (1 + self.rate * x)


def test_cyclic_state_dict(tmp_path):
    for kw in CYCLIC.values():
        resume_matches(lambda o, kw=kw: CyclicLR(o, **kw), "sgd", 30, 13, tmp_path)
    resume_matches(lambda o: CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.9), "adam", 25,
                   8, tmp_path)
    opt = make_optimizer(tg)
    sched = CyclicLR(opt, 0.01, 0.1, 3, scale_fn=Decay(0.25))
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.25}
    fresh = CyclicLR(make_optimizer(tg), 0.01, 0.1, 3, scale_fn=Decay(0.5))
    fresh.load_state_dict(state)
    assert fresh._scale_fn_custom.rate == 0.25
    lam = CyclicLR(opt, 0.01, 0.1, 3, scale_fn=lambda x: 1.0).state_dict()
    assert lam["_scale_fn_custom"] is None  # a function cannot be saved: dropped


ADAGRAD = object()  # marks "build on an Adagrad optimizer", which has no momentum

BAD = [
    (OneCycleLR, dict(max_lr=1.0), ValueError, "total_steps, or both epochs"),
    (OneCycleLR, dict(max_lr=1.0, epochs=3), ValueError, "steps_per_epoch"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=0), ValueError, "total_steps must be a positive"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=2.5), ValueError, "2.5"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=True), ValueError, "True"),
    (OneCycleLR, dict(max_lr=1.0, epochs=0, steps_per_epoch=3), ValueError, "epochs"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, pct_start=1.5), ValueError, "pct_start"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, pct_start=-0.1), ValueError, "pct_start"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, anneal_strategy="cosine"), ValueError,
     "'cosine'"),
    (OneCycleLR, dict(max_lr=[1.0], total_steps=9), ValueError, "one per parameter group"),
    (OneCycleLR, dict(max_lr=-1.0, total_steps=9), ValueError, "max_lr=-1.0"),
    (OneCycleLR, dict(max_lr="1", total_steps=9), TypeError, "max_lr"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, div_factor=0), ValueError, "div_factor"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, final_div_factor=-2.0), ValueError,
     "final_div_factor"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, max_momentum=[0.9, 0.9, 0.9]), ValueError,
     "max_momentum"),
    (OneCycleLR, dict(max_lr=1.0, total_steps=9, optimizer=ADAGRAD), ValueError,
     "cycle_momentum=False"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, mode="triangle"), ValueError, "'triangle'"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, scale_fn=abs, scale_mode="cycles"), ValueError,
     "'cycles'"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, scale_fn=3), TypeError, "scale_fn"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, step_size_up=0), ValueError, "step_size_up"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, step_size_down=-1), ValueError, "step_size_down"),
    (CyclicLR, dict(base_lr=[0.01, 0.02, 0.03], max_lr=0.1), ValueError, "base_lr"),
    (CyclicLR, dict(base_lr=0.01, max_lr=float("nan")), ValueError, "max_lr"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=-0.5), ValueError,
     "gamma"),
    (CyclicLR, dict(base_lr=0.01, max_lr=0.1, optimizer=ADAGRAD), ValueError, "Adagrad"),
]


@pytest.mark.parametrize("cls, kw, error, match", BAD)
def test_bad_arguments(cls, kw, error, match):
    kw = dict(kw)
    opt = make_optimizer(tg, "adagrad" if kw.pop("optimizer", None) is ADAGRAD else "sgd")
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=match) as info:
        cls(opt, **kw)
    assert cls.__name__ in str(info.value)
    assert [dict(g) for g in opt.param_groups] == before  # a refused scheduler changes nothing


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="OneCycleLR: expected an Optimizer"):
        OneCycleLR([tg.zeros(1)], max_lr=1.0, total_steps=3)
    with pytest.raises(TypeError, match="CyclicLR: expected an Optimizer"):
        CyclicLR(None, 0.01, 0.1)


def test_one_cycle_step_past_end_changes_nothing():
    opt = make_optimizer(tg)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    state = sched.state_dict()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times, but total_steps is 3"):
        sched.step()
    assert sched.state_dict() == state


def test_resume_without_saved_groups():
    with pytest.raises(KeyError, match="OneCycleLR.*max_lr"):
        opt = make_optimizer(tg)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        OneCycleLR(opt, max_lr=1.0, total_steps=9, last_epoch=4)
    with pytest.raises(KeyError, match="initial_lr"):
        CyclicLR(make_optimizer(tg), 0.01, 0.1, last_epoch=4)


def test_reexported_like_pytorch():
    names = ["OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]
    for name in names:
        assert name in tg.optim.lr_scheduler.__all__
        assert hasattr(torch.optim.lr_scheduler, name)
    assert tg.optim.lr_scheduler.OneCycleLR is OneCycleLR
