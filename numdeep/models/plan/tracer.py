"""Record one eager call as a flat list of primitive kernel calls, and replay it.

While a call is traced, ``Function.apply`` is wrapped (on the tracing thread only) so that each
primitive that runs is written down: its class, its keyword parameters and where each of its
input arrays came from (a model input, a weight, an earlier step's output, or a constant). The
replay calls the same ``forward`` methods on raw arrays, in the same order: no Tensor objects,
no layer machinery, no graph. Whether the recording may be trusted is decided in ``check.py``.
"""

import threading
import weakref

import numpy as np

from numdeep.autograd import Tensor
from numdeep.autograd.function import Function
from numdeep.autograd.tensor import VALUE_READS
from numdeep.models.plan.lower import lowered

_ORIGINAL_APPLY = Function.__dict__["apply"]
_LOCK = threading.Lock()  # one trace at a time: the wrapper is process-wide
_STATE = threading.local()


def tracing():
    """Whether this thread is recording a trace (plans are not used inside one)."""
    return current_recording() is not None


def current_recording():
    """The ``Recording`` this thread is filling (None when it is not tracing)."""
    return getattr(_STATE, "recorder", None)


class Recording:
    """The steps of one traced call; ``env`` indices are inputs, weights, constants, steps."""

    value_reads = 0  # tensor values read into Python while recording (see ``record``)

    def __init__(self, inputs, variables):
        self.n_inputs, self.variables = len(inputs), variables
        self.refs = {}  # id(array) -> ("in", i) | ("w", j) | ("c", k) | ("s", n)
        self.inputs = list(inputs)
        self._weak = []  # forgets a step's array when it dies, before its id can be reused
        self.consts, self.steps = [], []
        for j, v in enumerate(variables):
            self.refs[id(v.data)] = ("w", j)
        for i, a in enumerate(inputs):
            self.refs[id(a)] = ("in", i)

    def _traced_param(self, value):
        """A parameter holding traced arrays (gather indices that are the model's input), as
        ``Ref`` markers (also inside a tuple); None for a parameter that is a plain value."""
        def marker(v):
            found = self.refs.get(id(v)) if isinstance(v, np.ndarray) else None
            return None if found is None or found[0] == "c" else Ref(found)

        if type(value) is tuple:
            marked = [marker(v) for v in value]
            if all(m is None for m in marked):
                return None
            return tuple(v if m is None else m for v, m in zip(value, marked))
        return marker(value)

    def ref(self, value):
        """Where ``value`` (an array or a Python value) comes from; unknown arrays are
        constants, and Python values are constants by value."""
        if isinstance(value, np.ndarray):
            found = self.refs.get(id(value))
            if found is not None:
                return found
            found = self.refs[id(value)] = ("c", len(self.consts))
            self.consts.append(value)
            return found
        self.consts.append(value)
        return ("c", len(self.consts) - 1)

    def record(self, cls, params, arrays, tensor):
        """Write down one op: ``tensor`` is its output (``tensor.data`` the array)."""
        out = tensor.data
        refs = tuple(self.ref(a) for a in arrays)
        fixed, dynamic = {}, []
        for name, value in params.items():
            traced = self._traced_param(value)
            if traced is None:
                fixed[name] = value
            else:
                dynamic.append((name, traced))
        self.steps.append((cls, fixed, refs, tuple(dynamic)))
        key, ref = id(out), ("s", len(self.steps) - 1)
        self.refs[key] = ref
        refs = self.refs

        def forget(_, key=key, ref=ref):
            if refs.get(key) == ref:
                del refs[key]
        self._weak.append(weakref.ref(out, forget))


@classmethod
def _recording_apply(cls, *inputs, **params):
    out = _ORIGINAL_APPLY.__func__(cls, *inputs, **params)
    recorder = getattr(_STATE, "recorder", None)
    if recorder is not None:
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        recorder.record(cls, params, arrays, out)
    return out


def record(fn, inputs, variables, kind=Recording):
    """Run ``fn()`` eagerly while recording; returns ``(result, Recording)``, or
    ``(result, None)`` unrecorded when another thread is tracing (never wait for it: its model
    may be waiting for this thread). ``kind`` is the ``Recording`` class to fill."""
    if not _LOCK.acquire(blocking=False):
        return fn(), None
    recording = kind(inputs, variables)
    try:
        Function.apply = _recording_apply
        _STATE.recorder = recording
        VALUE_READS.on, VALUE_READS.count = True, 0
        result = fn()
    finally:
        stop_counting_reads(recording)
        _STATE.recorder = None
        Function.apply = _ORIGINAL_APPLY
        _LOCK.release()
    return result, recording


def stop_counting_reads(recording):
    """Freeze ``recording.value_reads``: what runs after this point is not replayed."""
    if VALUE_READS.on:
        recording.value_reads = VALUE_READS.count
        VALUE_READS.on = False


class Plan:
    """A recording compiled for replay: ``run(arrays)`` gives the output arrays and masks.

    Steps whose results no output needs are dropped, except those that write state
    (``writes_state``: a stateful layer's ``WriteState``); each intermediate is released after
    its last use, as the eager path would release it.
    """

    def __init__(self, recording, outputs):
        self.variables = recording.variables
        self.n_inputs = recording.n_inputs
        n_w = len(self.variables)
        base = self.n_inputs + n_w
        self.consts = list(recording.consts)
        n_c = len(self.consts)
        offset = {"in": 0, "w": self.n_inputs, "c": base, "s": base + n_c}

        def index(ref):
            return offset[ref[0]] + ref[1]

        self.outputs = [(index(v), None if m is None else index(m), wrap)
                        for v, m, wrap in outputs]
        live = {i for v, m, _ in self.outputs for i in (v, m) if i is not None}
        steps = []
        for n in range(len(recording.steps) - 1, -1, -1):
            cls, params, refs, dynamic = recording.steps[n]
            out = base + n_c + n
            if out not in live and not getattr(cls, "writes_state", False):
                continue  # nothing downstream reads it (a mask no output carries, ...)
            args = tuple(index(r) for r in refs)
            dyn = tuple((name, _indexed(value, index)) for name, value in dynamic)
            live.update(args)
            live.update(i for _, value in dyn for i in _indices(value))
            steps.append((cls, params, args, out, dyn))
        steps.reverse()
        self.steps = self._with_releases(steps, base + n_c)
        self.size = base + n_c + len(recording.steps)
        self.weight_arrays = [v.data for v in self.variables]
        self._lock = threading.Lock()
        self._straight = _straight_line(self)

    def _with_releases(self, steps, first_step_slot):
        kept = {i for v, m, _ in self.outputs for i in (v, m) if i is not None}
        last = {}
        for k, (_, _, args, _, dyn) in enumerate(steps):
            for i in args + tuple(i for _, value in dyn for i in _indices(value)):
                if i >= first_step_slot and i not in kept:
                    last[i] = k
        release = [[] for _ in steps]
        for i, k in last.items():
            release[k].append(i)
        out = []
        self._states = {}
        for k, (cls, params, args, slot, dyn) in enumerate(steps):
            forward = None if dyn else lowered(cls, params)
            if forward is None:
                forward = _kernel(cls, params)
                op = forward.__self__.__dict__
                self._states[slot] = dict(op)
                n_state = len(op)
            else:  # a lean kernel keeps no state to reset
                op, n_state = None, 0
            a0 = args[0] if len(args) in (1, 2) else -1
            a1 = args[1] if len(args) == 2 else -1
            out.append((forward, op, n_state, a0, a1, args, slot, tuple(release[k]), dyn))
        return out

    def weights_current(self):
        """Whether every weight still holds the array it held when traced (values may have
        changed in place: the plan reads them at each run)."""
        for v, a in zip(self.variables, self.weight_arrays):
            if v.data is not a:
                return False
        return True

    def run(self, arrays):
        """Replay on raw input ``arrays``; returns ``[(value, mask or None, wrap), ...]``."""
        if self._straight is not None:
            return self._straight(arrays, self.variables, self.consts)
        env = [None] * self.size
        env[:self.n_inputs] = arrays
        n = self.n_inputs
        for j, v in enumerate(self.variables):
            env[n + j] = v.data
        start = n + len(self.variables)
        env[start:start + len(self.consts)] = self.consts
        with self._lock:  # the op objects are shared by the runs of this plan
            for forward, op, n_state, a0, a1, args, out, release, dyn in self.steps:
                if dyn:
                    for name, value in dyn:
                        op[name] = _resolved(value, env)
                if a1 >= 0:
                    value = forward(env[a0], env[a1])
                elif a0 >= 0:
                    value = forward(env[a0])
                else:
                    value = forward(*[env[i] for i in args])
                env[out] = value if type(value) is np.ndarray else np.asarray(value)
                # What forward kept for a backward that never comes would keep its arrays
                # alive: the eager path frees them as soon as no graph refers to them.
                if op is None:
                    pass
                elif len(op) != n_state:
                    state = self._states[out]
                    op.clear()
                    op.update(state)
                else:
                    op["saved"] = ()
                for i in release:
                    env[i] = None
        return [(env[v], None if m is None else env[m], wrap) for v, m, wrap in self.outputs]


def _straight_line(plan):
    """The replay as one generated Python function, when every step has a lean kernel (no op
    object to reset, no parameter read at run time): local variables instead of the ``env``
    list and no per-step dispatch, ~1 us less per op (a 1-sample ``predict`` runs ~7 ops).

    The source is made only of slot numbers and the fixed text below; the kernels, weights and
    constants are passed in as objects, never written into it.
    """
    if any(op is not None or dyn for _, op, _, _, _, _, _, _, dyn in plan.steps):
        return None
    n_in, n_w = plan.n_inputs, len(plan.variables)
    lines = ["def replay(arrays, variables, consts):"]
    lines += [f"    v{i} = arrays[{i}]" for i in range(n_in)]
    lines += [f"    v{n_in + j} = variables[{j}].data" for j in range(n_w)]
    lines += [f"    v{n_in + n_w + k} = consts[{k}]" for k in range(len(plan.consts))]
    kernels = {}
    for k, (forward, _, _, _, _, args, out, release, _) in enumerate(plan.steps):
        kernels[f"k{k}"] = forward
        lines.append(f"    v{out} = k{k}({', '.join(f'v{i}' for i in args)})")
        lines.append(f"    if type(v{out}) is not ndarray: v{out} = asarray(v{out})")
        lines += [f"    del v{i}" for i in release]
    outs = ", ".join(f"(v{v}, {'None' if m is None else f'v{m}'}, {bool(w)})"
                     for v, m, w in plan.outputs)
    lines.append(f"    return [{outs}]")
    namespace = dict(kernels, ndarray=np.ndarray, asarray=np.asarray)
    exec(compile("\n".join(lines), "<numdeep inference plan>", "exec"), namespace)  # noqa: S102
    return namespace["replay"]


def _kernel(cls, params):
    """The bound ``forward`` of one op object made as ``Function.apply`` makes it (reused by
    every run: no object per op per call)."""
    fn = object.__new__(cls)
    fn.__dict__.update(params)
    fn.saved = ()
    fn.parents = ()
    fn.needs_input_grad = ()
    fn.xp = np
    return fn.forward


class Ref:
    """A traced array inside an op's parameters (compared by where it comes from)."""

    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref

    def __eq__(self, other):
        return type(other) is Ref and other.ref == self.ref

    def __hash__(self):
        return hash(self.ref)


def _indexed(value, index):
    """A parameter's ``Ref`` markers as env indices (ints inside a ``_Slot``)."""
    if type(value) is tuple:
        return tuple(_Slot(index(v.ref)) if type(v) is Ref else v for v in value)
    return _Slot(index(value.ref))


def _indices(value):
    items = value if type(value) is tuple else (value,)
    return [v.i for v in items if type(v) is _Slot]


def _resolved(value, env):
    if type(value) is tuple:
        return tuple(env[v.i] if type(v) is _Slot else v for v in value)
    return env[value.i]


class _Slot:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i
