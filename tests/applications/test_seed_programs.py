"""The ResNet50 tutorial program runs on numdeep with only its import lines changed, given the
files in Keras's cache, and prints what Keras prints.

The program is Keras's "classify ImageNet classes with ResNet50" snippet. Its files are made
offline: real Keras 3 (torch backend) builds ResNet50 with random weights and writes them as
Keras's published ``resnet50_weights_tf_dim_ordering_tf_kernels.h5`` (legacy layout) into a
temporary ``$KERAS_HOME/models``, next to an ``imagenet_class_index.json``; the photo is a
random JPEG. Keras then runs the same program on the same files. The published MD5 hashes
cannot match locally made files, so both libraries are told the hashes of these ones.
"""

import json
import os
import warnings

import numpy as np
import pytest

from tests.applications import parity

pytest.importorskip("torch")
pytest.importorskip("PIL")
keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore")

PROGRAM = """
from keras.applications.resnet50 import ResNet50
from keras.preprocessing import image
from keras.applications.resnet50 import preprocess_input, decode_predictions
import numpy as np

model = ResNet50(weights='imagenet')

img_path = 'elephant.jpg'
img = image.load_img(img_path, target_size=(224, 224))
x = image.img_to_array(img)
x = np.expand_dims(x, axis=0)
x = preprocess_input(x)

preds = model.predict(x)
print('Predicted:', decode_predictions(preds, top=3)[0])
"""
WEIGHTS = "resnet50_weights_tf_dim_ordering_tf_kernels.h5"


def _numdeep_program():
    """The same program with its import lines (and only those) naming numdeep."""
    lines = [line.replace("from keras.", "from numdeep.") if line.startswith("from ") else line
             for line in PROGRAM.splitlines()]
    changed = [a for a, b in zip(lines, PROGRAM.splitlines()) if a != b]
    assert len(changed) == 3 and all(line.startswith("from numdeep.") for line in changed)
    return "\n".join(lines)


def _md5(path):
    import hashlib

    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _write_keras_cache(models_dir):
    """ResNet50 with random (well-scaled) weights, written as Keras's published file; the
    classifier is scaled so its softmax does not saturate (ties would hide a wrong top-3)."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    # Keras draws the kernels from its own generator: seeded, the fixture (and so the margin
    # between the top classes checked below) is the same at every run.
    keras.utils.set_random_seed(1)
    model = keras.applications.ResNet50(weights=None)
    parity.randomize_keras(model, seed=1)
    features = keras.Model(model.inputs, model.get_layer("avg_pool").output)
    sample = keras.applications.resnet50.preprocess_input(parity.images(224, seed=2, n=4))
    kernel, bias = (np.asarray(w) for w in model.get_layer("predictions").weights)
    logits = np.asarray(features.predict(sample, verbose=0)) @ kernel
    scale = 2.0 / max(float(logits.std()), 1e-6)
    model.get_layer("predictions").set_weights([kernel * scale, bias * 0.0])
    path = os.path.join(models_dir, WEIGHTS)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    with open(os.path.join(models_dir, "imagenet_class_index.json"), "w") as f:
        json.dump(index, f)
    return path, index


def _run(program, cwd):
    namespace = {}
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(program, "seed_program.py", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(old)
    return namespace


def test_resnet50_load_img_decode_predictions_as_in_keras(tmp_path, monkeypatch, capsys):
    from PIL import Image

    import numdeep.utils.downloads as nd_downloads
    from numdeep.applications import imagenet_utils, resnet

    models_dir = tmp_path / "keras_home" / "models"
    models_dir.mkdir(parents=True)
    weights, index = _write_keras_cache(str(models_dir))
    pixels = np.random.default_rng(3).integers(0, 256, (250, 300, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "elephant.jpg", quality=95)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("NUMDEEP_HOME", raising=False)
    # Nothing may be downloaded: any request is a failure of the cache lookup.
    monkeypatch.setattr(nd_downloads, "_download", lambda *a, **k: pytest.fail(f"download {a}"))
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50",
                        (_md5(weights), resnet.WEIGHTS_HASHES["resnet50"][1]))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        _md5(models_dir / "imagenet_class_index.json"))
    ours = _run(_numdeep_program(), tmp_path)
    printed = capsys.readouterr().out

    from keras.src.applications import imagenet_utils as k_imagenet_utils
    from keras.src.applications import resnet as k_resnet
    from keras.src.backend import config as k_config

    monkeypatch.setattr(k_config, "_KERAS_DIR", str(tmp_path / "keras_home"))
    monkeypatch.setitem(k_resnet.WEIGHTS_HASHES, "resnet50",
                        (_md5(weights), k_resnet.WEIGHTS_HASHES["resnet50"][1]))
    monkeypatch.setattr(k_imagenet_utils, "CLASS_INDEX", index)
    theirs = _run(PROGRAM, tmp_path)

    assert type(ours["model"]).__module__.startswith("numdeep.")
    np.testing.assert_allclose(ours["x"], np.asarray(theirs["x"]), rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(ours["preds"], np.asarray(theirs["preds"]), rtol=1e-4,
                               atol=1e-6)
    top3 = ours["decode_predictions"](ours["preds"], top=3)[0]
    expected = theirs["decode_predictions"](theirs["preds"], top=3)[0]
    assert [r[:2] for r in top3] == [r[:2] for r in expected]
    np.testing.assert_allclose([r[2] for r in top3], [r[2] for r in expected], rtol=1e-4)
    assert "Predicted: [('n0" in printed and top3[0][1] in printed
    # the class probabilities are not a tie: the check above can tell classes apart
    assert top3[0][2] - top3[1][2] > 1e-3 or top3[1][2] - top3[2][2] > 1e-3
