"""Training curves: a PNG with matplotlib when it is installed, compact text curves otherwise.

    history = {"epoch": [1, 2, 3], "loss": [2.3, 1.1, 0.7], "train_acc": [0.4, 0.7, 0.8]}
    plot_history(history, "curves.png")       # PNG, or text in the terminal without matplotlib
    print(text_curves(history_panels(history)))

`plot_curves` is the general form: side-by-side `Panel`s of `Curve`s, each curve with its own
x values (e.g. a test accuracy measured every 10 epochs), an optional shaded spread (mean +-
std over runs) and a dashed reference level per panel (a published result).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

__all__ = ["Curve", "Panel", "history_panels", "plot_curves", "plot_history", "text_curves"]


@dataclass
class Curve:
    """One line: `y` against `x` (default 1, 2, ...), optionally shaded `y +- spread`."""

    y: Sequence[float]
    x: Sequence[float] | None = None
    label: str = ""
    spread: Sequence[float] | None = None

    def xs(self) -> np.ndarray:
        if self.x is None:
            return np.arange(1, len(self.y) + 1, dtype=float)
        return np.asarray(self.x, dtype=float)


@dataclass
class Panel:
    """One plot: its curves, axis labels and an optional reference level `(y, label)`."""

    title: str = ""
    curves: Sequence[Curve] = field(default_factory=list)
    xlabel: str = "epoch"
    ylabel: str = ""
    reference: tuple[float, str] | None = None


def history_panels(history: Mapping[str, Sequence[float]], x: str = "epoch") -> list[Panel]:
    """Panels for a history dict: the keys with "loss" in one panel, with "acc" in another
    (e.g. "loss", "train_acc", "test_acc"), against `history[x]` when it is there."""
    xs = history.get(x)
    loss = [Curve(v, xs, k) for k, v in history.items() if k != x and "loss" in k]
    acc = [Curve(v, xs, k) for k, v in history.items() if k != x and "acc" in k]
    panels = [Panel("loss", loss, x, "loss")] if loss else []
    panels += [Panel("accuracy", acc, x, "accuracy")] if acc else []
    if not panels:
        raise ValueError(f"history_panels: no key contains 'loss' or 'acc' in {list(history)}; "
                         "name the series e.g. 'loss', 'train_acc', 'test_acc'.")
    return panels


_BLOCKS = "▁▂▃▄▅▆▇█"
_ASCII = "_.-~=+*#"


def _can_encode(text: str, stream: TextIO | None) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def text_curves(panels: Sequence[Panel], width: int = 48, ascii: bool = False) -> str:
    """The panels as text: one sparkline per curve, all curves of a panel on one scale and
    one x range, with first and last values and the panel's min..max."""
    ramp = _ASCII if ascii else _BLOCKS
    out: list[str] = []
    for panel in panels:
        curves = [c for c in panel.curves if len(c.y)]
        if not curves:
            continue
        values = np.concatenate([np.asarray(c.y, dtype=float) for c in curves])
        values = values[np.isfinite(values)]
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        x0 = min(float(c.xs().min()) for c in curves)
        x1 = max(float(c.xs().max()) for c in curves)
        out.append(f"{panel.title or panel.ylabel}  [{panel.xlabel} {x0:g}..{x1:g}, "
                   f"{panel.ylabel or 'y'} {lo:.4g}..{hi:.4g}]")
        cols = min(width, max(len(c.y) for c in curves))  # a short history: 1 char a point
        grid = np.linspace(x0, x1, cols) if x1 > x0 else np.full(cols, x0)
        label_width = max(len(c.label) for c in curves)
        for c in curves:
            xs, ys = c.xs(), np.asarray(c.y, dtype=float)
            inside = (grid >= xs.min()) & (grid <= xs.max())
            # the value at each column: the nearest measured point at or before it
            at = np.clip(np.searchsorted(xs, grid, side="right") - 1, 0, len(ys) - 1)
            chars = []
            for col in range(cols):
                v = ys[at[col]]
                if not inside[col] or not math.isfinite(v):
                    chars.append(" ")
                    continue
                level = 0 if hi == lo else int((v - lo) / (hi - lo) * (len(ramp) - 1) + 0.5)
                chars.append(ramp[level])
            out.append(f"  {c.label:<{label_width}} {ys[0]:>8.4g} {''.join(chars)} "
                       f"{ys[-1]:.4g}")
        if panel.reference is not None:
            value, label = panel.reference
            out.append(f"  reference: {label} ({value:g})")
    return "\n".join(out)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(panels: Sequence[Panel], path: str | os.PathLike[str] | None = None,
                title: str = "", *, stream: TextIO | None = None) -> Path | None:
    """Draw the panels side by side into the PNG `path` and return it; without matplotlib
    (or with `path=None`) print them as `text_curves` to `stream` (stdout) and return None."""
    panels = list(panels)
    plt = _pyplot() if path else None
    if plt is None:
        stream = stream if stream is not None else sys.stdout
        if path:
            print(f"(matplotlib is not installed: no plot written to {path}; "
                  "pip install matplotlib. The curves as text:)", file=sys.stderr)
        text = text_curves(panels, ascii=not _can_encode(_BLOCKS, stream))
        print((title + "\n" if title else "") + text, file=stream, flush=True)
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for c in panel.curves:
            xs, ys = c.xs(), np.asarray(c.y, dtype=float)
            (line,) = ax.plot(xs, ys, label=c.label or None)
            if c.spread is not None:
                s = np.asarray(c.spread, dtype=float)
                ax.fill_between(xs, ys - s, ys + s, alpha=0.25, color=line.get_color())
        if panel.reference is not None:
            value, label = panel.reference
            ax.axhline(value, color="gray", linestyle="--", linewidth=1, label=label)
        ax.set_title(panel.title)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
        if any(c.label for c in panel.curves) or panel.reference is not None:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_history(history: Mapping[str, Sequence[float]],
                 path: str | os.PathLike[str] | None = None, title: str = "",
                 *, x: str = "epoch", stream: TextIO | None = None) -> Path | None:
    """Loss and accuracy per epoch from a history dict (see `history_panels`): a PNG at
    `path` with matplotlib, else text curves in the terminal."""
    return plot_curves(history_panels(history, x), path, title, stream=stream)
