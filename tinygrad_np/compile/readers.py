"""Which reads of a tensor's array (`t._data`) a capture may let pass.

A replay runs the recorded primitives again on the new arrays, so any other code that looked
at values during the capture would have its answer frozen: a mask computed from `x._data`, a
count of targets, an `.item()`. Only two kinds of reader are safe:

- the dataflow machinery, which hands the arrays to the primitives (`Function.apply`) and
  follows views (`autograd.views`), and `detach()` / `.data`, which share the array: a
  replay does the same with the new arrays;
- the package's functions whose every `._data` is followed by `.shape`, `.dtype` or another
  attribute that the replay's guards fix. That is decided from the function's source, once
  per function, so it cannot fall out of date.

Anything else (the user's code, `.item()`, a function that keeps `x._data` in a variable)
makes the capture refuse, and the function stays eager.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any

DATAFLOW_MODULES = frozenset({
    "tinygrad_np.autograd.function",
    "tinygrad_np.autograd.views",
})

# Functions that wrap the same array in another Tensor (a replay finds the array by identity).
SHARING = frozenset({
    "tinygrad_np.autograd.tensor_core.Tensor.detach",
    "tinygrad_np.autograd.tensor_core.Tensor.data",
})

# Attributes of an array fixed by the guards (shape, dtype) or by how it was made.
STATIC_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "size", "flags", "itemsize",
                               "strides", "nbytes"})

_PACKAGE = __name__.split(".")[0]


@functools.cache
def reads_only_shapes(module: str, code: Any) -> bool:
    """Whether the function of `code` (in `module`) may read `._data` during a capture."""
    if module in DATAFLOW_MODULES or f"{module}.{code.co_qualname}" in SHARING:
        return True
    if module.split(".")[0] != _PACKAGE:
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError):  # (no source: assume the worst)
        return False
    return only_static_reads(tree)


def only_static_reads(tree: ast.AST) -> bool:
    """Whether every `<expr>._data` in `tree` is itself followed by a static attribute."""
    static = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in STATIC_ATTRIBUTES:
            static.add(id(node.value))
    return all(id(node) in static for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr == "_data")
