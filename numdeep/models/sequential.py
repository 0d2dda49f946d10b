"""``Sequential``: a plain stack of layers, built as a chain in the same graph ``Model`` uses."""

from numdeep.layers.input_layer import InputLayer
from numdeep.layers.layer import Layer
from numdeep.models.model import Model
from numdeep.ops.symbolic import KerasTensor


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
            raise TypeError(f"Sequential.add() expects a Layer; received {type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._seq or self._input_layer is not None:
                raise ValueError("An Input can only be the first entry of a Sequential model.")
            self._input_layer = layer
        else:
            self._seq.append(layer)
            self._layers = list(self._seq)
        self._graph = None
        self.built = False
        first = self._seq[0] if self._seq else None
        if self._input_layer is None and first is not None and first._batch_input_shape:
            self._input_layer = InputLayer(batch_shape=first._batch_input_shape,
                                           dtype=first.dtype)
        if self._input_layer is not None and self._seq:
            self._build_graph(self._input_layer.batch_shape)

    def pop(self):
        """Remove the last layer."""
        if not self._seq:
            raise ValueError("Sequential.pop(): there are no layers to remove.")
        layer = self._seq.pop()
        self._layers = list(self._seq)
        self._graph = None
        self.built = False
        if self._input_layer is not None and self._seq:
            self._build_graph(self._input_layer.batch_shape)
        return layer

    def _build_graph(self, batch_shape):
        if self._input_layer is None or self._input_layer.batch_shape != tuple(batch_shape):
            self._input_layer = InputLayer(batch_shape=batch_shape)
        x = inputs = self._input_layer.output
        for layer in self._seq:
            x = layer(x)
        self._init_graph(inputs, x)
        self._layers = list(self._seq)

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential model '{self.name}' needs an input shape to build: "
                                 f"pass input_shape= to the first layer or call build(shape).")
            input_shape = self._input_layer.batch_shape
        if not self._seq:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        self._build_graph((None, *tuple(input_shape)[1:]))

    def _maybe_build(self, input_shapes, shapes_by_name=None):
        if not self.built:
            self.build(input_shapes)

    @property
    def layers(self):
        return list(self._seq)

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
        if not self.built and not isinstance(inputs, KerasTensor):
            shape = getattr(inputs, "shape", None)
            if shape is None:
                import numpy as np

                shape = np.shape(inputs)
            self.build(tuple(shape))
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=False):
        if self._graph is None:
            raise ValueError(f"Sequential model '{self.name}' has no layers.")
        return self._graph.run(inputs, training=training)

    def get_config(self):
        """The Keras config: ``name``, ``trainable``, the ``layers`` list (``InputLayer`` first
        when the input shape is known) and ``build_input_shape``."""
        from numdeep.saving.serialization import model_get_config

        return model_get_config(self)
