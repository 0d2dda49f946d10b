"""The layer contract: ``__init__`` stores config, ``build`` makes weights, ``call`` computes."""

import contextlib
import functools
import re
import threading

import numpy as np

from numdeep import constraints, initializers, regularizers, tree
from numdeep.autograd import Tensor, Variable, no_grad
from numdeep.autograd import remat as remat_lib
from numdeep.autograd.tensor import data_of
from numdeep.backend import clear_session as clear_session
from numdeep.backend import floatx, name_scope, standardize_dtype, unique_name
from numdeep.backend.naming import current_path, path_scope
from numdeep.layers import auto_config, call_context, layer_args
from numdeep.layers.input_spec import assert_input_compatibility
from numdeep.layers.tracking import TrackedDict, TrackedList, Tracker
from numdeep.ops.symbolic import KerasTensor, Node, any_symbolic, output_spec


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.replace("2_d", "2d").replace("1_d", "1d").replace("3_d", "3d")


def _build_wrapper(build):
    """A subclass's ``build``, made to mark the layer built and record its input shape when it
    returns, and to create weights under the layer's name scope (their ``path``)."""

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        if self.__dict__.get("_building"):
            return build(self, *args, **kwargs)  # `super().build()` inside a subclass's build
        self.__dict__["_building"] = True
        try:
            with name_scope(self.name, caller=self):
                self._path = current_path()
                build(self, *args, **kwargs)
        finally:
            self.__dict__["_building"] = False
        if self._build_shapes is None:
            self._build_shapes = layer_args.shapes_of_build_args(build, args, kwargs)
        self.built = True
        self._lock_state()

    wrapped._numdeep_build = True
    return wrapped


class Layer:
    """Base class of all layers (Keras contract).

    Subclasses validate and store their configuration in ``__init__`` (no weights there),
    create weights in ``build(input_shape)`` with ``add_weight``, compute in ``call``, and return
    their constructor arguments from ``get_config``. ``call`` receives ``training`` and ``mask``
    only if it declares them; ``build`` (even when called by hand) marks the layer built, so a
    second call never re-creates the weights.

    Args:
        name: layer name; unique automatic names (``dense``, ``dense_1``) when omitted.
        trainable: whether the weights are updated by training.
        dtype: the dtype of the weights (default ``floatx()``).
        activity_regularizer: a penalty on the layer's outputs, added to ``losses``.
        input_shape: shape of one sample, accepted on the first layer of a ``Sequential``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> class Scale(nd.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones",
        ...                                  name="w")
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale(name="scale")
        >>> layer(np.ones((2, 3), dtype="float32")).shape
        (2, 3)
        >>> [w.path for w in layer.weights]
        ['scale/w']
    """

    supports_masking = False

    _library_without_build = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._library_without_build = cls.__module__.startswith("numdeep.") and \
            "build" not in {k for c in cls.__mro__[:-1] if c is not Layer for k in c.__dict__}
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_numdeep_build", False):
            cls.build = _build_wrapper(build)
        init = cls.__dict__.get("__init__")
        if init is not None and not auto_config.is_library_function(init):
            cls.__init__ = auto_config.wrap_init(init)  # a user class may define no get_config

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 batch_input_shape=None, batch_shape=None, input_dim=None, batch_size=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        kwargs.pop("weights", None)  # Keras 2's initial weights: set them with set_weights
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}"
            )
        self._init_tracking()
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` argument to be a boolean, but got: "
                             f"{trainable}")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _dtype_name(dtype)
        self.autocast = autocast
        self.input_spec = None
        self._losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._inbound_nodes = []
        self._build_shapes = None
        self._checked_shapes = None
        self._build_lock = threading.Lock()
        self._remat_mode = remat_lib.get_current_remat_mode()
        self._called = False
        # A user layer is built on its first call (or by `build`), as in Keras; numdeep's own
        # layers with nothing to build are built from the start.
        self.built = type(self)._library_without_build
        if type(self).compute_mask is not Layer.compute_mask and not self.supports_masking:
            self.supports_masking = True
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None and input_shape is not None:
            batch_shape = (batch_size, *tuple(input_shape))
        if batch_shape is None and input_dim is not None:
            batch_shape = (batch_size, input_dim)
        self._batch_input_shape = tuple(batch_shape) if batch_shape is not None else None

    # A lock cannot be pickled; a copy gets a fresh one (pickling is how multiprocessing and
    # `copy.deepcopy` hand layers around).
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_build_lock", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__["_build_lock"] = threading.Lock()

    # ----- tracking (see numdeep.layers.tracking) --------------------------------------------
    # Internal attributes that are never tracked (they hold the layer's bookkeeping).
    _untracked_attrs = frozenset({
        "_layers", "_trainable_weights", "_non_trainable_weights", "_seed_generators",
        "_metrics", "_losses", "_tracker", "_tracking", "_inbound_nodes", "_build_lock",
        "_remat_mode", "_call_context_args", "_called", "_checked_shapes", "_build_shapes",
        "_batch_input_shape", "_sublayers_built", "_manual_input_spec", "_path",
        "_fitted_shape",  # the input shape a layer last checked (a cache, not configuration)
    })
    _call_context_args = frozenset({"training"})

    def _init_tracking(self):
        # Attributes may be set before `Layer.__init__` runs (a subclass setting state first):
        # the collections exist from the first assignment on.
        d = self.__dict__
        if "_tracker" not in d:
            d["_tracker"] = Tracker()
            for attr in ("_layers", "_trainable_weights", "_non_trainable_weights",
                         "_seed_generators", "_metrics"):
                d[attr] = []
            d["_tracking"] = True

    def __setattr__(self, name, value):
        d = self.__dict__
        if "_tracker" not in d:
            self._init_tracking()
        if d["_tracking"] and name not in self._untracked_attrs:
            value = self._track(value)
        super().__setattr__(name, value)
        if name not in self._untracked_attrs:
            # Inference plans (numdeep.models.plan) hold for the configuration they traced.
            d["_config_version"] = d.get("_config_version", 0) + 1

    def __delattr__(self, name):
        value = self.__dict__.get(name)
        super().__delattr__(name)
        if name not in self._untracked_attrs:
            self.__dict__["_config_version"] = self.__dict__.get("_config_version", 0) + 1
        if value is not None and name not in self._untracked_attrs:
            self._untrack(value)

    def _track(self, value):
        """Own ``value`` if it is a layer, variable, seed generator or metric (or holds some);
        return it, lists and dicts wrapped so that later changes are tracked too."""
        from numdeep.random import SeedGenerator  # a floor below, imported late to stay light

        if isinstance(value, Layer):
            if not any(v is value for v in self._layers):
                self._check_unlocked()
                self._layers.append(value)
        elif isinstance(value, Variable):
            owned = self._trainable_weights + self._non_trainable_weights
            if not any(v is value for v in owned):
                self._check_unlocked()
                (self._trainable_weights if value.trainable else
                 self._non_trainable_weights).append(value)
        elif isinstance(value, SeedGenerator):
            if not any(v is value for v in self._seed_generators):
                self._check_unlocked()
                self._seed_generators.append(value)
        elif hasattr(value, "update_state") and hasattr(value, "reset_state") and \
                hasattr(value, "result"):
            if not any(v is value for v in self._metrics):
                self._check_unlocked()
                self._metrics.append(value)
        elif type(value) is list:
            for item in value:
                self._track(item)
            return TrackedList(value, owner=self)
        elif type(value) is dict:
            for item in value.values():
                self._track(item)
            return TrackedDict(value, owner=self)
        elif isinstance(value, list | tuple):
            for item in value:
                self._track(item)
        elif isinstance(value, dict):
            for item in value.values():
                self._track(item)
        return value

    def _untrack(self, value):
        """Stop owning ``value`` (removed from a tracked list or dict, or deleted)."""
        for store in (self._layers, self._trainable_weights, self._non_trainable_weights,
                      self._seed_generators, self._metrics):
            for i, item in enumerate(store):
                if item is value:
                    del store[i]
                    return

    def _untrack_variable(self, variable):
        """Stop owning ``variable`` (and return ``None``, for ``self.w = ...``): how a layer
        replaces one of its weights, as in Keras."""
        was_locked = self._tracker.locked
        self._tracker.unlock()
        self._untrack(variable)
        if was_locked:
            self._tracker.lock()
        return None

    def _check_unlocked(self):
        if self._tracker.locked:
            raise ValueError(self._tracker.message)

    @contextlib.contextmanager
    def _unlocked_state(self):
        """Let a built layer take on new state inside the block (LoRA weights, RNN states
        created on the first stateful call), then lock it again."""
        was_locked = self._tracker.locked
        self._tracker.unlock()
        try:
            yield
        finally:
            if was_locked:
                self._tracker.lock()

    def _lock_state(self):
        """No new state once built (subclasses whose structure may change override this)."""
        if not self._tracker.locked:
            self._tracker.lock()

    def _build_at_init(self):
        """Mark a layer with nothing to build as built now (end of its ``__init__``)."""
        if type(self).build is Layer.build:
            self.built = True
            self._lock_state()

    def _register_call_context_args(self, *names):
        """Make ``names`` call-context arguments, like ``training``: given to this layer's call
        (or inherited from an outer call), passed to its ``call`` when it declares them, and
        handed down to the layers it calls."""
        if self._called:
            raise RuntimeError("Cannot add call-context args after the layer has been called.")
        self._call_context_args = frozenset(self._call_context_args | set(names))

    def _flatten_layers(self, include_self=True, recursive=True):
        out = [self] if include_self else []
        for layer in self._layers:
            out.append(layer)
            if recursive:
                out += layer._flatten_layers(include_self=False, recursive=True)
        return _unique(out)

    # ----- weights ------------------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        # Frozen weights record no gradient: backprop still flows *through* the layer.
        for w in self._trainable_weights:
            w.trainable = self._trainable
        for layer in self._layers:
            layer.trainable = value

    @property
    def dtype_policy(self):
        return self.dtype

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def variable_dtype(self):
        return self.dtype

    @property
    def input_dtype(self):
        return self.dtype

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create, track and return a weight ``Variable`` (call from ``build``).

        Args:
            shape: the weight's shape (``()`` for a scalar).
            initializer: name or initializer (default ``'glorot_uniform'`` for floats,
                ``'zeros'`` otherwise).
            dtype: default the layer's dtype.
            trainable: whether training updates it.
            regularizer, constraint: optional penalty and projection.
            name: the weight's name (its ``path`` adds the layer's).
        """
        if args:
            shape, initializer, dtype = layer_args.positional_weight_args(
                args, shape, initializer, dtype)
        self._check_unlocked()
        dtype = standardize_dtype(dtype or self.dtype)
        shape = () if shape is None else tuple(shape)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._trainable_weights + self._non_trainable_weights)}"
        layer_args.check_weight_size(self, name, shape, dtype)
        with self._weight_scope(), no_grad():
            value = np.asarray(_initial(init, shape, dtype), dtype=dtype)
            # numdeep's initializers return new arrays: the Variable takes one as it is rather
            # than copying it, so a large weight is allocated once.
            fresh = type(init).__module__.startswith("numdeep.initializers")
            variable = Variable(functools.partial(_fresh, value) if fresh else value,
                                shape=shape, dtype=dtype if fresh else None,
                                trainable=trainable, name=name, autocast=autocast,
                                aggregation=aggregation)
        variable.trainable = trainable and self._trainable
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.overwrite_with_gradient = overwrite_with_gradient
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    def _weight_scope(self):
        # Inside `build` the scope is open already; a weight created later goes where the
        # layer was built (`outer/inner/var2`), not under whatever is being called now.
        path = self.__dict__.get("_path")
        if path and current_path() != path:
            return path_scope(path)
        return name_scope(self.name, caller=self)

    @property
    def path(self):
        """Where the layer was built (``'model/dense'``); ``None`` before it is built."""
        return self.__dict__.get("_path")

    @property
    def _trainable_variables(self):
        """The weights created trainable (Keras's name), whatever ``trainable`` is now."""
        return self._trainable_weights

    @property
    def _non_trainable_variables(self):
        return self._non_trainable_weights

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras's other spelling of ``add_weight`` (``shape`` and ``initializer`` first)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    @property
    def weights(self):
        """All weights: own trainable, own non-trainable, then each sub-layer's (Keras order)."""
        out = self._trainable_weights + self._non_trainable_weights
        for layer in self._layers:
            out = out + layer.weights
        return _unique(out)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    @property
    def variables(self):
        """Weights plus the states of the seed generators (metrics' variables are in
        ``metrics_variables``), of this layer and its sub-layers."""
        out = self._trainable_weights + self._non_trainable_weights
        out = out + [sg.state for sg in self._seed_generators]
        for layer in self._layers:
            out = out + layer.variables
        return _unique(out)

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [v for v in self.variables if id(v) not in trainable]

    def get_weights(self):
        """Return the weights as a list of NumPy arrays (copies)."""
        return [np.array(w.data) for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays, checking count and shapes first."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"Layer '{self.name}' expects {len(params)} weight arrays, but received "
                f"{len(weights)}."
            )
        bad = [
            f"{p.name}: expected {p.shape}, received {np.shape(w)}"
            for p, w in zip(params, weights) if tuple(np.shape(w)) != p.shape
        ]
        if bad:
            raise ValueError(f"Layer '{self.name}' weight shape mismatch: " + "; ".join(bad))
        for p, w in zip(params, weights):
            p.data[...] = np.asarray(getattr(w, "data", w), dtype=p.dtype)

    def count_params(self):
        """Total number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             f"layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(w.size for w in self.weights))

    def save_own_variables(self, store):
        """Write this layer's own weights into ``store`` under ``'0'``, ``'1'``, ..."""
        for i, v in enumerate(self._trainable_weights + self._non_trainable_weights):
            store[f"{i}"] = np.array(v.data)

    def load_own_variables(self, store):
        """Read this layer's own weights from ``store`` (written by ``save_own_variables``)."""
        own = self._trainable_weights + self._non_trainable_weights
        if len(store.keys()) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received "
                             f"{len(store.keys())} variables during loading.")
        for i, v in enumerate(own):
            v.assign(store[f"{i}"])

    # ----- losses and metrics -------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a loss (a scalar Tensor computed in ``call``) to ``losses`` for this step."""
        self._losses.append(loss)

    @property
    def losses(self):
        """Losses added in the last call (``add_loss``, activity regularization) plus the weight
        regularization penalties, of this layer and its sub-layers."""
        out = list(self._losses)
        # Keras penalizes trainable weights only (a LoRA-frozen kernel, a frozen layer: none).
        out += [w.regularizer(w) for w in self._trainable_weights + self._non_trainable_weights
                if getattr(w, "regularizer", None) is not None and w.trainable]
        for layer in self._layers:
            out += layer.losses
        return out

    @property
    def metrics(self):
        out = list(self._metrics)
        for layer in self._layers:
            out += layer.metrics
        return out

    @property
    def metrics_variables(self):
        return [v for m in self.metrics for v in getattr(m, "variables", [])]

    # ----- building and calling -----------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch dimension included)."""
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call` method "
                                  f"implemented.")

    def get_build_config(self):
        """``{'input_shape': shape}`` (or ``{'shapes_dict': ...}``) the layer was built with."""
        if self._build_shapes is None:
            return None
        if isinstance(self._build_shapes, dict):
            return {"shapes_dict": self._build_shapes}
        return {"input_shape": self._build_shapes}

    def build_from_config(self, config):
        """Build from ``get_build_config()`` output."""
        if not config:
            return
        if "shapes_dict" in config:
            self.build(**{k: layer_args.as_shape(v) for k, v in config["shapes_dict"].items()})
        elif config.get("input_shape") is not None:
            self.build(layer_args.as_shape(config["input_shape"]))

    def _maybe_build(self, shapes, shapes_by_name=None):
        if self.built:
            return
        with self._build_lock:  # several threads may call an unbuilt layer at once
            if self.built:
                return
            params = layer_args.build_params(type(self))
            if len(params) > 1 and shapes_by_name is not None:
                # build(self, foo_shape, bar_shape): each shape goes to its call argument.
                accepted = layer_args.match_build_args(self, params, shapes_by_name or {})
                self._build_shapes = accepted
                self.build(**accepted)
            else:
                self._build_shapes = shapes
                self.build(shapes)
            self.built = True
            self._lock_state()

    def __call__(self, *args, **kwargs):
        spec = call_context.call_spec(type(self))
        if not args:
            if spec.first in kwargs:
                args = (kwargs.pop(spec.first),)
            else:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
        # The hot path inside fit (one Tensor, maybe `training`) skips the structure scan.
        if not (type(args[0]) is Tensor and len(args) == 1 and (
                not kwargs or (len(kwargs) == 1 and "training" in kwargs))) and \
                any_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs, spec)
        if len(args) > 1 and not self._allow_non_tensor_positional_args:
            layer_args.check_positional(args[1:])
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None) if kwargs else None
        context = self._resolve_context_args(kwargs, spec) \
            if self._call_context_args is not Layer._call_context_args else None
        inputs = args[0]
        if type(inputs) is Tensor or isinstance(inputs, Tensor):
            shapes = inputs.data.shape
        else:
            inputs = tree.map_structure(layer_args.as_tensor, inputs)
            shapes = tree.map_structure(lambda t: None if t is None else t.shape, inputs)
        if len(args) > 1:
            args = (inputs,) + tuple(layer_args.convert_arrays(a) for a in args[1:])
        else:
            args = (inputs,)
        if kwargs:
            kwargs = {k: v if k.endswith("_mask") else layer_args.convert_arrays(v)
                      for k, v in kwargs.items()}
        if not self.built:
            self._maybe_build(shapes, layer_args.shapes_by_name(spec, args, kwargs))
        if self.input_spec is not None and shapes != self._checked_shapes:
            assert_input_compatibility(self.input_spec, inputs, self.name)
            self._checked_shapes = shapes
        if training is None:
            training = call_context.current_training()
            if training is None:
                training = spec.training_default
        if spec.has_training:
            kwargs["training"] = training
        if mask is None and (spec.has_mask or self.supports_masking):
            mask = layer_args.input_mask(inputs)
        if spec.has_mask and mask is not None:
            kwargs["mask"] = mask
        if spec.arg_masks and len(args) + len(kwargs) > 1:
            layer_args.fill_arg_masks(spec, args, kwargs)
        if self._losses:
            self._losses = []  # losses describe the latest call
        call = self.call if self._remat_mode is None else \
            self.rematerialized_call(self.call, *args, **kwargs)
        if self._layers or context:
            # Sub-layers called without `training=` inherit this call's mode (and the other
            # call-context arguments); while some are unbuilt, their weights are created under
            # this layer's name scope (paths like `outer/inner/kernel`).
            with call_context.CallContext(self, training, context), \
                    self._scope_for_sublayers():
                outputs = call(*args, **kwargs)
        else:
            outputs = call(*args, **kwargs)
        if not self._called:
            self._called = True
        if self.activity_regularizer is not None:
            for o in tree.flatten(outputs):
                # The penalty per sample (an empty batch adds nothing).
                penalty = self.activity_regularizer(o)
                self.add_loss(penalty * (1.0 / o.shape[0]) if o.shape[0] else penalty * 0.0)
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            layer_args.attach_mask(outputs, self.compute_mask(inputs, mask))
        return outputs

    _allow_non_tensor_positional_args = False

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Call the layer with the given variable values, leaving its own untouched.

        Returns ``(outputs, non_trainable_variables)`` (and ``losses`` when
        ``return_losses``): the outputs and the values the non-trainable variables would
        have after the call (moving statistics, counters, seed states). numdeep computes
        eagerly, so gradients flow to the layer's variables, not to the values passed.
        """
        if not self.built:
            raise ValueError(f"To call stateless_call, {type(self).__name__} must be built (i.e. "
                             f"its variables must have been already created). You can build it "
                             f"by calling it on some data.")
        own_t, own_nt = self.trainable_variables, self.non_trainable_variables
        for what, given, own in (("trainable_variables", trainable_variables, own_t),
                                 ("non_trainable_variables", non_trainable_variables, own_nt)):
            if len(given) != len(own):
                raise ValueError(f"Argument `{what}` must be a list of tensors corresponding "
                                 f"1:1 to {type(self).__name__}().{what}. Received list with "
                                 f"length {len(given)}, but expected {len(own)} variables.")
        variables = own_t + own_nt
        values = [np.array(data_of(v)) for v in list(trainable_variables) +
                  list(non_trainable_variables)]
        saved = [np.array(v.data) for v in variables]
        try:
            for v, value in zip(variables, values):
                v.data[...] = value
            outputs = self(*args, **kwargs)
            new_values = [Tensor(np.array(v.data)) for v in own_nt]
            losses = list(self.losses) if return_losses else None
        finally:
            for v, value in zip(variables, saved):
                v.data[...] = value
        if return_losses:
            return outputs, new_values, losses
        return outputs, new_values

    def _resolve_context_args(self, kwargs, spec):
        """Resolve the registered call-context arguments other than ``training`` (Keras's
        order: given to this call, else inherited from an outer call, else ``call``'s
        default); put them in ``kwargs`` when ``call`` declares them; return them for the
        layers this call calls."""
        values = {}
        for name in self._call_context_args:
            if name == "training":
                continue
            declared = name in spec.names
            if name in kwargs:
                value = kwargs[name] if declared else kwargs.pop(name)
            else:
                value = call_context.current_value(name)
                if value is None:
                    value = spec.defaults.get(name)
            values[name] = value
            if declared and value is not None:
                kwargs[name] = value
        return values

    def _scope_for_sublayers(self):
        """This layer's name scope while some of its sub-layers are unbuilt (they create their
        weights during this call), else a no-op."""
        if self.__dict__.get("_sublayers_built"):
            return contextlib.nullcontext()
        if all(layer.built for layer in self._flatten_layers(include_self=False)):
            self._sublayers_built = True
            return contextlib.nullcontext()
        return name_scope(self.name, caller=self)

    # ----- rematerialization -------------------------------------------------------------------
    def rematerialized_call(self, layer_call, *args, **kwargs):
        """``layer_call`` rematerialized as the layer's ``RematScope`` (at creation) asks:
        ``"full"`` always, ``"larger_than"`` for outputs over the threshold, ``"activations"``
        only the activation function, ``"list_of_layers"`` when the layer is named."""
        mode = self._remat_mode
        if not mode:
            return layer_call
        if mode.mode == "full":
            return remat_lib.remat(layer_call)
        if mode.mode == "list_of_layers":
            return remat_lib.remat(layer_call) if self.name in mode.layer_names else layer_call
        if mode.mode == "activations":
            activation = getattr(self, "activation", None)
            if activation is None or not callable(activation):
                return layer_call

            def with_remat_activation(*a, **k):
                self.activation = remat_lib.remat(activation)
                try:
                    return layer_call(*a, **k)
                finally:
                    self.activation = activation

            return with_remat_activation
        if mode.mode == "larger_than":
            symbolic = tree.map_structure(
                lambda t: KerasTensor(t.shape, dtype=t.dtype) if isinstance(t, Tensor) else t,
                args)
            spec = self.compute_output_spec(*symbolic, **{
                k: v for k, v in kwargs.items() if k not in ("training", "mask")})
            size = sum(int(np.prod([d or 1 for d in t.shape])) for t in tree.flatten(spec)
                       if isinstance(t, KerasTensor))
            if size > mode.output_size_threshold:
                return remat_lib.remat(layer_call)
        return layer_call

    def _remat_state(self):
        """The seed states a rematerialized call must replay (this layer's and its
        sub-layers')."""
        return [sg.state for layer in self._flatten_layers() for sg in layer._seed_generators]

    def compute_mask(self, inputs, mask=None):
        """The padding mask of the outputs: the input mask when the layer supports masking
        (element-wise and per-step layers), else ``None``. Embedding/Masking make new masks."""
        return mask if self.supports_masking else None

    # ----- symbolic calls -----------------------------------------------------------------------
    def _symbolic_call(self, args, kwargs, spec):
        if len(args) > 1 and not self._allow_non_tensor_positional_args:
            layer_args.check_positional(args[1:])
        if self._call_context_args is not Layer._call_context_args:
            self._resolve_context_args(kwargs, spec)
        inputs = args[0]
        shapes = tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t,
                                    inputs)
        self._maybe_build(shapes, layer_args.shapes_by_name(spec, args, kwargs))
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        call_kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        with self._scope_for_sublayers():
            outputs = self.compute_output_spec(*args, **call_kwargs)
        if not self._called:
            self._called = True
        mask = kwargs.get("mask")
        if mask is None:
            mask = layer_args.input_mask(inputs)
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            try:
                out_mask = self.compute_mask(inputs, mask)
            except (TypeError, ValueError, AttributeError):
                out_mask = None  # a mask rule that needs concrete values: known when called
            layer_args.attach_mask(outputs, out_mask)
        Node(self, args, call_kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """The symbolic outputs for symbolic inputs: from ``compute_output_shape`` when the layer
        defines it, else by running ``call`` on small dummy values."""
        inputs = args[0]
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = tree.map_structure(lambda t: t.shape, inputs)
            out_shapes = self.compute_output_shape(shapes)
            dtype = self.compute_output_dtype(inputs)
            return tree.map_structure(lambda s: KerasTensor(s, dtype=dtype), out_shapes,
                                      is_leaf=layer_args.is_shape)

        return self._traced_output_spec(args, kwargs)

    def _traced_output_spec(self, args, kwargs):
        """The symbolic outputs found by running ``call`` on small dummy values."""

        def run(*a, **k):
            if call_context.call_spec(type(self)).has_training:
                k.setdefault("training", False)
            return self.call(*a, **k)

        run.__name__ = self.name
        return output_spec(run, args, kwargs)

    def compute_output_dtype(self, inputs):
        return self.dtype

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` = unknown size), by running the layer on
        small dummy inputs; layers override it when the answer is cheaper to state."""
        if type(self).call is Layer.call:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a "
                                      f"`compute_output_shape` method implemented.")
        symbolic = tree.map_structure(lambda s: KerasTensor(s, dtype=self.dtype), input_shape,
                                      is_leaf=layer_args.is_shape)
        out = self._traced_output_spec((symbolic,), {})
        return tree.map_structure(lambda t: t.shape, out)

    # ----- the functional graph around the layer ------------------------------------------------
    def _node_tensors(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no "
                                 f"defined {attr}.")
        node = self._inbound_nodes[0]
        if attr == "output":
            return node.outputs
        return node.call_args[0] if node.call_args else None

    @property
    def input(self):
        """The symbolic input of the layer's first call in a functional model."""
        return self._node_tensors("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call in a functional model."""
        return self._node_tensors("output")

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, self.output)

    # ----- config -------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments: ``cls.from_config(layer.get_config())`` rebuilds the layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return auto_config.merge_auto_config(self, config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _fresh(value, shape, dtype=None):
    return value


def _initial(init, shape, dtype):
    value = init(shape, dtype=dtype)
    return getattr(value, "data", value)


def _dtype_name(dtype):
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):  # a serialized Keras DTypePolicy
        dtype = (dtype.get("config") or {}).get("name", floatx())
    name = getattr(dtype, "name", dtype)
    if isinstance(name, str) and name.startswith("mixed_"):
        return "float32"  # mixed precision is out of scope: variables and math stay float32
    return standardize_dtype(name)


def _unique(items):
    seen, out = set(), []
    for w in items:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


