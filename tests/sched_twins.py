"""Helpers for running a tinygrad_np scheduler side by side with PyTorch's (issue 18): twin
optimizers over two parameter groups with different lrs, the learning rates and momenta they
hold after each step, and a save/load round trip of a scheduler's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_np as tg

LRS = (0.1, 0.03)


def make_optimizer(lib: Any, kind: str = "sgd", lrs: tuple[float, float] = LRS) -> Any:
    """An optimizer of `lib` (tinygrad_np or torch) over two groups with lrs `lrs`."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lrs[0]},
              {"params": [lib.zeros(3, requires_grad=True)], "lr": lrs[1]}]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.5, momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.5, betas=(0.9, 0.99))
    if kind == "rmsprop":
        return lib.optim.RMSprop(groups, lr=0.5, momentum=0.5)
    if kind == "adagrad":
        return lib.optim.Adagrad(groups, lr=0.5)
    raise ValueError(kind)


def snapshot(opt: Any) -> dict[str, list]:
    """What a scheduler may change in the groups: lr, momentum, betas."""
    out: dict[str, list] = {"lr": [float(g["lr"]) for g in opt.param_groups]}
    for key in ("momentum", "betas"):
        if key in opt.param_groups[0]:
            out[key] = [np.asarray(g[key], dtype=float).tolist() for g in opt.param_groups]
    return out


def assert_same(ours: dict[str, list], theirs: dict[str, list], where: str) -> None:
    assert ours.keys() == theirs.keys(), where
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, atol=0,
                                   err_msg=f"{key} at {where}")


def run_side_by_side(sched: Any, opt: Any, tsched: Any, topt: Any, steps: int,
                     metrics: Callable[[int], float] | None = None) -> list[dict[str, list]]:
    """Step both (optimizer first, as the docs say) and compare after every step; returns
    our snapshots, the construction's first."""
    assert_same(snapshot(opt), snapshot(topt), "construction")
    np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12, atol=0)
    seen = [snapshot(opt)]
    for i in range(steps):
        opt.step()
        topt.step()
        args = () if metrics is None else (metrics(i),)
        sched.step(*args)
        tsched.step(*args)
        assert_same(snapshot(opt), snapshot(topt), f"step {i + 1}")
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12,
                                   atol=0, err_msg=f"get_last_lr at step {i + 1}")
        seen.append(snapshot(opt))
    return seen


def through_file(obj: Any, tmp_path: Any, name: str = "state.npz") -> Any:
    """`obj` after tg.save and tg.load: a state dict must survive a checkpoint."""
    path = tmp_path / name
    tg.save(obj, path)
    return tg.load(path)


def resume_matches(build: Callable[[Any], Any], kind: str, steps: int, at: int, tmp_path: Any,
                   metrics: Callable[[int], float] | None = None) -> None:
    """Run `build(opt)`'s scheduler for `steps`; a fresh one loaded at step `at` (optimizer and
    scheduler state, through a file) must continue identically, bit for bit."""
    def advance(sched: Any, opt: Any, i: int) -> None:
        opt.step()
        sched.step(*(() if metrics is None else (metrics(i),)))

    opt = make_optimizer(tg, kind)
    sched = build(opt)
    for i in range(at):
        advance(sched, opt, i)
    saved = through_file({"optim": opt.state_dict(), "sched": sched.state_dict()}, tmp_path)
    opt2 = make_optimizer(tg, kind)
    sched2 = build(opt2)
    opt2.load_state_dict(saved["optim"])
    sched2.load_state_dict(saved["sched"])
    assert sched2.get_last_lr() == sched.get_last_lr()
    for i in range(at, steps):
        advance(sched, opt, i)
        advance(sched2, opt2, i)
        assert snapshot(opt2) == snapshot(opt), f"step {i + 1}"
        assert sched2.get_last_lr() == sched.get_last_lr()
