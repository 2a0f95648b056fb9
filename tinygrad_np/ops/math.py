"""The elementwise ops that need more than "promote, then apply the primitive": their
argument checks live here, and the op table (table.py) names them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..autograd import function
from ..autograd.tensor_core import Tensor, array_of, shape_of, untracked
from ..device import check as check_device
from ..device import device as Device
from ..dtypes import as_dtype
from ..primitives import activations, elementwise, linalg
from .promotion import check_numeric, dtype_of, floating, promote, true_divide
from .shape_more import diagonal


def abs(x: Tensor) -> Tensor:
    """|x|, with subgradient 0 at 0 as in PyTorch."""
    if x._data.dtype.kind == "b":
        raise TypeError("abs(): not defined for bool tensors (as in PyTorch); convert "
                        "first, e.g. x.long().")
    return elementwise.Abs.apply(x)


def square(x: Tensor) -> Tensor:
    if x._data.dtype.kind == "b":  # PyTorch squares bools as integers
        x = astype(x, np.int64)
    return elementwise.Mul.apply(x, x)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 (0 at NaN); in the graph with gradient 0, as in PyTorch."""
    if x._data.dtype.kind == "b":  # NumPy has no sign for bool; PyTorch's is the identity
        return function.computed(np.copy, x)
    return elementwise.Sign.apply(x)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit x to [min, max] (either bound may be None; bounds may be tensors)."""
    if min is None and max is None:
        raise ShapeError("clamp(): give at least one of min and max.")
    # The dtype PyTorch gives x op bound: an integer tensor with a float bound gives the
    # default float dtype, and a NumPy float64 scalar keeps a float32 tensor float32.
    if min is not None:
        x, min = promote(x, min, "clamp")
    if max is not None:
        x, max = promote(x, max, "clamp")
    return elementwise.Clamp.apply(x, min, max)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of `input` where `condition` holds, else of `other`."""
    # (a Tensor condition goes to the primitive as it is: a captured step reads it again)
    cond = condition if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(
            f"where: the condition must be a bool tensor, got dtype {cond.dtype} (as in "
            "PyTorch); compare first, e.g. where(x > 0, a, b), or convert with .bool()."
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)  # Python numbers take PyTorch's dtypes (1.0: the default float)
    return elementwise.Where.apply(cond, *promote(input, other, "where"))


def where_method(x: Tensor, condition: Any, other: Any) -> Tensor:
    """`x.where(cond, y)` is `where(cond, x, y)`, as in PyTorch."""
    return where(condition, x, other)


def mm(input: Tensor, mat2: Any) -> Tensor:
    """The product of two matrices (2-d only, unlike matmul)."""
    sa, sb = shape_of(input), shape_of(mat2)
    if len(sa) != 2 or len(sb) != 2:
        raise ValueError(f"mm: both operands must be 2-d matrices, got shapes {sa} and {sb}; "
                         "use matmul (or @) for vectors and batches.")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Any) -> Tensor:
    """Batched matrix products: (b, n, m) @ (b, m, p) -> (b, n, p), same batch size."""
    sa, sb = shape_of(input), shape_of(mat2)
    if len(sa) != 3 or len(sb) != 3 or sa[0] != sb[0]:
        raise ValueError(f"bmm: both operands must be 3-d with the same batch size, got "
                         f"shapes {sa} and {sb}; use matmul (or @) to broadcast batches.")
    return matmul(input, mat2)


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with np.matmul's rules (1-D, 2-D, batched with broadcast batch dims)."""
    sa, sb = shape_of(input), shape_of(other)
    if not sa or not sb:
        raise ShapeError(
            f"matmul: both operands need at least 1 dimension, got shapes {sa} and {sb}; "
            "use * to multiply by a scalar."
        )
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ShapeError(
            f"matmul: shapes {sa} and {sb} do not match: the last dimension of the first "
            f"({k_a}) must equal the {'only' if len(sb) == 1 else 'second-to-last'} dimension "
            f"of the second ({k_b}). Transpose one operand (e.g. .T) or check the layer sizes."
        )
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: the batch dimensions of shapes {sa} and {sb} do not broadcast; each "
            "pair of leading dims must be equal or 1 (reshape or unsqueeze an operand)."
        ) from None
    return linalg.MatMul.apply(input, other)


def rmatmul(x: Tensor, other: Any) -> Tensor:
    return matmul(other, x)


def compare(ufunc: np.ufunc) -> Any:
    """A comparison (==, <, ...): a bool tensor outside the graph."""

    def compute(a: np.ndarray, other: Any) -> Any:
        if type(other) is np.ndarray and a.dtype.kind == "f" and other.dtype.kind == "f":
            # PyTorch's promotion: a wider 0-d float operand is rounded to the dimensioned
            # one's dtype first (float32 x != float64 0-d y compares float32(y)).
            if other.ndim == 0 and a.ndim and other.dtype.itemsize > a.dtype.itemsize:
                other = other.astype(a.dtype)
            elif a.ndim == 0 and other.ndim and a.dtype.itemsize > other.dtype.itemsize:
                a = a.astype(other.dtype)
        return ufunc(a, other)

    def comparison(x: Tensor, other: Any) -> Tensor:
        try:
            return function.computed(compute, x, other)
        except ValueError as err:
            raise function.op_error(ufunc.__name__, (x._data, np.asarray(array_of(other))),
                                    err) from None
        except TypeError:  # NumPy's UFuncTypeError: an operand that is not numeric
            check_numeric(ufunc.__name__, x._data, array_of(other))
            raise

    comparison.__name__ = comparison.__qualname__ = ufunc.__name__
    return comparison


# ---- dtype conversions ----------------------------------------------------------------------
def astype(x: Tensor, dtype: Any) -> Tensor:
    """A copy in `dtype` (x itself if it has it); float results stay in the graph."""
    if dtype is None:  # x.to(None) keeps the dtype, as in PyTorch (NumPy: float64)
        return x
    dtype = as_dtype(dtype, "astype")
    if dtype == x._data.dtype:
        return x
    if dtype.kind not in "fc":  # integers and bools have no gradient: outside the graph
        return function.computed(lambda a: a.astype(dtype), x)
    return elementwise.Cast.apply(x, dtype)


def to(x: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
       non_blocking: bool = False) -> Tensor:
    """x.to(dtype), x.to("cpu"), x.to(other) (other's dtype), x.to("cpu", dtype), as in
    PyTorch; the device can only be the CPU."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg._data.dtype
        elif isinstance(arg, (str, Device)):
            device = arg
        elif arg is not None:
            dtype = arg
    check_device(device, "to()")
    out = astype(x, dtype)
    return clone(out) if copy and out is x else out


def cpu(x: Tensor) -> Tensor:
    """x itself: tensors live on the CPU."""
    return x


def cuda(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    check_device("cuda", "cuda()")
    return x


def float(x: Tensor) -> Tensor:
    return astype(x, np.float32)


def double(x: Tensor) -> Tensor:
    return astype(x, np.float64)


def long(x: Tensor) -> Tensor:
    return astype(x, np.int64)


def type_(x: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """x.type(dtype) is x.to(dtype); x.type() names the tensor type ('torch.FloatTensor'),
    as in PyTorch."""
    if dtype is None:
        name = _TENSOR_TYPES.get(x._data.dtype.name, x._data.dtype.name)
        return f"torch.{name}"
    if isinstance(dtype, str) and dtype.startswith("torch."):
        names = {v: k for k, v in _TENSOR_TYPES.items()}
        dtype = names.get(dtype[len("torch."):], dtype[len("torch."):])
    return astype(x, dtype)


_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                 "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def half(x: Tensor) -> Tensor:
    return astype(x, np.float16)


def int_(x: Tensor) -> Tensor:
    return astype(x, np.int32)


def bool_(x: Tensor) -> Tensor:
    return astype(x, np.bool_)


def clone(x: Tensor) -> Tensor:
    """A copy, in the graph (its gradient flows back to x)."""
    return elementwise.Cast.apply(x, x._data.dtype)


def contiguous(x: Tensor) -> Tensor:
    return x


def positive(x: Tensor) -> Tensor:
    return x


# ---- rounding, reciprocal, NaN handling ---------------------------------------------------
def _stepwise(primitive: Any) -> Any:
    """floor/ceil/trunc: integers and bools are their own result (a copy), as in PyTorch."""

    def method(x: Tensor) -> Tensor:
        if x._data.dtype.kind in "iub":
            return function.computed(np.copy, x)
        return primitive.apply(x)

    method.__name__ = method.__qualname__ = primitive.__name__.lower()
    return method


floor = _stepwise(elementwise.Floor)
ceil = _stepwise(elementwise.Ceil)
trunc = _stepwise(elementwise.Trunc)


def round(x: Tensor, decimals: int = 0) -> Tensor:
    """Half to even (0.5 -> 0, 1.5 -> 2), to `decimals` digits; gradient 0, as in PyTorch."""
    if type(decimals) is not int:
        raise TypeError(f"round(): decimals must be an int, got {decimals!r}.")
    if x._data.dtype.kind in "iub":
        return function.computed(np.copy, x)
    return elementwise.Round.apply(x, decimals)


def reciprocal(x: Tensor) -> Tensor:
    """1 / x (integers give the default float dtype, as in PyTorch)."""
    return true_divide(elementwise.Div, x, 1, reverse=True)


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> nan, inf -> posinf, -inf -> neginf (the dtype's largest / lowest by default)."""
    if x._data.dtype.kind not in "fc":
        return function.computed(np.copy, x)
    return elementwise.NanToNum.apply(x, nan, posinf, neginf)


def predicate(ufunc: np.ufunc) -> Any:
    """A test of each element (isnan, isinf, isfinite, logical_not): a bool tensor outside
    the graph."""

    def test(x: Tensor) -> Tensor:
        return function.computed(ufunc, x)

    test.__name__ = test.__qualname__ = ufunc.__name__
    return test


def bitwise(ufunc: np.ufunc) -> Any:
    """&, |, ^, <<, >> on bool and integer tensors (logical for bools): outside the graph, in
    the dtype PyTorch gives (an int32 tensor with a Python int stays int32)."""

    def operands(x: Tensor, other: Any) -> tuple[Any, Any]:
        # (dtypes only: a captured step computes the result again, through `computed`)
        for dtype in (x._data.dtype, dtype_of(other)):
            if dtype.kind not in "biu":
                raise DTypeError(f"{ufunc.__name__}: needs bool or integer tensors, got dtype "
                                f"{dtype}; compare first (x > 0) or convert (.long()).")
        return promote(x, other, ufunc.__name__)

    def op(x: Tensor, other: Any) -> Tensor:
        return function.computed(ufunc, *operands(x, other))

    def reflected(x: Tensor, other: Any) -> Tensor:
        a, b = operands(x, other)
        return function.computed(ufunc, b, a)

    op.__name__ = op.__qualname__ = ufunc.__name__
    op.reflected = reflected  # type: ignore[attr-defined]
    return op


def bitwise_not(x: Tensor) -> Tensor:
    """~x: logical not for bools, two's complement for integers."""
    if x._data.dtype.kind not in "biu":
        raise DTypeError(f"bitwise_not: needs a bool or integer tensor, got dtype "
                        f"{x._data.dtype}; use logical_not, or compare first.")
    return function.computed(np.invert, x)


# ---- whole-tensor comparisons ----------------------------------------------------------------
def isclose(x: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """|x - other| <= atol + rtol |other|, elementwise: a bool tensor outside the graph."""
    _same_dtype(x, other, "isclose")
    return untracked(np.asarray(np.isclose(x._data, array_of(other), rtol, atol, equal_nan)))


def allclose(x: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """Whether every element is close (isclose): a Python bool, as in PyTorch."""
    _same_dtype(x, other, "allclose")
    return bool(np.allclose(x._data, array_of(other), rtol, atol, equal_nan))


def _same_dtype(x: Tensor, other: Any, op: str) -> None:
    # PyTorch compares closeness only within one dtype: across float32 and float64 the
    # tolerance would be met or missed by the cast alone.
    if isinstance(other, Tensor) and other._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}: the tensors have dtypes {x._data.dtype} and "
                           f"{other._data.dtype}; convert one first (e.g. b.to(a.dtype)).")


def equal(x: Tensor, other: Any) -> bool:
    """Whether both have the same shape and elements: a Python bool, as in PyTorch."""
    other = np.asarray(array_of(other))
    return x._data.shape == other.shape and bool(np.array_equal(x._data, other))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as torch.einsum: einsum("ij,jk->ik", a, b) is a @ b. Explicit
    output letters are optional ("ij,jk" sums the repeated j); "..." stands for the leading
    dimensions. Differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}.")
    tensors = [o if isinstance(o, Tensor) else Tensor(o) for o in operands]
    if any(term.count("...") > 1 for term in equation.split("->")[0].split(",")):
        raise ShapeError(f"einsum: {equation!r} has more than one '...' in an operand; "
                         "give each operand at most one.")
    spec = _explicit_einsum(equation.replace(" ", ""), [t._data.ndim for t in tensors])
    inputs, output = spec.split("->")
    terms = inputs.split(",")
    for i, letters in enumerate(terms):  # a repeated letter: take that diagonal first
        for c in sorted({c for c in letters if letters.count(c) > 1}):
            while letters.count(c) > 1:
                p1 = letters.index(c)
                p2 = letters.index(c, p1 + 1)
                if tensors[i].shape[p1] != tensors[i].shape[p2]:
                    raise ShapeError(f"einsum: {equation!r} repeats {c!r} in operand {i} over "
                                     f"dims of sizes {tensors[i].shape[p1]} and "
                                     f"{tensors[i].shape[p2]}; a diagonal needs equal sizes.")
                tensors[i] = diagonal(tensors[i], 0, p1, p2)  # (moved to the last dim)
                letters = letters[:p1] + letters[p1 + 1:p2] + letters[p2 + 1:] + c
        terms[i] = letters
    spec = ",".join(terms) + "->" + output
    try:
        np.einsum(spec, *[np.empty(t._data.shape, t._data.dtype) for t in tensors])
    except ValueError as err:
        shapes = [t._data.shape for t in tensors]
        raise ShapeError(f"einsum: {equation!r} does not fit operands of shapes {shapes}: "
                         f"{err}.") from None
    dtype = np.result_type(*[t._data.dtype for t in tensors])
    tensors = [t.astype(dtype) for t in tensors]
    return linalg.Einsum.apply(spec, *tensors)


def _explicit_einsum(equation: str, ndims: list[int]) -> str:
    """The equation with "..." spelt out in unused letters and the output made explicit
    (implicit mode: the letters used once, in alphabetical order, after the ellipsis)."""
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ShapeError(f"einsum: {equation!r} names {len(terms)} operands, got "
                         f"{len(ndims)}.")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation]
    widest = max([n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t],
                 default=0)
    lead = "".join(spare[:widest])
    spelt = [t.replace("...", lead[widest - (n - len(t.replace("...", ""))):])
             for t, n in zip(terms, ndims)]
    if arrow:
        output = output.replace("...", lead)
    else:
        counts = {c: "".join(spelt).count(c) for c in set("".join(spelt))}
        output = lead + "".join(sorted(c for c, k in counts.items() if k == 1 and
                                       c not in lead))
    return ",".join(spelt) + "->" + output


# ---- ops composed of others -----------------------------------------------------------------
def lerp(x: Tensor, end: Any, weight: Any) -> Tensor:
    """x + weight (end - x), as torch.lerp (x and end of one dtype, as PyTorch requires)."""
    if isinstance(end, Tensor) and end._data.dtype != x._data.dtype:
        raise DTypeError(f"lerp: the tensors have dtypes {x._data.dtype} and "
                         f"{end._data.dtype}; convert one first (e.g. end.to(x.dtype)).")
    return x + weight * (end - x)


def logaddexp(x: Tensor, other: Any) -> Tensor:
    """log(e^x + e^other), exact for far-apart operands (NumPy's logaddexp), in PyTorch's
    result dtype."""
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(array_of(other)))
    x, other = promote(x, other, "logaddexp")
    return activations.LogAddExp.apply(floating(x), floating(other))


def div(x: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """x / other; rounding_mode "trunc" rounds toward 0 and "floor" down, as torch.div (an
    integer pair then stays integer)."""
    if rounding_mode is None:
        return true_divide(elementwise.Div, x, other)
    if rounding_mode == "floor":
        return x // other
    if rounding_mode != "trunc":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b = promote(x, other, "div")
    da = a._data if isinstance(a, Tensor) else np.asarray(a)
    db = b._data if isinstance(b, Tensor) else np.asarray(b)
    if np.result_type(da, db).kind in "iub":
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.floor_divide(da, db)
            q = q + ((np.remainder(da, db) != 0) & ((da < 0) != (db < 0)))
        return untracked(np.asarray(q, dtype=np.result_type(da, db)))
    return true_divide(elementwise.Div, x, other).trunc()
