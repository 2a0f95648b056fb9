"""The differentiable primitives, one `Function` subclass each, grouped by kind."""

from .activations import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .elementwise import (
                          Abs,
                          Add,
                          Cast,
                          Clamp,
                          Cos,
                          Div,
                          Exp,
                          Log,
                          Maximum,
                          Minimum,
                          Mul,
                          Neg,
                          Pow,
                          Sin,
                          Sqrt,
                          Sub,
                          Where,
)
from .linalg import MatMul
from .reductions import Amax, Amin, LogSumExp, Mean, Prod, Sum
from .shape import Cat, Expand, Getitem, IndexAddZeros, Permute, Reshape

__all__ = [
    "Abs", "Add", "Amax", "Amin", "Cast", "Cat", "Clamp", "Cos", "Div", "Exp", "Expand", "Getitem",
    "IndexAddZeros", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Maximum", "Mean", "Minimum",
    "Mul", "Neg", "Permute", "Pow", "Prod", "ReLU", "Reshape", "Sigmoid", "Sin", "Softmax",
    "Sqrt", "Sub", "Sum", "Tanh", "Where",
]
