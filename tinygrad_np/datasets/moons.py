"""Two interleaving half circles, the toy set of post 001 (same construction as scikit-learn's)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["make_moons"]


def make_moons(n_samples: int = 100, noise: float | None = None, seed: int | None = None, *,
               shuffle: bool = True, dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """`(x, y)`: `n_samples` 2-D points on two interleaving half circles and their labels.

    The outer moon (label 0) gets `n_samples // 2` points on the upper unit half circle, the
    inner one (label 1) the rest, on a half circle shifted to (1, 0.5) and flipped. `noise` is
    the standard deviation of Gaussian noise added to every coordinate. `x` is `dtype`
    (float32 by default), `y` int64. The same `seed` always gives the same points.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise ValueError(f"make_moons: n_samples must be an integer >= 2, got {n_samples!r}.")
    if noise is not None and not noise >= 0:
        raise ValueError(f"make_moons: noise is a standard deviation, >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    x = np.concatenate([
        np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
        np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:
        order = rng.permutation(n_samples)
        x, y = x[order], y[order]
    if noise:
        x = x + rng.normal(scale=noise, size=x.shape)
    return x.astype(dtype), y
