import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from numdeep.datasets import digits, mnist

SHARED_MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"


# ----- digits ---------------------------------------------------------------------------------
def test_load_digits():
    x, y = digits.load_digits()
    assert x.shape == (1797, 8, 8) and y.shape == (1797,)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    assert x.min() == 0 and x.max() == 16
    assert sorted(np.unique(y).tolist()) == list(range(10))
    assert y[:10].tolist() == list(range(10))  # the file starts 0, 1, 2, ...


def test_digits_split_sizes_stratified_and_deterministic():
    (xtr, ytr), (xte, yte) = digits.load_data()
    assert (len(xtr), len(xte)) == (1438, 359) and len(ytr) == 1438 and len(yte) == 359
    assert xtr.shape[1:] == (8, 8) and xtr.dtype == np.uint8 and yte.dtype == np.uint8
    _, counts = np.unique(yte, return_counts=True)
    assert counts.min() >= 35 and counts.max() <= 37  # ~20 % of ~180 per class
    (xtr2, ytr2), (xte2, yte2) = digits.load_data()
    np.testing.assert_array_equal(xtr, xtr2)
    np.testing.assert_array_equal(yte, yte2)
    (_, ytr3), _ = digits.load_data(seed=1)
    assert not np.array_equal(ytr, ytr3)
    # train and test are disjoint and together are the whole set
    x, _ = digits.load_digits()
    flat = {r.tobytes() for r in x.reshape(len(x), -1)}
    both = np.concatenate([xtr, xte]).reshape(1797, -1)
    assert len({r.tobytes() for r in both}) == len(flat)


def test_digits_split_edges_and_global_state():
    state = np.random.get_state()
    (xtr, _), (xte, _) = digits.load_data(test_split=0.0)
    assert len(xtr) == 1797 and xte.shape == (0, 8, 8)
    assert np.array_equal(state[1], np.random.get_state()[1])
    with pytest.raises(ValueError, match="test_split"):
        digits.load_data(test_split=1.0)


# ----- mnist: synthetic files -------------------------------------------------------------------
def _fake(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, np.uint8)


def _write_set(d, gz=True, only_test=False):
    d.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    data = {"train": _fake(12, 0), "t10k": _fake(5, 1)}
    for split, (x, y) in data.items():
        if only_test and split == "train":
            continue
        mnist.write_idx(d / f"{split}-images-idx3-ubyte{ext}", x)
        mnist.write_idx(d / f"{split}-labels-idx1-ubyte{ext}", y)
    return data


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx_directory(tmp_path, gz):
    data = _write_set(tmp_path, gz=gz)
    (xtr, ytr), (xte, yte) = mnist.load_data(tmp_path)
    np.testing.assert_array_equal(xtr, data["train"][0])
    np.testing.assert_array_equal(ytr, data["train"][1])
    np.testing.assert_array_equal(xte, data["t10k"][0])
    np.testing.assert_array_equal(yte, data["t10k"][1])
    assert xtr.dtype == np.uint8 and xtr.flags.writeable


def test_read_idx_other_dtypes_round_trip(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5
    mnist.write_idx(tmp_path / "a.idx", a)
    out = mnist.read_idx(tmp_path / "a.idx")
    np.testing.assert_array_equal(out, a)
    assert out.dtype == np.float32
    raw = (tmp_path / "a.idx").read_bytes()
    assert raw[:4] == b"\x00\x00\x0d\x03"


def test_mnist_npz_file_and_directory(tmp_path):
    (xtr, ytr), (xte, yte) = _fake(6, 2), _fake(3, 3)
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    for path in (tmp_path / "mnist.npz", tmp_path, str(tmp_path)):
        (a, b), (c, d) = mnist.load_data(path)
        np.testing.assert_array_equal(a, xtr)
        np.testing.assert_array_equal(d, yte)
    digest = hashlib.sha256((tmp_path / "mnist.npz").read_bytes()).hexdigest()
    mnist.load_data(tmp_path / "mnist.npz", sha256=digest)
    with pytest.raises(ValueError, match="sha256 mismatch.*mnist.npz"):
        mnist.load_data(tmp_path / "mnist.npz", sha256="0" * 64)


def test_mnist_bad_npz(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros(3))
    with pytest.raises(ValueError, match="mnist.npz.*missing arrays"):
        mnist.load_data(tmp_path)
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="garbage.npz"):
        mnist.load_data(bad)
    obj = tmp_path / "obj.npz"
    np.savez(obj, x_train=np.array([{}], dtype=object), y_train=[1], x_test=[1], y_test=[1])
    with pytest.raises(ValueError, match="obj.npz"):  # pickled objects are refused
        mnist.load_data(obj)


def test_mnist_truncated_bad_magic_and_mismatch(tmp_path):
    _write_set(tmp_path, gz=False)
    img = tmp_path / "train-images-idx3-ubyte"
    good = img.read_bytes()
    img.write_bytes(good[:-7])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*truncated"):
        mnist.load_data(tmp_path)
    img.write_bytes(good + b"\x00")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*trailing"):
        mnist.load_data(tmp_path)
    img.write_bytes(b"\x00\x00\x07\x03" + good[4:])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*magic"):
        mnist.load_data(tmp_path)
    img.write_bytes(good[:6])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*header"):
        mnist.load_data(tmp_path)
    img.write_bytes(good)
    mnist.write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="12 images.*4 labels"):
        mnist.load_data(tmp_path)
    mnist.write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((12, 1), np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.*labels of shape"):
        mnist.load_data(tmp_path)


def test_mnist_truncated_gzip(tmp_path):
    _write_set(tmp_path, gz=True)
    lbl = tmp_path / "t10k-labels-idx1-ubyte.gz"
    lbl.write_bytes(lbl.read_bytes()[:-10])
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz.*gzip"):
        mnist.load_data(tmp_path)
    # a valid gzip stream holding truncated IDX data
    lbl.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01"))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz.*truncated"):
        mnist.load_data(tmp_path)


def test_mnist_missing_files_message(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMDEEP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    import socket

    from numdeep.utils import downloads

    with socket.socket() as s:  # offline: a local port nobody listens on (never the internet)
        s.bind(("127.0.0.1", 0))
        monkeypatch.setattr(mnist, "ORIGIN", f"http://127.0.0.1:{s.getsockname()[1]}/")
    monkeypatch.setattr(downloads, "_BACKOFF", 0.01)
    with pytest.raises(downloads.DownloadError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert mnist.ORIGIN + "mnist.npz" in msg
    assert str(tmp_path / "home" / "datasets" / "mnist.npz") in msg
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mnist.load_data(tmp_path / "nowhere")
    _write_set(tmp_path / "t10k", only_test=True)
    with pytest.raises(FileNotFoundError, match="load_t10k_split"):
        mnist.load_data(tmp_path / "t10k")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="t10k test files are missing"):
        mnist.load_t10k_split(tmp_path / "empty")


def test_mnist_cache_dir_lookup(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMDEEP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data = _write_set(tmp_path / "keras" / "datasets")
    (xtr, _), _ = mnist.load_data()
    np.testing.assert_array_equal(xtr, data["train"][0])
    data = _write_set(tmp_path / "home" / "datasets", gz=False)
    (_, _), (_, yte) = mnist.load_t10k_split()
    np.testing.assert_array_equal(yte, data["t10k"][1][::5])


def test_t10k_split_synthetic(tmp_path):
    x, y = _fake(10, 4)
    mnist.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x)
    mnist.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y)
    (xtr, ytr), (xte, yte) = mnist.load_t10k_split(tmp_path)
    np.testing.assert_array_equal(xte, x[[0, 5]])
    np.testing.assert_array_equal(ytr, y[[1, 2, 3, 4, 6, 7, 8, 9]])


# ----- mnist: the real test set -----------------------------------------------------------------
@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="shared MNIST test files not present")
def test_real_t10k_split():
    (xtr, ytr), (xte, yte) = mnist.load_t10k_split(SHARED_MNIST, sha256=mnist.T10K_SHA256)
    assert xtr.shape == (8000, 28, 28) and xte.shape == (2000, 28, 28)
    assert ytr.shape == (8000,) and yte.shape == (2000,)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.uint8
    assert set(np.unique(yte).tolist()) == set(range(10)) and xtr.max() == 255
    assert yte[:5].tolist() == [7, 1, 0, 5, 9]  # t10k labels number 0, 5, 10, 15, 20
