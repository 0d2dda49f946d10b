"""Each example script runs end to end (with small settings) and prints what it promises."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def run_script(relpath, *args, timeout=120):
    # One BLAS thread: these tiny matmuls gain nothing from more, and with pytest-xdist workers
    # beside them, spinning BLAS threads on busy cores slow the scripts down tenfold.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / relpath), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)
    assert proc.returncode == 0, f"{relpath} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_from_scratch_checks_gradients_and_matches_sequential():
    out = run_script("examples/from_scratch.py", "--steps", "120")
    assert "Dense(1)" in out and "they agree" in out
    assert re.search(r"AND: converged after \d+ epochs", out)
    assert re.search(r"OR: converged after \d+ epochs", out)
    checks = int(re.search(r"gradient checks passed: (\d+)", out).group(1))
    assert checks == 120  # one per gradient-descent step
    assert "same network, same updates" in out


def test_binary_classifier_prints_accuracy():
    out = run_script("examples/binary_classifier.py", "--epochs", "3", "--samples", "500")
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert 0.0 <= accuracy <= 1.0


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"no MNIST files in {SHARED_MNIST}")
def test_mnist_mlp_trains_on_the_t10k_fallback():
    out = run_script("examples/mnist_mlp.py", "--epochs", "1", "--data-dir", str(SHARED_MNIST))
    assert "Note: the full MNIST training set was not found" in out
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.8  # one epoch on 8,000 real digits reaches about 0.9


def test_benchmark_quick_smoke_run_without_torch():
    out = run_script("benchmarks/mlp.py", "--quick", "--no-torch", "--samples", "1000",
                     "--repeats", "1", "--calls", "50")
    assert "epoch, batch 32 (best)" in out and "skipped" in out
    assert re.search(r"import \(median, fresh process\)\s+[0-9.]+ s", out)
    assert "us per step" in out
