"""`save` / `load`: state dicts as `.npz` archives, without pickle.

A saved file is an ordinary `.npz` (a zip of `.npy` members). Every array or Tensor in the
object becomes one member named by its dotted path in the state dict ("fc1.weight",
"state.0.exp_avg"), so `np.load(path)` can read it too. The structure around the arrays (dicts,
lists, tuples, numbers, strings, bools, None, int keys) is kept in a small JSON manifest, stored
as a uint8 array member. Loading parses JSON and reads arrays with `allow_pickle=False`, so it
never runs code; round trips are bit-exact (dtype, shape, byte order, NaN payloads).

The manifest is the archive's first member (a format marker: a file that starts with it is
one of ours) and lists every array member with its size in bytes and SHA-256; `load` checks
all of it before returning anything, and checks the sizes against limits before allocating,
so a damaged, edited or hostile file raises a CheckpointError naming the problem instead of
loading as something else or exhausting memory. `save` writes a fresh temporary file in the
target directory (exclusive, never through a link), fsyncs it and renames it into place, so
concurrent savers and a crash mid-save never leave a broken file at the path.

`load` also reads a plain `.npz` without a manifest (e.g. `np.savez(path, **weights)`), as a flat
dict of member name -> Tensor, and `.safetensors` files (with the optional `safetensors`
package), so weights move to and from PyTorch.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from .creation import from_numpy
from .autograd.tensor_core import Tensor

__all__ = [
    "CheckpointError", "CheckpointTooLargeError", "CorruptCheckpointError",
    "NotACheckpointError", "PickleRefusedError", "load", "save",
]

MANIFEST = "__tinygrad_np_manifest__"
FORMAT = "tinygrad_np.save/2"
OLD_FORMAT = "tinygrad_np.save/1"  # (no member list: still read, without the checksums)

# Limits `load` checks before allocating; generous for real models, overridable by keyword.
MAX_BYTES = 64 << 30  # all arrays together
MAX_ARRAY_BYTES = 32 << 30
MAX_MANIFEST_BYTES = 64 << 20
MAX_DEPTH = 100  # nesting of dicts, lists and tuples

PathOrFile = str | os.PathLike[str] | IO[bytes]


class CheckpointError(ValueError):
    """`load` refuses a file: not an .npz archive, damaged, or unsafe."""


class NotACheckpointError(CheckpointError):
    """The file is not an .npz archive (a .npy array, a pickle, text, ...)."""


class CorruptCheckpointError(CheckpointError):
    """The archive is truncated or damaged, or its members do not match its manifest."""


class PickleRefusedError(CheckpointError):
    """The file holds pickled Python objects; loading them could run arbitrary code."""


class CheckpointTooLargeError(CheckpointError):
    """The file asks for more memory (or nesting) than the limits allow."""


# ---- save -----------------------------------------------------------------------------------
def save(obj: Any, f: PathOrFile) -> None:
    """Store `obj` (a state dict: nested dicts/lists/tuples of Tensors, arrays, numbers,
    strings, bools and None) as an .npz archive at path `f` (written as given, no suffix
    added) or into a binary file object; a path ending in `.safetensors` is written in that
    format (a flat dict of arrays). A path is written atomically: a new temporary file in the
    same directory, flushed to disk, renamed into place."""
    if not hasattr(f, "write") and os.fspath(f).endswith(".safetensors"):
        _atomic_write(os.fspath(f), lambda fh: _write_safetensors(obj, fh, os.fspath(f)))
        return
    if _depth(obj) > MAX_DEPTH:
        raise ValueError(f"save: the object is nested more than {MAX_DEPTH} levels deep; "
                         "load would refuse it. Flatten it (a state dict is a few levels).")
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, (), arrays, set())
    if hasattr(f, "write"):
        _write_npz(f, root, arrays)
    else:
        _atomic_write(os.fspath(f), lambda fh: _write_npz(fh, root, arrays))


def _atomic_write(path: str, write: Any) -> None:
    """Write through `write(file)` into a new temporary file next to `path`, fsync it, rename
    it over `path`, fsync the directory. On Linux the file has no name until it is complete
    (O_TMPFILE), so even a kill -9 leaves nothing behind; elsewhere (or where the sandbox
    refuses to link such a file) it is a mkstemp file (O_EXCL: never a file or link already
    there), removed if anything fails."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"save: the directory {directory!r} does not exist; create it first "
            "(os.makedirs(..., exist_ok=True))."
        )
    base = os.path.basename(path)
    tmp = _write_unnamed(directory, base, write) if _UNNAMED["works"] else None
    if tmp is None:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_synced(fh, write)
        except BaseException:
            _remove(tmp)
            raise
    try:
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    try:  # the rename itself survives a crash once the directory is on disk
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


_UNNAMED = {"works": hasattr(os, "O_TMPFILE")}  # set False at the first refusal


def _write_unnamed(directory: str, base: str, write: Any) -> str | None:
    """The complete file's new temporary name, or None where O_TMPFILE cannot be used."""
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except OSError:
        _UNNAMED["works"] = False
        return None
    with os.fdopen(fd, "wb") as fh:
        _write_synced(fh, write)
        for _ in range(100):
            name = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
            try:
                os.link(f"/proc/self/fd/{fh.fileno()}", name, follow_symlinks=True)
                return name
            except FileExistsError:
                continue
            except OSError:  # (linking an unnamed file needs /proc and the same device)
                _UNNAMED["works"] = False
                return None
    raise FileExistsError(f"save: could not name a temporary file in {directory!r}.")


def _write_synced(fh: IO[bytes], write: Any) -> None:
    write(fh)
    fh.flush()
    os.fsync(fh.fileno())


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _write_npz(fh: IO[bytes], root: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """The manifest first (with every member's size and SHA-256), then the arrays."""
    blobs = {key: _npy_bytes(arr) for key, arr in arrays.items()}
    listing = {key: {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
               for key, b in blobs.items()}
    manifest = json.dumps({"format": FORMAT, "members": listing, "root": root},
                          separators=(",", ":"), allow_nan=False)
    blobs = {MANIFEST: _npy_bytes(np.frombuffer(manifest.encode("utf-8"), np.uint8)), **blobs}
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, blob in blobs.items():
            zf.writestr(zipfile.ZipInfo(key + ".npy", (1980, 1, 1, 0, 0, 0)), blob)


def _depth(obj: Any) -> int:
    """How deeply dicts, lists and tuples nest in `obj` (without recursion)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, Mapping):
            children = list(node.values())
        elif isinstance(node, (list, tuple)):
            children = list(node)
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((c, level + 1) for c in children)
    return deepest


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
def load(f: PathOrFile, *, max_bytes: int = MAX_BYTES, max_array_bytes: int = MAX_ARRAY_BYTES,
         max_manifest_bytes: int = MAX_MANIFEST_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Read what `save` wrote: a dict (an OrderedDict if one was saved) with Tensors, arrays and
    Python values as they were, bit for bit, after checking every member's size and SHA-256
    against the manifest. Never unpickles. Errors are CheckpointErrors: PickleRefusedError for
    a pickle, CorruptCheckpointError for anything damaged, edited, missing or duplicated,
    CheckpointTooLargeError past the limits (raise them by keyword for huge models),
    NotACheckpointError for other files; a missing path is FileNotFoundError."""
    limits = _Limits(max_bytes, max_array_bytes, max_manifest_bytes, max_depth)
    if hasattr(f, "read"):
        return _load_from(f, getattr(f, "name", "<file object>"), limits)
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: there is no file at {path!r}; check the path.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory; pass the .npz file inside it.")
    if path.endswith(".safetensors"):
        return _read_safetensors(path, limits)
    with open(path, "rb") as fh:
        return _load_from(fh, path, limits)


class _Limits:
    def __init__(self, total: int, array: int, manifest: int, depth: int) -> None:
        self.total, self.array, self.manifest, self.depth = total, array, manifest, depth


# What a damaged archive makes zipfile, zlib or NumPy's header reader raise.
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
           RuntimeError, ValueError, KeyError, struct.error, OverflowError)


def _load_from(fh: IO[bytes], name: str, limits: _Limits) -> Any:
    where = f"load({name!r})"
    start = fh.tell()
    head = fh.read(30 + len(MANIFEST) + 4)
    fh.seek(start)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _not_npz(where, head)
    ours = head[30:].startswith(MANIFEST.encode())  # the format marker: our manifest first
    try:
        with zipfile.ZipFile(fh) as zf:
            return _read_archive(zf, where, ours, limits)
    except CheckpointError:
        raise
    except RecursionError:
        raise CheckpointTooLargeError(f"{where}: the manifest is nested too deeply to read.") \
            from None
    except _DAMAGE as err:
        raise CorruptCheckpointError(
            f"{where}: the archive is truncated or damaged ({type(err).__name__}: {err}); save "
            "it again, or restore it from a good copy."
        ) from None


def _read_archive(zf: zipfile.ZipFile, where: str, ours: bool, limits: _Limits) -> Any:
    infos: dict[str, zipfile.ZipInfo] = {}
    total = 0
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
        if key in infos:
            raise CorruptCheckpointError(f"{where}: the archive holds {key!r} twice.")
        limit = limits.manifest if key == MANIFEST else limits.array
        if info.file_size > limit:
            raise CheckpointTooLargeError(
                f"{where}: member {key!r} is {info.file_size} bytes, over the limit of {limit}; "
                "pass a larger max_array_bytes (or max_manifest_bytes) if the file is trusted."
            )
        total += info.file_size
        infos[key] = info
    if total > limits.total:
        raise CheckpointTooLargeError(
            f"{where}: the arrays add up to {total} bytes, over the limit of {limits.total}; "
            "pass a larger max_bytes if the file is trusted."
        )
    if MANIFEST not in infos:
        if ours:
            raise CorruptCheckpointError(
                f"{where}: the archive starts with a tinygrad_np manifest, but its directory "
                "does not list it: the file is damaged."
            )
        return {key: from_numpy(_read_array(zf, info, key, where, None))
                for key, info in infos.items()}
    manifest = _read_manifest(zf, infos.pop(MANIFEST), where, limits)
    listing = manifest.get("members")
    if manifest.get("format") == FORMAT:
        if not isinstance(listing, dict) or set(listing) != set(infos):
            listed = set(listing) if isinstance(listing, dict) else set()
            raise CorruptCheckpointError(
                f"{where}: the archive's members do not match its manifest (missing: "
                f"{sorted(listed - set(infos))}, not listed: {sorted(set(infos) - listed)}); "
                "the file was edited or assembled from different saves."
            )
    elif manifest.get("format") != OLD_FORMAT:
        raise CorruptCheckpointError(
            f"{where}: unknown manifest format {manifest.get('format')!r}; this version of "
            f"tinygrad_np reads {FORMAT!r}."
        )
    members = {key: _read_array(zf, info, key, where, listing.get(key) if listing else None)
               for key, info in infos.items()}
    used: set[str] = set()
    obj = _decode(manifest["root"], members, used, where)
    unused = sorted(set(members) - used)
    if unused:
        raise CorruptCheckpointError(
            f"{where}: the archive has members {unused} that its manifest does not mention; the "
            "file was edited or assembled from different saves."
        )
    return obj


def _read_manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str,
                   limits: _Limits) -> dict[str, Any]:
    text = _read_array(zf, info, MANIFEST, where, None)
    try:
        manifest = json.loads(text.tobytes().decode("utf-8"),
                              object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorruptCheckpointError(f"{where}: the manifest is not valid JSON ({err}).") from None
    except ValueError as err:
        raise CorruptCheckpointError(f"{where}: the manifest is malformed ({err}).") from None
    if not isinstance(manifest, dict) or "root" not in manifest:
        raise CorruptCheckpointError(f"{where}: the manifest has no root entry.")
    if _json_depth(manifest["root"]) > 2 * limits.depth + 2:  # (each level is two in JSON)
        raise CheckpointTooLargeError(
            f"{where}: the manifest nests more than {limits.depth} levels; pass a larger "
            "max_depth if the file is trusted."
        )
    return manifest


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} appears twice")
        out[k] = v
    return out


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_depth(node: Any) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((c, level + 1) for c in children)
    return deepest


def _read_array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, where: str,
                listed: Any) -> np.ndarray:
    """A member's array, read into one buffer of its known size; its size and SHA-256 must
    match the manifest's listing (when there is one) and its header its size."""
    if listed is not None:
        if (not isinstance(listed, dict) or listed.get("bytes") != info.file_size
                or not isinstance(listed.get("sha256"), str)):
            raise CorruptCheckpointError(
                f"{where}: member {key!r} is {info.file_size} bytes, but the manifest lists "
                f"{listed!r}."
            )
    buf = bytearray(info.file_size)
    with zf.open(info) as fh:
        view, got = memoryview(buf), 0
        while got < len(buf):
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
        if got != len(buf) or fh.read(1):
            raise CorruptCheckpointError(f"{where}: member {key!r} is truncated or damaged.")
    if listed is not None and hashlib.sha256(buf).hexdigest() != listed["sha256"]:
        raise CorruptCheckpointError(
            f"{where}: member {key!r} does not match its SHA-256 in the manifest: the file was "
            "damaged or edited after it was saved."
        )
    header = io.BytesIO(buf)
    try:
        version = np.lib.format.read_magic(header)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(header)
    except ValueError as err:
        raise CorruptCheckpointError(
            f"{where}: member {key!r} is not a valid .npy array ({err})."
        ) from None
    if dtype.hasobject:
        raise _pickle_refused(
            where, f"member {key!r} holds Python objects (dtype {dtype}) as a pickle"
        )
    count = math.prod(shape)
    if header.tell() + count * dtype.itemsize != len(buf):
        raise CorruptCheckpointError(
            f"{where}: member {key!r} says shape {shape} of {dtype}, which does not match its "
            f"{len(buf)} bytes."
        )
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header.tell())
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def _not_npz(where: str, head: bytes) -> CheckpointError:
    if head.startswith(b"\x93NUMPY"):
        what = "a single .npy array, not an .npz archive; read it with np.load(path, " \
               "allow_pickle=False)"
    elif head[:1] == b"\x80":  # the PROTO opcode that starts every pickle since protocol 2
        return _pickle_refused(where, "the file is a pickle (e.g. from pickle.dump)")
    elif not head:
        what = "empty"
    else:
        what = f"not an .npz archive (it starts with {head[:8]!r})"
    return NotACheckpointError(f"{where}: the file is {what}; load reads files written by "
                               "tinygrad_np.save or np.savez.")


def _pickle_refused(where: str, what: str) -> PickleRefusedError:
    return PickleRefusedError(
        f"{where}: {what}; refusing to load it, since unpickling can run arbitrary code. "
        "Save state dicts of numeric arrays and Tensors with tinygrad_np.save."
    )


def _decode(node: Any, members: Mapping[str, np.ndarray], used: set[str], where: str) -> Any:
    if node is None or type(node) in (bool, int, float, str):
        return node
    if not isinstance(node, dict) or "$" not in node:
        raise CorruptCheckpointError(f"{where}: the manifest has a malformed entry {node!r:.80}.")
    kind = node["$"]
    try:
        if kind in ("tensor", "array", "scalar"):
            key = node["key"]
            if not isinstance(key, str) or key not in members:
                raise CorruptCheckpointError(
                    f"{where}: the manifest refers to the key {key!r:.80}, but the archive has "
                    "no such member; the file was edited or is incomplete."
                )
            if key in used:
                raise CorruptCheckpointError(
                    f"{where}: the manifest refers to member {key!r} twice; each array is "
                    "saved once, so the file was edited."
                )
            used.add(key)
            arr = members[key]
            if kind == "array":
                return arr
            if kind == "scalar":
                return arr[()]
            if type(node["requires_grad"]) is not bool:
                raise CorruptCheckpointError(
                    f"{where}: requires_grad of {key!r} is {node['requires_grad']!r:.40}, not "
                    "true or false."
                )
            return from_numpy(arr).requires_grad_(node["requires_grad"])
        if kind in ("dict", "odict", "list", "tuple"):
            if not isinstance(node["items"], list):
                raise CorruptCheckpointError(f"{where}: the items of a {kind} are not a list.")
        if kind in ("dict", "odict"):
            pairs = []
            for pair in node["items"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise CorruptCheckpointError(f"{where}: a {kind} item is not a pair.")
                pairs.append((_decode(pair[0], members, used, where),
                              _decode(pair[1], members, used, where)))
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
            f"{where}: the manifest has a malformed {kind!r:.40} entry ({err!r:.80})."
        ) from None
    raise CorruptCheckpointError(f"{where}: the manifest has an unknown entry type {kind!r:.40}.")


# ---- .safetensors ---------------------------------------------------------------------------
def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "save/load of .safetensors files needs the safetensors package: "
            "pip install safetensors (or pip install -e \".[interop]\")."
        ) from None
    return safetensors.numpy


def _write_safetensors(obj: Any, fh: IO[bytes], path: str) -> None:
    if not isinstance(obj, Mapping) or not all(
            isinstance(k, str) and isinstance(v, (Tensor, np.ndarray)) for k, v in obj.items()):
        raise TypeError(
            f"save({path!r}): a .safetensors file holds a flat dict of str -> Tensor (a "
            "model.state_dict()); save nested objects (optimizer state) as .npz."
        )
    arrays = {k: np.ascontiguousarray(v._data if isinstance(v, Tensor) else v)
              for k, v in obj.items()}
    fh.write(_safetensors().save(arrays))


def _read_safetensors(path: str, limits: _Limits) -> dict[str, Tensor]:
    where = f"load({path!r})"
    size = os.path.getsize(path)
    if size > limits.total:
        raise CheckpointTooLargeError(f"{where}: the file is {size} bytes, over the limit of "
                                      f"{limits.total}; pass a larger max_bytes.")
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        arrays = _safetensors().load(data)
    except Exception as err:  # (the package raises its own error types for damaged files)
        if isinstance(err, ImportError):
            raise
        raise CorruptCheckpointError(f"{where}: not a valid .safetensors file ({err}).") \
            from None
    return {k: from_numpy(np.array(v)) for k, v in arrays.items()}
