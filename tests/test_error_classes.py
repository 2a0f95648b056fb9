"""Refused inputs raise tinygrad_np's ShapeError / DTypeError / IndexRangeError: RuntimeError
as in PyTorch (so `except RuntimeError` in PyTorch code catches them) and ValueError /
TypeError / IndexError as Python code expects."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

F = np.ones((2, 3), dtype=np.float32)
CASES = [
    ("matmul", lambda L: L.tensor(F) @ L.tensor(F), tg.ShapeError),
    ("einsum", lambda L: L.einsum("ij,ij->i", L.tensor(F), L.tensor(F.T.copy())), tg.ShapeError),
    ("permute", lambda L: L.tensor(F).permute(0, 0), tg.ShapeError),
    ("reshape", lambda L: L.tensor(F).reshape(-1, -1), tg.ShapeError),
    ("roll", lambda L: L.tensor(F).roll((1, 2), 0), tg.ShapeError),
    ("gather", lambda L: L.tensor(F).gather(0, L.tensor([1])), tg.ShapeError),
    ("clamp", lambda L: L.tensor(F).clamp(), tg.ShapeError),
    ("bitwise", lambda L: L.tensor(F) & L.tensor(F), tg.DTypeError),
    ("conv2d", lambda L: L.nn.functional.conv2d(L.ones(1, 1, 2, 2), L.ones(1, 1, 3, 3)),
     tg.ShapeError),
    ("scatter", lambda L: L.zeros(2, 3).scatter(0, L.tensor([[5]]), L.ones(1, 1)),
     tg.IndexRangeError),
]


@pytest.mark.parametrize("name, fn, cls", CASES, ids=[c[0] for c in CASES])
def test_refusals_are_runtime_errors_as_in_pytorch_and_python_errors_too(name, fn, cls):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(cls) as info:
        fn(tg)
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value, (ValueError, TypeError, IndexError))
    assert name.split("2")[0] in str(info.value) or name == "bitwise"
