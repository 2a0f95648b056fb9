"""save / load: bit-exact round trips of nested state dicts, .npz keys that are dotted names, and
refusal (with a clear error each) of pickles, truncated files, other formats and wrong keys."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.optim import Adam
from tinygrad_np.serialization import (
    MANIFEST,
    CheckpointError,
    CorruptCheckpointError,
    NotACheckpointError,
    PickleRefusedError,
)


def assert_same(a, b, path="obj"):
    """Equal in type, structure and bits (NaN payloads, -0.0, dtype, byte order, layout)."""
    assert type(a) is type(b), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, tg.Tensor):
        assert a.requires_grad == b.requires_grad, path
        a, b = np.asarray(a), np.asarray(b)
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == np.shape(b), path
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert type(k) is type([k2 for k2 in b if k2 == k][0]), f"{path} key {k!r}"
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, (float, complex)):
        assert np.complex128(a).tobytes() == np.complex128(b).tobytes(), path
    else:
        assert a == b, path


def roundtrip(obj, tmp_path):
    path = tmp_path / "obj.npz"
    tg.save(obj, path)
    out = tg.load(path)
    assert_same(obj, out)
    return out


def test_bit_exact_arrays_and_tensors(tmp_path):
    rng = np.random.default_rng(0)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 5e-324, 1e308])
    obj = {
        "f32": tg.Tensor(rng.standard_normal((3, 4)).astype(np.float32)),
        "f64": tg.Tensor(np.concatenate([rng.standard_normal(5), special])),
        "grad": tg.Tensor(np.ones(2), requires_grad=True),
        "i64": tg.Tensor(np.arange(-3, 3, dtype=np.int64)),
        "bool": tg.Tensor(np.array([True, False])),
        "zero_d": tg.Tensor(np.float64(np.pi)),
        "empty": np.zeros((0, 3), np.float32),
        "f16": np.array([1.5, -2.25], np.float16),
        "u8": np.arange(256, dtype=np.uint8),
        "big_endian": np.arange(4, dtype=">f8"),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2))),
        "strided": rng.standard_normal((4, 6))[::2, ::3],
        "complex": np.array([1 + 2j, -0.5j]),
        "text": np.array(["a", "héllo"]),
        "np_scalar": np.float32(0.1),
        "np_int": np.int16(-7),
    }
    out = roundtrip(obj, tmp_path)
    assert out["fortran"].flags.f_contiguous
    assert np.asarray(out["f32"]).flags.writeable


def test_nested_structures_and_python_values(tmp_path):
    obj = OrderedDict([
        ("fc1.weight", tg.Tensor(np.ones((2, 3), np.float32))),
        ("opt", {
            "state": {0: {"step": 12, "exp_avg": tg.Tensor(np.zeros(3))}, 1: {}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                              "nesterov": None, "name": "héad ✓", "params": [0, 1]}],
        }),
        ("numbers", [0, -1, 2**80, 0.1, -0.0, float("inf"), -float("inf"), float("nan"),
                     np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\xff").item(),  # NaN payload
                     1e-320, True, complex(float("nan"), -0.0)]),
        ("keys", {1: "int", 2.5: "float", None: "none", False: "bool", (1, "a"): "tuple",
                  "": "empty"}),
        ("empty", [(), [], {}, OrderedDict()]),
    ])
    out = roundtrip(obj, tmp_path)
    assert type(out) is OrderedDict


def test_npz_keys_are_the_dotted_names(tmp_path):
    w = Adam([tg.Tensor(np.ones(2), requires_grad=True)])
    w.param_groups[0]["params"][0].grad = tg.Tensor(np.ones(2))
    w.step()
    tg.save({"model": {"fc1.weight": np.ones(2)}, "optim": w.state_dict()}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        assert set(npz.files) == {"model.fc1.weight", "optim.state.0.exp_avg",
                                  "optim.state.0.exp_avg_sq", MANIFEST}
        np.testing.assert_array_equal(npz["model.fc1.weight"], np.ones(2))


def test_colliding_dotted_names_stay_apart(tmp_path):
    obj = {"a.b": np.zeros(1), "a": {"b": np.ones(1)}}
    roundtrip(obj, tmp_path)


def test_optimizer_state_dict_round_trip(tmp_path):
    p = tg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = Adam([p], amsgrad=True)
    p.grad = tg.Tensor(np.full(3, 0.5, np.float32))
    opt.step()
    roundtrip(opt.state_dict(), tmp_path)


def test_file_objects_and_plain_npz(tmp_path):
    buf = io.BytesIO()
    tg.save({"w": np.arange(3.0)}, buf)
    buf.seek(0)
    assert_same(tg.load(buf), {"w": np.arange(3.0)})

    np.savez(tmp_path / "plain.npz", **{"fc.weight": np.eye(2), "fc.bias": np.zeros(2)})
    out = tg.load(tmp_path / "plain.npz")
    assert list(out) == ["fc.weight", "fc.bias"] and isinstance(out["fc.weight"], tg.Tensor)


def test_save_writes_atomically_and_checks_its_directory(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"a": np.ones(2)}, path)
    tg.save({"a": np.zeros(2)}, str(path))  # overwrite
    assert os.listdir(tmp_path) == ["model.npz"]
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        tg.save({}, tmp_path / "missing" / "model.npz")


@pytest.mark.parametrize("obj, message", [
    ({"f": print}, r"cannot store a builtin_function_or_method at 'f'"),
    ({"s": {1, 2}}, r"cannot store a set at 's'"),
    ({"o": np.array([{}], dtype=object)}, r"'o' has dtype object.*would need pickle"),
    ({"d": {object(): 1}}, r"the dict at 'd' has a key of type object"),
    ({"d": {tg.Tensor(1.0): 1}}, r"has a key of type Tensor"),
])
def test_save_refuses_what_needs_pickle(obj, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        tg.save(obj, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


# ---- refusals -------------------------------------------------------------------------------
class _Evil:
    """Unpickling this would create a file: proof that load never unpickles."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_refuses_npz_carrying_a_pickle(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.ones(2), payload=np.array([_Evil(str(marker))], dtype=object))
    with pytest.raises(PickleRefusedError, match="'payload' holds Python objects.*refusing"):
        tg.load(path)
    assert not marker.exists()


def test_refuses_a_pickle_file(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": _Evil(str(marker))}))
    with pytest.raises(PickleRefusedError, match="the file is a pickle"):
        tg.load(path)
    assert not marker.exists()


def test_refuses_a_torch_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(PickleRefusedError, match="pickle .*data.pkl.*torch.save"):
        tg.load(tmp_path / "model.pt")


def test_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"w": np.ones(1000)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 40):
        path.write_bytes(data[:cut])
        with pytest.raises(CorruptCheckpointError, match="truncated or damaged"):
            tg.load(path)


def test_refuses_a_damaged_member(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"w": np.ones(1000)}, path)
    data = bytearray(path.read_bytes())
    data[-400] ^= 0xFF  # inside w's data (the last member): the SHA-256 and CRC checks fail
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptCheckpointError, match="truncated or damaged"):
        tg.load(path)


@pytest.mark.parametrize("content, message", [
    (b"fc1.weight,1.0,2.0\n", r"not an .npz archive \(it starts with b'fc1.weig'\)"),
    (b"", r"the file is empty"),
    (None, r"a single .npy array, not an .npz archive"),
])
def test_refuses_files_that_are_not_npz(content, message, tmp_path):
    path = tmp_path / "weights"
    if content is None:
        np.save(tmp_path / "weights.npy", np.ones(2))
        path = tmp_path / "weights.npy"
    else:
        path.write_bytes(content)
    with pytest.raises(NotACheckpointError, match=message):
        tg.load(path)


def test_refuses_a_zip_with_other_members(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.npz", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(CorruptCheckpointError, match="'readme.txt', which is not a .npy"):
        tg.load(tmp_path / "a.npz")


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="there is no file at .*nope.npz"):
        tg.load(tmp_path / "nope.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        tg.load(tmp_path)


def _rewrite(path, drop=(), add=None, manifest=None):
    """Copy an archive member by member, dropping, adding or replacing some."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n not in drop}
        comment = zf.comment
    if manifest is not None:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(manifest.encode(), dtype=np.uint8))
        members[MANIFEST + ".npy"] = buf.getvalue()
    members.update(add or {})
    with zipfile.ZipFile(path, "w") as zf:
        zf.comment = comment
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr, info.create_system = 0o644 << 16, 3  # as save writes them
            zf.writestr(info, data)


def test_refuses_wrong_keys(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"fc1.weight": np.ones(2), "fc1.bias": np.zeros(2)}, path)
    _rewrite(path, drop=["fc1.bias.npy"])
    with pytest.raises(CorruptCheckpointError, match=r"the manifest lists members \['fc1.bias'\] "
                                                     "that the archive does not have"):
        tg.load(path)

    tg.save({"fc1.weight": np.ones(2)}, path)
    buf = io.BytesIO()
    np.save(buf, np.ones(3))
    _rewrite(path, add={"fc2.weight.npy": buf.getvalue()})
    with pytest.raises(CorruptCheckpointError, match=r"members \['fc2.weight'\] that its "
                                                     "manifest does not mention"):
        tg.load(path)


@pytest.mark.parametrize("manifest, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"format": "other/9", "root": None}), "unknown manifest format 'other/9'"),
    (json.dumps({"format": "tinygrad_np.save/1", "root": {"$": "weird"}}),
     "unknown entry type 'weird'"),
    (json.dumps({"format": "tinygrad_np.save/1", "root": {"$": "dict", "items": 3}}),
     "malformed 'dict' entry"),
])
def test_refuses_a_bad_manifest(manifest, message, tmp_path):
    path = tmp_path / "model.npz"
    tg.save({}, path)
    _rewrite(path, manifest=manifest)
    with pytest.raises(CorruptCheckpointError, match=message):
        tg.load(path)


def test_error_hierarchy():
    for cls in (NotACheckpointError, CorruptCheckpointError, PickleRefusedError):
        assert issubclass(cls, CheckpointError) and issubclass(cls, ValueError)
