"""The recurrent examples run end to end (``--quick``) and reach their printed goals."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from numdeep.datasets import timeseries

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script):
    # One BLAS thread: the matrices are small, and spinning threads only slow a shared machine.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_lstm_timeseries_beats_the_naive_forecast():
    out = _run("lstm_timeseries.py")
    match = re.search(r"test MSE: model ([\d.]+), naive last-value ([\d.]+)", out)
    assert match, out[-2000:]
    model_mse, naive_mse = map(float, match.groups())
    assert model_mse < naive_mse / 4, (model_mse, naive_mse)


def test_text_classifier_beats_chance():
    out = _run("text_classifier.py")
    match = re.search(r"test accuracy: ([\d.]+)", out)
    assert match, out[-2000:]
    assert float(match.group(1)) > 0.75


def test_mackey_glass_is_reproducible_and_windowed():
    series = timeseries.mackey_glass(300)
    assert series.dtype == "float32" and 0.2 < series.min() < series.max() < 1.5
    assert (timeseries.mackey_glass(300) == series).all()
    noisy = timeseries.mackey_glass(300, noise=0.01, seed=1)
    assert 0.005 < float((noisy - series).std()) < 0.02
    x, y = timeseries.make_windows(series, steps=10, horizon=6)
    assert x.shape == (285, 10, 1) and y[0, 0] == series[15]
    with pytest.raises(ValueError, match="multiples of dt"):
        timeseries.mackey_glass(10, tau=17.05)
    with pytest.raises(ValueError, match="no window"):
        timeseries.make_windows(series[:5], steps=10)
