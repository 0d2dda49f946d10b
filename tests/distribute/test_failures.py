"""A failure on one rank ends the whole job quickly with an error naming the rank, and a run
killed mid-way resumes exactly with ``BackupAndRestore`` (``mpiexec -n 2`` from pytest)."""

import re

import pytest

from tests.distribute.launch import load, require_hydra, run

pytestmark = pytest.mark.timeout(300)


def test_an_exception_on_one_rank_ends_every_rank_naming_it(tmp_path):
    result = run("train.py", "--out", tmp_path, "--raise-at-epoch", "1", check=False,
                 timeout=90)
    assert result.returncode != 0
    assert result.seconds < 60
    assert "numdeep.distribute: rank 1 of 2 failed with ValueError" in result.stderr
    assert "planted failure on rank 1" in result.stderr
    assert not (tmp_path / "rank0.json").exists()  # rank 0 did not go on


def test_kill_9_on_one_rank_ends_every_rank(tmp_path):
    require_hydra()  # Hydra's message names the dead process's pid
    result = run("train.py", "--out", tmp_path, "--kill-at-epoch", "1", "--marker",
                 tmp_path / "killed", check=False, timeout=90)
    assert result.returncode != 0
    assert result.seconds < 60
    assert not (tmp_path / "rank0.json").exists()
    # mpiexec names the dead process's pid; the strategy's start-up line maps it to rank 1.
    pids = dict(re.findall(r"rank (\d): pid (\d+)", result.stderr))
    dead = re.search(r"PID (\d+) RUNNING AT .*\n=\s+(?:EXIT CODE: 9|KILLED BY SIGNAL: 9)",
                     result.output)
    assert dead and dead.group(1) == pids["1"]


def test_a_stuck_rank_is_ended_by_the_collective_timeout(tmp_path):
    result = run("train.py", "--out", tmp_path, "--hang-at-epoch", "1", "--timeout", "5",
                 check=False, timeout=90)
    assert result.returncode != 0
    assert result.seconds < 60
    assert re.search(r"rank 0 of 2 waited 5 s in .*another rank is stuck", result.stderr)


def test_backup_and_restore_resumes_a_killed_run_exactly(tmp_path):
    common = ("--model", "bn", "--shuffle", "1", "--epochs", "4")
    killed = run("train.py", "--out", tmp_path / "resumed", *common, "--backup",
                 tmp_path / "backup", "--kill-at-epoch", "2", "--marker", tmp_path / "killed",
                 check=False)
    assert killed.returncode != 0 and (tmp_path / "killed").exists()
    run("train.py", "--out", tmp_path / "resumed", *common, "--backup", tmp_path / "backup",
        "--kill-at-epoch", "2", "--marker", tmp_path / "killed")
    run("train.py", "--out", tmp_path / "straight", *common, "--backup", tmp_path / "backup2")
    (a0, _), (a1, _) = load(tmp_path / "resumed", 0), load(tmp_path / "resumed", 1)
    (b0, _), (b1, _) = load(tmp_path / "straight", 0), load(tmp_path / "straight", 1)
    assert list(a0["begin"]) == ["2", "3"]  # the resumed run started at epoch 2
    assert a0["begin"] == a1["begin"]  # every rank restored the same state
    assert a0["begin"]["2"] == b0["begin"]["2"]
    assert a0["final"] == a1["final"] == b0["final"] == b1["final"]
    assert a0["history"] == b0["history"] and a0["epochs"] == [0, 1, 2, 3]
    assert not (tmp_path / "backup").exists()  # deleted once training completed
