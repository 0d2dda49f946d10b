"""Memory growth loops (issue 17): ``predict``, ``fit``, ``evaluate``, a direct call and
``load_model`` repeated after a warm-up keep under 1 KB of new Python/NumPy allocations per
iteration (``tracemalloc``: graphs, histories, caches or name registries that grow with every
call would show here). Allocations made by C libraries outside NumPy (HDF5) are not traced."""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import numdeep as nd

LIMIT_BYTES = 1024
X = np.linspace(-1, 1, 256, dtype="float32").reshape(32, 8)
Y = np.linspace(0, 1, 64, dtype="float32").reshape(32, 2)


@pytest.fixture(scope="module")
def model():
    nd.utils.set_random_seed(0)
    m = nd.Sequential([nd.Input((8,)), nd.layers.Dense(16, activation="relu"),
                       nd.layers.Dropout(0.1), nd.layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def growth_per_iteration(fn, warm=8, n=20):
    """New traced bytes per call of ``fn``: the smaller of two windows of ``n`` calls, so that a
    one-off resize of some registry (a dict doubling) is not taken for growth; a real leak
    shows in both.

    The warm-up runs under tracing. A bounded cache that replaces entries (the ``re`` and h5py
    registries) frees blocks allocated before tracing started, which tracemalloc cannot
    subtract, while their replacements count: measured on ``load_model``, ~1 KB per call for
    the first ~60 calls after ``tracemalloc.start()`` however long the untraced warm-up, then
    +-600 bytes per 10-call window around zero."""
    tracemalloc.start()
    try:
        for _ in range(warm):
            fn()
        windows = []
        for _ in range(2):
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(n):
                fn()
            gc.collect()
            windows.append((tracemalloc.get_traced_memory()[0] - before) / n)
        return min(windows)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("call", ["predict", "fit", "evaluate", "call"])
def test_training_loops_do_not_grow(model, call):
    fn = {"predict": lambda: model.predict(X, verbose=0),
          "fit": lambda: model.fit(X, Y, epochs=1, batch_size=16, verbose=0),
          "evaluate": lambda: model.evaluate(X, Y, verbose=0),
          "call": lambda: model(X, training=True)}[call]
    growth = growth_per_iteration(fn)
    assert growth < LIMIT_BYTES, f"{growth:.0f} bytes per {call}"


def test_load_model_does_not_grow(model, tmp_path):
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        growth = growth_per_iteration(lambda: nd.saving.load_model(tmp_path / "m.keras"),
                                      warm=60, n=20)
    assert growth < LIMIT_BYTES, f"{growth:.0f} bytes per load_model"
