"""One training run for the distributed tests, launched by ``mpiexec -n N`` (or plain python).

Each rank writes ``OUT/rank<R>.json`` (history, weight hashes at every epoch's start and end,
iterations, pid) and ``OUT/rank<R>.npz`` (final weights). Faults are planted on rank 1.
"""

import argparse
import json
import os
import signal
import time
from pathlib import Path

import numpy as np

import numdeep as nd


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(280, 10)).astype("float32")
    y = (x[:, :4].argmax(axis=1) + (x[:, 4] > 1)).astype("int64") % 4
    return (x[:230], y[:230]), (x[230:], y[230:])


def make_model(kind, accumulate=None):
    nd.utils.set_random_seed(1)
    layers = [nd.layers.Dense(16, activation="relu", input_shape=(10,))]
    if kind == "bn":
        layers += [nd.layers.BatchNormalization(), nd.layers.Dropout(0.3)]
    layers.append(nd.layers.Dense(4, activation="softmax"))
    model = nd.Sequential(layers)
    model.compile(optimizer=nd.optimizers.Adam(0.01, gradient_accumulation_steps=accumulate),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Record(nd.callbacks.Callback):
    """Weight hashes at every epoch's start (after the start-up broadcast) and end, and the
    faults planted on rank 1."""

    def __init__(self, rank, args, digest):
        super().__init__()
        self.rank, self.args, self.digest = rank, args, digest
        self.begin, self.end, self.learning_rates = {}, {}, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.begin[epoch] = self.digest(self.model)
        self.learning_rates[epoch] = float(self.model.optimizer.learning_rate)
        if self.rank != 1:
            return
        args = self.args
        if epoch == args.kill_at_epoch and not Path(args.marker).exists():
            Path(args.marker).write_text("killed")
            os.kill(os.getpid(), signal.SIGKILL)
        if epoch == args.raise_at_epoch:
            raise ValueError("planted failure on rank 1")
        if epoch == args.hang_at_epoch:
            time.sleep(3600)

    def on_train_batch_end(self, batch, logs=None):
        if self.rank == 1 and batch == self.args.stop_at_step:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.end[epoch] = self.digest(self.model)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=["strategy", "single"], default="strategy")
    p.add_argument("--model", choices=["mlp", "bn"], default="mlp")
    p.add_argument("--shuffle", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=33)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--backup", default=None)
    p.add_argument("--files", action="store_true")
    p.add_argument("--early-stopping", type=float, default=None,
                   help="EarlyStopping(val_loss, patience=0) with this min_delta")
    p.add_argument("--reduce-lr", type=float, default=None,
                   help="ReduceLROnPlateau(val_loss, factor=0.5, patience=0) with this min_delta")
    p.add_argument("--kill-at-epoch", type=int, default=-1)
    p.add_argument("--raise-at-epoch", type=int, default=-1)
    p.add_argument("--hang-at-epoch", type=int, default=-1)
    p.add_argument("--stop-at-step", type=int, default=-1)
    p.add_argument("--marker", default="")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--verbose", type=int, default=0)
    p.add_argument("--accumulate", type=int, default=None)
    p.add_argument("--bucket-bytes", type=int, default=4 << 20)
    args = p.parse_args()
    out = Path(args.out)
    (x, y), (vx, vy) = make_data()
    if args.mode == "strategy":
        from numdeep.distribute import MPIStrategy, weights_digest

        strategy = MPIStrategy(seed=7, timeout=args.timeout, bucket_bytes=args.bucket_bytes)
        rank = strategy.rank
        with strategy.scope():
            model = make_model(args.model, args.accumulate)
    else:
        from numdeep.distribute.sync import weights_digest

        rank, model = 0, make_model(args.model, args.accumulate)
    record = Record(rank, args, weights_digest)
    callbacks = [record]
    if args.early_stopping is not None:
        callbacks.append(nd.callbacks.EarlyStopping(monitor="val_loss", patience=0,
                                                    min_delta=args.early_stopping))
    if args.reduce_lr is not None:
        callbacks.append(nd.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                        patience=0, min_delta=args.reduce_lr))
    if args.files:
        folder = out / f"files{rank}"
        folder.mkdir(parents=True, exist_ok=True)  # CSVLogger, as Keras's, needs its folder
        callbacks += [nd.callbacks.ModelCheckpoint(str(folder / "ckpt.weights.h5"),
                                                   save_weights_only=True),
                      nd.callbacks.CSVLogger(str(folder / "log.csv")),
                      nd.callbacks.TensorBoard(str(folder / "tb")),
                      nd.callbacks.BackupAndRestore(str(folder / "backup"),
                                                    delete_checkpoint=False)]
    if args.backup:
        callbacks.append(nd.callbacks.BackupAndRestore(args.backup))
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs,
                        shuffle=bool(args.shuffle), validation_data=(vx, vy),
                        callbacks=callbacks, verbose=args.verbose)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"rank{rank}.npz", *model.get_weights())
    (out / f"rank{rank}.json").write_text(json.dumps({
        "history": history.history, "epochs": history.epoch,
        "begin": record.begin, "end": record.end,
        "learning_rates": record.learning_rates, "final": weights_digest(model),
        "iterations": int(model.optimizer.iterations), "pid": os.getpid(),
        "allreduces": strategy.reducer.calls if args.mode == "strategy" else None,
        "early_buckets": strategy.reducer.early_buckets if args.mode == "strategy" else None}))


if __name__ == "__main__":
    main()
