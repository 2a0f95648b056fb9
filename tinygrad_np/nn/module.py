"""`Module`, the base of every layer, and `Parameter`, the tensors it trains.

Assigning a Parameter or a Module to an attribute registers it, so `parameters()`,
`state_dict()`, `train()`/`eval()` and `repr` find it, in registration order, with PyTorch's
dotted names ("encoder.fc1.weight").
"""

from __future__ import annotations

import os
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..device import check as check_device
from ..device import device as Device
from ..dtypes import check_can_require_grad, get_default_dtype, to_array
from ..autograd.tensor_core import Tensor
from ..autograd.watch import changed, replayed
from .hooks import ModuleHooks, RemovableHandle
from .registry import Registry

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; requires grad by default.

    `Parameter(tensor)` shares the tensor's memory (like PyTorch); arrays and lists are copied.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty(0, dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = to_array(data)
        self._set_fields(array, None, False, data._version if isinstance(data, Tensor) else [0])
        if requires_grad:
            check_can_require_grad(array.dtype, "Parameter")
            self._requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: subclass it, assign Parameters and sub-Modules in
    `__init__`, and write `forward`; call the module to run it.

    The registries `_parameters`, `_buffers` and `_modules` (name -> value, in registration
    order) are the source of truth for `parameters()`, `state_dict()`, `repr` and the rest.
    Each mirrors its entries into the instance `__dict__` (see `Registry`), so reading
    `self.fc1` is an ordinary attribute lookup; hence `vars(module)` lists them too.
    """

    training: bool
    _hooks: ModuleHooks | None = None  # set by the first hook registered (see hooks.py)

    def __init__(self) -> None:
        if "_parameters" in self.__dict__:  # run again (e.g. twice in a class hierarchy):
            for registry in self._registries():  # the old entries go, and their mirrors
                registry.clear()
        # Set through object.__setattr__: our __setattr__ needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", Registry(self))
        object.__setattr__(self, "_buffers", Registry(self))
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", Registry(self))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}.forward is not defined; subclasses of Module must "
            "implement forward(...)."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._hooks is None:  # (one attribute read: the hot path of every layer call)
            return self.forward(*args, **kwargs)
        return self._hooks.call(self, args, kwargs)

    # ---- hooks ------------------------------------------------------------------------
    def _hook_registry(self) -> ModuleHooks:
        if self._hooks is None:
            object.__setattr__(self, "_hooks", ModuleHooks())
        return self._hooks

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) runs before forward; it may return new args (a tuple, or one
        value). With with_kwargs: hook(module, args, kwargs) -> None or (args, kwargs)."""
        hooks = self._hook_registry()
        return hooks.add(hooks.forward_pre, (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args, output) runs after forward; it may return a new output. With
        with_kwargs: hook(module, args, kwargs, output)."""
        hooks = self._hook_registry()
        return hooks.add(hooks.forward, (hook, with_kwargs), prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """hook(module, grad_input, grad_output) runs when the gradients of the module's
        Tensor inputs are known; it may return a replacement grad_input tuple."""
        hooks = self._hook_registry()
        return hooks.add(hooks.backward, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """hook(module, grad_output) runs when the gradients of the module's outputs are known,
        before they flow into it; it may return a replacement grad_output tuple."""
        hooks = self._hook_registry()
        return hooks.add(hooks.backward_pre, hook, prepend)

    # ---- registration -----------------------------------------------------------------
    def _registries(self) -> tuple[dict[str, Any], ...]:
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(self).__name__}.{name} before Module.__init__ has "
                    "run; call super().__init__() first in your __init__."
                )
            object.__setattr__(self, name, value)
            return
        changed()  # (a compiled plan read the old attributes)
        params, buffers, modules = self._registries()
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to {type(self).__name__}.{name}, "
                    "a Parameter; assign an nn.Parameter (or None), or update it in place "
                    "with .data / copy_() under no_grad()."
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to {type(self).__name__}.{name}, "
                    "a sub-module; assign a Module (or None)."
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to buffer "
                    f"{type(self).__name__}.{name}; assign a Tensor (or None)."
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict[str, Any] | None = None) -> None:
        """Drop `name`, and its mirror, from every registry but `keep`, where the caller
        registers it next (replacing a value there keeps its place in the order, and the new
        mirror replaces a plain instance attribute of the same name)."""
        for registry in self._registries():
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def __delattr__(self, name: str) -> None:
        if any(name in r for r in self._registries()):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {k for r in self._registries() for k in r})

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"{kind} name must be a non-empty string without '.', got {name!r}."
            )
        if hasattr(type(self), name) or self._is_plain_attribute(name):
            raise KeyError(f"attribute '{name}' already exists on {type(self).__name__}.")

    def _is_plain_attribute(self, name: str) -> bool:
        """`name` is in the instance dict, and not as a registered value's mirror."""
        return name in self.__dict__ and not any(name in r for r in self._registries())

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, a placeholder like a disabled bias) under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter('{name}'): expected an nn.Parameter or None, got "
                f"{type(param).__name__}; wrap the tensor as nn.Parameter(tensor)."
            )
        if name not in self._parameters:
            self._check_name(name, "parameter")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained (e.g. running statistics); it is in state_dict()
        unless persistent=False."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer('{name}'): expected a Tensor or None, got "
                f"{type(tensor).__name__}."
            )
        if name not in self._buffers:
            self._check_name(name, "buffer")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): {type(module).__name__} is not a Module.")
        if name not in self._modules:
            self._check_name(name, "module")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ---- traversal --------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set[int] | None = None
                      ) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module (each once), depth first, with dotted names."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs in registration order; a shared Parameter appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every sub-module (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type(mode).__name__}.")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        changed()
        return self

    def eval(self) -> Module:
        """Evaluation mode: `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @replayed(idempotent=True)
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the parameters' gradients: to None (the default, as in PyTorch) or zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor(np.zeros_like(p._data))

    # ---- dtype conversion -------------------------------------------------------------
    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:
        """Cast floating-point parameters and buffers to a dtype, in place (like PyTorch):
        `to(dtype)`, `to(tensor)` (its dtype), `to("cpu", dtype)`, `to(device=..., dtype=...)`.
        A device (the CPU, the only one) is accepted and changes nothing."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, Device)):
                device = arg
            elif arg is not None:
                dtype = arg
        check_device(device, "Module.to()")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {dtype}.")
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for value in registry.values():
                    if value is not None and value.dtype.kind == "f":
                        value.data = value._data.astype(dtype)
                        if value.grad is not None:
                            value.grad = Tensor(value.grad._data.astype(dtype))
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ---- state dict -------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, each module's parameters then its
        buffers, depth first. The Tensors are detached but share memory with the module (as
        in PyTorch): copy them if the module will keep training."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        self._save_to(out, prefix, keep_vars)
        return out

    def _save_to(self, out: dict[str, Tensor], prefix: str, keep_vars: bool) -> None:
        dot = f"{prefix}." if prefix else ""
        for name, p in self._parameters.items():
            if p is not None:
                out[dot + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[dot + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child._save_to(out, dot + name, keep_vars)

    def save(self, f: Any, *, format: str | None = None) -> None:  # noqa: A002
        """Write `state_dict()` to a path or binary file: `.npz` by default, `.safetensors` for
        a path ending in it (or `format="safetensors"`), with PyTorch's names and layouts, so
        `torch.nn.Module.load_state_dict(safetensors.torch.load_file(path))` reads it."""
        from ..serialization import save
        save(self.state_dict(), f, format=format)

    def load_state_dict(self, state_dict: Mapping[str, Any] | str | os.PathLike[str],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors or arrays) into the parameters and buffers, in place. A path
        (an .npz or .safetensors file, e.g. from `save`) is read with `tinygrad_np.load` first.

        All or nothing: every value is checked and converted to its target's dtype before the
        first one is written, so a refused load leaves the module as it was. With strict=True,
        a missing or unexpected key is an error; a shape or dtype mismatch, a value that is not
        numeric, and a read-only target always are. All problems are reported at once. Returns
        (missing_keys, unexpected_keys).
        """
        if isinstance(state_dict, (str, os.PathLike)):
            from ..serialization import load
            state_dict = load(state_dict)
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to tensors, got "
                f"{type(state_dict).__name__}."
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ".")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            problem, staged = _stage(key, state_dict[key], target)
            if problem:
                errors.append(problem)
            else:
                updates.append((target, staged))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
                + "\nCheck that the checkpoint was saved from the same architecture, or pass "
                "strict=False to skip missing and unexpected keys."
            )
        # Every value is already an array of its target's shape and dtype and every target is
        # writable, so none of these writes can fail halfway.
        with no_grad():
            for target, staged in updates:
                target.copy_(staged)
        return IncompatibleKeys(missing, unexpected)

    # ---- repr -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown inside this module's repr, e.g. "in_features=2, ..."."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                       for name, child in self._modules.items()]
        count = sum(p._data.size for p in self.parameters())
        note = f"  # {count:,} param{'s' if count != 1 else ''}" if count else ""
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra}){note}"
        if not extra_lines and not child_lines:
            return f"{type(self).__name__}(){note}"
        return (f"{type(self).__name__}({note}\n  " + "\n  ".join(extra_lines + child_lines)
                + "\n)")


def factory_dtype(owner: str, device: Any, dtype: Any) -> np.dtype:
    """A layer's `device=` (the CPU, the only one) checked, and its parameters' dtype: `dtype`,
    or the default float dtype."""
    check_device(device, owner)
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _stage(key: str, value: Any, target: Tensor) -> tuple[str | None, np.ndarray | None]:
    """(a problem, None) or (None, `value` as an array of the target's dtype): all the checks
    copy_ would make, done before any write."""
    try:
        # The arrays themselves (_data), whatever `.data` returns (an array here, a Tensor in
        # PyTorch's convention).
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
    except (TypeError, ValueError) as err:
        return (f"value for {key} cannot be read as an array ({err}); pass a Tensor or a "
                "NumPy array.", None)
    if array.shape != target.shape:
        return (f"size mismatch for {key}: copying a param with shape {array.shape} from "
                f"checkpoint, the shape in current model is {target.shape}.", None)
    if array.dtype.kind not in "biufc" or not np.can_cast(array.dtype, target.dtype,
                                                           "same_kind"):
        return (f"dtype mismatch for {key}: cannot copy a value of dtype {array.dtype} into a "
                f"{target.dtype} tensor; convert it first, e.g. value.astype(np.{target.dtype}).",
                None)
    if not target._data.flags.writeable:
        return (f"{key} is read-only in the current model (e.g. an expand()/broadcast_to() "
                "view); give the module a writable tensor (.clone()) before loading.", None)
    return None, array.astype(target.dtype, copy=False)
