"""The per-batch cyclical schedulers, OneCycleLR and CyclicLR, with PyTorch's semantics: call
`step()` after every batch. Both can cycle the momentum (SGD/RMSprop "momentum", or beta1 of
the Adam family's "betas") inversely to the learning rate."""

from __future__ import annotations

import functools
import math
import numbers
import types
from collections.abc import Callable, Mapping
from typing import Any

from .lr_scheduler_base import LRScheduler, _check_last_epoch, _check_optimizer, _per_group_values
from ..autograd.watch import replayed
from .optimizer import Optimizer, check_option

__all__ = ["CyclicLR", "OneCycleLR"]


def _momentum_key(owner: str, optimizer: Optimizer) -> bool:
    """Whether the momentum to cycle is beta1 of "betas" (True) or "momentum" (False)."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{owner}: cycle_momentum=True needs an optimizer with a 'momentum' or 'betas' "
            f"option, and {type(optimizer).__name__} has neither; pass cycle_momentum=False."
        )
    return "betas" in optimizer.defaults


def _set_momentum(group: dict[str, Any], momentum: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")


def _check_positive(owner: str, name: str, value: Any) -> None:
    check_option(owner, name, value)
    if value == 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}.")


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {list(choices)}, got {value!r}.")


def _check_resumable(owner: str, optimizer: Optimizer, keys: list[str]) -> None:
    """Resuming (last_epoch >= 0) reads these per-group entries the first run wrote."""
    for i, group in enumerate(optimizer.param_groups):
        missing = [k for k in keys if k not in group]
        if missing:
            raise KeyError(f"{owner}: resuming with last_epoch >= 0 needs {missing} in "
                           f"param_groups[{i}]; load the optimizer's state dict first, or "
                           "start with last_epoch=-1.")


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2017): per batch, the lr anneals from
    initial_lr = max_lr / div_factor up to max_lr over the first pct_start of total_steps, then
    down to min_lr = initial_lr / final_div_factor. With three_phase=True it goes back to
    initial_lr symmetrically first, and only the third phase anneals to min_lr. Within a
    phase from lr_a at step s_a to lr_b at step s_b, with p = (step - s_a) / (s_b - s_a):

        cos:    lr = lr_b + (lr_a - lr_b) / 2 * (cos(pi * p) + 1)
        linear: lr = (lr_b - lr_a) * p + lr_a

    The momentum follows the same phases inversely, max_momentum -> base_momentum -> ...
    total_steps is given, or epochs * steps_per_epoch. Stepping past total_steps raises.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        owner = "OneCycleLR"
        _check_optimizer(owner, optimizer)
        _check_last_epoch(owner, last_epoch)
        if total_steps is not None:
            _check_positive_int(owner, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(owner, "epochs", epochs)
            _check_positive_int(owner, "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{owner}: pass total_steps, or both epochs and steps_per_epoch "
                             f"(got total_steps=None, epochs={epochs!r}, "
                             f"steps_per_epoch={steps_per_epoch!r}).")
        check_option(owner, "pct_start", pct_start)
        if pct_start > 1:
            raise ValueError(f"{owner}: pct_start must be in [0, 1], got {pct_start!r}.")
        _check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        _check_positive(owner, "div_factor", div_factor)
        _check_positive(owner, "final_div_factor", final_div_factor)
        max_lrs = _per_group_values(owner, "max_lr", max_lr, optimizer)
        self.total_steps = int(total_steps)
        self._anneal_func_type = anneal_strategy
        # Each phase ends at a (possibly fractional) step, with the names of the group entries
        # it anneals between: they live in the param groups, like PyTorch's, so they are in
        # the optimizer's state dict.
        up_end = float(pct_start * self.total_steps) - 1
        last = float(self.total_steps - 1)
        if three_phase:
            phases = [(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                      (last, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases = [(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (last, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(keys, phase)) for phase in phases]

        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(owner, optimizer)
            tops = _per_group_values(owner, "max_momentum", max_momentum, optimizer)
            bottoms = _per_group_values(owner, "base_momentum", base_momentum, optimizer)
        if last_epoch != -1:
            _check_resumable(owner, optimizer, ["initial_lr", "max_lr", "min_lr"] + (
                ["max_momentum", "base_momentum"] if self.cycle_momentum else []))
        else:  # everything is checked: only now change the groups
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor  # replaces any earlier scheduler's
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                for group, top, bottom in zip(optimizer.param_groups, tops, bottoms):
                    _set_momentum(group, top, self.use_beta1)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    @replayed()
    def step(self) -> None:
        """Advance one batch; raises ValueError past total_steps, changing nothing."""
        if self.last_epoch + 1 > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch + 1} times, but total_steps is "
                f"{self.total_steps}; make total_steps (or epochs * steps_per_epoch) cover "
                "every batch of the run."
            )
        super().step()

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        # The phase holding this step, and where it starts (the previous phase's end).
        start = 0.0
        for i, phase in enumerate(self._schedule_phases):
            end = phase["end_step"]
            if step <= end or i == len(self._schedule_phases) - 1:
                break
            start = end
        # A phase of zero length (e.g. pct_start * total_steps == 1) is a single point, its
        # end; PyTorch divides by zero there.
        pct = (step - start) / (end - start) if end != start else 1.0
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = self._anneal(group[phase["start_momentum"]],
                                        group[phase["end_momentum"]], pct)
                _set_momentum(group, momentum, self.use_beta1)
        return lrs


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2015): per batch, the lr goes from base_lr up to max_lr
    in step_size_up steps and back down in step_size_down steps (default: the same), its
    amplitude scaled per cycle or per iteration:

        cycle = floor(1 + t / (up + down)),  x = 1 + t / (up + down) - cycle
        h = x / r if x <= r else (x - 1) / (r - 1),  r = up / (up + down)
        lr = base_lr + (max_lr - base_lr) * h * scale

    where scale is 1 ("triangular"), 1 / 2 ** (cycle - 1) ("triangular2"), gamma ** t
    ("exp_range"), or scale_fn(cycle or t, by scale_mode). The momentum, if cycled, is
    max_momentum - (max_momentum - base_momentum) * h * scale.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        owner = "CyclicLR"
        _check_optimizer(owner, optimizer)
        _check_last_epoch(owner, last_epoch)
        base_lrs = _per_group_values(owner, "base_lr", base_lr, optimizer)
        self.max_lrs = _per_group_values(owner, "max_lr", max_lr, optimizer)
        _check_positive(owner, "step_size_up", step_size_up)
        if step_size_down is not None:
            check_option(owner, "step_size_down", step_size_down)
        if scale_fn is None:
            _check_choice(owner, "mode", mode, ("triangular", "triangular2", "exp_range"))
        elif not callable(scale_fn):
            raise TypeError(f"{owner}: scale_fn must be callable or None, got {scale_fn!r}.")
        _check_choice(owner, "scale_mode", scale_mode, ("cycle", "iterations"))
        check_option(owner, "gamma", gamma)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        # The built-in modes fix what their scale is a function of.
        self.scale_mode = scale_mode if scale_fn is not None else (
            "iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(owner, optimizer)
            self.base_momentums = _per_group_values(owner, "base_momentum", base_momentum,
                                                    optimizer)
            self.max_momentums = _per_group_values(owner, "max_momentum", max_momentum,
                                                   optimizer)
        if last_epoch == -1:  # everything is checked: only now change the groups
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
            if self.cycle_momentum:
                for group, top, bottom in zip(optimizer.param_groups, self.max_momentums,
                                              self.base_momentums):
                    _set_momentum(group, top, self.use_beta1)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        # As in PyTorch, the constructor's step uses the groups' "initial_lr" as base (the
        # same as base_lr unless an earlier scheduler set it); base_lr applies from then on.
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at x (the cycle number or the iteration, by scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, bottom, top in zip(self.optimizer.param_groups, self.base_momentums,
                                          self.max_momentums):
                _set_momentum(group, top - (top - bottom) * height * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """The state without a custom scale_fn, which cannot be saved; like PyTorch, a callable
        object's attributes (its __dict__) are kept, a function's nothing."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        plain = (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                 functools.partial)
        keep = fn is not None and not isinstance(fn, plain) and hasattr(fn, "__dict__")
        state["_scale_fn_custom"] = dict(fn.__dict__) if keep else None
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore from `state_dict()`; a custom scale_fn stays this scheduler's own (only a
        callable object's saved attributes are put back into it)."""
        fn, fn_state = self._scale_fn_custom, state_dict.get("_scale_fn_custom")
        super().load_state_dict(state_dict)
        self._scale_fn_custom = fn
        if fn_state is not None and fn is not None:
            fn.__dict__.update(fn_state)
