"""Small models and data shared by the callback tests."""

import numpy as np

import numdeep as nd

L = nd.layers


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def model(seed=0, optimizer="adam", dropout=False):
    """A small classifier (Dense -> [Dropout] -> Dense softmax) with accuracy."""
    nd.utils.set_random_seed(seed)
    layers = [L.Dense(8, activation="relu", input_shape=(4,))]
    if dropout:
        layers.append(L.Dropout(0.3))
    layers.append(L.Dense(2, activation="softmax"))
    m = nd.Sequential(layers)
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class Scripted(nd.callbacks.Callback):
    """Replace the epoch logs' values with scripted ones (to drive monitor-based callbacks)."""

    def __init__(self, **series):
        super().__init__()
        self.series = series

    def on_epoch_end(self, epoch, logs=None):
        for key, values in self.series.items():
            logs[key] = float(values[epoch])


class Interrupt(nd.callbacks.Callback):
    """Raise ``error`` at the beginning of epoch ``epoch`` (a simulated kill)."""

    def __init__(self, epoch, error=KeyboardInterrupt):
        super().__init__()
        self.epoch, self.error = epoch, error

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise self.error()


def weights_equal(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
