"""Draw the pictures of docs/tour.md into docs/img/: run the tour's Python blocks (as
tests/test_tour.py does), then draw from what they built.

    python scripts/make_tour_images.py       # needs matplotlib and Graphviz's `dot`

Writes post000_graph.svg (post 000's graph with gradient norms), post000_graph_collapsed.svg
(one node per module call) and tour_post000_curves.png (the tour's training curves).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "docs" / "tour.md"
IMG = ROOT / "docs" / "img"


def run_tour() -> dict:
    """Execute the tour's Python blocks in order in one namespace (in a scratch directory)."""
    namespace: dict = {"__name__": "tour"}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            for i, code in enumerate(re.findall(r"```python\n(.*?)```", TOUR.read_text(),
                                                flags=re.S)):
                exec(compile(code, f"docs/tour.md block {i}", "exec"), namespace)
        finally:
            os.chdir(here)
    return namespace


def main() -> None:
    ns = run_tour()
    import tinygrad_np.nn.functional as F
    from tinygrad_np import viz

    model, x, y = ns["model"], ns["x"], ns["y"]
    written = []
    loss = F.cross_entropy(model(x[:64]), y[:64])
    written.append(viz.draw_graph(loss, IMG / "post000_graph.svg", model, grad_norms=True,
                                  title="post 000: 784-16-16-10 sigmoid MLP, batch of 64"))
    with viz.trace_modules(model) as calls:
        loss = F.cross_entropy(model(x[:64]), y[:64])
    written.append(viz.draw_graph(loss, IMG / "post000_graph_collapsed.svg", model,
                                  modules=calls, collapse=True, grad_norms=True,
                                  rankdir="LR", title="one node per module call"))
    curves = viz.plot_history(ns["history"], IMG / "tour_post000_curves.png",
                              "post 000 on 3,000 MNIST images (docs/tour.md)")
    if curves is None:
        raise SystemExit("make_tour_images: matplotlib is needed for the PNG curves; "
                         "pip install matplotlib")
    written.append(curves)
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
