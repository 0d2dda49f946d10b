"""``plot_history``: training curves of a ``fit`` run (matplotlib, the ``plots`` extra).

One panel per metric (``loss``, ``accuracy``...), the training curve and, when present, the
validation curve (``val_`` + name) over the epochs. The figure is drawn on a
``matplotlib.figure.Figure`` (no GUI backend), saved when ``to_file`` is given.

Example:
    >>> import os, tempfile
    >>> from numdeep.utils import plot_history
    >>> logs = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6], "accuracy": [.6, .8, .9]}
    >>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> fig = plot_history(logs, to_file=path)
    >>> len(fig.axes), os.path.getsize(path) > 0
    (2, True)
"""

__all__ = ["plot_history"]


def _import_figure():
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("plot_history needs matplotlib: pip install 'numdeep[plots]' (or pip "
                          "install matplotlib).") from e
    return Figure


def _logs(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"plot_history takes a History (what fit returns) or its `history` "
                        f"dict; received {type(history).__name__}.")
    return logs


def plot_history(history, metrics=None, to_file=None, title=None, figsize=None, dpi=100):
    """Plot the per-epoch logs of ``fit``.

    Args:
        history: the ``History`` that ``fit`` returns, or its ``history`` dict.
        metrics: the names to plot (default: every logged name without the ``val_`` prefix,
            loss first).
        to_file: save the figure there (the format follows the extension: ``.png``, ``.svg``...).
        title: the figure's title.
        figsize: ``(width, height)`` in inches (default: 4.5 per panel by 3.5).
        dpi: resolution of saved raster images.

    Returns:
        The ``matplotlib.figure.Figure``.
    """
    figure_class = _import_figure()
    logs = _logs(history)
    if metrics is None:
        names = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
        metrics = sorted(names, key=lambda k: (k != "loss", names.index(k)))
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in logs]
    if missing or not metrics:
        raise ValueError(f"plot_history: no logs named {missing or metrics}; the history holds "
                         f"{sorted(logs)}.")
    fig = figure_class(figsize=figsize or (4.5 * len(metrics), 3.5), dpi=dpi,
                       layout="constrained")
    for ax, name in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="o", markersize=3, label="training")
        if f"val_{name}" in logs:
            val = logs[f"val_{name}"]
            ax.plot(range(1, len(val) + 1), val, marker="o", markersize=3, label="validation")
            ax.legend()
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    if to_file is not None:
        fig.savefig(to_file, dpi=dpi)
    return fig
