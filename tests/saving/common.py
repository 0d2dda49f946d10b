"""Small models shared by the saving tests."""

import numpy as np

import numdeep as nd

L = nd.layers


def mlp(compiled=True, seed=0, dropout=True):
    """The tutorial-style MLP with every core layer kind, compiled with Adam."""
    nd.utils.set_random_seed(seed)
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(seed).standard_normal((16, 6)).astype("float32"))
    model = nd.Sequential([
        nd.Input((6,)), norm, L.Dense(8, activation="relu", kernel_regularizer="l2"),
        L.Dropout(0.2 if dropout else 0.0), L.Dense(8), L.LeakyReLU(0.1), L.Dense(3),
        L.Softmax(),
    ])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def data(n=16, features=6, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, features)).astype("float32"),
            rng.integers(0, classes, n))


def weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb))
