"""Programs written the way PyTorch's "Learning PyTorch with Examples" teaches (our own code,
same idioms): each runs unchanged on tinygrad_np and on PyTorch (the `lib` argument is the
only difference, like changing the import), and their printed numbers agree."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")


def _fit_sine_by_hand(lib: Any) -> list[float]:
    """A cubic fit to sin(x) with tensors and a hand-written backward (.mm-free)."""
    x = lib.linspace(-math.pi, math.pi, 200, dtype=lib.float64)
    y = lib.sin(x)
    a, b, c, d = (lib.full((), v, dtype=lib.float64) for v in (0.1, -0.2, 0.05, 0.01))
    losses = []
    for _ in range(300):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        a -= 1e-5 * grad_y_pred.sum()
        b -= 1e-5 * (grad_y_pred * x).sum()
        c -= 1e-5 * (grad_y_pred * x ** 2).sum()
        d -= 1e-5 * (grad_y_pred * x ** 3).sum()
        losses.append(loss)
    return losses


def _two_layer_manual(lib: Any) -> list[float]:
    """A two-layer ReLU network with mm, t(), clamp and a masked write in its backward."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((16, 5)))
    y = lib.tensor(rng.standard_normal((16, 2)))
    w1 = lib.tensor(rng.standard_normal((5, 8)) * 0.3)
    w2 = lib.tensor(rng.standard_normal((8, 2)) * 0.3)
    losses = []
    for _ in range(50):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        losses.append((y_pred - y).pow(2).sum().item())
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h = grad_y_pred.mm(w2.t()).clone()
        grad_h[h < 0] = 0
        w1 -= 1e-3 * x.t().mm(grad_h)
        w2 -= 1e-3 * grad_w2
    return losses


class _Legendre3:
    """P3(x) = (5x^3 - 3x) / 2 as a custom autograd Function of either library."""

    @staticmethod
    def make(lib: Any) -> Any:
        class P3(lib.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        return P3


def _custom_function_fit(lib: Any) -> list[float]:
    P3 = _Legendre3.make(lib).apply
    x = lib.linspace(-math.pi, math.pi, 200, dtype=lib.float64)
    y = lib.sin(x)
    a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True)
                  for v in (0.0, -1.0, 0.0, 0.3))
    losses = []
    for _ in range(200):
        loss = (a + b * P3(c + d * x) - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= 5e-5 * p.grad
                p.grad = None
    return losses


def _relu_function(lib: Any) -> tuple[list[float], list[float]]:
    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    z = lib.tensor([-1.5, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
    out = MyReLU.apply(z * 2)
    (out * out).sum().backward()
    return out.tolist(), z.grad.tolist()


def _nn_and_optim(lib: Any) -> list[float]:
    """nn.Sequential with Flatten(0, 1), MSELoss(reduction='sum') and an optimizer, as the
    nn and optim tutorials do."""
    lib.manual_seed(0)
    x = lib.linspace(-math.pi, math.pi, 100, dtype=lib.float64)
    y = lib.sin(x)
    xx = x.unsqueeze(-1).pow(lib.tensor([1, 2, 3]))
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1)).double()
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor([[0.1, -0.2, 0.05]], dtype=lib.float64))
        model[0].bias.fill_(0.0)
    loss_fn = lib.nn.MSELoss(reduction="sum")
    optimizer = lib.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(100):
        loss = loss_fn(model(xx), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


PROGRAMS = {
    "tensors, hand-written backward": _fit_sine_by_hand,
    "two layers, mm/t/clamp/masked write": _two_layer_manual,
    "custom Function (Legendre P3)": _custom_function_fit,
    "custom Function (ReLU, clamp/clone)": _relu_function,
    "nn.Sequential + RMSprop": _nn_and_optim,
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_unchanged_and_agrees_with_pytorch(name: str) -> None:
    ours, theirs = PROGRAMS[name](tg), PROGRAMS[name](torch)
    np.testing.assert_allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float),
                               rtol=1e-9, atol=1e-12)
