"""Readable reprs: Tensors like PyTorch's (values abbreviated like NumPy's), Modules as a tree
with parameter counts."""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg
from tinygrad_np import nn


def test_tensor_repr_shows_values_dtype_and_autograd_state() -> None:
    assert repr(tg.tensor([1.0, 2.5])) == "tensor([1. , 2.5])"
    assert repr(tg.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr(x) == "tensor([1., 2.], dtype=float64, requires_grad=True)"
    assert repr((x * 2).sum()) == "tensor(6., dtype=float64, grad_fn=<SumBackward>)"
    assert repr(tg.tensor([1, 2], dtype=tg.int32)) == "tensor([1, 2], dtype=int32)"
    assert repr(tg.tensor([3])) == "tensor([3])"  # int64 and bool are defaults, like PyTorch
    assert repr(tg.zeros(0, 3)) == "tensor([], size=(0, 3))"
    with tg.no_grad():
        assert "grad_fn" not in repr(x * 2)


def test_big_tensors_are_abbreviated() -> None:
    text = repr(tg.arange(2000.0).reshape(40, 50))
    assert text.count("...") == 7 and len(text.splitlines()) == 13  # 6 of 40 rows, 6 of 50 cols
    assert text.startswith("tensor([[0.000e+00, 1.000e+00, 2.000e+00, ..., ")
    small = repr(tg.arange(1000.0))
    assert "..." not in small


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.body = nn.Sequential(nn.Linear(784, 16), nn.Sigmoid())
        self.head = nn.Linear(16, 10, bias=False)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.head(self.body(x)) * self.scale


def test_module_tree_has_parameter_counts() -> None:
    assert repr(_Net()) == """_Net(  # 12,721 params
  (body): Sequential(  # 12,560 params
    (0): Linear(in_features=784, out_features=16, bias=True)  # 12,560 params
    (1): Sigmoid()
  )
  (head): Linear(in_features=16, out_features=10, bias=False)  # 160 params
)"""
    assert repr(nn.Linear(1, 1, bias=False)) == (
        "Linear(in_features=1, out_features=1, bias=False)  # 1 param")
    assert repr(nn.ReLU()) == "ReLU()"
    shared = nn.Linear(2, 2)
    assert repr(nn.Sequential(shared, shared)).startswith("Sequential(  # 6 params\n")
