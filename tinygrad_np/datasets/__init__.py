"""Datasets for the examples: MNIST from its IDX files (checksummed, offline first), moons."""

from .mnist import CorruptedFileError, load_mnist, read_idx
from .moons import make_moons

__all__ = ["CorruptedFileError", "load_mnist", "make_moons", "read_idx"]
