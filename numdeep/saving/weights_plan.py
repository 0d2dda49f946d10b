"""Loading a variable store into a model, all or nothing: every stored array is matched to the
model's variables (and every mismatch reported) before anything is assigned; objects with their
own ``load_own_variables`` run after, and if one fails every variable gets its old value back.
"""

import warnings

import numpy as np

from numdeep.backend import to_numpy
from numdeep.layers.layer_args import weight_budget
from numdeep.saving.errors import CorruptFileError
from numdeep.saving.safety import LIMITS
from numdeep.saving.weights_store import HOOK, SKIP, StoreEntry, layout

__all__ = ["Plan", "build_budget", "plan_assignment", "assign", "apply_plan", "plan_optimizer",
           "restore_optimizer", "value_problem", "warn_config_only_state"]


class Plan:
    """What a load will do: ``pairs`` of ``(Var, array)``, ``hooks`` of ``(object, entry)``
    and the stored optimizer arrays (``None`` when absent)."""

    def __init__(self):
        self.pairs, self.hooks, self.optimizer_arrays = [], [], None


def _compatible(var, value):
    if tuple(var.shape) != tuple(value.shape):
        return False
    return (np.dtype(var.dtype).kind == "f") == (value.dtype.kind == "f")


def _describe(arrays):
    return ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays) or "nothing"


def _as_list(entry, path):
    """The arrays of a numdeep-layout entry, which must be keyed ``0 .. n-1``."""
    keys = list(entry)
    indices = [str(i) for i in range(len(keys))]
    if keys != indices:
        odd = [k for k in keys if k not in indices] or keys
        raise ValueError(f"{path} holds keys {odd[:5]}, not only the variable indices "
                         f"0..{len(keys) - 1}")
    return [entry[k] for k in keys]


def _match(slot, stored):
    """``(path, problems)`` for the first of the slot's paths whose stored arrays fit."""
    first = None
    for path in slot.paths:
        try:
            found = _as_list(stored.get(path, {}), path)
        except ValueError as e:
            found, problems = [], [str(e)]
        else:
            problems = _problems(slot, path, found)
        if not problems:
            return path, [], found
        if first is None:
            first = (path, problems, found)
    return first


def _problems(slot, path, found):
    variables = slot.variables
    if len(found) != len(variables):
        return [f"{path} (layer '{slot.obj.name}'): expected {len(variables)} variables "
                f"[{_describe([np.empty(v.shape, v.dtype) for v in variables])}], but received "
                f"{len(found)} variables during loading [{_describe(found)}]"]
    problems = []
    for i, (var, value) in enumerate(zip(variables, found)):
        if not _compatible(var, value):
            problems.append(f"{path}/{i} ({var.label}): expected shape {tuple(var.shape)} "
                            f"{np.dtype(var.dtype)}, found {tuple(value.shape)} {value.dtype} "
                            f"(the shapes must match)")
        elif why := value_problem(var.dtype, value):
            problems.append(f"{path}/{i} ({var.label}): {why}")
    return problems


def build_budget(arrays):
    """The ``weight_budget`` of a model built from the config of a file storing ``arrays``: their
    bytes plus ``LIMITS.max_unstored_weight_bytes``."""
    stored = sum(int(np.asarray(a).nbytes) for a in arrays)
    return weight_budget(stored + LIMITS.max_unstored_weight_bytes,
                         f"the model its config describes needs more than the {stored} bytes of "
                         f"weights the file stores (and {LIMITS.max_unstored_weight_bytes} more "
                         f"allowed for state a file does not hold)")


def plan_assignment(model, stored, skip_mismatch=False, what="weights", objects_to_skip=()):
    """Match stored arrays to the model's variables without changing anything.

    Args:
        model: the model.
        stored: ``{store path: {key: array}}``.
        skip_mismatch: skip the objects that do not match (with a warning) instead of raising.
        what: how the error message names what is loaded.
        objects_to_skip: objects (and everything below them) that keep their values.

    Returns:
        A ``Plan``.

    Raises:
        ValueError: listing every mismatched variable (expected vs found), unless
            ``skip_mismatch``.
    """
    plan, problems, expected = Plan(), [], set()
    for slot in layout(model, objects_to_skip).values():
        expected.update(slot.paths)
        if slot.variables == SKIP:
            continue
        if slot.variables is None:
            plan.optimizer_arrays = _optimizer_arrays(stored, slot.paths)
            continue
        if slot.variables == HOOK:
            path = next((p for p in slot.paths if p in stored), slot.path)
            plan.hooks.append((slot.obj, StoreEntry(stored.get(path, {}))))
            continue
        path, local, found = _match(slot, stored)
        problems += local
        if not local:
            plan.pairs += list(zip(slot.variables, found))
    skipped = [p.rsplit("/vars", 1)[0] for p in expected]
    extra = sorted(p for p, entry in stored.items() if p not in expected and entry
                   and not p.startswith("optimizer/")  # the state of an uncompiled model
                   and not any(p.startswith(s + "/") for s in skipped if s))
    problems += [f"{p}: {len(stored[p])} stored variables match no layer of the model"
                 for p in extra]
    if problems:
        message = (f"Cannot load {what} into model '{model.name}': "
                   f"{len(problems)} mismatch(es):\n  " + "\n  ".join(problems))
        if not skip_mismatch:
            raise ValueError(message + "\nNothing was assigned. Pass skip_mismatch=True to "
                                       "load the matching layers only.")
        warnings.warn(message + "\nskip_mismatch=True: these were skipped.", stacklevel=3)
    return plan


def _optimizer_arrays(stored, paths):
    for path in paths:
        if path in stored:
            try:
                return _as_list(stored[path], path)
            except ValueError as e:
                raise CorruptFileError(str(e)) from None
    return None


def assign(pairs):
    for var, value in pairs:
        var.set(value)


def _hook_variables(obj):
    return list(getattr(obj, "variables", []) or [])


def apply_plan(plan, skip_mismatch=False):
    """Assign the planned arrays, then run the objects' own ``load_own_variables``; if a hook
    fails (and mismatches are not being skipped), every variable gets its old value back."""
    if not plan.hooks:
        assign(plan.pairs)
        return
    touched = [v.tensor for v, _ in plan.pairs if v.tensor is not None]
    touched += [v for obj, _ in plan.hooks for v in _hook_variables(obj)]
    saved = [(t, np.array(to_numpy(t.data))) for t in touched]
    try:
        assign(plan.pairs)
        for obj, entry in plan.hooks:
            try:
                obj.load_own_variables(entry)
            except Exception as e:
                if not skip_mismatch:
                    raise
                warnings.warn(f"Skipping the variables of '{getattr(obj, 'name', obj)}': {e}",
                              stacklevel=3)
    except BaseException:
        for tensor, value in saved:
            tensor.data[...] = value
        raise


def value_problem(dtype, value):
    """Why ``value`` cannot be stored in a variable of ``dtype`` without changing meaning, or
    ``None``: integer state (an iteration count, a seed) must hold finite whole numbers within
    the dtype's range, where a cast would wrap or turn NaN into garbage."""
    dtype, value = np.dtype(dtype), np.asarray(value)
    if dtype.kind not in "iu" or value.size == 0:
        return None
    info = np.iinfo(dtype)
    if value.dtype.kind == "f":
        if not np.isfinite(value).all():
            return f"holds {_first_bad(value, ~np.isfinite(value))}, not a whole number"
        if (value != np.round(value)).any():
            return f"holds {_first_bad(value, value != np.round(value))}, not a whole number"
    low, high = value.min(), value.max()
    if float(low) < info.min or float(high) > info.max:
        return f"holds {high if float(high) > info.max else low}, outside the range of {dtype}"
    return None


def _first_bad(value, mask):
    return value[mask].ravel()[0]


def plan_optimizer(model, arrays, source):
    """Check stored optimizer arrays against ``model.optimizer`` (built on the model's trainable
    weights first when the file holds its slots) before anything is assigned.

    A count mismatch skips the optimizer with a warning, as Keras does (the file was saved with
    another optimizer); a shape, kind or value that cannot be the state of the same optimizer
    raises ``CorruptFileError`` naming the variable.

    Returns:
        A function that loads the arrays, or ``None`` when there is nothing to load.
    """
    opt = getattr(model, "optimizer", None)
    if opt is None or arrays is None:
        return None
    if not opt.built and len(arrays) != len(opt.variables):
        opt.build(model.trainable_weights)
    variables = list(opt.variables)
    if len(variables) != len(arrays):
        warnings.warn(f"Skipping the optimizer state in {source}: optimizer '{opt.name}' has "
                      f"{len(variables)} variables, the file has {len(arrays)}.", stacklevel=3)
        return None
    problems = []
    for i, (var, value) in enumerate(zip(variables, arrays)):
        label = f"optimizer/vars/{i} ('{getattr(var, 'name', i)}' of optimizer '{opt.name}')"
        value = np.asarray(value)
        # An integer count stored as a float is fine when it is a whole number in range.
        if tuple(var.shape) != value.shape or \
                (np.dtype(var.dtype).kind == "f" and value.dtype.kind != "f"):
            problems.append(f"{label}: expected shape {tuple(var.shape)} {np.dtype(var.dtype)}, "
                            f"found {value.shape} {value.dtype}")
        elif (why := value_problem(var.dtype, value)) or \
                (var is getattr(opt, "_iterations", None) and value.min() < 0 and
                 (why := f"holds {value.min()}, a negative iteration count")):
            problems.append(f"{label}: {why}")
    if problems:
        raise CorruptFileError("the optimizer state does not fit the optimizer: " +
                               "; ".join(problems))

    def load():
        if opt.built:
            opt.set_variables(arrays)
            return
        for variable, value in zip(opt.variables, arrays):  # iterations (and learning rate)
            variable.assign(value)

    return load


def restore_optimizer(model, arrays, source):
    """``plan_optimizer`` and then its load, for callers with nothing else to assign."""
    load = plan_optimizer(model, arrays, source)
    if load is not None:
        load()


def warn_config_only_state(model):
    """Warn when a weights-only file cannot hold some state: a ``Normalization`` created with
    ``mean``/``variance`` keeps them in its config (as in Keras), so values changed since then
    (``set_weights``) are only saved by ``model.save``."""
    from numdeep.layers import Normalization

    stack, seen = [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        stack.extend(layer._layers)
        if isinstance(layer, Normalization) and layer.input_mean is not None and layer.built:
            given = [np.broadcast_to(np.asarray(v, layer.dtype), w.shape) for v, w in
                     ((layer.input_mean, layer.mean), (layer.input_variance, layer.variance))]
            if not all(np.array_equal(g, to_numpy(w.data)) for g, w in
                       zip(given, (layer.mean, layer.variance))):
                warnings.warn(f"Normalization layer '{layer.name}' was created with fixed "
                              f"mean/variance, which weights files do not store (Keras keeps "
                              f"them in the config); its changed statistics are saved only by "
                              f"model.save().", stacklevel=3)
