"""RMSprop, plain or centered, with optional momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    StepItems,
    check_option,
    effective_grad,
    lerp_,
    square_average_,
    state_buffer,
)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with PyTorch's update rule. For each parameter `p` with
    gradient `grad`, at every step:

        g = -grad if maximize else grad
        g = g + weight_decay * p                      (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g               (centered)
        d = sqrt(v - a * a) + eps if centered else sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b     (momentum > 0)
        p = p - lr * g / d                            (momentum == 0)

    State entries: "step", "square_avg" (v), "grad_avg" (a, centered) and "momentum_buffer"
    (b, momentum > 0).
    """

    state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        owner = self._name
        check_option(owner, "lr", group["lr"])
        check_option(owner, "eps", group["eps"])
        check_option(owner, "momentum", group["momentum"])
        check_option(owner, "weight_decay", group["weight_decay"])
        check_option(owner, "alpha", group["alpha"])

    def _required_state(self, group: Any) -> tuple[str, ...]:
        keys = ("step", "square_avg")
        keys += ("momentum_buffer",) if group["momentum"] > 0 else ()
        return keys + ("grad_avg",) if group["centered"] else keys

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, centered = group["weight_decay"], group["centered"]
        maximize = group["maximize"]
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            state["step"] = state.get("step", 0) + 1
            v = state_buffer(state, "square_avg", p)
            g = effective_grad(p, grad, weight_decay, maximize, out=s0)
            square_average_(v, g, alpha, tmp=s1)
            if centered:
                a = state_buffer(state, "grad_avg", p)
                lerp_(a, g, 1 - alpha, tmp=s1)
                np.multiply(a, a, out=s1)
                denom = np.sqrt(np.subtract(v, s1, out=s1), out=s1)
            else:
                denom = np.sqrt(v, out=s1)
            denom += eps
            if momentum > 0:
                b = state_buffer(state, "momentum_buffer", p)
                b *= momentum
                b += np.divide(g, denom, out=s1)
                np.multiply(b, lr, out=s1)
            else:
                np.multiply(g, lr, out=s0)  # g is s0 itself, or the untouched gradient
                np.divide(s0, denom, out=s1)
            p -= s1
