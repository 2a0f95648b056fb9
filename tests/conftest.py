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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say so when the PyTorch-oracle tests were skipped: a green run without them checks
    less than one with them."""
    skipped = terminalreporter.stats.get("skipped", [])
    oracle = [r for r in skipped if "torch" in str(getattr(r, "longrepr", ""))]
    if oracle:
        terminalreporter.write_line(
            f"PyTorch is not installed: {len(oracle)} PyTorch-oracle tests were skipped "
            "(pip install torch==2.13.0, the CPU build, to run them).")
