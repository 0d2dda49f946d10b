"""The Keras MNIST tutorial program runs on numdeep with only its import lines changed, given
``mnist.npz`` in Keras's cache (``$KERAS_HOME/datasets``): nothing is downloaded, the arrays
are the file's, and the model learns them.

The file is a small synthetic ``mnist.npz`` in Keras's layout (uint8 images, one bright stripe
per class, plus noise). Keras's published SHA-256 cannot match a locally made file, so the
loader is told this file's hash.
"""

import hashlib
import io

import numpy as np

import numdeep.utils.downloads as nd_downloads
from numdeep.datasets import mnist

PROGRAM = """
import numpy as np
import keras
from keras import layers
from keras.datasets import mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
print(x_train.shape[0], "train samples")

keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=4, validation_split=0.1,
                    verbose=0)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", score[1])
"""
NUMDEEP_IMPORTS = {"import keras": "import numdeep as keras",
                   "from keras import layers": "from numdeep import layers",
                   "from keras.datasets import mnist": "from numdeep.datasets import mnist"}


def _synthetic_mnist(n_train, n_test, seed=0):
    """Keras's ``mnist.npz`` layout: images ``(n, 28, 28)`` and labels ``(n,)``, all uint8."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            x[i, 2 + 2 * label:4 + 2 * label, 4:24] = 250  # the class's stripe
        return x, y

    (x_train, y_train), (x_test, y_test) = split(n_train), split(n_test)
    buf = io.BytesIO()
    np.savez(buf, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return buf.getvalue(), (x_train, y_train, x_test, y_test)


def test_mnist_program_runs_from_the_keras_cache(tmp_path, monkeypatch, capsys):
    data, (x_train, y_train, x_test, y_test) = _synthetic_mnist(600, 100)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(data)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("NUMDEEP_HOME", raising=False)
    monkeypatch.setattr(mnist, "NPZ_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(nd_downloads, "_download",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError(f"download {a}")))
    lines = PROGRAM.splitlines()
    program = "\n".join(NUMDEEP_IMPORTS.get(line, line) for line in lines)
    assert sum(a != b for a, b in zip(program.splitlines(), lines)) == len(NUMDEEP_IMPORTS)

    namespace = {}
    exec(compile(program, "mnist_program.py", "exec"), namespace)  # noqa: S102

    np.testing.assert_array_equal(namespace["x_train"], x_train.astype("float32") / 255)
    np.testing.assert_array_equal(namespace["y_test"], y_test)
    assert namespace["x_test"].shape == (100, 28, 28)
    losses = namespace["history"].history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert namespace["score"][1] >= 0.9  # the stripes are easy to tell apart
    out = capsys.readouterr().out
    assert "600 train samples" in out and "Test accuracy:" in out
