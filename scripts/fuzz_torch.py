"""A long run of the differential fuzz against PyTorch (tests/test_fuzz_torch.py's programs).

    python scripts/fuzz_torch.py 100000            # programs; needs torch installed
    python scripts/fuzz_torch.py 20000 --seed 7

Prints how many programs ran per dtype and per op, and each failing program (as drawn, not
shrunk: rerun it with FUZZ_EXAMPLES in the test for a minimal one)."""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_fuzz_torch as fuzz  # noqa: E402  (after the path is set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    failures: list[tuple[dict, str]] = []

    @seed(args.seed)
    @settings(max_examples=args.programs, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(program=fuzz.programs())
    def one(program: dict) -> None:
        counts["programs"] += 1
        counts[f"dtype {program['dtype']}"] += 1
        for _, name in program["steps"]:
            counts[f"op {name}"] += 1
        try:
            with np.errstate(all="ignore"):
                fuzz.compare(fuzz.run(fuzz.tg, program), fuzz.run(fuzz.torch, program),
                             program["dtype"])
        except AssertionError as err:  # recorded, and the run goes on
            failures.append((program, str(err).strip().splitlines()[0]))

    one()
    for key, n in sorted(counts.items()):
        print(f"{key:24s} {n}")
    print(f"failures: {len(failures)}")
    for program, why in failures[:50]:
        print(f"- {why}: {program}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
