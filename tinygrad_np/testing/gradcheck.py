"""gradcheck / gradgradcheck: compare autodiff against central finite differences, in float64,
over the full Jacobian."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.engine import grad
from ..autograd.tensor_core import Tensor


class GradcheckError(AssertionError):
    """Raised by gradcheck when an analytic and a numerical Jacobian disagree."""


def _as_float64_inputs(inputs: Any) -> tuple[Any, ...]:
    """Fresh float64 leaves for the float inputs (the check is always done in float64)."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            # C order: the numerical Jacobian perturbs elements through a flat view.
            # (np.ascontiguousarray would turn a 0-d array into shape (1,).)
            data = np.array(x._data, dtype=np.float64, order="C")
            out.append(Tensor(data, requires_grad=x.requires_grad))
        else:
            out.append(x)
    return tuple(out)


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    result = fn(*inputs)
    results = [result] if isinstance(result, Tensor) else list(result)
    for i, r in enumerate(results):
        if not isinstance(r, Tensor):
            raise TypeError(f"gradcheck: output {i} of fn is a {type(r).__name__}, not a Tensor.")
    return results


def _numerical_jacobians(fn: Callable[..., Any], inputs: Sequence[Any], wrt: list[int],
                         eps: float) -> list[list[np.ndarray]]:
    """J[i][k] has shape (output k size, input i size): central differences, one column at a
    time, perturbing each input element by +-eps."""
    # Grad mode stays on: fn may itself differentiate (gradgradcheck's fn does).
    jacobians = []
    sizes = [o._data.size for o in _outputs(fn, inputs)]
    for i in wrt:
        x = inputs[i]._data
        columns = [np.zeros((n, x.size)) for n in sizes]
        flat = x.reshape(-1)  # a view: perturbing it perturbs the input in place
        for j in range(x.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            flat[j] = orig - eps
            minus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            flat[j] = orig
            for k in range(len(sizes)):
                columns[k][:, j] = (plus[k] - minus[k]) / (2 * eps)
        jacobians.append(columns)
    return jacobians


def _analytic_jacobians(outputs: list[Tensor], inputs: Sequence[Any],
                        wrt: list[int]) -> list[list[np.ndarray]]:
    """J[i][k] by reverse mode: one backward per output element, with a one-hot gradient."""
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for o in outputs] for i in wrt]
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for row in range(out._data.size):
            onehot = np.zeros(out._data.size, dtype=out.dtype)
            onehot[row] = 1
            grads = grad(out, [inputs[i] for i in wrt], onehot.reshape(out.shape),
                         retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    jac[n][k][row] = np.asarray(g._data, dtype=np.float64).ravel()
    return jac


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check d fn(*inputs) / d input for every input that requires grad.

    Compares the full analytic Jacobian with central differences in float64 (float inputs are
    copied to float64): passes when |analytic - numerical| <= atol + rtol |numerical|
    everywhere. On failure raises GradcheckError naming the input, the output, the worst
    element and both values (or returns False when raise_exception=False).
    """
    inputs = _as_float64_inputs(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; nothing to check.")
    outputs = _outputs(fn, inputs)
    analytic = _analytic_jacobians(outputs, inputs, wrt)
    numerical = _numerical_jacobians(fn, inputs, wrt, eps)
    for n, i in enumerate(wrt):
        for k, out in enumerate(outputs):
            a, num = analytic[n][k], numerical[n][k]
            excess = np.abs(a - num) - (atol + rtol * np.abs(num))
            if excess.size and (np.nanmax(excess) > 0 or np.isnan(excess).any()):
                row, col = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf,
                                                                  excess)), excess.shape)
                in_index = [int(v) for v in np.unravel_index(col, inputs[i].shape)]
                out_index = [int(v) for v in np.unravel_index(row, out.shape)]
                message = (
                    f"gradcheck failed for input {i} (shape {inputs[i].shape}), output {k} "
                    f"(shape {out.shape}): worst at d out{out_index} / d in{in_index}: "
                    f"analytic {float(a[row, col])!r}, numerical {float(num[row, col])!r} "
                    f"(|diff| {abs(a[row, col] - num[row, col]):.3g}, allowed "
                    f"{atol + rtol * abs(num[row, col]):.3g}; "
                    f"{int((excess > 0).sum())} of {excess.size} entries off)."
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> v^T d fn / d inputs, the
    backward pass recorded with create_graph=True. `v` is random (seeded) unless given."""
    inputs = _as_float64_inputs(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True)
                        for o in outputs]
    else:
        grad_outputs = list(_as_float64_inputs(grad_outputs))
    n_in = len(inputs)

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:n_in], args[n_in:]
        outs = _outputs(fn, xs)
        used = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = grad([o for o, _ in used], [xs[i] for i in wrt], [v for _, v in used],
                     create_graph=True, allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0 for g, i in zip(grads, wrt))

    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps, atol, rtol,
                     raise_exception)
