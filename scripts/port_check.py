"""Run a PyTorch program twice -- as written, and with its imports changed to tinygrad_np --
and compare what the two print, number by number.

    python scripts/port_check.py path/to/program.py [--rtol 1e-3] [-- program args]

The only change to the program is in its import lines (`import torch` becomes `import
tinygrad_np as torch`, `from torch.optim import Adam` becomes `from tinygrad_np.optim import
Adam`, torchvision's MNIST and transforms come from tinygrad_np.vision); the changed lines are
printed. Both runs seed Python's `random` and PyTorch's generator alike, and in the
tinygrad_np run every random draw (randn, nn.init, randint, shuffling) is answered by PyTorch's
generator, so that both start from the same weights and data. Each run is a subprocess. The
outputs agree when they have the same lines with the numbers replaced, and each number agrees
within `rtol` (float32 programs: rounding of different BLAS libraries grows over training).
Exit status 0 when they agree.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

IMPORTS = [  # (pattern on an import line, replacement)
    (re.compile(r"^(\s*)import torch(\s|$)"), r"\1import tinygrad_np as torch\2"),
    (re.compile(r"^(\s*)import torch\.([\w.]+) as "), r"\1import tinygrad_np.\2 as "),
    (re.compile(r"^(\s*)import torch\.([\w.]+)\s*$"),
     r"\1import tinygrad_np.\2; import tinygrad_np as torch"),
    (re.compile(r"^(\s*)from torch(\.[\w.]+)? import "), r"\1from tinygrad_np\2 import "),
    (re.compile(r"^(\s*)from torchvision(\.[\w.]+)? import "),
     r"\1from tinygrad_np.vision\2 import "),
    (re.compile(r"^(\s*)import torchvision"), r"\1import tinygrad_np.vision as torchvision"),
]
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan")


def port(source: str) -> tuple[str, list[tuple[str, str]]]:
    """The program with its import lines changed, and the (old, new) pairs of lines."""
    lines, changed = [], []
    for line in source.splitlines():
        new = line
        for pattern, replacement in IMPORTS:
            new = pattern.sub(replacement, new)
        if new != line:
            changed.append((line, new))
        lines.append(new)
    return "\n".join(lines) + "\n", changed


def compare(ours: str, theirs: str, rtol: float) -> tuple[bool, float, list[str]]:
    """Whether the outputs agree; the largest relative difference of their numbers; and the
    first few disagreeing lines."""
    a, b = ours.strip().splitlines(), theirs.strip().splitlines()
    worst, bad = 0.0, []
    if len(a) != len(b):
        bad.append(f"{len(a)} lines vs {len(b)}")
    for x, y in zip(a, b):
        if NUMBER.sub("#", x) != NUMBER.sub("#", y):
            bad.append(f"text differs:\n  ours:  {x}\n  torch: {y}")
            continue
        theirs_line = [float(v) for v in NUMBER.findall(y)]
        # Relative to the line's largest number: a coefficient that is 0 up to rounding
        # (-6.7e-10 next to 2.2) is compared at the scale of its neighbours.
        scale = max([abs(v) for v in theirs_line if abs(v) != float("inf")] + [1e-12])
        for u, fv in zip(NUMBER.findall(x), theirs_line):
            fu = float(u)
            if fu == fv:
                continue
            diff = abs(fu - fv) / max(abs(fv), scale * rtol, 1e-12)
            worst = max(worst, diff)
            if diff > rtol:
                bad.append(f"numbers differ ({diff:.1e}):\n  ours:  {x}\n  torch: {y}")
    return not bad, worst, bad[:5]


def run(program: Path, source: str, library: str, seed: int, args: list[str]) -> str:
    """The program's stdout, run by this script's `--child` mode in a fresh interpreter."""
    cmd = [sys.executable, __file__, "--child", library, "--seed", str(seed), str(program),
           "--", *args]
    done = subprocess.run(cmd, input=source, capture_output=True, text=True,
                          cwd=program.parent)
    if done.returncode != 0:
        raise SystemExit(f"the {library} run failed:\n{done.stderr[-3000:]}")
    return done.stdout


def child(library: str, seed: int, program: str, args: list[str]) -> None:
    """Run the program read from stdin as __main__, seeded, with tinygrad_np's random draws
    answered by PyTorch's generator."""
    import random

    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    if library == "tinygrad_np":
        import tinygrad_np.random as tg_random

        tg_random._generator["default"] = TorchDraws()
    source = sys.stdin.read()
    sys.argv = [program, *args]
    sys.path.insert(0, str(Path(program).resolve().parent))
    exec(compile(source, program, "exec"), {"__name__": "__main__", "__file__": program})


class TorchDraws:
    """The numpy Generator methods tinygrad_np draws from, answered by PyTorch's global
    generator in float32 (PyTorch's default dtype), so that both runs see the same numbers."""

    def standard_normal(self, size: Any = None) -> Any:
        import torch

        return torch.randn(_shape(size)).double().numpy()

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> Any:
        import torch

        return torch.empty(_shape(size)).normal_(loc, scale).double().numpy()

    def random(self, size: Any = None) -> Any:
        import torch

        return torch.rand(_shape(size)).double().numpy()

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> Any:
        import torch

        return torch.empty(_shape(size)).uniform_(low, high).double().numpy()

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        import torch

        if high is None:
            low, high = 0, low
        return torch.randint(low, high, _shape(size)).numpy()

    def permutation(self, n: int) -> Any:
        import torch

        return torch.randperm(n).numpy()


def _shape(size: Any) -> tuple[int, ...]:
    if size is None:
        return ()
    return (size,) if isinstance(size, int) else tuple(int(s) for s in size)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        parser = argparse.ArgumentParser()
        parser.add_argument("--child")
        parser.add_argument("--seed", type=int)
        parser.add_argument("program")
        parser.add_argument("args", nargs="*")
        known = parser.parse_args(sys.argv[1:])
        child(known.child, known.seed, known.program, known.args)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("args", nargs="*", help="the program's own arguments (after --)")
    opts = parser.parse_args()
    source = opts.program.read_text()
    ported, changed = port(source)
    print(f"{opts.program.name}: import lines changed:")
    for old, new in changed:
        print(f"  {old.strip()}  ->  {new.strip()}")
    theirs = run(opts.program, source, "torch", opts.seed, opts.args)
    ours = run(opts.program, ported, "tinygrad_np", opts.seed, opts.args)
    same, worst, bad = compare(ours, theirs, opts.rtol)
    lines = len(theirs.strip().splitlines())
    print(f"  {lines} printed lines; largest relative difference of a number {worst:.1e}: "
          f"{'agree' if same else 'DISAGREE'} (rtol {opts.rtol:g})")
    for b in bad:
        print("  " + b.replace("\n", "\n  "))
    if not same:
        print("  last lines, tinygrad_np:\n    " + "\n    ".join(ours.strip().splitlines()[-3:]))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
