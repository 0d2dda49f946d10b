"""``Optimizer``: the update loop, clipping, schedules, weight decay and explicit state.

A subclass supplies only the per-variable rule: ``init_state(param)`` returns the slot arrays of one
variable, ``update(param, grad, state, lr)`` changes ``param`` and the slots in place, and
``begin_step(lr)`` (optional) computes the per-step Python scalars (bias corrections) once.
State is keyed by the variable's position in the list given to ``build`` (or the first ``apply``),
so it saves and reloads without names.
"""

import math
import re
import warnings

import numpy as np

from numdeep.backend import to_numpy, xp_of
from numdeep.optimizers import schedules as _schedules

__all__ = ["Optimizer"]

# Keras optimizer arguments numdeep does not implement: ``from_config`` drops them, warning when
# one asks for a feature (a value other than None/False/0).
_KERAS_ONLY_FEATURES = ("use_ema", "ema_overwrite_frequency", "loss_scale_factor",
                        "gradient_accumulation_steps", "decay")
_KERAS_ONLY_SILENT = ("ema_momentum", "jit_compile", "is_legacy_optimizer")


def _array_of(variable):
    """The array a variable holds: a Tensor's ``.data``, or the array itself."""
    if hasattr(variable, "__array_interface__") or hasattr(variable, "__cuda_array_interface__"):
        return variable
    return variable.data


def _grad_array(grad):
    return grad if type(grad) is np.ndarray else _array_of(grad)


def _check_number(value, name, owner, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: `{name}` must be a number. Received: {name}={value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{owner}: `{name}` must be in [{low}, {high}]. Received: {name}={value}")
    return float(value)



# Slot entries smaller than this (by float width in bytes) are flushed to zero every
# _FLUSH_EVERY steps: far below any meaningful update, far above the subnormal range.
_FLUSH_BELOW = {2: 0.0, 4: 1e-30, 8: 1e-290}
_FLUSH_EVERY = 32

class Optimizer:
    """Base class of numdeep optimizers (Keras 3 semantics, NumPy arrays, in-place updates).

    Args:
        learning_rate: a float, or a ``schedules.LearningRateSchedule`` evaluated at the current
            ``iterations`` before each step.
        weight_decay: optional float; decoupled decay ``var -= var * weight_decay * lr`` applied
            before each update, as Keras does.
        clipnorm: optional float; clip each gradient to this L2 norm.
        clipvalue: optional float; clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: optional float; scale all gradients so their joint L2 norm is at most this.
        name: the optimizer's name.

    Only one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` may be set (as in Keras).

    Subclass hooks: ``init_state(param) -> dict`` of slot arrays, ``update(param, grad, state, lr)``
    (in place; ``state`` also holds scratch buffers under keys starting with ``_``, named by the
    class attribute ``_scratch``), optional ``begin_step(lr)``, and ``_slot_groups()`` giving the
    Keras creation order of the slots for ``variables()``.
    """

    _scratch = ("_buf",)
    _extra_state = ()  # optimizer-level float state saved after the slots (Nadam's u_product)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        owner = type(self).__name__
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            raise ValueError(f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                             f"can be set. Received: {clips}")
        for key, value in clips.items():
            if value is not None:
                _check_number(value, key, owner, low=0.0)
        if weight_decay is not None:
            weight_decay = _check_number(weight_decay, "weight_decay", owner)
        self.name = name if name is not None else owner.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._learning_rate = self._check_learning_rate(learning_rate)
        self.iterations = 0
        self._states = None
        self._built_variables = None
        self._decay_mask = None
        self._pending = None
        self._extra_dtype = np.float32
        self._exclude_ids = set()
        self._exclude_pattern = None

    # ----- learning rate ---------------------------------------------------------------------
    def _check_learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule):
            return learning_rate
        if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0:
            learning_rate = learning_rate.item()
        if isinstance(learning_rate, bool) or not isinstance(
                learning_rate, (int, float, np.integer, np.floating)):
            raise ValueError(
                f"{type(self).__name__}: `learning_rate` must be a float or a "
                f"LearningRateSchedule. Received: learning_rate={learning_rate!r}")
        return float(learning_rate)

    @property
    def learning_rate(self):
        """The learning rate for the next step (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        if isinstance(lr, float):
            return lr
        return float(lr(self.iterations))

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule) and not isinstance(
                value, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__} was created with a LearningRateSchedule, so its learning "
                "rate is not settable to a float; create it with a float `learning_rate` instead.")
        self._learning_rate = self._check_learning_rate(value)

    # ----- building --------------------------------------------------------------------------
    @property
    def built(self):
        """Whether the per-variable state exists."""
        return self._states is not None

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables (objects, or name substrings/regexes) from ``weight_decay``.

        Must be called before the optimizer is built.
        """
        if self.built:
            raise ValueError(f"{self.name}: exclude_from_weight_decay() must be called before "
                             "the optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or ())}
        self._exclude_pattern = re.compile("|".join(var_names)) if var_names else None

    def _uses_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        name = getattr(variable, "name", None)
        return not (self._exclude_pattern is not None and name
                    and self._exclude_pattern.search(str(name)))

    def build(self, variables):
        """Create the slot arrays for ``variables`` (Tensors or arrays); no-op when built."""
        if self.built:
            return
        variables = list(variables)
        arrays = [_array_of(v) for v in variables]
        states = []
        for p in arrays:
            state = self.init_state(p)
            xp = xp_of(p)
            for key in self._scratch:
                state[key] = xp.empty_like(p)
            states.append(state)
        self._states = states
        self._built_variables = variables
        self._decay_mask = [self._uses_decay(v) for v in variables]
        if arrays:
            self._extra_dtype = arrays[0].dtype
        self._reset_extra_state()
        pending, self._pending = self._pending, None
        if pending is not None:
            kind, payload = pending
            if kind == "state":
                self.load_state_dict(payload)
            else:
                self.set_variables(payload)

    def _reset_extra_state(self):
        pass

    def init_state(self, param):
        """Return the dict of slot arrays for one parameter (overridden by subclasses)."""
        return {}

    def _slot_groups(self):
        """Keras slot creation order: each group is created for every variable, interleaved."""
        return ()

    def begin_step(self, lr):
        """Compute per-step Python scalars once before the per-variable updates."""

    def update(self, param, grad, state, lr):
        """Update ``param`` and ``state`` in place from ``grad`` (overridden by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update().")

    # ----- applying gradients ----------------------------------------------------------------
    def apply(self, grads, variables=None):
        """Apply one step of ``grads`` (aligned with ``variables``; ``None`` entries skipped).

        Args:
            grads: list of gradient arrays (or Tensors), one per variable, ``None`` to skip.
            variables: the list of variables (Tensors or arrays) updated in place. Optional once
                the optimizer is built; must then have the same length as at build time.
        """
        if len(grads) == 0:
            return
        if variables is None:
            if not self.built:
                raise ValueError(f"{self.name}: pass `variables` to apply() or call "
                                 "build(variables) first.")
            variables = self._built_variables
        elif not self.built:
            self.build(variables)
        states = self._states
        if len(grads) != len(states) or len(variables) != len(states):
            raise ValueError(
                f"{self.name}: expected {len(states)} gradients and variables (the count it was "
                f"built with). Received {len(grads)} gradients and {len(variables)} variables.")
        index = [i for i, g in enumerate(grads) if g is not None]
        if len(index) < len(grads):
            self._report_missing(grads, variables, index)
        garrays = [_grad_array(grads[i]) for i in index]
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            garrays = self._clip(index, garrays)
        lr = self.learning_rate
        self.begin_step(lr)
        decay = 1.0 - self.weight_decay * lr if self.weight_decay else None
        mask = self._decay_mask
        update = self.update
        for i, g in zip(index, garrays):
            param = _array_of(variables[i])
            if decay is not None and mask[i]:
                xp_of(param).multiply(param, decay, param)
            update(param, g, states[i], lr)
        self.iterations += 1
        if self.iterations % _FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _flush_subnormals(self):
        """Zero slot entries too small to matter before decay makes them subnormal.

        A unit whose gradient stays exactly zero (a dead ReLU) has its moments decay
        geometrically; once they are subnormal, every pass over them runs many times slower on
        x86 (measured: Adam on the tutorial MLP went from ~0.3 to ~1.2 ms per step). Entries
        below ~1e-30 (float32) change no update, so they are set to exactly zero every
        ``_FLUSH_EVERY`` steps, at the same iterations in every run (exact resume holds).
        """
        for state in self._states:
            for key, arr in state.items():
                if key.startswith("_") or getattr(arr, "dtype", None) is None:
                    continue
                if arr.dtype.kind != "f":
                    continue
                xp = xp_of(arr)
                tiny = xp.abs(arr) < _FLUSH_BELOW.get(arr.dtype.itemsize, 0.0)
                if tiny.any():
                    arr[tiny] = 0

    def _report_missing(self, grads, variables, index):
        if not index:
            raise ValueError(f"{self.name}: no gradients provided for any variable.")
        missing = [getattr(variables[i], "name", i) for i, g in enumerate(grads) if g is None]
        warnings.warn(f"{self.name}: gradients do not exist for variables {missing}; they are "
                      "not updated.", stacklevel=3)

    def apply_gradients(self, grads_and_vars):
        """Apply ``(grad, variable)`` pairs (Keras API); returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    def _clip_buffer(self, i, g):
        state = self._states[i]
        buf = state.get("_clip")
        if buf is None or buf.shape != g.shape or buf.dtype != g.dtype:
            buf = state["_clip"] = xp_of(g).empty_like(g)
        return buf

    def _clip(self, index, grads):
        """Clipped copies of ``grads`` (written to per-variable buffers; inputs never mutated)."""
        if self.clipvalue:
            v = float(self.clipvalue)
            return [xp_of(g).clip(g, -v, v, out=self._clip_buffer(i, g))
                    for i, g in zip(index, grads)]
        if self.clipnorm:
            c = float(self.clipnorm)
            out = []
            for i, g in zip(index, grads):
                norm = math.sqrt(float(xp_of(g).vdot(g, g)))
                if norm > c:
                    g = xp_of(g).multiply(g, c / norm, out=self._clip_buffer(i, g))
                out.append(g)
            return out
        c = float(self.global_clipnorm)
        norm = math.sqrt(sum(float(xp_of(g).vdot(g, g)) for g in grads))
        if math.isfinite(norm) and norm <= c:
            return grads
        # Keras turns every gradient into NaN when the global norm is not finite.
        scale = c / norm if math.isfinite(norm) else math.nan
        return [xp_of(g).multiply(g, scale, out=self._clip_buffer(i, g))
                for i, g in zip(index, grads)]

    # ----- state -----------------------------------------------------------------------------
    def _slot_order(self):
        n = len(self._states)
        return [(i, name) for group in self._slot_groups() for i in range(n) for name in group]

    def variables(self):
        """Optimizer state as arrays in Keras order (what ``.keras`` files store).

        Returns:
            ``[iterations (int64 0-d), learning_rate (float32 0-d; omitted with a schedule)]``
            followed by the slot arrays in Keras creation order and any optimizer-level state.
        """
        out = [np.array(self.iterations, dtype=np.int64)]
        if isinstance(self._learning_rate, float):
            out.append(np.array(self._learning_rate, dtype=np.float32))
        if self.built:
            out += [to_numpy(self._states[i][name]).copy() for i, name in self._slot_order()]
            out += [np.array(getattr(self, "_" + k), dtype=self._extra_dtype)
                    for k in self._extra_state]
        return out

    def set_variables(self, values):
        """Load arrays in the order of ``variables()`` (deferred until build when unbuilt)."""
        values = list(values)
        if not self.built:
            self._pending = ("vars", values)
            return
        expected = len(self.variables())
        if len(values) != expected:
            raise ValueError(f"{self.name}: expected {expected} optimizer variables, received "
                             f"{len(values)}.")
        self.iterations = int(values[0])
        rest = values[1:]
        if isinstance(self._learning_rate, float):
            saved = float(np.asarray(rest[0]))
            if float(np.float32(self._learning_rate)) != saved:
                self._learning_rate = saved
            rest = rest[1:]
        for (i, name), value in zip(self._slot_order(), rest):
            self._copy_slot(i, name, value)
        for key, value in zip(self._extra_state, rest[len(rest) - len(self._extra_state):]):
            setattr(self, "_" + key, float(np.asarray(value)))

    def _copy_slot(self, i, name, value):
        slot = self._states[i][name]
        value = xp_of(slot).asarray(value)
        if value.shape != slot.shape:
            raise ValueError(f"{self.name}: slot {name!r} of variable {i} has shape {slot.shape}; "
                             f"received shape {value.shape}.")
        slot[...] = value

    def state_dict(self):
        """Everything needed for an exact resume, as plain Python numbers and NumPy arrays.

        Keys: ``iterations`` (int), ``learning_rate`` (float; absent with a schedule), optimizer
        level state (e.g. Nadam ``u_product``) and ``slot/<index>/<name>`` arrays (copies).
        """
        out = {"iterations": int(self.iterations)}
        if isinstance(self._learning_rate, float):
            out["learning_rate"] = self._learning_rate
        if self.built:
            for key in self._extra_state:
                out[key] = float(getattr(self, "_" + key))
            for i, name in self._slot_order():
                out[f"slot/{i}/{name}"] = to_numpy(self._states[i][name]).copy()
        return out

    def load_state_dict(self, state):
        """Restore ``state_dict()`` output (deferred until build when the optimizer is unbuilt)."""
        state = dict(state)
        if not self.built:
            self._pending = ("state", state)
            return
        expected = {f"slot/{i}/{name}" for i, name in self._slot_order()}
        expected.update(self._extra_state)
        given = {k for k in state if k not in ("iterations", "learning_rate")}
        if given != expected:
            raise ValueError(f"{self.name}: state keys do not match this optimizer. Missing: "
                             f"{sorted(expected - given)}; unexpected: {sorted(given - expected)}.")
        self.iterations = int(state["iterations"])
        if "learning_rate" in state and isinstance(self._learning_rate, float):
            self._learning_rate = float(state["learning_rate"])
        for key in self._extra_state:
            setattr(self, "_" + key, float(state[key]))
        for i, name in self._slot_order():
            self._copy_slot(i, name, state[f"slot/{i}/{name}"])

    # ----- config ----------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments, with Keras names (a schedule is serialized to a dict)."""
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": lr if isinstance(lr, float) else _schedules.serialize(lr),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from ``get_config()`` output (Keras configs accepted too)."""
        config = dict(config)
        if "lr" in config:
            config.setdefault("learning_rate", config.pop("lr"))
        for key in _KERAS_ONLY_SILENT:
            config.pop(key, None)
        for key in _KERAS_ONLY_FEATURES:
            value = config.pop(key, None)
            if value not in (None, False, 0):
                warnings.warn(f"{cls.__name__}: `{key}={value!r}` is not supported by numdeep "
                              "and is ignored.", stacklevel=2)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={self._learning_rate!r})"
