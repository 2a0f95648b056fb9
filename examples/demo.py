"""A tiny end-to-end demo: fit a 2-16-1 MLP to XOR-like data with raw tensors and SGD."""

import numpy as np

import tinygrad_np as tg


def main() -> None:
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(256, 2)).astype(np.float32)
    y = ((x[:, 0] * x[:, 1]) > 0).astype(np.float32)[:, None]
    xt, yt = tg.tensor(x), tg.tensor(y)

    w1 = (tg.randn(2, 16) * 1.0).requires_grad_()
    b1 = tg.zeros(16, requires_grad=True)
    w2 = (tg.randn(16, 1) * 0.25).requires_grad_()
    b2 = tg.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]

    for step in range(501):
        logits = (xt @ w1 + b1).tanh() @ w2 + b2
        p = logits.sigmoid()
        loss = -(yt * p.log() + (1 - yt) * (1 - p).log()).mean()
        for t in params:
            t.grad = None
        loss.backward()
        with tg.no_grad():
            for t in params:
                t -= 0.5 * t.grad
        if step % 100 == 0:
            accuracy = ((p.data > 0.5) == y).mean()
            print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
