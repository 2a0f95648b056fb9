"""Adam and AdamW: one implementation; AdamW is Adam with decoupled weight decay."""

from __future__ import annotations

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


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), with PyTorch's update rule. For each parameter `p` with
    gradient `grad`, at step t = 1, 2, ...:

        g = -grad if maximize else grad
        p = p * (1 - lr * weight_decay)               (decoupled_weight_decay, i.e. AdamW)
        g = g + weight_decay * p                      (otherwise, if weight_decay != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v); use v_max for v below  (amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State entries: "step" (t, an int), "exp_avg" (m), "exp_avg_sq" (v) and, with amsgrad,
    "max_exp_avg_sq" (v_max).
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        owner = self._name
        check_option(owner, "lr", group["lr"])
        check_option(owner, "eps", group["eps"])
        check_betas(owner, group["betas"])
        check_option(owner, "weight_decay", group["weight_decay"])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        keys = ("step", "exp_avg", "exp_avg_sq")
        return keys + ("max_exp_avg_sq",) if group["amsgrad"] else keys

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"] and weight_decay != 0
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            step = state["step"] = state.get("step", 0) + 1
            m = state_buffer(state, "exp_avg", p)
            v = state_buffer(state, "exp_avg_sq", p)
            if decoupled:
                p *= 1 - lr * weight_decay
                g = effective_grad(p, grad, 0, maximize, out=s0)
            else:
                g = effective_grad(p, grad, weight_decay, maximize, out=s0)
            lerp_(m, g, 1 - beta1, tmp=s1)
            square_average_(v, g, beta2, tmp=s1)
            if amsgrad:
                v_max = state_buffer(state, "max_exp_avg_sq", p)
                v = np.maximum(v_max, v, out=v_max)
            step_size = lr / (1 - beta1**step)
            denom = np.sqrt(v, out=s1)
            denom /= (1 - beta2**step) ** 0.5
            denom += eps
            update = np.multiply(m, step_size, out=s0)
            update /= denom
            p -= update


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay, PyTorch's rule.
    Each step first shrinks the parameter, `p = p * (1 - lr * weight_decay)`, then takes the
    Adam step on the gradient alone (see `Adam` for the full formula)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
