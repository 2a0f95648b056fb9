"""MNIST from the four original IDX files, offline first.

Lookup order for each file (gzipped or raw, named `train-images.idx3-ubyte` or
`train-images-idx3-ubyte`, optionally with `.gz`):

1. `root`, when given: only there (like torchvision's `root`);
2. otherwise `$TINYGRAD_NP_DATA` (the directory itself or its `mnist/` subdirectory), the
   repository's `data/mnist/` (present in a source checkout), then `~/.cache/tinygrad_np/mnist`.

Every file found is checked against the SHA-256 of its *uncompressed* content; a mismatch raises
`CorruptedFileError` naming the file and where to put a good copy. Only files that are missing
everywhere are downloaded (into `root`, or the cache), from a public mirror, and checked the
same way; `download=False` (or `TINYGRAD_NP_DOWNLOAD=0`) turns that off and a missing file raises
`FileNotFoundError` saying where to put it.
"""

from __future__ import annotations

import gzip
import io
import hashlib
import http.client
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

__all__ = ["CorruptedFileError", "load_mnist", "MIRRORS", "SHA256"]

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


# Each file's uncompressed size, known before reading: a file is read (and decompressed) only
# that far, so a damaged or hostile one cannot make load_mnist allocate more.
SIZES = {"train-images.idx3-ubyte": 47040016, "train-labels.idx1-ubyte": 60008,
         "t10k-images.idx3-ubyte": 7840016, "t10k-labels.idx1-ubyte": 10008}


def read_bounded(path: Path, size: int, who: str) -> bytes:
    """The (gunzipped) content of `path`, which must be exactly `size` bytes: read in chunks
    and refused as soon as it is longer, so memory stays bounded by `size`."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    if not gzipped and os.path.getsize(path) != size:
        raise CorruptedFileError(f"{who}: {path} is {os.path.getsize(path)} bytes, expected "
                                 f"{size}.")
    opener = gzip.open if gzipped else open
    content = bytearray()
    with opener(path, "rb") as fh:
        while len(content) <= size:
            chunk = fh.read(min(1 << 20, size + 1 - len(content)))
            if not chunk:
                break
            content += chunk
    if len(content) > size:
        raise CorruptedFileError(f"{who}: {path} decompresses to more than the {size} bytes "
                                 "this file has (reading stopped there).")
    if len(content) < size:
        raise CorruptedFileError(f"{who}: {path} holds {len(content)} bytes, expected {size}.")
    return bytes(content)


def _read_verified(path: Path, name: str, put_here: Path) -> bytes:
    """The uncompressed bytes of `path`, after checking their size and SHA-256."""
    fix = (f"delete it and put the original {name!r} (raw or .gz) in {put_here}, or run "
           "load_mnist() again with downloading enabled to fetch a fresh copy")
    try:
        content = read_bounded(path, SIZES[name], "load_mnist")
    except CorruptedFileError as err:
        raise CorruptedFileError(f"{err} The file is damaged: {fix}.") from None
    except (OSError, EOFError, zlib.error) as err:
        raise CorruptedFileError(
            f"load_mnist: cannot read {path} ({err}); the file is damaged: {fix}."
        ) from err
    digest = hashlib.sha256(content).hexdigest()
    if digest != SHA256[name]:
        raise CorruptedFileError(
            f"load_mnist: {path} is corrupted: the SHA-256 of its uncompressed content is "
            f"{digest}, expected {SHA256[name]}; {fix}."
        )
    return content


def _download(name: str, target: Path) -> tuple[bytes | None, list[str]]:
    """Fetch `name` from the mirrors into `target`; returns (content or None, errors)."""
    errors = []
    remote = name.replace(".idx", "-idx") + ".gz"
    for mirror in MIRRORS:
        url = mirror + remote
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                raw = response.read(SIZES[name] + 1)  # (gzipped, it is smaller still)
            content = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(SIZES[name] + 1)
            if len(content) != SIZES[name]:
                raise ValueError(f"{len(content)} bytes, expected {SIZES[name]}")
        except (OSError, EOFError, ValueError, zlib.error, http.client.HTTPException) as err:
            errors.append(f"{url}: {err}")
            continue
        if hashlib.sha256(content).hexdigest() != SHA256[name]:
            errors.append(f"{url}: downloaded content fails the SHA-256 check")
            continue
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / (name + ".gz.part")
        tmp.write_bytes(raw)
        tmp.replace(target / (name + ".gz"))
        return content, errors
    return None, errors


def _parse_idx(content: bytes, path: str, ndim: int) -> np.ndarray:
    """Decode an IDX file of unsigned bytes with `ndim` dimensions."""
    if len(content) < 4 + 4 * ndim or content[:3] != b"\x00\x00\x08" or content[3] != ndim:
        raise CorruptedFileError(
            f"load_mnist: {path} is not an IDX file of unsigned bytes with {ndim} dimension(s) "
            f"(header {content[:4].hex()}); replace it with the original file."
        )
    dims = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise CorruptedFileError(
            f"load_mnist: {path} declares shape {dims} but holds {body.size} bytes of data; "
            "replace it with the original file."
        )
    return body.reshape(dims)


def _load_file(name: str, dirs: list[Path], target: Path, download: bool) -> tuple[bytes, str]:
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
