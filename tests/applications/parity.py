"""Keras builds an application with random weights and saves it; numdeep builds the same one,
loads the files and must predict the same numbers. Shared by ``test_parity.py`` (a subset at
small sizes) and ``benchmarks/applications_parity.py`` (every architecture).

Three files per model: Keras 3's ``.weights.h5``, a full legacy ``.h5`` (``model.save``) and a
weights-only legacy ``.h5`` written the way Keras's published ImageNet files are (root
``layer_names``, one group per layer, matched by order).
"""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

# name: (module of its preprocess_input, smallest side it takes, side used for the check)
ARCHITECTURES = {
    "ResNet50": ("resnet", 32), "ResNet101": ("resnet", 32), "ResNet152": ("resnet", 32),
    "ResNet50V2": ("resnet_v2", 32), "ResNet101V2": ("resnet_v2", 32),
    "ResNet152V2": ("resnet_v2", 32),
    "VGG16": ("vgg16", 32), "VGG19": ("vgg19", 32),
    "MobileNet": ("mobilenet", 32), "MobileNetV2": ("mobilenet_v2", 32),
    "MobileNetV3Small": ("mobilenet_v3", 32), "MobileNetV3Large": ("mobilenet_v3", 32),
    **{f"EfficientNetB{i}": ("efficientnet", 32) for i in range(8)},
    **{f"EfficientNetV2{v}": ("efficientnet_v2", 32) for v in ("B0", "B1", "B2", "B3", "S", "M",
                                                                "L")},
    "DenseNet121": ("densenet", 32), "DenseNet169": ("densenet", 32),
    "DenseNet201": ("densenet", 32),
    "Xception": ("xception", 71),
    "InceptionV3": ("inception_v3", 75), "InceptionResNetV2": ("inception_resnet_v2", 75),
    # (NASNetMobile: Keras refuses to build it on its torch backend; test_parity builds its
    # configuration through Keras's generic NASNet.)
    "NASNetLarge": ("nasnet", 32),
    "ConvNeXtTiny": ("convnext", 32), "ConvNeXtSmall": ("convnext", 32),
    "ConvNeXtBase": ("convnext", 32), "ConvNeXtLarge": ("convnext", 32),
    "ConvNeXtXLarge": ("convnext", 32),
}
FORMATS = ("weights.h5", "model.h5", "legacy_weights.h5")


def _random_value(path, value, rng):
    """Random but well-scaled values: the statistics and affine parts of the normalization
    layers (identity after Keras's initialization, which would hide a mistake in them), the
    biases (zeros) and ConvNeXt's layer scales (1e-6, which would mute its blocks). The last
    normalization of an EfficientNet branch (``project_bn``) gets a small scale, as trained
    residual networks have: with scales near 1 the deepest ones (EfficientNetV2 S/M/L) are
    chaotic, and Keras's own output moves by up to 100% when its input moves by 1e-6."""
    leaf = path.split("/")[-1]
    shape = value.shape
    if "layer_scale" in path:
        return rng.uniform(0.5, 1.0, shape)
    if leaf == "gamma" and "project_bn" in path:
        return rng.uniform(0.1, 0.3, shape)
    if leaf == "gamma":
        return rng.uniform(0.5, 1.5, shape)
    if leaf in ("beta", "bias"):
        return rng.normal(0.0, 0.05, shape)
    if leaf in ("moving_mean", "mean"):
        return rng.normal(0.0, 0.1, shape)
    if leaf in ("moving_variance", "variance"):
        return rng.uniform(0.5, 1.5, shape)
    return None


def randomize_keras(model, seed=0):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        value = _random_value(v.path, np.asarray(v), rng)
        if value is not None:
            v.assign(value.astype(np.asarray(v).dtype))


def images(side, seed=0, n=2):
    return np.random.default_rng(seed).uniform(0, 255, (n, side, side, 3)).astype("float32")


def keras_reference(keras, name, tmp_dir, include_top=True, pooling=None, side=None, seed=0):
    """Build ``name`` in Keras (random weights), save the three files; return
    ``(inputs, predictions, {format: path})``."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    module, min_side = ARCHITECTURES[name]
    side = side or min_side
    # Logits, not probabilities: random weights saturate a softmax to one-hot vectors, which
    # would agree whatever the layers below computed.
    model = getattr(keras.applications, name)(
        weights=None, include_top=include_top, pooling=pooling, input_shape=(side, side, 3),
        classifier_activation=None)
    randomize_keras(model, seed)
    x = getattr(keras.applications, module).preprocess_input(images(side, seed))
    x = np.asarray(x, "float32")
    preds = np.asarray(model.predict(x, verbose=0))
    paths = {f: os.path.join(tmp_dir, f"{name}.{f}") for f in FORMATS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save_weights(paths["weights.h5"])
        model.save(paths["model.h5"])
        with h5py.File(paths["legacy_weights.h5"], "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return x, preds, paths


def numdeep_predictions(nd, name, x, path, include_top=True, pooling=None):
    model = getattr(nd.applications, name)(
        weights=path, include_top=include_top, pooling=pooling, input_shape=x.shape[1:],
        classifier_activation=None)
    return np.asarray(model.predict(x, verbose=0))


def compare(expected, found, include_top, tol=1e-4):
    """``(max error relative to the output's scale, top-5 agree)``; raises when either fails."""
    scale = max(float(np.max(np.abs(expected))), 1e-12)
    error = float(np.max(np.abs(found - expected))) / scale
    same_top5 = True
    if include_top:
        top = lambda p: np.argsort(-p, axis=-1)[:, :5]  # noqa: E731
        same_top5 = bool(np.array_equal(top(expected), top(found)))
    assert found.shape == expected.shape, (found.shape, expected.shape)
    assert error <= tol, f"max |numdeep - keras| / max |keras| = {error:.2e} > {tol}"
    assert same_top5, "the top-5 classes differ"
    return error, same_top5
