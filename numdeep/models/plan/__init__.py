"""Inference plans: a built model's inference call compiled to a flat list of kernel calls.

``model(x)`` with graph recording off (``no_grad``, ``predict``, ``evaluate``) and ``training``
false goes through the layers once per input signature (the structure, shapes and dtypes of the
inputs) like any eager call; on the second call with that signature the call is traced and
checked (``check.py``), and from then on replayed from its plan (``tracer.py``): the primitives'
``forward`` methods on raw arrays, without Tensors, layer bookkeeping or a graph. Weights are
read at every run, so in-place updates (optimizer steps, ``assign``, ``set_weights``) need no
re-trace; a weight rebound to a new array, or any tracked attribute set on one of the model's
layers (a rebuild, ``trainable``, an activation swapped) drops the plan. Anything the check
cannot prove static (values read outside the primitives, random draws, state written during the
call outside the ops, ``add_loss``, a tensor's value read into Python such as ``if t > 0:`` or
``t.numpy()``, an array the size of the batch made outside the ops) keeps the eager path, which
stays the reference; ``last_refusal()`` says why. The states a ``stateful`` recurrent layer
carries from call to call are read and written by ops (``ReadState``, ``WriteState``): a plan
reads and writes them at every run, as the eager calls do.
``model.run_eagerly = True``, ``set_enabled(False)`` or ``NUMDEEP_INFERENCE_PLANS=0`` in the
environment turn plans off.

Example:
    >>> import numpy as np
    >>> import numdeep as nd
    >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
    >>> x = np.ones((4, 3), "float32")
    >>> first, second, third = (model.predict(x, verbose=0) for _ in range(3))
    >>> plans_of(model)
    1
    >>> bool((first == third).all())
    True
"""

import os
import threading
import weakref

import numpy as np

from numdeep import tree
from numdeep.autograd import Tensor
from numdeep.autograd.engine import is_grad_enabled
from numdeep.backend import floatx
from numdeep.backend.symbolic_scope import in_symbolic_scope
from numdeep.layers import call_context
from numdeep.models.plan import check
from numdeep.models.plan.tracer import Plan, record, tracing

NO_PLAN = object()  # "use the eager path"
MAX_SIGNATURES = 16  # per model; calls with ever-new shapes stay eager
_REFUSED = "refused"
_CACHES = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
# NUMDEEP_INFERENCE_PLANS=0 in the environment starts with plans off (A/B runs, debugging).
_ENABLED = [os.environ.get("NUMDEEP_INFERENCE_PLANS", "1") != "0"]
_LAST_REFUSAL = [None]


def last_refusal():
    """Why the latest trace on this process made no plan (None when it made one): the first
    thing to look at when a model stays on the eager path."""
    return _LAST_REFUSAL[0]


def set_enabled(enabled):
    """Turn inference plans on or off for every model (they are on by default)."""
    _ENABLED[0] = bool(enabled)


def plans_of(model):
    """How many input signatures of ``model`` currently have a plan."""
    cache = _CACHES.get(model) if type(model).__hash__ is not None else None
    return 0 if cache is None else sum(isinstance(e, _Entry) for e in cache.values())


class _Entry:
    __slots__ = ("plan", "layers", "versions", "template")

    def __init__(self, plan, model, layers, template):
        # Without the model itself: the cache holds its entries strongly and its keys weakly,
        # so an entry referring to its own model would keep it alive forever.
        self.plan, self.template = plan, template
        self.layers = [layer for layer in layers if layer is not model]
        self.versions = _versions([model] + self.layers)

    def current(self, model):
        if not self.plan.weights_current():
            return False
        versions = self.versions
        if model.__dict__.get("_config_version", 0) != versions[0]:
            return False
        for layer, version in zip(self.layers, versions[1:]):  # (no list built per call)
            if layer.__dict__.get("_config_version", 0) != version:
                return False
        return True


def _versions(layers):
    return [layer.__dict__.get("_config_version", 0) for layer in layers]


def _carried_states(layers):
    """The Variables a ``stateful`` recurrent layer carries from one batch to the next: not
    weights (as in Keras), yet a call reads and writes them, so a plan takes them as variables
    (read at each run; a training step writes them by op, ``WriteState``)."""
    found, seen = [], set()
    for layer in layers:
        states = layer.__dict__.get("_states") if getattr(layer, "stateful", False) else None
        for v in tree.flatten(states) if states is not None else ():
            if id(v) not in seen:
                seen.add(id(v))
                found.append(v)
    return found


# ----- input signatures -----------------------------------------------------------------------
def _leaf(x, predict):
    """``x`` as an array leaf of a signature, or None. ``predict``: converted as the data
    adapter converts; False: as a layer call converts; None (a training batch): as it is."""
    if type(x) is np.ndarray:
        arr = x
        if predict:  # as the data adapter converts: every float becomes floatx
            if arr.dtype.kind == "f" and arr.dtype != np.dtype(floatx()):
                arr = arr.astype(floatx())
        elif predict is False and arr.dtype == np.float64:  # as a layer call converts
            arr = arr.astype(floatx())
    elif predict is None:
        return None
    elif type(x) is Tensor and x._keras_mask is None and type(x.data) is np.ndarray:
        arr = x.data
    else:
        return None
    return arr if arr.dtype.kind in "fiub" and arr.ndim else None


def _signature(x, leaves, predict):
    """A hashable key of the structure, shapes and dtypes; fills ``leaves``. None: no plan."""
    if type(x) is list or (type(x) is tuple and not predict):
        keys = [_signature(v, leaves, predict) for v in x]
        return None if None in keys else (type(x).__name__, tuple(keys))
    if type(x) is dict:
        keys = [(k, _signature(x[k], leaves, predict)) for k in sorted(x)]
        return None if any(k[1] is None for k in keys) else ("dict", tuple(keys))
    arr = _leaf(x, predict)
    if arr is None:
        return None
    leaves.append(arr)
    return arr.shape, arr.dtype.str


def _rebuild(x, tensors):
    """``x``'s structure with its leaves replaced, in order, from the iterator ``tensors``."""
    if type(x) in (list, tuple):
        return type(x)(_rebuild(v, tensors) for v in x)
    if type(x) is dict:
        return {k: _rebuild(x[k], tensors) for k in sorted(x)}
    return next(tensors)


# ----- the entry points -----------------------------------------------------------------------
def call(model, args, kwargs):
    """The outputs of ``model(*args, **kwargs)`` from its plan, or ``NO_PLAN``."""
    if is_grad_enabled() or len(args) != 1 or not _ENABLED[0] or tracing():
        return NO_PLAN
    training = None
    if kwargs:
        if len(kwargs) != 1 or "training" not in kwargs:
            return NO_PLAN
        training = kwargs["training"]
    if training is None:
        training = call_context.current_training()
        if training is None:
            training = call_context.call_spec(type(model)).training_default
    if training or not model.built or getattr(model, "run_eagerly", False) or \
            in_symbolic_scope() or type(model).__hash__ is None:
        return NO_PLAN  # (a model class with __eq__ but no __hash__ cannot key the cache)
    leaves = []
    key = _signature(args[0], leaves, predict=False)
    if key is None:
        return NO_PLAN
    entry = _lookup(model, key)
    if isinstance(entry, _Entry):
        return _outputs(entry, entry.plan.run(leaves))
    if entry != "trace":
        return NO_PLAN
    try:
        return _trace(model, key, args[0], leaves, kwargs)
    except BaseException:
        _store(model, key, 1)  # the user's call itself failed: nothing is decided
        raise


def predict(model, x, batch_size, steps, callbacks):
    """``model.predict(x)``'s result from a plan when ``x`` is one small batch of arrays and
    ``predict_step`` is Keras's; else None (the caller runs the usual loop)."""
    step = type(model).predict_step
    if steps is not None or callbacks or not _ENABLED[0] or step.__qualname__ != \
            "Trainer.predict_step" or getattr(model, "run_eagerly", False) or tracing() or \
            type(model).__hash__ is None:
        return None
    leaves = []
    key = _signature(x, leaves, predict=True)
    if key is None or not leaves or not 0 < len(leaves[0]) <= (batch_size or 32) or \
            any(len(a) != len(leaves[0]) for a in leaves):
        return None
    cache = _CACHES.get(model)
    entry = None if cache is None else cache.get(key)
    if not isinstance(entry, _Entry) or not entry.current(model):
        return None  # the usual path traces it (and checks the data on the way)
    values = [v for v, _, _ in entry.plan.run(leaves)]
    return values[0] if entry.template is None else _pack(entry.template, values)


def _lookup(model, key):
    """The model's ``_Entry`` for ``key``, "trace" when it is time to trace, else None."""
    cache = _CACHES.get(model)
    entry = None if cache is None else cache.get(key)
    if isinstance(entry, _Entry) and entry.current(model):
        return entry  # the common case reads without the lock (one dict lookup is atomic)
    with _LOCK:
        cache = _CACHES.setdefault(model, {})
        entry = cache.get(key)
        if isinstance(entry, _Entry):
            if entry.current(model):
                return entry
            cache[key] = 1  # stale: the next call with this signature traces again
            return None
        if entry is None:
            if len(cache) < MAX_SIGNATURES:
                cache[key] = 1  # the first call stays eager: many shapes are seen only once
            return None
        if entry == _REFUSED:
            return None
        cache[key] = _REFUSED  # until the trace below stores its entry
        return "trace"


def _store(model, key, value):
    with _LOCK:
        _CACHES.setdefault(model, {})[key] = value


def _trace(model, key, x, leaves, kwargs):
    """Run the call eagerly while recording it; keep a plan when the check proves it."""
    seen, arrays = set(), []
    for a in leaves:  # the same array passed twice must stay two inputs of the plan
        arrays.append(a.copy() if id(a) in seen else a)
        seen.add(id(a))
    layers = model._flatten_layers()
    # A stateful layer's carried states count too: the call reads and writes them by ops.
    variables = list(model.variables) + _carried_states(layers)
    versions, snap = _versions(layers), check.snapshot(variables)

    def run(inputs):
        tensors = iter([Tensor._from_op(a, None) for a in inputs])
        return model(_rebuild(x, tensors), **kwargs)

    if any(type(v.data) is not np.ndarray for v in variables):
        _LAST_REFUSAL[0] = "weights on another array library (CuPy): plans run NumPy"
        return run(arrays)  # (the entry stays "refused")

    _LAST_REFUSAL[0] = None
    result, rec_a = record(lambda: run(arrays), arrays, variables)
    if rec_a is None:
        _LAST_REFUSAL[0] = "another thread was tracing (tried again later)"
        _store(model, key, 1)
        return result
    out_leaves = _flat(result)
    why = check.unprovable(rec_a, arrays[0].shape[0] if arrays and arrays[0].ndim else 0)
    if why is not None:
        _LAST_REFUSAL[0] = why
        return result
    # State the call wrote by ops (a stateful layer's carried states): the replay must write
    # it again, the same way; the check below starts it from the same values as the eager call.
    written = check.written_by_ops(rec_a, variables, snap)
    if out_leaves is None or written is None or _versions(layers) != versions or \
            any(layer._losses for layer in layers):
        _LAST_REFUSAL[0] = ("the call wrote state outside the ops, added losses or returned "
                            "non-tensors")
        return result
    outputs = [(rec_a.ref(t.data), None if t._keras_mask is None else
                rec_a.ref(check.mask_array(t._keras_mask)),
                isinstance(t._keras_mask, Tensor)) for t in out_leaves]
    plan = Plan(rec_a, outputs)
    rng = np.random.default_rng(20261206)
    inputs_b = [check.perturbed(a, rng) for a in arrays]
    if any(a is None for a in inputs_b):
        _LAST_REFUSAL[0] = "inputs too uniform to perturb (tried again later)"
        _store(model, key, 1)  # data too uniform to tell: try again on a later call
        return result
    try:
        with check.swapped_weights(variables, rng):
            starts = [v.data.copy() for v in written]
            result_b, rec_b = record(lambda: run(inputs_b), inputs_b, variables)
            ends = [v.data.copy() for v in written]
            for v, start in zip(written, starts):
                v.data[...] = start  # (B's perturbed copies: the originals come back after)
            proven = rec_b is not None and check.same_recordings(rec_a, rec_b) and \
                check.same_outputs(plan.run(inputs_b), _flat(result_b) or []) and \
                all(check.same_value(v.data, end) for v, end in zip(written, ends))
    except Exception as e:  # noqa: BLE001 - perturbed data the model rejects proves nothing
        proven, rec_b = False, f"the perturbed call raised {e!r}"
    if not proven:
        _LAST_REFUSAL[0] = rec_b if isinstance(rec_b, str) else (
            "another thread was tracing (tried again later)" if rec_b is None else
            "the recordings differ" if not check.same_recordings(rec_a, rec_b) else
            "the replay differs from the eager result")
    if not proven and rec_b is None:
        _store(model, key, 1)
    if proven and _versions(layers) == versions:
        template = None if len(out_leaves) == 1 and isinstance(result, Tensor) else \
            _template(result)
        _store(model, key, _Entry(plan, model, layers, template))
    return result


def _flat(result):
    from numdeep import tree

    leaves = [result] if isinstance(result, Tensor) else tree.flatten(result)
    return leaves if leaves and all(type(t) is Tensor for t in leaves) else None


def _template(result):
    from numdeep import tree

    return tree.map_structure(lambda _: 0, result)


def _pack(template, values):
    from numdeep import tree

    return tree.pack_sequence_as(template, values)


def _outputs(entry, replayed):
    tensors = []
    for value, mask, wrap in replayed:
        t = Tensor._from_op(value, None)
        if mask is not None:
            t._keras_mask = Tensor._from_op(mask, None) if wrap else mask
        tensors.append(t)
    return tensors[0] if entry.template is None else _pack(entry.template, tensors)
