"""The optimizer base: parameter groups with per-group options, lazily created per-parameter
state, `zero_grad`, `state_dict` / `load_state_dict`, and an atomic `step`.

A step has two phases. The first checks every parameter that has a gradient (shapes, dtypes,
writability, state buffers) and changes nothing; the second updates the parameters' arrays in
place with NumPy ufuncs writing into preallocated buffers (`out=`). So a step that raises leaves
every parameter and every state buffer as it was, and a step that succeeds allocates nothing
after the first one: the parameter arrays keep their identity for the whole run.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad, switches
from ..autograd.tensor_core import Tensor
from ..autograd.watch import NOT_WATCHED, changed, event

ParamsT = Iterable[Tensor] | Iterable[Mapping[str, Any]]

_UNORDERED = ("{name}: params must be an ordered collection (a list), not a set: a set's order "
              "changes between runs, so state dicts would not line up.")

# One group's work for a step: (parameter array, gradient array, that parameter's state).
StepItems = list[tuple[np.ndarray, np.ndarray, dict[str, Any]]]


class Optimizer:
    """Base class of the optimizers, with PyTorch's interface.

    `params` is an iterable of Tensors, or of dicts that each hold a `"params"` entry plus any
    options that override the optimizer's defaults for that group. A subclass passes its
    `defaults` and implements `_check_group` (validate a group's options), `_required_state`
    (the state entries its options keep per parameter) and `_update_group` (the in-place update).
    """

    #: Every state entry a subclass may keep for a parameter (load_state_dict refuses others).
    state_keys: tuple[str, ...] = ()
    #: Those of them that are one number per parameter rather than an array like it.
    scalar_state_keys: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self._check_group(self.defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._workspace: dict[np.dtype, np.ndarray] = {}
        # id(parameter array) -> (weak reference to it, its shape, its two scratch views)
        self._views: dict[int, tuple[Any, tuple[int, ...], tuple[np.ndarray, np.ndarray]]] = {}
        self._step_count = 0
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name=self._name))
        if isinstance(params, (Tensor, Mapping, str, bytes)):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors (e.g. "
                f"model.parameters()) or a list of param-group dicts, got a "
                f"{type(params).__name__}; wrap a single tensor or group in a list."
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{self._name}: got an empty parameter list; pass the tensors to optimize, "
                "e.g. model.parameters()."
            )
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- what subclasses provide ------------------------------------------------------------
    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Raise ValueError/TypeError if the group's options are invalid."""

    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """The state entries a parameter that has stepped keeps under this group's options."""
        return ()

    def _update_group(self, group: dict[str, Any], items: StepItems) -> None:
        raise NotImplementedError(f"{self._name} does not implement _update_group")

    # ---- parameter groups -------------------------------------------------------------------
    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters, with options that override the defaults for it."""
        name = f"{self._name}.add_param_group"
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, got a "
                f"{type(param_group).__name__}."
            )
        if "params" not in param_group:
            raise KeyError(f"{name}: the group {sorted(param_group)} has no 'params' entry.")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name=name))
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: params[{i}] is a {type(p).__name__}; an optimizer can only "
                    "update Tensors (pass model.parameters(), not named_parameters())."
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: params[{i}] is not a leaf tensor (it was computed from other "
                    "tensors), so it cannot be optimized; optimize the leaves it came from, or "
                    "use t.detach().requires_grad_()."
                )
            if p.dtype.kind != "f":
                raise TypeError(
                    f"{name}: params[{i}] has dtype {p.dtype}; only floating-point tensors "
                    "can be optimized."
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears twice in the same group; list each "
                             "parameter once.")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group.")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)
        changed()  # (a compiled step's plan knows the groups it stepped)

    # ---- gradients --------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: set them to None (the default, like PyTorch), or fill with 0."""
        if switches.watch:  # (a capture records the call; `replayed` would cost every step)
            done = event(Optimizer.zero_grad, self, (set_to_none,), None, True)
            if done is not NOT_WATCHED:
                return
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None  # (None needs none of the setter's checks)
                elif (not isinstance(g, Tensor) or g.requires_grad
                      or not g._data.flags.writeable):
                    p.grad = Tensor(np.zeros_like(np.asarray(g)))  # never write into a graph
                else:
                    g._data.fill(0)
                    g._version[0] += 1

    # ---- the step ---------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; return `closure()` if given.

        `closure` re-evaluates the model and returns the loss (it runs with grad enabled).
        All checks run before any update, so a step that raises changes nothing.
        """
        if switches.watch:
            replay = None if closure is not None else (Optimizer._replay_step, self._stepping())
            done = event(Optimizer.step, self, (closure,), replay=replay)
            if done is not NOT_WATCHED:
                return done
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._apply(self._plan())
        return loss

    def _apply(self, plan: list[tuple[dict[str, Any], list[Tensor], StepItems]]) -> None:
        """The updates of a checked plan, and the step counted."""
        for group, params, items in plan:
            self._update_group(group, items)
            for p in params:
                p._version[0] += 1  # like PyTorch: a graph that saved p is now stale
        self._step_count += 1

    def _stepping(self) -> list[tuple[dict[str, Any], list[Tensor]]]:
        """Each group with the parameters a step would update now (those with a gradient)."""
        return [(g, [p for p in g["params"] if p._grad is not None]) for g in self.param_groups]

    def _replay_step(self, stepping: list[tuple[dict[str, Any], list[Tensor]]]) -> None:
        """`step()` in a compiled step's replay (tinygrad_np.compile): the groups and parameters
        that its capture's step checked (`_stepping` then), with the gradients the replay has
        just made, of the same shapes and dtypes; so `_plan`'s checks are not made again (23k
        of a W2 step's 65k instructions). A parameter without its state or gradient (the state
        was cleared) takes the checked step."""
        state = self.state
        plan = []
        for group, params in stepping:
            items = []
            for p in params:
                s, g = state.get(p), p._grad
                if s is None or g is None:
                    self.step()
                    return
                items.append((p._data, g._data, s))
            plan.append((group, params, items))
        self._apply(plan)

    def _plan(self) -> list[tuple[dict[str, Any], list[Tensor], StepItems]]:
        """Check every parameter with a gradient; return the work without changing anything.

        This runs for every parameter at every step, so the checks are one cheap expression
        for the common case; `_refuse` works out which one failed and explains it."""
        plan = []
        new_states: list[tuple[Tensor, dict[str, Any]]] = []
        all_state = self.state
        ndarray = np.ndarray
        for group in self.param_groups:
            params: list[Tensor] = []
            items: StepItems = []
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                p_arr = p._data
                g_arr = g._data if isinstance(g, Tensor) else g
                state = all_state.get(p)
                if not (isinstance(g_arr, ndarray) and g_arr.shape == p_arr.shape
                        and g_arr.dtype.kind == "f" and p_arr.dtype.kind == "f"
                        and p_arr.flags.writeable):
                    self._refuse(p, p_arr, g_arr, state or {})
                if state is None:
                    state = {}
                    new_states.append((p, state))
                elif state and not _state_fits(state, p_arr.shape):
                    self._refuse(p, p_arr, g_arr, state)
                params.append(p)
                items.append((p_arr, g_arr, state))
            if items:
                plan.append((group, params, items))
        for p, state in new_states:
            all_state[p] = state
        return plan

    def _refuse(self, param: Tensor, p: np.ndarray, g: Any, state: dict[str, Any]) -> None:
        """Raise the error that explains why `param` cannot be stepped."""
        index = next(i for i, q in enumerate(q for group in self.param_groups
                                             for q in group["params"]) if q is param)
        where = f"{self._name}.step(): parameter {index}"
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            kind = g.dtype if isinstance(g, np.ndarray) else type(g).__name__
            raise TypeError(
                f"{where} has a gradient of type {kind}; a gradient must be a floating-point "
                "Tensor. Nothing was updated."
            )
        if g.shape != p.shape:
            raise ValueError(
                f"{where} has shape {p.shape} but its .grad has shape {g.shape}; a gradient "
                "must have its parameter's shape (was .grad assigned by hand?). Nothing was "
                "updated."
            )
        if p.dtype.kind != "f" or not p.flags.writeable:
            raise ValueError(
                f"{where}: its data (dtype {p.dtype}) is not a writable floating-point array, "
                "so it cannot be updated in place; assign one with "
                "p.data = p.data.astype(np.float32). Nothing was updated."
            )
        for key, value in state.items():
            if isinstance(value, Tensor) and value.shape != p.shape:
                raise ValueError(
                    f"{where} has shape {p.shape} but its state {key!r} has shape "
                    f"{value.shape} (was p.data replaced by an array of another shape?); drop "
                    "the stale state with optimizer.state.pop(p). Nothing was updated."
                )

    def _scratch(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays shaped like `like`, carved from one buffer per dtype that grows to
        twice the largest parameter and is then reused: a step allocates nothing. The views
        are cached per parameter array: a weak reference to it tells a hit by identity (a
        reused id is a miss), without keeping a replaced array alive."""
        cached = self._views.get(id(like))
        if cached is not None and cached[0]() is like and cached[1] == like.shape:
            return cached[2]
        n = like.size
        buf = self._workspace.get(like.dtype)
        if buf is None or buf.size < 2 * n:
            buf = self._workspace[like.dtype] = np.empty(2 * n, dtype=like.dtype)
            self._views.clear()  # views into the old buffer would keep it alive
        if len(self._views) > 64 + 2 * sum(len(g["params"]) for g in self.param_groups):
            self._views.clear()  # parameters' arrays were replaced; forget the dead ones
        views = buf[:n].reshape(like.shape), buf[n:2 * n].reshape(like.shape)
        self._views[id(like)] = (weakref.ref(like), like.shape, views)
        return views

    # ---- state dicts ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, shaped like PyTorch's:
        `{"state": {param_index: {name: Tensor | int}}, "param_groups": [{options...,
        "params": [param_index, ...]}]}`, parameters numbered in group order.

        The state Tensors are copies, so training on does not change a saved snapshot.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state: dict[int, dict[str, Any]] = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {
                        k: Tensor(v._data) if isinstance(v, Tensor) else v for k, v in s.items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a snapshot from `state_dict()` (possibly through save/load), so training
        resumes exactly. Parameters are matched by position; the saved group options replace
        the current ones. Everything is checked before anything changes."""
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}: expected the dict returned by optimizer.state_dict(), got a "
                f"{type(state_dict).__name__}."
            )
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(
                    f"{name}: the state dict has no {key!r} entry; pass the dict returned by "
                    "optimizer.state_dict() (keys 'state' and 'param_groups')."
                )
        extra = sorted(set(state_dict) - {"state", "param_groups"}, key=str)
        if extra:
            raise KeyError(
                f"{name}: unexpected entries {extra} in the state dict; an optimizer state "
                "dict has only 'state' and 'param_groups'."
            )
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or not all(
            isinstance(g, Mapping) and "params" in g for g in saved_groups
        ):
            raise ValueError(f"{name}: 'param_groups' must be a list of dicts with 'params'.")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter groups but this "
                f"optimizer has {len(self.param_groups)}; build the optimizer with the same "
                "groups it was saved with."
            )
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}: parameter group {i} has {len(saved['params'])} parameters in the "
                    f"state dict but {len(group['params'])} in this optimizer; build the "
                    "optimizer over the same parameters, in the same order."
                )
            new = {k: v for k, v in group.items() if k != "params"}
            new.update((k, v) for k, v in saved.items() if k != "params")
            new["params"] = group["params"]
            self._check_group(new)
            new_groups.append(new)

        saved_ids = list(chain.from_iterable(g["params"] for g in saved_groups))
        if len(set(saved_ids)) != len(saved_ids):
            raise ValueError(f"{name}: a parameter index appears twice in 'param_groups'.")
        by_index = dict(zip(saved_ids, chain.from_iterable(g["params"] for g in new_groups)))
        group_of = {id(p): g for g in new_groups for p in g["params"]}
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}: 'state' must be a dict of parameter index -> state.")
        new_state: dict[Tensor, dict[str, Any]] = {}
        for idx, entry in saved_state.items():
            if idx not in by_index:
                raise KeyError(
                    f"{name}: 'state' has an entry for parameter index {idx!r}, but "
                    f"'param_groups' lists only {sorted(by_index, key=str)}."
                )
            p = by_index[idx]
            new_state[p] = self._load_param_state(p, entry, group_of[id(p)], idx, name)
        self.param_groups = new_groups
        self.state = new_state
        changed()  # (new group dicts: a compiled step's plan must read these)

    def _load_param_state(
        self, p: Tensor, entry: Any, group: Mapping[str, Any], idx: Any, name: str
    ) -> dict[str, Any]:
        if not isinstance(entry, Mapping):
            raise ValueError(f"{name}: the state of parameter {idx!r} must be a dict.")
        where = f"{name}: parameter {idx!r}'s state"
        out: dict[str, Any] = {}
        for key, value in entry.items():
            if key not in self.state_keys:
                raise KeyError(
                    f"{where} has an unexpected entry {key!r}; {self._name} keeps "
                    f"{list(self.state_keys)} (was it saved from another optimizer?)."
                )
            if value is None:
                continue
            if key == "step":
                out[key] = _step_count(value, where)
                continue
            if key in self.scalar_state_keys:  # a number per parameter (NAdam's mu_product)
                arr = value._data if isinstance(value, Tensor) else np.asarray(value)
                if arr.shape != () or arr.dtype.kind not in "fiu":
                    raise ValueError(f"{where} {key!r} must be a number, got {value!r}.")
                out[key] = float(arr)
                continue
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            if arr.shape != p.shape or arr.dtype.kind not in "fiu":
                raise ValueError(
                    f"{where} {key!r} has shape {arr.shape} and dtype {arr.dtype}, but the "
                    f"parameter has shape {p.shape}; the state dict belongs to other "
                    "parameters (or they are in another order)."
                )
            out[key] = Tensor(arr, dtype=p.dtype)  # a copy, cast to the parameter's dtype
        missing = [k for k in self._required_state(group) if k not in out]
        if out and missing:
            raise KeyError(
                f"{where} lacks {missing}, which {self._name} needs under these options to "
                "resume exactly."
            )
        return out

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


# ---- helpers shared by the optimizers ---------------------------------------------------------
inf = float("inf")


def check_option(owner: str, name: str, value: Any, low: float = 0.0,
                 below: float | None = None) -> None:
    """Raise unless `low <= value` (and `value < below` if given); NaN and inf always fail."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}."
        )
    if not (low <= value and (below is None or value < below)) or value in (inf, -inf):
        bound = f">= {low}" if below is None else f"in [{low}, {below})"
        raise ValueError(f"{owner}: invalid {name}={value!r}; {name} must be {bound} and finite.")


def check_betas(owner: str, betas: Any) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(
            f"{owner}: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}."
        )
    for i, beta in enumerate(betas):
        check_option(owner, f"betas[{i}]", beta, 0.0, 1.0)


def _step_count(value: Any, where: str) -> int:
    arr = value._data if isinstance(value, Tensor) else np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "fiu" or arr < 0 or arr != np.floor(arr):
        raise ValueError(f"{where} 'step' must be a non-negative whole number, got {value!r}.")
    return int(arr)


def _state_fits(state: dict[str, Any], shape: tuple[int, ...]) -> bool:
    """Whether every array in a parameter's state still has the parameter's shape."""
    return all(v.shape == shape for v in state.values() if isinstance(v, Tensor))


def state_buffer(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """The array of state entry `key`, created as zeros shaped like `like` on first use."""
    t = state.get(key)
    if t is None:
        t = state[key] = Tensor(np.zeros_like(like))
    return t._data


def effective_grad(p: np.ndarray, g: np.ndarray, weight_decay: float, maximize: bool,
                   out: np.ndarray) -> np.ndarray:
    """`(-g if maximize else g) + weight_decay * p`, into `out` when it differs from `g`."""
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=out)
        (np.subtract if maximize else np.add)(out, g, out=out)
        return out
    if maximize:
        return np.negative(g, out=out)
    return g


def lerp_(a: np.ndarray, b: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """`a += weight * (b - a)` in place, with torch.lerp's two-sided formula: for
    weight >= 0.5 it computes `b - (1 - weight) * (b - a)`, exact at weight 1."""
    np.subtract(b, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1 - weight
        np.subtract(b, tmp, out=a)


def square_average_(v: np.ndarray, g: np.ndarray, decay: float, tmp: np.ndarray) -> None:
    """`v = decay * v + (1 - decay) * g^2` in place: the running mean of squared gradients
    shared by Adam (beta2) and RMSprop (alpha), in PyTorch's order of operations."""
    v *= decay
    np.multiply(g, 1 - decay, out=tmp)
    tmp *= g
    v += tmp
