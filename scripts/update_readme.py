"""Copy the generated tables into the README, between its marker comments:

    <!-- begin docs/results.md -->  ...  <!-- end docs/results.md -->

Regenerate the tables first (`python scripts/make_results.py`,
`python benchmarks/bench_models.py --markdown > docs/benchmarks.md`), then run this.
`--check` exits 1 when the README is out of date (a test runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"(<!-- begin (\S+) -->\n)(.*?)(<!-- end \2 -->)", re.S)
RELATIVE_LINK = re.compile(r"\]\((?!https?:|/|#)([^)]+)\)")


def updated(text: str) -> str:
    def splice(match: re.Match[str]) -> str:
        path = Path(match.group(2))
        source = (ROOT / path).read_text().strip()
        if source.startswith("# "):  # the README section has its own heading
            source = source.split("\n", 1)[1].strip()
        # Links in docs/x.md are relative to docs/; in the README they need the prefix.
        source = RELATIVE_LINK.sub(lambda m: f"]({(path.parent / m.group(1)).as_posix()})",
                                   source)
        return f"{match.group(1)}{source}\n{match.group(4)}"

    return MARKER.sub(splice, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    text = README.read_text()
    new = updated(text)
    if args.check:
        if new != text:
            print("README.md is out of date: run python scripts/update_readme.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
