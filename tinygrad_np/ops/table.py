"""The op table: every public op of Tensor and `tinygrad_np`, declared once.

A row names the op, the method that runs it (for most, "promote the operands, then apply the
primitive"; the rest are short functions in math.py, reductions.py, shape.py), and what the
row generates besides the method: operators (`dunder`, reflected for binary ops), aliases,
the in-place `op_` (and `__iop__`), the `tinygrad_np.op` function form, and the NumPy ufunc
or functions that run it on Tensors. `tinygrad_np/tensor.py` installs the rows on Tensor;
`tinygrad_np/__init__.py` exports the function forms. Adding an elementwise op is a primitive
in `primitives/` and one row here (plus its row in the tests' op table, which a test checks).
"""

from __future__ import annotations

import numpy as np

from ..primitives import activations, linalg
from ..primitives import elementwise as ew
from ..primitives import reductions as red
from ..primitives import shape as sh
from . import inplace, math, reductions, shape
from .declare import Op, binary_op, function_forms, numpy_function_map, ufunc_map, unary
from .promotion import power, subtraction, true_divide

OPS: list[Op] = [
    # ---- arithmetic ---------------------------------------------------------------------
    binary_op("add", ew.Add, dunder="add", ufunc=np.add, inplace=inplace.add_),
    binary_op("sub", ew.Sub, prepare=subtraction, dunder="sub", aliases=("subtract",),
              ufunc=np.subtract, inplace=inplace.sub_),
    binary_op("mul", ew.Mul, dunder="mul", aliases=("multiply",), ufunc=np.multiply,
              inplace=True),
    binary_op("div", ew.Div, prepare=true_divide, dunder="truediv",
              aliases=("divide", "true_divide"), ufunc=np.true_divide, inplace=True),
    binary_op("pow", ew.Pow, prepare=power, dunder="pow", ufunc=np.power,
              inplace=True),
    binary_op("remainder", ew.Remainder, dunder="mod", ufunc=np.remainder),
    binary_op("floor_divide", ew.FloorDiv, dunder="floordiv", ufunc=np.floor_divide,
              differentiable=False),  # recorded, but as in PyTorch its backward raises
    binary_op("maximum", ew.Maximum, ufunc=np.maximum),
    binary_op("minimum", ew.Minimum, ufunc=np.minimum),
    Op("matmul", math.matmul, linalg.MatMul, dunder="matmul", reflected=math.rmatmul,
       function=math.matmul, ufunc=np.matmul, ufunc_method=math.matmul),
    Op("mm", math.mm, linalg.MatMul),
    Op("einsum", None, linalg.Einsum, function=math.einsum),
    Op("bmm", math.bmm, linalg.MatMul),
    unary("neg", ew.Neg, dunder="neg", aliases=("negative",), ufunc=np.negative,
          inplace=True),
    Op("positive", math.positive, dunder="pos"),
    # ---- elementwise math ---------------------------------------------------------------
    unary("exp", ew.Exp, to_float=True, ufunc=np.exp, inplace=True),
    unary("log", ew.Log, to_float=True, ufunc=np.log, inplace=True),
    unary("log1p", ew.Log1p, to_float=True, ufunc=np.log1p, inplace=True),
    unary("log2", ew.Log2, to_float=True, ufunc=np.log2, inplace=True),
    unary("log10", ew.Log10, to_float=True, ufunc=np.log10, inplace=True),
    unary("expm1", ew.Expm1, to_float=True, ufunc=np.expm1, inplace=True),
    unary("sqrt", ew.Sqrt, to_float=True, ufunc=np.sqrt, inplace=True),
    unary("rsqrt", ew.Rsqrt, to_float=True, inplace=True),
    unary("tan", ew.Tan, to_float=True, ufunc=np.tan, inplace=True),
    Op("reciprocal", math.reciprocal, ew.Div, ufunc=np.reciprocal, inplace=True),
    Op("floor", math.floor, ew.Floor, ufunc=np.floor, inplace=True),
    Op("ceil", math.ceil, ew.Ceil, ufunc=np.ceil, inplace=True),
    Op("trunc", math.trunc, ew.Trunc, aliases=("fix",), ufunc=np.trunc, inplace=True),
    Op("round", math.round, ew.Round, inplace=True),
    Op("nan_to_num", math.nan_to_num, ew.NanToNum, inplace=True),
    unary("sin", ew.Sin, to_float=True, ufunc=np.sin, inplace=True),
    unary("cos", ew.Cos, to_float=True, ufunc=np.cos, inplace=True),
    unary("tanh", activations.Tanh, to_float=True, ufunc=np.tanh, inplace=True),
    unary("sigmoid", activations.Sigmoid, to_float=True, inplace=True),
    unary("relu", activations.Relu, inplace=True),
    Op("abs", math.abs, ew.Abs, dunder="abs", aliases=("absolute",), ufunc=np.absolute,
       inplace=True),
    Op("square", math.square, ew.Mul, inplace=True),
    Op("sign", math.sign, ew.Sign, ufunc=np.sign),
    Op("clamp", math.clamp, ew.Clamp, aliases=("clip",), inplace=True),
    Op("where", math.where_method, ew.Where, function=math.where,
       numpy_functions=(np.where,)),
    # ---- comparisons: bool tensors outside the graph --------------------------------------
    Op("eq", math.compare(np.equal), dunder="eq", differentiable=False),
    Op("ne", math.compare(np.not_equal), dunder="ne", differentiable=False),
    Op("lt", math.compare(np.less), dunder="lt", differentiable=False),
    Op("le", math.compare(np.less_equal), dunder="le", differentiable=False),
    Op("gt", math.compare(np.greater), dunder="gt", differentiable=False),
    Op("ge", math.compare(np.greater_equal), dunder="ge", differentiable=False),
    *(Op(name, op, differentiable=False, dunder=dunder, reflected=op.reflected)
      for name, dunder, op in (("bitwise_and", "and", math.bitwise(np.bitwise_and)),
                               ("bitwise_or", "or", math.bitwise(np.bitwise_or)),
                               ("bitwise_xor", "xor", math.bitwise(np.bitwise_xor)))),
    Op("bitwise_not", math.bitwise_not, differentiable=False, dunder="invert"),
    Op("isclose", math.isclose, differentiable=False),
    Op("allclose", math.allclose, differentiable=False),
    Op("equal", math.equal, differentiable=False),
    Op("isnan", math.predicate(np.isnan), differentiable=False),
    Op("isinf", math.predicate(np.isinf), differentiable=False),
    Op("isfinite", math.predicate(np.isfinite), differentiable=False),
    Op("logical_not", math.predicate(np.logical_not), differentiable=False),
    Op("logical_and", math.compare(np.logical_and), differentiable=False),
    Op("logical_or", math.compare(np.logical_or), differentiable=False),
    Op("logical_xor", math.compare(np.logical_xor), differentiable=False),
    # ---- dtype conversions ----------------------------------------------------------------
    Op("astype", math.astype, ew.Cast, function=False),
    Op("to", math.to, ew.Cast, function=False),
    Op("cpu", math.cpu, differentiable=False, function=False),
    Op("cuda", math.cuda, differentiable=False, function=False),
    Op("float", math.float, ew.Cast, function=False),
    Op("double", math.double, ew.Cast, function=False),
    Op("long", math.long, differentiable=False, function=False),
    Op("int", math.int_, differentiable=False, function=False),
    Op("bool", math.bool_, differentiable=False, function=False),
    Op("half", math.half, ew.Cast, function=False),
    Op("clone", math.clone, ew.Cast),
    Op("type_as", shape.type_as, ew.Cast, function=False),
    Op("contiguous", math.contiguous, differentiable=False, function=False),
    # ---- reductions ---------------------------------------------------------------------
    Op("sum", reductions.sum, red.Sum, numpy_functions=(np.sum,)),
    Op("mean", reductions.mean, red.Mean, numpy_functions=(np.mean,)),
    Op("var", reductions.var, red.Sum),
    Op("std", reductions.std, ew.StdFromVariance),
    Op("prod", reductions.prod, red.Prod, numpy_functions=(np.prod,)),
    Op("amax", reductions.amax, red.Amax),
    Op("amin", reductions.amin, red.Amin),
    Op("max", reductions.max, red.Amax),
    Op("min", reductions.min, red.Amin),
    Op("argmax", reductions.argmax, differentiable=False),
    Op("argmin", reductions.argmin, differentiable=False),
    Op("logsumexp", reductions.logsumexp, red.LogSumExp),
    Op("softmax", reductions.softmax, activations.Softmax),
    Op("log_softmax", reductions.log_softmax, activations.LogSoftmax),
    Op("all", reductions.all, differentiable=False),
    Op("any", reductions.any, differentiable=False),
    Op("cumsum", reductions.cumsum, red.CumSum),
    Op("cumprod", reductions.cumprod, red.Prod),
    Op("norm", reductions.norm, red.Norm),
    Op("median", reductions.median, sh.Getitem),
    Op("sort", reductions.sort, sh.Getitem),
    Op("argsort", reductions.argsort, differentiable=False),
    Op("topk", reductions.topk, sh.Getitem),
    # ---- shape --------------------------------------------------------------------------
    Op("reshape", shape.reshape, sh.Reshape, aliases=("view",),
       numpy_functions=(np.reshape,)),
    Op("flatten", shape.flatten, sh.Reshape, aliases=("ravel",)),
    Op("squeeze", shape.squeeze, sh.Reshape,
       numpy_functions=((np.squeeze, lambda x, axis=None: shape.squeeze(shape.as_tensor(x),
                                                                         axis)),)),
    Op("unsqueeze", shape.unsqueeze, sh.Reshape,
       numpy_functions=((np.expand_dims, lambda x, axis: shape.unsqueeze(shape.as_tensor(x),
                                                                          axis)),)),
    Op("permute", shape.permute, sh.Permute,
       numpy_functions=((np.transpose, shape.numpy_transpose),)),
    Op("transpose", shape.transpose, sh.Permute, aliases=("swapaxes",),
       numpy_functions=(np.swapaxes,)),
    Op("T", shape.reverse_dims, sh.Permute, property=True, function=False),
    Op("mT", shape.matrix_transpose, sh.Permute, property=True, function=False),
    Op("expand", shape.expand, sh.Expand),
    Op("broadcast_to", shape.broadcast_to, sh.Expand, numpy_functions=(np.broadcast_to,)),
    Op("expand_as", shape.expand_as, sh.Expand),
    Op("getitem", shape.getitem, sh.Getitem, dunder="getitem", function=False),
    Op("setitem", shape.setitem, sh.SetItem, dunder="setitem", function=False),
    Op("cat", None, sh.Cat, function=shape.cat,
       numpy_functions=((np.concatenate, lambda seq, axis=0: shape.cat(seq, axis)),)),
    Op("stack", None, sh.Cat, function=shape.stack),
    Op("size", shape.size, differentiable=False, function=False),
    Op("t", shape.t, sh.Permute),
    Op("movedim", shape.movedim, sh.Permute, aliases=("moveaxis",)),
    Op("view_as", shape.view_as, sh.Reshape, function=False),
    Op("flip", shape.flip, sh.Getitem),
    Op("roll", shape.roll, sh.Getitem),
    Op("repeat", shape.repeat, sh.Expand, function=False),
    Op("tril", shape.tril, ew.Where),
    Op("triu", shape.triu, ew.Where),
    Op("split", shape.split, sh.Getitem),
    Op("chunk", shape.chunk, sh.Getitem),
    Op("gather", shape.gather, sh.Getitem),
    Op("scatter", shape.scatter, sh.SetItem),
    Op("scatter_add", shape.scatter_add, sh.IndexAddZeros),
    Op("index_select", shape.index_select, sh.Getitem),
    Op("masked_fill", shape.masked_fill, ew.Where, inplace=True),
    # ---- in-place only --------------------------------------------------------------------
    Op("copy_", inplace.copy_, sh.SetItem, function=False),
    Op("zero_", inplace.zero_, differentiable=False, function=False),
    Op("fill_", inplace.fill_, differentiable=False, function=False),
]

FUNCTIONS = function_forms(OPS)
UFUNCS = ufunc_map(OPS)
NUMPY_FUNCTIONS = numpy_function_map(OPS)
