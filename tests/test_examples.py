"""Each post example runs in its fast mode (few epochs on a subset): the loss falls and the
accuracy beats chance by a wide margin. Also: flags parse, plots degrade without matplotlib."""

import sys
import warnings
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

post000 = pytest.importorskip("post000_mnist_sigmoid")
post001 = pytest.importorskip("post001_moons_relu")
post002 = pytest.importorskip("post002_mnist_mse")

MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST / "train-images.idx3-ubyte.gz").is_file(),
                                 reason="the MNIST IDX files are not in data/mnist/")


def _falls(losses):
    return losses[-1] < 0.8 * losses[0]


@needs_mnist
def test_post000_fast_post_settings(tmp_path, capsys):
    result = post000.main(["--fast", "--quiet", "--plot", str(tmp_path / "p0.png")])
    assert _falls(result["history"]["loss"])
    assert result["test_acc"] > 0.5 and result["train_acc"] > 0.5  # chance is 0.1
    out = capsys.readouterr().out
    assert "test accuracy" in out and "wall time" in out and "--optimizer sgd --lr 0.8" in out


@needs_mnist
def test_post000_fast_adam_minibatches(tmp_path):
    result = post000.main(["--fast", "--quiet", "--plot", "", "--epochs", "5",
                           "--optimizer", "adamw", "--lr", "0.01", "--batch-size", "100",
                           "--init", "xavier", "--weight-decay", "0.1"])
    assert _falls(result["history"]["loss"])
    assert result["test_acc"] > 0.8


def test_post001_fast(tmp_path, capsys):
    result = post001.main(["--fast", "--quiet", "--plot", str(tmp_path / "p1.png"),
                           "--init", "default", "--lr", "0.1"])
    assert _falls(result["history"]["loss"])
    assert result["mean"] > 0.85 and len(result["accs"]) == 2  # chance is 0.5
    assert "+-" in capsys.readouterr().out


@pytest.mark.parametrize("post, flags", [
    (post001, ["--init", "default", "--lr", "0.1", "--runs", "1"]),
    pytest.param(post002, [], marks=needs_mnist),
])
def test_the_compiled_step_gives_the_eager_numbers(post, flags):
    # --compile (the default) replays a captured step: the same losses, bit for bit.
    args = ["--fast", "--quiet", "--plot", "", *flags]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the step is captured, not refused
        compiled = post.main(args)
    eager = post.main([*args, "--no-compile"])
    assert compiled["history"]["loss"] == eager["history"]["loss"]


def test_post001_fast_sweep(tmp_path):
    result = post001.main(["--fast", "--quiet", "--plot", "", "--runs", "1", "--epochs", "2",
                           "--init", "default", "--lr", "0.1", "--sweep", "--sweep-trials", "1",
                           "--sweep-plot", str(tmp_path / "sweep.png")])
    assert result["sweep"]["widths"] == list(range(3, 41))
    assert min(result["sweep"]["mean"]) > 0.7


@needs_mnist
def test_post002_fast(tmp_path):
    result = post002.main(["--fast", "--quiet", "--plot", str(tmp_path / "p2.png")])
    assert _falls(result["history"]["loss"])
    assert result["test_acc"] > 0.6


def test_plots_are_written_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    result = post001.main(["--fast", "--quiet", "--runs", "2", "--epochs", "2", "--init",
                           "default", "--lr", "0.1", "--plot", str(tmp_path / "sub" / "x.png")])
    assert result["plot"] and result["plot"].stat().st_size > 1000


def test_examples_degrade_without_matplotlib_and_tqdm(monkeypatch, capsys, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_extras(name, *args, **kwargs):
        if name.split(".")[0] in ("matplotlib", "tqdm"):
            raise ImportError(f"No module named {name!r} (test)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_extras)
    png = tmp_path / "none.png"
    result = post001.main(["--fast", "--runs", "1", "--epochs", "2", "--init", "default",
                           "--lr", "0.1", "--plot", str(png)])
    assert result["plot"] is None and not png.exists()
    captured = capsys.readouterr()
    assert "matplotlib is not installed" in captured.err
    assert "post001: run 1/1" in captured.out  # the plain-text progress lines
    assert "test accuracy, mean and std over 1 runs  [epoch 1..2" in captured.out  # text curves


def test_bad_flags_are_rejected():
    with pytest.raises(SystemExit):
        post001.main(["--optimizer", "lbfgs"])
