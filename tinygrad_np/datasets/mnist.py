"""MNIST from the four original IDX files, offline first.

Lookup order for each file (gzipped or raw, named `train-images.idx3-ubyte` or
`train-images-idx3-ubyte`, optionally with `.gz`):

1. `root`, when given: only there (like torchvision's `root`);
2. otherwise `$TINYGRAD_NP_DATA` (the directory itself or its `mnist/` subdirectory), the
   repository's `data/mnist/` (present in a source checkout), then `~/.cache/tinygrad_np/mnist`.

Every file found is read in bounded memory: a raw file must have the known size before a byte is
read, a .gz is inflated in 1 MiB steps and refused as soon as it holds more (or less) than that
size (a decompression bomb costs one file's worth of memory); then the SHA-256 of the
*uncompressed* content is checked. Any mismatch raises `CorruptedFileError` naming the file and
where to put a good copy. `read_idx` reads other IDX files (Fashion-MNIST, EMNIST) with a cap.
Only files that are missing everywhere are downloaded (into `root`, or the cache), from a public
mirror, and checked the same way; `download=False` (or `TINYGRAD_NP_DOWNLOAD=0`) turns that off
and a missing file raises `FileNotFoundError` saying where to put it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path
from typing import IO

import numpy as np

__all__ = ["CorruptedFileError", "load_mnist", "MIRRORS", "read_idx", "SHA256", "SIZES"]

# SHA-256 of the uncompressed IDX files: the same whatever the compression or the mirror.
SHA256 = {
    "train-images.idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels.idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images.idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels.idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# Public mirrors of the original files, which they name `train-images-idx3-ubyte.gz` etc.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_ENV_DATA = "TINYGRAD_NP_DATA"
_ENV_DOWNLOAD = "TINYGRAD_NP_DOWNLOAD"
_REPO_DIR = Path(__file__).resolve().parents[2] / "data" / "mnist"


class CorruptedFileError(ValueError):
    """A dataset file exists but its content is not the expected one (checksum or format)."""


def _cache_dir() -> Path:
    return Path.home() / ".cache" / "tinygrad_np" / "mnist"


def _search_dirs(root: str | os.PathLike | None) -> list[Path]:
    if root is not None:
        return [Path(root).expanduser()]
    dirs = []
    env = os.environ.get(_ENV_DATA)
    if env:
        dirs += [Path(env).expanduser(), Path(env).expanduser() / "mnist"]
    return dirs + [_REPO_DIR, _cache_dir()]


def _candidates(directory: Path, name: str) -> list[Path]:
    mirror_name = name.replace(".idx", "-idx")
    return [directory / n for n in (name, name + ".gz", mirror_name, mirror_name + ".gz")]


# Sizes of the uncompressed IDX files: a header (4 bytes of magic, 4 per dimension) and one
# byte per pixel or label. Reading stops as soon as a file would exceed its size, so a damaged
# or hostile file (a .gz bomb, a huge raw file) costs at most this much memory.
SIZES = {
    "train-images.idx3-ubyte": 16 + 60000 * 28 * 28,
    "train-labels.idx1-ubyte": 8 + 60000,
    "t10k-images.idx3-ubyte": 16 + 10000 * 28 * 28,
    "t10k-labels.idx1-ubyte": 8 + 10000,
}
MAX_IDX_BYTES = 2**31  # read_idx's default cap on a user's IDX file (uncompressed)
_CHUNK = 1 << 20
# IDX type codes (the third magic byte) -> the big-endian NumPy dtype they store.
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class _Stream:
    """The decompressed bytes of a raw or gzipped file, read in bounded chunks: GzipFile.read(n)
    never inflates more than n bytes at a time."""

    def __init__(self, path: Path) -> None:
        self.raw = open(path, "rb")  # closed by close()
        self.gzipped = self.raw.read(2) == b"\x1f\x8b"
        self.raw.seek(0)
        self.fh: IO[bytes] = gzip.GzipFile(fileobj=self.raw) if self.gzipped else self.raw
        self.sha = hashlib.sha256()

    def read_into(self, out: bytearray, start: int = 0) -> int:
        """Fill out[start:] (fewer bytes at the end of the file); returns the bytes read."""
        view, pos = memoryview(out), start
        while pos < len(out):
            chunk = self.fh.read(min(_CHUNK, len(out) - pos))
            if not chunk:
                break
            view[pos:pos + len(chunk)] = chunk
            self.sha.update(chunk)
            pos += len(chunk)
        return pos - start

    def at_end(self) -> bool:
        """True if nothing follows; reading the end also checks a gzip trailer's CRC."""
        return not self.fh.read(1)

    def close(self) -> None:
        self.fh.close()
        self.raw.close()


def _read_exactly(path: Path, size: int, what: str, fix: str) -> tuple[bytearray, str]:
    """The `size` uncompressed bytes of `path` and their SHA-256; refuses a file holding more
    or less, reading at most size + 1 bytes of its content."""
    try:
        # A raw file's size is known without reading it (a 6 GiB file costs nothing).
        if not _is_gzip(path) and path.stat().st_size != size:
            raise CorruptedFileError(
                f"{what}: {path} is {path.stat().st_size:,} bytes, but {size:,} are expected; "
                f"{fix}."
            )
        stream = _Stream(path)
        try:
            content = bytearray(size)
            got = stream.read_into(content)
            extra = got == size and not stream.at_end()
        finally:
            stream.close()
    except (OSError, EOFError, zlib.error) as err:
        raise CorruptedFileError(
            f"{what}: cannot read {path} ({err}); the file is damaged: {fix}."
        ) from err
    if got < size:
        raise CorruptedFileError(
            f"{what}: {path} holds only {got:,} bytes once uncompressed, {size:,} are expected; "
            f"the file is truncated: {fix}."
        )
    if extra:
        raise CorruptedFileError(
            f"{what}: {path} holds more than the expected {size:,} bytes once uncompressed "
            f"(reading stopped there; a decompression bomb?); {fix}."
        )
    return content, stream.sha.hexdigest()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _read_verified(path: Path, name: str, put_here: Path) -> bytearray:
    """The uncompressed bytes of `path`, after checking their size (while reading) and SHA-256."""
    fix = (f"delete it and put the original {name!r} (raw or .gz) in {put_here}, or run "
           "load_mnist() again with downloading enabled to fetch a fresh copy")
    content, digest = _read_exactly(path, SIZES[name], "load_mnist", fix)
    if digest != SHA256[name]:
        raise CorruptedFileError(
            f"load_mnist: {path} is corrupted: the SHA-256 of its uncompressed content is "
            f"{digest}, expected {SHA256[name]}; {fix}."
        )
    return content


def read_idx(path: str | os.PathLike, *, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file (the format of MNIST, Fashion-MNIST, EMNIST), raw or gzipped, as an
    array of its dtype and shape. The header declares the size; a file declaring more than
    `max_bytes` (uncompressed) is refused before its data is read, and one holding more or less
    than it declares is refused too."""
    path = Path(path).expanduser()
    fix = "check that it is an IDX file, or pass a larger max_bytes for a file you trust"
    try:
        stream = _Stream(path)
    except OSError as err:
        raise FileNotFoundError(f"read_idx: cannot open {path} ({err}).") from None
    try:
        try:
            magic = bytearray(4)
            got = stream.read_into(magic)
            if got < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES or magic[3] == 0:
                raise CorruptedFileError(
                    f"read_idx: {path} does not start with an IDX header (got {bytes(magic).hex()})"
                    f"; {fix}."
                )
            dtype, ndim = _IDX_DTYPES[magic[2]], magic[3]
            dims_raw = bytearray(4 * ndim)
            if stream.read_into(dims_raw) < len(dims_raw):
                raise CorruptedFileError(f"read_idx: {path} ends inside its header; {fix}.")
            dims = tuple(int(d) for d in np.frombuffer(bytes(dims_raw), dtype=">u4"))
            nbytes = math.prod(dims) * dtype.itemsize
            if 4 + len(dims_raw) + nbytes > max_bytes:
                raise CorruptedFileError(
                    f"read_idx: {path} declares shape {dims} of {dtype} ({nbytes:,} bytes), over "
                    f"max_bytes={max_bytes:,}; {fix}."
                )
            body = bytearray(nbytes)
            got = stream.read_into(body)
            extra = got == nbytes and not stream.at_end()
        finally:
            stream.close()
    except (OSError, EOFError, zlib.error) as err:
        raise CorruptedFileError(f"read_idx: cannot read {path} ({err}); {fix}.") from err
    if got < nbytes or extra:
        raise CorruptedFileError(
            f"read_idx: {path} declares shape {dims} ({nbytes:,} bytes of data) but holds "
            f"{'more' if extra else f'{got:,}'}; {fix}."
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def _download(name: str, target: Path) -> tuple[bytearray | None, list[str]]:
    """Fetch `name` from the mirrors into `target`; returns (content or None, errors). The
    response is read up to a bound (a .gz is never larger than its content plus a little), and
    inflated with the same size checks as a local file."""
    errors = []
    remote = name.replace(".idx", "-idx") + ".gz"
    limit = SIZES[name] + (1 << 20)
    for mirror in MIRRORS:
        url = mirror + remote
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}.gz.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                with urllib.request.urlopen(url, timeout=30) as response:
                    size = 0
                    while chunk := response.read(_CHUNK):
                        size += len(chunk)
                        if size > limit:
                            raise ValueError(f"the response exceeds {limit:,} bytes")
                        out.write(chunk)
            content, digest = _read_exactly(Path(tmp), SIZES[name], "load_mnist",
                                            "the mirror served a damaged file")
            if digest != SHA256[name]:
                raise ValueError("downloaded content fails the SHA-256 check")
            os.replace(tmp, target / (name + ".gz"))
            return content, errors
        except (OSError, EOFError, ValueError, zlib.error, http.client.HTTPException) as err:
            errors.append(f"{url}: {err}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return None, errors


def _parse_idx(content: bytes | bytearray, path: str, ndim: int) -> np.ndarray:
    """Decode an IDX file of unsigned bytes with `ndim` dimensions."""
    if len(content) < 4 + 4 * ndim or content[:3] != b"\x00\x00\x08" or content[3] != ndim:
        raise CorruptedFileError(
            f"load_mnist: {path} is not an IDX file of unsigned bytes with {ndim} dimension(s) "
            f"(header {bytes(content[:4]).hex()}); replace it with the original file."
        )
    dims = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise CorruptedFileError(
            f"load_mnist: {path} declares shape {dims} but holds {body.size} bytes of data; "
            "replace it with the original file."
        )
    return body.reshape(dims)


def _load_file(name: str, dirs: list[Path], target: Path, download: bool
               ) -> tuple[bytes | bytearray, str]:
    for directory in dirs:
        for path in _candidates(directory, name):
            if path.is_file():
                return _read_verified(path, name, directory), str(path)
    errors: list[str] = []
    if download:
        content, errors = _download(name, target)
        if content is not None:
            return content, str(target / (name + ".gz"))
    searched = ", ".join(str(d) for d in dirs)
    why = ("downloading is disabled (download=False or TINYGRAD_NP_DOWNLOAD=0)" if not download
           else "the download failed (" + "; ".join(errors) + ")")
    raise FileNotFoundError(
        f"load_mnist: MNIST file {name!r} (raw or .gz) was not found in {searched}, and {why}. "
        f"Put the four IDX files {sorted(SHA256)} (raw or .gz) in {target}, or pass "
        f"root='<dir with the files>', or set ${_ENV_DATA}; they are available from "
        f"{MIRRORS[0]} (as {name.replace('.idx', '-idx')}.gz)."
    )


def load_mnist(
    root: str | os.PathLike | None = None,
    *,
    flatten: bool = True,
    download: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as `(x_train, y_train, x_test, y_test)`.

    Images are float32 in [0, 1], shaped (N, 784) (or (N, 28, 28) with `flatten=False`); labels
    are int64. 60,000 training and 10,000 test images. See the module docstring for where files
    are looked up; `download=None` means "unless $TINYGRAD_NP_DOWNLOAD is 0".
    """
    if download is None:
        download = os.environ.get(_ENV_DOWNLOAD, "1").strip().lower() not in ("0", "false", "no")
    dirs = _search_dirs(root)
    target = dirs[0] if root is not None else _cache_dir()
    out = []
    for split in ("train", "t10k"):
        images, ipath = _load_file(f"{split}-images.idx3-ubyte", dirs, target, download)
        labels, lpath = _load_file(f"{split}-labels.idx1-ubyte", dirs, target, download)
        x = _parse_idx(images, ipath, 3)
        y = _parse_idx(labels, lpath, 1)
        if len(x) != len(y):
            raise CorruptedFileError(
                f"load_mnist: {ipath} holds {len(x)} images but {lpath} holds {len(y)} labels; "
                "replace them with the original files."
            )
        x = x.reshape(len(x), -1) if flatten else x
        out += [x.astype(np.float32) / np.float32(255.0), y.astype(np.int64)]
    return out[0], out[1], out[2], out[3]
