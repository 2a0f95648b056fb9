"""Every Python block in the README runs, so the documentation cannot rot."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # blocks may write files (checkpoints)
    namespace: dict = {"__name__": f"readme_block_{index}"}
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()  # property tests defined in the README run here


def test_readme_has_the_two_quickstart_commands():
    text = README.read_text()
    assert 'pip install -e ".[test]" && python -m pytest -q' in text
    assert 'pip install -e ".[examples]" && python examples/post000_mnist_sigmoid.py' in text


def test_readme_tables_match_the_generated_docs():
    import subprocess
    import sys

    script = README.parent / "scripts" / "update_readme.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout


def test_readme_source_excerpts_are_the_source():
    """The ```py blocks quote the package's code (how to add an op): they must be verbatim."""
    package = README.parent / "tinygrad_np"
    sources = "".join(p.read_text() for p in package.rglob("*.py"))
    excerpts = re.findall(r"```py\n(.*?)```", README.read_text(), flags=re.S)
    assert excerpts
    for excerpt in excerpts:
        assert excerpt in sources, f"README quotes code that is not in the package:\n{excerpt}"
