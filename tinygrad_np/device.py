"""Devices, PyTorch-style, for scripts that say where tensors live: tinygrad_np computes with
NumPy on the CPU, so "cpu" is the one device; anything else is refused with a clear error."""

from __future__ import annotations

from typing import Any


class device:
    """`tinygrad_np.device("cpu")`, like torch.device (index 0 or none)."""

    __slots__ = ("type", "index")

    def __init__(self, spec: Any, index: int | None = None) -> None:
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        name, _, number = str(spec).partition(":")
        if name != "cpu" or (number and number != "0") or index not in (None, 0):
            raise RuntimeError(
                f"device {spec!r}: tinygrad_np runs on the CPU only (NumPy); use 'cpu', or "
                "pick the device with e.g. `'cuda' if torch.cuda.is_available() else 'cpu'` "
                "(tinygrad_np.cuda.is_available() is False)."
            )
        self.type = "cpu"
        self.index = None if not number else 0

    def __eq__(self, other: object) -> bool:
        try:
            return device(other).type == self.type  # type: ignore[arg-type]
        except RuntimeError:
            return False

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")


def check(where: Any, who: str) -> None:
    """Accept device=None, "cpu", "cpu:0" or device("cpu") in `who`; refuse the rest."""
    if where is not None:
        try:
            device(where)
        except RuntimeError as err:
            raise RuntimeError(f"{who}: {err}") from None


def is_available() -> bool:
    """Whether an accelerator is available: never, here."""
    return False


def set_default_device(where: Any) -> None:
    """Only "cpu" (or None) is accepted: it is already the default."""
    check(where, "set_default_device")


def device_count() -> int:
    return 0
