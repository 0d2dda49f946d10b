"""Config spellings where a numdeep layer's ``get_config`` differs from what the Keras class
accepts; applied when writing files so that Keras loads them (numdeep reads both forms)."""

__all__ = ["keras_layer_config", "numdeep_layer_config"]

# Keras 2 argument names that Keras 3 (and numdeep) renamed.
_RENAMES = {"LeakyReLU": {"alpha": "negative_slope"}}


def _pair(value):
    # numdeep's 1D layers store ((left, right),); Keras takes (left, right).
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        return value[0]
    return value


def _single(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


_DROP = {
    "SpatialDropout1D": ("trainable", "data_format"),
    "SpatialDropout2D": ("trainable",),
    "SpatialDropout3D": ("trainable",),
    "Cropping1D": ("data_format",),
    "UpSampling1D": ("data_format", "interpolation"),
    "ZeroPadding1D": ("data_format",),
}
_CONVERT = {
    "Cropping1D": {"cropping": _pair},
    "ZeroPadding1D": {"padding": _pair},
    "UpSampling1D": {"size": _single},
}


def keras_layer_config(class_name, config, layer=None):
    """``config`` (already serialized) in the form the Keras class ``class_name`` accepts."""
    if class_name == "Normalization" and config.get("mean") is not None and layer.built:
        # Keras keeps given statistics in the config only: store the current values there.
        return {**config, "mean": layer.mean.data.tolist(),
                "variance": layer.variance.data.tolist()}
    if class_name not in _DROP and class_name not in _CONVERT:
        return config
    out = {k: v for k, v in config.items() if k not in _DROP.get(class_name, ())}
    for key, fix in _CONVERT.get(class_name, {}).items():
        if key in out:
            out[key] = fix(out[key])
    return out


def numdeep_layer_config(class_name, config):
    """A config read from a file (either Keras dialect) with Keras 2 argument names updated."""
    renames = _RENAMES.get(class_name)
    if not renames:
        return config
    return {renames.get(k, k): v for k, v in config.items()}
