"""Launching the test scripts under ``mpiexec`` from pytest, with a hard time limit.

Tests skip (never fail) when mpi4py or ``mpiexec`` is missing: ``pip install 'numdeep[mpi]'``
provides both (the MPICH wheels put ``mpiexec`` next to the Python executable).
"""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]


def mpiexec():
    """The ``mpiexec`` to use, or skip the test."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install 'numdeep[mpi]')")
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec found (pip install 'numdeep[mpi]' installs MPICH's)")
    return found


def require_hydra():
    """Skip unless ``mpiexec`` is MPICH's Hydra (its options and messages are checked)."""
    version = subprocess.run([mpiexec(), "--version"], capture_output=True, text=True,
                             timeout=60).stdout
    if "HYDRA" not in version:
        pytest.skip("this check reads MPICH Hydra's output; mpiexec is another launcher")


class Result:
    def __init__(self, returncode, stdout, stderr, seconds):
        self.returncode, self.stdout, self.stderr, self.seconds = (returncode, stdout, stderr,
                                                                   seconds)

    @property
    def output(self):
        return self.stdout + self.stderr


def run(script, *args, n=2, timeout=150, check=True, mpi_args=()):
    """Run ``scripts/<script>`` on ``n`` ranks (``n=None``: plain python, one process).

    The whole process group is killed when ``timeout`` passes, so no rank outlives the test."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    command = [sys.executable, str(SCRIPTS / script), *map(str, args)]
    if n is not None:
        command = [mpiexec(), "-n", str(n), *mpi_args, *command]
    else:
        mpiexec()  # the script needs mpi4py even on one process
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{script} {args} did not end within {timeout} s (a hang):\n{stdout}\n"
                    f"{stderr}")
    result = Result(proc.returncode, stdout, stderr, time.monotonic() - start)
    if check:
        assert result.returncode == 0, f"{script} failed:\n{stdout}\n{stderr}"
    return result


def load(out, rank):
    """``(record, weights)`` a rank of ``scripts/train.py`` wrote."""
    record = json.loads((Path(out) / f"rank{rank}.json").read_text())
    with np.load(Path(out) / f"rank{rank}.npz") as f:
        weights = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    return record, weights
