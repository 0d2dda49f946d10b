"""Keras's application weight files load into numdeep's applications as they are, offline.

Real Keras 3 (torch backend) builds each architecture with random weights at a small input
size and saves ``.weights.h5``, a full legacy ``.h5`` and a weights-only legacy ``.h5`` laid
out like the published ImageNet files; numdeep builds the same architecture from each file and
must predict the same numbers (1e-4 relative to the output's scale; with the classifier, its
logits, and the same top-5 classes). One member per family here, alternating with and without
the top; ``benchmarks/applications_parity.py`` runs every architecture both ways.
"""

import warnings

import pytest

from tests.applications import parity

pytest.importorskip("torch")
keras = pytest.importorskip("keras")

import numdeep as nd  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")

CASES = [
    ("ResNet50", True), ("ResNet50V2", False), ("VGG16", False), ("MobileNet", True),
    ("MobileNetV2", False), ("MobileNetV3Small", True), ("EfficientNetB0", True),
    ("DenseNet121", False), ("Xception", False), ("ConvNeXtTiny", True), ("InceptionV3", True),
    ("InceptionResNetV2", False), ("EfficientNetV2B0", True),
]


@pytest.mark.parametrize("name, include_top", CASES,
                         ids=[f"{n}-{'top' if t else 'avg'}" for n, t in CASES])
def test_keras_files_load_and_predict_the_same(tmp_path, name, include_top):
    pooling = None if include_top else "avg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, expected, paths = parity.keras_reference(keras, name, str(tmp_path),
                                                    include_top=include_top, pooling=pooling)
    for fmt, path in paths.items():
        found = parity.numdeep_predictions(nd, name, x, path, include_top=include_top,
                                           pooling=pooling)
        error, _ = parity.compare(expected, found, include_top)
        assert error <= 1e-4, (fmt, error)


def test_layer_names_and_order_match_keras():
    """``model.layers`` lists the same layers, in the same order, with the same weight shapes
    (tutorials freeze ``base.layers[:n]``; legacy files are matched by this order)."""
    for name, side in (("ResNet50V2", 32), ("Xception", 71), ("EfficientNetB0", 32)):
        theirs = getattr(keras.applications, name)(weights=None, include_top=False,
                                                   input_shape=(side, side, 3))
        ours = getattr(nd.applications, name)(weights=None, include_top=False,
                                              input_shape=(side, side, 3))
        assert len(ours.layers) == len(theirs.layers)
        for a, b in zip(ours.layers[1:], theirs.layers[1:]):
            assert type(a).__name__ == type(b).__name__, (a.name, b.name)
            if not b.name.split("_")[-1].isdigit():  # automatic names depend on the session
                assert a.name == b.name
            # Keras's Normalization also lists its int `count` (numdeep writes it to files
            # as a constant instead of holding a variable).
            theirs_w = [w for w in b.weights if w.name != "count"]
            assert [tuple(w.shape) for w in a.weights] == [tuple(w.shape) for w in theirs_w]


def test_nasnet_mobile_loads_keras_files(tmp_path):
    """Keras refuses ``NASNetMobile`` on its torch backend, so its generic ``NASNet`` builds
    the Mobile configuration (1056 penultimate filters, 4 cells per stage) for the files."""
    import h5py
    import numpy as np
    from keras.src.applications import nasnet
    from keras.src.legacy.saving import legacy_h5_format

    model = nasnet.NASNet((32, 32, 3), penultimate_filters=1056, num_blocks=4,
                          stem_block_filters=32, skip_reduction=False, filter_multiplier=2,
                          default_size=224, weights=None, classifier_activation=None)
    parity.randomize_keras(model)
    x = np.asarray(nasnet.preprocess_input(parity.images(32)), "float32")
    expected = np.asarray(model.predict(x, verbose=0))
    model.save_weights(tmp_path / "nasnet.weights.h5")
    with h5py.File(tmp_path / "nasnet_legacy.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    for path in ("nasnet.weights.h5", "nasnet_legacy.h5"):
        ours = nd.applications.NASNetMobile(input_shape=(32, 32, 3), weights=str(tmp_path / path),
                                            classifier_activation=None)
        assert [la.name for la in ours.layers if la.weights] == [
            la.name for la in model.layers if la.weights]
        error, _ = parity.compare(expected, np.asarray(ours.predict(x, verbose=0)), True)
        assert error <= 1e-4, (path, error)
