"""Long runs of the PyTorch differential fuzz (issue 17) outside pytest.

Runs the generators of tests/test_fuzz_torch.py for N programs per category with seeds
0..N-1 (plus --seed-offset), prints the count per category and, for each failing family, how
often it failed and its smallest reproducer. Usage:

    PYTHONPATH=. python scripts/fuzz_torch.py -n 100000 [--categories ops,dtypes]

Reproduce one: fz.CATEGORIES[c](fz.RandomDraw(seed_of(c, seed))).
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_fuzz_torch as fz  # noqa: E402  (after the path above)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100000, help="programs per category")
    ap.add_argument("--categories", default=",".join(fz.CATEGORIES))
    ap.add_argument("--seed-offset", type=int, default=0)
    ap.add_argument("--report-every", type=float, default=60.0, help="seconds between reports")
    args = ap.parse_args(argv)
    cats = [c for c in args.categories.split(",") if c]
    counts = {c: 0 for c in cats}
    fails: dict[str, list] = {}  # family -> [count, smallest Failure, seed]
    start = last = time.time()
    for i in range(args.n):
        for c in cats:
            seed = args.seed_offset + i
            try:
                f = fz.CATEGORIES[c](fz.RandomDraw(seed_of(c, seed)))
            except Exception as e:  # a crash of the harness itself is a family too
                f = fz.Failure(f"{c}/harness/{type(e).__name__}", str(e)[:200], f"seed {seed}",
                               10**9)
            counts[c] += 1
            if f is not None:
                entry = fails.setdefault(f.family, [0, f, seed])
                entry[0] += 1
                if f.size < entry[1].size:
                    entry[1], entry[2] = f, seed
        if time.time() - last > args.report_every:
            last = time.time()
            report(counts, fails, last - start)
    report(counts, fails, time.time() - start, full=True)
    return 1 if fails else 0


def seed_of(category: str, seed: int) -> int:
    """The RandomDraw seed of a program: stable across processes (hash() is not)."""
    return zlib.crc32(f"{category}:{seed}".encode())


def report(counts: dict, fails: dict, elapsed: float, full: bool = False) -> None:
    print(f"--- {elapsed:.0f} s: programs per category {counts}; "
          f"{len(fails)} failing families", flush=True)
    for fam, (n, f, seed) in sorted(fails.items()):
        print(f"  {fam}: {n} failures (smallest: seed {seed}) {f.detail}", flush=True)
        if full:
            print("    " + f.repro.replace("\n", "\n    "), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
