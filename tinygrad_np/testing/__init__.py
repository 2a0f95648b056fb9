"""Tools to check gradients: finite differences, side by side with hand-written backprop
(`compare_grads`), and (in `strategies`) Hypothesis inputs.

`from tinygrad_np.testing import strategies` needs Hypothesis; importing `tinygrad_np.testing`
itself does not (the submodule is loaded on first use).
"""

import importlib
from typing import Any

from .compare import GradMismatchError, GradReport, GradRow, compare_grads
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "GradMismatchError", "GradReport", "GradRow", "GradcheckError", "compare_grads",
    "gradcheck", "gradgradcheck",
]


def __getattr__(name: str) -> Any:
    # Lazy, so that the package's only runtime dependency stays NumPy.
    if name == "strategies":
        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
