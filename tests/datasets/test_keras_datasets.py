"""The Keras datasets downloaded from a local HTTP server (never the internet) that serves small
synthetic files in each data set's real format: shapes, dtypes and values, the hash check, and
parity with Keras's own ``load_data`` on the same file (when Keras is installed)."""

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

from numdeep.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from numdeep.datasets.mnist import write_idx


def _serve(server, monkeypatch, module, name, data, hash_attr="SHA256"):
    """Serve ``data`` as ``name`` and point ``module`` at the server with the data's hash."""
    server.files["/" + name] = data
    monkeypatch.setattr(module, "ORIGIN", server.url("/"))
    if hash_attr:
        monkeypatch.setattr(module, hash_attr, hashlib.sha256(data).hexdigest())


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _keras_with_file(monkeypatch, module_name, path):
    """Keras's loader of ``module_name`` reading ``path`` instead of downloading."""
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras_module = pytest.importorskip(f"keras.src.datasets.{module_name}")
    monkeypatch.setattr(keras_module, "get_file", lambda *a, **k: str(path))
    return keras_module


def test_mnist_downloads_npz_and_checks_keras_hash(server, cache, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    data = _npz(**arrays)
    server.files["/mnist.npz"] = data
    monkeypatch.setattr(mnist, "ORIGIN", server.url("/"))
    # Keras's real hash rejects the synthetic file, and nothing is cached
    with pytest.raises(ValueError, match="Incomplete or corrupted file.*731c5ac6"):
        mnist.load_data()
    assert not (cache / "numdeep_home" / "datasets" / "mnist.npz").exists()
    monkeypatch.setattr(mnist, "NPZ_SHA256", hashlib.sha256(data).hexdigest())
    (xtr, ytr), (xte, yte) = mnist.load_data()
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    np.testing.assert_array_equal(yte, arrays["y_test"])
    assert xtr.dtype == np.uint8 and xte.shape == (3, 28, 28)
    assert (cache / "numdeep_home" / "datasets" / "mnist.npz").is_file()
    mnist.load_data()  # from the cache
    assert len(server.requests) == 2


def test_fashion_mnist_idx_files(server, cache, monkeypatch):
    rng = np.random.default_rng(1)
    parts = {"train": (rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
                       rng.integers(0, 10, 5, dtype=np.uint8)),
             "t10k": (rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
                      rng.integers(0, 10, 2, dtype=np.uint8))}
    tmp = cache / "src"
    tmp.mkdir()
    for split, (x, y) in parts.items():
        for kind, array in (("images-idx3", x), ("labels-idx1", y)):
            name = f"{split}-{kind}-ubyte.gz"
            write_idx(tmp / name, array)
            server.files["/" + name] = (tmp / name).read_bytes()
    monkeypatch.setattr(fashion_mnist, "ORIGIN", server.url("/"))
    (xtr, ytr), (xte, yte) = fashion_mnist.load_data()
    np.testing.assert_array_equal(xtr, parts["train"][0])
    np.testing.assert_array_equal(yte, parts["t10k"][1])
    assert (cache / "numdeep_home" / "datasets" / "fashion-mnist"
            / "t10k-images-idx3-ubyte.gz").is_file()
    # a corrupt file is refused by the strict reader
    server.files["/train-labels-idx1-ubyte.gz"] = gzip.compress(b"\x00\x00\x08\x01\x00\x00")
    monkeypatch.setenv("NUMDEEP_HOME", str(cache / "fresh"))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()


class _Py2Pickler(pickle._Pickler):
    """Protocol 2 with bytes written as Python 2 ``str`` (BINSTRING), as in CIFAR's real files
    (Python 3 would route bytes through ``_codecs.encode`` at this protocol)."""

    def save_bytes(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch = pickle._Pickler.dispatch.copy()
    dispatch[bytes] = save_bytes


def _py2_pickle(obj):
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _cifar_batch(rng, n, label_keys):
    batch = {b"batch_label": b"synthetic", b"filenames": [b"f%d.png" % i for i in range(n)],
             b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for key, classes in label_keys.items():
        batch[key.encode()] = [int(v) for v in rng.integers(0, classes, n)]
    return batch


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def test_cifar10_tarball_of_pickles(server, cache, monkeypatch):
    rng = np.random.default_rng(2)
    batches = {f"data_batch_{i}": _cifar_batch(rng, 4, {"labels": 10}) for i in range(1, 6)}
    batches["test_batch"] = _cifar_batch(rng, 3, {"labels": 10})
    archive = _tar({f"cifar-10-batches-py/{k}": _py2_pickle(v)
                    for k, v in batches.items()})
    server.files["/cifar-10-python.tar.gz"] = archive
    monkeypatch.setattr(cifar10, "ORIGIN", server.url("/cifar-10-python.tar.gz"))
    monkeypatch.setattr(cifar10, "SHA256", hashlib.sha256(archive).hexdigest())
    (xtr, ytr), (xte, yte) = cifar10.load_data()
    assert xtr.shape == (20, 32, 32, 3) and xte.shape == (3, 32, 32, 3)
    assert ytr.shape == (20, 1) and ytr.dtype == np.uint8 and xtr.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(xtr[0], first)
    assert ytr[4:8, 0].tolist() == batches["data_batch_2"][b"labels"]
    root = cache / "numdeep_home" / "datasets"
    assert (root / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").is_file()
    assert (root / "cifar-10-batches-py-target_archive").is_file()
    # Keras's own batch reader agrees (its load_data assumes 10,000-image batches)
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras_cifar = pytest.importorskip("keras.src.datasets.cifar")
    kx, ky = keras_cifar.load_batch(str(root / "cifar-10-batches-py-target" / "cifar-10-batches-py"
                                        / "test_batch"))
    np.testing.assert_array_equal(kx.transpose(0, 2, 3, 1), xte)
    assert list(ky) == yte[:, 0].tolist()


def test_cifar100_label_modes(server, cache, monkeypatch):
    rng = np.random.default_rng(3)
    parts = {k: _cifar_batch(rng, n, {"fine_labels": 100, "coarse_labels": 20})
             for k, n in (("train", 5), ("test", 2))}
    archive = _tar({f"cifar-100-python/{k}": _py2_pickle(v)
                    for k, v in parts.items()})
    server.files["/c100.tar.gz"] = archive
    monkeypatch.setattr(cifar100, "ORIGIN", server.url("/c100.tar.gz"))
    monkeypatch.setattr(cifar100, "SHA256", hashlib.sha256(archive).hexdigest())
    (_, fine), _ = cifar100.load_data()
    (_, coarse), (xte, _) = cifar100.load_data(label_mode="coarse")
    assert fine[:, 0].tolist() == parts["train"][b"fine_labels"] and fine.shape == (5, 1)
    assert coarse[:, 0].tolist() == parts["train"][b"coarse_labels"]
    assert xte.shape == (2, 32, 32, 3)
    assert len(server.requests) == 1  # extracted once, reused
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_cifar_pickle_that_runs_code_is_refused(server, cache, monkeypatch, tmp_path):
    rng = np.random.default_rng(4)
    batch = _cifar_batch(rng, 2, {"labels": 10})
    batch[b"payload"] = _Evil()
    members = {f"cifar-10-batches-py/data_batch_{i}": _py2_pickle(batch)
               for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = _py2_pickle(batch)
    archive = _tar(members)
    server.files["/c10.tar.gz"] = archive
    monkeypatch.setattr(cifar10, "ORIGIN", server.url("/c10.tar.gz"))
    monkeypatch.setattr(cifar10, "SHA256", hashlib.sha256(archive).hexdigest())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="data_batch_1.*Refusing to load `posix.system`"):
        cifar10.load_data()
    assert not (tmp_path / "pwned.txt").exists()


def _ragged(rng, n, vocab):
    out = np.empty(n, dtype=object)
    out[:] = [[int(w) for w in rng.integers(1, vocab, rng.integers(1, 12))] for _ in range(n)]
    return out


def test_imdb_matches_keras_processing(server, cache, monkeypatch):
    rng = np.random.default_rng(5)
    data = _npz(x_train=_ragged(rng, 20, 50), y_train=rng.integers(0, 2, 20),
                x_test=_ragged(rng, 10, 50), y_test=rng.integers(0, 2, 10))
    _serve(server, monkeypatch, imdb, "imdb.npz", data)
    (xtr, ytr), (xte, yte) = imdb.load_data()
    assert xtr.dtype == object and len(xtr) == 20 and len(xte) == 10
    assert all(x[0] == 1 for x in xtr)  # start_char
    path = cache / "numdeep_home" / "datasets" / "imdb.npz"
    keras_imdb = _keras_with_file(monkeypatch, "imdb", path)
    for kwargs in ({}, {"num_words": 20, "skip_top": 4}, {"maxlen": 9, "seed": 7},
                   {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 30}):
        (a, b), (c, d) = imdb.load_data(**kwargs)
        (ka, kb), (kc, kd) = keras_imdb.load_data(**kwargs)
        assert [list(x) for x in a] == [list(x) for x in ka], kwargs
        assert [list(x) for x in c] == [list(x) for x in kc], kwargs
        np.testing.assert_array_equal(b, kb)
        np.testing.assert_array_equal(d, kd)
    with pytest.raises(ValueError, match="no sequence was kept"):
        imdb.load_data(maxlen=1)


def test_reuters_matches_keras_processing(server, cache, monkeypatch):
    rng = np.random.default_rng(6)
    data = _npz(x=_ragged(rng, 30, 60), y=rng.integers(0, 46, 30))
    _serve(server, monkeypatch, reuters, "reuters.npz", data)
    path = cache / "numdeep_home" / "datasets" / "reuters.npz"
    (xtr, ytr), (xte, yte) = reuters.load_data()
    assert len(xtr) == 24 and len(xte) == 6 and ytr.shape == (24,)
    keras_reuters = _keras_with_file(monkeypatch, "reuters", path)
    for kwargs in ({}, {"num_words": 25, "test_split": 0.5}, {"maxlen": 8, "skip_top": 3}):
        (a, b), (c, d) = reuters.load_data(**kwargs)
        (ka, kb), (kc, kd) = keras_reuters.load_data(**kwargs)
        assert [list(x) for x in a] == [list(x) for x in ka], kwargs
        assert [list(x) for x in c] == [list(x) for x in kc], kwargs
        np.testing.assert_array_equal(b, kb)
        np.testing.assert_array_equal(d, kd)
    assert len(reuters.get_label_names()) == 46


def test_object_npz_with_code_is_refused(server, cache, monkeypatch, tmp_path):
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil()
    data = _npz(x=evil, y=np.zeros(1, np.int64))
    _serve(server, monkeypatch, reuters, "reuters.npz", data)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="Refusing to load"):
        reuters.load_data()
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("module, features", [(boston_housing, 13), (california_housing, 8)])
def test_housing_split_matches_keras(server, cache, monkeypatch, module, features):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(50, features)), rng.normal(size=50) * 10 + 20
    name = module.__name__.rsplit(".", 1)[1] + ".npz"
    _serve(server, monkeypatch, module, name, _npz(x=x, y=y))
    (xtr, ytr), (xte, yte) = module.load_data(test_split=0.3, seed=3)
    assert xtr.shape == (35, features) and xte.shape == (15, features)
    assert sorted(np.concatenate([ytr, yte]).tolist()) == sorted(y.tolist())
    keras_module = _keras_with_file(monkeypatch, name[:-4],
                                    cache / "numdeep_home" / "datasets" / name)
    (kx, ky), (kxt, kyt) = keras_module.load_data(test_split=0.3, seed=3)
    np.testing.assert_array_equal(kx, xtr)
    np.testing.assert_array_equal(kyt, yte)
    with pytest.raises(ValueError, match="test_split"):
        module.load_data(test_split=1.0)


def test_california_small_version(server, cache, monkeypatch):
    x, y = np.arange(700 * 8.0).reshape(700, 8), np.arange(700.0)
    _serve(server, monkeypatch, california_housing, "california_housing.npz", _npz(x=x, y=y))
    (xtr, _), (xte, _) = california_housing.load_data(version="small")
    assert len(xtr) + len(xte) == 600 and xtr.max() < 600 * 8
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="tiny")
