"""scripts/port_check.py runs a PyTorch program as written and with its imports changed to
tinygrad_np, and compares the printed numbers (skipped without PyTorch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "port_check.py"

PROGRAM = '''\
import torch
import torch.nn.functional as F
from torch.optim import SGD

model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(16, 3)
y = x.sum(1, keepdim=True).sin()
for step in range(40):
    loss = F.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(step, loss.item())
'''


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    program = tmp_path / "program.py"
    program.write_text(source)
    return subprocess.run([sys.executable, str(SCRIPT), str(program)], capture_output=True,
                          text=True, timeout=300)


def test_a_ported_program_prints_what_pytorch_prints(tmp_path):
    done = _run(tmp_path, PROGRAM)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "import torch  ->  import tinygrad_np as torch" in done.stdout
    assert "from torch.optim import SGD  ->  from tinygrad_np.optim import SGD" in done.stdout
    assert "4 printed lines" in done.stdout and "agree" in done.stdout


def test_a_disagreement_is_reported(tmp_path):
    # The same program, but the tinygrad_np run sees a different learning rate.
    source = PROGRAM.replace("lr=0.05", "lr=0.05 if torch.__name__ == 'torch' else 0.06")
    done = _run(tmp_path, source)
    assert done.returncode == 1 and "DISAGREE" in done.stdout and "numbers differ" in done.stdout
