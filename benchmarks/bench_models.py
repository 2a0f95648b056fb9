"""Training-step benchmarks of the posts' models: tinygrad_np vs hand-written NumPy backprop
of exactly the same math (vs PyTorch CPU eager when installed).

    python benchmarks/bench_models.py                 # every workload, float32 and float64
    python benchmarks/bench_models.py --check         # first verify equal weights after 2 steps
    python benchmarks/bench_models.py --smoke         # tiny run for the test suite
    python benchmarks/bench_models.py --memory        # peak memory and RSS over 2,000 steps

A step is: forward, loss, backward, SGD update (lr 0.1), on a fixed batch.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass

# _timing pins the BLAS thread count, so it must load before NumPy does.
from _timing import (BASELINE, interleaved_medians, machine_line, ratio_header, ratio_row,
                     try_import_torch)

# isort: split

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import optim

from bench_core import core_rows  # (a sibling script: the per-op tables)

LR = 0.1


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    hidden: str  # "sigmoid" or "relu"
    head: str  # "softmax_ce" (logits -> cross-entropy) or "sigmoid_mse"
    batch: int


WORKLOADS = [
    Workload("W1 784-16-16-10 sigmoid/softmax-CE, batch 30000 (post 000)",
             (784, 16, 16, 10), "sigmoid", "softmax_ce", 30000),
    Workload("W2 2-64-2 ReLU/softmax-CE, batch 10 (post 001)", (2, 64, 2), "relu",
             "softmax_ce", 10),
    Workload("W3 784-16-10 ReLU/sigmoid-MSE, batch 64 (post 002)", (784, 16, 10), "relu",
             "sigmoid_mse", 64),
    Workload("W4 784-256-256-10 ReLU/softmax-CE, batch 256", (784, 256, 256, 10), "relu",
             "softmax_ce", 256),
    Workload("W4 784-256-256-10 ReLU/softmax-CE, batch 1024", (784, 256, 256, 10), "relu",
             "softmax_ce", 1024),
]


def make_problem(w: Workload, dtype: type, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype),
                       rng.uniform(-bound, bound, fan_out).astype(dtype)))
    x = rng.random((w.batch, w.sizes[0])).astype(dtype)
    labels = rng.integers(0, w.sizes[-1], w.batch)
    onehot = np.eye(w.sizes[-1], dtype=dtype)[labels]
    return params, x, labels, onehot


class NumpyMLP:
    """Hand-written backprop with preallocated buffers and in-place ufuncs: the fastest honest
    NumPy for the same math as nn.Linear (x W^T + b) layers, the hidden activation and head."""

    def __init__(self, w: Workload, params, x, labels, onehot) -> None:
        self.w, self.x, self.labels, self.onehot = w, x, labels, onehot
        self.params = [(W.copy(), b.copy()) for W, b in params]
        n, dt = w.batch, x.dtype
        self.z = [np.empty((n, W.shape[0]), dt) for W, _ in params]
        self.a = [np.empty_like(z) for z in self.z]
        self.dz = [np.empty_like(z) for z in self.z]
        self.grads = [(np.empty_like(W), np.empty_like(b)) for W, b in params]
        self.rows = np.arange(n)

    def step(self) -> float:
        w, last = self.w, len(self.params) - 1
        a_prev = self.x
        for i, (W, b) in enumerate(self.params):
            z, a = self.z[i], self.a[i]
            np.matmul(a_prev, W.T, out=z)
            z += b
            if i < last and w.hidden == "relu":
                np.maximum(z, 0, out=a)
            elif i < last or w.head == "sigmoid_mse":
                np.negative(z, out=a)
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
            a_prev = a
        out, dz = self.a[last], self.dz[last]
        n = w.batch
        if w.head == "softmax_ce":
            z = self.z[last]
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=out)
            out /= out.sum(axis=1, keepdims=True)
            loss = -np.log(out[self.rows, self.labels]).mean()
            np.subtract(out, self.onehot, out=dz)
            dz /= n
        else:
            np.subtract(out, self.onehot, out=dz)
            loss = np.square(dz).mean()
            dz *= 2 / dz.size
            dz *= out
            dz *= 1 - out
        for i in range(last, -1, -1):
            W, _ = self.params[i]
            dW, db = self.grads[i]
            np.matmul(self.dz[i].T, self.a[i - 1] if i else self.x, out=dW)
            self.dz[i].sum(axis=0, out=db)
            if i:
                da, a = self.dz[i - 1], self.a[i - 1]
                np.matmul(self.dz[i], W, out=da)
                if w.hidden == "relu":
                    da *= a > 0
                else:
                    da *= a
                    da *= 1 - a
        for (W, b), (dW, db) in zip(self.params, self.grads):
            dW *= LR
            W -= dW
            db *= LR
            b -= db
        return float(loss)

    def weights(self):
        return [W for W, _ in self.params]


def build_sequential(w: Workload, params, linear, activation):
    layers = []
    for i, (W, b) in enumerate(params):
        layers.append(linear(W, b))
        if i < len(params) - 1 or w.head == "sigmoid_mse":
            layers.append(activation("relu" if i < len(params) - 1 and w.hidden == "relu"
                                     else "sigmoid"))
    return layers


class TinygradMLP:
    """The same model the way a user writes it: nn.Sequential, a loss from F, optim.SGD."""

    def __init__(self, w: Workload, params, x, labels, onehot) -> None:
        def linear(W, b):
            layer = nn.Linear(W.shape[1], W.shape[0])
            layer.weight.data = W.copy()
            layer.bias.data = b.copy()
            return layer

        def activation(kind):
            return nn.ReLU() if kind == "relu" else nn.Sigmoid()

        self.w = w
        self.model = nn.Sequential(*build_sequential(w, params, linear, activation))
        self.opt = optim.SGD(self.model.parameters(), lr=LR)
        self.x, self.labels, self.onehot = (tg.from_numpy(v) for v in (x, labels, onehot))

    def train_step(self) -> tg.Tensor:
        out = self.model(self.x)
        if self.w.head == "softmax_ce":
            loss = F.cross_entropy(out, self.labels)
        else:
            loss = F.mse_loss(out, self.onehot)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss

    def step(self) -> float:
        return self.train_step().item()

    def weights(self):
        return [np.asarray(m.weight) for m in self.model if isinstance(m, nn.Linear)]


class CompiledMLP(TinygradMLP):
    """The same step through tinygrad_np.compile: captured at the first call, replayed after."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.compiled = tg.compile(self.train_step)

    def step(self) -> float:
        return self.compiled().item()


class TorchMLP:
    def __init__(self, torch, w: Workload, params, x, labels, onehot) -> None:
        tnn = torch.nn

        def linear(W, b):
            layer = tnn.Linear(W.shape[1], W.shape[0], dtype=torch.from_numpy(W).dtype)
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(b))
            return layer

        def activation(kind):
            return tnn.ReLU() if kind == "relu" else tnn.Sigmoid()

        self.torch, self.w = torch, w
        self.model = tnn.Sequential(*build_sequential(w, params, linear, activation))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.x, self.labels, self.onehot = (torch.from_numpy(v) for v in (x, labels, onehot))

    def step(self) -> float:
        F_ = self.torch.nn.functional
        out = self.model(self.x)
        loss = (F_.cross_entropy(out, self.labels) if self.w.head == "softmax_ce"
                else F_.mse_loss(out, self.onehot))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def weights(self):
        return [m.weight.detach().numpy() for m in self.model
                if isinstance(m, self.torch.nn.Linear)]


def implementations(w: Workload, dtype: type, torch):
    problem = make_problem(w, dtype)
    impls = {BASELINE: NumpyMLP(w, *problem),
             "tinygrad_np": TinygradMLP(w, *problem),
             "tinygrad_np (compiled)": CompiledMLP(w, *problem)}
    if torch is not None:
        impls["torch (eager)"] = TorchMLP(torch, w, *problem)
    return impls


def check(workloads, torch) -> None:
    """Every implementation must reach the same weights after two steps."""
    for w in workloads:
        for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-4)):
            impls = implementations(w, dtype, torch)
            for impl in impls.values():
                impl.step()
                impl.step()
            ref = impls[BASELINE].weights()
            for name, impl in impls.items():
                for a, b in zip(ref, impl.weights()):
                    np.testing.assert_allclose(b, a, rtol=tol, atol=tol,
                                               err_msg=f"{name} diverges on {w.name}")
    print("check: every implementation gives the same weights after 2 steps")


def capture_rows(workloads, rounds: int) -> list[str]:
    """The first call of a compiled step (its capture: the eager step, watched and recorded,
    and the plan written) and the second (the first replay, which also writes the final plan
    without the per-edge checks), against an eager step: medians over fresh models."""
    lines = ["| workload | eager step | capture (1st call) | 1st replay (2nd call) | "
             "replay |", "|---|---:|---:|---:|---:|"]
    for w in workloads:
        times: dict[str, list[float]] = {"eager": [], "capture": [], "first": [], "replay": []}
        for _ in range(rounds):
            problem = make_problem(w, np.float32)
            eager, compiled = TinygradMLP(w, *problem), CompiledMLP(w, *problem)
            eager.step()
            for name, fn in (("eager", eager.step), ("capture", compiled.step),
                             ("first", compiled.step), ("replay", compiled.step)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        lines.append(f"| {w.name} | {med['eager']:.3f} ms | {med['capture']:.3f} ms | "
                     f"{med['first']:.3f} ms | {med['replay']:.3f} ms |")
    return lines


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def memory(w: Workload, dtype: type, steps: int) -> str:
    impl = implementations(w, dtype, None)["tinygrad_np"]
    impl.step()
    gc.collect()
    tracemalloc.start()
    impl.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    start = rss_mib()
    for _ in range(steps):
        impl.step()
    return (f"| {w.name} | {np.dtype(dtype).name} | {peak / 2**20:.1f} MiB | "
            f"{start:.0f} -> {rss_mib():.0f} MiB |")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--only", default="", help="run workloads whose name has this text")
    parser.add_argument("--markdown", action="store_true",
                        help="print only the finished markdown table (for docs/benchmarks.md)")
    args = parser.parse_args(argv)
    torch = try_import_torch()
    workloads = [w for w in WORKLOADS if args.only in w.name]
    if args.smoke:
        workloads = [WORKLOADS[1], WORKLOADS[2]]
    if args.check or args.smoke:
        check(workloads, torch)
    lines = [machine_line(torch), ""]
    if args.memory:
        lines += ["| workload | dtype | peak traced memory per step | RSS over 2,000 steps |",
                  "|---|---|---:|---:|"]
        lines += [memory(w, np.float32, 50 if args.smoke else 2000) for w in workloads]
        report = "\n".join(lines)
        print(report)
        return report
    lines += ratio_header(torch)
    rounds = 2 if args.smoke else args.rounds
    for w in workloads:
        for dtype in (np.float32, np.float64):
            impls = implementations(w, dtype, torch)
            repeat = max(1, min(200, int(2e8 // (w.batch * sum(w.sizes) * 50))))
            med = interleaved_medians({k: v.step for k, v in impls.items()}, rounds,
                                      1 if args.smoke else repeat)
            row = ratio_row(w.name, np.dtype(dtype).name, med)
            lines.append(row)
            if not args.markdown:
                print(row, flush=True)
    if args.markdown:
        # The per-op overhead and matmul of bench_core.py too: one command makes every table.
        lines = ["Time per training step (forward, loss, backward, SGD update), median of "
                 "interleaved rounds; ratio = time / hand-written NumPy's. Regenerate with "
                 "`python benchmarks/bench_models.py --markdown > docs/benchmarks.md`.", ""] + lines
        lines += ["", "The framework's own costs, forward and backward, in the same way "
                  "(`benchmarks/bench_core.py`):", ""]
        lines += ratio_header(torch) + core_rows(torch, *((2, 1) if args.smoke else (15, 5)))
        lines += ["", "A compiled step's first calls (float32; `tinygrad_np.compile`):", ""]
        lines += capture_rows(workloads[:4], 3 if args.smoke else 7)
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    main()
