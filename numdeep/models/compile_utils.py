"""What ``compile(loss=..., metrics=...)`` turns into, resolved against the first batch.

``compile`` only records its arguments. On the first batch (when the structure and shapes of
``y_true``/``y_pred`` are known) ``CompileLoss`` pairs every output with its loss and weight, and
``CompileMetrics`` every output with its metrics, as Keras does:

- ``loss`` is one loss for every output, a list (one per output, or a structure matching the
  outputs), or a dict by output name; ``None`` leaves an output without loss.
- ``'accuracy'``/``'acc'`` becomes binary, sparse categorical or categorical accuracy from the
  shapes of ``y_true`` and ``y_pred``; ``'crossentropy'``/``'ce'`` likewise.
- ``metrics`` are updated without sample weights, ``weighted_metrics`` with them; results are
  named after the metric, prefixed by the output's name when the model has several outputs, and
  a weighted metric whose name is taken becomes ``weighted_<name>``.

Example:
    >>> import numpy as np
    >>> from numdeep.models.compile_utils import CompileLoss
    >>> loss = CompileLoss("mse")
    >>> float(loss(np.zeros((2, 1)), np.ones((2, 1), "float32")).data)
    1.0
"""

from collections import OrderedDict, namedtuple

import numpy as np

from numdeep import losses as losses_mod
from numdeep import metrics as metrics_mod
from numdeep import tree
from numdeep.models.plan import training as train_plans
from numdeep.ops.symbolic import KerasTensor

__all__ = ["CompileLoss", "CompileMetrics", "MetricsList", "get_loss", "get_metric"]


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _binary_or_sparse(y_true, y_pred):
    """Whether ``y_pred`` is one probability per sample (binary), and whether ``y_true`` holds
    class indices (sparse categorical) rather than one-hot rows."""
    t, p = _shape(y_true), _shape(y_pred)
    t_last = t[-1] if t else None
    p_last = p[-1] if p else None
    return p_last == 1, len(t) < len(p) or (t_last == 1 and p_last is not None and p_last > 1)


def _object_name(obj):
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    return getattr(obj, "__name__", type(obj).__name__.lower())


def get_metric(identifier, y_true, y_pred):
    """The metric object for one ``compile(metrics=...)`` entry of one output."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        binary, sparse = _binary_or_sparse(y_true, y_pred)
        cls = metrics_mod.BinaryAccuracy if binary else \
            metrics_mod.SparseCategoricalAccuracy if sparse else metrics_mod.CategoricalAccuracy
        metric = cls(name=str(identifier))
    else:
        metric = metrics_mod.get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, metrics_mod.Metric):
        metric = metrics_mod.MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def get_loss(identifier, y_true, y_pred):
    """The loss object for one output (``None``: the output has no loss)."""
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        binary, sparse = _binary_or_sparse(y_true, y_pred)
        loss = losses_mod.binary_crossentropy if binary else \
            losses_mod.sparse_categorical_crossentropy if sparse else \
            losses_mod.categorical_crossentropy
    else:
        loss = losses_mod.resolve(identifier)
    if not isinstance(loss, losses_mod.Loss):
        name = identifier if isinstance(identifier, str) else _object_name(loss)
        loss = losses_mod.LossFunctionWrapper(loss, name=name)
    return loss


class MetricsList:
    """The metrics of one output (``output_name`` prefixes their results)."""

    def __init__(self, metrics, output_name=None):
        self.metrics, self.output_name = list(metrics), output_name

    def update_state(self, y_true, y_pred, sample_weight=None):
        for m in self.metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _metrics_list(specs, y_true, y_pred, output_name=None):
    if specs is None:
        return None
    specs = specs if isinstance(specs, list | tuple) else [specs]
    return MetricsList([get_metric(m, y_true, y_pred) for m in specs], output_name=output_name)


class CompileMetrics:
    """The compiled metrics of a model, one ``MetricsList`` per output.

    Args:
        metrics: metrics updated without sample weights: a list (one output, or one entry per
            output), a dict by output name, or a structure matching the outputs.
        weighted_metrics: the same, for metrics updated with the sample weights.
        name: ignored (Keras's argument); the container is named ``compile_metrics``.
        output_names: the model's output names (names the results of several outputs).
    """

    def __init__(self, metrics, weighted_metrics, name="compile_metric", output_names=None):
        for arg, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, list | tuple | dict):
                raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. "
                                 f"Received instead: {arg}={value} of type {type(value)}")
        self._user_metrics, self._user_weighted_metrics = metrics, weighted_metrics
        self.name = "compile_metrics"
        self.output_names = output_names
        self.built = False
        self._flat_metrics, self._flat_weighted_metrics = [], []
        self._resolved_output_names = None

    @property
    def metrics(self):
        """Every metric object, unweighted first (``[]`` before ``build``)."""
        return [m for group in self._flat_metrics + self._flat_weighted_metrics if group
                for m in group.metrics]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true, y_pred):
        """Create the metric objects for targets and predictions shaped like these."""
        count = len(tree.flatten(y_pred))
        flat = tree.is_nested(y_pred) and len(y_pred) == count  # a plain list or dict
        names = self.output_names
        if flat and isinstance(y_pred, dict):
            if names and set(y_pred) == set(names):
                pass  # the model's own order
            elif isinstance(y_pred, OrderedDict):
                names = list(y_pred)
            else:
                names = sorted(y_pred)
        self._resolved_output_names = names if count > 1 and flat else None
        args = (count, names, y_true, y_pred, flat)
        self._flat_metrics = self._build_set(self._user_metrics, *args, "metrics")
        self._flat_weighted_metrics = self._build_set(self._user_weighted_metrics, *args,
                                                      "weighted_metrics")
        self.built = True

    def _build_set(self, specs, count, names, y_true, y_pred, flat, argument):
        if not specs:
            return [None] * count
        if count == 1:
            return [_metrics_list(tree.flatten(specs), tree.flatten(y_true)[0],
                                  tree.flatten(y_pred)[0])]
        per_output = None
        if flat:
            if isinstance(specs, list | tuple) and len(specs) == count:
                per_output = specs
            elif names and isinstance(specs, dict) and len(specs) <= count and \
                    set(specs) <= set(names):
                per_output = [specs.get(n) for n in names]
        if per_output is not None:
            try:
                return [_metrics_list(m, yt, yp, n) for m, yt, yp, n in zip(
                    per_output, self._flatten_y(y_true), self._flatten_y(y_pred),
                    names or [None] * count)]
            except ValueError as e:
                raise ValueError(f"{e}\nReceived: {argument}={specs}") from e
        # Deeply nested: `specs` must mirror the structure of the outputs.
        try:
            preds = tree.lists_to_tuples(y_pred)
            name_struct = tree.pack_sequence_as(preds, names or [None] * count)
            return tree.flatten(tree.map_structure_up_to(
                preds, _metrics_list, tree.lists_to_tuples(specs),
                tree.lists_to_tuples(y_true), preds, name_struct))
        except (ValueError, TypeError) as e:
            shape = tree.map_structure(lambda _: "X", y_pred)
            names_part = (f"either be a dict or a list matching the output names of the "
                          f"functional model {self.output_names} or ") if self.output_names \
                else ""
            raise ValueError(f"{e}\nInvalid `{argument}`. `{argument}` should contain metrics "
                             f"objects and {names_part}match the output structure of the "
                             f"model: {shape}.\nReceived: {argument}={specs}") from e

    def _flatten_y(self, y):
        if isinstance(y, dict) and self._resolved_output_names is not None:
            return [y[n] for n in self._resolved_output_names]
        return tree.flatten(y)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update every metric with one batch (weighted metrics with ``sample_weight``)."""
        if not self.built:
            self.build(y_true, y_pred)
        y_true, y_pred = self._flatten_y(y_true), self._flatten_y(y_pred)
        for group, yt, yp in zip(self._flat_metrics, y_true, y_pred):
            if group:
                group.update_state(yt, yp)
        if sample_weight is None:
            weights = [None] * len(y_true)
        else:
            weights = self._flatten_y(sample_weight)
            if len(weights) < len(y_true):  # one weight array for all the outputs
                weights = [weights[0]] * len(y_true)
        for group, yt, yp, sw in zip(self._flat_weighted_metrics, y_true, y_pred, weights):
            if group:
                group.update_state(yt, yp, sw)

    def reset_state(self):
        for group in self._flat_metrics + self._flat_weighted_metrics:
            if group:
                group.reset_state()

    def result(self):
        """``{name: value}`` as Keras names the compiled metrics."""
        if not self.built:
            raise ValueError("Cannot get result() since the metric has not yet been built.")
        results, counts = {}, {}
        for group in self._flat_metrics:
            for m in group.metrics if group else []:
                name = f"{group.output_name}_{m.name}" if group.output_name else m.name
                if name in counts:
                    counts[name] += 1
                    name = f"{name}_{counts[name] - 1}"
                else:
                    counts[name] = 1
                results[name] = m.result()
        for group in self._flat_weighted_metrics:
            for m in group.metrics if group else []:
                prefix = f"{group.output_name}_" if group.output_name else ""
                name = prefix + m.name
                if name in counts:
                    name = f"{prefix}weighted_{m.name}"
                    if name in counts:
                        counts[name] += 1
                        name = f"{name}_{counts[name] - 1}"
                    else:
                        counts[name] = 1
                else:
                    counts[name] = 1
                results[name] = m.result()
        return results


_Entry = namedtuple("_Entry", ["path", "loss", "loss_weight", "name"])


class _Weighted:
    """A loss paired with its weight: a leaf for the tree functions."""

    def __init__(self, loss, weight):
        self.loss, self.weight = loss, weight


def _weighted(loss, weight):
    return None if loss is None else _Weighted(loss, weight)


def _resolve(path, structure):
    for key in path:
        structure = structure[key]
    return structure


class CompileLoss:
    """The compiled loss: every output's loss and weight, summed (see the module docstring).

    Args:
        loss: a loss identifier, or a list/dict/structure of them (``None`` skips an output).
        loss_weights: a float (one output), or a list/tuple/dict of per-output weights.
        reduction: Keras's argument, kept for the signature; each loss reduces itself.
        output_names: the model's output names (what dict ``loss`` keys refer to).
    """

    def __init__(self, loss, loss_weights=None, reduction="sum_over_batch_size",
                 output_names=None):
        if loss_weights and not isinstance(loss_weights, list | tuple | dict | float):
            raise ValueError(f"Expected `loss_weights` argument to be a float (single output "
                             f"case) or a list, tuple, or dict (multiple output case). Received "
                             f"instead: loss_weights={loss_weights} of type {type(loss_weights)}")
        self._user_loss, self._user_loss_weights = loss, loss_weights
        self.output_names = output_names
        self.reduction = reduction
        self.name = "compile_loss"
        self.built = False
        self._metrics = []
        self._flat_losses = None
        self._y_pred_build_structure = self._y_true_build_structure = None

    @property
    def metrics(self):
        """One ``Mean`` tracker per loss when there are several (``<name>_loss``)."""
        return self._metrics

    @property
    def variables(self):
        return [v for m in self._metrics for v in m.variables]

    def build(self, y_true, y_pred):
        """Pair every output with its loss and weight, for data shaped like these."""
        loss, weights, names = self._user_loss, self._user_loss_weights, self.output_names
        if names and isinstance(loss, dict) and not isinstance(y_pred, dict):
            if set(names) != set(loss):
                raise ValueError(f"Expected keys {names} in loss dict, but found "
                                 f"loss.keys()={list(loss)}")
            loss = [loss[n] for n in names]
            if isinstance(weights, dict):
                weights = [weights[n] for n in names]
        if weights is not None:
            try:
                tree.assert_same_structure(loss, weights)
            except ValueError:
                flat_weights = tree.flatten(weights)
                if len(tree.flatten(loss)) != len(flat_weights):
                    raise ValueError(f"`loss_weights` must match the number of losses, got "
                                     f"{len(tree.flatten(loss))} losses and {len(weights)} "
                                     f"weights.") from None
                weights = tree.pack_sequence_as(loss, flat_weights)
            loss = tree.map_structure(_weighted, loss, weights)
        else:
            loss = tree.map_structure(lambda item: _weighted(item, None), loss)

        if names and isinstance(loss, dict) and set(loss) == set(names):
            if isinstance(y_pred, list | tuple) and len(y_pred) == len(names):
                y_pred, y_true = dict(zip(names, y_pred)), dict(zip(names, y_true))
            elif not tree.is_nested(y_pred) and len(names) == 1:
                y_pred, y_true = {names[0]: y_pred}, {names[0]: y_true}
        try:
            output_names = tree.pack_sequence_as(y_pred, names)
        except (ValueError, TypeError):
            output_names = tree.pack_sequence_as(y_pred, _prediction_names(y_pred))
        if not tree.is_nested(loss):
            single = loss
            loss = tree.map_structure(lambda _: single, y_pred)
        self._flat_losses = []
        self._build_nested(y_true, y_pred, loss, output_names, ())
        if len(self._flat_losses) > 1:
            self._metrics = [metrics_mod.Mean(name=f"{e.name}_loss") for e in self._flat_losses]
        self._y_pred_build_structure = tree.map_structure(lambda _: None, y_pred)
        self._y_true_build_structure = tree.map_structure(lambda _: None, y_true)
        self.built = True

    def _build_nested(self, y_true, y_pred, loss, output_names, path):
        if not tree.is_nested(loss):
            resolved = get_loss(loss.loss, y_true, y_pred)
            if resolved is None:
                return
            name_path = path
            if not tree.is_nested(output_names):
                output_name = output_names if output_names is not None else resolved.name
                if not name_path:
                    name_path = (output_name,)
                elif isinstance(name_path[-1], int):
                    name_path = name_path[:-1] + (output_name,)
            name = "/".join(str(p) for p in name_path)
            if name == "":
                flat = list(output_names) if isinstance(output_names, dict) else \
                    tree.flatten(output_names)
                name = "_".join(str(n) for n in flat)
            self._flat_losses.append(_Entry(path, resolved, loss.weight, name))
            return
        count = len(tree.flatten(y_pred))
        if isinstance(loss, list | tuple) and len(loss) == count and \
                not any(tree.is_nested(item) for item in loss):
            loss = tree.pack_sequence_as(y_pred, list(loss))
        elif isinstance(loss, list | tuple) and not isinstance(y_pred, type(loss)):
            for item in loss:
                self._build_nested(y_true, y_pred, item, output_names, path)
            return
        if not tree.is_nested(loss):
            return self._build_nested(y_true, y_pred, loss, output_names, path)
        if not isinstance(loss, type(y_pred)):
            raise KeyError(f"The path: {path} in the `loss` argument, can't be found in the "
                           f"model's output (`y_pred`).")
        if isinstance(loss, dict):
            items = loss.items()

            def present(key, obj):
                return isinstance(obj, dict) and key in obj
        elif isinstance(loss, list | tuple):
            items = enumerate(loss)

            def present(key, obj):
                return isinstance(obj, list | tuple) and key < len(obj)
        else:
            raise TypeError(f"Unsupported type {type(loss)} in the `loss` configuration.")
        for key, item in items:
            if item is None:
                continue
            if not (present(key, y_true) and present(key, y_pred)):
                raise KeyError(f"The path: {path + (key,)} in the `loss` argument, can't be "
                               f"found in either the model's output (`y_pred`) or in the labels "
                               f"(`y_true`).")
            self._build_nested(y_true[key], y_pred[key], item, output_names[key],
                               path + (key,))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The weighted sum of the outputs' losses (``None`` when no output has a loss)."""
        if not tree.is_nested(y_true) and not tree.is_nested(y_pred):
            if not self.built:
                self.build(y_true, y_pred)
            values = [self._value(e, y_true, y_pred, sample_weight, None)
                      for e in self._flat_losses]
            return values[0] if values else None
        y_true = self._match_targets(y_true, y_pred)
        if not self.built:
            self.build(y_true, y_pred)
        y_pred = _restructure(self._y_pred_build_structure, y_pred)
        y_true = _restructure(self._y_true_build_structure, y_true)
        trackers = self._metrics or [None]
        total = None
        for entry, tracker in zip(self._flat_losses, trackers):
            value = self._value(entry, y_true, y_pred, sample_weight, tracker)
            total = value if total is None else total + value
        return total

    @staticmethod
    def _value(entry, y_true, y_pred, sample_weight, tracker):
        y_t, y_p = _resolve(entry.path, y_true), _resolve(entry.path, y_pred)
        sw = _resolve(entry.path, sample_weight) if sample_weight is not None and \
            tree.is_nested(sample_weight) else sample_weight
        value = entry.loss(y_t, y_p, sample_weight=sw)
        if tracker is not None:  # the unweighted loss of this output
            batch = _shape(tree.flatten(y_p)[0])[0]
            tracker.update_state(float(np.asarray(value.data)), sample_weight=batch)
            trace = train_plans.observer()
            if trace is not None:  # a training plan repeats this update at each replay
                trace.tracker_update(tracker, value, batch)
        if entry.loss_weight is not None:
            value = value * entry.loss_weight
        return value

    def _match_targets(self, y_true, y_pred):
        """``y_true`` in the structure of ``y_pred`` (a list for dict outputs, a dict by
        output name for list outputs, a single array for one output, or only the outputs that
        have a loss)."""
        try:
            tree.assert_same_structure(y_pred, y_true)
            return y_true
        except (ValueError, TypeError):
            pass
        if not tree.is_nested(y_true) and hasattr(y_pred, "__len__") and len(y_pred) == 1:
            y_true = [y_true]
        elif isinstance(y_pred, list | tuple) and isinstance(y_true, dict) and \
                self.output_names and set(self.output_names) == set(y_true):
            y_true = [y_true[n] for n in self.output_names]
        if isinstance(y_true, list | tuple) and len(y_true) == len(tree.flatten(y_pred)) and \
                not any(tree.is_nested(v) for v in y_true):
            return tree.pack_sequence_as(y_pred, list(y_true))
        try:  # the same paths in other containers (a list where y_pred has a tuple)
            tree.assert_same_paths(y_true, y_pred)
            return tree.pack_sequence_as(y_pred, tree.flatten(y_true))
        except (ValueError, TypeError):
            pass
        flat_true = tree.flatten(y_true)
        flat_loss = tree.flatten(self._user_loss)
        present = [i for i, item in enumerate(flat_loss) if item is not None]
        if len(flat_true) == len(present) and len(flat_loss) == len(tree.flatten(y_pred)):
            filled = [None] * len(flat_loss)
            for i, value in zip(present, flat_true):
                filled[i] = value
            return tree.pack_sequence_as(y_pred, filled)
        star = lambda _: "*"  # noqa: E731
        raise ValueError(f"y_true and y_pred have different structures.\n"
                         f"y_true: {tree.map_structure(star, y_true)}\n"
                         f"y_pred: {tree.map_structure(star, y_pred)}\n")


def _restructure(reference, value):
    try:
        tree.assert_same_structure(reference, value)
        return value
    except (ValueError, TypeError):
        return tree.pack_sequence_as(reference, tree.flatten(value))


def _prediction_names(y_pred):
    flat = tree.flatten(y_pred)
    if all(isinstance(t, KerasTensor) for t in flat):
        return [t.node.operation.name if t.node is not None else t.name for t in flat]
    return [None] * len(flat)
