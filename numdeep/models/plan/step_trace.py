"""Recording one eager training step for a training plan (see ``training.py``).

``trace_step`` runs the model's own ``train_step`` while ``tracer.record`` writes down every
op, and ``Trainer.train_step`` reports to the ``Trace`` (``observer()``) the two things the
recording cannot see: the tensor whose ``backward`` runs (so the engine's walk can be written
down as steps) and, for the checked step, the eager gradients before the optimizer uses them.
The trace also refuses what a replay could not reproduce: state written outside the ops, losses
added by layers, tensor values read into Python.
"""

import threading

import numpy as np

from numdeep.autograd import Tensor, engine
from numdeep.models.plan import _carried_states, _flat, _rebuild, _template, _versions, check
from numdeep.models.plan.tracer import (
    Recording,
    current_recording,
    record,
    stop_counting_reads,
)

BUSY = "another thread was tracing (tried again later)"
_STATE = threading.local()


def observer():
    """The trace in progress on this thread (``Trainer.train_step`` reports to it), or None."""
    return getattr(_STATE, "observer", None)


class StepRecording(Recording):
    """A ``Recording`` that also knows each step's output Tensor (to map the graph onto steps),
    which inputs needed gradients, and the values of random draws."""

    def __init__(self, inputs, variables):
        super().__init__(inputs, variables)
        self.tensor_step = {}  # id(output Tensor) -> step index (the Tensors live until the end)
        self.tensors = []
        self.needs = []
        self.draws = {}  # step index -> the array a random op drew

    closed = False  # set when the step reaches backward: what follows (metrics, the
    # optimizer's own ops) runs eagerly after each replay and is not part of the plan

    def record(self, cls, params, arrays, tensor):
        if self.closed:
            return
        super().record(cls, params, arrays, tensor)
        n = len(self.steps) - 1
        self.tensor_step[id(tensor)] = n
        self.tensors.append(tensor)
        ctx = tensor._ctx
        self.needs.append(None if ctx is None else ctx.needs_input_grad)
        if getattr(cls, "random_draw", False):
            self.draws[n] = tensor.data

    def finish(self):
        """Keep each step's output shape and dtype, and let go of the step's Tensors."""
        self.meta = [(t.data.shape, t.data.dtype) for t in self.tensors]
        self.tensors, self.tensor_step = None, None


class Trace:
    """What one traced eager step left: its recording, the backward walk, the output
    references; with ``keep``, what the check compares (eager gradients, starting weights)."""

    def __init__(self, recording):
        self.recording = recording
        self.refusal = None
        self.walk = self.root = self.loss = self.outputs = self.template = None
        self.masks = None  # per output: None, or (where its Keras mask comes from, a Tensor?)
        self.weights = self.start = self.grads = None
        self.loss_value = self.output_values = self.mask_values = None
        self.keep = False
        self.trackers = []  # (per-output loss tracker, step of its value, batch size)
        self.state = self.state_start = ()  # layer state variables and their starting values

    def tracker_update(self, tracker, value, batch):
        """``CompileLoss`` updated a per-output loss tracker with ``value`` (a Tensor)."""
        rec = self.recording
        n = None if rec is None or rec.closed else rec.tensor_step.get(id(value))
        if n is None:
            self.refusal = "a loss tracker was updated from a value no op made"
        else:
            self.trackers.append((tracker, n, batch))

    # Trainer.train_step calls these two while the step runs.
    def before_backward(self, root, loss, y_pred, weights):
        rec = self.recording
        if rec is None:  # another thread holds the tracer: this step ran unrecorded
            return
        rec.closed = True
        stop_counting_reads(rec)  # the metrics read values after this, eagerly each step
        self.weights = list(weights)
        self.root, self.loss = rec.tensor_step.get(id(root)), rec.tensor_step.get(id(loss))
        leaves = _flat(y_pred)
        if self.root is None or self.loss is None or leaves is None:
            self.refusal = "the loss or outputs are not plain Tensors made by ops"
            return
        self.outputs = [rec.ref(t.data) for t in leaves]
        # An output's mask (padding carried to the loss and the metrics): where its array
        # comes from. A mask made outside the ops becomes a constant the size of the batch,
        # which ``check.unprovable`` refuses once the step is over.
        self.masks = [None if t._keras_mask is None else
                      (rec.ref(check.mask_array(t._keras_mask)), isinstance(t._keras_mask, Tensor))
                      for t in leaves]
        self.template = None if isinstance(y_pred, Tensor) else _template(y_pred)
        self.walk = _walk(rec, root, self.weights)
        if isinstance(self.walk, str):
            self.refusal, self.walk = self.walk, None
        if self.keep:
            self.start = [w.data.copy() for w in self.weights]
            self.loss_value = loss.data.copy()
            self.output_values = [t.data.copy() for t in leaves]
            self.mask_values = [None if t._keras_mask is None else
                                np.array(check.mask_array(t._keras_mask), copy=True)
                                for t in leaves]

    def after_backward(self, weights):
        if self.keep:
            self.grads = [None if w.grad is None else np.array(w.grad, copy=True)
                          for w in weights]


def trace_step(model, parts, leaves, keep=False):
    """Run ``model.train_step`` on the batch while recording it; ``(Trace or a refusal string,
    logs)``. ``BUSY`` as the refusal: another thread was tracing, try again later."""
    layers = model._flatten_layers()
    variables = _variables(model, layers)
    arrays, seen = [], set()
    for a in leaves:  # the same array passed twice (``fit(x, x)``) stays two inputs
        arrays.append(a.copy() if id(a) in seen else a)
        seen.add(id(a))
    it = iter(arrays)
    data = tuple(None if part is None else _rebuild(part, it) for part in parts)
    data = data if data[2] is not None else data[:2]
    versions = _versions(layers)
    # Layer state (moving statistics) may change only inside an op that the replay runs
    # again; metrics a layer updates itself may not change at all (fit's own trackers and
    # compiled metrics are updated after each replay).
    own = {id(model._loss_tracker), id(model._compile_metrics)} | \
        {id(m) for m in getattr(model._compile_loss, "_metrics", None) or ()}
    state = [v for v in model.non_trainable_variables if not _seed_state(v)] + \
        _carried_states(layers)
    fixed = [v for m in model.metrics if id(m) not in own for v in m.variables]
    snap, state_snap = check.snapshot(fixed), check.snapshot(state)
    trace = Trace(None)
    trace.keep = keep
    if keep:
        trace.state, trace.state_start = state, [v.data.copy() for v in state]

    def run():
        trace.recording = current_recording()
        _STATE.observer = trace
        try:
            return model.train_step(data)
        finally:
            _STATE.observer = None

    if any(type(v.data) is not np.ndarray for v in variables):
        return "weights on another array library (CuPy): plans run NumPy", \
            model.train_step(data)
    logs, rec = record(run, arrays, variables, kind=StepRecording)
    trace.recording = rec
    if rec is None:
        return BUSY, logs
    if trace.refusal is None:
        trace.refusal = check.unprovable(rec, leaves[0].shape[0] if leaves[0].ndim else 0)
    if trace.refusal is None and (trace.walk is None or trace.weights is None):
        trace.refusal = "the step did not run the stock backward (no trainable weights?)"
    if trace.refusal is None and (not check.unchanged(fixed, snap) or
                                  _versions(layers) != versions or
                                  check.written_by_ops(rec, state, state_snap) is None):
        trace.refusal = ("the step wrote state outside the ops (a counter, a metric of a "
                         "layer) or changed a layer")
    if trace.refusal is None and any(layer._losses for layer in layers):
        trace.refusal = "layers added losses during the step (add_loss, activity regularizers)"
    if trace.refusal is not None:
        return trace.refusal, logs
    trace.layers = [layer for layer in layers if layer is not model]  # see ``training._Entry``
    rec.finish()
    return trace, logs


def _walk(rec, root, weights):
    """The engine's backward walk from ``root`` as steps: ``("w", j)`` sets weight ``j``'s
    gradient, ``("s", n, parents)`` runs step ``n``'s backward and sends each input's gradient
    to ``parents[i]`` (a step or weight reference, or None); a string says why it cannot be."""
    weight_index = {id(w): j for j, w in enumerate(weights)}
    walk = []
    for node in reversed(engine._topological_order(root)):
        ctx = node._ctx
        if ctx is None:
            j = weight_index.get(id(node))
            if j is None:
                return "a gradient reaches a tensor that is not a trained weight"
            walk.append(("w", j, None))
            continue
        n = rec.tensor_step.get(id(node))
        if n is None:
            return "the graph holds an op the trace did not see"
        parents = []
        for parent in ctx.parents:
            if parent is None or not parent.requires_grad:
                parents.append(None)
            elif parent._ctx is None:
                j = weight_index.get(id(parent))
                if j is None:
                    return "a gradient reaches a tensor that is not a trained weight"
                parents.append(("w", j))
            else:
                m = rec.tensor_step.get(id(parent))
                if m is None:
                    return "the graph holds an op the trace did not see"
                parents.append(("s", m))
        walk.append(("s", n, tuple(parents)))
    return walk


def _variables(model, layers):
    """The arrays a step reads by reference: the weights, minus the random generators' states
    (a ``Dropout`` mask op reads its generator, not the state's array), and the states that
    ``stateful`` recurrent layers carry (read and written by ops, ``ReadState``/``WriteState``)."""
    return list(model.trainable_variables) + [v for v in model.non_trainable_variables
                                              if not _seed_state(v)] + \
        _carried_states(layers)


def _seed_state(variable):
    return getattr(variable, "name", None) == "seed_generator_state"

