"""`save` / `load`: state dicts as `.npz` archives (no pickle), or as `.safetensors`.

A saved `.npz` is an ordinary zip of `.npy` members, so `np.load(path)` reads it too. Every array
or Tensor in the object becomes one member named by its dotted path in the state dict
("fc1.weight", "state.0.exp_avg"). The structure around the arrays (dicts, lists, tuples,
numbers, strings, bools, None, int keys) is kept in a JSON manifest, stored as a uint8 array
member, which also lists every other member with its size and SHA-256.

Reading is defensive, because checkpoints come from other people and from crashed disks:

* it never runs code: JSON and `.npy` headers only, no pickle;
* nothing is returned unless every member matches the manifest (sizes, SHA-256, each member
  referenced exactly once, no duplicates, no extras) and the zip's members tile the file;
* sizes are checked against limits (`max_bytes`, `max_array_bytes`, `max_manifest_bytes`,
  `max_depth`, `max_expansion`) *before* anything is allocated, so a zip bomb or a forged header
  costs nothing;
* every refusal is a `CheckpointError` subclass whose message names the problem.

Writing goes to a fresh temporary file in the target directory (created exclusively, never
through a link), fsynced, renamed over the target, and the directory fsynced: a crash leaves the
old file or the new one, never a mix. Temporaries left by killed processes are swept on the next
save to the same path.

`load` also reads a plain `.npz` without a manifest (e.g. `np.savez(path, **weights)`) as a flat
dict of member name -> Tensor, and checkpoints of the first format ("tinygrad_np.save/1").

`.safetensors` (a path ending in it, or `format="safetensors"`) holds a flat dict of named
arrays, the format PyTorch and the wider ecosystem exchange weights in; it needs the optional
`safetensors` package (`pip install "tinygrad-np[interop]"`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import socket
import stat
import struct
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

import numpy as np

from .creation import from_numpy
from .tensor import Tensor

__all__ = [
    "CheckpointError", "CheckpointLimitError", "CorruptCheckpointError", "NotACheckpointError",
    "PickleRefusedError", "load", "save",
]

MANIFEST = "__tinygrad_np_manifest__"
FORMAT = "tinygrad_np.save/2"
OLD_FORMAT = "tinygrad_np.save/1"  # no member table; still read (zip CRCs are its only check)
MARKER = FORMAT.encode()  # the archive comment: says "strict checks apply" even if the
# central directory is too damaged to list the manifest

# Generous for real models (a 2 billion parameter float32 model is 8 GiB), small enough that a
# hostile file cannot exhaust memory. Each is a keyword of `load`.
MAX_BYTES = 2**35           # all arrays together, after decompression: 32 GiB
MAX_ARRAY_BYTES = 2**33     # one array: 8 GiB
MAX_MANIFEST_BYTES = 2**22  # JSON manifest (or safetensors header): 4 MiB (~20k tensors)
MAX_DEPTH = 100             # nesting of dicts/lists/tuples; save refuses deeper objects too
MAX_EXPANSION = 2**30       # bytes compressed members may add over their size on disk: 1 GiB

_CHUNK = 1 << 20
_EXTERNAL_ATTR = 0o644 << 16  # a regular file, rw-r--r--
_ST_ORDER, _ST_SHA256 = "tinygrad_np.order", "tinygrad_np.sha256"  # .safetensors metadata
_ST_KEYS = (_ST_ORDER, _ST_SHA256)

_MEMBER_SUFFIX = ".npy"
_SAFETENSORS_DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
    "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "F16": np.dtype("<f2"),
    "U32": np.dtype("<u4"), "I32": np.dtype("<i4"), "F32": np.dtype("<f4"),
    "U64": np.dtype("<u8"), "I64": np.dtype("<i8"), "F64": np.dtype("<f8"),
    "C64": np.dtype("<c8"),
}

PathOrFile = str | os.PathLike[str] | IO[bytes]


class CheckpointError(ValueError):
    """`load` refuses a file: not a checkpoint, damaged, unsafe, or over a limit."""


class NotACheckpointError(CheckpointError):
    """The file is not an .npz or .safetensors file (a .npy array, a pickle, text, ...)."""


class CorruptCheckpointError(CheckpointError):
    """The file is truncated or damaged, or its members do not match its manifest."""


class PickleRefusedError(CheckpointError):
    """The file holds pickled Python objects; loading them could run arbitrary code."""


class CheckpointLimitError(CheckpointError):
    """The file declares more data than a `load` limit allows (e.g. a zip bomb)."""


# ---- save -----------------------------------------------------------------------------------
def save(obj: Any, f: PathOrFile, *, format: str | None = None) -> None:  # noqa: A002
    """Store `obj` (a state dict: nested dicts/lists/tuples of Tensors, arrays, numbers,
    strings, bools and None) at path `f` (written as given, no suffix added) or into a binary
    file object.

    `format` is "npz" (the default) or "safetensors" (the default for a path ending in
    ".safetensors"; `obj` must then be a flat dict of names to Tensors/arrays, e.g.
    `model.state_dict()`). A path is written atomically: see the module docstring."""
    fmt = _pick_format("save", f, format)
    if fmt == "safetensors":
        payload = _safetensors_bytes(obj)

        def write(fh: IO[bytes]) -> None:
            fh.write(payload)
    else:
        members = _npz_members(obj)

        def write(fh: IO[bytes]) -> None:
            _write_npz(fh, members)

    if hasattr(f, "write"):
        write(f)  # type: ignore[arg-type]
    else:
        _write_atomically(os.fspath(f), write)  # type: ignore[arg-type]


def _pick_format(op: str, f: Any, format: str | None) -> str:  # noqa: A002
    if format is None:
        name = "" if hasattr(f, "write") or hasattr(f, "read") else os.fspath(f)
        return "safetensors" if str(name).lower().endswith(".safetensors") else "npz"
    if format not in ("npz", "safetensors"):
        raise ValueError(f"{op}: format must be 'npz' or 'safetensors', got {format!r}.")
    return format


def _npz_members(obj: Any) -> list[tuple[str, bytes, np.ndarray]]:
    """(member name, .npy header, data bytes) for every array, the manifest first."""
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, (), arrays, set(), 0)
    parts = {key: _npy_parts(arr, key) for key, arr in arrays.items()}
    table = {}
    for key, (header, data) in parts.items():
        digest = hashlib.sha256(header)
        for start in range(0, data.nbytes, _CHUNK):
            digest.update(data[start:start + _CHUNK])
        table[key] = {"size": len(header) + data.nbytes, "sha256": digest.hexdigest()}
    manifest = json.dumps({"format": FORMAT, "members": table, "root": root},
                          separators=(",", ":"), allow_nan=False)
    m_header, m_data = _npy_parts(np.frombuffer(manifest.encode("utf-8"), np.uint8), MANIFEST)
    return [(MANIFEST, m_header, m_data)] + [(k, h, d) for k, (h, d) in parts.items()]


def _npy_parts(arr: np.ndarray, key: str) -> tuple[bytes, np.ndarray]:
    """The .npy header and the data as a flat uint8 array, exactly as np.save lays them out
    (Fortran order kept), without copying contiguous arrays: hashed, then written, in chunks."""
    d = np.lib.format.header_data_from_array_1_0(arr)
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, d)
    except ValueError:  # a header over 64 KiB (a very long shape or dtype): version 2.0
        buf = io.BytesIO()
        try:
            np.lib.format.write_array_header_2_0(buf, d)
        except (ValueError, UnicodeEncodeError) as err:
            raise TypeError(f"save: the array at {key!r} (dtype {arr.dtype}) cannot be written "
                            f"as .npy ({err}); store a plain numeric array.") from None
    data = np.ascontiguousarray(arr.T if d["fortran_order"] else arr)
    try:
        flat = data.reshape(-1).view(np.uint8)
    except ValueError:  # zero-size items cannot be viewed as bytes
        flat = np.frombuffer(data.tobytes(), np.uint8)
    return buf.getvalue(), flat


def _write_npz(fh: IO[bytes], members: list[tuple[str, bytes, np.ndarray]]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.comment = MARKER
        for key, header, data in members:
            # A fixed date: the same object always gives the same bytes.
            info = zipfile.ZipInfo(key + _MEMBER_SUFFIX, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = _EXTERNAL_ATTR
            info.create_system = 3  # as on Unix, whatever the platform: load checks it
            info.file_size = len(header) + data.nbytes  # zip64 headers only when needed
            with zf.open(info, "w") as out:
                out.write(header)
                for start in range(0, data.nbytes, _CHUNK):
                    out.write(memoryview(data[start:start + _CHUNK]))


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(k) for k in path) or "_"


def _array_key(path: tuple[Any, ...], taken: set[str]) -> str:
    """The member name for the array at `path`: its dotted path, made unique if two paths
    spell the same name (e.g. {"a.b": x, "a": {"b": y}})."""
    key, n = _dotted(path), 1
    while key in taken or key == MANIFEST:
        key, n = f"{_dotted(path)}~{n}", n + 1
    taken.add(key)
    return key


def _encode(obj: Any, path: tuple[Any, ...], arrays: dict[str, np.ndarray],
            taken: set[str], depth: int) -> Any:
    """`obj` as a JSON node; arrays go into `arrays`. JSON scalars stand for themselves;
    everything else is an object tagged by "$"."""
    if depth > MAX_DEPTH:
        # Checked here so that save never writes what load would refuse (and never hits
        # Python's recursion limit, e.g. on a list that contains itself).
        raise ValueError(
            f"save: the object is nested more than {MAX_DEPTH} levels deep at "
            f"{_dotted(path[:8])}...; a state dict is a few levels deep (does a container "
            "contain itself?)."
        )
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
        key = _array_key(path, taken)
        arrays[key] = arr
        if isinstance(obj, Tensor):
            return {"$": "tensor", "key": key, "requires_grad": obj.requires_grad}
        return {"$": "scalar" if isinstance(obj, np.generic) else "array", "key": key}
    if isinstance(obj, complex):
        return {"$": "complex", "re": _encode(obj.real, path, arrays, taken, depth + 1),
                "im": _encode(obj.imag, path, arrays, taken, depth + 1)}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if isinstance(k, (Tensor, np.ndarray, np.generic)) or not _is_plain_key(k):
                raise TypeError(
                    f"save: the dict at {_dotted(path)!r} has a key of type "
                    f"{type(k).__name__}; keys must be str, int, float, bool, None or tuples "
                    "of those."
                )
            items.append([_encode(k, (), {}, set(), depth + 1),
                          _encode(v, (*path, k), arrays, taken, depth + 1)])
        return {"$": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"$": kind, "items": [_encode(v, (*path, i), arrays, taken, depth + 1)
                                     for i, v in enumerate(obj)]}
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at {_dotted(path)!r} without pickle; "
        "save stores nested dicts, lists and tuples of Tensors, NumPy arrays, numbers, strings, "
        "bools and None (e.g. model.state_dict() or optimizer.state_dict())."
    )


def _is_plain_key(k: Any, depth: int = 0) -> bool:
    if k is None or type(k) in (bool, int, float, str):
        return True
    return type(k) is tuple and depth < MAX_DEPTH and all(_is_plain_key(x, depth + 1)
                                                           for x in k)


# ---- atomic writes --------------------------------------------------------------------------
_TMP_SUFFIX = ".tmp"
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _write_atomically(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write through `write` into a fresh temporary file next to `path`, then rename it over
    `path`. mkstemp creates the file with O_EXCL (and O_NOFOLLOW) under a random name, so
    concurrent savers never share a file and a planted symlink is never followed."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"save: the directory {directory!r} does not exist; create it first "
            "(os.makedirs(..., exist_ok=True))."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; pass a file path inside it.")
    _sweep_stale_temps(directory, base)
    # The host and pid in the name let a later save recognise a temporary whose writer was
    # killed (and leave alone those of writers on other hosts sharing the directory).
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.",
                               suffix=f".{_HOST}-{os.getpid()}{_TMP_SUFFIX}")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _new_file_mode(path: str) -> int:
    """Keep an existing file's permissions; a new file gets what open() would give it (mkstemp's
    0600 would hide checkpoints from the group)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    umask = 0o022
    try:  # reading the umask with os.umask() would briefly change it for every thread
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable. Some platforms and filesystems cannot fsync a
    directory; the data file is already synced then, only the rename may be lost."""
    if os.name != "posix":
        return
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _sweep_stale_temps(directory: str, base: str) -> None:
    """Remove temporaries of `base` whose writing process no longer exists (killed mid-save).
    Only regular files written on this host are removed, and only when their pid is dead."""
    if os.name != "posix":
        return
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        host, _, pid_text = name[len(prefix):-len(_TMP_SUFFIX)].rpartition(".")[2].partition("-")
        if (host != _HOST or not pid_text.isdigit() or int(pid_text) == os.getpid()
                or _alive(int(pid_text))):
            continue
        full = os.path.join(directory, name)
        try:
            if stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
        except OSError:  # another saver swept it first, or it is not ours to remove
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or cannot tell: leave the file alone
    return True


# ---- load -----------------------------------------------------------------------------------
def load(
    f: PathOrFile,
    *,
    max_bytes: int = MAX_BYTES,
    max_array_bytes: int = MAX_ARRAY_BYTES,
    max_manifest_bytes: int = MAX_MANIFEST_BYTES,
    max_depth: int = MAX_DEPTH,
    max_expansion: int = MAX_EXPANSION,
) -> Any:
    """Read what `save` wrote: a dict (an OrderedDict if one was saved) with Tensors, arrays and
    Python values as they were, bit for bit; or a `.safetensors` file, a plain `.npz` (both as a
    flat dict of name -> Tensor).

    Never unpickles. Every member is checked against the manifest (size, SHA-256) before
    anything is returned. The limits bound what the file may declare, checked before
    allocating: all arrays together (`max_bytes`), one array (`max_array_bytes`), the manifest
    (`max_manifest_bytes`), its nesting (`max_depth`), and how far compressed members may expand
    beyond their size on disk (`max_expansion`, against zip bombs). Raise one to load a larger
    file you trust.

    Raises a CheckpointError subclass for anything wrong with the content: PickleRefusedError,
    CorruptCheckpointError, NotACheckpointError, CheckpointLimitError; FileNotFoundError for a
    missing path."""
    limits = _Limits(max_bytes, max_array_bytes, max_manifest_bytes, max_depth, max_expansion)
    if hasattr(f, "read"):
        return _load_from(f, getattr(f, "name", "<file object>"), limits)  # type: ignore[arg-type]
    path = os.fspath(f)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: there is no file at {path!r}; check the path.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory; pass the checkpoint inside it.")
    with open(path, "rb") as fh:
        return _load_from(fh, path, limits, path)


class _Limits:
    def __init__(self, max_bytes: int, max_array_bytes: int, max_manifest_bytes: int,
                 max_depth: int, max_expansion: int) -> None:
        for name, value in (("max_bytes", max_bytes), ("max_array_bytes", max_array_bytes),
                            ("max_manifest_bytes", max_manifest_bytes),
                            ("max_depth", max_depth), ("max_expansion", max_expansion)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"load: {name} must be a non-negative int, got {value!r}.")
        self.bytes, self.array_bytes = int(max_bytes), int(max_array_bytes)
        self.manifest_bytes, self.depth = int(max_manifest_bytes), int(max_depth)
        self.expansion = int(max_expansion)


def _load_from(fh: IO[bytes], name: str, limits: _Limits, path: str | None = None) -> Any:
    where = f"load({name!r})"
    if hasattr(fh, "seekable") and not fh.seekable():  # a pipe or socket: zip needs seeking
        fh = _bounded_copy(fh, where, limits)
    start = fh.tell()
    head = fh.read(16)
    fh.seek(start)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _load_npz(fh, where, limits)
    if len(head) >= 10 and head[8:9] == b"{" and head[9:10] in (b'"', b" ", b"}", b"\n"):
        return _load_safetensors(fh, where, limits, path)
    raise _not_a_checkpoint(where, head[:8])


def _bounded_copy(fh: IO[bytes], where: str, limits: _Limits) -> io.BytesIO:
    """The rest of `fh` in memory, refused once it exceeds what the limits allow."""
    cap = limits.bytes + limits.manifest_bytes + (1 << 20)  # + headers and directory
    buf = io.BytesIO()
    while chunk := fh.read(_CHUNK):  # in chunks: read(cap) may allocate cap bytes
        buf.write(chunk)
        if buf.tell() > cap:
            raise CheckpointLimitError(
                f"{where}: the stream holds more than {cap:,} bytes, over max_bytes plus "
                "max_manifest_bytes; pass larger limits to load a stream you trust.")
    buf.seek(0)
    return buf


def _not_a_checkpoint(where: str, head: bytes) -> CheckpointError:
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
                               "tinygrad_np.save or np.savez, and .safetensors files.")


def _pickle_refused(where: str, what: str) -> PickleRefusedError:
    return PickleRefusedError(
        f"{where}: {what}; refusing to load it, since unpickling can run arbitrary code. "
        "Save state dicts of numeric arrays and Tensors with tinygrad_np.save."
    )


def _corrupt(where: str, what: str) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f"{where}: {what}; the file is truncated or damaged, or was edited: save it again, or "
        "restore it from a good copy."
    )


@contextlib.contextmanager
def _zip_errors(where: str, doing: str) -> Iterator[None]:
    """zipfile and zlib report damage with many exception types (BadZipFile, zlib.error,
    NotImplementedError for an unknown method, RuntimeError for "encrypted", EOFError,
    struct.error, ...): all of them mean a damaged file here."""
    try:
        yield
    except (CheckpointError, MemoryError, RecursionError):
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure is damage, reported as such
        raise _corrupt(where, f"{doing} failed ({type(err).__name__}: {err})") from None


def _file_size(fh: IO[bytes]) -> int:
    pos = fh.tell()
    size = fh.seek(0, os.SEEK_END)
    fh.seek(pos)
    return size


def _load_npz(fh: IO[bytes], where: str, limits: _Limits) -> Any:
    if fh.tell() != 0:  # zip offsets are relative to the file start: read from a copy
        fh = _bounded_copy(fh, where, limits)
    with _zip_errors(where, "reading the zip directory"):
        zf = zipfile.ZipFile(fh)
    with zf:
        infos = _check_directory(zf, fh, where, limits)
        first_name = _first_local_name(fh, where)
        if MANIFEST + _MEMBER_SUFFIX not in infos:
            if zf.comment == MARKER or first_name == MANIFEST + _MEMBER_SUFFIX:
                raise _corrupt(where, "the archive is marked as a tinygrad_np checkpoint but its "
                                      "directory does not list the manifest")
            members = {name[:-len(_MEMBER_SUFFIX)]: _read_npy(
                zf, info, name[:-len(_MEMBER_SUFFIX)], where, limits, None)
                for name, info in infos.items()}
            return {key: from_numpy(arr) for key, arr in members.items()}
        manifest = _read_manifest(zf, infos[MANIFEST + _MEMBER_SUFFIX], where, limits)
        if manifest["format"] == FORMAT:
            _check_metadata(infos.values(), where)
        del infos[MANIFEST + _MEMBER_SUFFIX]
        table = _member_table(manifest, infos, zf.comment, where)
        reader = _MemberReader(zf, infos, table, where, limits)
        try:
            obj = _decode(manifest["root"], reader, where, 0, limits.depth)
        except RecursionError:  # only with a max_depth raised past what Python can recurse
            raise CheckpointLimitError(
                f"{where}: the manifest nests deeper than Python's recursion limit allows; "
                "pass a smaller max_depth.") from None
        unused = sorted(set(reader.keys) - reader.used)
        if unused:
            raise _corrupt(where, f"the archive has members {unused} that its manifest does not "
                                  "refer to")
        return obj


def _check_directory(zf: zipfile.ZipFile, fh: IO[bytes], where: str, limits: _Limits
                     ) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after checking names, methods, sizes against the limits, and that
    the members tile the file from byte 0 up to the central directory. The last check catches a
    damaged directory from which zipfile silently drops entries."""
    infos: dict[str, zipfile.ZipInfo] = {}
    total = expansion = 0
    for info in zf.infolist():
        name = info.filename
        if name.endswith(".pkl"):
            raise _pickle_refused(where, f"the archive holds the pickle {name!r} "
                                  "(a torch.save checkpoint?)")
        if not name.endswith(_MEMBER_SUFFIX):
            raise CorruptCheckpointError(
                f"{where}: the archive holds {name!r}, which is not a .npy array; this is not "
                "an archive written by tinygrad_np.save or np.savez."
            )
        if name in infos:
            raise _corrupt(where, f"the archive has two members named {name!r}")
        if info.flag_bits & 0x1:
            raise _corrupt(where, f"member {name!r} is marked as encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _corrupt(where, f"member {name!r} uses compression method "
                                  f"{info.compress_type}; .npz members are stored or deflated")
        if info.file_size > limits.array_bytes + 2**16 + len(_MEMBER_SUFFIX):
            raise CheckpointLimitError(
                f"{where}: member {name!r} holds {info.file_size:,} bytes, over max_array_bytes"
                f"={limits.array_bytes:,}; pass a larger max_array_bytes to load a file you trust."
            )
        total += info.file_size
        expansion += max(0, info.file_size - info.compress_size)
        infos[name] = info
    if total > limits.bytes:
        raise CheckpointLimitError(
            f"{where}: the archive's members hold {total:,} bytes, over max_bytes="
            f"{limits.bytes:,}; pass a larger max_bytes to load a file you trust."
        )
    if expansion > limits.expansion:
        raise CheckpointLimitError(
            f"{where}: the compressed members would expand by {expansion:,} bytes beyond their "
            f"size in the file, over max_expansion={limits.expansion:,} (a zip bomb?); pass a "
            "larger max_expansion to load a compressed archive you trust."
        )
    _check_tiling(zf, fh, infos, where)
    return infos


def _check_tiling(zf: zipfile.ZipFile, fh: IO[bytes], infos: Mapping[str, zipfile.ZipInfo],
                  where: str) -> None:
    """zipfile trusts the central directory and skips most of the local headers and the end
    record; a damaged field there can make it drop entries or read from the wrong place. Here
    the members must tile the file from byte 0 to the directory, every local header must agree
    with its directory entry, and the end record must count the same members."""
    pos = 0
    for info in sorted(infos.values(), key=lambda i: i.header_offset):
        name = info.filename
        if info.header_offset != pos:
            raise _corrupt(where, f"the zip directory places member {name!r} at byte "
                                  f"{info.header_offset}, but the previous member ends at {pos}")
        if info.volume != 0:
            raise _corrupt(where, f"member {name!r} claims to start on disk {info.volume}")
        fh.seek(pos)
        local = fh.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise _corrupt(where, f"member {name!r} has no local header at byte {pos}")
        (_, version, reserved, flags, method, time, date, crc, csize, usize, name_len,
         extra_len) = struct.unpack("<4s2B4HL2L2H", local)
        y, mo, d, h, mi, sec = info.date_time
        expected_time, expected_date = h << 11 | mi << 5 | sec // 2, (y - 1980) << 9 | mo << 5 | d
        described = flags & 0x08  # sizes and CRC follow the data instead
        if ((version, reserved, flags, method, time, date)
                != (info.extract_version, info.reserved, info.flag_bits, info.compress_type,
                    expected_time, expected_date)
                or (not described and crc != info.CRC)
                or (not described and csize not in (info.compress_size, 0xFFFFFFFF))
                or (not described and usize not in (info.file_size, 0xFFFFFFFF))):
            raise _corrupt(where, f"the local header of member {name!r} disagrees with the zip "
                                  "directory")
        extra = fh.read(name_len + extra_len)[name_len:]
        pos += 30 + name_len + extra_len + info.compress_size
        if described:  # the data descriptor (archives written to a stream)
            fh.seek(pos)
            pos += 4 if fh.read(4) == b"PK\x07\x08" else 0
            pos += 20 if _has_zip64_field(extra) else 12  # 8-byte sizes with zip64
    start_dir = getattr(zf, "start_dir", pos)
    if pos != start_dir:
        raise _corrupt(where, f"the members end at byte {pos}, but the zip directory starts at "
                              f"{start_dir}: a member is missing from the directory")
    size = _file_size(fh)
    tail_at = size - 22 - len(zf.comment)
    fh.seek(max(0, tail_at))
    tail = fh.read()
    if tail_at < 0 or tail[:4] != b"PK\x05\x06" or tail[22:] != zf.comment:
        raise _corrupt(where, "the zip end record is not where its comment says")
    disk, cd_disk, on_disk, total, _, _, comment_len = struct.unpack("<4H2LH", tail[4:22])
    if (disk, cd_disk, comment_len) != (0, 0, len(zf.comment)) or any(
            n not in (len(infos), 0xFFFF) for n in (on_disk, total)):
        raise _corrupt(where, f"the zip end record counts {total} members, the directory lists "
                              f"{len(infos)}")
    # zipfile reads the directory from a buffer and forgives lengths that run past its end;
    # walked by their raw lengths, the entries must end exactly where the end records begin.
    fh.seek(start_dir)
    for _ in infos:
        entry = fh.read(46)
        if len(entry) != 46 or entry[:4] != b"PK\x01\x02":
            raise _corrupt(where, "the zip directory is damaged")
        fh.seek(sum(struct.unpack("<3H", entry[28:34])), os.SEEK_CUR)
    end = fh.tell()
    if end != tail_at and not (end == tail_at - 76 and fh.read(4) == b"PK\x06\x06"):
        raise _corrupt(where, f"the zip directory's entries end at byte {end}, its end record "
                              f"starts at {tail_at}")


def _has_zip64_field(extra: bytes) -> bool:
    while len(extra) >= 4:
        field, size = struct.unpack("<HH", extra[:4])
        if field == 0x0001:
            return True
        extra = extra[4 + size:]
    return False


def _check_metadata(infos: Iterator[zipfile.ZipInfo] | Any, where: str) -> None:
    """The directory fields zipfile ignores (attributes, "made by"): save writes fixed values,
    so in a format-2 archive a change there is damage too, and no byte goes unchecked."""
    for info in infos:
        if (info.create_system, info.create_version, info.internal_attr, info.external_attr,
                info.comment) != (3, info.extract_version, 0, _EXTERNAL_ATTR, b""):
            raise _corrupt(where, f"the zip directory entry of member {info.filename!r} has "
                                  "fields save never writes")


def _first_local_name(fh: IO[bytes], where: str) -> str | None:
    """The name in the first local header: a second copy of the format marker, since save
    writes the manifest first."""
    fh.seek(0)
    local = fh.read(30)
    if len(local) < 30:
        return None
    name = fh.read(struct.unpack("<H", local[26:28])[0])
    return name.decode("utf-8", "replace")


class _HashingReader:
    """Reads a zip member, hashing and counting what passes, for the .npy header parser."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.sha, self.count = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        self.count += len(data)
        return data


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, where: str,
              limits: _Limits, sha256: str | None) -> np.ndarray:
    """One member as an array, allocated only once its header matches the member's size and
    the limits; its SHA-256 checked when given; zip's CRC checked by reading to the end."""
    with _zip_errors(where, f"reading member {key!r}"), zf.open(info) as raw:
        fh = _HashingReader(raw)
        try:
            version = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(fh)
        except (ValueError, TypeError, SyntaxError) as err:
            raise _corrupt(where, f"member {key!r} is not a valid .npy array ({err})") from None
        if dtype.hasobject:
            raise _pickle_refused(
                where, f"member {key!r} holds Python objects (dtype {dtype}) as a pickle")
        if not all(type(n) is int and n >= 0 for n in shape):  # numpy's parser takes (-1,)
            raise _corrupt(where, f"member {key!r} is not a valid .npy array (shape {shape})")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes > limits.array_bytes:
            raise CheckpointLimitError(
                f"{where}: member {key!r} declares shape {shape} of {dtype} ({nbytes:,} bytes), "
                f"over max_array_bytes={limits.array_bytes:,}; pass a larger max_array_bytes "
                "to load a file you trust."
            )
        if fh.count + nbytes != info.file_size:
            raise _corrupt(where, f"member {key!r} declares shape {shape} of {dtype} "
                                  f"({nbytes:,} bytes of data), but holds "
                                  f"{info.file_size - fh.count:,}")
        flat = np.empty(count, dtype)
        if nbytes:
            view = flat.view(np.uint8)
            for pos in range(0, nbytes, _CHUNK):
                chunk = fh.read(min(_CHUNK, nbytes - pos))
                if len(chunk) != min(_CHUNK, nbytes - pos):
                    raise _corrupt(where, f"member {key!r} is truncated")
                view[pos:pos + len(chunk)] = np.frombuffer(chunk, np.uint8)
        if fh.read(1):  # also makes zipfile check the CRC-32
            raise _corrupt(where, f"member {key!r} is longer than its header says")
        if sha256 is not None and fh.sha.hexdigest() != sha256:
            raise _corrupt(where, f"member {key!r} does not match the SHA-256 in the manifest")
    if fortran:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def _read_manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: _Limits
                   ) -> dict[str, Any]:
    if info.file_size > limits.manifest_bytes + 128:  # 128: the .npy header of a uint8 vector
        raise CheckpointLimitError(
            f"{where}: the manifest is {info.file_size:,} bytes, over max_manifest_bytes="
            f"{limits.manifest_bytes:,}; pass a larger max_manifest_bytes to load a file you "
            "trust."
        )
    arr = _read_npy(zf, info, MANIFEST, where, limits, None)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise _corrupt(where, f"the manifest is an array of {arr.dtype} {arr.shape}, not bytes")
    try:
        manifest = json.loads(arr.tobytes().decode("utf-8"), object_pairs_hook=_no_duplicates,
                              parse_constant=_no_constant)
    except RecursionError:
        raise _corrupt(where, "the manifest is nested too deeply to parse") from None
    except (UnicodeDecodeError, ValueError) as err:  # JSONDecodeError, a 5,000-digit int
        raise _corrupt(where, f"the manifest is not valid JSON ({err})") from None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt not in (FORMAT, OLD_FORMAT) or "root" not in manifest:
        raise CorruptCheckpointError(
            f"{where}: unknown manifest format {fmt!r}; this version of tinygrad_np reads "
            f"{FORMAT!r} and {OLD_FORMAT!r} (a newer tinygrad_np may have written it)."
        )
    return manifest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {dup!r} appears twice in one object")
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _member_table(manifest: Mapping[str, Any], infos: Mapping[str, zipfile.ZipInfo],
                  comment: bytes, where: str) -> dict[str, tuple[int, str]] | None:
    """key -> (size, sha256) from a format-2 manifest, checked against the directory."""
    if manifest["format"] == OLD_FORMAT:
        return None
    if comment != MARKER:
        raise _corrupt(where, f"the archive comment (the format marker) is {comment[:40]!r}, "
                              f"expected {MARKER!r}")
    table = manifest.get("members")
    if not isinstance(table, dict):
        raise _corrupt(where, "the manifest has no member table")
    out = {}
    for key, entry in table.items():
        if (not isinstance(entry, dict) or set(entry) != {"size", "sha256"}
                or type(entry["size"]) is not int or not isinstance(entry["sha256"], str)
                or len(entry["sha256"]) != 64):
            raise _corrupt(where, f"the manifest's entry for member {key!r} is malformed")
        out[key] = (entry["size"], entry["sha256"])
    names = {n[:-len(_MEMBER_SUFFIX)] for n in infos}
    if missing := sorted(set(out) - names):
        raise _corrupt(where, f"the manifest lists members {missing[:10]} that the archive does "
                              "not have")
    if extra := sorted(names - set(out)):
        raise _corrupt(where, f"the archive has members {extra[:10]} that its manifest does not "
                              "mention")
    for key, (size, _) in out.items():
        actual = infos[key + _MEMBER_SUFFIX].file_size
        if actual != size:
            raise _corrupt(where, f"member {key!r} is {actual:,} bytes, the manifest says "
                                  f"{size:,}")
    return out


class _MemberReader:
    """Reads members on first reference, verified against the manifest; a second reference to
    the same member is refused (two Tensors would silently share memory)."""

    def __init__(self, zf: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo],
                 table: Mapping[str, tuple[int, str]] | None, where: str, limits: _Limits
                 ) -> None:
        self.zf, self.infos, self.table, self.where, self.limits = zf, infos, table, where, limits
        self.keys = [n[:-len(_MEMBER_SUFFIX)] for n in infos]
        self.used: set[str] = set()

    def __call__(self, key: Any) -> np.ndarray:
        where = self.where
        if not isinstance(key, str):
            raise _corrupt(where, f"the manifest refers to a member by a {type(key).__name__}")
        if key in self.used:
            raise _corrupt(where, f"the manifest refers to member {key!r} twice")
        info = self.infos.get(key + _MEMBER_SUFFIX)
        if info is None:
            raise CorruptCheckpointError(
                f"{where}: the manifest refers to the key {key!r}, but the archive has no such "
                f"member (it has {sorted(self.keys)[:10]}); the file was edited or is "
                "incomplete."
            )
        self.used.add(key)
        sha = self.table[key][1] if self.table is not None else None
        return _read_npy(self.zf, info, key, where, self.limits, sha)


def _decode(node: Any, read: Callable[[Any], np.ndarray], where: str, depth: int,
            max_depth: int) -> Any:
    if node is None or type(node) in (bool, int, float, str):
        return node
    if depth > max_depth:  # the same bound save applies, so what save writes, load reads
        raise CheckpointLimitError(
            f"{where}: the manifest nests deeper than max_depth={max_depth}; pass a larger "
            "max_depth to load a file you trust."
        )
    if not isinstance(node, dict) or "$" not in node:
        raise _corrupt(where, f"the manifest has a malformed entry {str(node)[:80]}")
    kind = node["$"]
    fields = {"tensor": {"key", "requires_grad"}, "array": {"key"}, "scalar": {"key"},
              "dict": {"items"}, "odict": {"items"}, "list": {"items"}, "tuple": {"items"},
              "complex": {"re", "im"}, "float": {"bits"}}
    if not isinstance(kind, str) or kind not in fields:
        raise CorruptCheckpointError(
            f"{where}: the manifest has an unknown entry type {str(kind)[:40]!r}.")
    if set(node) - {"$"} != fields[kind]:
        raise _corrupt(where, f"the manifest has a malformed {kind!r} entry (fields "
                              f"{sorted(node)[:8]})")

    def sub(child: Any) -> Any:
        return _decode(child, read, where, depth + 1, max_depth)

    if kind in ("tensor", "array", "scalar"):
        if kind == "tensor" and type(node["requires_grad"]) is not bool:
            raise _corrupt(where, f"the manifest's requires_grad of {node['key']!r} is "
                                  f"{node['requires_grad']!r}, not true or false")
        arr = read(node["key"])
        if kind == "array":
            return arr
        if kind == "scalar":
            if arr.ndim != 0:
                raise _corrupt(where, f"member {node['key']!r} should hold a scalar")
            return arr[()]
        if node["requires_grad"] and arr.dtype.kind not in "fc":
            raise _corrupt(where, f"member {node['key']!r} of dtype {arr.dtype} is marked "
                                  "requires_grad")
        return from_numpy(arr).requires_grad_(node["requires_grad"])
    if kind == "float":
        bits = node["bits"]
        if not isinstance(bits, str) or len(bits) != 16:
            raise _corrupt(where, "the manifest has a malformed 'float' entry")
        try:
            return struct.unpack(">d", bytes.fromhex(bits))[0]
        except ValueError:
            raise _corrupt(where, "the manifest has a malformed 'float' entry") from None
    if kind == "complex":
        re, im = sub(node["re"]), sub(node["im"])
        if type(re) is not float or type(im) is not float:
            raise _corrupt(where, "the manifest has a malformed 'complex' entry")
        return complex(re, im)
    items = node["items"]
    if not isinstance(items, list):
        raise _corrupt(where, f"the manifest has a malformed {kind!r} entry (items is a "
                              f"{type(items).__name__})")
    if kind in ("list", "tuple"):
        values = [sub(v) for v in items]
        return tuple(values) if kind == "tuple" else values
    out: dict[Any, Any] = OrderedDict() if kind == "odict" else {}
    for pair in items:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _corrupt(where, f"the manifest has a malformed {kind!r} entry (an item is not "
                                  "a [key, value] pair)")
        key = sub(pair[0])
        if not _is_plain_key(key):
            raise _corrupt(where, f"the manifest has a dict key of type {type(key).__name__}")
        if key in out:
            raise _corrupt(where, f"the manifest has the dict key {key!r} twice")
        out[key] = sub(pair[1])
    return out


# ---- safetensors ----------------------------------------------------------------------------
def _safetensors(op: str) -> Any:
    try:
        import safetensors.numpy as st  # an optional extra: imported only when used
    except ImportError:
        raise ImportError(
            f"{op}: .safetensors files need the optional package safetensors; install it with "
            "pip install \"tinygrad-np[interop]\" (or pip install safetensors), or use .npz."
        ) from None
    return st


def _safetensors_bytes(obj: Any) -> bytes:
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"save: a .safetensors file holds a flat dict of names to tensors, got a "
            f"{type(obj).__name__}; pass e.g. model.state_dict(), or save as .npz."
        )
    arrays: dict[str, np.ndarray] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: .safetensors names must be str, got {key!r}.")
        if not isinstance(value, (Tensor, np.ndarray, np.generic)):
            raise TypeError(
                f"save: the value at {key!r} is a {type(value).__name__}; a .safetensors file "
                "holds only tensors (save nested state, e.g. an optimizer's, as .npz)."
            )
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        little = arr.dtype.newbyteorder("<")
        if little not in _SAFETENSORS_DTYPES.values():
            raise TypeError(
                f"save: the array at {key!r} has dtype {arr.dtype}, which .safetensors cannot "
                f"hold (it holds {', '.join(sorted(_SAFETENSORS_DTYPES))}); cast it or save as "
                ".npz."
            )
        arr = arr.astype(little, copy=False)
        # Not np.ascontiguousarray, which would turn a 0-d array (num_batches_tracked) into 1-d.
        arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    st = _safetensors("save")
    # PyTorch-style metadata, plus the key order (safetensors sorts its members) and a digest:
    # the format itself has no checksum, so without it a damaged byte would load silently.
    order = list(arrays)
    metadata = {"format": "pt", _ST_ORDER: json.dumps(order),
                _ST_SHA256: _st_digest(order, arrays)}
    return st.save(arrays, metadata=metadata)


def _st_digest(order: list[str], arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in order."""
    names = {dtype: name for name, dtype in _SAFETENSORS_DTYPES.items()}
    digest = hashlib.sha256()
    for key in order:
        arr = arrays[key]
        dtype = names.get(arr.dtype.newbyteorder("<"), str(arr.dtype))
        digest.update(json.dumps([key, dtype, list(arr.shape)]).encode() + b"\0")
        flat = (np.ascontiguousarray(arr).reshape(-1).view(np.uint8) if arr.size
                else np.zeros(0, np.uint8))
        for start in range(0, flat.nbytes, _CHUNK):
            digest.update(flat[start:start + _CHUNK])
    return digest.hexdigest()


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _near_our_key(key: Any) -> bool:
    """A metadata key save writes, or one a few damaged bytes away from it: a file whose marker
    keys are damaged must not pass for a file from elsewhere (which carries no checksum)."""
    return isinstance(key, str) and any(
        len(key) == len(ours) and sum(a != b for a, b in zip(key, ours)) <= 4
        for ours in _ST_KEYS)


def _load_safetensors(fh: IO[bytes], where: str, limits: _Limits, path: str | None
                      ) -> dict[str, Tensor]:
    """Check the header against the file size and the limits before letting safetensors
    allocate anything; then read through its NumPy API."""
    start = fh.tell()
    size = _file_size(fh) - start
    n = int.from_bytes(fh.read(8), "little")
    if n > limits.manifest_bytes:
        raise CheckpointLimitError(
            f"{where}: the safetensors header is {n:,} bytes, over max_manifest_bytes="
            f"{limits.manifest_bytes:,}; pass a larger max_manifest_bytes to load a file you "
            "trust."
        )
    if 8 + n > size:
        raise _corrupt(where, f"the safetensors header claims {n:,} bytes, the file has "
                              f"{size - 8:,} after the length")
    try:
        header = json.loads(fh.read(n).decode("utf-8"), object_pairs_hook=_no_duplicates,
                            parse_constant=_no_constant)
    except RecursionError:
        raise _corrupt(where, "the safetensors header is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise _corrupt(where, f"the safetensors header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise _corrupt(where, "the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    spans, total = [], 0
    for key, entry in header.items():
        try:
            dtype = _SAFETENSORS_DTYPES.get(entry["dtype"])
            shape = entry["shape"]
            begin, end = entry["data_offsets"]
            ok = (all(type(d) is int and d >= 0 for d in shape)
                  and type(begin) is int and type(end) is int and 0 <= begin <= end)
        except (TypeError, KeyError, ValueError):
            ok, dtype = False, None
        if not ok:
            raise _corrupt(where, f"the safetensors entry for {key!r} is malformed")
        if dtype is None:
            raise NotACheckpointError(
                f"{where}: tensor {key!r} has dtype {entry['dtype']!r}, which NumPy cannot hold "
                f"(it holds {', '.join(sorted(_SAFETENSORS_DTYPES))}); convert it where it was "
                "saved, e.g. tensor.float() in PyTorch."
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > limits.array_bytes:
            raise CheckpointLimitError(
                f"{where}: tensor {key!r} declares {nbytes:,} bytes, over max_array_bytes="
                f"{limits.array_bytes:,}; pass a larger max_array_bytes to load a file you trust."
            )
        if end - begin != nbytes:
            raise _corrupt(where, f"tensor {key!r} declares shape {shape} of {entry['dtype']} "
                                  f"({nbytes:,} bytes) but spans {end - begin:,} bytes")
        spans.append((begin, end, key))
        total += nbytes
    if total > limits.bytes:
        raise CheckpointLimitError(
            f"{where}: the tensors hold {total:,} bytes, over max_bytes={limits.bytes:,}; pass a "
            "larger max_bytes to load a file you trust."
        )
    pos = 0
    for begin, end, key in sorted(spans):
        if begin != pos:
            raise _corrupt(where, f"tensor {key!r} starts at byte {begin} of the data, expected "
                                  f"{pos} (overlapping or with gaps)")
        pos = end
    if 8 + n + pos != size:
        raise _corrupt(where, f"the tensors end at byte {8 + n + pos:,}, but the file has "
                              f"{size:,} bytes")
    st = _safetensors("load")
    try:
        if path is not None and start == 0:  # one tensor at a time, not the whole file
            import safetensors
            checked = _identity(os.fstat(fh.fileno()))
            with safetensors.safe_open(path, framework="np") as sf:
                arrays = {key: sf.get_tensor(key) for key in sf.keys()}
            # safe_open reopens the path: it must still be the file whose header was checked.
            if _identity(os.stat(path)) != checked:
                raise _corrupt(where, "the file was replaced or changed while it was read")
        else:
            fh.seek(start)
            arrays = st.load(fh.read())
    except CheckpointError:
        raise
    except Exception as err:  # noqa: BLE001 - safetensors' own checks: damage, reported so
        raise _corrupt(where, f"safetensors refused it ({type(err).__name__}: {err})") from None
    order = list(header)
    if isinstance(metadata, dict) and any(_near_our_key(key) for key in metadata):
        # Written by save: its order and digest must check out. (Files from elsewhere carry
        # no checksum; for them only the structure above can be checked.)
        try:
            saved = json.loads(metadata[_ST_ORDER])
            digest = metadata[_ST_SHA256]
        except (KeyError, TypeError, ValueError):
            saved = None
        if (set(metadata) != {"format", *_ST_KEYS}
                or metadata["format"] != "pt" or not isinstance(saved, list)
                or sorted(saved) != sorted(order)):
            raise _corrupt(where, "the safetensors metadata written by tinygrad_np is damaged")
        order = saved
        if _st_digest(order, arrays) != digest:
            raise _corrupt(where, "the tensors do not match the SHA-256 in the file's metadata")
    # Arrays from a buffer (st.load) are read-only views of it: those are copied.
    return {key: from_numpy(arrays[key] if arrays[key].flags.writeable else arrays[key].copy())
            for key in order}
