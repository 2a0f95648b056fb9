"""The package's own exception classes.

PyTorch raises RuntimeError for most refused inputs (a shape that does not fit, a dtype an op
cannot take); Python code conventionally expects ValueError or TypeError. These classes are
both, so `except RuntimeError` (code written for PyTorch) and `except ValueError` /
`except TypeError` catch them alike.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """Shapes (or dims, sizes, an equation) that do not fit the op."""


class DTypeError(TypeError, RuntimeError):
    """A dtype the op cannot take (floats to a bitwise op, float class indices)."""


class OptionError(ValueError, RuntimeError):
    """An option value the op does not know (a reduce mode, an interpolation mode)."""


class IndexRangeError(IndexError, RuntimeError):
    """An index outside its dimension where PyTorch reports a RuntimeError (scatter)."""


__all__ = ["DTypeError", "IndexRangeError", "OptionError", "ShapeError"]
