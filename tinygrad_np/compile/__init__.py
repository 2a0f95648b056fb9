"""`compile(fn)`: capture a training step once, replay it as straight-line NumPy."""

from .compiled import CompiledFunction, compile

__all__ = ["CompiledFunction", "compile"]
