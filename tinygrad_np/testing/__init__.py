"""Tools to check gradients: finite differences, and (in `strategies`) Hypothesis inputs."""

from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
