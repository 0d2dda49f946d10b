"""``Sequential``: a plain stack of layers, built as a chain in the same graph ``Model`` uses."""

import inspect

import numpy as np

from numdeep.layers.input_layer import InputLayer
from numdeep.layers.layer import Layer
from numdeep.models.model import Functional, Model
from numdeep.ops.symbolic import KerasTensor, any_symbolic


class Sequential(Model):
    """A linear stack of layers: each layer's output is the next one's input.

    Give the first layer ``input_shape=`` (or start with ``Input(shape)``) to build the model
    immediately; otherwise it is built on the first batch of data it sees.

    Args:
        layers: list of layers (more can be appended with ``add``).
        name: model name.

    Example:
        >>> import numdeep as nd
        >>> model = nd.Sequential([
        ...     nd.layers.Flatten(input_shape=(8, 8)),
        ...     nd.layers.Dense(32, activation="relu"),
        ...     nd.layers.Dense(10, activation="softmax"),
        ... ])
        >>> model.output_shape
        (None, 10)
        >>> model.count_params()
        2410
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._seq = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or an ``Input`` tensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        if isinstance(layer, InputLayer):
            if self._seq or self._input_layer is not None:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._configured_shape()}. You cannot add a different Input layer "
                    f"to it.")
            self._input_layer = layer
            return
        if any(existing.name == layer.name for existing in self._seq):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model. Update the "
                f"`name` argument to pass a unique name.")
        self._seq.append(layer)
        self._layers = list(self._seq)
        self._reset_graph()
        first = self._seq[0]
        if self._input_layer is None:
            # A first layer's `input_shape=` (Keras 2 style), or a model's own inputs.
            shape = first._batch_input_shape
            if shape is None and getattr(first, "_graph", None) is not None:
                inputs = first._graph.input_tensors
                shape = inputs[0].shape if len(inputs) == 1 else None
            if shape is not None:
                self._input_layer = InputLayer(batch_shape=shape, dtype=first.dtype)
        if self._input_layer is not None:
            self.build(self._input_layer.batch_shape)

    def pop(self):
        """Remove the last layer."""
        if not self._seq:
            raise ValueError("Sequential.pop(): there are no layers to remove.")
        layer = self._seq.pop()
        self._layers = list(self._seq)
        self._reset_graph()
        if self._input_layer is not None and self._seq:
            self.build(self._input_layer.batch_shape)
        return layer

    def _lock_state(self):
        pass  # layers can still be added and popped after the model is built

    def _reset_graph(self):
        self._graph = None
        self.built = False

    def _configured_shape(self):
        return self._input_layer.batch_shape if self._input_layer is not None else None

    def build(self, input_shape=None):
        """Build the chain on symbolic inputs of ``input_shape``. A layer that cannot say its
        output shape, or a nested input (dict/list), leaves the model without a graph: it then
        runs its layers one after the other on the data it gets."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential model '{self.name}' needs an input shape to build: "
                                 f"pass input_shape= to the first layer or call build(shape).")
            input_shape = self._input_layer.batch_shape
        if not self._seq:
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no "
                             f"layers. Call `model.add(layer)`.")
        if not _is_shape(input_shape):
            self.built = True  # nested inputs: no graph, the layers run eagerly
            return
        shape = tuple(input_shape)
        if self._input_layer is not None and self._input_layer.batch_shape != shape and \
                tuple(self._input_layer.batch_shape[1:]) != shape[1:]:
            raise ValueError(
                f"Sequential model '{self.name}' has already been configured to use input "
                f"shape {self._input_layer.batch_shape}. You cannot build it with input_shape "
                f"{shape}")
        for layer in self._seq:
            _check_single_input(layer)
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None, *shape[1:]),
                                           dtype=self._seq[0].dtype)
        x = inputs = self._input_layer.output
        try:
            for layer in self._seq:
                x = layer(x)
        except NotImplementedError:
            # A layer without shape inference: run eagerly, as Keras does.
            self._graph, self.built = None, True
            return
        self._init_graph(inputs, x)
        self._layers = list(self._seq)

    def _maybe_build(self, input_shapes, shapes_by_name=None):
        if not self.built:
            self.build(input_shapes)

    @property
    def input_spec(self):
        """Set by hand or ``None``: as in Keras, a Sequential model checks no input shape of its
        own (its layers check theirs), so a chain of shape-agnostic layers (``Reshape((-1,
        8))``) takes inputs of other sizes than the one it was built with."""
        return self.__dict__.get("_manual_input_spec")

    @input_spec.setter
    def input_spec(self, value):
        self.__dict__["_manual_input_spec"] = value

    @property
    def _functional(self):
        """The chain as a ``Functional`` model over the same layers (``None`` without a graph:
        an unbuilt model, or one that runs its layers eagerly)."""
        if self._graph is None:
            return None
        return Functional(self._graph.inputs, self._graph.outputs, name=self.name)

    @property
    def layers(self):
        return list(self._seq)

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Sequential.layers` attribute is reserved and should not be used. "
                             "Use `add()` and `pop()` to change the layers in this model.")

    @property
    def inputs(self):
        if self._graph is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet: "
                                 f"build it (give the first layer `input_shape`, call it on "
                                 f"data, or call build(input_shape)).")
        return self._graph.input_tensors

    @property
    def outputs(self):
        if self._graph is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return self._graph.output_tensors

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (batch axis included), built or not."""
        shape = tuple(input_shape)
        for layer in self._seq:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        if self._graph is None:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._graph.outputs.shape

    def __call__(self, inputs, training=None, **kwargs):
        if not self._seq:
            raise ValueError(f"Sequential model '{self.name}' has no layers: add some with "
                             f"`model.add(layer)` before calling it.")
        if not self.built and not any_symbolic(inputs):
            with self._build_lock:  # the first calls from several threads build once
                if not self.built:
                    self.build(_data_shape(inputs))
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=False):
        if self._graph is not None:
            return self._graph.run(inputs, training=training)
        # No graph (nested inputs, or a layer without shape inference): one layer after another.
        for layer in self._seq:
            inputs = layer(inputs, training=training)
        return inputs

    def get_config(self):
        """The Keras config: ``name``, ``trainable``, the ``layers`` list (``InputLayer`` first
        when the input shape is known) and ``build_input_shape``."""
        from numdeep.saving.serialization import model_get_config

        return model_get_config(self)


def _is_shape(shape):
    return isinstance(shape, list | tuple) and all(
        d is None or isinstance(d, int | np.integer) for d in shape)


def _data_shape(inputs):
    """The shape of one array of data, or the nested structure (not a shape) otherwise."""
    shape = getattr(inputs, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(inputs, dict | list | tuple):
        return inputs
    return np.shape(inputs)


def _check_single_input(layer):
    """A layer in a Sequential model takes one input: name the layer that wants more."""
    params = [p for p in inspect.signature(layer.call).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in params if p.default is p.empty]
    if not params:
        raise ValueError(f"Layers added to a Sequential model should have a single positional "
                         f"argument, the input tensor. Layer {type(layer).__name__} has no "
                         f"positional arguments.")
    if len(required) > 1:
        raise ValueError(f"Layers added to a Sequential model can only have a single required "
                         f"positional argument, the input tensor. Layer "
                         f"{type(layer).__name__} has multiple required positional arguments: "
                         f"{required}")
