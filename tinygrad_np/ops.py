"""Function forms of Tensor methods: `tinygrad_np.exp(x)` is `x.exp()`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor import Tensor


def _function_form(name: str) -> Callable[..., Tensor]:
    def op(input: Any, *args: Any, **kwargs: Any) -> Any:
        t = input if isinstance(input, Tensor) else Tensor(input)
        return getattr(t, name)(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"`tinygrad_np.{name}(x, ...)` is `x.{name}(...)`."
    return op


exp = _function_form("exp")
log = _function_form("log")
sqrt = _function_form("sqrt")
abs = _function_form("abs")
sin = _function_form("sin")
cos = _function_form("cos")
tanh = _function_form("tanh")
sigmoid = _function_form("sigmoid")
relu = _function_form("relu")
sign = _function_form("sign")
clamp = _function_form("clamp")
clip = _function_form("clip")
maximum = _function_form("maximum")
minimum = _function_form("minimum")
remainder = _function_form("remainder")
floor_divide = _function_form("floor_divide")
sum = _function_form("sum")
mean = _function_form("mean")
var = _function_form("var")
std = _function_form("std")
prod = _function_form("prod")
amax = _function_form("amax")
amin = _function_form("amin")
max = _function_form("max")
min = _function_form("min")
argmax = _function_form("argmax")
argmin = _function_form("argmin")
logsumexp = _function_form("logsumexp")
softmax = _function_form("softmax")
log_softmax = _function_form("log_softmax")
reshape = _function_form("reshape")
flatten = _function_form("flatten")
squeeze = _function_form("squeeze")
unsqueeze = _function_form("unsqueeze")
transpose = _function_form("transpose")
permute = _function_form("permute")
broadcast_to = _function_form("broadcast_to")
