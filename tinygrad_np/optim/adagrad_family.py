"""Adagrad, Adadelta and Adamax, with PyTorch's update rules and order of operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    StepItems,
    check_betas,
    check_option,
    effective_grad,
    lerp_,
    square_average_,
    state_buffer,
)


class Adagrad(Optimizer):
    r"""Adagrad: per element, steps shrink with the gradients seen so far.

        g = (-grad if maximize else grad) + weight_decay * p
        clr = lr / (1 + (step - 1) * lr_decay)
        s = s + g * g                  (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)
    """

    state_keys = ("step", "sum")

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_option(self._name, name, group[name])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("step", "sum")

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = step = state.get("step", 0) + 1
            if "sum" not in state:
                state["sum"] = Tensor(np.full_like(p, group["initial_accumulator_value"]))
            total = state["sum"]._data
            g = effective_grad(p, grad, group["weight_decay"], group["maximize"], out=s0)
            np.multiply(g, g, out=s1)
            total += s1
            clr = lr / (1 + (step - 1) * lr_decay)
            std = np.sqrt(total, out=s1)
            std += eps
            np.divide(g, std, out=s1)
            s1 *= clr
            p -= s1


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients.

        g = (-grad if maximize else grad) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    """

    state_keys = ("step", "square_avg", "acc_delta")

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_option(self._name, name, group[name])
        check_option(self._name, "rho", group["rho"], 0.0, 1.0 + 1e-12)

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("step", "square_avg", "acc_delta")

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = state.get("step", 0) + 1
            v = state_buffer(state, "square_avg", p)
            u = state_buffer(state, "acc_delta", p)
            g = effective_grad(p, grad, group["weight_decay"], group["maximize"], out=s0)
            square_average_(v, g, rho, tmp=s1)
            delta = np.sqrt(np.add(u, eps, out=s1), out=s1)
            delta /= np.sqrt(v + eps)
            delta *= g
            square_average_(u, delta, rho, tmp=s0)
            delta *= lr
            p -= delta


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm.

        g = (-grad if maximize else grad) + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^step) * m / u
    """

    state_keys = ("step", "exp_avg", "exp_inf")

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_option(self._name, name, group[name])
        check_betas(self._name, group["betas"])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("step", "exp_avg", "exp_inf")

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = step = state.get("step", 0) + 1
            m = state_buffer(state, "exp_avg", p)
            u = state_buffer(state, "exp_inf", p)
            g = effective_grad(p, grad, group["weight_decay"], group["maximize"], out=s0)
            lerp_(m, g, 1 - beta1, tmp=s1)
            u *= beta2
            np.abs(g, out=s1)
            s1 += eps
            np.maximum(u, s1, out=u)
            clr = lr / (1 - beta1**step)
            np.divide(m, u, out=s1)
            s1 *= clr
            p -= s1
