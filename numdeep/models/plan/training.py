"""Training plans: ``fit``'s stock training step compiled to a flat forward + backward schedule.

The eager step (``Trainer.train_step``) builds Tensor objects, runs each layer's ``__call__``
machinery, sorts the graph and walks it with dict lookups, on every batch. For a model whose
step is static, all of that is the same every time; only the arrays change. So ``fit`` traces
the step once per batch signature (structure, shapes and dtypes of ``x``, ``y`` and
``sample_weight``) and replays it:

- **forward**: the recorded primitives' ``forward`` methods on raw arrays, one op object per
  step (reset before each run), the loss included;
- **backward**: the same primitives' ``backward`` methods in the order the engine walked the
  graph when it was traced, gradients summed in that same order (so the sums are the eager
  sums, bit for bit), ``.grad`` set on each weight and ``engine.LEAF_GRAD_HOOKS`` called at the
  point the engine calls them (``numdeep.distribute`` overlaps its allreduce with this);
- **update, loss tracker and metrics**: the eager code itself (``optimizer.apply``,
  ``compute_metrics``), on the replayed arrays.

Random draws stay random: ``Dropout``'s mask is an op (``random.DropoutMask``) that draws from
the layer's generator at each replayed step, in the eager order, so a planned run and an eager
run with the same seeds give the same numbers. For the same reason an ``Embedding`` lookup (with
its id check) and its padding mask are ops (``TakeRows``, ``PaddingMask``): each replayed step
looks up and masks its own batch.

**When a step is planned.** The first step with a signature runs eagerly; the second is recorded
(A); the third is recorded again (B, on other data, with the weights the optimizer has since
changed) and then checked: A and B must describe the same computation (ops, parameters,
constants, graph, walk), and the plan made from A, replayed on B's inputs from B's starting
weights and B's random draws, must give B's loss, outputs and gradients bit for bit. From the
fourth step on the plan runs. Anything the check cannot prove keeps the eager path, which
stays the reference: a custom ``train_step``, state written outside the ops (a counter, a
layer's own metric; ``BatchNormalization``'s moving statistics and the states a ``stateful``
recurrent layer carries to the next batch are read and written inside ops and are replayed),
losses added by layers, values read outside the primitives, an array the size
of the batch made outside the ops (a mask computed with NumPy: two traced batches may give
the same one, so it is refused outright). ``last_refusal()`` says why. Outputs that carry a
Keras mask into the loss and the metrics are replayed with their masks: the loss masks and
divides inside ops (``losses.base.AlignedMask``, ``InverseTotal``).
``compile(jit_compile=False)``, ``run_eagerly=True``, ``set_enabled(False)`` or
``NUMDEEP_TRAINING_PLANS=0`` in the environment turn training plans off.

This module decides when a step is traced, checked and replayed; ``step_trace.py`` records a
step, ``step_replay.py`` replays it.

**What a plan reads at each step.** Every weight, state and Variable array (in-place changes and
``set_weights`` are seen); the optimizer's settings (its update runs eagerly). A changed layer
attribute (``trainable``, a rebuilt layer), a new ``compile``, or a changed plain attribute of a
compiled loss object sends ``fit`` back to tracing. A step that reads a tensor's value into
Python while it is traced (``if t > 0:``, ``float(t)``, ``t.numpy()``, ``np.asarray(t)``) is
never planned: a replay would not decide again. Like ``tf.function`` and ``torch.compile``, a
plan does not see a plain Python value read elsewhere in the step (a module-level global used in
``call``, a raw ``t.data`` array): keep values that change during training in a ``Variable``, or
compile with ``jit_compile=False``.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> nd.utils.set_random_seed(0)
    >>> model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(8, activation="relu"),
    ...                        nd.layers.Dropout(0.5), nd.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> x = np.linspace(-1, 1, 64, dtype="float32").reshape(16, 4)
    >>> y = x.sum(axis=1, keepdims=True)
    >>> _ = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    >>> plans_of(model), last_refusal()
    (1, None)
"""

import os
import weakref

from numdeep.autograd import Tensor
from numdeep.autograd.engine import is_grad_enabled
from numdeep.models.data_adapter import unpack_x_y_sample_weight
from numdeep.models.plan import _pack, _signature, _versions, check
from numdeep.models.plan.step_replay import StepPlan
from numdeep.models.plan.step_trace import BUSY, Trace, observer, trace_step
from numdeep.models.plan.tracer import tracing

__all__ = ["train_step", "set_enabled", "last_refusal", "plans_of", "forget", "observer"]

_ENABLED = [os.environ.get("NUMDEEP_TRAINING_PLANS", "1") != "0"]
_CACHES = weakref.WeakKeyDictionary()
_LAST_REFUSAL = [None]
MAX_SIGNATURES = 8  # per model: a last, smaller batch is one more signature
_REFUSED = "refused"


def set_enabled(enabled):
    """Turn training plans on or off for every model (they are on by default)."""
    _ENABLED[0] = bool(enabled)


def last_refusal():
    """Why the latest check on this process kept the eager step (None when it made a plan)."""
    return _LAST_REFUSAL[0]


def plans_of(model):
    """How many batch signatures of ``model`` currently have a training plan."""
    cache = _CACHES.get(model) if type(model).__hash__ is not None else None
    return 0 if cache is None else sum(isinstance(e, _Entry) for e in cache.values())


def forget(model):
    """Drop ``model``'s training plans (``compile`` calls this: a new loss or optimizer)."""
    if type(model).__hash__ is not None:
        _CACHES.pop(model, None)


# ----- the entry point ------------------------------------------------------------------------
def train_step(model, data):
    """``model.train_step(data)``'s logs, from a plan where there is a proven one."""
    if not _eligible(model):
        return model.train_step(data)
    parts = unpack_x_y_sample_weight(data)
    leaves = []
    key = _batch_signature(parts, leaves)
    if key is None:
        return model.train_step(data)
    cache = _CACHES.setdefault(model, {})
    entry = cache.get(key)
    if isinstance(entry, _Entry):
        if entry.current(model):
            return entry.run(model, parts, leaves)
        cache[key] = 1  # stale (rebuilt, trainable changed, recompiled): trace again
        return model.train_step(data)
    if entry is None:
        if len(cache) < MAX_SIGNATURES:
            cache[key] = 1
        return model.train_step(data)
    if entry == _REFUSED:
        return model.train_step(data)
    _LAST_REFUSAL[0] = None
    if entry == 1:
        trace, logs = trace_step(model, parts, leaves)
        if trace is not BUSY:
            cache[key] = trace if isinstance(trace, Trace) else _REFUSED
    else:  # entry is trace A
        trace, logs = trace_step(model, parts, leaves, keep=True)
        cache[key] = 1 if trace is BUSY else _decide(model, entry, trace)
    if isinstance(trace, str):
        _LAST_REFUSAL[0] = trace
    return logs


def _batch_signature(parts, leaves):
    """A key of the batch's structure, shapes and dtypes (None: no plan); fills ``leaves``
    with its arrays, taken as they are (the eager step sees the same objects)."""
    keys = []
    for part in parts:
        if part is None:
            keys.append(None)
            continue
        n = len(leaves)
        key = _signature(part, leaves, predict=None)
        if key is None or len(leaves) == n:
            return None
        keys.append(key)
    return tuple(keys) if leaves and keys[1] is not None else None


def _eligible(model):
    return (_ENABLED[0] and type(model).train_step.__qualname__ == "Trainer.train_step"
            and model.__dict__.get("_plan_training", False) and not model.run_eagerly
            and is_grad_enabled() and not tracing() and type(model).__hash__ is not None)


def _decide(model, a, b):
    """The plan made from trace ``a`` when trace ``b`` proves it, else ``_REFUSED``."""
    if not isinstance(b, Trace):
        return _REFUSED
    ra, rb = a.recording, b.recording
    why = None
    if not check.same_recordings(ra, rb) or ra.needs != rb.needs or a.walk != b.walk or \
            (a.root, a.loss, a.outputs, a.masks) != (b.root, b.loss, b.outputs, b.masks) or \
            a.template != b.template or ra.draws.keys() != rb.draws.keys() or \
            [(id(t), n, k) for t, n, k in a.trackers] != \
            [(id(t), n, k) for t, n, k in b.trackers] or \
            [id(w) for w in a.weights] != [id(w) for w in b.weights]:
        why = "the two traced steps differ (values read outside the ops, or a changing graph)"
    elif not {id(w) for w in a.weights} <= {id(v) for v in ra.variables}:
        why = "a trained weight is not among the model's variables"
    else:
        plan = StepPlan(a)
        if not plan.proves(b):
            why = "the replay differs from the eager step"
    _LAST_REFUSAL[0] = why
    if why is not None:
        return _REFUSED
    return _Entry(plan, model, a)


class _Entry:
    """A proven plan and what must not change for it to stay valid."""

    def __init__(self, plan, model, trace):
        self.plan = plan
        # Without the model itself (the cache's weak key): see ``plan._Entry``.
        self.layers = [layer for layer in trace.layers if layer is not model]
        self.versions = _versions([model] + self.layers)
        self.optimizer, self.compile_loss = model.optimizer, model._compile_loss
        self.template = trace.template
        self.shapes = [(v.data.shape, v.data.dtype) for v in plan.variables]
        self.loss_state = _loss_state(model._compile_loss)
        # scale_loss multiplied the traced loss by this number (an op of the plan now)
        self.loss_scale = getattr(model.optimizer, "loss_scale_factor", None)

    def current(self, model):
        if model.optimizer is not self.optimizer or model._compile_loss is not \
                self.compile_loss or _versions([model] + self.layers) != self.versions or \
                _loss_state(self.compile_loss) != self.loss_state or \
                getattr(self.optimizer, "loss_scale_factor", None) != self.loss_scale:
            return False
        for v, (shape, dtype) in zip(self.plan.variables, self.shapes):
            a = v.data
            if a.shape != shape or a.dtype != dtype:
                return False
        return True

    def run(self, model, parts, leaves):
        """One planned step: the same updates and logs as ``Trainer.train_step``."""
        plan = self.plan
        x, y, sample_weight = parts
        env = plan.forward(leaves)
        for tracker, slot, batch in plan.trackers:  # as CompileLoss does during the loss
            tracker.update_state(float(env[slot]), sample_weight=batch)
        weights = plan.trained
        for w in weights:
            w.grad = None
        loss = env[plan.loss]
        # Called for what it does besides scaling (numdeep.distribute arms its allreduce
        # here); a scaling factor is an op of the recorded step already.
        model.optimizer.scale_loss(Tensor._from_op(loss, None))
        plan.backward(env)
        model.optimizer.apply([w.grad for w in weights], weights)
        outputs = [Tensor._from_op(env[i], None) for i in plan.outputs]
        for t, mask in zip(outputs, plan.masks):  # as the eager outputs carry them
            if mask is not None:
                i, wrap = mask
                t._keras_mask = Tensor._from_op(env[i], None) if wrap else env[i]
        del env
        model._loss_tracker.update_state(float(loss), sample_weight=len(leaves[0]))
        y_pred = outputs[0] if self.template is None else _pack(self.template, outputs)
        return model.compute_metrics(x, y, y_pred, sample_weight)


_PLAIN = (int, float, str, bool, type(None))


def _loss_state(compile_loss):
    """The plain Python values the compiled losses hold (a loss object's attributes, a loss
    function's keyword arguments, the loss weights): a step reads them when it is traced, so
    a callback that changes one must send ``fit`` back to tracing."""
    state = []
    for entry in getattr(compile_loss, "_flat_losses", None) or ():
        items = dict(getattr(entry.loss, "__dict__", {}))
        items.update(items.pop("_fn_kwargs", None) or {})
        state.append((entry.loss_weight, tuple(sorted(
            (k, v) for k, v in items.items() if isinstance(v, _PLAIN)))))
    return state
