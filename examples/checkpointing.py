"""Checkpoints and early stopping: the tutorial MLP on the bundled digits, kept at its best.

    python examples/checkpointing.py [--epochs 100] [--dir DIR]

Trains Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax) on the 1,797 UCI 8x8
handwritten digits bundled with numdeep, with the two callbacks of the Keras tutorials:
``EarlyStopping(patience=3)`` stops when the validation loss has not improved for 3 epochs and
``ModelCheckpoint('best_model.h5', save_best_only=True)`` keeps the model of the best epoch. The
best model is then reloaded with ``load_model`` and evaluated. Files go to a temporary folder
(deleted at the end) unless ``--dir`` names one.
"""

import argparse
import os
import tempfile

import numpy as np

import numdeep as keras  # the tutorial's `import keras`
from numdeep import layers


def train_and_reload(folder, epochs):
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train / 16.0, x_test / 16.0

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        layers.Flatten(input_shape=(8, 8)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    path = os.path.join(folder, "best_model.h5")
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
        keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True),
    ]
    history = model.fit(x_train, y_train, epochs=epochs, validation_split=0.1,
                        callbacks=callbacks, verbose=2)

    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    print(f"\nTrained {len(history.epoch)} of {epochs} epochs; the best val_loss "
          f"{val_loss[best]:.4f} was at epoch {best + 1} and is saved in {path}")

    best_model = keras.models.load_model(path)
    loss, accuracy = best_model.evaluate(x_test, y_test, verbose=0)
    print(f"Reloaded best model: test accuracy {accuracy:.4f} (loss {loss:.4f})")
    return accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100,
                        help="maximum epochs; early stopping usually ends sooner (default: 100)")
    parser.add_argument("--dir", default=None,
                        help="folder for best_model.h5 (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        return train_and_reload(args.dir, args.epochs)
    with tempfile.TemporaryDirectory() as folder:
        return train_and_reload(folder, args.epochs)


if __name__ == "__main__":
    main()
