"""tinygrad_np.viz.graph: the DOT text of a recorded graph, gradient norms on its nodes, module
grouping, big graphs, rendering (when Graphviz is installed) and the message when it is not."""

from __future__ import annotations

import re
import shutil
import sys
import time

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn, viz


def _labels(dot: str) -> dict[str, str]:
    """node id -> label text (with real newlines)."""
    pattern = r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"'
    return {m.group(1): m.group(2).replace("\\n", "\n")
            for m in re.finditer(pattern, dot, flags=re.M)}


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s+(\w+) -> (\w+);", dot, flags=re.M)


def _small_model() -> tuple[nn.Module, tg.Tensor, tg.Tensor]:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2))
    x = tg.randn(5, 4)
    y = tg.tensor(np.array([0, 1, 1, 0, 1]))
    return model, x, y


def test_dot_of_a_small_known_graph() -> None:
    a = tg.tensor(np.ones((2, 3)), requires_grad=True)
    b = tg.tensor(np.full(3, 2.0), requires_grad=True)
    out = ((a * b).exp() + a).sum()
    dot = viz.to_dot(out, {"a": a, "b": b})
    assert dot.startswith('digraph "graph" {') and dot.rstrip().endswith("}")
    labels = _labels(dot)
    assert list(labels.values()) == [
        "a\n(2, 3) float64", "b\n(3,) float64", "Mul\n(2, 3) float64",
        "Exp\n(2, 3) float64", "Add\n(2, 3) float64", "Sum\n() float64",
    ]
    names = {text.split("\n")[0]: node for node, text in labels.items()}
    # data-flow order: inputs -> consumer, in the op's argument order, producers first
    assert _edges(dot) == [(names["a"], names["Mul"]), (names["b"], names["Mul"]),
                           (names["Mul"], names["Exp"]), (names["Exp"], names["Add"]),
                           (names["a"], names["Add"]), (names["Add"], names["Sum"])]


def test_leaf_names_come_from_a_module_and_unnamed_leaves_say_tensor() -> None:
    model, x, y = _small_model()
    extra = tg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(model(x) * extra, y)
    labels = list(_labels(viz.to_dot(loss, model)).values())
    for name, shape in [("0.weight", "(3, 4)"), ("0.bias", "(3,)"), ("2.weight", "(2, 3)"),
                        ("2.bias", "(2,)")]:
        assert f"{name}\n{shape} float32" in labels
    assert "tensor\n(2,) float32" in labels
    assert sum(label.startswith("Affine\n") for label in labels) == 2
    assert labels[-1] == "CrossEntropy\n() float32"  # the output comes last


def test_gradient_norms_match_backward_and_leave_grads_alone() -> None:
    model, x, y = _small_model()
    h = model[1](model[0](x))
    h.retain_grad()
    loss = F.cross_entropy(model[2](h), y)
    dot = viz.to_dot(loss, model, grad_norms=True)
    assert all(p.grad is None for p in model.parameters())  # our own pass, no accumulation
    loss.backward()  # still possible: the drawing kept the graph
    labels = _labels(dot)
    by_name = {text.split("\n")[0]: text for text in labels.values()}
    for name, p in model.named_parameters():
        shown = float(by_name[name].split("|grad| ")[1])
        assert shown == pytest.approx(np.linalg.norm(p.grad.numpy()), rel=1e-2)
    sigmoid = next(t for t in labels.values() if t.startswith("Sigmoid"))
    assert float(sigmoid.split("|grad| ")[1]) == pytest.approx(
        np.linalg.norm(h.grad.numpy()), rel=1e-2)
    assert by_name["CrossEntropy"].endswith("|grad| 1")


def test_gradient_norms_after_a_freeing_backward_say_what_to_do() -> None:
    model, x, y = _small_model()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with pytest.raises(RuntimeError, match=r"to_dot\(grad_norms=True\).*retain_graph=True"):
        viz.to_dot(loss, model, grad_norms=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward(retain_graph=True)
    assert "|grad|" in viz.to_dot(loss, model, grad_norms=True)


def test_a_tensor_without_a_graph_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="to_dot: the tensor has no recorded graph"):
        viz.to_dot(tg.ones(3))
    with pytest.raises(TypeError, match="to_dot: names= takes a Module"):
        viz.to_dot(tg.ones(3, requires_grad=True) * 2, names=42)
    with pytest.raises(ValueError, match="collapse=True needs modules="):
        viz.to_dot(tg.ones(3, requires_grad=True) * 2, collapse=True)


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return (x * 0.5 + self.fc(x)).tanh()  # ops before, inside and after a child call


def test_module_calls_group_and_collapse() -> None:
    tg.manual_seed(0)
    block = _Block()
    model = nn.Sequential(block, block, nn.Linear(3, 1))  # the block is called twice
    x = tg.randn(2, 3, requires_grad=True)
    with viz.trace_modules(model) as calls:
        out = model(x).sum()
    assert nn.Sequential.__call__ is nn.Module.__call__  # unpatched after the block
    dot = viz.to_dot(out, model, modules=calls)
    assert dot.count("subgraph cluster_") == 5  # block x2, block.fc x2, the last Linear
    assert 'label="0 (_Block) call 2"' in dot and 'label="0.fc (Linear) call 2"' in dot
    collapsed = viz.to_dot(out, model, modules=calls, collapse=True, depth=2, grad_norms=True)
    labels = list(_labels(collapsed).values())
    groups = [t.split("\n")[:2] for t in labels if "(_Block)" in t or "(Linear)" in t]
    assert groups == [["0 (_Block)", "4 ops"], ["0 (_Block) call 2", "4 ops"],
                      ["2 (Linear)", "1 op, 4 params"]]  # shared block params stay apart
    assert "0.fc.weight\n(3, 3) float32\n|grad|" in collapsed.replace("\\n", "\n")
    assert "tensor\n(2, 3) float32" in "".join(labels) and labels[-1].startswith("Sum")
    assert len(_edges(collapsed)) == 8  # x, w, b -> call 1 -> call 2 (w, b) -> Linear -> Sum


def test_five_thousand_nodes_quickly() -> None:
    x = tg.tensor(np.ones(3), requires_grad=True)
    y = x
    for i in range(2500):
        y = (y * 0.999 + 0.001) if i % 2 else y.tanh() + x
    start = time.perf_counter()
    dot = viz.to_dot(y.sum(), {"x": x}, grad_norms=True)
    seconds = time.perf_counter() - start
    assert dot.count(" [label=") > 5000 and len(_edges(dot)) > 6000
    assert seconds < 3, f"to_dot took {seconds:.2f} s on a 5,000-node graph"


def test_deep_chain_does_not_recurse() -> None:
    y = x = tg.tensor(np.ones(2), requires_grad=True)
    for _ in range(sys.getrecursionlimit() + 500):
        y = y + 1.0
    assert viz.to_dot(y).count("Add\\n") == sys.getrecursionlimit() + 500
    del x


def test_render_without_graphviz_explains_what_to_install(monkeypatch, tmp_path) -> None:
    import builtins

    monkeypatch.setattr(shutil, "which", lambda name: None)
    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("No module named 'graphviz' (test)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    out = (tg.ones(2, requires_grad=True) * 3).sum()
    with pytest.raises(viz.GraphvizNotFoundError,
                       match=r"render: cannot write .*graph\.svg: the Graphviz 'dot' program "
                             r"was not found.*apt-get install graphviz.*to_dot"):
        viz.draw_graph(out, tmp_path / "graph.svg")
    dot_file = viz.draw_graph(out, tmp_path / "graph.dot")  # the text needs nothing
    assert dot_file.read_text().startswith("digraph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_render_svg_and_png_with_dot(tmp_path) -> None:
    model, x, y = _small_model()
    loss = F.cross_entropy(model(x), y)
    svg = viz.draw_graph(loss, tmp_path / "g.svg", model, grad_norms=True)
    assert "<svg" in svg.read_text() and "0.weight" in svg.read_text()
    png = viz.draw_graph(loss, tmp_path / "g.png", model)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(RuntimeError, match="render: dot -Tnosuchformat failed"):
        viz.render("digraph { a -> b }", tmp_path / "g.nosuchformat")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_render_through_the_graphviz_package(monkeypatch, tmp_path) -> None:
    pytest.importorskip("graphviz")
    monkeypatch.setattr(shutil, "which", lambda name: None)  # not found by us: the package runs it
    out = (tg.ones(2, requires_grad=True) * 3).sum()
    assert "<svg" in viz.draw_graph(out, tmp_path / "g.svg").read_text()


def test_plan_to_dot_draws_what_a_replay_runs():
    model = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    compiled = tg.compile(step)
    with pytest.raises(ValueError, match="no plan yet"):
        viz.plan_to_dot(compiled)
    compiled(tg.tensor(np.ones((4, 2), np.float32)), tg.tensor([0, 1, 1, 0]))
    dot = viz.plan_to_dot(compiled, model)
    for label in ("Affine", "Relu", "CrossEntropy", "0.weight", "2.bias", "argument 0",
                  "Optimizer.zero_grad()", "backward()", "Optimizer.step()"):
        assert label in dot, label
    assert dot.count("style=dashed") == 2  # zero_grad -> backward -> step
    with pytest.raises(IndexError):
        viz.plan_to_dot(compiled, index=1)


def test_draw_plan_writes_dot_text(tmp_path):
    f = tg.compile(lambda x: (x * 2).sum())
    f(tg.tensor(np.ones(3)))
    path = viz.draw_plan(f, tmp_path / "plan.dot")
    assert path.read_text().startswith("digraph plan {") and "Mul" in path.read_text()
