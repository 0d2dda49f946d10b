"""Hostile files, built in the tests (never committed as binaries): each is small on disk and,
read naively, asks for hundreds of megabytes to gigabytes of memory."""

import gzip
import io
import json
import struct
import zipfile

import h5py
import numpy as np

import numdeep as nd

GIB = 1 << 30


def small_model():
    """The model every hostile weights file targets: ``Dense(3)`` on 4 features."""
    return nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])


def _dense_entry(f, path="layers/dense/vars"):
    group = f.require_group(path)
    group.create_dataset("0", data=np.ones((4, 3), "float32"))
    group.create_dataset("1", data=np.zeros(3, "float32"))
    return group


def _h5_bytes(fill, userblock=0):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=userblock) as f:
        fill(f)
    return buffer.getvalue()


def unwritten_chunks(f, count=6, side=1 << 14):
    """Chunked datasets that were never written: they store nothing and declare ``count`` GiB
    (``side`` x ``side`` float32 each)."""
    for i in range(count):
        f.require_group(f"layers/extra_{i}/vars").create_dataset(
            "0", shape=(side, side), dtype="float32", chunks=(64, 64))


def weights_h5_unwritten(path):
    """A ``.weights.h5`` (about 20 KB) whose extra entries declare 6 GiB."""
    path.write_bytes(_h5_bytes(lambda f: (_dense_entry(f), unwritten_chunks(f))))
    return path


def weights_h5_many_small(path, count=1200):
    """Many datasets just under the per-array floor (1 MiB, never written): 1.2 GB declared in
    all by a file of a few hundred KB."""
    def fill(f):
        _dense_entry(f)
        group = f.require_group("layers/extra/vars")
        for i in range(count):
            group.create_dataset(str(i), shape=(1 << 18,), dtype="float32", chunks=(1 << 12,))

    path.write_bytes(_h5_bytes(fill))
    return path


def weights_h5_compressed(path):
    """One gzip-compressed dataset of zeros: 32 MiB declared, about 32 KB stored."""
    def fill(f):
        _dense_entry(f)
        f.require_group("layers/extra/vars").create_dataset(
            "0", data=np.zeros((1 << 23,), "float32"), chunks=(1 << 21,), compression="gzip")

    path.write_bytes(_h5_bytes(fill))
    return path


def keras_zip(path, config, weights, metadata=b"{}", compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        zf.writestr("metadata.json", metadata)
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)
    return path


def model_config(units=3, features=4):
    """The ``config.json`` of ``small_model``, edited to other sizes (nothing that large is
    built here)."""
    text = json.dumps(nd.saving.serialize_keras_object(small_model()))
    return json.loads(text.replace("[null, 4]", f"[null, {features}]")
                      .replace('"units": 3', f'"units": {units}'))


def keras_unwritten(path):
    """A ``.keras`` (about 20 KB) whose weights declare 6 GiB never written."""
    return keras_zip(path, model_config(),
                     _h5_bytes(lambda f: (_dense_entry(f), unwritten_chunks(f))))


def keras_directory_unwritten(path):
    """A ``.keras`` saved as a directory (``zipped=False``) whose weights declare 6 GiB."""
    path.mkdir()
    (path / "metadata.json").write_text("{}")
    (path / "config.json").write_text(json.dumps(model_config()))
    (path / "model.weights.h5").write_bytes(
        _h5_bytes(lambda f: (_dense_entry(f), unwritten_chunks(f))))
    return path


def sharded_weights_unwritten(path):
    """A sharded ``.weights.json`` index whose one shard declares 6 GiB never written."""
    shard = weights_h5_unwritten(path.with_name(path.name.replace(".weights.json",
                                                                  "_00000.weights.h5")))
    path.write_text(json.dumps({"metadata": {"total_size": 60},
                                "weight_map": {"/layers/dense/vars": shard.name}}))
    return path


def keras_config_bomb(path, side=16_000):
    """A ``.keras`` of a few KB whose config builds a ``Dense`` of ``side`` x ``side`` (1 GB):
    the model the config describes is far larger than the weights the file stores."""
    return keras_zip(path, model_config(units=side, features=side),
                     _h5_bytes(lambda f: _dense_entry(f)))


def keras_zip_member_bomb(path):
    """A ``.keras`` whose weights member deflates 16 MiB of zeros into about 16 KB."""
    return keras_zip(path, model_config(), bytes(16 << 20), compress=zipfile.ZIP_DEFLATED)


def legacy_h5_unwritten(path):
    """A legacy whole-model ``.h5`` whose layer weights declare 4 GiB never written."""
    def fill(f):
        f.attrs["model_config"] = json.dumps(model_config())
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"dense"])
        sub = group.create_group("dense")
        sub.attrs["weight_names"] = np.array([b"dense/kernel", b"dense/bias"])
        sub.create_dataset("dense/kernel", shape=(1 << 15, 1 << 15), dtype="float32",
                           chunks=(64, 64))
        sub.create_dataset("dense/bias", data=np.zeros(3, "float32"))

    path.write_bytes(_h5_bytes(fill))
    return path


_ZEROS_16MIB = None


def _gzip_zeros():
    """16 MiB of zeros as one gzip member (about 16 KB); members concatenate."""
    global _ZEROS_16MIB
    if _ZEROS_16MIB is None:
        _ZEROS_16MIB = gzip.compress(bytes(16 << 20), 6)
    return _ZEROS_16MIB


def idx_gzip_bomb(path, gib=3):
    """A gzipped IDX label file (about 3 MB: gzip members of zeros back to back) that
    decompresses to ``gib`` GiB, with a header declaring exactly that."""
    count = gib * 64
    header = bytes([0, 0, 8, 1]) + np.array([count * (16 << 20)], ">u4").tobytes()
    path.write_bytes(gzip.compress(header) + _gzip_zeros() * count)
    return path


def idx_trailing_bomb(path):
    """A gzipped IDX file whose header declares 10 labels, followed by 1 GiB of zeros."""
    header = bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes()
    path.write_bytes(gzip.compress(header + bytes(10)) + _gzip_zeros() * 64)
    return path


def _npy(shape, dtype, data):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.dtype(dtype).str,
                                                  "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def mnist_npz_ratio_bomb(path):
    """A ``mnist.npz`` whose ``x_train`` deflates 16 MiB of zeros into about 16 KB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x_train.npy", _npy((1 << 24,), "u1", bytes(1 << 24)))
        for name in ("y_train", "x_test", "y_test"):
            zf.writestr(f"{name}.npy", _npy((1,), "u1", b"\0"))
    return path


def mnist_npz_header_bomb(path):
    """A ``mnist.npz`` whose ``x_train`` header declares 10 GB and holds one byte."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", _npy((10**10,), "u1", b"\0"))
        for name in ("y_train", "x_test", "y_test"):
            zf.writestr(f"{name}.npy", _npy((1,), "u1", b"\0"))
    return path


def safetensors_file(path, entries, data=b""):
    raw = json.dumps(entries).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def safetensors_zero_dim(path):
    """A tensor of shape ``[0, 10**30]``: no bytes, but no array NumPy can make."""
    return safetensors_file(path, {"w": {"dtype": "F32", "shape": [0, 10**30],
                                         "data_offsets": [0, 0]}})


def safetensors_huge(path):
    """A tensor that declares 4 TB and points at 16 bytes."""
    return safetensors_file(path, {"w": {"dtype": "F32", "shape": [10**6, 10**6],
                                         "data_offsets": [0, 16]}}, bytes(16))


def bert_checkpoint(path, **config):
    """A Hugging Face BERT checkpoint folder whose ``model.safetensors`` holds only a 10 x 8
    word-embedding table, and whose ``config.json`` is a width-8 BERT changed by ``config``."""
    path.mkdir()
    base = {"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 1, "intermediate_size": 8}
    (path / "config.json").write_text(json.dumps({**base, **config}))
    safetensors_file(path / "model.safetensors", {"embeddings.word_embeddings.weight": {
        "dtype": "F32", "shape": [10, 8], "data_offsets": [0, 320]}}, bytes(320))
    return path


def bert_layers_bomb(path):
    """A BERT checkpoint (1 KB) whose config declares a million encoder layers: built before
    the weights are compared, minutes and gigabytes of layers."""
    return bert_checkpoint(path, num_hidden_layers=10**6)


def bert_width_bomb(path):
    """A BERT checkpoint (1 KB) whose config declares two layers of width 65536 (about 200 GB
    of weights)."""
    return bert_checkpoint(path, hidden_size=1 << 16, intermediate_size=1 << 18,
                           num_hidden_layers=2, vocab_size=30522)
