"""NAdam and RAdam, with PyTorch's update rules and order of operations."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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


def _decayed_grad(opt: Optimizer, group: dict[str, Any], p: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
    """The gradient after weight decay: decoupled (p shrinks by lr * wd first, as AdamW) or
    added to the gradient (as Adam)."""
    wd = group["weight_decay"]
    if group["decoupled_weight_decay"] and wd != 0:
        p *= 1 - group["lr"] * wd
        wd = 0.0
    return effective_grad(p, grad, wd, group["maximize"], out=out)


class NAdam(Optimizer):
    r"""Adam with Nesterov momentum (Dozat), momentum decaying by `momentum_decay`:

        mu_t = beta1 (1 - 0.96^(t psi) / 2),  M_t = mu_1 ... mu_t
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr (1 - mu_t) / (1 - M_t) g / d - lr mu_(t+1) / (1 - M_t mu_(t+1)) m / d
    """

    state_keys = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    scalar_state_keys = ("mu_product",)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3, *,
                 decoupled_weight_decay: bool = False, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        for name in ("lr", "eps", "weight_decay", "momentum_decay"):
            check_option(self._name, name, group[name])
        check_betas(self._name, group["betas"])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        psi = group["momentum_decay"]
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = step = state.get("step", 0) + 1
            m = state_buffer(state, "exp_avg", p)
            v = state_buffer(state, "exp_avg_sq", p)
            g = _decayed_grad(self, group, p, grad, s0)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            product = state["mu_product"] = state.get("mu_product", 1.0) * mu
            lerp_(m, g, 1 - beta1, tmp=s1)
            square_average_(v, g, beta2, tmp=s1)
            denom = np.sqrt(v / (1 - beta2**step)) + eps
            p += (-lr * (1.0 - mu) / (1.0 - product)) * (g / denom)
            p += ((-lr * mu_next) / (1.0 - product * mu_next)) * (m / denom)


class RAdam(Optimizer):
    r"""Adam with the variance of its adaptive step rectified (Liu et al.): while the
    approximated SMA length rho_t <= 5 it takes plain momentum steps, then

        p = p - lr m / (1 - beta1^t) * r_t sqrt(1 - beta2^t) / (sqrt(v) + eps)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, *, decoupled_weight_decay: bool = False,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_option(self._name, name, group[name])
        check_betas(self._name, group["betas"])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("step", "exp_avg", "exp_avg_sq")

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = step = state.get("step", 0) + 1
            m = state_buffer(state, "exp_avg", p)
            v = state_buffer(state, "exp_avg_sq", p)
            g = _decayed_grad(self, group, p, grad, s0)
            lerp_(m, g, 1 - beta1, tmp=s1)
            square_average_(v, g, beta2, tmp=s1)
            correction1, correction2 = 1 - beta1**step, 1 - beta2**step
            corrected = m / correction1
            rho_t = rho_inf - 2 * step * (beta2**step) / correction2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = math.sqrt(correction2) / (np.sqrt(v) + eps)
                p -= corrected * lr * adaptive * rect
            else:
                p -= corrected * lr
