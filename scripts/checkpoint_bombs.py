"""Measure what hostile files cost `tg.load` and `load_mnist`: for each bomb of tests/bombs.py,
a fresh process loads it and reports the exception, the peak of memory allocated during the call
(tracemalloc: Python objects and NumPy arrays) and the growth of the peak resident set over the
resident set before the call (ru_maxrss), the figures of the README's "Reliability" section.

    python scripts/checkpoint_bombs.py          # ~1 minute; writes ~20 MiB of files to a temp dir
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import bombs  # noqa: E402

CHILD = r"""
import resource, sys, tracemalloc
import tinygrad_np as tg
from tinygrad_np.datasets import load_mnist, read_idx
call, arg, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
fn = {"load": tg.load, "mnist": lambda a: load_mnist(a, download=False), "idx": read_idx}[call]
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])  # KiB
if trace:  # a separate run: tracemalloc's own bookkeeping would inflate the RSS figure
    tracemalloc.start()
try:
    fn(arg)
    outcome = "loaded"
except Exception as err:
    outcome = f"{type(err).__name__}: {str(err)[:90]}"
traced = tracemalloc.get_traced_memory()[1] / 2**20
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(f"{traced:.1f}	{max(0, peak - rss) / 1024:.1f}	{outcome}")
"""


def measure(call: str, arg: Path) -> list[str]:
    runs = [subprocess.run([sys.executable, "-c", CHILD, call, str(arg), trace],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
            for trace in ("1", "0")]
    traced, _, outcome = runs[0].split("\t", 2)
    return [traced, runs[1].split("\t", 2)[1], outcome]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        mnist = d / "mnist"
        mnist.mkdir()
        cases = [
            ("npz zip bomb (4 GiB of zeros)", "load",
             d / "zip.npz", lambda p: bombs.npz_zip_bomb(p, 4, correct_crc=True)),
            ("npz member inflating past its declared 1 MiB to 4 GiB", "load",
             d / "lying.npz", bombs.npz_lying_bomb),
            ("manifest: 100,000 references to one member", "load",
             d / "refs.npz", bombs.manifest_references_bomb),
            ("manifest: lists nested 100,000 deep", "load",
             d / "deep.npz", bombs.manifest_deep_bomb),
            ("manifest: 4 MiB (the default limit) of empty lists", "load",
             d / "wide.npz", bombs.manifest_wide_bomb),
            ("MNIST .gz bomb (3 GiB of zeros)", "mnist",
             mnist / "train-images.idx3-ubyte.gz", bombs.gzip_bomb),
            ("raw MNIST file of 6 GiB (sparse)", "mnist",
             mnist / "train-images.idx3-ubyte",
             lambda p: bombs.sparse_file(p, 6 << 30) or 6 << 30),
            ("user IDX .gz declaring 65536 x 65536 bytes (4 GiB), 1 GiB of zeros", "idx",
             d / "user.idx.gz", bombs.idx_gz_bomb),
        ]
        print("| file | size on disk | outcome | peak allocated (tracemalloc) | peak RSS growth |")
        print("|---|---|---|---|---|")
        for label, call, path, build in cases:
            for old in mnist.iterdir():
                old.unlink()
            size = build(path)
            traced, rss, outcome = measure(call, mnist if call == "mnist" else path)
            print(f"| {label} | {size / 2**20:.2f} MiB | {outcome} | {traced} MiB | {rss} MiB |")


if __name__ == "__main__":
    main()
