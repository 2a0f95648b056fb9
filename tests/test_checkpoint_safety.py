"""Checkpoints and data files under damage, attack and bad luck (issue 20): every corruption
is caught or harmless, bombs are refused before allocating, concurrent savers and a kill
mid-save never leave a broken file, and load_state_dict changes nothing when it refuses."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.datasets.mnist import CorruptedFileError, read_bounded
from tinygrad_np.serialization import (
    CheckpointError,
    CheckpointTooLargeError,
    CorruptCheckpointError,
)

SMALL = {"w": np.arange(6.0).reshape(2, 3), "b": tg.tensor([1.0, -2.0], requires_grad=True),
         "step": 3, "name": "fc"}


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tg.Tensor, np.ndarray)):
        return (isinstance(b, type(a)) and np.array_equal(np.asarray(a), np.asarray(b))
                and np.asarray(a).dtype == np.asarray(b).dtype
                and getattr(a, "requires_grad", None) == getattr(b, "requires_grad", None))
    return type(a) is type(b) and a == b


def _outcome(path: Path) -> str:
    """'caught' (a CheckpointError), 'same' (loads as saved), or what went wrong."""
    try:
        out = tg.load(path)
    except CheckpointError:
        return "caught"
    except Exception as err:  # noqa: BLE001 - any other exception is the failure we look for
        return f"raised {type(err).__name__}: {err}"
    return "same" if _same(out, SMALL) else "DIFFERENT"


def test_every_single_byte_damage_is_caught_or_harmless(tmp_path):
    path = tmp_path / "small.npz"
    tg.save(SMALL, path)
    good = path.read_bytes()
    outcomes: dict[str, int] = {}
    for i in range(len(good)):
        damaged = bytearray(good)
        damaged[i] ^= 0xFF
        path.write_bytes(bytes(damaged))
        result = _outcome(path)
        outcomes[result] = outcomes.get(result, 0) + 1
    assert set(outcomes) <= {"caught", "same"}, outcomes
    assert outcomes["caught"] > 0.8 * len(good)  # (the rest: zip fields nothing reads)


def test_random_multi_byte_damage_is_caught_or_harmless(tmp_path):
    path = tmp_path / "small.npz"
    tg.save(SMALL, path)
    good = path.read_bytes()
    rng = np.random.default_rng(0)
    for _ in range(400):
        damaged = bytearray(good)
        for i in rng.integers(0, len(good), size=rng.integers(1, 5)):
            damaged[i] = rng.integers(0, 256)
        cut = rng.integers(len(good) // 2, len(good) + 1)  # sometimes truncated too
        path.write_bytes(bytes(damaged[:cut]))
        assert _outcome(path) in ("caught", "same")


@pytest.mark.filterwarnings("ignore:Duplicate name")  # (zipfile's, while we forge one)
def test_edited_archives_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    tg.save(SMALL, path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    with zipfile.ZipFile(path, "w") as zf:  # a duplicate member
        for name, blob in members.items():
            zf.writestr(name, blob)
        zf.writestr("w.npy", members["w.npy"])
    with pytest.raises(CorruptCheckpointError, match="holds 'w' twice"):
        tg.load(path)
    with zipfile.ZipFile(path, "w") as zf:  # a member swapped for another of the same size
        for name, blob in members.items():
            zf.writestr(name, members["w.npy"] if name == "w.npy" else blob)
        zf.writestr("x.npy", members["b.npy"])
    with pytest.raises(CorruptCheckpointError, match="not listed: \\['x'\\]"):
        tg.load(path)


def _bomb(path: Path, declared: int) -> None:
    """A .npz whose one member declares `declared` bytes of zeros, deflated to little."""
    header = b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (" + \
        str(declared).encode() + b",), }"
    header += b" " * (118 - len(header)) + b"\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("w.npy", "w", force_zip64=True) as member:
            member.write(header)
            chunk = bytes(1 << 20)
            for _ in range(declared >> 20):
                member.write(chunk)


def _peak_rss_mib(code: str) -> tuple[str, float]:
    """Run `code` in a fresh interpreter; its output and its peak resident memory in MiB
    (VmHWM: ru_maxrss would start from the parent's, which fork passes on)."""
    probe = code + ("\nprint(next(int(line.split()[1]) for line in open('/proc/self/status')"
                    " if line.startswith('VmHWM')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[1]).stdout.split()
    return " ".join(out[:-1]), int(out[-1]) / 1024


def test_a_zip_bomb_is_refused_before_allocating(tmp_path):
    path = tmp_path / "bomb.npz"
    _bomb(path, 256 << 20)  # 256 MiB of zeros in well under 1 MiB
    assert path.stat().st_size < (1 << 20)
    with pytest.raises(CheckpointTooLargeError, match="over the limit"):
        tg.load(path, max_bytes=64 << 20)
    out, peak = _peak_rss_mib(textwrap.dedent(f"""
        import tinygrad_np as tg
        from tinygrad_np.serialization import CheckpointTooLargeError
        try:
            tg.load({str(path)!r}, max_array_bytes=16 << 20)
        except CheckpointTooLargeError:
            print("refused")
    """))
    assert out == "refused" and peak < 200  # (the interpreter with NumPy alone is ~60 MiB)


def test_deep_and_oversized_manifests_are_refused(tmp_path):
    deep: object = 1.0
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        tg.save({"x": deep}, tmp_path / "deep.npz")
    tg.save({"x": [[[[1.0]]]]}, tmp_path / "ok.npz")
    with pytest.raises(CheckpointTooLargeError, match="nests more than 2 levels"):
        tg.load(tmp_path / "ok.npz", max_depth=2)
    with pytest.raises(CheckpointTooLargeError, match="over the limit"):
        tg.load(tmp_path / "ok.npz", max_manifest_bytes=10)


def test_concurrent_savers_never_leave_a_broken_file(tmp_path):
    path = tmp_path / "shared.npz"
    errors: list[BaseException] = []

    def saver(k: int) -> None:
        try:
            for r in range(25):
                tg.save({"k": np.full(2000, float(k)), "round": r}, path)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=saver, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    out = tg.load(path)
    assert out["round"] == 24 and len(set(np.asarray(out["k"]).tolist())) == 1
    assert os.listdir(tmp_path) == ["shared.npz"]  # no temporary file left


def test_concurrent_processes_and_a_kill_mid_save(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.zeros(10)}, path)
    script = textwrap.dedent(f"""
        import numpy as np, tinygrad_np as tg
        for r in range(10_000):
            tg.save({{"w": np.full(300_000, float(r))}}, {str(path)!r})
    """)
    root = Path(__file__).resolve().parents[1]
    for delay in (0.3, 0.5, 0.7, 0.9):
        procs = [subprocess.Popen([sys.executable, "-c", script], cwd=root) for _ in range(2)]
        try:
            procs[0].wait(timeout=delay)
        except subprocess.TimeoutExpired:
            pass
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.wait()
        out = tg.load(path)  # the last complete save, never a half-written one
        assert len(set(np.asarray(out["w"]).tolist())) == 1
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.npz"]
    # A kill between writing and renaming leaves that save's temporary file (where the file
    # system cannot make unnamed ones); it is hidden, named for the checkpoint, never read.
    assert all(n.startswith(".ckpt.npz.") and n.endswith(".tmp") for n in leftovers)


def test_a_symlink_at_a_temporary_name_is_never_followed(tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    for i in range(50):  # the old predictable names, and more
        (tmp_path / f"m.npz.{os.getpid()}.tmp").unlink(missing_ok=True)
        os.symlink(target, tmp_path / f".m.npz.{i}.tmp")
    os.symlink(target, tmp_path / f"m.npz.{os.getpid()}.tmp")
    tg.save(SMALL, tmp_path / "m.npz")
    assert target.read_text() == "keep me" and _same(tg.load(tmp_path / "m.npz"), SMALL)


def test_mnist_files_are_read_within_their_known_size(tmp_path):
    raw = tmp_path / "labels"
    raw.write_bytes(bytes(100))
    assert read_bounded(raw, 100, "t") == bytes(100)
    with pytest.raises(CorruptedFileError, match="is 100 bytes, expected 60008"):
        read_bounded(raw, 60008, "load_mnist")
    bomb = tmp_path / "labels.gz"
    with gzip.open(bomb, "wb") as fh:
        for _ in range(64):
            fh.write(bytes(1 << 20))  # 64 MiB of zeros
    with pytest.raises(CorruptedFileError, match="decompresses to more than the 60008 bytes"):
        read_bounded(bomb, 60008, "load_mnist")
    out, peak = _peak_rss_mib(textwrap.dedent(f"""
        from pathlib import Path
        from tinygrad_np.datasets.mnist import CorruptedFileError, read_bounded
        try:
            read_bounded(Path({str(bomb)!r}), 47040016, "load_mnist")
        except CorruptedFileError:
            print("refused")
    """))
    assert out == "refused" and peak < 200


def test_load_state_dict_changes_nothing_when_it_refuses():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    before = {k: np.asarray(v).copy() for k, v in model.state_dict().items()}
    new = {k: np.full(np.shape(v), 7.0, dtype=np.float32) for k, v in before.items()}
    model[1].bias.data = np.broadcast_to(np.zeros(1, np.float32), (1,))  # read-only
    with pytest.raises(RuntimeError, match="1.bias cannot be written: its array is read-only"):
        model.load_state_dict(new)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k] if k != "1.bias" else [0.0])


def test_safetensors_round_trip_and_pytorch_interchange(tmp_path):
    pytest.importorskip("safetensors")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    tg.save(model.state_dict(), path)
    assert os.listdir(tmp_path) == ["model.safetensors"]
    loaded = tg.load(path)
    assert sorted(loaded) == sorted(model.state_dict())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(loaded[k]), np.asarray(v))
    with pytest.raises(TypeError, match="flat dict of str -> Tensor"):
        tg.save({"nested": {"w": np.ones(2)}}, tmp_path / "bad.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(CorruptCheckpointError, match="not a valid .safetensors file"):
        tg.load(tmp_path / "junk.safetensors")
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    reference.load_state_dict(load_file(str(path)))  # our file, PyTorch's model: same keys
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(reference(torch.tensor(x)).detach().numpy(),
                               np.asarray(model(tg.tensor(x))), rtol=1e-6)
    save_file(reference.state_dict(), str(tmp_path / "torch.safetensors"))
    model.load_state_dict(tg.load(tmp_path / "torch.safetensors"))  # and back


def test_where_wants_a_bool_condition():
    x = tg.tensor([1.0, -2.0])
    with pytest.raises(TypeError, match="where: the condition must be a bool tensor, got dtype "
                                        "float32"):
        tg.where(x, x, 0.0)
    assert tg.where(x.bool(), x, 0.0).tolist() == [1.0, -2.0]
    assert x.int().dtype == np.int32 and x.half().dtype == np.float16


def test_data_loader_refuses_strings_and_objects():
    from tinygrad_np.data import DataLoader

    for bad in (np.array(["a", "b"]), np.array([object(), 1], dtype=object)):
        with pytest.raises(TypeError, match="DataLoader: array 0 has dtype .* not numeric"):
            DataLoader(bad, batch_size=1)
