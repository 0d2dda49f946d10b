"""``Progbar``: one Keras-style progress line (``fit`` epochs, downloads), drawn by tqdm.

On a terminal (or in a notebook) the line is redrawn in place and shows the steps done, an ETA
while running and the time per step at the end. When output goes to a file or a pipe, nothing is
redrawn (logs never fill with carriage returns): a plain line is written every ``interval``
seconds (30 by default) while a long run goes on (so a job log shows progress and an ETA), and
one final line at the end. ``ProgbarLogger`` draws ``fit``'s epochs with it.

Example:
    >>> import io
    >>> from numdeep.utils.progbar import Progbar
    >>> out = io.StringIO()
    >>> bar = Progbar(4, stream=out)
    >>> for step in range(1, 5):
    ...     bar.update(step, {"loss": 0.5}, finalize=False)
    >>> bar.close({"loss": 0.25})
    >>> print(out.getvalue().strip().replace("0s", "Ns"))  # doctest: +ELLIPSIS
    4/4 [==============================] - Ns ...s/step - loss: 0.2500
"""

import sys
import time

import numpy as np

__all__ = ["Progbar", "format_logs"]

#: Seconds between two progress lines when the output is not a terminal.
LOG_INTERVAL = 30.0


def _in_notebook():
    return "ipykernel" in sys.modules


def _number(v):
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(np.mean(np.asarray(v, dtype=np.float64)))
    except (TypeError, ValueError):
        return None


def format_logs(logs):
    """``"loss: 0.1234 - accuracy: 0.9000"`` for the numeric entries of ``logs``."""
    parts = []
    for k, v in logs.items():
        v = _number(v)
        if v is not None:
            parts.append(f"{k}: {v:.4f}" if v == 0 or abs(v) > 1e-3 else f"{k}: {v:.4e}")
    return " - ".join(parts)


def _format_time(seconds):
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60}s"
    return f"{seconds}s"


def format_eta(seconds):
    """Keras's ETA format: ``"7s"``, ``"1:05"`` (m:ss), ``"2:01:05"`` (h:mm:ss)."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _per_step(seconds, steps, unit):
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/{unit}"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/{unit}"
    return f"{per * 1e6:.0f}us/{unit}"


def _size(n):
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _eta(elapsed, done, total):
    if not total or not done or done >= total:
        return None
    return elapsed / done * (total - done)


def _keras_bar_class():
    # tqdm is imported on the first live progress bar, not with numdeep (import time).
    from tqdm import tqdm

    class _KerasBar(tqdm):
        """tqdm with the timing and running metrics rendered lazily, only on redraws."""

        logs = None
        unit_name = "step"

        @property
        def format_dict(self):
            d = super().format_dict
            elapsed, n = d.get("elapsed", 0.0), d.get("n", 0)
            eta = _eta(elapsed, n, d.get("total"))
            if eta is not None:
                text = f"ETA: {format_eta(eta)}"
            else:
                text = f"{_format_time(elapsed)} {_per_step(elapsed, n or 1, self.unit_name)}"
            if self.logs:
                text += " - " + format_logs(self.logs)
            d["timing"] = text
            return d

    return _KerasBar


class Progbar:
    """One progress line for ``target`` steps (Keras's ``Progbar``; tqdm draws on terminals).

    Args:
        target: the number of steps (``None`` when unknown).
        width: accepted for Keras compatibility (the bar is 30 characters).
        verbose: 1 = progress bar, 2 = only the final line, 0 = silent.
        interval: seconds between two progress lines when the output is not a terminal (numdeep
            waits 30 s by default, so job logs get a steady trickle instead of Keras's line
            every 0.05 s).
        stateful_metrics: names shown as given; every other name passed as ``(name, value)``
            pairs is averaged over the steps (Keras's rule).
        stateless_metrics: the opposite choice: only these names are averaged.
        unit_name: ``"step"``, or ``"bytes"`` to show sizes (downloads).
        stream: where to write (default: ``sys.stdout`` at the time of writing).

    ``update(current, values)`` takes Keras's ``[(name, value), ...]`` or a dict of running
    means (numdeep's ``fit`` logs, shown as they are).
    """

    def __init__(self, target, width=30, verbose=1, interval=LOG_INTERVAL,
                 stateful_metrics=None, stateless_metrics=None, unit_name="step", stream=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Only one of `stateful_metrics` or `stateless_metrics` can be "
                             "provided.")
        self.total, self.verbose, self.width = target, verbose, width
        self._stream = stream
        self.unit_name = unit_name
        self.interval = float(interval)
        self.stateful_metrics = None if stateful_metrics is None else set(stateful_metrics)
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._values = {}
        self.live = verbose == 1 and (_in_notebook() or getattr(self.stream, "isatty", bool)())
        self.start = self._last_line = time.perf_counter()
        self.seen = 0
        self.bar = None
        self._closed = False
        if self.live:
            self.bar = _keras_bar_class()(
                total=target, file=self.stream, ascii=".>=", mininterval=0.1, leave=True,
                bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {timing}",
                dynamic_ncols=False, ncols=200, unit_scale=unit_name == "bytes",
            )
            self.bar.unit_name = "B" if unit_name == "bytes" else unit_name

    @property
    def stream(self):
        return self._stream or sys.stdout

    @property
    def target(self):
        return self.total

    def _count(self, n):
        return _size(n) if self.unit_name == "bytes" else str(n)

    def _averaged(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in (self.stateful_metrics or ())

    def _record(self, step, values):
        if isinstance(values, dict):  # fit's logs: already running means
            self._values.update({k: v for k, v in values.items()})
            return
        base = max(step - self.seen, 1)
        for name, value in values:
            if not self._averaged(name):
                self._values[name] = value
                continue
            v = _number(value)
            total, count = self._values.get(name, (0.0, 0)) if isinstance(
                self._values.get(name), tuple) else (0.0, 0)
            self._values[name] = (total + v * base, count + base)

    def _logs(self):
        return {k: v[0] / max(v[1], 1) if isinstance(v, tuple) else v
                for k, v in self._values.items()}

    def _line(self, final):
        elapsed = time.perf_counter() - self.start
        total = "?" if self.total is None else self._count(self.total)
        line = f"{self._count(self.seen)}/{total}"
        if self.verbose == 1:
            done = 30 if final or not self.total else min(30, 30 * self.seen // self.total)
            arrow = ">" if done < 30 else ""
            line += " [" + "=" * done + arrow + "." * (30 - done - len(arrow)) + "]"
        eta = None if final else _eta(elapsed, self.seen, self.total)
        if eta is not None:
            line += f" - ETA: {format_eta(eta)}"
        else:
            unit = "B" if self.unit_name == "bytes" else self.unit_name
            line += f" - {_format_time(elapsed)} {_per_step(elapsed, self.seen, unit)}"
        logs = format_logs(self._logs())
        if logs:
            line += " - " + logs
        print(line, file=self.stream, flush=True)

    def update(self, current, values=None, finalize=None):
        """Mark ``current`` steps done (absolute count) with the metrics ``values``; the line is
        finished when ``finalize`` (default: ``current`` reached ``target``)."""
        if values:
            self._record(current, values)
        if self.bar is not None:
            self.bar.logs = self._logs()
            self.bar.update(current - self.seen)
        self.seen = current
        if finalize is None:
            finalize = self.total is not None and current >= self.total
        if finalize:
            self.close()
            return
        if self.bar is None and self.verbose == 1:
            now = time.perf_counter()
            if now - self._last_line >= self.interval and current != self.total:
                self._last_line = now
                self._line(final=False)

    def add(self, n, values=None):
        """``update`` by ``n`` more steps."""
        self.update(self.seen + n, values)

    def close(self, logs=None):
        """Finish the line (final time per step and metrics)."""
        if logs:
            self._record(self.seen, logs)
        if self._closed:
            return
        self._closed = True
        if self.bar is not None:
            self.bar.logs = self._logs()
            self.bar.refresh()
            self.bar.close()
            return
        if self.verbose:
            self._line(final=True)
