"""A 10-feature binary classifier with L2 weight decay and Dropout, on data made here.

    python examples/binary_classifier.py [--epochs 30] [--samples 2000] [--seed 0]

The data (``make_data``) come from a known process, so the best achievable accuracy is known too:
each sample has 10 features drawn independently from N(0, 1); a fixed "true" weight vector ``w``
(drawn once from N(0, 1)) and a feature interaction give the log-odds
``z = x @ w / sqrt(10) * 2 + x0 * x1``, and the label is 1 with probability ``sigmoid(z)``. The
labels are therefore noisy: even the rule that knows ``z`` (predict 1 when ``z > 0``) is wrong on
some samples, and its accuracy is printed as the ceiling for the network.
"""

import argparse

import numpy as np

import numdeep as keras
from numdeep import layers, regularizers


def make_data(n, rng):
    """``n`` samples of the documented process: features, labels and the true log-odds."""
    w = rng.standard_normal(10)
    x = rng.standard_normal((n, 10))
    z = x @ w / np.sqrt(10) * 2.0 + x[:, 0] * x[:, 1]
    p = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(n) < p).astype("float32")
    return x.astype("float32"), y, z


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--samples", type=int, default=2000, help="80%% train, 20%% test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x, y, z = make_data(args.samples, rng)
    n_train = int(0.8 * args.samples)
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    ceiling = float(np.mean((z[n_train:] > 0) == (y_test == 1)))
    print(f"{n_train} training and {len(x_test)} test samples, 10 features; "
          f"{y.mean():.0%} positives")

    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([
        layers.Dense(16, activation="relu", kernel_regularizer=regularizers.L2(0.001),
                     input_shape=(10,)),
        layers.Dropout(0.5),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32,
                        validation_split=0.2, verbose=0)
    last = {k: v[-1] for k, v in history.history.items()}
    print(f"after {args.epochs} epochs: loss {last['loss']:.4f}, accuracy {last['accuracy']:.4f}, "
          f"val_loss {last['val_loss']:.4f}, val_accuracy {last['val_accuracy']:.4f}")

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}); the true rule z > 0 scores "
          f"{ceiling:.4f} on the same test samples")


if __name__ == "__main__":
    main()
