"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor_core import Tensor
from .optimizer import Optimizer, ParamsT, StepItems, check_option, effective_grad

# Up to this many elements a temporary lr * grad costs less than looking up the cached scratch
# buffer; larger ones reuse the scratch, so that a step allocates no large arrays.
SMALL = 4096


class SGD(Optimizer):
    r"""Stochastic gradient descent, with PyTorch's update rule. For each parameter `p` with
    gradient `grad`, at every step:

        g = -grad if maximize else grad
        g = g + weight_decay * p                      (if weight_decay != 0)
        b = g                                         (momentum != 0, first step)
        b = momentum * b + (1 - dampening) * g        (momentum != 0, later steps)
        g = g + momentum * b if nesterov else b       (momentum != 0)
        p = p - lr * g

    The momentum buffer `b` is the state entry "momentum_buffer". Nesterov momentum needs
    momentum > 0 and dampening == 0.
    """

    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        check_option(self._name, "lr", group["lr"])
        check_option(self._name, "momentum", group["momentum"])
        check_option(self._name, "dampening", group["dampening"], low=-float("inf"))
        check_option(self._name, "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{self._name}: nesterov=True needs momentum > 0 and dampening == 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}."
            )

    def _required_state(self, group: Any) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        maximize = group["maximize"]
        if momentum == 0 and weight_decay == 0 and not maximize:
            # Plain SGD, the common case: p -= lr * grad, with none of the options' work.
            for p, grad, _ in items:
                if p.size <= SMALL:
                    p -= grad * lr
                else:
                    step = np.multiply(grad, lr, out=self._scratch(p)[0])
                    p -= step
            return
        for p, grad, state in items:
            s0, s1 = self._scratch(p)
            g = effective_grad(p, grad, weight_decay, maximize, out=s0)
            if momentum != 0:
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf_t = state["momentum_buffer"] = Tensor(g, dtype=p.dtype)
                    buf = buf_t._data
                else:
                    buf = buf_t._data
                    buf *= momentum
                    if dampening == 0:
                        buf += g
                    else:
                        np.multiply(g, 1 - dampening, out=s1)
                        buf += s1
                if nesterov:
                    np.multiply(buf, momentum, out=s1)
                    g = np.add(g, s1, out=s1)
                else:
                    g = buf
            np.multiply(g, lr, out=s1)
            p -= s1
