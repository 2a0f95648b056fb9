"""Learning-rate schedulers with PyTorch's semantics: each `step()` (called once per epoch, after
`optimizer.step()`) writes the next learning rate into every parameter group's "lr"."""

from __future__ import annotations

import math
import numbers
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .optimizer import Optimizer, check_option

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CyclicLR", "ExponentialLR",
           "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
           "ReduceLROnPlateau", "SequentialLR", "StepLR"]


class LRScheduler:
    """Base class: a subclass implements `get_lr()`, the next learning rate of every group
    computed from the current ones (PyTorch's recursive, chainable form).

    Creating a scheduler records each group's starting lr as "initial_lr" (`base_lrs`) and
    takes the step to epoch 0. To resume, pass `last_epoch` (the groups must then hold
    "initial_lr", e.g. from a loaded optimizer state dict), or use `load_state_dict`.

    A subclass with a closed form (the lr at any epoch from `base_lrs` alone) also implements
    `_closed_form_lr()`: SequentialLR uses it to restart a scheduler at epoch 0.
    """

    _is_initial = False  # True only during the step the constructor takes

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        _check_last_epoch(name, last_epoch)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: resuming with last_epoch={last_epoch} needs 'initial_lr' in "
                        f"param_groups[{i}]; load the optimizer's state dict first, or start "
                        "with last_epoch=-1."
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step (SequentialLR repeats it for its first scheduler)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch `self.last_epoch`, one per parameter group."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                f"{type(self).__name__}.step() was called before optimizer.step(), which skips "
                "the first learning rate of the schedule; call optimizer.step() first.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _restart(self) -> None:
        """Jump to epoch 0 without counting a step, as PyTorch's `step(0)` does: SequentialLR
        hands over to this scheduler at a milestone. The closed form is used where there is
        one, since the recursive form would carry on from the previous scheduler's lr."""
        self.last_epoch = 0
        closed_form = getattr(self, "_closed_form_lr", None)
        self._set_lrs(closed_form() if closed_form is not None else self.get_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last `step()` set, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer: plain numbers and lists, fit for `save`."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                if k not in ("optimizer", "_is_initial")}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the state from `state_dict()`; refuses entries another scheduler would keep."""
        unknown = sorted(set(state_dict) - set(self.state_dict()), key=str)
        if unknown:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: unexpected entries {unknown}; was the "
                f"state dict saved from another scheduler? Expected {sorted(self.state_dict())}."
            )
        self.__dict__.update(state_dict)


def _check_optimizer(owner: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an Optimizer, got {type(optimizer).__name__}.")


def _check_last_epoch(owner: str, last_epoch: Any) -> None:
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) \
            or last_epoch < -1:
        raise ValueError(f"{owner}: last_epoch must be an int >= -1, got {last_epoch!r}.")


def _per_group_values(owner: str, name: str, value: Any, optimizer: Optimizer) -> list[Any]:
    """One value per parameter group from a number or a list/tuple of them, each checked
    to be a finite real >= 0."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: {name} must be one number or one per parameter group "
                             f"({n}), got {len(value)} values: {value!r}.")
        for i, v in enumerate(value):
            check_option(owner, f"{name}[{i}]", v)
        return list(value)
    check_option(owner, name, value)
    return [value] * n


def _check_period(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")


class StepLR(LRScheduler):
    """Multiply every group's lr by `gamma` every `step_size` epochs:
    lr_epoch = initial_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_period("StepLR", "step_size", step_size)
        check_option("StepLR", "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply every group's lr by `gamma` every epoch: lr_epoch = initial_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        check_option("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from each group's initial lr down to `eta_min` over `T_max` epochs
    (SGDR without restarts):

        lr_epoch = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    computed recursively from the current lr, as PyTorch does, so it composes with other
    changes to the lr; past T_max the lr rises again along the same cosine.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_period("CosineAnnealingLR", "T_max", T_max)
        check_option("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        eta_min = self.eta_min
        return [eta_min + (base - eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max))
                / 2 for base in self.base_lrs]


def _per_group(owner: str, fn: Any, optimizer: Optimizer) -> list[Callable[[int], float]]:
    fns = list(fn) if isinstance(fn, (list, tuple)) else [fn] * len(optimizer.param_groups)
    if len(fns) != len(optimizer.param_groups) or not all(callable(f) for f in fns):
        raise ValueError(f"{owner}: expected one function, or one per parameter group "
                         f"({len(optimizer.param_groups)}), got {fn!r}.")
    return fns


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        self.lr_lambdas = _per_group("LambdaLR", lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}


class MultiplicativeLR(LambdaLR):
    """lr = lr * lr_lambda(epoch) at every step after the first."""

    def get_lr(self) -> list[float]:
        if self._is_initial:  # also when resuming: the lr loaded is already this epoch's
            return self._current_lrs()
        return [lr * f(self.last_epoch) for lr, f in zip(self._current_lrs(), self.lr_lambdas)]


class MultiStepLR(LRScheduler):
    """lr = lr * gamma at each epoch listed in milestones (repeats multiply again)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(int(m) for m in milestones)
        check_option("MultiStepLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** self.milestones.get(self.last_epoch, 0)
        return [lr * factor for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["milestones"] = dict(self.milestones)
        return state

    def load_state_dict(self, state_dict: Any) -> None:
        super().load_state_dict(state_dict)
        self.milestones = Counter({int(k): v for k, v in self.milestones.items()})


def _check_factor(owner: str, name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{owner}: {name} must be in [{low}, {high}], got {value!r}.")


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor until epoch total_iters, then initial_lr."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _check_factor("ConstantLR", "factor", factor, 0.0, 1.0)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = self._current_lrs()
        if self.last_epoch == 0:
            return [lr * self.factor for lr in lrs]
        if self.last_epoch != self.total_iters:
            return lrs
        return [lr * (1.0 / self.factor) for lr in lrs]  # PyTorch's rounding

    def _closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor goes linearly from start_factor to end_factor over total_iters epochs."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        _check_factor("LinearLR", "start_factor", start_factor, 1e-300, 1.0)
        _check_factor("LinearLR", "end_factor", end_factor, 0.0, 1.0)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = self._current_lrs()
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor
                              + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in lrs]

    def _closed_form_lr(self) -> list[float]:
        span = self.end_factor - self.start_factor
        done = min(self.total_iters, self.last_epoch)
        factor = self.start_factor + span * done / self.total_iters
        return [base * factor for base in self.base_lrs]


# The schedulers of the two modules below build on LRScheduler, so they are imported last.
from .lr_scheduler_composite import ChainedScheduler, ReduceLROnPlateau, SequentialLR  # noqa: E402
from .lr_scheduler_cycles import CyclicLR, OneCycleLR  # noqa: E402
