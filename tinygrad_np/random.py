"""The default random generator, seeded by manual_seed (like torch.manual_seed)."""

from __future__ import annotations

import numpy as np

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


def default_generator() -> np.random.Generator:
    return _generator["default"]
