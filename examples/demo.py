"""numdeep's main demo: the tutorial MLP on real handwritten digits, end to end.

Run it with ``make demo`` (or ``python examples/demo.py [mlp]``). It trains
Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax) with Adam and sparse categorical
cross-entropy on the 1,797 UCI 8x8 handwritten digits bundled with numdeep, prints the test
accuracy and shows a few test digits with the model's predictions.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import numdeep as nd
from numdeep import layers

SHADES = " .:-=+*#%@"


def ascii_digit(image):
    """Render an 8x8 image with values 0..1 as text."""
    idx = np.clip((image * (len(SHADES) - 1)).round().astype(int), 0, len(SHADES) - 1)
    return ["".join(SHADES[v] * 2 for v in row) for row in idx]


def show_predictions(images, labels, probs, count=6):
    blocks = []
    for img, label, p in zip(images[:count], labels[:count], probs[:count]):
        guess = int(p.argmax())
        mark = "ok" if guess == label else "WRONG"
        head = f"true {label} -> {guess} ({p[guess]:.0%}) {mark}"
        blocks.append([head.ljust(18)] + [row.ljust(18) for row in ascii_digit(img)])
    for lines in zip(*blocks):
        print("  ".join(lines))


CURVES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                      "demo_training_curves.png")


def save_curves(history, path):
    """Save the loss and accuracy curves (needs matplotlib: the ``plots`` extra)."""
    try:
        history.plot(to_file=path, title="numdeep demo: MLP on the UCI digits", dpi=80)
    except ImportError:
        print("(pip install 'numdeep[plots]' to also save the training curves as a picture)\n")
        return
    print(f"Training curves saved to {os.path.normpath(path)}\n")


def run_mlp(epochs):
    print("numdeep demo: the tutorial MLP on the bundled UCI handwritten digits (8x8)\n")
    (x_train, y_train), (x_test, y_test) = nd.datasets.digits.load_data()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    print(f"train: {x_train.shape[0]} images, test: {x_test.shape[0]} images\n")

    nd.utils.set_random_seed(0)
    model = nd.Sequential([
        layers.Flatten(input_shape=(8, 8)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest accuracy: {accuracy:.4f}  (loss {loss:.4f})\n")
    save_curves(history, CURVES)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits_mlp.keras")
        model.save(path)
        restored = nd.models.load_model(path)
        same = np.array_equal(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"Saved to {os.path.basename(path)} and reloaded: predictions "
          f"{'identical' if same else 'DIFFERENT'}\n")
    show_predictions(x_test, y_test, model.predict(x_test[:6], verbose=0))
    return accuracy


def run_cnn(epochs):
    print("numdeep demo: a small convnet on the bundled UCI handwritten digits (8x8x1)\n")
    (x_train, y_train), (x_test, y_test) = nd.datasets.digits.load_data()
    x_train = (x_train / 16.0).astype("float32")[..., None]  # (N, 8, 8) -> (N, 8, 8, 1)
    x_test = (x_test / 16.0).astype("float32")[..., None]
    print(f"train: {x_train.shape[0]} images, test: {x_test.shape[0]} images\n")

    nd.utils.set_random_seed(0)
    model = nd.Sequential([
        nd.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest accuracy: {accuracy:.4f}  (loss {loss:.4f})\n")
    show_predictions(x_test[..., 0], y_test, model.predict(x_test[:6], verbose=0))
    return accuracy


DEMOS = {"mlp": run_mlp, "cnn": run_cnn}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo", nargs="?", default="mlp", choices=sorted(DEMOS),
                        help="which demo to run (default: mlp)")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    accuracy = DEMOS[args.demo](args.epochs)
    return 0 if accuracy >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
