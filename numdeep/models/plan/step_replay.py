"""A recorded training step as a replay on raw arrays (see ``training.py``).

``StepPlan.forward`` runs the recorded ops' ``forward`` methods, one reusable op object per
step (reset before each run); ``backward`` runs their ``backward`` methods in the order the
engine walked the graph when the step was traced, summing gradients in that same order, so the
sums, and then the weights, are the eager ones bit for bit. ``proves`` replays another traced
step from its starting weights and compares.
"""

import numpy as np

from numdeep.autograd import engine
from numdeep.autograd.engine import unbroadcast
from numdeep.models.plan import check
from numdeep.models.plan.tracer import _indexed, _resolved


class StepPlan:
    """A traced step compiled: ``forward(arrays)`` fills the slots, ``backward(env)`` sets the
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
        self.masks = [None if m is None else (index(m[0]), m[1]) for m in trace.masks]
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
            masks = [None if m is None else env[m[0]] for m in self.masks]
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
                and all((m is None) == (e is None) and (m is None or check.same_value(m, e))
                        for m, e in zip(masks, b.mask_values))
                and all((g is None) == (e is None) and (g is None or check.same_value(g, e))
                        for g, e in zip(grads, b.grads)))
