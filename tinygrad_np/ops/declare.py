"""How an op is declared (`Op`) and how a list of declarations becomes the API: Tensor
methods and operators (reflected and augmented too), in-place variants, `tinygrad_np.<name>`
function forms, and the NumPy ufunc / array-function maps. The list itself is table.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor_core import Tensor
from . import inplace
from .promotion import binary, floating


@dataclass(frozen=True)
class Op:
    """One public op. `method(x, *args, **kwargs)` is the Tensor method `x.name(...)`."""

    name: str
    method: Callable[..., Any] | None  # None: a function-only op (cat, stack)
    primitive: type[Function] | None = None  # its differentiable primitive, if it has one
    differentiable: bool = True  # False: no gradient (comparisons, argmax, ...)
    aliases: tuple[str, ...] = ()  # more method names (NumPy's, PyTorch's short forms)
    dunder: str | None = None  # "add" makes __add__
    reflected: Callable[..., Any] | None = None  # __radd__(x, other)
    function: Callable[..., Any] | bool = True  # the tg.name form (True: generated)
    ufunc: np.ufunc | None = None  # np.ufunc(tensor, ...) runs this op
    ufunc_method: Callable[..., Any] | None = None  # how, if not `method`
    # np.f(tensor, ...) runs the function form; (np.f, adapter) where the arguments differ
    numpy_functions: tuple[Any, ...] = ()
    inplace: Callable[..., Any] | bool = False  # x.name_(...) (True: generated)
    property: bool = False  # x.name, not x.name()
    doc: str | None = field(default=None, compare=False)


def unary(name: str, primitive: type[Function], *, to_float: bool = False,
          **options: Any) -> Op:
    """A one-input op: the primitive applied to x (integers first made the default float
    dtype when `to_float`, as PyTorch's float functions do)."""
    apply = primitive.apply
    if to_float:
        def method(x: Tensor) -> Tensor:
            return apply(floating(x))
    else:
        def method(x: Tensor) -> Tensor:
            return apply(x)
    return Op(name, method, primitive, doc=primitive.__doc__, **options)


def binary_op(name: str, primitive: type[Function], *,
              prepare: Callable[..., Tensor] = binary, **options: Any) -> Op:
    """A two-input op: both operands brought to PyTorch's result dtype, then the primitive.
    `prepare(primitive, x, other, reverse)` does both (promotion.binary by default)."""

    def method(x: Tensor, other: Any) -> Tensor:
        return prepare(primitive, x, other)

    def reflected(x: Tensor, other: Any) -> Tensor:
        return prepare(primitive, x, other, True)

    def on_ufunc(a: Any, b: Any) -> Tensor:  # np.add(array, tensor) reaches us with a Tensor b
        return prepare(primitive, a, b) if isinstance(a, Tensor) else prepare(primitive, b, a,
                                                                            True)

    options.setdefault("reflected", reflected if options.get("dunder") else None)
    return Op(name, method, primitive, ufunc_method=on_ufunc, doc=primitive.__doc__,
              **options)


def install(table: Sequence[Op]) -> None:
    """Make each op a method of Tensor (with its aliases, operators and in-place forms)."""
    for op in table:
        if op.method is None:
            continue
        method = property(op.method) if op.property else op.method
        names = (op.name, *op.aliases)
        for name in names:
            setattr(Tensor, name, method)
        if op.dunder:
            setattr(Tensor, f"__{op.dunder}__", op.method)
            if op.reflected is not None:
                setattr(Tensor, f"__r{op.dunder}__", op.reflected)
        if op.inplace:
            update = _inplace_method(op)
            for name in names:
                setattr(Tensor, name + "_", update)
            if op.reflected is not None:  # a binary operator: x op= y
                setattr(Tensor, f"__i{op.dunder}__", inplace.augmented(op.name + "_"))


def _inplace_method(op: Op) -> Callable[..., Any]:
    if op.inplace is not True:
        return op.inplace
    if op.ufunc is not None and op.ufunc.nin == 2:
        return inplace.ufunc_update(op.name + "_", op.ufunc)
    return inplace.recomputed_update(op.name + "_")


def function_forms(table: Sequence[Op]) -> dict[str, Callable[..., Any]]:
    """name -> the `tinygrad_np.name(x, ...)` function of every op that has one."""
    forms: dict[str, Callable[..., Any]] = {}
    for op in table:
        if op.function is False:
            continue
        form = _function_form(op) if op.function is True else op.function
        for name in (op.name, *op.aliases):
            forms[name] = form
    return forms


def _function_form(op: Op) -> Callable[..., Any]:
    method = op.method

    def form(input: Any, *args: Any, **kwargs: Any) -> Any:
        return method(input if isinstance(input, Tensor) else Tensor(input), *args, **kwargs)

    form.__name__ = form.__qualname__ = op.name
    form.__doc__ = f"`tinygrad_np.{op.name}(x, ...)` is `x.{op.name}(...)`." + (
        f"\n\n{op.doc}" if op.doc else "")
    return form


def ufunc_map(table: Sequence[Op]) -> dict[np.ufunc, Callable[..., Any]]:
    """The ufuncs that record graph nodes on Tensors (np.exp(t), np.add(a, t), ...)."""
    return {op.ufunc: op.ufunc_method or op.method for op in table if op.ufunc is not None}


def numpy_function_map(table: Sequence[Op]) -> dict[Any, Callable[..., Any]]:
    """The NumPy functions (np.sum, np.reshape, ...) answered by an op's function form."""
    forms = function_forms(table)
    found: dict[Any, Callable[..., Any]] = {}
    for op in table:
        for entry in op.numpy_functions:
            numpy_function, adapter = entry if isinstance(entry, tuple) else (entry, None)
            found[numpy_function] = adapter or forms[op.name]
    return found

