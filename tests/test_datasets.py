"""tinygrad_np.datasets: the real MNIST files, corrupted and missing copies, and make_moons."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_np.datasets import CorruptedFileError, load_mnist, make_moons

REPO_MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"
FILES = ["train-images.idx3-ubyte", "train-labels.idx1-ubyte",
         "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"]
# The dataset's checked facts (docs/design.md, MNIST).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

needs_files = pytest.mark.skipif(
    not all((REPO_MNIST / (f + ".gz")).is_file() for f in FILES),
    reason="the MNIST IDX files are not in data/mnist/",
)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(REPO_MNIST, download=False)


@needs_files
def test_real_files_shapes_dtypes_range_and_label_counts(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS


@needs_files
def test_default_lookup_finds_the_repository_copy(monkeypatch, mnist):
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)
    _, y_train, _, y_test = load_mnist(download=False)
    np.testing.assert_array_equal(y_train, mnist[1])
    np.testing.assert_array_equal(y_test, mnist[3])


@needs_files
def test_raw_files_unflattened_and_env_var(tmp_path, monkeypatch, mnist):
    """Uncompressed copies named like the mirrors, found through $TINYGRAD_NP_DATA/mnist."""
    (tmp_path / "mnist").mkdir()
    for name in FILES:
        raw = gzip.decompress((REPO_MNIST / (name + ".gz")).read_bytes())
        (tmp_path / "mnist" / name.replace(".idx", "-idx")).write_bytes(raw)
    x_train, _, x_test, y_test = load_mnist(tmp_path / "mnist", flatten=False, download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    np.testing.assert_array_equal(x_test.reshape(10000, -1), mnist[2])
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(tmp_path))
    np.testing.assert_array_equal(load_mnist(download=False)[3], y_test)


@needs_files
def test_corrupted_copy_names_the_file_and_where_to_put_it(tmp_path):
    for name in FILES:
        shutil.copy(REPO_MNIST / (name + ".gz"), tmp_path / (name + ".gz"))
    bad = tmp_path / "train-labels.idx1-ubyte.gz"
    content = bytearray(gzip.decompress(bad.read_bytes()))
    content[100] ^= 1  # one flipped bit inside a valid gzip stream
    bad.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(CorruptedFileError) as info:
        load_mnist(tmp_path, download=False)
    msg = str(info.value)
    assert "load_mnist" in msg and str(bad) in msg and "SHA-256" in msg
    assert "train-labels.idx1-ubyte" in msg and "put the original 'train-labels.idx1-ubyte'" in msg
    assert str(tmp_path) in msg


@needs_files
def test_truncated_gzip_is_reported_as_corrupted(tmp_path):
    for name in FILES:
        shutil.copy(REPO_MNIST / (name + ".gz"), tmp_path / (name + ".gz"))
    bad = tmp_path / "t10k-images.idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:5000])
    with pytest.raises(CorruptedFileError, match=r"cannot read .*t10k-images\.idx3-ubyte\.gz"):
        load_mnist(tmp_path, download=False)


def test_missing_files_without_download_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, download=False)
    msg = str(info.value)
    assert "load_mnist" in msg and "'train-images.idx3-ubyte'" in msg
    assert f"in {tmp_path}" in msg and "downloading is disabled" in msg
    assert "root=" in msg and "TINYGRAD_NP_DATA" in msg and "https://" in msg


def test_download_env_var_disables_download(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_NP_DOWNLOAD", "0")
    with pytest.raises(FileNotFoundError, match="downloading is disabled"):
        load_mnist(tmp_path)


def test_make_moons_shapes_labels_and_seed():
    x, y = make_moons(101, noise=0.1, seed=0)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    x2, y2 = make_moons(101, noise=0.1, seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make_moons(101, noise=0.1, seed=1)[0], x)


def test_make_moons_geometry_without_noise():
    x, y = make_moons(200, seed=0)
    outer, inner = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (outer[:, 1] >= -1e-7).all() and (inner[:, 1] <= 0.5 + 1e-7).all()


def test_make_moons_errors():
    with pytest.raises(ValueError, match="make_moons: n_samples"):
        make_moons(1)
    with pytest.raises(ValueError, match="make_moons: noise"):
        make_moons(10, noise=-0.1)


def _offline(monkeypatch):
    """Make every download attempt fail as it would without a network, and record the URLs."""
    import urllib.error
    import urllib.request

    calls = []

    def urlopen(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return calls


def test_failed_download_is_a_clear_error(tmp_path, monkeypatch):
    calls = _offline(monkeypatch)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, download=True)
    msg = str(info.value)
    assert "the download failed" in msg and "no network (test)" in msg
    assert f"in {tmp_path}" in msg
    assert calls and all(u.endswith("train-images-idx3-ubyte.gz") for u in calls)
    assert not list(tmp_path.iterdir())  # nothing half-written


@needs_files
def test_no_download_attempt_when_local_files_exist(monkeypatch):
    calls = _offline(monkeypatch)
    load_mnist(REPO_MNIST, download=True)
    assert calls == []
