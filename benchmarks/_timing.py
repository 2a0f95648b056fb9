"""Shared benchmark plumbing: pin BLAS threads, time implementations in interleaved rounds."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)  # must happen before NumPy loads its BLAS


def try_import_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(THREADS))
    return torch


def interleaved_medians(impls: dict[str, Callable[[], object]], rounds: int,
                        repeat: int) -> dict[str, float]:
    """Median seconds per call of each implementation. Every round runs each implementation
    `repeat` times in turn, so slow drifts of the machine hit all of them alike."""
    for fn in impls.values():  # warm up caches and allocators
        fn()
    samples: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            samples[name].append((time.perf_counter() - start) / repeat)
    return {name: statistics.median(s) for name, s in samples.items()}


def markdown_table(title: str, medians: dict[str, float], baseline: str) -> str:
    base = medians[baseline]
    lines = [f"| {title} | median | vs {baseline} |", "|---|---:|---:|"]
    for name, t in medians.items():
        lines.append(f"| {name} | {t * 1e3:.3f} ms | {t / base:.2f}x |")
    return "\n".join(lines)
