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
                          FloorDiv,
                          Log,
                          Maximum,
                          Minimum,
                          Mul,
                          Neg,
                          Pow,
                          Remainder,
                          Sign,
                          Sin,
                          Sqrt,
                          StdFromVariance,
                          Sub,
                          Where,
)
from .linalg import Linear, MatMul
from .nn_ops import (
                          BinaryCrossEntropy,
                          BinaryCrossEntropyWithLogits,
                          CrossEntropy,
                          Erf,
                          Gelu,
                          GeluTanh,
                          Softplus,
                          SquaredError,
)
from .reductions import Amax, Amin, LogSumExp, Mean, Prod, Sum
from .shape import Cat, Expand, Getitem, IndexAddZeros, Permute, Reshape, SetItem

__all__ = [
    "Abs", "Add", "Amax", "Amin", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "Cast",
    "Cat", "Clamp", "Cos", "CrossEntropy", "Div", "Erf", "Exp", "Expand", "FloorDiv", "Gelu",
    "GeluTanh", "Getitem", "IndexAddZeros", "Linear", "Log", "LogSoftmax", "LogSumExp", "MatMul",
    "Maximum", "Mean", "Minimum", "Mul", "Neg", "Permute", "Pow", "Prod", "ReLU", "Remainder",
    "Reshape", "Sigmoid", "SetItem", "Sign", "Sin", "Softmax", "Softplus", "Sqrt", "SquaredError",
    "StdFromVariance", "Sub", "Sum", "Tanh", "Where",
]
