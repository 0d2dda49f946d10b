"""Two ranks of ``MPIStrategy.fit`` against one process: same updates, same weights everywhere,
global metrics, output and files on rank 0 only (``mpiexec -n 2`` from pytest)."""

import re
import socket
from pathlib import Path

import numpy as np
import pytest

from tests.distribute.launch import load, require_hydra, run

pytestmark = pytest.mark.timeout(300)


def _assert_close(weights_a, weights_b, atol=1e-6):
    assert len(weights_a) == len(weights_b)
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def test_two_ranks_equal_one_process_on_the_same_global_batches(tmp_path):
    # batch 33 splits 17/16 and the last batch (32) 16/16: the weighted gradient average is
    # exact even for uneven parts.
    run("train.py", "--out", tmp_path / "two", "--epochs", "3")
    run("train.py", "--out", tmp_path / "one", "--mode", "single", "--epochs", "3", n=None)
    (r0, w0), (r1, w1) = load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    single, ws = load(tmp_path / "one", 0)
    _assert_close(w0, ws)
    _assert_close(w0, w1, atol=0)
    assert r0["final"] == r1["final"]
    assert r0["iterations"] == single["iterations"] == 3 * 7  # ceil(230 / 33) steps an epoch
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        # The epoch metrics are those of all the data, not of rank 0's part.
        np.testing.assert_allclose(r0["history"][key], single["history"][key], rtol=1e-5)
        assert r0["history"][key] == r1["history"][key]


def test_allreduces_started_during_backward_give_the_same_training(tmp_path):
    # 256-byte buckets: the last layers' buckets fill (and their allreduces start) while
    # backward still runs through the first layers, on every step after the first.
    r0, r1, single = _two_ranks_and_one_process(tmp_path, "--bucket-bytes", "256")
    assert r0["iterations"] == single["iterations"] == 3 * 7
    assert r0["early_buckets"] == r1["early_buckets"] >= 3 * 7 - 1
    run("train.py", "--out", tmp_path / "after")  # one 4 MiB bucket: sent after backward
    after, _ = load(tmp_path / "after", 0)
    assert after["early_buckets"] == 0
    assert r0["final"] == r1["final"] == after["final"]  # bit for bit
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)


def test_gradient_accumulation_communicates_every_kth_step_and_matches_one_process(tmp_path):
    common = ("--accumulate", "3", "--epochs", "2", "--batch-size", "32")
    run("train.py", "--out", tmp_path / "two", *common)
    run("train.py", "--out", tmp_path / "one", "--mode", "single", *common, n=None)
    (r0, w0), (_, w1) = load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    single, ws = load(tmp_path / "one", 0)
    _assert_close(w0, ws)
    _assert_close(w0, w1, atol=0)
    assert r0["iterations"] == single["iterations"] == 16 // 3  # updates, not micro-steps
    # 16 micro-steps: the first (which builds the optimizer) and every 3rd communicate.
    assert r0["allreduces"] == 1 + 16 // 3
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)


def test_shuffled_two_ranks_equal_one_rank_with_the_same_seed(tmp_path):
    run("train.py", "--out", tmp_path / "two", "--shuffle", "1", "--batch-size", "32")
    run("train.py", "--out", tmp_path / "one", "--shuffle", "1", "--batch-size", "32", n=None)
    (r0, w0), (_, w1) = load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    single, ws = load(tmp_path / "one", 0)
    _assert_close(w0, ws)
    _assert_close(w0, w1, atol=0)
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)


def test_weight_hashes_agree_after_init_and_every_epoch_with_batchnorm_and_dropout(tmp_path):
    # BatchNormalization's moving statistics are per-rank until averaged, Dropout draws masks:
    # the hashes still agree at the start and after every epoch.
    run("train.py", "--out", tmp_path, "--model", "bn", "--shuffle", "1", "--epochs", "3")
    (r0, _), (r1, _) = load(tmp_path, 0), load(tmp_path, 1)
    assert r0["begin"] == r1["begin"] and r0["end"] == r1["end"]
    assert len(set(r0["end"].values())) == 3  # the weights did change
    assert r0["final"] == r1["final"]


def test_only_rank_zero_prints_and_writes_files(tmp_path):
    require_hydra()  # -prepend-rank tags each output line with its rank
    result = run("train.py", "--out", tmp_path, "--files", "--verbose", "1", "--epochs", "2",
                 mpi_args=("-prepend-rank",))
    written = sorted(p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")
                     if p.is_file() and p.parts[-1] not in ("rank0.json", "rank1.json",
                                                            "rank0.npz", "rank1.npz"))
    assert written and set(written) == {"files0"}
    files = {p.name for p in (tmp_path / "files0").rglob("*") if p.is_file()}
    assert {"ckpt.weights.h5", "log.csv", "latest.weights.h5"} <= files
    assert any(name.startswith("events.out.tfevents") for name in files)
    progress = [line for line in result.stdout.splitlines() if "Epoch" in line]
    assert progress and all(line.startswith("[0]") for line in progress)
    # The CSV log holds the global metrics (what rank 0's history says).
    record, _ = load(tmp_path, 0)
    csv = (tmp_path / "files0" / "log.csv").read_text().splitlines()
    column = csv[0].split(",").index("loss")
    logged = [float(row.split(",")[column]) for row in csv[1:]]
    np.testing.assert_allclose(logged, record["history"]["loss"], rtol=1e-6)


def test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    run("train.py", "--out", tmp_path, "--stop-at-step", "2")
    (r0, _), (r1, _) = load(tmp_path, 0), load(tmp_path, 1)
    assert r0["iterations"] == r1["iterations"] == 3
    assert r0["epochs"] == r1["epochs"] == [0]
    assert r0["final"] == r1["final"]


def _two_ranks_and_one_process(tmp_path, *args):
    run("train.py", "--out", tmp_path / "two", *args)
    run("train.py", "--out", tmp_path / "one", *args, "--mode", "single", n=None)
    (r0, w0), (r1, w1) = load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    single, ws = load(tmp_path / "one", 0)
    _assert_close(w0, ws)
    _assert_close(w0, w1, atol=0)
    return r0, r1, single


def test_early_stopping_decides_alike_on_global_metrics(tmp_path):
    # The global val_loss improves by 0.168, 0.100, 0.075, then 0.066 < min_delta: one process
    # stops after the 5th epoch. Each rank's own half of the validation data would give other
    # numbers; on the global metrics both ranks stop exactly where one process does.
    r0, r1, single = _two_ranks_and_one_process(tmp_path, "--early-stopping", "0.07",
                                                "--epochs", "8")
    assert r0["epochs"] == r1["epochs"] == single["epochs"] == [0, 1, 2, 3, 4]


def test_reduce_lr_on_plateau_decides_alike_on_global_metrics(tmp_path):
    # The rate halves after the epochs whose global val_loss improved by less than 0.08 on
    # the best so far: the same decisions on both ranks as on one process, and the same weights.
    r0, r1, single = _two_ranks_and_one_process(tmp_path, "--reduce-lr", "0.08",
                                                "--epochs", "8")
    expected = [0.01] * 4 + [0.005] * 2 + [0.0025, 0.00125]
    for record in (r0, r1, single):
        np.testing.assert_allclose(list(record["learning_rates"].values()), expected,
                                   rtol=1e-6)
    np.testing.assert_allclose(r0["history"]["val_loss"], single["history"]["val_loss"],
                               rtol=1e-5)


def test_the_strategy_names_every_ranks_process_at_start(tmp_path):
    result = run("train.py", "--out", tmp_path, "--epochs", "1")
    line = re.search(r"MPIStrategy on 2 processes \((.*)\)", result.stderr).group(1)
    pids = {int(r): int(p) for r, p in re.findall(r"rank (\d): pid (\d+)", line)}
    assert pids == {0: load(tmp_path, 0)[0]["pid"], 1: load(tmp_path, 1)[0]["pid"]}


def test_a_host_file_launch_places_the_ranks_it_names(tmp_path):
    # What a launch across machines looks like (MPICH's -f); here the one host is this machine.
    require_hydra()
    (tmp_path / "hosts").write_text("localhost:2\n")
    result = run("train.py", "--out", tmp_path / "out", "--epochs", "1",
                 mpi_args=("-f", tmp_path / "hosts"))
    line = re.search(r"MPIStrategy on 2 processes \((.*)\)", result.stderr).group(1)
    assert len(re.findall(rf"rank \d: pid \d+ on {re.escape(socket.gethostname())}", line)) == 2
    (r0, w0), (r1, w1) = load(tmp_path / "out", 0), load(tmp_path / "out", 1)
    assert r0["final"] == r1["final"] and r0["iterations"] == 7
    _assert_close(w0, w1, atol=0)


def test_the_distributed_example_trains_on_two_ranks(tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "distributed_mnist.py"
    result = run(example, "--epochs", "4", "--model", "mlp", "--checkpoint-dir", tmp_path)
    accuracy = [float(a) for a in re.findall(r"Test accuracy: ([0-9.]+)", result.stdout)]
    assert len(accuracy) == 1 and accuracy[0] > 0.8  # printed by rank 0 only
    assert "Trained on 2 process(es)" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]
