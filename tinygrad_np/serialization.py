"""`save` / `load`: state dicts as `.npz` archives, without pickle.

A saved file is an ordinary `.npz` (a zip of `.npy` members). Every array or Tensor in the
object becomes one member named by its dotted path in the state dict ("fc1.weight",
"state.0.exp_avg"), so `np.load(path)` can read it too. The structure around the arrays (dicts,
lists, tuples, numbers, strings, bools, None, int keys) is kept in a small JSON manifest, stored
as a uint8 array member. Loading parses JSON and reads arrays with `allow_pickle=False`, so it
never runs code; round trips are bit-exact (dtype, shape, byte order, NaN payloads).

`load` also reads a plain `.npz` without a manifest (e.g. `np.savez(path, **weights)`), as a flat
dict of member name -> Tensor.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from .creation import from_numpy
from .autograd.tensor_core import Tensor

__all__ = [
    "CheckpointError", "CorruptCheckpointError", "NotACheckpointError",
    "PickleRefusedError", "load", "save",
]

MANIFEST = "__tinygrad_np_manifest__"
FORMAT = "tinygrad_np.save/1"

PathOrFile = str | os.PathLike[str] | IO[bytes]


class CheckpointError(ValueError):
    """`load` refuses a file: not an .npz archive, damaged, or unsafe."""


class NotACheckpointError(CheckpointError):
    """The file is not an .npz archive (a .npy array, a pickle, text, ...)."""


class CorruptCheckpointError(CheckpointError):
    """The archive is truncated or damaged, or its members do not match its manifest."""


class PickleRefusedError(CheckpointError):
    """The file holds pickled Python objects; loading them could run arbitrary code."""


# ---- save -----------------------------------------------------------------------------------
def save(obj: Any, f: PathOrFile) -> None:
    """Store `obj` (a state dict: nested dicts/lists/tuples of Tensors, arrays, numbers,
    strings, bools and None) as an .npz archive at path `f` (written as given, no suffix
    added) or into a binary file object. A path is written atomically: a temporary file
    in the same directory, renamed into place."""
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, (), arrays, set())
    manifest = json.dumps({"format": FORMAT, "root": root}, separators=(",", ":"),
                          allow_nan=False)
    arrays[MANIFEST] = np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        _write_npz(f, arrays)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"save: the directory {directory!r} does not exist; create it first "
            "(os.makedirs(..., exist_ok=True))."
        )
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            _write_npz(fh, arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_npz(fh: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(k) for k in path) or "_"


def _array_key(path: tuple[Any, ...], arrays: Mapping[str, Any], taken: set[str]) -> str:
    """The member name for the array at `path`: its dotted path, made unique if two paths
    spell the same name (e.g. {"a.b": x, "a": {"b": y}})."""
    key, n = _dotted(path), 1
    while key in taken or key == MANIFEST:
        key, n = f"{_dotted(path)}~{n}", n + 1
    taken.add(key)
    return key


def _encode(obj: Any, path: tuple[Any, ...], arrays: dict[str, np.ndarray],
            taken: set[str]) -> Any:
    """`obj` as a JSON node; arrays go into `arrays`. JSON scalars stand for themselves;
    everything else is an object tagged by "$"."""
    if type(obj) is float and not math.isfinite(obj):
        return {"$": "float", "bits": struct.pack(">d", obj).hex()}  # inf, NaN (any payload)
    if obj is None or type(obj) in (bool, int, float, str):
        return obj  # exact: JSON keeps ints whole and writes finite floats with repr
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        arr = obj._data if isinstance(obj, Tensor) else np.asarray(obj)
        if arr.dtype.hasobject:
            raise TypeError(
                f"save: the array at {_dotted(path)!r} has dtype {arr.dtype}, which holds "
                "Python objects and would need pickle; store numeric, bool or string arrays."
            )
        key = _array_key(path, arrays, taken)
        arrays[key] = arr
        if isinstance(obj, Tensor):
            return {"$": "tensor", "key": key, "requires_grad": obj.requires_grad}
        return {"$": "scalar" if isinstance(obj, np.generic) else "array", "key": key}
    if isinstance(obj, complex):
        return {"$": "complex", "re": _encode(obj.real, path, arrays, taken),
                "im": _encode(obj.imag, path, arrays, taken)}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if isinstance(k, (Tensor, np.ndarray, np.generic)) or not _is_plain_key(k):
                raise TypeError(
                    f"save: the dict at {_dotted(path)!r} has a key of type "
                    f"{type(k).__name__}; keys must be str, int, float, bool, None or tuples "
                    "of those."
                )
            items.append([_encode(k, (), {}, set()), _encode(v, (*path, k), arrays, taken)])
        return {"$": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"$": kind, "items": [_encode(v, (*path, i), arrays, taken)
                                     for i, v in enumerate(obj)]}
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at {_dotted(path)!r} without pickle; "
        "save stores nested dicts, lists and tuples of Tensors, NumPy arrays, numbers, strings, "
        "bools and None (e.g. model.state_dict() or optimizer.state_dict())."
    )


def _is_plain_key(k: Any) -> bool:
    if k is None or type(k) in (bool, int, float, str):
        return True
    return type(k) is tuple and all(_is_plain_key(x) for x in k)


# ---- load -----------------------------------------------------------------------------------
def load(f: PathOrFile) -> Any:
    """Read what `save` wrote: a dict (an OrderedDict if one was saved) with Tensors, arrays and
    Python values as they were, bit for bit. Never unpickles: a file that carries a pickle
    raises PickleRefusedError; a truncated or damaged one CorruptCheckpointError; something that
    is not an .npz NotACheckpointError; a missing path FileNotFoundError."""
    if hasattr(f, "read"):
        return _load_from(f, getattr(f, "name", "<file object>"))
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: there is no file at {path!r}; check the path.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory; pass the .npz file inside it.")
    with open(path, "rb") as fh:
        return _load_from(fh, path)


def _load_from(fh: IO[bytes], name: str) -> Any:
    where = f"load({name!r})"
    start = fh.tell()
    head = fh.read(8)
    fh.seek(start)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _not_npz(where, head)
    try:
        with zipfile.ZipFile(fh) as zf:
            members = _read_members(zf, where)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise CorruptCheckpointError(
            f"{where}: the archive is truncated or damaged ({err}); save it again, or restore "
            "it from a good copy."
        ) from None
    if MANIFEST not in members:
        return {key: from_numpy(arr) for key, arr in members.items()}
    try:
        manifest = json.loads(members.pop(MANIFEST).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorruptCheckpointError(f"{where}: the manifest is not valid JSON ({err}).") from None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt != FORMAT or "root" not in manifest:
        raise CorruptCheckpointError(
            f"{where}: unknown manifest format {fmt!r}; this version of tinygrad_np reads "
            f"{FORMAT!r}."
        )
    used: set[str] = set()
    obj = _decode(manifest["root"], members, used, where)
    unused = sorted(set(members) - used)
    if unused:
        raise CorruptCheckpointError(
            f"{where}: the archive has members {unused} that its manifest does not mention; the "
            "file was edited or assembled from different saves."
        )
    return obj


def _not_npz(where: str, head: bytes) -> CheckpointError:
    if head.startswith(b"\x93NUMPY"):
        what = "a single .npy array, not an .npz archive; read it with np.load(path, " \
               "allow_pickle=False)"
    elif head[:1] == b"\x80":  # the PROTO opcode that starts every pickle since protocol 2
        return _pickle_refused(where, "the file is a pickle (e.g. from pickle.dump)")
    elif not head:
        what = "empty"
    else:
        what = f"not an .npz archive (it starts with {head!r})"
    return NotACheckpointError(f"{where}: the file is {what}; load reads files written by "
                               "tinygrad_np.save or np.savez.")


def _pickle_refused(where: str, what: str) -> PickleRefusedError:
    return PickleRefusedError(
        f"{where}: {what}; refusing to load it, since unpickling can run arbitrary code. "
        "Save state dicts of numeric arrays and Tensors with tinygrad_np.save."
    )


def _read_members(zf: zipfile.ZipFile, where: str) -> dict[str, np.ndarray]:
    members: dict[str, np.ndarray] = {}
    for info in zf.infolist():
        if info.filename.endswith(".pkl"):
            raise _pickle_refused(where, f"the archive holds the pickle {info.filename!r} "
                                  "(a torch.save checkpoint?)")
        if not info.filename.endswith(".npy"):
            raise CorruptCheckpointError(
                f"{where}: the archive holds {info.filename!r}, which is not a .npy array; "
                "this is not an archive written by tinygrad_np.save or np.savez."
            )
        key = info.filename[:-4]
        with zf.open(info) as fh:
            try:
                version = np.lib.format.read_magic(fh)
                header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                _, _, dtype = header(fh)
            except ValueError as err:
                raise CorruptCheckpointError(
                    f"{where}: member {key!r} is not a valid .npy array ({err})."
                ) from None
        if dtype.hasobject:
            raise _pickle_refused(
                where, f"member {key!r} holds Python objects (dtype {dtype}) as a pickle"
            )
        with zf.open(info) as fh:
            try:
                members[key] = np.lib.format.read_array(fh, allow_pickle=False)
            except ValueError as err:
                raise CorruptCheckpointError(
                    f"{where}: member {key!r} is truncated or damaged ({err})."
                ) from None
    return members


def _decode(node: Any, members: Mapping[str, np.ndarray], used: set[str], where: str) -> Any:
    if node is None or type(node) in (bool, int, float, str):
        return node
    if not isinstance(node, dict) or "$" not in node:
        raise CorruptCheckpointError(f"{where}: the manifest has a malformed entry {node!r}.")
    kind = node["$"]
    try:
        if kind in ("tensor", "array", "scalar"):
            key = node["key"]
            if key not in members:
                raise CorruptCheckpointError(
                    f"{where}: the manifest refers to the key {key!r}, but the archive has no "
                    f"such member (it has {sorted(members)}); the file was edited or is "
                    "incomplete."
                )
            used.add(key)
            arr = members[key]
            if kind == "array":
                return arr
            if kind == "scalar":
                return arr[()]
            return from_numpy(arr).requires_grad_(bool(node["requires_grad"]))
        if kind in ("dict", "odict"):
            pairs = ((_decode(k, members, used, where), _decode(v, members, used, where))
                     for k, v in node["items"])
            return OrderedDict(pairs) if kind == "odict" else dict(pairs)
        if kind in ("list", "tuple"):
            items = [_decode(v, members, used, where) for v in node["items"]]
            return tuple(items) if kind == "tuple" else items
        if kind == "complex":
            return complex(_decode(node["re"], members, used, where),
                           _decode(node["im"], members, used, where))
        if kind == "float":
            return struct.unpack(">d", bytes.fromhex(node["bits"]))[0]
    except (KeyError, TypeError, ValueError, struct.error) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CorruptCheckpointError(
            f"{where}: the manifest has a malformed {kind!r} entry ({err!r})."
        ) from None
    raise CorruptCheckpointError(f"{where}: the manifest has an unknown entry type {kind!r}.")
