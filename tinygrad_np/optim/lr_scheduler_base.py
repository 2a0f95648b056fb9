"""The base of the learning-rate schedulers, `LRScheduler`, and the argument checks they
share. The schedulers themselves are in lr_scheduler.py, lr_scheduler_cycles.py and
lr_scheduler_composite.py; import them all from `optim.lr_scheduler`."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

from ..autograd.watch import replayed
from .optimizer import Optimizer, check_option

__all__ = ["LRScheduler"]


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

    @replayed()
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
