"""examples/check_handwritten_backprop.py in fast mode, on the repo's MNIST and moons batches:
posts 000 and 001 agree with autodiff, post 002's bias slip is a failing row with its error,
and the corrected post 002 agrees."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import check_handwritten_backprop as example
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "check_handwritten_backprop.py"


@pytest.fixture(scope="module")
def fast_run() -> tuple[dict, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        reports = example.main(["--fast"])
    return reports, out.getvalue()


def test_reports_cover_the_three_posts_and_the_fix(fast_run):
    reports, _ = fast_run
    assert list(reports) == ["000", "001", "002 as posted", "002 fixed"]
    assert example.outcome_as_expected(reports)


def test_posts_000_and_001_agree_on_every_parameter(fast_run):
    reports, _ = fast_run
    assert [r.name for r in reports["000"].rows] == ["W1", "B1", "W2", "B2", "W3", "B3"]
    assert [r.name for r in reports["001"].rows] == ["W1", "b1", "W2", "b2"]
    for label in ("000", "001"):
        assert all(row.passed and row.max_abs_err < 1e-12 for row in reports[label].rows)


def test_post002_slip_fails_on_the_biases_with_their_error(fast_run):
    reports, printed = fast_run
    slip = reports["002 as posted"]
    assert [row.name for row in slip.failed] == ["bias 1", "bias 2"]
    assert slip["weights 0->1"].passed and slip["weights 1->2"].passed
    section = printed.split("post 002 as posted")[1].split("post 002 fixed")[0]
    for name in ("bias 1", "bias 2"):
        row = slip[name]
        assert row.max_abs_err > 1e-3 and row.max_rel_err > 0.1
        printed_row = re.search(rf"^{name} .*$", section, re.MULTILINE).group(0)
        assert printed_row.split()[-1] == "FAIL"
        assert f"{row.max_abs_err:.2e}" in printed_row and f"{row.max_rel_err:.2e}" in printed_row


def test_post002_corrected_passes(fast_run):
    reports, printed = fast_run
    assert reports["002 fixed"].passed
    section = printed.split("post 002 fixed")[1]
    assert "FAIL" not in section and "4 of 4 parameters match autodiff" in section


def test_script_runs_and_reports_the_expected_outcome():
    done = subprocess.run([sys.executable, str(SCRIPT), "--fast"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("FAIL") == 2 and "outcome: as expected" in done.stdout
