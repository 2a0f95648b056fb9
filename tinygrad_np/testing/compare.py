"""compare_grads: check hand-written backprop against autodiff, parameter by parameter.

    report = compare_grads(model, loss, manual, inputs=x)        # a model: named_parameters()
    report = compare_grads(forward, loss, manual, params=params)  # a function of parameters
    print(report)                                                 # an aligned table
    report.raise_if_failed()                                      # or raise_exception=True

For every parameter p the autodiff gradient a = dL/dp is computed with `tinygrad_np.grad`
(leaves' `.grad` are left alone) and compared with the hand-written gradient m:

    max abs err = max |m - a|
    max rel err = max |m - a| / max |a|          (normwise; 0 when both are all zero)
    passes      iff |m - a| <= atol + rtol |a|   for every element (NumPy's isclose rule)

This module depends on the core only (Tensor, autograd); models are duck-typed through
`named_parameters()`, so any object with that method (tinygrad_np.nn.Module included) works.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import enable_grad, grad
from ..autograd.tensor_core import Tensor

__all__ = ["GradMismatchError", "GradReport", "GradRow", "compare_grads", "default_tolerances"]

# (rtol, atol) by the dtype the autodiff gradient was computed in.
_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-7, 1e-9),
    "float32": (1e-4, 1e-6),
    "float16": (1e-2, 1e-3),
}


def default_tolerances(dtype: Any) -> tuple[float, float]:
    """(rtol, atol) used by compare_grads for gradients computed in `dtype`."""
    return _TOLERANCES.get(np.dtype(dtype).name, _TOLERANCES["float32"])


class GradMismatchError(AssertionError):
    """Raised by compare_grads (raise_exception=True) or GradReport.raise_if_failed() when a
    hand-written gradient disagrees with autodiff; the message holds the whole table and
    `.report` the GradReport."""

    def __init__(self, message: str, report: GradReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class GradRow:
    """One parameter's comparison: errors of the hand-written gradient against autodiff, and
    the worst element (the largest |manual - autodiff| - rtol |autodiff|)."""

    name: str
    shape: tuple[int, ...]
    max_abs_err: float
    max_rel_err: float
    passed: bool
    worst_index: tuple[int, ...]
    autodiff_value: float
    manual_value: float


def _fmt(x: float) -> str:
    return f"{x:.2e}" if np.isfinite(x) else str(x)


@dataclass
class GradReport:
    """Per-parameter report of compare_grads; `str(report)` is an aligned table."""

    rows: list[GradRow]
    rtol: float  # the tolerances used (the loosest, if parameters differ in dtype)
    atol: float
    autodiff: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    manual: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        """True when every parameter's hand-written gradient matches autodiff."""
        return all(row.passed for row in self.rows)

    @property
    def failed(self) -> list[GradRow]:
        """The rows that do not match."""
        return [row for row in self.rows if not row.passed]

    def __getitem__(self, name: str) -> GradRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(
            f"GradReport: no parameter named {name!r}; the report has "
            f"{[row.name for row in self.rows]}."
        )

    def __bool__(self) -> bool:
        return self.passed

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        header = ["parameter", "shape", "max abs err", "max rel err", "result"]
        body = [
            [row.name, str(row.shape), _fmt(row.max_abs_err), _fmt(row.max_rel_err),
             "ok" if row.passed else "FAIL"]
            for row in self.rows
        ]
        return header, body

    def summary(self) -> str:
        """One line: how many parameters match, and the tolerances used."""
        n_ok = len(self.rows) - len(self.failed)
        return (f"{n_ok} of {len(self.rows)} parameters match autodiff "
                f"(rtol={self.rtol:g}, atol={self.atol:g})")

    def __str__(self) -> str:
        header, body = self._cells()
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        right = {2, 3}  # numbers are right-aligned

        def line(cells: list[str]) -> str:
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([line(header), rule, *(line(r) for r in body), self.summary()])

    def to_markdown(self) -> str:
        """The table as GitHub markdown (a pipe table and the summary line)."""
        header, body = self._cells()
        lines = ["| " + " | ".join(header) + " |", "|---|---|--:|--:|---|"]
        lines += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(r)) + " |"
                  for r in body]
        return "\n".join([*lines, "", self.summary()])

    _repr_markdown_ = to_markdown

    def worst_elements(self) -> str:
        """One line per failing parameter: where it is worst, and the two values there."""
        return "\n".join(
            f"  {row.name} at {list(row.worst_index)}: autodiff {row.autodiff_value:.6g}, "
            f"manual {row.manual_value:.6g}"
            for row in self.failed
        )

    def raise_if_failed(self) -> None:
        """Raise GradMismatchError (an AssertionError) holding the table if any row fails."""
        if self.passed:
            return
        raise GradMismatchError(
            f"compare_grads(): {len(self.failed)} of {len(self.rows)} hand-written gradients "
            f"disagree with autodiff:\n{self}\nworst elements:\n{self.worst_elements()}",
            self,
        )


# ---- the check ------------------------------------------------------------------------------

def _fresh_leaf(name: str, value: Any) -> Tensor:
    data = value._data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind != "f":
        raise TypeError(
            f"compare_grads(): parameter {name!r} has dtype {data.dtype}; only floating-point "
            "parameters have gradients. Pass it as a float array (float64 for a tight check)."
        )
    return Tensor(data, requires_grad=True)


def _parameters(model: Any, params: Any, loss: Any) -> tuple[list[str], list[Tensor], Any]:
    """Names, leaf tensors, and a zero-argument forward for either kind of model."""
    if hasattr(model, "named_parameters"):
        if params is not None:
            raise TypeError(
                "compare_grads(): params= is only for a function of parameters; a model "
                "with named_parameters() supplies its own. Drop params=."
            )
        named = list(model.named_parameters())
        if not named:
            raise ValueError("compare_grads(): the model has no parameters; nothing to check.")
        names = [n for n, _ in named]
        leaves = [p for _, p in named]
        for n, p in named:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(
                    f"compare_grads(): model parameter {n!r} is not a Tensor that requires "
                    "grad; call requires_grad_() on it (or make it an nn.Parameter)."
                )
        return names, leaves, lambda *inputs: model(*inputs)
    if not callable(model):
        raise TypeError(
            f"compare_grads(): model must have named_parameters() or be a function of "
            f"parameters, got {type(model).__name__}."
        )
    if isinstance(loss, Tensor):
        raise TypeError(
            "compare_grads(): with a function of parameters, loss must be a callable applied "
            "to the function's output (or None), not an already computed Tensor, because the "
            "function is re-run on fresh parameter leaves."
        )
    if params is None:
        raise TypeError(
            "compare_grads(): model is a function, so pass its parameters with params=: a "
            "dict name -> array (called as model(params)) or a list (called as model(*params))."
        )
    if isinstance(params, Mapping):
        names = [str(k) for k in params]
        leaves = [_fresh_leaf(n, v) for n, v in zip(names, params.values())]
        as_dict = dict(zip(params.keys(), leaves))
        return names, leaves, lambda *inputs: model(as_dict, *inputs)
    if isinstance(params, (Sequence, Tensor, np.ndarray)) and not isinstance(params, str):
        seq = [params] if isinstance(params, (Tensor, np.ndarray)) else list(params)
        names = [f"params[{i}]" for i in range(len(seq))]
        leaves = [_fresh_leaf(n, v) for n, v in zip(names, seq)]
        return names, leaves, lambda *inputs: model(*leaves, *inputs)
    raise TypeError(
        f"compare_grads(): params must be a dict name -> array or a list of arrays, got "
        f"{type(params).__name__}."
    )


def _scalar_loss(loss: Any, forward: Callable[..., Any], inputs: tuple[Any, ...]) -> Tensor:
    if isinstance(loss, Tensor):
        value = loss
    else:
        with enable_grad():
            out = forward(*inputs)
            value = out if loss is None else loss(out)
    if not isinstance(value, Tensor):
        raise TypeError(
            f"compare_grads(): the loss is a {type(value).__name__}, not a Tensor; compute it "
            "with tinygrad_np operations on the parameters so that autodiff can follow it."
        )
    if value._data.size != 1:
        raise ValueError(
            f"compare_grads(): the loss must be a scalar, but it has shape {value.shape}; "
            "reduce it (e.g. .mean() or .sum()) the way your hand-written backprop assumes."
        )
    if not value.requires_grad:
        raise RuntimeError(
            "compare_grads(): the loss does not depend on any parameter (no graph was "
            "recorded); compute it from the parameters, outside no_grad()."
        )
    return value


def _manual_by_name(manual: Any, names: list[str]) -> list[Any]:
    if isinstance(manual, Mapping):
        given = {str(k): v for k, v in manual.items()}
        missing = [n for n in names if n not in given]
        extra = [k for k in given if k not in names]
        if missing or extra:
            raise ValueError(
                "compare_grads(): the hand-written gradients' names do not match the "
                f"parameters: missing {missing}, unexpected {extra}. The parameter names are "
                f"{names}; key your dict by them (or pass a list in that order)."
            )
        return [given[n] for n in names]
    if isinstance(manual, (str, bytes)) or not isinstance(manual, Sequence):
        raise TypeError(
            f"compare_grads(): manual must be a dict name -> gradient or a list in parameter "
            f"order, got {type(manual).__name__}."
        )
    if len(manual) != len(names):
        raise ValueError(
            f"compare_grads(): got {len(manual)} hand-written gradients for {len(names)} "
            f"parameters {names}; give one per parameter, in that order (or a dict by name)."
        )
    return list(manual)


def _manual_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"compare_grads(): the hand-written gradient for {name!r} is a "
            f"{type(value).__name__} that is not a numeric array ({err})."
        ) from None
    if arr.shape != tuple(shape):
        hint = (f"reshape it with .reshape({tuple(shape)})" if arr.size == int(np.prod(shape))
                else "if it still has a batch axis, reduce over that axis (sum or mean, as "
                     "your loss does)")
        raise ValueError(
            f"compare_grads(): the hand-written gradient for {name!r} has shape {arr.shape} "
            f"but the parameter has shape {tuple(shape)}; a gradient must have its "
            f"parameter's shape: {hint}."
        )
    return arr


def _compare(name: str, auto: np.ndarray, mine: np.ndarray, rtol: float,
             atol: float) -> GradRow:
    a = auto.astype(np.float64)
    m = mine.astype(np.float64)
    diff = np.abs(m - a)
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    max_abs = float(np.max(diff)) if a.size else 0.0
    if np.isnan(max_abs):
        max_rel = float("nan")
    elif max_abs == 0.0:
        max_rel = 0.0
    else:
        max_rel = max_abs / scale if scale > 0 else float("inf")
    excess = diff - (atol + rtol * np.abs(a))
    passed = bool(np.all(excess <= 0))  # NaN compares False: a NaN gradient fails
    if a.size:
        flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
        index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
        auto_v, mine_v = float(a.reshape(-1)[flat]), float(m.reshape(-1)[flat])
    else:
        index, auto_v, mine_v = (), 0.0, 0.0
    return GradRow(name, tuple(a.shape), max_abs, max_rel, passed, index, auto_v, mine_v)


def compare_grads(
    model: Any,
    loss: Callable[[Any], Tensor] | Tensor | None,
    manual: Mapping[str, Any] | Sequence[Any],
    *,
    inputs: Any = (),
    params: Mapping[str, Any] | Sequence[Any] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    raise_exception: bool = False,
) -> GradReport:
    """Compare hand-written gradients `manual` with autodiff's dL/dp for every parameter p.

    model: either an object with `named_parameters()` (e.g. an nn.Module), called as
        `model(*inputs)`; or a function of parameters, with the parameters given by `params`:
        a dict name -> array/Tensor (called as `model(params_dict, *inputs)`) or a list
        (called as `model(*params, *inputs)`). For a function, fresh float leaves are made
        from `params` (dtype kept: pass float64 for a tight check) and nothing of yours is
        modified.
    loss: a callable applied to the model's output, L = loss(model(...)); None when the
        model already returns the scalar loss; or, for a model, an already computed scalar
        Tensor (then the model is not called).
    manual: your gradients, a dict by parameter name or a list in parameter order; each must
        have its parameter's shape.
    rtol, atol: element passes iff |manual - autodiff| <= atol + rtol |autodiff|; the defaults
        depend on the gradient's dtype (float64: rtol 1e-7, atol 1e-9; float32: 1e-4, 1e-6).
    inputs: the positional inputs passed after the parameters (a tuple, or one input).
    raise_exception: raise GradMismatchError (an AssertionError) with the table on mismatch.

    Returns a GradReport: rows (name, shape, max abs err, max rel err, passed), `.passed`,
    `str()` as a table, `.to_markdown()`, and the compared arrays in `.autodiff`/`.manual`.
    Leaves' `.grad` are not touched.
    """
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    names, leaves, forward = _parameters(model, params, loss)
    given = [_manual_array(n, m, leaf.shape)
             for n, m, leaf in zip(names, _manual_by_name(manual, names), leaves)]
    value = _scalar_loss(loss, forward, inputs)
    grads = grad(value, leaves, retain_graph=isinstance(loss, Tensor), allow_unused=True)

    rows, auto_arrays, manual_arrays = [], {}, {}
    tolerances = []
    for name, leaf, g, mine in zip(names, leaves, grads, given):
        auto = np.zeros(leaf.shape, leaf.dtype) if g is None else np.asarray(g._data)
        r_default, a_default = default_tolerances(auto.dtype)
        r = r_default if rtol is None else rtol
        a = a_default if atol is None else atol
        tolerances.append((r, a))
        rows.append(_compare(name, auto, mine, r, a))
        auto_arrays[name], manual_arrays[name] = auto, mine
    r_used = max(t[0] for t in tolerances)
    a_used = max(t[1] for t in tolerances)
    report = GradReport(rows, r_used, a_used, auto_arrays, manual_arrays)
    if raise_exception:
        report.raise_if_failed()
    return report
