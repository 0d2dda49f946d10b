"""The optimizer's state as Keras keeps it: ``Variable``s in creation order, and numdeep's
``state_dict()`` for exact resumes.

``optimizer.variables`` lists ``iteration``, ``learning_rate`` (absent with a schedule or a
callable), the EMA averages and gradient accumulators when enabled, the per-variable slots in
Keras's creation order, then optimizer-level scalars (Nadam's ``u_product``). ``.keras`` and
``.weights.h5`` files store exactly this list, so state moves between numdeep and Keras.
"""

import warnings

import numpy as np

from numdeep.autograd import Tensor, Variable
from numdeep.backend import name_scope, to_numpy, xp_of

# Slot entries smaller than this (by float width in bytes) are flushed to zero every
# _FLUSH_EVERY steps: far below any meaningful update, far above the subnormal range.
_FLUSH_BELOW = {2: 0.0, 4: 1e-30, 8: 1e-290}
_FLUSH_EVERY = 32


def _array_of(variable):
    """The array a variable holds: a Tensor's (or any ``.data`` holder's) array, an array itself,
    or a new array from a list or number."""
    if isinstance(variable, Tensor):
        return variable.data
    if type(variable) is np.ndarray:
        return variable
    if hasattr(variable, "__array_interface__") or hasattr(variable, "__cuda_array_interface__"):
        return variable
    data = getattr(variable, "data", None)
    return data if hasattr(data, "dtype") else np.asarray(variable)


def _data(value):
    return value.data if isinstance(value, Tensor) else xp_of(value).asarray(value)


def reference_name(variable, index):
    """Keras's name for an optimizer variable made from ``variable``: its path with ``_``."""
    path = getattr(variable, "path", None) or getattr(variable, "name", None)
    return str(path).replace("/", "_").replace(":", "_") if path else f"variable_{index}"


class OptimizerState:
    """Mixin of ``Optimizer``: creating, listing, saving and loading its variables."""

    # ----- creating variables (Keras's API for optimizer subclasses) --------------------------
    def _track(self, variable):
        self._variables.append(variable)
        return variable

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     layout=None, name=None):
        """Create a non-trainable optimizer ``Variable`` (tracked in ``variables``).

        Args:
            shape: the variable's shape.
            initializer: an initializer name or callable ``fn(shape, dtype)``. Defaults to zeros.
            dtype: its dtype (default ``floatx()``).
            aggregation, layout: accepted for Keras compatibility.
            name: its name.
        """
        with name_scope(self.name):
            return self._track(Variable(initializer, shape=shape, dtype=dtype, trainable=False,
                                        aggregation=aggregation, name=name))

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """An optimizer variable shaped like ``reference_variable``, named
        ``<its path with '_'>_<name>`` (Keras's naming)."""
        index = len(self._variables)
        return self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype,
                                 name=f"{reference_name(reference_variable, index)}_"
                                      f"{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One variable per trainable variable for each of ``name`` (a string or a list),
        interleaved per variable as Keras creates them; ``None`` for variables updated by
        overwriting with their gradient."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, list | tuple) else [initializer] * len(
            names)
        if len(inits) != len(names):
            raise ValueError(f"The number of provided names must match the number of provided "
                             f"initializers.  Received name='{name}', "
                             f"initializer='{initializer}'")
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            overwrite = getattr(variable, "overwrite_with_gradient", False)
            for lst, n, init in zip(out, names, inits):
                lst.append(None if overwrite else
                           self.add_variable_from_reference(variable, name=n, initializer=init))
        return out[0] if isinstance(name, str) else out

    def assign(self, variable, value):
        """``variable.assign(value)`` (Keras's hook for subclasses)."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """``variable.assign_add(value)``."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """``variable.assign_sub(value)``."""
        variable.assign_sub(value)

    # ----- listing ------------------------------------------------------------------------------
    @property
    def variables(self):
        """The optimizer's ``Variable``s in Keras order (what ``.keras`` files store)."""
        return list(self._variables)

    def _unbuilt_count(self):
        return 1 + (self._lr_variable is not None)

    # ----- loading and saving ---------------------------------------------------------------------
    def set_weights(self, weights):
        """Assign ``weights`` (arrays in the order of ``variables``); the optimizer must be
        built."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` to "
                             "create the optimizer weights before calling `set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer variable {variable.path} has shape "
                                 f"{tuple(variable.shape)} not compatible with provided weight "
                                 f"shape {tuple(np.shape(weight))}.")
            variable.assign(weight)

    def set_variables(self, values):
        """Load arrays in the order of ``variables``. On an unbuilt optimizer, values for its
        slots wait until it is built; ``iteration`` and ``learning_rate`` alone load at once."""
        values = list(values)
        if not self.built and len(values) != self._unbuilt_count():
            self._pending = ("vars", values)
            return
        if len(values) != len(self._variables):
            raise ValueError(f"{self.name}: expected {len(self._variables)} optimizer "
                             f"variables, received {len(values)}.")
        if not self.built:
            for variable, value in zip(self._variables, values):
                variable.assign(value)
            return
        self.set_weights(values)

    def save_own_variables(self, store):
        """Write the variables into ``store`` under ``'0'``, ``'1'``, ... (Keras's layout)."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Read what ``save_own_variables`` wrote; a count mismatch warns and loads nothing."""
        if len(store.keys()) != len(self._variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it "
                          f"has {len(self._variables)} variables whereas the saved optimizer "
                          f"has {len(store.keys())} variables. ", stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """Apply ``grads`` to given values instead of the variables' own (Keras's functional
        form); returns ``(new trainable values, new optimizer values)``, every variable left as
        it was."""
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built "
                             f"(i.e. its variables must have been created). You can build it "
                             f"via `optimizer.build(trainable_variables)`.")
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError(f"Argument `optimizer_variables` must be a list of tensors "
                             f"corresponding 1:1 to {type(self).__name__}().variables. Received "
                             f"list with length {len(optimizer_variables)}, but expected "
                             f"{len(own)} variables.")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(f"Argument `trainable_variables` must correspond 1:1 to the "
                             f"{len(self._trainable_variables)} variables the optimizer was "
                             f"built with. Received {len(trainable_variables)}.")
        targets = [_data(v) for v in list(self._trainable_variables) + own]
        saved = [a.copy() for a in targets]
        for arr, value in zip(targets, list(trainable_variables) + list(optimizer_variables)):
            arr[...] = _data(value)
        try:
            self.apply(grads)
            new = [a.copy() for a in targets]
        finally:
            for arr, value in zip(targets, saved):
                arr[...] = value
        count = len(self._trainable_variables)
        return new[:count], new[count:]

    def _slot_order(self):
        return [(i, name) for i, slots in enumerate(self._slot_variables) for name in slots]

    def state_dict(self):
        """Everything needed for an exact resume, as plain Python numbers and NumPy arrays.

        Keys: ``iterations`` (int, every ``apply`` counted), ``learning_rate`` (float; absent
        with a schedule), optimizer-level state (e.g. Nadam ``u_product``) and
        ``slot/<index>/<name>`` arrays (copies).
        """
        out = {"iterations": int(self._iterations.data)}
        if isinstance(self._learning_rate, float):
            out["learning_rate"] = self._get_current_learning_rate()
        if self.built:
            for key in self._extra_state:
                out[key] = float(getattr(self, "_" + key).data)
            for i, name in self._slot_order():
                out[f"slot/{i}/{name}"] = to_numpy(self._slot_variables[i][name].data).copy()
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
        self._iterations.assign(int(state["iterations"]))
        if "learning_rate" in state and isinstance(self._learning_rate, float):
            self._set_float_learning_rate(float(state["learning_rate"]))
        for key in self._extra_state:
            getattr(self, "_" + key).assign(state[key])
        for i, name in self._slot_order():
            slot = self._slot_variables[i][name]
            value = np.asarray(state[f"slot/{i}/{name}"])
            if value.shape != tuple(slot.shape):
                raise ValueError(f"{self.name}: slot {name!r} of variable {i} has shape "
                                 f"{tuple(slot.shape)}; received shape {value.shape}.")
            slot.assign(value)

    def _load_pending(self):
        pending, self._pending = self._pending, None
        if pending is not None:
            kind, payload = pending
            (self.load_state_dict if kind == "state" else self.set_variables)(payload)

    def _flush_subnormals(self):
        """Zero slot entries too small to matter before decay makes them subnormal.

        A unit whose gradient stays exactly zero (a dead ReLU) has its moments decay
        geometrically; once they are subnormal, every pass over them runs many times slower on
        x86 (measured: Adam on the tutorial MLP went from ~0.3 to ~1.2 ms per step). Entries
        below ~1e-30 (float32) change no update, so they are set to exactly zero every
        ``_FLUSH_EVERY`` steps, at the same iterations in every run (exact resume holds).
        """
        for slots in self._slot_variables:
            for variable in slots.values():
                arr = variable.data
                if arr.dtype.kind != "f":
                    continue
                tiny = xp_of(arr).abs(arr) < _FLUSH_BELOW.get(arr.dtype.itemsize, 0.0)
                if tiny.any():
                    arr[tiny] = 0
