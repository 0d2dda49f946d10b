"""Issue 17, item 7: the ``.keras`` and ``.weights.h5`` files numdeep writes carry a SHA-256 of
their weights (in the HDF5 user block, which HDF5, h5py and Keras skip), verified on load, so a
changed array is refused even when the zip's CRC-32 was recomputed; files from other tools
(no checksum) still load; a ``.keras`` with garbage in its first bytes is refused."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import CorruptFileError
from numdeep.saving.h5io import MAGIC
from tests.reliability import hostile


def model():
    nd.utils.set_random_seed(0)
    m = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    return m


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(path, content):
    """Write ``content`` as a fresh zip (fresh CRC-32s: only numdeep's checksum can tell)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    return path


def flip_array_byte(h5_bytes, dataset="layers/dense/vars/0"):
    data = bytearray(h5_bytes)
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        offset = f[dataset].id.get_offset()
    data[offset + 1] ^= 0x40
    return bytes(data)


def test_keras_weights_carry_a_checksum(tmp_path):
    model().save(tmp_path / "m.keras")
    assert members(tmp_path / "m.keras")["model.weights.h5"].startswith(MAGIC)


def test_keras_with_a_changed_array_is_refused_despite_a_valid_crc(tmp_path):
    model().save(tmp_path / "m.keras")
    content = members(tmp_path / "m.keras")
    content["model.weights.h5"] = flip_array_byte(content["model.weights.h5"])
    with pytest.raises(CorruptFileError, match="SHA-256"):
        nd.saving.load_model(rezip(tmp_path / "bad.keras", content))
    other = model()
    before = other.get_weights()
    with pytest.raises(CorruptFileError, match="SHA-256"):
        other.load_weights(tmp_path / "bad.keras")
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))


def test_weights_h5_with_a_changed_array_is_refused(tmp_path):
    model().save_weights(tmp_path / "w.weights.h5")
    data = flip_array_byte((tmp_path / "w.weights.h5").read_bytes())
    (tmp_path / "bad.weights.h5").write_bytes(data)
    with pytest.raises(CorruptFileError, match="SHA-256"):
        model().load_weights(tmp_path / "bad.weights.h5")


def test_files_without_a_checksum_still_load(tmp_path):
    # As another tool writes them: plain HDF5, no user block.
    source = model()
    source.set_weights([np.full((4, 3), 0.5, "float32"), np.full(3, -1.0, "float32")])
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        group = f.require_group("layers/dense/vars")
        for i, w in enumerate(source.get_weights()):
            group.create_dataset(str(i), data=w)
    hostile.keras_zip(tmp_path / "other.keras", hostile.model_config(), buffer.getvalue())
    loaded = nd.saving.load_model(tmp_path / "other.keras")
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), source.get_weights()))
    (tmp_path / "other.weights.h5").write_bytes(buffer.getvalue())
    target = model()
    target.load_weights(tmp_path / "other.weights.h5")
    assert np.array_equal(target.get_weights()[0], source.get_weights()[0])


@pytest.mark.parametrize("how", ["prepended", "over signature", "over header",
                                 "over 30 bytes", "over metadata"])
def test_keras_with_garbage_in_its_first_bytes_is_refused(tmp_path, how):
    model().save(tmp_path / "m.keras")
    raw = (tmp_path / "m.keras").read_bytes()
    garbage = b"GARBAGE!" * 8
    damaged = {
        "prepended": garbage + raw,
        "over signature": b"XXXX" + raw[4:],
        "over header": raw[:10] + b"\xff" * 12 + raw[22:],  # CRC and sizes of member one
        "over 30 bytes": garbage[:30] + raw[30:],
        "over metadata": raw[:60] + b"\x00" * 20 + raw[80:],  # inside metadata.json's data
    }[how]
    (tmp_path / "bad.keras").write_bytes(damaged)
    with pytest.raises(CorruptFileError):
        nd.saving.load_model(tmp_path / "bad.keras")


def test_metadata_must_be_json(tmp_path):
    model().save(tmp_path / "m.keras")
    content = members(tmp_path / "m.keras")
    content["metadata.json"] = b"\x00not json"
    with pytest.raises(CorruptFileError, match="metadata.json"):
        nd.saving.load_model(rezip(tmp_path / "bad.keras", content))
    content["metadata.json"] = json.dumps({"keras_version": "3.6.0"}).encode()
    assert nd.saving.load_model(rezip(tmp_path / "ok.keras", content)).count_params() == 15
