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


def pytest_addoption(parser) -> None:
    # Long fuzz runs: `pytest tests/test_fuzz_torch.py --fuzz-examples 100000` (or the
    # FUZZ_EXAMPLES environment variable) sets the examples per fuzz category.
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="Hypothesis examples per category of tests/test_fuzz_torch.py")


def pytest_configure(config) -> None:
    import os

    if config.getoption("--fuzz-examples") is not None:
        os.environ["FUZZ_EXAMPLES"] = str(config.getoption("--fuzz-examples"))
