"""examples/mnist_cnn.py runs in its fast mode (one epoch on 2,000 images): the loss falls and
the accuracy beats chance by a wide margin; and the convolution benchmark's smoke mode runs,
checks the three implementations agree, and reports ratios."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

mnist_cnn = pytest.importorskip("mnist_cnn")

needs_mnist = pytest.mark.skipif(
    not (ROOT / "data" / "mnist" / "train-images.idx3-ubyte.gz").is_file(),
    reason="the MNIST IDX files are not in data/mnist/")


@needs_mnist
def test_mnist_cnn_fast(tmp_path, capsys):
    result = mnist_cnn.main(["--fast", "--quiet", "--plot", str(tmp_path / "cnn.png")])
    losses = result["history"]["loss"]
    assert sum(losses[-3:]) < 0.5 * sum(losses[:3])
    assert result["test_acc"] > 0.5  # chance is 0.1
    out = capsys.readouterr().out
    assert "mnist_cnn: test accuracy" in out and "wall time" in out


def test_conv_benchmark_smoke_mode_checks_and_reports_ratios():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_conv.py"),
                             "--smoke"], capture_output=True, text=True, timeout=300,
                            cwd=ROOT / "benchmarks")
    assert result.returncode == 0, result.stderr
    assert "check: conv2d gradients agree" in result.stdout
    assert "BLAS threads 1" in result.stdout and "x |" in result.stdout
    assert "mnist_cnn training step" in result.stdout and "MiB unfolded" in result.stdout
