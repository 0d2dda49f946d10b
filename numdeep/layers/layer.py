"""The layer contract: ``__init__`` stores config, ``build`` makes weights, ``call`` computes."""

import functools
import inspect
import re
import threading

import numpy as np

from numdeep import constraints, initializers, regularizers, tree
from numdeep.autograd import Tensor, Variable, no_grad
from numdeep.backend import clear_session as clear_session
from numdeep.backend import floatx, name_scope, standardize_dtype, unique_name
from numdeep.layers import call_context
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
        with name_scope(self.name, caller=self):
            build(self, *args, **kwargs)
        if self._build_shapes is None:
            self._build_shapes = _shapes_of_build_args(build, args, kwargs)
        self.built = True

    wrapped._numdeep_build = True
    return wrapped


def _shapes_of_build_args(build, args, kwargs):
    if kwargs and not args:
        names = [p for p in inspect.signature(build).parameters if p != "self"]
        if len(kwargs) == 1:
            return _as_shape(next(iter(kwargs.values())))
        return {k: _as_shape(v) for k, v in kwargs.items() if k in names}
    return _as_shape(args[0]) if args else None


def _as_shape(shape):
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and all(
            isinstance(s, list | tuple | dict | type(None)) for s in shape) and any(
            isinstance(s, list | tuple | dict) for s in shape):
        return [_as_shape(s) for s in shape]
    return None if shape is None else tuple(shape)


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
        >>> layer = Scale()
        >>> layer(np.ones((2, 3), dtype="float32")).shape
        (2, 3)
        >>> [w.path for w in layer.weights]
        ['scale/w']
    """

    supports_masking = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_numdeep_build", False):
            cls.build = _build_wrapper(build)

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 batch_input_shape=None, batch_shape=None, input_dim=None, batch_size=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        kwargs.pop("weights", None)  # Keras 2's initial weights: set them with set_weights
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}"
            )
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_tracking", True)
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _dtype_name(dtype)
        self.autocast = autocast
        self.input_spec = None
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._seed_generators = []
        self._metrics = []
        self._losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._inbound_nodes = []
        self._build_shapes = None
        self._checked_shapes = None
        self._build_lock = threading.Lock()
        # A layer without its own build has no state to create: it is built from the start.
        self.built = type(self).build is Layer.build
        if type(self).compute_mask is not Layer.compute_mask and not self.supports_masking:
            self.supports_masking = True
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None and input_shape is not None:
            batch_shape = (batch_size, *tuple(input_shape))
        if batch_shape is None and input_dim is not None:
            batch_shape = (batch_size, input_dim)
        self._batch_input_shape = tuple(batch_shape) if batch_shape is not None else None

    # ----- tracking ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if self.__dict__.get("_tracking") and not name.startswith("_"):
            self._track(value)
        super().__setattr__(name, value)

    def _track(self, value):
        from numdeep.random import SeedGenerator  # a floor below, imported late to stay light

        if isinstance(value, Layer):
            if not any(v is value for v in self._layers):
                self._layers.append(value)
        elif isinstance(value, Variable):
            owned = self._trainable_weights + self._non_trainable_weights
            if not any(v is value for v in owned):
                (self._trainable_weights if value.trainable else
                 self._non_trainable_weights).append(value)
        elif isinstance(value, SeedGenerator):
            if not any(v is value for v in self._seed_generators):
                self._seed_generators.append(value)
        elif hasattr(value, "update_state") and hasattr(value, "reset_state"):
            if not any(v is value for v in self._metrics):
                self._metrics.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                self._track(item)
        elif isinstance(value, dict):
            for item in value.values():
                self._track(item)

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

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
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
        dtype = standardize_dtype(dtype or self.dtype)
        shape = () if shape is None else tuple(shape)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._trainable_weights + self._non_trainable_weights)}"
        with name_scope(self.name, caller=self), no_grad():
            value = np.asarray(_initial(init, shape, dtype), dtype=dtype)
            variable = Variable(value, trainable=trainable, name=name, autocast=autocast,
                                aggregation=aggregation)
        variable.trainable = trainable and self._trainable
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.overwrite_with_gradient = overwrite_with_gradient
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

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
        """Weights plus the state of seed generators and metrics the layer owns."""
        out = self._trainable_weights + self._non_trainable_weights
        out = out + [m_var for m in self._metrics for m_var in getattr(m, "variables", [])]
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
        out += [w.regularizer(w) for w in self._trainable_weights + self._non_trainable_weights
                if getattr(w, "regularizer", None) is not None]
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
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

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
            self.build(**{k: _as_shape(v) for k, v in config["shapes_dict"].items()})
        elif config.get("input_shape") is not None:
            self.build(_as_shape(config["input_shape"]))

    def _maybe_build(self, shapes, shapes_by_name=None):
        if self.built:
            return
        with self._build_lock:  # several threads may call an unbuilt layer at once
            if self.built:
                return
            self._build_shapes = shapes
            if shapes_by_name and len(shapes_by_name) > 1:
                params = [p for p in inspect.signature(self.build).parameters.values()
                          if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
                if len(params) > 1:
                    accepted = {k: v for k, v in shapes_by_name.items()
                                if any(p.name == k for p in params)}
                    self._build_shapes = accepted
                    self.build(**accepted)
                    self.built = True
                    return
            self.build(shapes)
            self.built = True

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
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None) if kwargs else None
        inputs = args[0]
        if type(inputs) is Tensor or isinstance(inputs, Tensor):
            shapes = inputs.data.shape
        else:
            inputs = tree.map_structure(_as_tensor, inputs)
            shapes = tree.map_structure(lambda t: t.shape, inputs)
        if len(args) > 1:
            args = (inputs,) + tuple(_convert_arrays(a) for a in args[1:])
        else:
            args = (inputs,)
        if kwargs:
            kwargs = {k: v if k.endswith("_mask") else _convert_arrays(v)
                      for k, v in kwargs.items()}
        if not self.built:
            self._maybe_build(shapes, _shapes_by_name(spec, args, kwargs))
        if self.input_spec is not None and shapes != self._checked_shapes:
            self.input_spec.check(self, shapes)
            self._checked_shapes = shapes
        if training is None:
            training = call_context.current_training()
            if training is None:
                training = spec.training_default
        if spec.has_training:
            kwargs["training"] = training
        if mask is None and (spec.has_mask or self.supports_masking):
            mask = _input_mask(inputs)
        if spec.has_mask and mask is not None:
            kwargs["mask"] = mask
        if self._losses:
            self._losses = []  # losses describe the latest call
        if self._layers:
            # Sub-layers called without `training=` inherit this call's mode.
            with call_context.CallContext(self, training):
                outputs = self.call(*args, **kwargs)
        else:
            outputs = self.call(*args, **kwargs)
        if self.activity_regularizer is not None:
            for o in tree.flatten(outputs):
                self.add_loss(self.activity_regularizer(o) * (1.0 / o.shape[0]))
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            _attach_mask(outputs, self.compute_mask(inputs, mask))
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The padding mask of the outputs: the input mask when the layer supports masking
        (element-wise and per-step layers), else ``None``. Embedding/Masking make new masks."""
        return mask if self.supports_masking else None

    # ----- symbolic calls -----------------------------------------------------------------------
    def _symbolic_call(self, args, kwargs, spec):
        inputs = args[0]
        shapes = tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t,
                                    inputs)
        self._maybe_build(shapes, _shapes_by_name(spec, args, kwargs))
        if self.input_spec is not None:
            self.input_spec.check(self, shapes)
        call_kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        outputs = self.compute_output_spec(*args, **call_kwargs)
        mask = kwargs.get("mask")
        if mask is None:
            mask = _input_mask(inputs)
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            try:
                out_mask = self.compute_mask(inputs, mask)
            except (TypeError, ValueError, AttributeError):
                out_mask = None  # a mask rule that needs concrete values: known when called
            _attach_mask(outputs, out_mask)
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
                                      is_leaf=_is_shape)

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
        symbolic = tree.map_structure(lambda s: KerasTensor(s, dtype=self.dtype), input_shape,
                                      is_leaf=_is_shape)
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
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


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


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _shapes_by_name(spec, args, kwargs):
    """``{'<arg>_shape': shape}`` for every tensor argument (how Keras builds multi-input
    layers such as ``MultiHeadAttention.build(query_shape, value_shape)``)."""
    names = spec.bind_names(len(args), kwargs)
    values = list(args) + list(kwargs.values())
    out = {}
    for name, value in zip(names, values):
        if isinstance(value, Tensor | KerasTensor) and name != "mask" and \
                not name.endswith("_mask"):
            out[f"{name}_shape"] = tuple(value.shape)
    return out


def _input_mask(inputs):
    if isinstance(inputs, Tensor | KerasTensor):
        return inputs._keras_mask
    if isinstance(inputs, list | tuple):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return None if all(m is None for m in masks) else masks
    return None


def _attach_mask(outputs, mask):
    if mask is None:
        return
    if isinstance(outputs, list | tuple):
        masks = mask if isinstance(mask, list | tuple) else [mask] * len(outputs)
        for o, m in zip(outputs, masks):
            _attach_mask(o, m)
    elif isinstance(outputs, Tensor | KerasTensor):
        outputs._keras_mask = mask


def _unique(items):
    seen, out = set(), []
    for w in items:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _as_tensor(x):
    if isinstance(x, Tensor) or x is None:
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(floatx())
    return Tensor(arr)


def _convert_arrays(value):
    """NumPy arrays among a call's other arguments become Tensors (masks stay arrays)."""
    if isinstance(value, np.ndarray) and value.dtype != bool:
        return _as_tensor(value)
    if isinstance(value, list | tuple) and any(isinstance(v, np.ndarray) for v in value):
        return type(value)(_convert_arrays(v) for v in value)
    return value
