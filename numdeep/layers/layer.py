"""The layer contract: ``__init__`` stores config, ``build`` makes weights, ``call`` computes."""

import re

import numpy as np

from numdeep import initializers, regularizers, tree
from numdeep.autograd import Tensor, no_grad
from numdeep.backend import floatx
from numdeep.layers.symbolic import KerasTensor, Node, any_symbolic

_NAME_COUNTS = {}


def clear_session():
    """Reset automatic layer naming (``dense``, ``dense_1``, ...), like Keras's clear_session."""
    _NAME_COUNTS.clear()


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.replace("2_d", "2d").replace("1_d", "1d").replace("3_d", "3d")


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... as Keras names layers."""
    n = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


class Layer:
    """Base class of all layers (Keras contract).

    Subclasses validate and store their configuration in ``__init__`` (no weights there),
    create weights in ``build(input_shape)`` with ``add_weight``, compute in
    ``call(inputs, training)``, and return their constructor arguments from ``get_config``.

    Args:
        name: layer name; unique automatic names (``dense``, ``dense_1``) when omitted.
        trainable: whether the weights are updated by training.
        dtype: the dtype of the weights (default ``floatx()``).
        input_shape: shape of one sample, accepted on the first layer of a ``Sequential``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> class Scale(nd.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones",
        ...                                  name="w")
        ...     def call(self, x, training=False):
        ...         return x * self.w
        >>> layer = Scale()
        >>> layer(np.ones((2, 3), dtype="float32")).shape
        (2, 3)
        >>> [w.name for w in layer.weights]
        ['w']
    """

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None,
                 batch_input_shape=None, batch_shape=None, input_dim=None, batch_size=None,
                 activity_regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}"
            )
        object.__setattr__(self, "_layers", [])
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype or floatx()
        self.built = False
        self.input_spec = None
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._weight_regularizers = []
        self._activity_losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._inbound_nodes = []
        self._build_shapes = None
        self._checked_shapes = None
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None and input_shape is not None:
            batch_shape = (batch_size, *tuple(input_shape))
        if batch_shape is None and input_dim is not None:
            batch_shape = (batch_size, input_dim)
        self._batch_input_shape = tuple(batch_shape) if batch_shape is not None else None

    # ----- sub-layer tracking ------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, Layer) and name != "_outbound":
            layers = self.__dict__.get("_layers")
            if layers is not None and not any(v is value for v in layers):
                layers.append(value)
        super().__setattr__(name, value)

    # ----- weights -----------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        # Frozen weights record no gradient: backprop still flows *through* the layer.
        for w in self._trainable_weights:
            w.requires_grad = self._trainable
        for layer in self._layers:
            layer.trainable = value

    def add_weight(self, shape, initializer="glorot_uniform", dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None):
        """Create, track and return a weight ``Tensor`` of ``shape`` (call from ``build``)."""
        init = initializers.get(initializer)
        dtype = dtype or self.dtype
        value = np.asarray(init(tuple(shape), dtype=dtype), dtype=dtype)
        w = Tensor(value, requires_grad=trainable and self._trainable,
                   name=name or f"variable_{self._n_weights()}")
        w.trainable = trainable
        (self._trainable_weights if trainable else self._non_trainable_weights).append(w)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._weight_regularizers.append((w, reg))
        return w

    def _n_weights(self):
        return len(self._trainable_weights) + len(self._non_trainable_weights)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out = list(self._trainable_weights)
        for layer in self._layers:
            out += layer.trainable_weights
        return _unique(out)

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        out = list(self._non_trainable_weights)
        for layer in self._layers:
            out += layer.non_trainable_weights
        return _unique(out)

    @property
    def weights(self):
        """All weights: own trainable, own non-trainable, then each sub-layer's (Keras order)."""
        out = self._trainable_weights + self._non_trainable_weights
        for layer in self._layers:
            out = out + layer.weights
        return _unique(out)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

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
            p.data[...] = np.asarray(w, dtype=p.dtype)

    def count_params(self):
        """Total number of scalars in all weights."""
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self):
        """Regularization penalties (weight regularizers now, activity from the last call)."""
        out = [reg(w) for w, reg in self._weight_regularizers] + list(self._activity_losses)
        for layer in self._layers:
            out += layer.losses
        return out

    # ----- building and calling ----------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch dimension included)."""
        self.built = True

    def call(self, inputs, training=False):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def _maybe_build(self, input_shapes):
        if not self.built:
            self._build_shapes = input_shapes
            self.build(input_shapes)
            self.built = True

    def __call__(self, inputs, training=None, **kwargs):
        if type(inputs) is Tensor:  # the hot path inside fit: skip structure handling
            shapes = inputs.data.shape
        elif any_symbolic(inputs):
            return self._call_symbolic(inputs, training=training, **kwargs)
        else:
            inputs = tree.map_structure(_as_tensor, inputs)
            shapes = tree.map_structure(lambda t: t.shape, inputs)
        if not self.built:
            self._maybe_build(shapes)
        if self.input_spec is not None and shapes != self._checked_shapes:
            self.input_spec.check(self, shapes)
            self._checked_shapes = shapes
        mask = kwargs.pop("mask") if "mask" in kwargs else _input_mask(inputs)
        if mask is not None and _accepts_mask(type(self)):
            kwargs["mask"] = mask
        outputs = self.call(inputs, training=bool(training), **kwargs)
        if self.activity_regularizer is not None:
            self._activity_losses = [
                self.activity_regularizer(o) * (1.0 / o.shape[0]) for o in _flatten(outputs)
            ]
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            _attach_mask(outputs, self.compute_mask(inputs, mask))
        return outputs

    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The padding mask of the outputs: the input mask when the layer supports masking
        (element-wise and per-step layers), else ``None``. Embedding/Masking make new masks."""
        return mask if self.supports_masking else None

    def _call_symbolic(self, inputs, training=None, **kwargs):
        shapes = tree.map_structure(lambda t: t.shape, inputs)
        self._maybe_build(shapes)
        if self.input_spec is not None:
            self.input_spec.check(self, shapes)
        out_shapes = self.compute_output_shape(shapes)
        dtype = self.compute_output_dtype(inputs)
        outputs = tree.map_structure(lambda s: KerasTensor(s, dtype=dtype), out_shapes,
                                is_leaf=lambda s: isinstance(s, tuple))
        Node(self, inputs, outputs, kwargs)
        return outputs

    def compute_output_dtype(self, inputs):
        return self.dtype

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` = unknown size), by running the layer on
        small dummy inputs; layers override it when the answer is cheaper to state."""
        probes = [_probe(self, input_shape, fill) for fill in (2, 3)]
        return tree.map_structure(_merge_probe_shapes, *probes,
                                  is_leaf=lambda s: isinstance(s, tuple))

    # ----- config ------------------------------------------------------------------------
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


_MASK_ARG = {}


def _accepts_mask(cls):
    if cls not in _MASK_ARG:
        code = cls.call.__code__
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        _MASK_ARG[cls] = "mask" in names
    return _MASK_ARG[cls]


def _input_mask(inputs):
    if type(inputs) is Tensor:
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
    elif isinstance(outputs, Tensor):
        outputs._keras_mask = mask


def _unique(weights):
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _flatten(x):
    if isinstance(x, list | tuple):
        return [t for item in x for t in _flatten(item)]
    return [x]


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        arr = arr.astype(floatx())
    return Tensor(arr)


def _probe(layer, input_shape, fill):
    def dummy(shape):
        size = [1 if i == 0 and s is None else (fill if s is None else s)
                for i, s in enumerate(shape)]
        return Tensor(np.zeros(size, dtype=layer.dtype))

    is_shape = lambda s: isinstance(s, tuple)  # noqa: E731
    with no_grad():
        out = layer.call(tree.map_structure(dummy, input_shape, is_leaf=is_shape), training=False)
    return tree.map_structure(lambda t: tuple(t.shape), out)


def _merge_probe_shapes(a, b):
    # The batch axis stays unknown; axes whose size followed the dummy size are unknown too.
    return (None,) + tuple(x if x == y else None for x, y in zip(a[1:], b[1:]))
