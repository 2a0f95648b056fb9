"""Hostile files for the checkpoint and dataset tests, built in milliseconds.

Each builder writes a small file that declares (or inflates to) gigabytes. They are shared by
tests/test_checkpoint_safety.py and scripts/checkpoint_bombs.py, which measures peak memory."""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np

_BLOCK = 1 << 24  # 16 MiB of zeros deflates to ~16 KiB


def _npy_header(shape: tuple[int, ...], dtype: str = "|u1") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _deflated_zeros(prefix: bytes, n_zeros: int) -> bytes:
    """A raw deflate stream of `prefix` and `n_zeros` zero bytes (a multiple of 16 MiB),
    without compressing them all: after a full flush the compressor starts afresh, so every
    16 MiB block of zeros compresses to the same bytes, which are repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(_BLOCK)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + block * (n_zeros // _BLOCK) + c.flush()


def _crc_of_zeros(prefix: bytes, n_zeros: int) -> int:
    crc, zeros = zlib.crc32(prefix), bytes(_BLOCK)
    for _ in range(n_zeros // _BLOCK):
        crc = zlib.crc32(zeros, crc)
    return crc


def write_zip(path: Path, name: str, data: bytes, *, crc: int, file_size: int) -> None:
    """A one-member deflated zip whose directory declares `file_size` (zip64 fields, as any
    writer would use for a member over 4 GiB)."""
    fname = name.encode()
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 45, 0, 0, 8, 0, 0x21, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(fname), 20)
    local += fname + struct.pack("<2H2Q", 1, 16, file_size, len(data))
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 45, 3, 45, 0, 0, 8, 0, 0x21, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(fname), 20, 0, 0, 0, 0o644 << 16, 0)
    central += fname + struct.pack("<2H2Q", 1, 16, file_size, len(data))
    start_dir = len(local) + len(data)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), start_dir, 0)
    path.write_bytes(local + data + central + end)


def npz_zip_bomb(path: Path, gib: int = 4, correct_crc: bool = False) -> int:
    """An .npz of one uint8 array of `gib` GiB of zeros, about 4 MiB on disk per 4 GiB."""
    n = gib << 30
    header = _npy_header((n,))
    crc = _crc_of_zeros(header, n) if correct_crc else 0
    write_zip(path, "w.npy", _deflated_zeros(header, n), crc=crc, file_size=len(header) + n)
    return path.stat().st_size


def npz_lying_bomb(path: Path) -> int:
    """An .npz whose member declares 1 MiB (within every limit) but inflates to 4 GiB: only
    the declared size may ever be read."""
    header = _npy_header((1 << 20,))
    write_zip(path, "w.npy", _deflated_zeros(header, 4 << 30), crc=0,
              file_size=len(header) + (1 << 20))
    return path.stat().st_size


def manifest_with(path: Path, manifest: str, members: dict[str, bytes] | None = None) -> None:
    """A format-2 archive as save writes it, with `manifest` as its JSON and `members`
    (name -> .npy bytes) after it; member sizes and SHA-256 are whatever the JSON says."""
    import zipfile

    from tinygrad_np.serialization import MANIFEST, MARKER
    raw = manifest.encode()
    entries = {MANIFEST + ".npy": _npy_header((len(raw),)) + raw}
    entries.update({k + ".npy": v for k, v in (members or {}).items()})
    with zipfile.ZipFile(path, "w") as zf:
        zf.comment = MARKER
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr, info.create_system = 0o644 << 16, 3
            zf.writestr(info, data)


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def member_entry(data: bytes) -> dict[str, object]:
    import hashlib
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def manifest_references_bomb(path: Path, refs: int = 100_000) -> int:
    """A 0.3 MiB manifest that refers to one 8 KiB member `refs` times: loaded naively, that
    is `refs` tensors (or copies) of it."""
    w = npy_bytes(np.zeros(1000))
    node = {"$": "array", "key": "w"}
    manifest = json.dumps({"format": "tinygrad_np.save/2", "members": {"w": member_entry(w)},
                           "root": {"$": "list", "items": [node] * refs}},
                          separators=(",", ":"))
    manifest_with(path, manifest, {"w": w})
    return path.stat().st_size


def manifest_deep_bomb(path: Path, depth: int = 100_000) -> int:
    """A manifest nested `depth` lists deep."""
    root = '{"$":"list","items":[' * depth + "]}" * depth
    manifest_with(path, '{"format":"tinygrad_np.save/2","members":{},"root":' + root + "}")
    return path.stat().st_size


def manifest_wide_bomb(path: Path, size: int = 2**22 - 1024) -> int:
    """The largest manifest the default limit admits, made of the JSON with the most Python
    objects per byte: a list of empty lists."""
    n = (size - 100) // 3
    root = '{"$":"list","items":[' + ",".join(["[]"] * n) + "]}"
    manifest_with(path, '{"format":"tinygrad_np.save/2","members":{},"root":' + root + "}")
    return path.stat().st_size


def gzip_bomb(path: Path, gib: int = 3) -> int:
    """A gzip file of `gib` GiB of zeros, ~3 MiB per 3 GiB: one 64 MiB member repeated (a
    gzip file may hold several members, read one after another)."""
    member = gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)
    path.write_bytes(member * (gib * 16))
    return path.stat().st_size


def sparse_file(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (where the filesystem allows)."""
    with open(path, "wb") as fh:
        fh.truncate(size)


def idx_gz_bomb(path: Path, dims: tuple[int, ...] = (65536, 65536), gib: int = 1) -> int:
    """A gzipped IDX file of unsigned bytes whose header declares `dims`, followed by `gib`
    GiB of zeros."""
    header = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    member = gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)
    path.write_bytes(gzip.compress(header, mtime=0) + member * (gib * 16))
    return path.stat().st_size
