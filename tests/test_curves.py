"""tinygrad_np.viz.curves: PNG training curves with matplotlib, text curves without it."""

from __future__ import annotations

import builtins
import io

import pytest

from tinygrad_np import viz

HISTORY = {"epoch": [1, 2, 3, 4, 5], "loss": [2.3, 1.4, 0.9, 0.7, 0.6],
           "train_acc": [0.2, 0.5, 0.7, 0.8, 0.85], "test_acc": [0.2, 0.45, 0.6, 0.7, 0.8]}


class _Stream(io.TextIOWrapper):
    """A text stream with a given encoding, whose text `getvalue()` returns."""

    def __init__(self, encoding: str) -> None:
        super().__init__(io.BytesIO(), encoding=encoding)

    def getvalue(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode(self.encoding)


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError(f"No module named {name!r} (test)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_png_is_written_with_matplotlib(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    path = viz.plot_history(HISTORY, tmp_path / "sub" / "curves.png", "a run")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    panels = [viz.Panel("accuracy", [viz.Curve([0.5, 0.7, 0.8], label="mean",
                                               spread=[0.1, 0.05, 0.02]),
                                     viz.Curve([0.6, 0.9], x=[1, 3], label="every 2nd epoch")],
                        ylabel="accuracy", reference=(0.9, "published"))]
    assert viz.plot_curves(panels, tmp_path / "bands.png").stat().st_size > 1000


def test_text_fallback_without_matplotlib(no_matplotlib, tmp_path, capsys) -> None:
    out = _Stream("utf-8")
    assert viz.plot_history(HISTORY, tmp_path / "curves.png", "run 1", stream=out) is None
    assert not (tmp_path / "curves.png").exists()
    assert "matplotlib is not installed: no plot written to" in capsys.readouterr().err
    assert out.getvalue() == (
        "run 1\n"
        "loss  [epoch 1..5, loss 0.6..2.3]\n"
        "  loss      2.3 █▄▂▁▁ 0.6\n"
        "accuracy  [epoch 1..5, accuracy 0.2..0.85]\n"
        "  train_acc      0.2 ▁▄▆▇█ 0.85\n"
        "  test_acc       0.2 ▁▄▅▆▇ 0.8\n"
    )


def test_text_curves_long_histories_sparse_series_and_ascii() -> None:
    loss = [1 / (1 + i) for i in range(500)]
    panel = viz.Panel("loss", [viz.Curve(loss, label="train"),
                               viz.Curve([0.5, 0.1], x=[100, 500], label="eval")],
                      reference=(0.05, "post"))
    text = viz.text_curves([panel], width=40)
    lines = text.splitlines()
    assert lines[0] == "loss  [epoch 1..500, y 0.002..1]"
    assert len(lines[1].split()[2]) == 40  # 500 points in 40 columns
    assert lines[2].split(" 0.5 ")[1].startswith(" " * 7)  # nothing before epoch 100
    assert lines[3] == "  reference: post (0.05)"
    ascii_text = viz.text_curves([panel], width=40, ascii=True)
    assert ascii_text.isascii() and "#" in ascii_text


def test_text_is_ascii_for_a_stream_that_cannot_encode_blocks(capsys) -> None:
    out = _Stream("ascii")
    viz.plot_history(HISTORY, None, stream=out)  # no path: text only, no note
    assert out.getvalue().isascii() and "_" in out.getvalue()
    assert capsys.readouterr().err == ""


def test_history_without_loss_or_accuracy_is_refused() -> None:
    with pytest.raises(ValueError, match="history_panels: no key contains 'loss' or 'acc'"):
        viz.plot_history({"epoch": [1], "lr": [0.1]})
