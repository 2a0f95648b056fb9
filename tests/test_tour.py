"""docs/tour.md runs: its Python blocks execute in order in one namespace, a block followed by
a ```text output block prints exactly that, and every picture it shows is in the repo and
drawn by scripts/make_tour_images.py."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "docs" / "tour.md"
TEXT = TOUR.read_text()
# (python code, the expected output or None)
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(
    r"```python\n(.*?)```(?:\s*Output:\s*```text output\n(.*?)```)?", TEXT, flags=re.S)]
MNIST = ROOT / "data" / "mnist" / "train-images.idx3-ubyte.gz"


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return {"__name__": "tour", "_dir": tmp_path_factory.mktemp("tour")}


@pytest.mark.skipif(not MNIST.is_file(), reason="the MNIST IDX files are not in data/mnist/")
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_tour_block_runs(index: int, namespace: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    if namespace.get("_failed") is not None:
        pytest.skip(f"an earlier block ({namespace['_failed']}) failed")
    monkeypatch.chdir(namespace["_dir"])  # blocks write their pictures here
    code, expected = BLOCKS[index]
    out = io.StringIO()
    namespace["_failed"] = index
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"docs/tour.md block {index}", "exec"), namespace)
    namespace["_failed"] = None
    if expected is not None:
        assert out.getvalue() == expected


def test_tour_has_blocks_and_checked_outputs() -> None:
    assert len(BLOCKS) >= 8 and sum(e is not None for _, e in BLOCKS) >= 3


def test_every_picture_exists_and_is_drawn_by_the_script() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", TEXT)
    assert pictures
    script = (ROOT / "scripts" / "make_tour_images.py").read_text()
    for rel in pictures:
        assert (TOUR.parent / rel).is_file(), f"{rel} is missing: run scripts/make_tour_images.py"
        assert Path(rel).name in script, f"{rel} is not drawn by scripts/make_tour_images.py"


def test_readme_links_the_tour() -> None:
    assert "(docs/tour.md)" in (ROOT / "README.md").read_text()
