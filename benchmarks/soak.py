"""Soak test: train a small MLP for many steps and check that resident memory stays flat.

Every step builds a fresh graph (forward, cross-entropy, backward, Adam step, zero_grad), so a
leak anywhere in the graph's lifetime (saved arrays kept after backward, nodes kept alive by a
cycle, optimizer buffers reallocated) shows up as RSS growing with the step count.

    python benchmarks/soak.py --steps 20000

prints the RSS after warm-up and at the end, and exits non-zero if it grew by more than
--max-growth-mb (the warm-up lets NumPy's and the allocator's caches settle first).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

import tinygrad_np as tg  # noqa: E402
import tinygrad_np.nn.functional as F  # noqa: E402
from tinygrad_np import nn, optim  # noqa: E402


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; ru_maxrss elsewhere, a peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def soak(steps: int, warmup: int, batch: int = 64, seed: int = 0) -> dict[str, float]:
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = rng.standard_normal((1024, 32)).astype(np.float32)
    y_all = (x_all[:, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (x_all[:, 4] > 0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64),
                          nn.GELU(), nn.LayerNorm(64), nn.Linear(64, 4))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    first_loss = last_loss = float("nan")
    start_rss = rss_mb()
    warm_rss = start_rss
    t0 = time.perf_counter()
    for step in range(steps):
        i = (step * batch) % (len(x_all) - batch)
        x, y = tg.Tensor(x_all[i:i + batch]), tg.Tensor(y_all[i:i + batch])
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 0:
            first_loss = loss.item()
        if step + 1 == warmup:
            gc.collect()
            warm_rss = rss_mb()
        last_loss = loss.item()
    gc.collect()
    return {"steps": steps, "start_rss_mb": start_rss, "warm_rss_mb": warm_rss,
            "end_rss_mb": rss_mb(), "seconds": time.perf_counter() - t0,
            "first_loss": first_loss, "last_loss": last_loss,
            "gc_objects": len(gc.get_objects())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=None,
                        help="steps before the baseline RSS is taken (default: steps // 10)")
    parser.add_argument("--max-growth-mb", type=float, default=8.0)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error(f"--steps must be at least 2, got {args.steps}")
    warmup = args.warmup if args.warmup is not None else max(1, args.steps // 10)
    r = soak(args.steps, warmup)
    growth = r["end_rss_mb"] - r["warm_rss_mb"]
    print(f"soak: {r['steps']} steps in {r['seconds']:.1f} s "
          f"({1e3 * r['seconds'] / r['steps']:.2f} ms/step)")
    print(f"RSS start {r['start_rss_mb']:.1f} MiB, after {warmup} warm-up steps "
          f"{r['warm_rss_mb']:.1f} MiB, end {r['end_rss_mb']:.1f} MiB "
          f"(growth {growth:+.2f} MiB, limit {args.max_growth_mb} MiB)")
    print(f"loss {r['first_loss']:.4f} -> {r['last_loss']:.4f}; "
          f"live Python objects {r['gc_objects']}")
    if not r["last_loss"] < r["first_loss"]:
        print("FAIL: the loss did not go down", file=sys.stderr)
        return 1
    if growth > args.max_growth_mb:
        print(f"FAIL: RSS grew by {growth:.2f} MiB", file=sys.stderr)
        return 1
    print("OK: resident memory is flat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
