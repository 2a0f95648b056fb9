"""Checkpoints under attack and bad luck (issue 20): every damaged byte is caught, bombs cost
no memory, concurrent and killed savers lose nothing, load_state_dict is all or nothing, and
.safetensors carries weights to and from PyTorch."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from collections import Counter, OrderedDict
from pathlib import Path

import bombs
import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.datasets import CorruptedFileError, load_mnist, read_idx
from tinygrad_np.serialization import (
    MANIFEST,
    CheckpointError,
    CheckpointLimitError,
    CorruptCheckpointError,
    NotACheckpointError,
)

ROOT = Path(__file__).resolve().parents[1]


def small_checkpoint() -> dict:
    return {"w": tg.Tensor(np.arange(3, dtype=np.float32), requires_grad=True), "s": 3}


def is_small_checkpoint(obj) -> bool:
    """Exactly small_checkpoint(): type, keys, dtype, bits, requires_grad."""
    ref = small_checkpoint()
    return (type(obj) is dict and list(obj) == ["w", "s"] and type(obj["s"]) is int
            and obj["s"] == 3 and isinstance(obj["w"], tg.Tensor)
            and obj["w"].requires_grad is True and obj["w"].dtype == np.float32
            and np.asarray(obj["w"]).shape == (3,)
            and np.asarray(obj["w"]).tobytes() == np.asarray(ref["w"]).tobytes())


def saved_bytes(obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    tg.save(obj, buf, **kwargs)
    return buf.getvalue()


def outcome(data: bytes, same) -> str:
    """"same", or the CheckpointError subclass raised; anything else fails the test."""
    try:
        obj = tg.load(io.BytesIO(data))
    except CheckpointError as err:
        return type(err).__name__
    assert same(obj), "a damaged file loaded as a different object without an error"
    return "same"


def damaged(data: bytes, seed: int, cases: int) -> list[bytes]:
    """Every byte position changed two ways, `cases` random 1-4 byte changes, every
    truncation."""
    out = []
    for i in range(len(data)):
        for value in (data[i] ^ 0xFF, (data[i] + 1) % 256):
            d = bytearray(data)
            d[i] = value
            out.append(bytes(d))
    rng = np.random.default_rng(seed)
    for _ in range(cases):
        d = bytearray(data)
        for pos in rng.choice(len(d), size=rng.integers(1, 5), replace=False):
            d[pos] = (d[pos] + int(rng.integers(1, 256))) % 256  # always a real change
        out.append(bytes(d))
    out += [data[:n] for n in range(len(data))]
    return out


# ---- corruption fuzz ------------------------------------------------------------------------
def test_every_damaged_byte_of_an_npz_checkpoint_is_caught():
    data = saved_bytes(small_checkpoint())
    assert len(data) < 1000 and is_small_checkpoint(tg.load(io.BytesIO(data)))
    counts = Counter(outcome(d, is_small_checkpoint) for d in damaged(data, 0, 4000))
    # 752 bytes x 2 changes + 4,000 random multi-byte changes + 752 truncations = 6,256 cases
    # (CPython 3.11: 6,161 CorruptCheckpointError, 80 NotACheckpointError, 15
    # CheckpointLimitError); every one is refused: format 2 leaves no byte unchecked.
    assert sum(counts.values()) == 3 * len(data) + 4000 and counts["same"] == 0


def test_every_damaged_byte_of_a_safetensors_file_is_caught():
    pytest.importorskip("safetensors")
    obj = {"fc.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
           "fc.bias": np.array([1, -2], np.int64)}
    data = saved_bytes(obj, format="safetensors")

    def same(out):
        return list(out) == list(obj) and all(
            np.asarray(out[k]).dtype == v.dtype and np.asarray(out[k]).shape == v.shape
            and np.asarray(out[k]).tobytes() == v.tobytes() for k, v in obj.items())

    assert same(tg.load(io.BytesIO(data)))
    counts = Counter(outcome(d, same) for d in damaged(data, 1, 1000))
    assert sum(counts.values()) == 2 * len(data) + 1000 + len(data) and counts["same"] == 0


def test_a_damaged_directory_entry_is_not_read_as_a_plain_npz(tmp_path):
    """Dropping the manifest from the zip directory (what a damaged length field does) used to
    fall back to "plain npz" and return a different object."""
    data = saved_bytes({"a": np.ones(2), "b": np.zeros(2)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    assert infos[0].filename == MANIFEST + ".npy"  # the manifest is written first
    # Rebuild the archive without the manifest's directory entry (its bytes stay in place).
    d = bytearray(data)
    start_dir = data.index(b"PK\x01\x02")
    first_entry = 46 + len(MANIFEST + ".npy")
    eocd = data.rindex(b"PK\x05\x06")
    new = d[:start_dir] + d[start_dir + first_entry:eocd]
    tail = bytearray(d[eocd:])
    tail[8:12] = (2).to_bytes(2, "little") * 2
    tail[12:16] = (eocd - start_dir - first_entry).to_bytes(4, "little")
    path = tmp_path / "c.npz"
    path.write_bytes(bytes(new + tail))
    with pytest.raises(CorruptCheckpointError, match="member|directory"):
        tg.load(path)


# ---- the manifest's content -----------------------------------------------------------------
W = bombs.npy_bytes(np.arange(4.0))


def _manifest(root, members=None, fmt="tinygrad_np.save/2"):
    members = {"w": bombs.member_entry(W)} if members is None else members
    return json.dumps({"format": fmt, "members": members, "root": root})


@pytest.mark.parametrize("manifest, message", [
    ('{"format":"tinygrad_np.save/2","format":"x","members":{},"root":null}',
     "the key 'format' appears twice"),
    (_manifest({"$": "list", "items": [{"$": "array", "key": "w"}, {"$": "array", "key": "w"}]}),
     "refers to member 'w' twice"),
    (_manifest({"$": "tensor", "key": "w", "requires_grad": "no"}),
     "requires_grad of 'w' is 'no', not true or false"),
    (_manifest({"$": "dict", "items": {"a": 1}}), "items is a dict"),
    (_manifest({"$": "dict", "items": [["a"]]}), r"not a \[key, value\] pair"),
    (_manifest({"$": "dict", "items": [["a", 1], ["a", 2]]}), "dict key 'a' twice"),
    (_manifest({"$": "array", "key": "w", "extra": 1}), "malformed 'array' entry"),
    (_manifest({"$": "list", "items": [1, 2 ** 70, int("9" * 50)]}), "does not refer"),
    ('{"format":"tinygrad_np.save/2","members":{},"root":' + "9" * 5000 + "}",
     "not valid JSON"),
    ('{"format":"tinygrad_np.save/2","members":{},"root":NaN}', "not valid JSON"),
    (_manifest({"$": "array", "key": "w"}, members={}), r"archive has members \['w'\]"),
    (_manifest({"$": "array", "key": "w"}, members={"w": {"size": len(W), "sha256": "0" * 64}}),
     "does not match the SHA-256"),
    (_manifest({"$": "array", "key": "w"},
               members={"w": {"size": len(W) + 1, "sha256": "0" * 64}}),
     "the manifest says"),
    (_manifest({"$": "array", "key": "w"}, members={"w": bombs.member_entry(W), "v": {
        "size": 1, "sha256": "0" * 64}}), r"lists members \['v'\] that the archive does not"),
])
def test_manifest_problems_are_named(manifest, message, tmp_path):
    path = tmp_path / "c.npz"
    bombs.manifest_with(path, manifest, {"w": W})
    with pytest.raises(CorruptCheckpointError, match=message):
        tg.load(path)


def test_duplicate_zip_members_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.warns(UserWarning, match="Duplicate name"):
        bombs.manifest_with(path, _manifest({"$": "array", "key": "w"}), {"w": W})
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("w.npy", bombs.npy_bytes(np.zeros(4)))
    with pytest.raises(CorruptCheckpointError, match="two members named 'w.npy'"):
        tg.load(path)


def test_first_format_checkpoints_still_load(tmp_path):
    """Format 1 (no member table, manifest last, written until this change) stays readable."""
    path = tmp_path / "old.npz"
    root = {"$": "dict", "items": [["w", {"$": "tensor", "key": "w", "requires_grad": True}],
                                   ["step", 3]]}
    manifest = json.dumps({"format": "tinygrad_np.save/1", "root": root}).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", W)
        zf.writestr(MANIFEST + ".npy", bombs.npy_bytes(np.frombuffer(manifest, np.uint8)))
    out = tg.load(path)
    assert list(out) == ["w", "step"] and out["step"] == 3 and out["w"].requires_grad
    np.testing.assert_array_equal(np.asarray(out["w"]), np.arange(4.0))


def test_save_and_load_refuse_deep_nesting_clearly(tmp_path):
    deep: list = []
    node = deep
    for _ in range(500):  # save used to die with RecursionError here
        node.append([])
        node = node[0]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        tg.save(deep, tmp_path / "d.npz")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="does a container contain itself"):
        tg.save(loop, tmp_path / "d.npz")
    assert not list(tmp_path.iterdir())
    nested = [[[[1]]]]
    tg.save(nested, tmp_path / "d.npz")
    assert tg.load(tmp_path / "d.npz") == nested
    assert tg.load(tmp_path / "d.npz", max_depth=3) == nested
    with pytest.raises(CheckpointLimitError, match="deeper than max_depth=2"):
        tg.load(tmp_path / "d.npz", max_depth=2)


def test_limits_are_keywords_checked_before_reading(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"w": np.zeros(1000), "b": np.zeros(10)}, path)
    with pytest.raises(CheckpointLimitError, match="over max_array_bytes=4,000"):
        tg.load(path, max_array_bytes=4000)
    with pytest.raises(CheckpointLimitError, match="over max_bytes=5,000"):
        tg.load(path, max_bytes=5000)
    with pytest.raises(CheckpointLimitError, match="over max_manifest_bytes=10"):
        tg.load(path, max_manifest_bytes=10)
    assert tg.load(path, max_array_bytes=8000, max_bytes=10000)["w"].shape == (1000,)
    with pytest.raises(ValueError, match="max_bytes must be a non-negative int"):
        tg.load(path, max_bytes=-1)


# ---- bombs ----------------------------------------------------------------------------------
def peak_mib(fn) -> float:
    """Peak memory allocated (Python objects and NumPy arrays) while `fn` runs."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


def refused(error, match, fn):
    def run():
        with pytest.raises(error, match=match):
            fn()
    return run


def test_npz_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    assert bombs.npz_zip_bomb(path, gib=4) < 5 << 20  # 4 MiB on disk, 4 GiB declared
    peak = peak_mib(refused(CheckpointLimitError, r"expand by 4,29.* bytes .*zip bomb",
                            lambda: tg.load(path)))
    assert peak < 1


def test_npz_member_inflating_past_its_declared_size_reads_only_that(tmp_path):
    path = tmp_path / "lying.npz"
    bombs.npz_lying_bomb(path)  # declares 1 MiB, inflates to 4 GiB
    peak = peak_mib(refused(CorruptCheckpointError, "CRC", lambda: tg.load(path)))
    assert peak < 8


def with_shape(npy: bytes, shape: str) -> bytes:
    """An .npy of shape (3,) whose header declares `shape` instead, same length (the header is
    padded with spaces)."""
    old, new = b"'shape': (3,), }", f"'shape': {shape}, }}".encode()
    i, end = npy.index(old), npy.index(b"\n")
    return npy[:i] + new + b" " * (end - i - len(new)) + npy[end:]


@pytest.mark.parametrize("shape, error, message", [
    ("(9,)", CorruptCheckpointError, r"declares shape \(9,\) of uint8 \(9 bytes of data\), but "
                                     "holds 3"),
    ("(1099511627776,)", CheckpointLimitError, r"\(1,099,511,627,776 bytes\), over max_array"),
    ("(-1,)", CorruptCheckpointError, "not a valid .npy"),
])
def test_npy_header_declaring_another_size_allocates_nothing(shape, error, message, tmp_path):
    path = tmp_path / "c.npz"
    member = with_shape(bombs.npy_bytes(np.zeros(3, np.uint8)), shape)
    bombs.manifest_with(path, _manifest({"$": "array", "key": "w"},
                                        members={"w": bombs.member_entry(member)}),
                        {"w": member})
    assert peak_mib(refused(error, message, lambda: tg.load(path))) < 1


def test_manifest_bombs_are_refused_in_bounded_memory(tmp_path):
    refs, deep = tmp_path / "refs.npz", tmp_path / "deep.npz"
    bombs.manifest_references_bomb(refs)  # 0.3 MiB manifest, 100,000 references to one member
    bombs.manifest_deep_bomb(deep)  # 100,000 nested lists
    assert peak_mib(refused(CorruptCheckpointError, "refers to member 'w' twice",
                            lambda: tg.load(refs))) < 40
    assert peak_mib(refused(CorruptCheckpointError, "nested too deeply",
                            lambda: tg.load(deep))) < 20


def test_mnist_gz_bomb_stops_at_the_known_size(tmp_path):
    assert bombs.gzip_bomb(tmp_path / "train-images.idx3-ubyte.gz", gib=3) < 4 << 20
    peak = peak_mib(refused(CorruptedFileError, "holds more than the expected 47,040,016 bytes",
                            lambda: load_mnist(tmp_path, download=False)))
    assert peak < 50  # the 47,040,016 bytes it expects, and 1 MiB chunks


def test_huge_raw_mnist_file_is_refused_by_its_size(tmp_path):
    bombs.sparse_file(tmp_path / "train-images.idx3-ubyte", 6 << 30)
    peak = peak_mib(refused(CorruptedFileError, "is 6,442,450,944 bytes, but 47,040,016",
                            lambda: load_mnist(tmp_path, download=False)))
    assert peak < 1


def test_read_idx_reads_user_files_with_a_cap(tmp_path):
    path = tmp_path / "x.idx"
    header = bytes([0, 0, 0x0D, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    path.write_bytes(header + np.arange(6, dtype=">f4").tobytes())
    np.testing.assert_array_equal(read_idx(path), np.arange(6.0).reshape(2, 3))
    with pytest.raises(CorruptedFileError, match="over max_bytes=20"):
        read_idx(path, max_bytes=20)
    path.write_bytes(header + np.arange(7, dtype=">f4").tobytes())
    with pytest.raises(CorruptedFileError, match=r"declares shape \(2, 3\) .* holds more"):
        read_idx(path)
    bomb = tmp_path / "bomb.idx.gz"
    bombs.idx_gz_bomb(bomb)
    peak = peak_mib(refused(CorruptedFileError, r"declares shape \(65536, 65536\).*over "
                            "max_bytes", lambda: read_idx(bomb)))
    assert peak < 1


# ---- writing: concurrency, crashes, links ---------------------------------------------------
def payload(i: int) -> dict:
    return {"who": i, "w": np.full(20000, i, np.float64)}


def check_payload(obj) -> int:
    i = obj["who"]
    np.testing.assert_array_equal(obj["w"], np.full(20000, i, np.float64))
    return i


def temps(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_concurrent_threads_saving_to_one_path(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save(payload(0), path)
    errors, loads = [], []
    stop = threading.Event()

    def saver(i):
        try:
            for _ in range(50):  # as in the probe: 4 threads, 50 rounds
                tg.save(payload(i), path)
        except Exception as err:  # noqa: BLE001 - collected and asserted empty
            errors.append(err)

    def reader():
        while True:  # at least one load, however the threads are scheduled
            try:
                loads.append(check_payload(tg.load(path)))
            except Exception as err:  # noqa: BLE001
                errors.append(err)
            if stop.is_set():
                break

    threads = [threading.Thread(target=saver, args=(i,)) for i in range(1, 5)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert errors == []
    assert check_payload(tg.load(path)) in {1, 2, 3, 4} and loads
    assert temps(tmp_path) == []


SAVER = """
import sys, numpy as np, tinygrad_np as tg
i, path, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for _ in range(rounds):
    tg.save({"who": i, "w": np.full(int(sys.argv[4]), i, np.float64)}, path)
print("ok")
"""


def _python(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", SAVER, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_concurrent_processes_saving_to_one_path(tmp_path):
    path = tmp_path / "ckpt.npz"
    procs = [_python(str(i), str(path), "15", "20000") for i in range(1, 4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "ok", err
    assert check_payload(tg.load(path)) in {1, 2, 3}
    assert temps(tmp_path) == []


def test_kill_9_during_save_keeps_the_old_file_and_the_next_save_sweeps(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save(payload(7), path)
    orphans = 0
    for _ in range(3):
        proc = _python("1", str(path), "1000", "4000000")  # 32 MB per save
        mine = f"-{proc.pid}.tmp"
        deadline = time.monotonic() + 60
        while (not any(n.endswith(mine) for n in temps(tmp_path))
               and time.monotonic() < deadline and proc.poll() is None):
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)  # while its temporary file is being written
        proc.communicate(timeout=60)
        orphans += any(n.endswith(mine) for n in temps(tmp_path))
        obj = tg.load(path)  # the old file, or a complete new one: never a torn one
        assert obj["who"] in (1, 7)
        np.testing.assert_array_equal(obj["w"][:5], float(obj["who"]))
    assert orphans >= 1  # a kill did land mid-write
    tg.save(payload(8), path)  # sweeps the temporaries of the killed processes
    assert temps(tmp_path) == [] and check_payload(tg.load(path)) == 8


def test_save_never_follows_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "ckpt.npz"
    # The old predictable temporary name, and a name in the new pattern with a dead pid.
    os.symlink(victim, f"{path}.{os.getpid()}.tmp")
    from tinygrad_np.serialization import _HOST
    planted = tmp_path / f".ckpt.npz.abcdefgh.{_HOST}-999999999.tmp"
    os.symlink(victim, planted)
    tg.save(payload(1), path)
    assert victim.read_text() == "precious" and check_payload(tg.load(path)) == 1
    assert os.path.islink(planted)  # not a file save wrote: kept
    elsewhere = tmp_path / ".ckpt.npz.abcdefgh.0badc0de-999999999.tmp"
    dead_here = planted  # now a regular file, as a killed save leaves it
    os.unlink(planted)
    elsewhere.write_bytes(b"another host's writer")
    dead_here.write_bytes(b"a killed writer's leftover")
    tg.save(payload(2), path)
    assert elsewhere.exists() and not dead_here.exists()


def test_failed_saves_leave_no_temporary_and_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save(payload(1), path)
    mode = os.stat(path).st_mode
    from tinygrad_np import serialization

    def disk_full(fh, members):
        fh.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization, "_write_npz", disk_full)
    with pytest.raises(OSError, match="No space left"):
        tg.save(payload(2), path)
    monkeypatch.undo()

    def refuse(src, dst):
        raise PermissionError("replace refused (test)")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        tg.save(payload(3), path)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
    assert check_payload(tg.load(path)) == 1 and os.stat(path).st_mode == mode


# ---- load_state_dict ------------------------------------------------------------------------
def test_load_state_dict_writes_nothing_when_a_later_target_is_read_only():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    before = {k: np.asarray(v).copy() for k, v in model.state_dict().items()}
    np.asarray(model[1].running_var).flags.writeable = False  # a target that cannot take a value
    state = {k: np.full(v.shape, 5, v.dtype) for k, v in before.items()}
    with pytest.raises(RuntimeError, match="1.running_var is read-only"):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])
    with pytest.raises(RuntimeError, match="0.bias cannot be read as an array"):
        model.load_state_dict({**state, "0.bias": [[1.0], [2.0, 3.0]]})
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])


def test_module_save_and_load_state_dict_of_files(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    model.train()
    model(tg.Tensor(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)))
    formats = ["c.npz"]
    try:
        import safetensors  # noqa: F401
        formats.append("c.safetensors")
    except ImportError:
        pass
    for name in formats:
        model.save(tmp_path / name)
        tg.manual_seed(1)
        other = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
        other.load_state_dict(str(tmp_path / name))
        for (k, a), (k2, b) in zip(model.state_dict().items(), other.state_dict().items()):
            assert k == k2 and a.dtype == b.dtype
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert int(other[1].num_batches_tracked.item()) == 1


# ---- safetensors ----------------------------------------------------------------------------
def test_safetensors_round_trip_and_refusals(tmp_path, monkeypatch):
    pytest.importorskip("safetensors")
    rng = np.random.default_rng(0)
    obj = OrderedDict([
        ("z.weight", tg.Tensor(rng.standard_normal((3, 2)).astype(np.float32))),
        ("a.bias", np.arange(4, dtype=np.int64)),
        ("m.mask", np.array([True, False])),
        ("h", np.array([1.5, -2.0], np.float16)),
        ("big_endian", np.arange(3, dtype=">f8")),
        ("fortran", np.asfortranarray(rng.standard_normal((2, 3)))),
        ("scalar", np.float64(2.5)),
    ])
    path = tmp_path / "w.safetensors"
    tg.save(obj, path)
    out = tg.load(path)
    assert list(out) == list(obj)  # the saved order, not safetensors' sorted one
    for k, v in obj.items():
        a = np.asarray(v) if isinstance(v, tg.Tensor) else np.asarray(v)
        assert out[k].dtype == a.dtype.newbyteorder("<") and np.asarray(out[k]).flags.writeable
        np.testing.assert_array_equal(np.asarray(out[k]), a)
    import safetensors.numpy as stnp
    np.testing.assert_array_equal(stnp.load_file(path)["z.weight"], np.asarray(obj["z.weight"]))

    with pytest.raises(TypeError, match="flat dict of names to tensors"):
        tg.save([1], path)
    with pytest.raises(TypeError, match="only tensors .*save nested state.*as .npz"):
        tg.save({"opt": {"lr": 0.1}}, path)
    with pytest.raises(TypeError, match="dtype <U1, which .safetensors cannot hold"):
        tg.save({"s": np.array(["a"])}, path)
    assert tg.load(path)["a.bias"].shape == (4,)  # refused saves left the file alone

    header = json.dumps({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "bf16.safetensors").write_bytes(len(header).to_bytes(8, "little") + header
                                                + bytes(4))
    with pytest.raises(NotACheckpointError, match="'BF16', which NumPy cannot hold.*float"):
        tg.load(tmp_path / "bf16.safetensors")
    header = json.dumps({"x": {"dtype": "F32", "shape": [2**20, 2**20],
                               "data_offsets": [0, 2**42]}}).encode()
    (tmp_path / "huge.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(CheckpointLimitError, match="over max_array_bytes"):
        tg.load(tmp_path / "huge.safetensors")
    (tmp_path / "hdr.safetensors").write_bytes((2**60).to_bytes(8, "little") + b'{"')
    with pytest.raises(CheckpointLimitError, match="header is 1,152,921,504,606,846,976 bytes"):
        tg.load(tmp_path / "hdr.safetensors")

    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)  # as if not installed
    with pytest.raises(ImportError, match=r"tinygrad-np\[interop\]"):
        tg.save({"w": np.ones(2)}, tmp_path / "x.safetensors")


def test_state_dicts_move_to_and_from_pytorch_through_safetensors(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    ours.train()
    x = np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32)
    ours(tg.Tensor(x))  # BatchNorm's running statistics move away from their defaults
    ours.eval()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # names equal PyTorch's

    ours.save(tmp_path / "ours.safetensors")
    theirs.load_state_dict(st_torch.load_file(tmp_path / "ours.safetensors"), strict=True)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(ours(tg.Tensor(x))), expected, rtol=1e-5, atol=1e-6)

    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(-0.5)
    st_torch.save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours.load_state_dict(tmp_path / "theirs.safetensors")
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(ours(tg.Tensor(x))), expected, rtol=1e-5, atol=1e-6)


# ---- DataLoader -----------------------------------------------------------------------------
@pytest.mark.parametrize("x, what", [
    (np.array(["a", "b"]), "strings"),
    (np.array([{}, 1], dtype=object), "Python objects"),
    (np.array([b"a", b"b"]), "bytes"),
])
def test_dataloader_refuses_non_numeric_arrays(x, what):
    with pytest.raises(TypeError, match=f"DataLoader: array 1 has dtype .*{what}.*convert it"):
        tg.data.DataLoader(np.zeros(2), x)
    with pytest.raises(ValueError, match="DataLoader: cannot read list as an array"):
        tg.data.DataLoader([[1, 2], [3]])


class _Stream(io.RawIOBase):
    """A write-only, unseekable file (a pipe, a socket): zip members get data descriptors."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


@pytest.mark.parametrize("writer", [np.savez, np.savez_compressed])
def test_plain_npz_variants_still_load(writer, tmp_path):
    arrays = {"fc.weight": np.arange(6.0).reshape(2, 3), "fc.bias": np.zeros(2, np.float32)}
    writer(tmp_path / "w.npz", **arrays)
    stream = _Stream()
    writer(stream, **arrays)
    for source in (tmp_path / "w.npz", io.BytesIO(bytes(stream.data))):
        out = tg.load(source)
        assert list(out) == list(arrays)
        for k, v in arrays.items():
            assert out[k].dtype == v.dtype
            np.testing.assert_array_equal(np.asarray(out[k]), v)
    stream = _Stream()
    tg.save(small_checkpoint(), stream)  # save into a stream, too
    assert is_small_checkpoint(tg.load(io.BytesIO(bytes(stream.data))))


class _FakeResponse:
    """What urlopen returns, serving `chunks` lazily."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)

    def read(self, n=-1):
        return next(self.chunks, b"")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_downloads_are_bounded_and_checked_like_local_files(tmp_path, monkeypatch):
    import urllib.request
    bomb = tmp_path / "bomb.gz"
    bombs.gzip_bomb(bomb, gib=1)
    served = {"n": 0}

    def urlopen(url, *args, **kwargs):
        served["n"] += 1
        if served["n"] == 1:  # a gzip bomb from the first mirror
            return _FakeResponse([bomb.read_bytes()])
        return _FakeResponse(bytes(1 << 20) for _ in range(10**6))  # an endless response

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    target, messages = tmp_path / "mnist", []

    def run():
        with pytest.raises(FileNotFoundError) as info:
            load_mnist(target, download=True)
        messages.append(str(info.value))

    assert peak_mib(run) < 100  # the expected 47 MB, and 1 MiB chunks
    assert "holds more than the expected 47,040,016 bytes" in messages[0]
    assert "the response exceeds 48,088,592 bytes" in messages[0]
    assert served["n"] == 2 and list(target.iterdir()) == []  # no partial file left


def test_loads_from_unseekable_streams_are_bounded():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self.src.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    data = saved_bytes(small_checkpoint())
    assert is_small_checkpoint(tg.load(Pipe(data)))
    big = saved_bytes({"w": np.zeros(300_000)})  # 2.4 MB, over 0 + 0 + 1 MiB of slack
    with pytest.raises(CheckpointLimitError, match="the stream holds more than 1,048,576"):
        tg.load(Pipe(big), max_bytes=0, max_manifest_bytes=0)


def test_a_safetensors_file_replaced_while_loading_is_refused(tmp_path, monkeypatch):
    safetensors = pytest.importorskip("safetensors")
    path, other = tmp_path / "w.safetensors", tmp_path / "other.safetensors"
    tg.save({"w": np.ones(3)}, path)
    tg.save({"w": np.zeros(3)}, other)
    real = safetensors.safe_open

    def swapping_open(name, **kwargs):  # another process replaces the file after the check
        os.replace(other, path)
        return real(name, **kwargs)

    monkeypatch.setattr(safetensors, "safe_open", swapping_open)
    with pytest.raises(CorruptCheckpointError, match="replaced or changed while it was read"):
        tg.load(path)
