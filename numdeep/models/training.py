"""``compile``/``fit``/``evaluate``/``predict``: the Keras training API, mixed into ``Model``."""

import inspect
import warnings
import weakref

import numpy as np

from numdeep import metrics as metrics_mod
from numdeep import optimizers, tree
from numdeep.autograd import Tensor, no_grad
from numdeep.backend import config
from numdeep.backend.strategy_scope import current_strategy
from numdeep.backend.symbolic_scope import SymbolicScope
from numdeep.callbacks import CallbackList, History, ProgbarLogger
from numdeep.layers.input_spec import assert_input_compatibility
from numdeep.layers.layer import Layer
from numdeep.models import plan
from numdeep.models.compile_utils import CompileLoss, CompileMetrics
from numdeep.models.data_adapter import ArrayDataAdapter, unpack_x_y_sample_weight
from numdeep.models.epoch_iterator import EpochIterator
from numdeep.models.plan import training as train_plans


class Trainer:
    """Training, evaluation and prediction for ``Model`` (Keras signatures and defaults)."""

    # The trainer's own state is not the model's: never tracked as its metrics or layers.
    _untracked_attrs = Layer._untracked_attrs | {
        "_loss_tracker", "_compile_loss", "_compile_metrics", "_compile_config",
        "_loss_weights", "_train_weights", "_in_fit", "_warned_no_weights", "optimizer",
        "loss", "history", "compiled", "stop_training", "stop_evaluating", "stop_predicting",
        "_initial_epoch", "_plan_training"}

    def __init__(self):
        # Keras mixes a Trainer into any layer (`class M(Trainer, Dense)` calling
        # `Trainer.__init__(self)`); Model calls `_init_trainer` from its own __init__.
        self._init_trainer()

    def _init_trainer(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compile_config = None
        self._loss_weights = None
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._compile_loss = None  # resolved on first use, once the outputs are known
        self._compile_metrics = None
        self.run_eagerly = False
        self.jit_compile = False
        self.stop_evaluating = False
        self.stop_predicting = False

    # ----- compile -----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: optimizer, loss and metrics (strings or objects).

        Args:
            optimizer: name (``'adam'``) or ``Optimizer`` instance.
            loss: name (``'sparse_categorical_crossentropy'``), ``Loss`` instance or function;
                a list/dict gives one loss per output.
            loss_weights: per-output weights of the losses (list or dict).
            metrics: list of names (``'accuracy'``) or ``Metric`` instances.
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._loss_weights = loss_weights
        # Only a functional model has output names (what dict losses/metrics refer to).
        output_names = getattr(self, "output_names", None) or None
        self._compile_loss = CompileLoss(loss, loss_weights, output_names=output_names) \
            if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics,
                                               output_names=output_names) \
            if metrics is not None or weighted_metrics is not None else None
        self.compiled = True
        # Compiled inside `MPIStrategy.scope()` (numdeep.distribute): fit runs through it.
        self._distribute_strategy = current_strategy()
        self.run_eagerly = bool(run_eagerly)
        # As Keras on PyTorch reports it, "auto" reads False; numdeep compiles fit's stock
        # step to a training plan (numdeep.models.plan.training) unless jit_compile=False.
        self.jit_compile = False if jit_compile == "auto" else bool(jit_compile)
        self._plan_training = jit_compile is not False and not self.run_eagerly
        train_plans.forget(self)
        self.steps_per_execution = steps_per_execution
        self._compile_config = dict(
            optimizer=optimizer if isinstance(optimizer, str) else None, loss=loss,
            loss_weights=loss_weights, metrics=metrics, weighted_metrics=weighted_metrics,
            run_eagerly=run_eagerly, steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )

    @property
    def metrics(self):
        """Keras's order: the loss tracker, the compiled metrics (one container), the per-output
        loss trackers, then metrics tracked on the model and its layers (reset each epoch)."""
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out += self._compile_loss.metrics
        out += self._metrics
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):  # a sub-model's trainer state is its own
                out += layer._metrics
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    # ----- the state as a tree of paths ------------------------------------------------------
    def get_state_tree(self, value_format="backend_tensor"):
        """Every variable's value, nested by its path: ``{"trainable_variables": {"dense":
        {"kernel": ...}}, "non_trainable_variables", "optimizer_variables",
        "metrics_variables"}`` (``value_format="numpy_array"`` for NumPy copies)."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(f"`value_format` must be 'backend_tensor' or 'numpy_array'. "
                             f"Received: value_format={value_format}")

        def value(v):
            return v.numpy() if value_format == "numpy_array" else v.value

        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": optimizer.variables if optimizer is not None else [],
                  "metrics_variables": self.metrics_variables}
        tree_out = {}
        for group, variables in groups.items():
            nested = tree_out[group] = {}
            for v in variables:
                *parents, leaf = v.path.split("/")
                node = nested
                for part in parents:
                    node = node.setdefault(part, {})
                if leaf in node:
                    raise ValueError(f"The following variable path is found twice in the "
                                     f"model: '{v.path}'. `get_state_tree()` can only be called "
                                     f"when all variable paths are unique. Make sure to give "
                                     f"unique names to your layers (and other objects).")
                node[leaf] = value(v)
        return tree_out

    def set_state_tree(self, state_tree):
        """Assign the values of a ``get_state_tree()``-shaped dict (any subset of its groups
        and paths) to the model's variables."""
        optimizer = getattr(self, "optimizer", None)
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": optimizer.variables if optimizer is not None else [],
                  "metrics_variables": self.metrics_variables}
        for group, nested in state_tree.items():
            if group not in groups:
                raise ValueError(f"Unknown state tree group {group!r}; expected some of "
                                 f"{list(groups)}.")
            by_path = {v.path: v for v in groups[group]}
            for path, value in _flatten_paths(nested):
                if path not in by_path:
                    raise ValueError(f"set_state_tree: {group} has no variable at path "
                                     f"'{path}'. Known paths: {sorted(by_path)}")
                by_path[path].assign(np.asarray(value))

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # ----- one step ----------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Total loss: the compiled loss(es) plus the losses the layers added (regularization
        penalties, ``add_loss``)."""
        total = self._compile_loss(y, y_pred, sample_weight) \
            if self._compile_loss is not None else None
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        # An override written before Keras 3.3 has no `training` argument.
        if _takes_training(self.compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _symbolic_build(self, iterator=None, data_batch=None):
        """Build the model, the compiled loss and the compiled metrics from one batch without
        training or changing any state (Keras calls this before the first step)."""
        if data_batch is None:
            for _, _, batches in iterator.enumerate_epoch():
                data_batch = batches[0]
                break
        x, y, _ = unpack_x_y_sample_weight(data_batch)
        with no_grad(), SymbolicScope():
            if not self.built:
                self(x)
            y_pred = self(x, training=False)
        if self._compile_loss is not None and not self._compile_loss.built and y is not None:
            self._compile_loss.build(y, y_pred)
        if self._compile_metrics is not None and not self._compile_metrics.built and \
                y is not None:
            self._compile_metrics.build(y, y_pred)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch and return all current results."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{name: result}`` of every metric (the compiled ones under their own names)."""
        out = {}
        for m in self.metrics:
            if m is self._compile_metrics:
                if m.built:
                    out.update(m.result())
            else:
                out[m.name] = m.result()
        return out

    def train_step(self, data):
        """One optimisation step on a batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)``;
        returns the metric logs.

        Override it (with ``test_step``/``predict_step``) to customise what ``fit`` does.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        _require_targets(y, "fit")
        y_pred = self(x, training=True)
        weights = self._train_weights
        if weights is None:
            weights = self.trainable_weights
            if self._in_fit:
                self._train_weights = weights  # one walk of the layers per fit, not per step
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        if weights and loss.requires_grad:
            for w in weights:
                w.grad = None
            root = self.optimizer.scale_loss(loss)  # apply() divides the gradients back
            trace = train_plans.observer()  # fit is tracing this step for a training plan
            if trace is not None:
                trace.before_backward(root, loss, y_pred, weights)
            root.backward()
            if trace is not None:
                trace.after_backward(weights)
            self.optimizer.apply([w.grad for w in weights], weights)
        elif not self._warned_no_weights:
            warnings.warn(f"Model '{self.name}' has no trainable weights: fit() computes the "
                          f"loss and metrics but updates nothing.", stacklevel=2)
            self._warned_no_weights = True
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on a batch without updating weights; returns the metric logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        _require_targets(y, "evaluate")
        with no_grad():
            y_pred = self(x, training=False)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output for a batch, as NumPy array(s)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
        return tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else t, y_pred)

    # ----- loops -------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, check_finite=True):
        """Train for ``epochs`` passes over the data; returns a ``History``.

        Args:
            x: input samples (arrays, or lists/dicts for several inputs), or a
                ``numdeep.utils.PyDataset``, a generator or an iterable of batches (a PyTorch
                ``DataLoader``) yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
            y: targets, with array ``x`` only.
            batch_size: samples per gradient step (default 32; arrays only).
            epochs: number of passes over the data.
            verbose: ``'auto'``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: list of ``Callback``.
            validation_split: fraction of the array data, taken from the end before shuffling,
                held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight_val)``, or a
                dataset/generator like ``x``.
            shuffle: reshuffle the training samples every epoch (``'batch'``: only within
                each batch, as Keras 3).
            class_weight: ``{class_id: weight}`` scaling each sample's loss by its class.
            sample_weight: per-sample loss weights (arrays only).
            initial_epoch: epoch to start counting from (to resume training).
            steps_per_epoch: batches per epoch (default: the whole data once; needed for an
                endless generator).
            validation_steps: batches of validation data per evaluation.
            validation_freq: validate every this many epochs.
            check_finite: reject NaN/inf in array data up front (a numdeep extra).

        Returns:
            A ``History`` whose ``history`` dict maps ``'loss'``, metric names and their
            ``'val_'`` versions to per-epoch Python floats.
        """
        self._require_compiled("fit")
        if self._distribute_strategy is not None and \
                not self._distribute_strategy.in_fit(self):
            # The strategy shards the data and syncs the ranks around a second call of fit.
            arguments = dict(locals())
            del arguments["self"]
            return self._distribute_strategy.fit(self, **arguments)
        epochs = _check_count(epochs, "epochs", minimum=0)
        if config.max_epochs() is not None:
            epochs = min(epochs, config.max_epochs())
        initial_epoch = _check_count(initial_epoch, "initial_epoch", minimum=0)
        validation_freq = _check_count(validation_freq, "validation_freq", minimum=1)
        batch_size = _check_batch_size(batch_size)
        verbose = _resolve_verbose(verbose)
        if validation_split and validation_data is None:
            if not 0.0 <= float(validation_split) < 1.0:
                raise ValueError(f"`validation_split` must be in [0, 1). Received: "
                                 f"{validation_split}")
            data = ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size,
                                    check_finite=check_finite, caller="fit")
            train, val_data = data.split(validation_split)
            x, y, sample_weight = train.x, train.y, train.sample_weight
            validation_data = (val_data.x, val_data.y, val_data.sample_weight)
        iterator = EpochIterator(x, y, sample_weight, batch_size=batch_size,
                                 steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                 class_weight=class_weight, check_finite=check_finite)
        self._check_data_shapes(iterator.data_adapter)
        val = None
        if validation_data is not None:
            val = self._validation_iterator(validation_data, validation_batch_size or batch_size,
                                            validation_steps, check_finite)
        self.history = History()
        # History first, so callbacks that resume training (BackupAndRestore) can refill it in
        # their own on_train_begin after it has been reset.
        cbs = [self.history] + list(callbacks or [])
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        cb = CallbackList(cbs, model=self, epochs=epochs, steps=iterator.num_batches,
                          verbose=verbose, mode="fit")
        self._build_from(iterator.data_adapter)
        self._train_weights, self._in_fit = None, True
        try:
            self._run_epochs(iterator, val, cb, epochs, initial_epoch, validation_freq)
        finally:
            self._train_weights, self._in_fit = None, False
        return self.history

    def _validation_iterator(self, validation_data, batch_size, steps, check_finite):
        if isinstance(validation_data, tuple | list):
            if len(validation_data) not in (2, 3):
                raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, "
                                 "y_val, sample_weight_val), or a dataset or generator.")
            vx, vy, vsw = (*validation_data, None)[:3]
            return EpochIterator(vx, vy, vsw, batch_size=batch_size, steps_per_epoch=steps,
                                 caller="fit(validation_data)", check_finite=check_finite)
        return EpochIterator(validation_data, batch_size=None, steps_per_epoch=steps,
                             caller="fit(validation_data)")

    def _run_epochs(self, iterator, val, cb, epochs, initial_epoch, validation_freq):
        self.stop_training = False
        self._initial_epoch = None
        cb.on_train_begin()
        if self._initial_epoch is not None:
            # A callback restored a backup in on_train_begin and says where to continue.
            initial_epoch = max(initial_epoch, self._initial_epoch)
            self._initial_epoch = None
        logs, last_epoch_logs = {}, {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cb.on_epoch_begin(epoch)
            for step, _, batches in iterator.enumerate_epoch():
                cb.on_train_batch_begin(step)
                for batch in batches:
                    logs = train_plans.train_step(self, batch)  # the stock step, planned
                cb.on_train_batch_end(step, _floats(logs))
                if self.stop_training:
                    break
            # The last step's logs hold the epoch's running results (a custom train_step may
            # report keys of its own, as in Keras).
            epoch_logs = _floats(logs if logs else self.get_metrics_result())
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_iterator(val, cb=cb)  # test hooks fire, as Keras
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            logs, last_epoch_logs = {}, epoch_logs
            if self.stop_training:
                break
        if self.optimizer is not None and epochs > 0:
            # With use_ema the moving averages become the weights, as Keras ends fit.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        cb.on_train_end(last_epoch_logs)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, check_finite=True):
        """Loss and metrics on the data: a scalar loss, ``[loss, *metrics]``, or a dict.

        Takes the data as ``fit`` does (arrays, a PyDataset, a generator or an iterable).

        Example:
            >>> import numdeep as nd
            >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,),
            ...                                        kernel_initializer="ones")])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.evaluate([[1.0], [2.0]], [[1.0], [2.0]], verbose=0)
            0.0
        """
        self._require_compiled("evaluate")
        batch_size = _check_batch_size(batch_size)
        iterator = EpochIterator(x, y, sample_weight, batch_size=batch_size,
                                 steps_per_epoch=steps, caller="evaluate",
                                 check_finite=check_finite)
        self._check_data_shapes(iterator.data_adapter)
        verbose = _resolve_verbose(verbose)
        cbs = list(callbacks or [])
        if verbose and iterator.num_batches != 1:
            cbs.append(ProgbarLogger(verbose))
        cb = CallbackList(cbs, model=self, steps=iterator.num_batches, verbose=verbose,
                          mode="evaluate")
        self._build_from(iterator.data_adapter)
        logs = self._evaluate_iterator(iterator, cb)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_iterator(self, iterator, cb):
        self.reset_metrics()
        if cb is not None:
            cb.on_test_begin()
        logs = {}
        self.stop_evaluating = False
        for step, _, batches in iterator.enumerate_epoch():
            if cb is not None:
                cb.on_test_batch_begin(step)
            for batch in batches:
                logs = self.test_step(batch)
            if cb is not None:
                cb.on_test_batch_end(step, _floats(logs))
            if self.stop_evaluating:
                break
        # The metrics' results, unless a custom test_step reports other keys: then its last
        # logs (as Keras does).
        metric_logs = self.get_metrics_result()
        if not isinstance(logs, dict) or set(logs) == set(metric_logs):
            logs = metric_logs
        logs = _floats(logs)
        if cb is not None:
            cb.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as NumPy arrays, computed in batches without a graph.

        Takes the data as ``fit`` does (targets in the batches are ignored).

        Example:
            >>> import numpy as np
            >>> import numdeep as nd
            >>> model = nd.Sequential([nd.layers.Dense(2, input_shape=(3,))])
            >>> model.predict(np.zeros((5, 3)), verbose=0).shape
            (5, 2)
        """
        batch_size = _check_batch_size(batch_size)
        fast = plan.predict(self, x, batch_size, steps, callbacks)  # one small batch, planned
        if fast is not None:
            return fast
        iterator = EpochIterator(x, batch_size=batch_size, steps_per_epoch=steps,
                                 caller="predict", check_finite=False)
        adapter = iterator.data_adapter
        self._check_data_shapes(adapter)
        verbose = _resolve_verbose(verbose)
        cbs = list(callbacks or [])
        if verbose and iterator.num_batches != 1:
            cbs.append(ProgbarLogger(verbose))
        if not cbs and steps is None and isinstance(adapter, ArrayDataAdapter) and \
                adapter.num_batches == 1:
            # The common single-batch case: no callbacks, no bookkeeping.
            return self.predict_step(adapter.take(slice(None)))
        cb = CallbackList(cbs, model=self, steps=iterator.num_batches, verbose=verbose,
                          mode="predict")
        cb.on_predict_begin()
        outputs = []
        self.stop_predicting = False
        for step, _, batches in iterator.enumerate_epoch():
            cb.on_predict_batch_begin(step)
            for batch in batches:
                outputs.append(self.predict_step(batch))
            cb.on_predict_batch_end(step, {"outputs": outputs[-1]})
            if self.stop_predicting:
                break
        cb.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no batch to predict on: the data is empty.")
        return tree.map_structure(lambda *parts: np.concatenate(parts), *outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics) on it."""
        self._require_compiled("train_on_batch")
        data = ArrayDataAdapter(x, y, sample_weight, class_weight=class_weight,
                                caller="train_on_batch")
        self._build_from(data)
        self._train_weights = None
        self.reset_metrics()
        logs = _floats(self.train_step(data.take(slice(None))))
        return _format_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch without updating the weights."""
        self._require_compiled("test_on_batch")
        data = ArrayDataAdapter(x, y, sample_weight, caller="test_on_batch")
        self.reset_metrics()
        logs = _floats(self.test_step(data.take(slice(None))))
        return _format_result(logs, return_dict)

    def predict_on_batch(self, x):
        """The model's output for one batch, as NumPy array(s)."""
        return self.predict_step(ArrayDataAdapter(x, caller="predict_on_batch",
                                                  check_finite=False).take(slice(None)))

    def _check_data_shapes(self, adapter):
        # Checked once on the whole array so the message shows the user's shape, not a batch's.
        if getattr(self, "_graph", None) is not None and isinstance(adapter, ArrayDataAdapter):
            assert_input_compatibility(self.input_spec, adapter.x, self.name)

    def _build_from(self, adapter):
        # Build on one sample so weights exist before training; a subclassed model that only
        # overrides train_step (a GAN wrapper) has nothing to build. Other sources build on
        # their first batch.
        if not self.built and self._can_call() and isinstance(adapter, ArrayDataAdapter):
            x, _, _ = unpack_x_y_sample_weight(adapter.take(slice(0, 1)))
            # A build, not a step: like Keras's symbolic build it changes no state (a counter
            # the model keeps in `call` must not count it).
            with no_grad(), SymbolicScope():
                self(x)

    def _can_call(self):
        return True

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {what}() on model "
                               f"'{self.name}'.")

    _train_weights = None
    _initial_epoch = None
    _in_fit = False
    _warned_no_weights = False
    _distribute_strategy = None


def _flatten_paths(nested, prefix=""):
    for key, value in nested.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from _flatten_paths(value, path)
        else:
            yield path, value


def _as_list(specs):
    if specs is None:
        return []
    return list(specs) if isinstance(specs, list | tuple) else [specs]


def _require_targets(y, caller):
    if y is None:
        raise ValueError(f"{caller}() received no targets `y`, which the compiled loss needs. "
                         f"(A model whose train_step/test_step needs no targets can override it.)")


def _batch_size(x):
    return next(len(v) for v in tree.flatten(x) if v is not None)


def _floats(logs):
    # Metric results are Tensors; callbacks and History get Python floats (a result that is
    # not a scalar, such as a precision at several thresholds, stays an array).
    return {k: _float(v) for k, v in logs.items()}


def _float(value):
    value = getattr(value, "data", value)
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


def _format_result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _check_batch_size(batch_size):
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or \
            batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer. Received: {batch_size!r}")
    return int(batch_size)


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: {verbose!r}")
    return int(verbose)


def _check_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        kind = "a positive integer" if minimum >= 1 else "a non-negative integer"
        raise ValueError(f"`{name}` must be {kind}. Received: {name}={value!r}")
    return int(value)


_TAKES_TRAINING = weakref.WeakKeyDictionary()


def _takes_training(method):
    """Whether ``method`` (a bound ``compute_loss``) accepts ``training``; inspecting a signature
    costs ~30 us, so the answer is kept per function (a training step asks every time)."""
    fn = getattr(method, "__func__", method)
    try:
        return _TAKES_TRAINING[fn]
    except (KeyError, TypeError):
        answer = "training" in inspect.signature(method).parameters
        try:
            _TAKES_TRAINING[fn] = answer
        except TypeError:  # an unhashable callable: ask every time
            pass
        return answer
