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
stays the reference: a custom ``train_step``, a step that writes state other than the
optimizer's (``BatchNormalization``'s moving statistics), losses added by layers, outputs with
masks, values read outside the primitives. ``last_refusal()`` says why.
``compile(jit_compile=False)``, ``run_eagerly=True``, ``set_enabled(False)`` or
``NUMDEEP_TRAINING_PLANS=0`` in the environment turn training plans off.

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
import threading
import weakref

import numpy as np

from numdeep.autograd import Tensor, engine
from numdeep.autograd.engine import is_grad_enabled, unbroadcast
from numdeep.models.data_adapter import unpack_x_y_sample_weight
from numdeep.models.plan import _pack, _rebuild, _signature, _template, _versions, check
from numdeep.models.plan.tracer import (
    Recording,
    Ref,
    _indexed,
    _resolved,
    current_recording,
    record,
    stop_counting_reads,
    tracing,
)

_ENABLED = [os.environ.get("NUMDEEP_TRAINING_PLANS", "1") != "0"]
_CACHES = weakref.WeakKeyDictionary()
_LAST_REFUSAL = [None]
_STATE = threading.local()
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


def observer():
    """The trace in progress on this thread (``Trainer.train_step`` reports to it), or None."""
    return getattr(_STATE, "observer", None)


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
    cache = _CACHES.get(model)
    if cache is None:
        cache = _CACHES[model] = {}
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
    if entry == 1:
        trace, logs = _traced(model, parts, leaves)
        cache[key] = trace if isinstance(trace, _Trace) else _REFUSED
        return logs
    trace, logs = _traced(model, parts, leaves, keep=True)  # entry is trace A
    cache[key] = _decide(model, entry, trace)
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


# ----- tracing --------------------------------------------------------------------------------
class _StepRecording(Recording):
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


class _Trace:
    """What one traced eager step left: its recording, the backward walk, the output
    references; with ``keep``, what the check compares (eager gradients, starting weights)."""

    def __init__(self, recording):
        self.recording = recording
        self.refusal = None
        self.walk = self.root = self.loss = self.outputs = self.template = None
        self.weights = self.start = self.grads = None
        self.loss_value = self.output_values = None
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
        leaves = [y_pred] if isinstance(y_pred, Tensor) else _flatten(y_pred)
        if self.root is None or self.loss is None or leaves is None or \
                any(t._keras_mask is not None for t in leaves):
            self.refusal = "the loss or outputs are not plain Tensors made by ops"
            return
        self.outputs = [rec.ref(t.data) for t in leaves]
        self.template = None if isinstance(y_pred, Tensor) else _template(y_pred)
        self.walk = _walk(rec, root, self.weights)
        if isinstance(self.walk, str):
            self.refusal, self.walk = self.walk, None
        if self.keep:
            self.start = [w.data.copy() for w in self.weights]
            self.loss_value = loss.data.copy()
            self.output_values = [t.data.copy() for t in leaves]

    def after_backward(self, weights):
        if self.keep:
            self.grads = [None if w.grad is None else np.array(w.grad, copy=True)
                          for w in weights]


def _traced(model, parts, leaves, keep=False):
    """Run the eager step while recording it; ``(_Trace or a refusal string, logs)``."""
    variables = _variables(model)
    arrays, seen = [], set()
    for a in leaves:  # the same array passed twice (``fit(x, x)``) stays two inputs
        arrays.append(a.copy() if id(a) in seen else a)
        seen.add(id(a))
    it = iter(arrays)
    data = tuple(None if part is None else _rebuild(part, it) for part in parts)
    data = data if data[2] is not None else data[:2]
    layers = model._flatten_layers()
    versions = _versions(layers)
    # Layer state (moving statistics) may change only inside an op that the replay runs
    # again; metrics a layer updates itself may not change at all (fit's own trackers and
    # compiled metrics are updated after each replay).
    own = {id(model._loss_tracker), id(model._compile_metrics)} | \
        {id(m) for m in getattr(model._compile_loss, "_metrics", None) or ()}
    state = [v for v in model.non_trainable_variables if not _seed_state(v)]
    fixed = [v for m in model.metrics if id(m) not in own for v in m.variables]
    snap, state_snap = check.snapshot(fixed), check.snapshot(state)
    trace = _Trace(None)
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

    _LAST_REFUSAL[0] = None
    if any(type(v.data) is not np.ndarray for v in variables):
        return "weights on another array library (CuPy): plans run NumPy", \
            model.train_step(data)
    logs, rec = record(run, arrays, variables, kind=_StepRecording)
    trace.recording = rec
    if rec is None:
        return "another thread was tracing", logs
    if trace.refusal is None and rec.value_reads:
        trace.refusal = ("the step read a tensor's value into Python (a branch on a tensor, "
                         ".numpy(), float()): a replay would not read it again")
    if trace.refusal is None and (trace.walk is None or trace.weights is None):
        trace.refusal = "the step did not run the stock backward (no trainable weights?)"
    if trace.refusal is None and (not check.unchanged(fixed, snap) or
                                  _versions(layers) != versions or
                                  not _written_by_ops(rec, state, state_snap)):
        trace.refusal = ("the step wrote state outside the ops (a counter, a metric of a "
                         "layer) or changed a layer")
    if trace.refusal is None and any(layer._losses for layer in layers):
        trace.refusal = "layers added losses during the step (add_loss, activity regularizers)"
    if trace.refusal is not None:
        _LAST_REFUSAL[0] = trace.refusal
        return trace.refusal, logs
    trace.layers = [layer for layer in layers if layer is not model]  # see ``_Entry``
    rec.finish()
    return trace, logs


def _written_by_ops(rec, state, snap):
    """Whether every state variable the step changed was written in place by a recorded op
    that was handed its array (``BatchNorm``'s moving statistics): the replay hands the op
    the variable's array again, so it writes it again."""
    handed = set()
    for _, _, refs, dynamic in rec.steps:
        handed.update(r[1] for r in refs if r[0] == "w")
        for _, value in dynamic:
            for v in value if type(value) is tuple else (value,):
                if type(v) is Ref and v.ref[0] == "w":
                    handed.add(v.ref[1])
    index = {id(v): j for j, v in enumerate(rec.variables)}
    for v, (array, digest) in zip(state, snap):
        if v.data is not array:
            return False
        if check.digest(array) != digest and index.get(id(v)) not in handed:
            return False
    return True


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


def _decide(model, a, b):
    """The plan made from trace ``a`` when trace ``b`` proves it, else ``_REFUSED``."""
    if not isinstance(b, _Trace):
        return _REFUSED
    ra, rb = a.recording, b.recording
    why = None
    if not check.same_recordings(ra, rb) or ra.needs != rb.needs or a.walk != b.walk or \
            (a.root, a.loss, a.outputs) != (b.root, b.loss, b.outputs) or \
            a.template != b.template or ra.draws.keys() != rb.draws.keys() or \
            [(id(t), n, k) for t, n, k in a.trackers] != \
            [(id(t), n, k) for t, n, k in b.trackers] or \
            [id(w) for w in a.weights] != [id(w) for w in b.weights]:
        why = "the two traced steps differ (values read outside the ops, or a changing graph)"
    elif not {id(w) for w in a.weights} <= {id(v) for v in ra.variables}:
        why = "a trained weight is not among the model's variables"
    else:
        plan = _Plan(a)
        if not plan.proves(b):
            why = "the replay differs from the eager step"
    _LAST_REFUSAL[0] = why
    if why is not None:
        return _REFUSED
    return _Entry(plan, model, a)


# ----- the plan -------------------------------------------------------------------------------
class _Plan:
    """Trace A compiled: ``forward(arrays)`` fills the slots, ``backward(env)`` sets the
    weights' ``.grad`` (slots: inputs, weights, constants, steps, as in ``tracer.Plan``)."""

    def __init__(self, trace):
        rec = trace.recording
        self.variables = rec.variables
        self.n_inputs = rec.n_inputs
        n_w = len(self.variables)
        self.consts = list(rec.consts)
        offset = {"in": 0, "w": self.n_inputs, "c": self.n_inputs + n_w,
                  "s": self.n_inputs + n_w + len(self.consts)}
        self.first_step = offset["s"]
        self.size = offset["s"] + len(rec.steps)

        def index(ref):
            return offset[ref[0]] + ref[1]

        self.steps = []
        for n, (cls, params, refs, dynamic) in enumerate(rec.steps):
            op = object.__new__(cls)
            init = dict(params, saved=(), parents=(), xp=np,
                        needs_input_grad=rec.needs[n] or ())
            dyn = tuple((name, _indexed(value, index)) for name, value in dynamic)
            self.steps.append((op, init, tuple(index(r) for r in refs), offset["s"] + n, dyn,
                               n in rec.draws))
        self.root = offset["s"] + trace.root
        self.loss = offset["s"] + trace.loss
        self.outputs = [index(r) for r in trace.outputs]
        self.trained = trace.weights
        self.trackers = [(t, offset["s"] + n, k) for t, n, k in trace.trackers]
        # id(weight) -> index among the recording's variables (the trained ones are among them)
        var_slot = {id(v): offset["w"] + i for i, v in enumerate(self.variables)}
        self.walk = []
        for entry in trace.walk:
            if entry[0] == "w":
                self.walk.append((None, var_slot[id(self.trained[entry[1]])], entry[1]))
                continue
            _, n, parents = entry
            targets = []
            for p in parents:
                if p is None:
                    targets.append(None)
                    continue
                if p[0] == "s":
                    targets.append((offset["s"] + p[1],) + rec.meta[p[1]])
                else:
                    w = self.trained[p[1]].data
                    targets.append((var_slot[id(self.trained[p[1]])], w.shape, w.dtype))
            self.walk.append((self.steps[n][0], offset["s"] + n, tuple(targets)))

    def forward(self, arrays, draws=None):
        env = [None] * self.size
        env[:self.n_inputs] = arrays
        n = self.n_inputs
        for j, v in enumerate(self.variables):
            env[n + j] = v.data
        env[self.first_step - len(self.consts):self.first_step] = self.consts
        for op, init, args, out, dyn, drawn in self.steps:
            d = op.__dict__
            d.clear()
            d.update(init)
            if draws is not None and drawn:
                env[out] = draws[out]  # the check reuses B's eager draws
                continue
            for name, value in dyn:
                d[name] = _resolved(value, env)
            value = op.forward(*[env[i] for i in args])
            env[out] = value if type(value) is np.ndarray else np.asarray(value)
        return env

    def backward(self, env, hooks=True):
        """The engine's walk on the replayed ops: sets each trained weight's ``.grad`` (they
        start at None), calling ``engine.LEAF_GRAD_HOOKS`` as the engine would."""
        grads = [None] * self.size
        grads[self.root] = np.ones_like(env[self.root])
        for op, slot, targets in self.walk:
            g = grads[slot]
            grads[slot] = None
            if g is None:
                continue
            if op is None:  # a weight: its gradient is final here
                w = self.trained[targets]
                w.grad = g
                if hooks:
                    for hook in engine.LEAF_GRAD_HOOKS:
                        hook(w)
                continue
            gxs = op.backward(g)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for target, gx in zip(targets, gxs):
                if target is None or gx is None:
                    continue
                i, shape, dtype = target
                gx = unbroadcast(gx, shape)
                if gx.dtype != dtype:
                    gx = gx.astype(dtype)
                grads[i] = gx if grads[i] is None else grads[i] + gx
            op.__dict__.clear()  # what forward kept for this backward is no longer needed

    def proves(self, b):
        """Whether this plan, run on trace ``b``'s inputs from ``b``'s starting weights and
        random draws, gives ``b``'s eager loss, outputs and gradients exactly."""
        rb = b.recording
        saved = [(w.data, w.grad) for w in self.trained]
        ends = [v.data for v in b.state]  # what B's eager step left in the layers' state
        try:
            for w, start in zip(self.trained, b.start):
                w.data, w.grad = start, None
            for v, start in zip(b.state, b.state_start):
                v.data = start.copy()
            draws = {self.first_step + n: a for n, a in rb.draws.items()}
            env = self.forward(rb.inputs, draws=draws)
            loss, outputs = env[self.loss], [env[i] for i in self.outputs]
            self.backward(env, hooks=False)
            grads = [w.grad for w in self.trained]
            state = [v.data for v in b.state]
        finally:
            for w, (data, grad) in zip(self.trained, saved):
                w.data, w.grad = data, grad
            for v, end in zip(b.state, ends):
                v.data = end
        return (check.same_value(loss, b.loss_value)
                and all(check.same_value(s, e) for s, e in zip(state, ends))
                and all(check.same_value(o, e) for o, e in zip(outputs, b.output_values))
                and all((g is None) == (e is None) and (g is None or check.same_value(g, e))
                        for g, e in zip(grads, b.grads)))


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
        del env
        model._loss_tracker.update_state(float(loss), sample_weight=len(leaves[0]))
        y_pred = outputs[0] if self.template is None else _pack(self.template, outputs)
        return model.compute_metrics(x, y, y_pred, sample_weight)


# ----- helpers --------------------------------------------------------------------------------
def _variables(model):
    """The arrays a step reads by reference: the weights, minus the random generators' states
    (a ``Dropout`` mask op reads its generator, not the state's array)."""
    return list(model.trainable_variables) + [v for v in model.non_trainable_variables
                                              if not _seed_state(v)]


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


def _seed_state(variable):
    return getattr(variable, "name", None) == "seed_generator_state"


def _flatten(result):
    from numdeep import tree

    leaves = tree.flatten(result)
    return leaves if leaves and all(type(t) is Tensor for t in leaves) else None
