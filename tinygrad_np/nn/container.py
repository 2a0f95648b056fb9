"""Containers: `Sequential` (a pipeline of modules) and `ModuleList` (a list of modules)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from .module import Module


class _ModuleSequence(Module):
    """Modules registered under the names "0", "1", ...: indexing, slicing, len, iteration.

    The registry mirrors each entry as an attribute (see Module), so `seq[i]` and
    `getattr(seq, "i")` agree.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or ():
            self.append(m)

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(
                f"{type(self).__name__} index {idx} is out of range for {n} modules."
            )
        return list(self._modules)[idx % n]

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        names = list(self._modules)
        doomed = set(names[idx] if isinstance(idx, slice) else [self._index(idx)])
        # Renumber so the names stay "0", "1", ... like PyTorch.
        self._renumber([m for name, m in self._modules.items() if name not in doomed])

    def _renumber(self, modules: list[Module | None]) -> None:
        """Replace every entry by `modules` under the names "0", "1", ...."""
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._modules.values())

    def _check_module(self, module: Any, method: str) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.{method}: expected a Module, got "
                f"{type(module).__name__}."
            )

    def append(self, module: Module) -> _ModuleSequence:
        self._check_module(module, "append")
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> _ModuleSequence:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        self._check_module(module, "insert")  # before any change: a refusal changes nothing
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)


class Sequential(_ModuleSequence):
    """Runs its modules in order, each on the previous one's output.

    `Sequential(m0, m1, ...)` names them "0", "1", ...; `Sequential(OrderedDict(name=m))` keeps
    the given names.
    """

    def __init__(self, *modules: Any) -> None:
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            super().__init__()
            for name, m in modules[0].items():
                self.add_module(name, m)
            return
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential: argument {i} is a {type(m).__name__}, not a Module; pass "
                    "layers such as nn.Linear(2, 3) or nn.ReLU() (instances, not classes)."
                )
        super().__init__(modules)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            # Keep the original names, as PyTorch does.
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain list's would not be)."""

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        self.extend(modules)
        return self
