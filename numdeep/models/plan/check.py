"""Deciding whether a recorded call is static: a plan is kept only when it provably replays.

The recording of the user's call (A) is compared with a second recording (B) made on perturbed
inputs *and* perturbed weights. Code that reads a tensor's values outside the primitives (a
NumPy computation on ``.data``, a Python branch on a value, a random draw) shows up as a
constant, a parameter or a step sequence that differs between A and B; then no plan is made.
Finally the plan made from A is replayed on B's inputs and weights and must reproduce B's eager
outputs bit for bit (masks included).
"""

import contextlib
import hashlib

import numpy as np

from numdeep.autograd import Tensor
from numdeep.models.plan.tracer import Ref


def perturbed(array, rng, weight=False):
    """A same-shape, same-dtype array with other values, or None when none can be made."""
    kind = array.dtype.kind
    # (np.asarray: arithmetic on a 0-d array gives a NumPy scalar, which a variable cannot hold)
    if kind == "f":
        noise = rng.random(array.shape)
        if weight:  # stays positive where it was (variances under a square root)
            return np.asarray(array * (1.0 + 0.25 * noise) + 0.0625, dtype=array.dtype)
        return np.asarray(array + (noise - 0.5), dtype=array.dtype)
    if kind == "b":
        return np.asarray(np.logical_not(array))
    if kind in "iu":
        if weight:  # counters and seed states
            return np.asarray(array + array.dtype.type(1))
        flat = array.reshape(-1)
        if flat.size < 2 or (flat == flat[0]).all():
            return None
        # Rolled, the values stay valid indices (token ids, classes) but move to other places.
        return np.roll(flat, 1).reshape(array.shape)
    return None


@contextlib.contextmanager
def swapped_weights(variables, rng):
    """Rebind every variable to a perturbed copy inside the block; the originals come back
    (the same array objects) afterwards."""
    originals = [v.data for v in variables]
    try:
        for v in variables:
            new = perturbed(v.data, rng, weight=True)
            v.data = v.data.copy() if new is None else new
        yield
    finally:
        for v, a in zip(variables, originals):
            v.data = a


def same_value(a, b):
    """Equality of recorded parameters and constants (arrays by dtype, shape and values)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, list | tuple):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same_value(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same_value(a[k], b[k]) for k in a))
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def same_recordings(a, b):
    """Whether recordings A and B describe the same computation."""
    if len(a.steps) != len(b.steps):
        return False
    for (cls_a, params_a, refs_a, dyn_a), (cls_b, params_b, refs_b, dyn_b) in zip(a.steps,
                                                                              b.steps):
        if cls_a is not cls_b or len(refs_a) != len(refs_b) or params_a.keys() != \
                params_b.keys() or not same_value(dyn_a, dyn_b):
            return False
        if not all(same_value(params_a[k], params_b[k]) for k in params_a):
            return False
        for ra, rb in zip(refs_a, refs_b):
            if ra[0] != rb[0]:
                return False
            if ra[0] == "c":
                if not same_value(a.consts[ra[1]], b.consts[rb[1]]):
                    return False
            elif ra[1] != rb[1]:
                return False
    return True


def mask_array(mask):
    """A Keras mask as its array: a Tensor's data, or the array itself (a NumPy array's own
    ``.data`` is its raw buffer, not the mask)."""
    return mask.data if isinstance(mask, Tensor) else mask


def same_outputs(replayed, eager_leaves):
    """Replayed ``(value, mask, wrap)`` triples against the eager output Tensors."""
    if len(replayed) != len(eager_leaves):
        return False
    for (value, mask, _), t in zip(replayed, eager_leaves):
        eager_mask = t._keras_mask
        if not same_value(value, t.data):
            return False
        if (mask is None) != (eager_mask is None):
            return False
        if mask is not None and not same_value(mask, mask_array(eager_mask)):
            return False
    return True


def unprovable(rec, batch):
    """Why a recording cannot become a plan whatever a second recording shows, or None:
    a tensor's value read into Python, or an array the size of the batch made outside the
    ops. Shared by inference and training plans."""
    if rec.value_reads:
        return ("a tensor's value was read into Python while tracing (a branch on a tensor, "
                ".numpy(), float()): a replay would not read it again")
    if batch > 1 and batch_sized_constant(rec, batch):
        return ("an array the size of the batch was made outside the ops (a mask computed "
                "with NumPy): a replay would reuse the traced one")
    return None


def batch_sized_constant(rec, batch):
    """Whether a constant or a fixed parameter of the recording is an array with the batch's
    length: almost always something computed from the batch with NumPy (a mask). Two traced
    batches can give the same such array (no padding in either), which the comparison of
    recordings cannot tell from a true constant; so a plan is refused outright."""
    def batch_sized(value):
        if isinstance(value, np.ndarray):
            return value.ndim > 0 and value.shape[0] == batch
        if isinstance(value, tuple | list):
            return any(batch_sized(v) for v in value)
        if isinstance(value, dict):
            return any(batch_sized(v) for v in value.values())
        return False

    return any(batch_sized(c) for c in rec.consts) or \
        any(batch_sized(v) for _, params, _, _ in rec.steps for v in params.values())


def digest(array):
    return hashlib.blake2b(np.ascontiguousarray(array).view(np.uint8)).digest()


def snapshot(variables):
    """Each variable's array and a digest of its bytes (no copy of the weights)."""
    return [(v.data, digest(v.data)) for v in variables]


def unchanged(variables, snap):
    """Whether no variable was rebound or written during the call (inference with side
    effects, a counter or a moving statistic, cannot be replayed)."""
    return all(v.data is a and digest(a) == d for v, (a, d) in zip(variables, snap))


def written_by_ops(rec, variables, snap):
    """The variables the recorded call changed (of ``variables``, with ``snap`` taken before
    it), when each was written in place by a recorded op that was handed its array
    (``BatchNorm``'s moving statistics, a stateful layer's ``WriteState``): a replay hands the op
    the variable's array again, so it writes it again. None when one was rebound (a new array)
    or changed without being handed to an op."""
    handed = set()
    for _, _, refs, dynamic in rec.steps:
        handed.update(r[1] for r in refs if r[0] == "w")
        for _, value in dynamic:
            for v in value if type(value) is tuple else (value,):
                if type(v) is Ref and v.ref[0] == "w":
                    handed.add(v.ref[1])
    index = {id(v): j for j, v in enumerate(rec.variables)}
    written = []
    for v, (array, before) in zip(variables, snap):
        if v.data is not array:
            return None
        if digest(array) != before:
            if index.get(id(v)) not in handed:
                return None
            written.append(v)
    return written
