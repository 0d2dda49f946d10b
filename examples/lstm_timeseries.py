"""Forecast a chaotic time series with the tutorial LSTM, and compare with a naive forecast.

The series is Mackey-Glass (``numdeep.datasets.timeseries``), the classic benchmark of time-series
prediction, computed from its delay differential equation. Each input is a window of ``--steps``
past values; the target is the value ``--horizon`` samples later (6, as in the classic
benchmark). The model is the one tutorials use:

    LSTM(64, return_sequences=True, input_shape=(None, 1)) -> LSTM(32) -> Dense(1)

trained with Adam on the mean squared error, on the first 80% of the series; the last 20% is
the test set. The baseline predicts that the last observed value persists.

Usage:
    python examples/lstm_timeseries.py               # 20 epochs on 2,000 samples
    python examples/lstm_timeseries.py --quick       # a few seconds (used by the test suite)
    python examples/lstm_timeseries.py --epochs 40 --horizon 12
"""

import argparse
import sys
import time

import numpy as np

import numdeep as nd
from numdeep import layers
from numdeep.datasets import timeseries


def build_model():
    model = nd.Sequential([
        layers.LSTM(64, return_sequences=True, input_shape=(None, 1)),
        layers.LSTM(32),
        layers.Dense(1),
    ])
    model.compile(optimizer=nd.optimizers.Adam(learning_rate=3e-3), loss="mse")
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=2000, help="length of the series")
    parser.add_argument("--steps", type=int, default=24, help="input window length")
    parser.add_argument("--horizon", type=int, default=6, help="how far ahead to predict")
    parser.add_argument("--quick", action="store_true", help="6 epochs on 1,000 samples")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.samples = 6, 1000

    (x_train, y_train), (x_test, y_test) = timeseries.load_data(
        steps=args.steps, horizon=args.horizon, n_samples=args.samples)
    print(f"Mackey-Glass series: {args.samples} samples; windows of {args.steps} steps, target "
          f"{args.horizon} ahead; train {len(x_train)}, test {len(x_test)}")
    mean, std = x_train.mean(), x_train.std()  # standardise with training statistics only

    nd.utils.set_random_seed(0)
    model = build_model()
    model.summary()
    start = time.perf_counter()
    model.fit((x_train - mean) / std, (y_train - mean) / std, epochs=args.epochs,
              batch_size=32, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start

    predictions = model.predict((x_test - mean) / std, verbose=0) * std + mean
    model_mse = float(np.mean((predictions - y_test) ** 2))
    naive_mse = timeseries.naive_forecast_mse(x_test, y_test)
    print(f"\ntraining took {seconds:.1f} s")
    print("  t    true    model   naive")
    for i in range(0, len(x_test), max(1, len(x_test) // 6)):
        print(f"{i:4d}  {y_test[i, 0]:.4f}  {predictions[i, 0]:.4f}  {x_test[i, -1, 0]:.4f}")
    print(f"test MSE: model {model_mse:.6f}, naive last-value {naive_mse:.6f} "
          f"({naive_mse / model_mse:.1f}x lower)")
    return 0 if model_mse < naive_mse else 1


if __name__ == "__main__":
    sys.exit(main())
