"""The Keras MNIST MLP tutorial, run by numdeep: only the import lines differ from Keras.

    python examples/mnist_mlp.py [--epochs 5] [--data-dir DIR]

MNIST comes from ``keras.datasets.mnist.load_data()`` (the 60,000/10,000 split: ``mnist.npz`` or
the four IDX files in numdeep's or Keras's dataset cache, or in ``--data-dir``). numdeep never
downloads anything; when only the official 10,000-image test files are at hand (as in the
project's ``shared/data/mnist``), the script says so and trains on their fixed 8,000/2,000 split
from ``keras.datasets.mnist.load_t10k_split`` instead.
"""

import argparse

from _mnist import SHARED_MNIST, load_mnist  # full MNIST if on disk, else the t10k split

import numdeep as keras  # the tutorial's `import keras` (or `from tensorflow import keras`)
from numdeep import layers  # the tutorial's `from keras import layers`


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (tutorial: 5)")
    parser.add_argument("--data-dir", default=None,
                        help="directory with mnist.npz or the IDX files (default: the caches, "
                             f"then {SHARED_MNIST})")
    args = parser.parse_args(argv)

    # ----- the tutorial, unchanged from here on -----
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data_dir)
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = keras.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} test images")


if __name__ == "__main__":
    main()
