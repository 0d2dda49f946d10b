"""Progbar: an ETA while running, a line every ``interval`` seconds when the output is not a
terminal (never a carriage return), and the final per-step line."""

import io

import numpy as np

import numdeep as nd
from numdeep.utils import progbar
from numdeep.utils.progbar import Progbar, format_eta


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_eta_format():
    assert [format_eta(s) for s in (7.4, 65, 7265)] == ["7s", "1:05", "2:01:05"]


def test_non_terminal_prints_progress_lines_at_a_steady_interval(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progbar.time, "perf_counter", clock)
    out = io.StringIO()
    bar = Progbar(100, stream=out, interval=30)
    for step in range(1, 101):
        clock.now += 1.0  # one second per step: a line every 30 steps
        bar.update(step, {"loss": 1.0 / step}, finalize=False)
    bar.close({"loss": 0.01})
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split()[0] for line in lines] == ["30/100", "60/100", "90/100", "100/100"]
    assert "ETA: 1:10" in lines[0] and "ETA: 40s" in lines[1] and "loss: 0.0333" in lines[0]
    assert lines[0].split("[")[1].startswith("=========>")
    assert lines[-1] == "100/100 [" + "=" * 30 + "] - 1m 40s 1s/step - loss: 0.0100"


def test_short_runs_and_verbose_2_stay_quiet_until_the_end(monkeypatch):
    out = io.StringIO()
    bar = Progbar(5, stream=out)
    for step in range(1, 6):
        bar.update(step)  # the last step finishes the line (Keras's default)
    bar.close()
    assert len(out.getvalue().splitlines()) == 1
    out2 = io.StringIO()
    bar = Progbar(5, verbose=2, stream=out2, interval=0)
    for step in range(1, 6):
        bar.update(step, finalize=False)
    bar.close({"loss": 0.5})
    assert out2.getvalue().splitlines() == [out2.getvalue().strip()]
    assert "[" not in out2.getvalue() and "loss: 0.5000" in out2.getvalue()


def test_terminal_bar_shows_eta_while_running():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = Progbar(10, stream=out)
    bar.update(4, {"loss": 0.5})
    assert "ETA:" in bar.bar.format_dict["timing"] and "loss: 0.5000" in bar.bar.format_dict[
        "timing"]
    bar.update(10, {"loss": 0.25}, finalize=False)
    assert "ETA" not in bar.bar.format_dict["timing"]
    bar.close({"loss": 0.25})


def test_fit_logs_through_the_bar_without_carriage_returns(capsys):
    model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, batch_size=4, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "Epoch 2/2" in out and "2/2 [" in out


def test_keras_values_are_averaged_unless_stateful():
    out = io.StringIO()
    bar = Progbar(3, interval=0, stream=out)
    bar.update(1, [("loss", 0.0), ("acc", 0.5)])
    bar.update(2, [("loss", 2.0), ("acc", 0.7)])
    assert out.getvalue().splitlines()[-1].endswith("loss: 1.0000 - acc: 0.6000")
    out = io.StringIO()
    bar = Progbar(3, interval=0, stateful_metrics=["acc"], stream=out)
    bar.update(1, [("loss", 0.0), ("acc", 0.5)])
    bar.add(1, [("loss", 2.0), ("acc", 0.7)])
    bar.update(3, [("loss", 4.0), ("acc", 0.9)])  # reaching the target finishes the line
    lines = out.getvalue().splitlines()
    assert lines[1].endswith("acc: 0.7000") and lines[-1].startswith("3/3 [====")
    assert lines[-1].endswith("loss: 2.0000 - acc: 0.9000")
