"""Data-parallel training on several processes with MPI: the tutorial convnet on the bundled
8x8 digits, with the unchanged ``model.fit`` under ``MPIStrategy``.

    pip install 'numdeep[mpi]'
    mpiexec -n 2 python examples/distributed_mnist.py [--epochs 10] [--batch-size 64]

Every rank runs this same script. ``--batch-size`` is the global batch: each step every rank
trains on its part of it and the gradients are averaged, so the run trains like one process on
the same batches (same learning rate). Only rank 0 prints and writes the checkpoint. Across
machines, give MPICH a host file: ``mpiexec -f hosts -n 8 python examples/distributed_mnist.py``.
"""

import argparse
import os
import tempfile
import time

import numdeep as keras
from numdeep import layers
from numdeep.datasets import digits
from numdeep.distribute import MPIStrategy


def build_model(kind):
    if kind == "mlp":
        body = [layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.2)]
    else:  # the Keras MNIST convnet, with "same" padding for 8x8 images
        body = [layers.Conv2D(32, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(64, activation="relu")]
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), *body,
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch size")
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="where rank 0 keeps the best weights (default: a temporary folder)")
    args = parser.parse_args(argv)

    strategy = MPIStrategy(seed=0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    # Pixels are counts 0..16; add the channels axis: (N, 8, 8) -> (N, 8, 8, 1).
    x_train = (x_train / 16.0).astype("float32")[..., None]
    x_test = (x_test / 16.0).astype("float32")[..., None]

    keras.utils.set_random_seed(0)  # rank 0's initial weights are broadcast anyway
    with strategy.scope():
        model = build_model(args.model)

    folder = args.checkpoint_dir or tempfile.mkdtemp(prefix="numdeep-distributed-")
    checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(folder, "best.weights.h5"),
                                                 save_best_only=True, save_weights_only=True)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, callbacks=[checkpoint, keras.callbacks.EarlyStopping(
                  patience=3, restore_best_weights=True)], verbose=2)
    seconds = time.perf_counter() - start
    # evaluate is not split: every rank holds the same weights and would print the same.
    if strategy.is_chief:
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        print(f"Trained on {strategy.size} process(es) in {seconds:.1f} s")
        print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} test digits")
        print(f"Best weights in {folder}")


if __name__ == "__main__":
    main()
