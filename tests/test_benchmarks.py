"""The benchmark scripts run (smoke mode: a couple of rounds, no timing assertions)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", ["bench_core.py", "bench_models.py"])
def test_benchmark_smoke_mode_runs_and_reports_ratios(script):
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), "--smoke"],
                            capture_output=True, text=True, timeout=300, cwd=BENCHMARKS)
    assert result.returncode == 0, result.stderr
    assert "BLAS threads 1" in result.stdout
    assert "tinygrad_np" in result.stdout and "x |" in result.stdout
