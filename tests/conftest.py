"""Shared test settings: Hypothesis runs derandomized (a fixed seed per test), no deadline."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tinygrad_np",
    derandomize=True,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("tinygrad_np")
