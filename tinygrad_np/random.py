"""The default random generator, seeded by manual_seed (like torch.manual_seed)."""

from __future__ import annotations

import numpy as np

from .autograd.watch import refuse

_generator = {"default": np.random.default_rng()}


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator behind randn/rand/randint, nn.init and Dropout."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(
            f"manual_seed: the seed must be a non-negative int, got {type(seed).__name__} "
            f"{seed!r}; e.g. manual_seed(0)."
        )
    _generator["default"] = np.random.default_rng(seed)
    return _generator["default"]


def draw_from(generator: np.random.Generator | None = None) -> np.random.Generator:
    """The generator a draw uses: `generator`, else the default one. (A capture refuses a
    function that draws: its replay would repeat the capture's numbers.)"""
    refuse("a random draw")
    return _generator["default"] if generator is None else generator


def default_generator() -> np.random.Generator:
    return draw_from(None)
