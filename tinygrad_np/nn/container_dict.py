"""`ModuleDict`, `ParameterList` and `ParameterDict`: modules or parameters held by key or
position and registered under those names, so `parameters()`, `state_dict()` and `repr` find
them with PyTorch's dotted names ("heads.cls.weight", "scales.0")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..autograd.tensor_core import Tensor
from .module import Module, Parameter


def _pairs(values: Any, who: str) -> Iterable[tuple[str, Any]]:
    """(key, value) pairs from a mapping or an iterable of pairs, as dict.update takes."""
    if isinstance(values, Mapping):
        return values.items()
    if isinstance(values, Tensor):
        raise TypeError(f"{who}.update: expected a mapping or key-value pairs, got a Tensor.")
    pairs = []
    for i, item in enumerate(values):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{who}.update: element {i} should be a (key, value) pair, got "
                            f"{type(item).__name__}.")
        pairs.append((item[0], item[1]))
    return pairs


class ModuleDict(Module):
    """An ordered dict of sub-modules, each registered under its key."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict['{key}']: expected a Module, got "
                            f"{type(module).__name__}.")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Any) -> None:
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module


def _as_parameter(value: Any) -> Any:
    """A Tensor that is not yet a Parameter becomes one sharing its memory, and requiring
    grad (as in PyTorch)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _parameter_line(name: str, value: Any) -> str:
    if isinstance(value, Tensor):
        size = "x".join(str(n) for n in value.shape)
        return f"({name}): Parameter containing: [{value.dtype} of size {size}]"
    return f"({name}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of Parameters registered under "0", "1", ...; a plain Tensor is wrapped into a
    Parameter, other objects are kept as attributes (as PyTorch does)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def _index(self, idx: int) -> str:
        if not -self._size <= idx < self._size:
            raise IndexError(f"ParameterList index {idx} is out of range for {self._size} "
                             "entries.")
        return str(idx % self._size)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, self._index(idx))

    def __setitem__(self, idx: int, value: Any) -> None:
        self._put(self._index(idx), value)

    def _put(self, name: str, value: Any) -> None:
        value = _as_parameter(value)
        if isinstance(value, Parameter) or (value is None and name in self._parameters):
            self.register_parameter(name, value)
        else:  # (not a parameter: an ordinary attribute, as PyTorch keeps it)
            self._forget(name)
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._size))

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        name = str(self._size)
        object.__setattr__(self, "_size", self._size + 1)
        self._put(name, value)
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend: expected an iterable of parameters, got "
                            f"{type(values).__name__}.")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(str(i), v) for i, v in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of Parameters registered under their keys; a plain Tensor is wrapped
    into a Parameter."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}.")
        self._keys[key] = None
        value = _as_parameter(value)
        if isinstance(value, Parameter) or value is None:
            self.register_parameter(key, value)
        else:
            self._forget(key)
            object.__setattr__(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return [(k, self[k]) for k in self._keys]

    def values(self) -> Iterable[Any]:
        return [self[k] for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def update(self, parameters: Any) -> None:
        for key, value in _pairs(parameters, "ParameterDict"):
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_parameter_line(k, v) for k, v in self.items())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")
