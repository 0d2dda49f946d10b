"""The Keras MNIST convnet tutorial, run by numdeep: only the import lines differ from Keras.

    python examples/cnn_mnist.py [--epochs 5] [--batch-size 32] [--data-dir DIR]

Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2) -> Flatten ->
Dense(64, relu) -> Dense(10, softmax) on 28x28x1 images, Adam, sparse categorical cross-entropy.

MNIST comes from ``keras.datasets.mnist.load_data()`` (``mnist.npz`` or the four IDX files in the
dataset caches, or in ``--data-dir``). numdeep never downloads anything; when only the official
10,000-image test files are at hand (as in the project's ``shared/data/mnist``), the script says
so and trains on their fixed 8,000/2,000 split (``keras.datasets.mnist.load_t10k_split``).
"""

import argparse
import time

from _mnist import SHARED_MNIST, load_mnist  # full MNIST if on disk, else the t10k split

import numdeep as keras  # the tutorial's `import keras` (or `from tensorflow import keras`)
from numdeep import layers  # the tutorial's `from keras import layers`


def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--data-dir", default=None,
                        help="directory with mnist.npz or the IDX files (default: the caches, "
                             f"then {SHARED_MNIST})")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_mnist(args.data_dir)
    # Scale to [0, 1] and add the channels axis: (N, 28, 28) -> (N, 28, 28, 1).
    x_train = (x_train / 255.0).astype("float32")[..., None]
    x_test = (x_test / 255.0).astype("float32")[..., None]

    keras.utils.set_random_seed(0)
    model = build_model()
    model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
    print(f"Trained {args.epochs} epoch(s) in {seconds:.1f} s")
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} test images")
    return accuracy


if __name__ == "__main__":
    main()
