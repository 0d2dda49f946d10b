"""Keras's transfer-learning recipe on an application: a frozen base called with
``training=False`` (its BatchNormalization layers in inference mode), a new head trained on top,
then the base unfrozen (its BatchNormalization layers kept frozen) and fine-tuned at a low
learning rate."""

import numpy as np

import numdeep as nd

L = nd.layers


def _pretend_pretrained(base, x):
    """Give the BatchNormalization layers the statistics of the data, as trained ones have
    (a random network's activations otherwise fade to ~1e-12 through its depth): one pass in
    training mode with momentum 0 sets every layer's moving mean and variance."""
    bns = [la for la in base.layers if isinstance(la, L.BatchNormalization)]
    momenta = [la.momentum for la in bns]
    for la in bns:
        la.momentum = 0.0
    base(x, training=True)
    for la, m in zip(bns, momenta):
        la.momentum = m


def _bn_statistics(base):
    return [np.array(w.data) for la in base.layers if isinstance(la, L.BatchNormalization)
            for w in (la.moving_mean, la.moving_variance)]


def _kernels(base):
    return [np.array(w.data) for w in base.weights if w.name in ("kernel", "depthwise_kernel")]


def test_frozen_base_new_head_then_fine_tuning():
    nd.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    base = nd.applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                       input_shape=(32, 32, 3))
    x = rng.uniform(-1, 1, (48, 32, 32, 3)).astype("float32")
    _pretend_pretrained(base, x)
    # labels a linear head on the base's pooled features can learn
    features = base.predict(x, verbose=0).mean(axis=(1, 2))
    score = features @ rng.standard_normal(features.shape[1])
    y = (score > np.median(score)).astype("float32")

    base.trainable = False
    inputs = nd.Input((32, 32, 3))
    h = base(inputs, training=False)
    h = L.GlobalAveragePooling2D()(h)
    h = L.Dropout(0.2)(h)
    model = nd.Model(inputs, L.Dense(1)(h))
    assert len(model.trainable_weights) == 2  # the head's kernel and bias only
    model.compile(optimizer=nd.optimizers.Adam(1e-2),
                  loss=nd.losses.BinaryCrossentropy(from_logits=True))
    stats, kernels = _bn_statistics(base), _kernels(base)
    frozen = [np.array(w.data) for w in base.weights]
    start = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    head_trained = model.evaluate(x, y, verbose=0)
    assert head_trained < 0.8 * start, (start, head_trained)
    for a, b in zip(_bn_statistics(base), stats):
        np.testing.assert_array_equal(a, b)  # frozen BN: statistics untouched
    for a, b in zip([w.data for w in base.weights], frozen):
        np.testing.assert_array_equal(a, b)  # and nothing else in the base moved

    base.trainable = True
    # As Keras 3's guide says: `fit` calls the model with training=True, which reaches the
    # base despite training=False in its call (keras-team/keras#20285; numdeep does the same),
    # so the BatchNormalization layers stay frozen to keep running in inference mode.
    for layer in base.layers:
        if isinstance(layer, L.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=nd.optimizers.Adam(1e-5),
                  loss=nd.losses.BinaryCrossentropy(from_logits=True))
    assert len(model.trainable_weights) == len(base.trainable_weights) + 2
    assert not any(w.name in ("gamma", "beta") for w in base.trainable_weights)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    fine_tuned = model.evaluate(x, y, verbose=0)
    assert fine_tuned < head_trained, (head_trained, fine_tuned)
    for a, b in zip(_bn_statistics(base), stats):
        np.testing.assert_array_equal(a, b)
    changed = [not np.array_equal(a, b) for a, b in zip(_kernels(base), kernels)]
    assert all(changed)  # the convolutions were fine-tuned
    step = max(float(np.abs(a - b).max()) for a, b in zip(_kernels(base), kernels))
    assert step < 1e-2  # at a low learning rate
