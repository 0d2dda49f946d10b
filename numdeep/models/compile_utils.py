"""What ``compile(loss=..., metrics=...)`` turns into: one loss per output and the metrics.

``compile`` only records its arguments; they are resolved here on first use, once the model's
outputs (their names and shapes) are known: ``CompileLoss`` maps ``loss``/``loss_weights`` (one
value, a list or a dict by output name) onto the outputs and sums the weighted losses;
``CompileMetrics`` maps ``metrics`` the same way, choosing each ``'accuracy'`` variant from that
output's loss and shape.

Example:
    >>> import numpy as np
    >>> from numdeep.models.compile_utils import CompileLoss
    >>> loss = CompileLoss("mse", None, ["out"])
    >>> float(loss(np.zeros((2, 1)), np.ones((2, 1), "float32")).data)
    1.0
"""

from numdeep import losses as losses_mod
from numdeep import metrics as metrics_mod
from numdeep import tree
from numdeep.autograd import Tensor

__all__ = ["CompileLoss", "CompileMetrics", "split_targets"]


def split_targets(y, output_names):
    """``y`` as one target per output: a single array for one output, a dict by output name or
    a (nested) list for several."""
    if len(output_names) == 1:
        return [y]
    if isinstance(y, dict):
        missing = [n for n in output_names if n not in y]
        if missing:
            raise ValueError(f"y has no targets for outputs {missing}; y keys: {list(y)}.")
        return [y[n] for n in output_names]
    targets = tree.flatten(y)
    if len(targets) != len(output_names):
        raise ValueError(f"The model has {len(output_names)} outputs but y holds "
                         f"{len(targets)} arrays.")
    return targets


def _per_output(value, output_names, what, default):
    """One entry per output from a single value, a list or a dict keyed by output name."""
    if isinstance(value, dict):
        unknown = set(value) - set(output_names)
        if unknown:
            raise ValueError(f"compile({what}=...) names unknown outputs {sorted(unknown)}; "
                             f"the model's outputs are {output_names}.")
        return [value.get(name, default) for name in output_names]
    if isinstance(value, list | tuple):
        if len(value) != len(output_names):
            raise ValueError(f"compile({what}=...) has {len(value)} entries for "
                             f"{len(output_names)} outputs.")
        return list(value)
    return [value] * len(output_names)


class CompileLoss:
    """The compiled loss: per-output losses, their weights and (for several outputs) a loss
    tracker per output.

    Args:
        loss: a loss identifier, or a list/dict of them (one per output; ``None`` skips one).
        loss_weights: ``None``, or a list/dict of per-output weights.
        output_names: the model's output names.
    """

    def __init__(self, loss, loss_weights, output_names):
        if loss is None:
            raise ValueError("compile() needs a `loss` to train or evaluate.")
        self.output_names = list(output_names)
        self.losses = [None if item is None else losses_mod.get(item)
                       for item in _per_output(loss, self.output_names, "loss", None)]
        weights = [1.0] * len(self.output_names) if loss_weights is None else \
            _per_output(loss_weights, self.output_names, "loss_weights", 1.0)
        self.weights = [float(w) for w in weights]
        multi = len(self.output_names) > 1
        self.trackers = [metrics_mod.Mean(name=f"{n}_loss") for n in self.output_names] \
            if multi else []

    def __call__(self, y, y_pred, sample_weight=None):
        """The weighted sum of the output losses (``None`` when every output is skipped)."""
        preds = tree.flatten(y_pred)
        targets = split_targets(y, self.output_names)
        total = None
        for i, (fn, w, yt, yp) in enumerate(zip(self.losses, self.weights, targets, preds)):
            if fn is None:
                continue
            value = fn(yt, yp, sample_weight=sample_weight)
            if self.trackers:
                self.trackers[i].update_state(float(value.data), sample_weight=len(yt))
            value = value if w == 1.0 else value * w
            total = value if total is None else total + value
        return total


class CompileMetrics:
    """The compiled metrics, resolved against the outputs on the first batch.

    Args:
        metrics: a list of metric identifiers (one output), a list of lists or a dict by output
            name (several outputs).
    """

    def __init__(self, metrics):
        self.specs = metrics
        self.output_names = []
        self.metrics = None  # built on the first batch
        self.outputs = []  # which output each metric watches

    def build(self, y_pred, losses, output_names):
        """Create the metric objects for predictions shaped like ``y_pred``, given each output's
        loss (``None`` entries allowed) and name."""
        preds = tree.flatten(y_pred)
        self.output_names = list(output_names)
        names, specs, multi = self.output_names, self.specs, len(preds) > 1
        if isinstance(specs, dict):
            per_output = [_as_list(m) for m in _per_output(specs, names, "metrics", None)]
        elif multi and specs and all(isinstance(m, list | tuple | type(None)) for m in specs):
            per_output = [_as_list(m) for m in _per_output(specs, names, "metrics", None)]
        elif multi and specs:
            raise ValueError(
                f"The model has {len(preds)} outputs {names}: give metrics as a dict "
                f"{{output_name: [metrics]}} or one list per output."
            )
        else:
            per_output = [list(specs)] + [[] for _ in preds[1:]]
        self.metrics, self.outputs = [], []
        for i, (items, pred) in enumerate(zip(per_output, preds)):
            loss = losses[i] if losses else None
            for spec in items:
                m = metrics_mod.get(spec, loss=loss, output_shape=pred.shape)
                if multi:
                    m.name = f"{names[i]}_{m.name}"
                self.metrics.append(m)
                self.outputs.append(i)

    def update_state(self, y, y_pred, sample_weight=None):
        """Update every metric with one batch."""
        if not self.metrics:
            return
        preds = [p.data if isinstance(p, Tensor) else p for p in tree.flatten(y_pred)]
        targets = split_targets(y, self.output_names)
        for m, i in zip(self.metrics, self.outputs):
            m.update_state(targets[i], preds[i], sample_weight=sample_weight)


def _as_list(specs):
    if specs is None:
        return []
    return list(specs) if isinstance(specs, list | tuple) else [specs]
