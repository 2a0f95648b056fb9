"""Shared benchmark plumbing: pin BLAS threads, time implementations in interleaved rounds."""

from __future__ import annotations

import os
import platform
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


BASELINE = "numpy (hand-written)"


def machine_line(torch) -> str:
    """The machine, interpreter and libraries a table was measured with."""
    import numpy as np  # (after the BLAS thread count is pinned)

    return (f"Machine: {_cpu_name()} ({os.cpu_count()} cores), {platform.system()}, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"NumPy {np.__version__}, BLAS threads {THREADS}"
            + (f", PyTorch {torch.__version__}" if torch else ""))


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


COLUMNS = ("tinygrad_np", "tinygrad_np (compiled)", "torch (eager)")
_HEADS = {"tinygrad_np": "tinygrad_np", "tinygrad_np (compiled)": "compiled",
          "torch (eager)": "torch"}


def ratio_header(torch) -> list[str]:
    """The head of a table of `ratio_row`s."""
    names = [n for n in COLUMNS if torch or n != "torch (eager)"]
    return ["| workload | dtype | numpy |" + "".join(f" {_HEADS[n]} | ratio |" for n in names),
            "|---|---|---:|" + "---:|---:|" * len(names)]


def ratio_row(workload: str, dtype: str, medians: dict[str, float]) -> str:
    """One workload's medians (from `interleaved_medians`) and their ratios to NumPy's."""
    base = medians[BASELINE]
    row = f"| {workload} | {dtype} | {base * 1e3:.3f} ms |"
    for name in COLUMNS:
        if name in medians:
            row += f" {medians[name] * 1e3:.3f} ms | {medians[name] / base:.2f}x |"
    return row
