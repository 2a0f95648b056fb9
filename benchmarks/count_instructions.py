"""Deterministic cost of one step: CPU instructions counted by valgrind's callgrind.

Wall-clock ratios on a shared machine move by 10 % or more between runs; instruction counts
repeat to about 1 %, so they judge small optimizations. Each figure is (count after N calls -
count after 0 calls) / N, with hash randomisation and address randomisation off.

    python benchmarks/count_instructions.py chain          # 1,000-op chain, fwd+bwd
    python benchmarks/count_instructions.py W2             # a bench_models workload step

Each counts hand-written NumPy, tinygrad_np eager and tinygrad_np.compile's replay.

Needs valgrind (and `setarch`, from util-linux); runs each implementation twice under it
(about a minute for the chain). Interpreted Python runs at a lower IPC than NumPy's C, so a
wall-clock ratio is larger than the instruction ratio (W2 here: 2.0x in instructions,
2.3x-2.7x in time).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


# What each name runs: the compiled step's first two calls (its capture, and the replay that
# builds its final plan) are the warm-up calls, so the counts are of replays.
IMPLS = {"numpy": "numpy (hand-written)", "tinygrad_np": "tinygrad_np",
         "compiled": "tinygrad_np (compiled)"}


def _run_target(target: str, impl: str, calls: int) -> None:
    """Inside valgrind: build the step function, call it once to warm up, then `calls` times."""
    sys.path.insert(0, str(HERE))
    import numpy as np

    import tinygrad_np as tg

    if target == "chain":
        from bench_core import chain_autodiff, chain_numpy

        x0 = np.linspace(-1, 1, 4)
        chain = tg.compile(chain_autodiff) if impl == "compiled" else chain_autodiff
        step = ((lambda: chain_numpy(x0)) if impl == "numpy"
                else (lambda: chain(tg.tensor(x0, requires_grad=True))))
    else:
        import bench_models

        workload = next(w for w in bench_models.WORKLOADS if w.name.startswith(target + " "))
        impls = bench_models.implementations(workload, np.float64, None)
        step = impls[IMPLS[impl]].step
    step()
    step()  # (a compiled step's first replay builds its final plan)
    for _ in range(calls):
        step()


def count(target: str, impl: str, calls: int) -> int:
    """Instructions callgrind collected for the whole process."""
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1")
    command = ["setarch", platform.machine(), "-R", "valgrind", "--tool=callgrind",
               "--callgrind-out-file=/dev/null", sys.executable, __file__, "--inside",
               target, impl, str(calls)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no total:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--inside"]:  # the process valgrind runs
        target, impl, calls = argv[1:]
        _run_target(target, impl, int(calls))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", help="'chain', or a bench_models workload: W1, W2, W3, "
                                       "W4 (batch 256)")
    parser.add_argument("--calls", type=int, default=None,
                        help="calls to count (default: 5 for the chain, 200 for a workload, "
                             "whose few-thousand-instruction steps need many to average out)")
    args = parser.parse_args(argv)
    if args.calls is None:
        args.calls = 5 if args.target == "chain" else 200
    per_call = {}
    for impl in IMPLS:
        per_call[impl] = (count(args.target, impl, args.calls)
                          - count(args.target, impl, 0)) / args.calls
    base = per_call["numpy"]
    print(f"{args.target}: instructions per call (float64), hand-written NumPy "
          f"{base / 1e3:,.1f}k, tinygrad_np {per_call['tinygrad_np'] / 1e3:,.1f}k, "
          f"ratio {per_call['tinygrad_np'] / base:.3f}x, compiled "
          f"{per_call['compiled'] / 1e3:,.1f}k, ratio {per_call['compiled'] / base:.3f}x")


if __name__ == "__main__":
    main()
