"""Core micro-benchmarks: per-op overhead and a matmul, forward + backward, against
hand-written NumPy doing the same math (and PyTorch when installed).

    python benchmarks/bench_core.py            # full run
    python benchmarks/bench_core.py --smoke    # a few rounds, for the test suite

`bench_models.py --markdown` appends these rows to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse

# _timing pins the BLAS thread count, so it must load before NumPy does.
from _timing import (BASELINE, interleaved_medians, machine_line, ratio_header, ratio_row,
                     try_import_torch)

# isort: split

import numpy as np

import tinygrad_np as tg

CHAIN = [("mul", 1.001), ("add", 0.001), ("tanh", None), ("sub", 0.0005)] * 250  # 1,000 ops


def chain_numpy(x0: np.ndarray) -> np.ndarray:
    """The chain and its hand-written backward: what a careful NumPy programmer writes."""
    x, saved = x0, []
    for op, c in CHAIN:
        if op == "mul":
            x = x * c
        elif op == "add":
            x = x + c
        elif op == "sub":
            x = x - c
        else:
            x = np.tanh(x)
            saved.append(x)
    g = np.ones_like(x)
    for op, c in reversed(CHAIN):
        if op == "mul":
            g = g * c
        elif op == "tanh":
            y = saved.pop()
            g = g * (1 - y * y)
    return g


def chain_autodiff(leaf):
    """The chain through an autodiff framework's tensors (tinygrad_np's and PyTorch's APIs
    agree here); returns d sum(x) / d leaf."""
    x = leaf
    for op, c in CHAIN:
        if op == "mul":
            x = x * c
        elif op == "add":
            x = x + c
        elif op == "sub":
            x = x - c
        else:
            x = x.tanh()
    x.sum().backward()
    return leaf.grad


def matmul_numpy(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = a @ b
    c.sum()
    g = np.ones_like(c)
    return g @ b.T, a.T @ g


def matmul_autodiff(a, b) -> None:
    a.grad = b.grad = None
    (a @ b).sum().backward()


def core_benchmarks(dtype: type, torch) -> list[tuple[str, dict, int]]:
    """(workload, implementations, calls per timing) for the chain and the matmul in `dtype`;
    the chain's gradient is checked against the hand-written one first."""
    x0 = np.linspace(-1, 1, 4).astype(dtype)
    np.testing.assert_allclose(np.asarray(chain_autodiff(tg.tensor(x0, requires_grad=True))),
                               chain_numpy(x0), rtol=1e-5)
    compiled_chain = tg.compile(chain_autodiff)
    chain = {BASELINE: lambda: chain_numpy(x0),
             "tinygrad_np": lambda: chain_autodiff(tg.tensor(x0, requires_grad=True)),
             "tinygrad_np (compiled)": lambda: compiled_chain(tg.tensor(x0, requires_grad=True))}
    if torch is not None:
        chain["torch (eager)"] = lambda: chain_autodiff(torch.tensor(x0, requires_grad=True))

    rng = np.random.default_rng(0)
    a0, b0 = (rng.standard_normal((256, 256)).astype(dtype) for _ in range(2))
    ta, tb = tg.tensor(a0, requires_grad=True), tg.tensor(b0, requires_grad=True)
    compiled_matmul = tg.compile(matmul_autodiff)
    matmul = {BASELINE: lambda: matmul_numpy(a0, b0),
              "tinygrad_np": lambda: matmul_autodiff(ta, tb),
              "tinygrad_np (compiled)": lambda: compiled_matmul(ta, tb)}
    if torch is not None:
        pa, pb = (torch.tensor(v, requires_grad=True) for v in (a0, b0))
        matmul["torch (eager)"] = lambda: matmul_autodiff(pa, pb)
    return [("per-op overhead: 1,000-op elementwise chain on a (4,) tensor, fwd+bwd", chain, 1),
            ("256x256 matmul, fwd+bwd", matmul, 5)]


def core_rows(torch, rounds: int, repeat: int) -> list[str]:
    """A `ratio_row` per benchmark and dtype: medians of `rounds` interleaved rounds."""
    rows = []
    for dtype in (np.float32, np.float64):
        for name, impls, calls in core_benchmarks(dtype, torch):
            medians = interleaved_medians(impls, rounds, repeat * calls)
            rows.append(ratio_row(name, np.dtype(dtype).name, medians))
    return rows

def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few rounds only")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    rounds, repeat = (2, 1) if args.smoke else (args.rounds, 5)
    torch = try_import_torch()
    report = "\n".join([machine_line(torch), ""] + ratio_header(torch)
                       + core_rows(torch, rounds, repeat))
    print(report)
    return report

if __name__ == "__main__":
    main()
