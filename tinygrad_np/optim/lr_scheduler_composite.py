"""Schedulers that are not a function of the epoch alone, with PyTorch's semantics:
ReduceLROnPlateau (driven by a metric), and SequentialLR and ChainedScheduler (built from other
schedulers)."""

from __future__ import annotations

import numbers
import warnings
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from .lr_scheduler_base import LRScheduler, _check_last_epoch, _check_optimizer, _per_group_values
from ..autograd.watch import replayed
from .optimizer import Optimizer, check_option

__all__ = ["ChainedScheduler", "ReduceLROnPlateau", "SequentialLR"]

inf = float("inf")


def _check_count(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be an int >= 0, got {value!r}.")


def _check_keys(owner: str, state_dict: Any, expected: dict[str, Any]) -> None:
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"{owner}.load_state_dict: expected the dict from state_dict(), got a "
                        f"{type(state_dict).__name__}.")
    unknown = sorted(set(state_dict) - set(expected), key=str)
    if unknown:
        raise KeyError(f"{owner}.load_state_dict: unexpected entries {unknown}; was the state "
                       f"dict saved from another scheduler? Expected {sorted(expected)}.")


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply every group's lr by `factor` once the metric passed to `step(metrics)` has not
    improved for more than `patience` steps, then wait `cooldown` steps before counting again.
    A value `a` improves on the best so far when (mode, threshold_mode):

        min, rel: a < best * (1 - threshold)     min, abs: a < best - threshold
        max, rel: a > best * (1 + threshold)     max, abs: a > best + threshold

    A reduction sets lr = max(lr * factor, min_lr), skipped when it would change lr by <= eps.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        check_option(owner, "factor", factor, 0.0, 1.0)  # factor >= 1 would never reduce
        _check_optimizer(owner, optimizer)
        _check_count(owner, "patience", patience)
        _check_count(owner, "cooldown", cooldown)
        check_option(owner, "eps", eps)
        self.factor = factor
        self.optimizer = optimizer
        self.min_lrs = _per_group_values(owner, "min_lr", min_lr, optimizer)
        # A scalar min_lr also covers groups added later; a list is one per group, fixed.
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        owner = "ReduceLROnPlateau"
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}.")
        check_option(owner, "threshold", threshold)
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = inf if mode == "min" else -inf  # the worst value: anything beats it

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            bound = best * (1.0 - self.threshold) if self.threshold_mode == "rel" \
                else best - self.threshold
            return a < bound
        bound = best * (self.threshold + 1.0) if self.threshold_mode == "rel" \
            else best + self.threshold
        return a > bound

    @replayed()
    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a one-element Tensor); reduce the lrs if it
        has not improved for more than `patience` epochs outside a cooldown."""
        try:
            current = float(metrics)
        except (TypeError, ValueError) as e:
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number, got "
                            f"{metrics!r}.") from e
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("ReduceLROnPlateau.step(metrics, epoch): the epoch argument is "
                          "deprecated (as in PyTorch); call step(metrics).", UserWarning,
                          stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups but "
                    f"min_lr lists {len(self.min_lrs)} (was a group added?); set "
                    "scheduler.min_lrs to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


def _check_schedulers(owner: str, schedulers: Any, optimizer: Optimizer | None
                      ) -> tuple[list[LRScheduler], Optimizer]:
    """The schedulers as a list, checked to drive one optimizer (the first's if None)."""
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, Sequence):
        raise TypeError(f"{owner}: schedulers must be a list of schedulers, got "
                        f"{type(schedulers).__name__}.")
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{owner}: expects at least one scheduler, got none.")
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{owner}: schedulers[{i}] is a {type(s).__name__}, not a "
                            "learning-rate scheduler.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{owner}: schedulers[{i}] is a ReduceLROnPlateau, which is not "
                             "supported: its step() needs the metric.")
    if optimizer is None:
        optimizer = schedulers[0].optimizer
    _check_optimizer(owner, optimizer)
    for i, s in enumerate(schedulers):
        if s.optimizer is not optimizer:
            raise ValueError(f"{owner}: schedulers[{i}] ({type(s).__name__}) drives another "
                             "optimizer; all schedulers must belong to the same optimizer.")
    return schedulers, optimizer


class _Composite(LRScheduler):
    """State dict handling shared by SequentialLR and ChainedScheduler: their own entries plus
    "_schedulers", the list of the inner schedulers' state dicts."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        owner = type(self).__name__
        _check_keys(owner, state_dict, self.state_dict())
        inner = state_dict.get("_schedulers", [])
        if not isinstance(inner, (list, tuple)) or len(inner) != len(self._schedulers):
            raise ValueError(f"{owner}.load_state_dict: '_schedulers' must hold one state dict "
                             f"per scheduler ({len(self._schedulers)}), got {inner!r}.")
        for s, s_state in zip(self._schedulers, inner):
            s.load_state_dict(s_state)
        self.__dict__.update((k, v) for k, v in state_dict.items() if k != "_schedulers")

    def _restart(self) -> None:
        # PyTorch fails here too (its step(0) needs get_lr, which composites lack).
        raise NotImplementedError(
            f"SequentialLR cannot hand over to a {type(self).__name__} at a milestone: it has "
            "no lr of its own to restart from; put it first, or flatten the schedulers."
        )


class SequentialLR(_Composite):
    """Run schedulers[0] until epoch milestones[0], then schedulers[1] (restarted at its epoch
    0) until milestones[1], and so on; len(milestones) == len(schedulers) - 1."""

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:
        owner = "SequentialLR"
        _check_optimizer(owner, optimizer)
        schedulers, _ = _check_schedulers(owner, schedulers, optimizer)
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
            raise TypeError(f"{owner}: milestones must be a list of ints, got {milestones!r}.")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{owner}: expects one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones "
                             f"{list(milestones)!r}.")
        for m in milestones:
            _check_count(owner, "each milestone", m)
        if list(milestones) != sorted(milestones):
            raise ValueError(f"{owner}: milestones must be sorted (non-decreasing), got "
                             f"{list(milestones)!r}.")
        _check_last_epoch(owner, last_epoch)
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise KeyError(f"{owner}: param_groups[{i}] has no 'initial_lr'; build the "
                               "schedulers on this optimizer first.")
        self._schedulers = schedulers
        self._milestones = [int(m) for m in milestones]
        self.last_epoch = int(last_epoch) + 1
        self.optimizer = optimizer
        self._step_count = 0
        # Each scheduler's constructor already took its step to epoch 0: go back to the start
        # and retake that step with the first scheduler only.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        current = self._schedulers[bisect_right(self._milestones, 0)]
        current._initial_step()
        self._last_lr = current.get_last_lr()

    @staticmethod
    def _undo_initial_steps(scheduler: LRScheduler) -> None:
        """One epoch back for every scheduler inside (through nested composites)."""
        for s in getattr(scheduler, "_schedulers", ()):
            if hasattr(s, "_schedulers"):
                SequentialLR._undo_initial_steps(s)
            else:
                s.last_epoch -= 1

    @replayed()
    def step(self) -> None:
        """Advance one epoch with the scheduler of this epoch, restarted at a milestone."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        current = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            current._restart()
        else:
            current.step()
        self._last_lr = current.get_last_lr()


class ChainedScheduler(_Composite):
    """Step every scheduler in order at each step(), so their changes compose (e.g. a warm-up
    ConstantLR times an ExponentialLR decay)."""

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        self._schedulers, self.optimizer = _check_schedulers("ChainedScheduler", schedulers,
                                                             optimizer)
        self._step_count = 0
        self._last_lr = self._current_lrs()

    @replayed()
    def step(self) -> None:
        """Step each scheduler, in order."""
        for s in self._schedulers:
            s.step()
        self._last_lr = self._current_lrs()
