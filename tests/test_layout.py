"""The import graph of the package flows one way (docs/design.md, Layout): no module imports,
directly or through others, a module that imports it back, and no layer imports one above
it. Read from the source (every import statement, also those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_np"

# A layer may import only layers listed before it (and itself).
LAYERS = ["errors", "dtypes", "device", "autograd", "random", "primitives", "ops", "tensor",
          "creation", "serialization", "data", "utils", "datasets", "vision", "testing",
          "compile", "nn", "optim", "viz", "__init__"]
# Kept apart although listed in order: data, testing, compile and viz use the core only.
NOT_ALLOWED = {
    "data": {"nn", "optim", "testing"}, "testing": {"nn", "optim", "data"},
    "datasets": {"nn", "optim", "testing"}, "vision": {"nn", "optim", "testing"},
    "nn": {"data", "datasets", "vision", "testing", "viz"},
    "utils": {"nn", "optim", "testing"},
    # compile replays what eager code does: it knows the core only (events come to it)
    "compile": {"nn", "optim", "data", "datasets", "vision", "testing", "utils"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The package's modules that `path` imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("tinygrad_np"):
                continue
            for alias in node.names:  # `from . import nn` imports a submodule
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tinygrad_np")}
    found.discard(name)
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


GRAPH = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_circle():
    # A module's import of its own package's __init__ is no edge back: Python runs the
    # package first either way. Only module-to-module edges count.
    graph = {m: {t for t in targets if t in GRAPH and not m.startswith(t + ".")}
             for m, targets in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(target):]
                                                            + [target]))
            if target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_layer_imports_one_above_it(module):
    here = _layer(module)
    for target in GRAPH[module]:
        there = _layer(target)
        if there == here or target == "tinygrad_np":
            continue
        assert LAYERS.index(there) < LAYERS.index(here), \
            f"{module} imports {target}: {there} sits above {here}"
        assert there not in NOT_ALLOWED.get(here, set()), f"{module} imports {target}"
