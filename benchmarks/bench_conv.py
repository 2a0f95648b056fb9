"""Convolution benchmarks: tinygrad_np vs a hand-written NumPy im2col baseline (vs PyTorch CPU
eager with one thread when installed), in interleaved rounds.

    python benchmarks/bench_conv.py              # every workload, float32
    python benchmarks/bench_conv.py --check      # first verify the three agree
    python benchmarks/bench_conv.py --markdown   # the table for docs/benchmarks_conv.md
    python benchmarks/bench_conv.py --smoke      # tiny run for the test suite

Workloads: conv2d forward + backward (input, weight and bias gradients) at a few sizes, and
a training step of examples/mnist_cnn.py's network (without its dropout, so that all three
compute the same thing; SGD update). The unfolded input of each convolution (C k k N L
elements) is the one large temporary; its size is listed, with the peak traced memory of
one tinygrad_np forward + backward.
"""

from __future__ import annotations

import argparse
import tracemalloc

# _timing pins the BLAS thread count, so it must load before NumPy does.
from _timing import (BASELINE, interleaved_medians, machine_line, ratio_header, ratio_row,
                     try_import_torch)

# isort: split

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn

LR = 0.01
# (batch, in channels, out channels, image side, kernel, padding)
CONVS = [(128, 1, 32, 28, 3, 0), (128, 32, 64, 13, 3, 0), (64, 64, 128, 16, 3, 1),
         (32, 3, 64, 32, 5, 2)]


# ---- the hand-written NumPy baseline ---------------------------------------------------------
def im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """(N, C, H, W) -> (C k k, N L) columns, stride 1."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, OH, OW, k, k)
    c = x.shape[1]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(c * k * k, -1)


def col2im(cols: np.ndarray, shape: tuple[int, ...], k: int, pad: int) -> np.ndarray:
    n, c, h, w = shape
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    cols = cols.reshape(c, k, k, n, oh, ow)
    out = np.zeros((c, n, h + 2 * pad, w + 2 * pad), cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + oh, j:j + ow] += cols[:, i, j]
    return out[:, :, pad:pad + h, pad:pad + w].transpose(1, 0, 2, 3)


class NumpyConv:
    """One conv layer's forward and backward by hand: im2col, one matmul each way, col2im."""

    def __init__(self, w: np.ndarray, b: np.ndarray, pad: int) -> None:
        self.w, self.b, self.pad, self.k = w, b, pad, w.shape[2]

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.cols = im2col(x, self.k, self.pad)
        out = self.w.reshape(len(self.w), -1) @ self.cols
        out += self.b[:, None]
        side = x.shape[2] + 2 * self.pad - self.k + 1
        return out.reshape(len(self.w), x.shape[0], side, -1).transpose(1, 0, 2, 3)

    def backward(self, g: np.ndarray, need_x: bool = True) -> np.ndarray | None:
        rows = g.transpose(1, 0, 2, 3).reshape(g.shape[1], -1)
        self.dw = (rows @ self.cols.T).reshape(self.w.shape)
        self.db = rows.sum(axis=1)
        if not need_x:
            return None
        return col2im(self.w.reshape(len(self.w), -1).T @ rows, self.shape, self.k, self.pad)


class NumpyCNN:
    """examples/mnist_cnn.py's network (no dropout) with hand-written backprop."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = [p.copy() for p in params]
        w1, b1, w2, b2 = self.params[:4]
        self.conv1, self.conv2 = NumpyConv(w1, b1, 0), NumpyConv(w2, b2, 0)

    @staticmethod
    def pool(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2x2 max-pool (floor) and the mask of the first maximum of each window."""
        n, c, h, w = a.shape
        a = a[:, :, :h // 2 * 2, :w // 2 * 2]
        win = a.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
        win = win.reshape(n, c, h // 2, w // 2, 4)
        which = win.argmax(axis=-1)
        return np.take_along_axis(win, which[..., None], -1)[..., 0], which

    @staticmethod
    def unpool(g: np.ndarray, which: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        n, c, oh, ow = g.shape
        win = np.zeros((n, c, oh, ow, 4), g.dtype)
        np.put_along_axis(win, which[..., None], g[..., None], -1)
        out = np.zeros(shape, g.dtype)
        out[:, :, :oh * 2, :ow * 2] = win.reshape(n, c, oh, ow, 2, 2).transpose(
            0, 1, 2, 4, 3, 5).reshape(n, c, oh * 2, ow * 2)
        return out

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        _, _, _, _, w3, b3, w4, b4 = self.params
        z1 = self.conv1.forward(x)
        a1 = np.maximum(z1, 0)
        p1, m1 = self.pool(a1)
        z2 = self.conv2.forward(p1)
        a2 = np.maximum(z2, 0)
        p2, m2 = self.pool(a2)
        f = p2.reshape(len(x), -1)
        h = f @ w3.T + b3
        r = np.maximum(h, 0)
        logits = r @ w4.T + b4
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        probs = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = -np.log(probs[rows, y]).mean()
        dz = probs
        dz[rows, y] -= 1
        dz /= len(y)
        dw4, db4 = dz.T @ r, dz.sum(axis=0)
        dh = (dz @ w4) * (h > 0)
        dw3, db3 = dh.T @ f, dh.sum(axis=0)
        dp2 = (dh @ w3).reshape(p2.shape)
        dz2 = self.unpool(dp2, m2, a2.shape) * (z2 > 0)
        dp1 = self.conv2.backward(dz2)
        dz1 = self.unpool(dp1, m1, a1.shape) * (z1 > 0)
        self.conv1.backward(dz1, need_x=False)
        grads = [self.conv1.dw, self.conv1.db, self.conv2.dw, self.conv2.db, dw3, db3, dw4, db4]
        for p, g in zip(self.params, grads):
            p -= LR * g
        return float(loss)


# ---- the workloads ----------------------------------------------------------------------------
def conv_impls(spec, torch, dtype=np.float32) -> dict:
    n, c, o, side, k, pad = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, side, side)).astype(dtype)
    w = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    out_side = side + 2 * pad - k + 1
    g = rng.standard_normal((n, o, out_side, out_side)).astype(dtype)
    layer = NumpyConv(w, b, pad)

    def numpy_step():
        layer.forward(x)
        return layer.backward(g), layer.dw, layer.db

    xt, wt, bt = (tg.tensor(a, requires_grad=True) for a in (x, w, b))
    gt = tg.tensor(g)

    def ours_step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=pad).backward(gt)
        return np.asarray(xt.grad), np.asarray(wt.grad), np.asarray(bt.grad)

    impls = {BASELINE: numpy_step, "tinygrad_np": ours_step}
    if torch is not None:
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tg_ = torch.tensor(g)

        def torch_step():
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.conv2d(tx, tw, tb, padding=pad).backward(tg_)
            return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()

        impls["torch (eager)"] = torch_step
    return impls


def cnn_impls(batch: int, torch) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128),
                          nn.ReLU(), nn.Linear(128, 10))
    params = [p.detach().numpy().copy() for p in model.parameters()]
    baseline = NumpyCNN(params)
    opt = tg.optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = tg.tensor(x), tg.tensor(y)

    def ours_step():
        loss = loss_fn(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    impls = {BASELINE: lambda: baseline.step(x, y), "tinygrad_np": ours_step}
    if torch is not None:
        tm = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(1600, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10))
        with torch.no_grad():
            for tp, p in zip(tm.parameters(), params):
                tp.copy_(torch.tensor(p))
        topt = torch.optim.SGD(tm.parameters(), lr=LR)
        tl = torch.nn.CrossEntropyLoss()
        tx, ty = torch.tensor(x), torch.tensor(y)

        def torch_step():
            loss = tl(tm(tx), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()
            return loss.item()

        impls["torch (eager)"] = torch_step
    impls["_weights"] = (baseline, model)
    return impls


def check(torch) -> str:
    """The three implementations agree: conv gradients, and the CNN's losses over 3 steps."""
    for spec in CONVS[:2]:
        results = [f() for f in conv_impls(spec, torch, np.float64).values()]
        for other in results[1:]:
            for a, b in zip(results[0], other):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    impls = cnn_impls(32, torch)
    impls.pop("_weights")
    losses = {name: [f() for _ in range(3)] for name, f in impls.items()}
    first = losses[BASELINE]
    for name, values in losses.items():
        np.testing.assert_allclose(values, first, rtol=1e-4, err_msg=name)
    return ("check: conv2d gradients agree to 1e-9 (float64); CNN losses over 3 SGD steps "
            "agree to 1e-4 (float32).")


def memory_line(spec) -> str:
    """The unfolded input's size, and the peak traced memory of one forward + backward."""
    n, c, o, side, k, pad = spec
    out_side = side + 2 * pad - k + 1
    cols = c * k * k * n * out_side * out_side * 4
    impl = conv_impls(spec, None)["tinygrad_np"]
    impl()
    tracemalloc.start()
    impl()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return f"{cols / 2**20:.1f} MiB unfolded, {peak / 2**20:.1f} MiB peak"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    torch = try_import_torch()
    rounds, repeat = (2, 1) if args.smoke else (args.rounds, 2)
    if args.check or args.smoke:
        message = check(torch)
        if not args.markdown:
            print(message)
    specs = CONVS[:1] if args.smoke else CONVS
    lines = [machine_line(torch), ""] + ratio_header(torch)
    notes = []
    for spec in specs:
        n, c, o, side, k, pad = spec
        name = f"conv2d fwd+bwd N{n} {c}->{o} {side}x{side} k{k} pad {pad}"
        impls = conv_impls(spec, torch)
        lines.append(ratio_row(name, "float32", interleaved_medians(impls, rounds, repeat)))
        notes.append(f"- {name}: {memory_line(spec)}")
    batch = 16 if args.smoke else 128
    impls = cnn_impls(batch, torch)
    impls.pop("_weights")
    name = f"mnist_cnn training step (SGD), batch {batch}"
    lines.append(ratio_row(name, "float32", interleaved_medians(impls, rounds, repeat)))
    lines += ["", "Memory of the unfolded input (float32) and peak traced memory of one "
              "tinygrad_np conv2d forward + backward:", ""] + notes
    table = "\n".join(lines)
    if args.markdown:
        table = ("Convolution benchmarks, median of interleaved rounds; ratio = time / the "
                 "hand-written NumPy im2col baseline's. Regenerate with "
                 "`python benchmarks/bench_conv.py --markdown > docs/benchmarks_conv.md`.\n\n"
                 + table)
    print(table)
    return table


if __name__ == "__main__":
    main()
