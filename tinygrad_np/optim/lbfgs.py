"""L-BFGS, with torch.optim.LBFGS's interface, algorithm and stopping rules.

L-BFGS approximates Newton's method: it remembers the last `history_size` steps s and the
gradient changes y they caused, and turns the gradient into a search direction with the
inverse Hessian those pairs imply (the two-loop recursion), without ever forming a matrix.
One `step(closure)` runs up to `max_iter` iterations, re-evaluating the loss through the
closure, and a later step continues the same run from the state it left.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..autograd.tensor_core import Tensor
from ..autograd.watch import replayed
from . import lbfgs_state
from .flat_params import FlatParams
from .line_search import strong_wolfe
from .optimizer import Optimizer, ParamsT, check_option

LINE_SEARCHES = (None, "strong_wolfe")


def _wrap(arr: np.ndarray) -> Tensor:
    return Tensor._wrap(arr, None, False, [0])


class LBFGS(Optimizer):
    """L-BFGS (after minFunc), step for step as torch.optim.LBFGS.

    `step(closure)` needs a closure that zeroes the gradients, computes the loss, calls
    `backward()` and returns the loss; it returns the loss of the closure's first call.
    Each step runs at most `max_iter` iterations and `max_eval` closure calls (default
    `max_iter * 5 // 4`), and stops early when the largest gradient entry is at most
    `tolerance_grad`, or a step or loss change is below `tolerance_change`. Without a line
    search every iteration steps `lr` along the direction (the very first one
    `min(1, 1 / |g|_1) * lr`); `line_search_fn="strong_wolfe"` searches for the step length.

    There is one parameter group only; all parameters are handled as one flat vector, and the
    optimizer keeps `history_size + 2` or so vectors of that size.
    """

    state_keys = lbfgs_state.STATE_KEYS

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None and _is_int(max_iter):
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)

    def _check_group(self, group: Any) -> None:
        check_option(self._name, "lr", group["lr"])
        check_option(self._name, "tolerance_grad", group["tolerance_grad"])
        check_option(self._name, "tolerance_change", group["tolerance_change"])
        for name in ("max_iter", "max_eval", "history_size"):
            if not _is_int(group[name]) or group[name] < 1:
                raise ValueError(f"{self._name}: {name} must be a whole number >= 1, got "
                                 f"{group[name]!r}.")
        if group["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(f"{self._name}: line_search_fn must be None or 'strong_wolfe', "
                             f"got {group['line_search_fn']!r}.")

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """LBFGS has exactly one parameter group, so this only works once (in __init__)."""
        if self.param_groups:
            raise ValueError(f"{self._name} doesn't support per-parameter options (parameter "
                             "groups): it optimizes all parameters as one vector; pass them "
                             "as a single list.")
        super().add_param_group(param_group)

    # ---- the step ---------------------------------------------------------------------------
    @replayed()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to `max_iter` L-BFGS iterations; return the loss of the closure's first call.

        `closure()` must zero the gradients, compute the loss, call `loss.backward()` and
        return the loss; it runs with gradients enabled, several times per step."""
        name = f"{self._name}.step()"
        if closure is None or not callable(closure):
            raise TypeError(f"{name} needs a closure that zeroes the gradients, computes the "
                            "loss, calls loss.backward() and returns the loss: "
                            "opt.step(closure).")
        if len(self.param_groups) != 1:
            raise ValueError(f"{name}: LBFGS needs exactly one parameter group, found "
                             f"{len(self.param_groups)}.")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        flat = FlatParams(group["params"], name)
        state = self.state.setdefault(group["params"][0], {})
        self._check_state_fits(state, flat.numel, name)
        self._step_count += 1  # (schedulers check that the optimizer has stepped)
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        def evaluate() -> tuple[Any, float]:
            with enable_grad():
                loss = closure()
            return loss, _loss_value(loss, name)

        orig_loss, loss = evaluate()
        flat_grad = flat.grad(require_one=True)
        evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss  # already at a stationary point

        d = _unwrap(state.get("d"))
        t = state.get("t")
        old_dirs = [v._data for v in state.get("old_dirs", [])]
        old_stps = [v._data for v in state.get("old_stps", [])]
        ro = list(state.get("ro", []))
        h_diag = state.get("H_diag")
        prev_flat_grad = _unwrap(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # The run's first iteration (also when an earlier step failed before keeping d).
            first = state["n_iter"] == 1 or d is None
            if first:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                h_diag = _remember(flat_grad - prev_flat_grad, d * flat.scalar(t), old_dirs,
                                   old_stps, ro, h_diag, history_size)
                d = self._two_loop(state, flat_grad, old_dirs, old_stps, ro, h_diag,
                                   history_size)
            if prev_flat_grad is None or prev_flat_grad.shape != flat_grad.shape:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # The first step of a run is scaled down by the gradient's size, later ones are lr.
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if first else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break  # not a descent direction (any more): nothing to gain along d

            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                # (PyTorch's line search uses its default tolerance_change, not the group's.)
                loss, flat_grad, t, ls_evals = strong_wolfe(
                    _along(flat, evaluate, d), t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - evals)
                flat.add_(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                flat.add_(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # Not after the last iteration: the next step() evaluates there anyway
                    # (and with minibatches, on its own batch).
                    loss = evaluate()[1]
                    flat_grad = flat.grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if np.abs(d * flat.scalar(t)).max() <= tolerance_change:
                break  # the step no longer moves the parameters
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss no longer changes

        state.update(d=_wrap(d), t=t, old_dirs=[_wrap(v) for v in old_dirs],
                     old_stps=[_wrap(v) for v in old_stps], ro=ro, H_diag=h_diag,
                     prev_flat_grad=_wrap(prev_flat_grad), prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _two_loop(state: dict[str, Any], grad: np.ndarray, old_dirs: list[np.ndarray],
                  old_stps: list[np.ndarray], ro: list[Any], h_diag: Any,
                  history_size: int) -> np.ndarray:
        """The direction -H grad, H the inverse Hessian approximation of the remembered
        pairs (Nocedal's two-loop recursion), computed in one buffer."""
        n = len(old_dirs)
        al = state.setdefault("al", [None] * history_size)  # kept in state, as PyTorch does
        if len(al) < n:
            al.extend([None] * (n - len(al)))
        q = -grad
        tmp = np.empty_like(q)
        for i in range(n - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q -= np.multiply(old_dirs[i], al[i], out=tmp)
        r = q * h_diag
        for i in range(n):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += np.multiply(old_stps[i], al[i] - be_i, out=tmp)
        return r

    def _check_state_fits(self, state: dict[str, Any], numel: int, name: str) -> None:
        d = state.get("d")
        if d is not None and d._data.shape != (numel,):
            raise ValueError(
                f"{name}: the parameters have {numel} elements in all, but the optimizer's "
                f"state was built for {d._data.size}; parameters must keep their sizes "
                "during a run (build a new optimizer after changing them)."
            )

    # ---- state dicts ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """As Optimizer.state_dict, the run's state (lists included) copied: see lbfgs_state."""
        out = super().state_dict()
        out["state"] = {i: {k: lbfgs_state.pack(v) for k, v in s.items()}
                        for i, s in out["state"].items()}
        return out

    def _load_param_state(self, p: Tensor, entry: Any, group: Mapping[str, Any], idx: Any,
                          name: str) -> dict[str, Any]:
        where = f"{name}: parameter {idx!r}'s state"
        if p is not group["params"][0]:
            raise KeyError(f"{where}: LBFGS keeps its state under the first parameter only; "
                           "this state dict was saved from another optimizer.")
        flat = FlatParams(group["params"], name)
        return lbfgs_state.unpack(entry, flat.numel, flat.dtype, where)


def _remember(y: np.ndarray, s: np.ndarray, old_dirs: list[np.ndarray],
              old_stps: list[np.ndarray], ro: list[Any], h_diag: Any,
              history_size: int) -> Any:
    """Add the pair (y, s) to the memory, dropping the oldest when full; return the new
    H_diag. A pair with y . s <= 1e-10 would break the positive definiteness of the
    approximation (the curvature condition), so it is skipped and H_diag kept."""
    ys = y.dot(s)
    if ys > 1e-10:
        if len(old_dirs) == history_size:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / y.dot(y)
    return h_diag


def _along(flat: FlatParams, evaluate: Callable[[], tuple[Any, float]],
           d: np.ndarray) -> Callable[[Any], tuple[float, np.ndarray]]:
    """The line search's view of the loss: `at(t)` is the loss and flat gradient at x + t d,
    x being where the parameters are now, to which they return after each evaluation."""
    x0 = flat.values()

    def at(t: Any) -> tuple[float, np.ndarray]:
        flat.add_(t, d)
        try:
            return evaluate()[1], flat.grad()
        finally:
            flat.set_(x0)  # back to x0 also when the closure raises

    return at


def _unwrap(t: Tensor | None) -> np.ndarray | None:
    return None if t is None else t._data


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _loss_value(loss: Any, name: str) -> float:
    """The closure's loss as a Python float, refusing what is not one number."""
    if isinstance(loss, Tensor):
        arr = loss._data
    elif isinstance(loss, (numbers.Real, np.ndarray, np.generic)):
        arr = np.asarray(loss)
    else:
        arr = None
    if arr is None or arr.size != 1 or arr.dtype.kind not in "fiu":
        shown = "None" if loss is None else f"a {type(loss).__name__}"
        if arr is not None:
            shown += f" of shape {arr.shape} and dtype {arr.dtype}"
        raise TypeError(f"{name}: the closure returned {shown}; it must return the loss, one "
                        "number (a 0-d Tensor such as loss_fn(model(x), y)).")
    return float(arr.reshape(()))
