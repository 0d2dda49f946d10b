"""Damaged files: cut at 0/10/50/99 %, wrong magic, random bit flips. Every failure is one
``CorruptFileError`` naming the file and format; a load that succeeds gives the original model;
a failed ``load_weights`` leaves the target model unchanged."""

import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.saving import CorruptFileError
from tests.saving.common import data, mlp, weights_equal

FORMATS = {
    "model.keras": ("save", ".keras"),
    "model.h5": ("save", "HDF5"),
    "model.weights.h5": ("save_weights", "weights"),
    "legacy_weights.h5": ("save_weights", "HDF5"),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    model = mlp()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    out = {}
    for name, (method, _) in FORMATS.items():
        path = root / name
        getattr(model, method)(path)
        out[name] = path.read_bytes()
    return model, out


def _try_load(name, path, reference):
    method, fmt = FORMATS[name]
    target = mlp(seed=5)
    before = target.get_weights()
    try:
        if method == "save":
            loaded = nd.models.load_model(path)
        else:
            target.load_weights(path)
            loaded = target
    except CorruptFileError as e:
        assert str(path) in str(e) and fmt in str(e), str(e)
        assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))
        return "refused"
    assert weights_equal(loaded, reference), f"{name}: a damaged file loaded different weights"
    return "loaded"


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.99])
def test_truncated_files_raise_corrupt_file_error(saved, tmp_path, name, fraction):
    reference, files = saved
    raw = files[name]
    path = tmp_path / name
    path.write_bytes(raw[:int(len(raw) * fraction)])
    assert _try_load(name, path, reference) == "refused"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_wrong_magic_raises_corrupt_file_error(saved, tmp_path, name):
    reference, files = saved
    path = tmp_path / name
    raw = files[name]
    at = max(raw.find(b"\x89HDF\r\n\x1a\n"), 0)  # the HDF5 signature, or the zip's at 0
    path.write_bytes(raw[:at] + b"GARBAGE!" + raw[at + 8:])
    assert _try_load(name, path, reference) == "refused"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_random_bit_flips_never_load_wrong_weights(saved, tmp_path, name):
    reference, files = saved
    raw = files[name]
    rng = np.random.default_rng(1234)
    outcomes = []
    for trial in range(50):
        damaged = bytearray(raw)
        bit = int(rng.integers(0, len(raw) * 8))
        damaged[bit // 8] ^= 1 << (bit % 8)
        path = tmp_path / f"{trial}_{name}"
        path.write_bytes(bytes(damaged))
        outcome = _try_load(name, path, reference)
        os.remove(path)
        if name.endswith(".h5") and not 79 <= bit // 8 < 512:
            # numdeep's HDF5 files are checksummed everywhere but the header's padding
            assert outcome == "refused", f"flip at byte {bit // 8} went unnoticed"
        outcomes.append(outcome)
    assert outcomes.count("refused") >= 25, outcomes  # most flips hit checksummed bytes
