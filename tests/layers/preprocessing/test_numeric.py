"""``Normalization`` adapted on batches (merged exactly) and given broadcast statistics;
``Rescaling`` with per-channel scales and NumPy arguments."""

import json

import numpy as np
import pytest

import numdeep as nd


def test_normalization_adapt_on_batches_equals_whole_array():
    x = np.random.default_rng(0).standard_normal((100, 4, 3)) * [1.0, 2.0, 5.0] + 3.0
    whole = nd.layers.Normalization(axis=-1)
    whole.adapt(x)
    for batches in ([x[:30], x[30:70], x[70:]], (b for b in np.split(x, 4)),
                    [(x[:50], np.zeros(50)), (x[50:], np.zeros(50))]):
        layer = nd.layers.Normalization(axis=-1)
        layer.adapt(batches)
        np.testing.assert_allclose(layer.mean.data, whole.mean.data, rtol=1e-5)
        np.testing.assert_allclose(layer.variance.data, whole.variance.data, rtol=1e-5)
    np.testing.assert_allclose(whole.mean.data, x.mean(axis=(0, 1)), rtol=1e-5)


def test_normalization_adapt_errors():
    layer = nd.layers.Normalization(axis=-1)
    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt([])
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt([np.ones((4, 3)), np.ones((4, 5))])
    with pytest.raises(ValueError, match=r"range \[-ndim, ndim\)"):
        nd.layers.Normalization(axis=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        nd.layers.Normalization(mean=1.0)


def test_normalization_given_statistics_align_right_to_left():
    layer = nd.layers.Normalization(axis=(1, 2), mean=np.arange(5.0), variance=np.full(5, 4.0))
    x = np.zeros((2, 3, 5, 1), "float32")
    out = layer(x).data
    np.testing.assert_allclose(out[0, 1, :, 0], -np.arange(5.0) / 2)


def test_rescaling_per_channel_first_and_numpy_config():
    nd.backend.set_image_data_format("channels_first")
    try:
        layer = nd.layers.Rescaling(scale=[1.0, 2.0, 3.0], offset=0.5)
        out = layer(np.ones((1, 3, 2, 2), "float32")).data
    finally:
        nd.backend.set_image_data_format("channels_last")
    np.testing.assert_allclose(out[0, :, 0, 0], [1.5, 2.5, 3.5])
    config = nd.layers.Rescaling(np.array(0.5), offset=np.array(1.0)).get_config()
    assert json.loads(json.dumps(config))["scale"] == 0.5
    keras_style = {**config, "scale": {"class_name": "__numpy__",
                                       "config": {"value": 0.25, "dtype": "float32"}}}
    np.testing.assert_allclose(nd.layers.Rescaling.from_config(keras_style)(
        np.ones((1, 1), "float32")).data, [[1.25]])
