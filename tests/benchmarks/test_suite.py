"""benchmarks/suite.py: its summaries and verdicts, and one row run for real."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
suite = pytest.importorskip("suite")


def _run(wall, cpu, pressure, rss=50.0):
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "load": 1.0, "pressure": pressure}


def test_summary_pools_every_call_of_every_round():
    runs = [_run([1.0, 3.0], [0.5, 0.7], 0.01, rss=40), _run([2.0], [0.6], 0.3, rss=60),
            {"error": "boom"}]
    s = suite.summarize(runs)
    assert (s["wall"], s["cpu"], s["rss_mb"], s["pressure"]) == (2.0, 0.6, 60, 0.3)
    assert suite.summarize([{"error": "x"}]) is None


def test_verdict_uses_wall_time_when_quiet_and_cpu_time_under_load():
    quiet_nd, quiet_pt = suite.summarize([_run([1.0], [2.0], 0.0)]), \
        suite.summarize([_run([4.0], [2.0], 0.0)])
    line = suite._line("row", quiet_nd, quiet_pt, 0.5, None, 10.0)
    assert "0.25x" in line and "pass (wall)" in line
    busy_nd, busy_pt = suite.summarize([_run([1.0], [3.0], 0.9)]), \
        suite.summarize([_run([4.0], [2.0], 0.9)])
    line = suite._line("row", busy_nd, busy_pt, 1.0, None, 10.0)
    assert "1.50x" in line and "**miss** by 50% (cpu)" in line


def test_gflops_against_the_ceiling():
    nd = suite.summarize([_run([0.5], [0.5], 0.0)])
    assert "(4.0 GFLOP/s = 40%)" in suite._line("row", nd, None, 1.0, 2e9, 10.0)
    assert suite.row_flops("cnn_infer_1024") == 2 * 1024 * (26 * 26 * 9 * 32 + 11 * 11 * 9 *
                                                            32 * 64 + 1600 * 64 + 640)


def test_a_row_runs_in_a_child_process():
    res = suite.spawn("numdeep", "predict_1", 1, 3)
    assert "error" not in res, res
    assert len(res["wall"]) == len(res["cpu"]) == 3 and res["rss_mb"] > 10
