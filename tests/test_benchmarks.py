"""The benchmark scripts run (smoke mode: a couple of rounds, no timing assertions)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("command", [["bench_core.py"], ["bench_models.py", "--markdown"]])
def test_benchmark_smoke_mode_runs_and_reports_ratios(command):
    result = subprocess.run([sys.executable, str(BENCHMARKS / command[0]), "--smoke",
                             *command[1:]],
                            capture_output=True, text=True, timeout=300, cwd=BENCHMARKS)
    assert result.returncode == 0, result.stderr
    assert "BLAS threads 1" in result.stdout
    assert "| tinygrad_np | ratio |" in result.stdout and "x |" in result.stdout
    # The per-op chain's row, in bench_core's table and in docs/benchmarks.md's.
    assert "| per-op overhead: 1,000-op elementwise chain" in result.stdout


@pytest.mark.parametrize("target, impl", [("chain", "tinygrad_np"), ("W2", "numpy"),
                                          ("W3", "tinygrad_np")])
def test_instruction_counter_runs_its_targets(target, impl):
    """The part of count_instructions.py that valgrind runs (valgrind itself is too slow for
    the suite): every target builds and steps."""
    result = subprocess.run([sys.executable, str(BENCHMARKS / "count_instructions.py"),
                             "--inside", target, impl, "1"],
                            capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert result.returncode == 0, result.stderr
