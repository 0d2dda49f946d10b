"""``Pipeline``: layers applied one after another, as one plain layer (Keras's preprocessing
chain, e.g. an image augmentation pipeline)."""

from numdeep import registry
from numdeep.layers.layer import Layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Applies ``layers`` in order. Unlike ``Sequential`` it is not a ``Model``: no ``fit``, no
    input standardization, and ``training`` defaults to True (augmentations run when it is
    called directly).

    Args:
        layers: the layers, first applied first.
        name: the layer's name.

    Call arguments:
        inputs: what the first layer takes (images, or a dict of images, labels, boxes...).
        training: passed to each layer whose ``call`` takes it.
        mask: passed to the first layer that takes a mask; each layer's output mask is passed
            to the next.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> pipeline = nd.layers.Pipeline([nd.layers.Rescaling(1 / 255),
        ...                                nd.layers.CenterCrop(1, 2)])
        >>> pipeline(np.full((1, 3, 3, 1), 51.0, "float32")).data.ravel()
        array([0.2, 0.2], dtype=float32)
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, list | tuple) or not all(isinstance(la, Layer)
                                                           for la in layers):
            raise ValueError(f"Pipeline '{self.name}': `layers` must be a list of layers. "
                             f"Received: layers={layers!r}")
        self._pipeline_layers = list(layers)
        self._allow_non_tensor_positional_args = True

    @property
    def layers(self):
        """The layers, in the order they are applied."""
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {"mask": mask}
            if training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            mask = getattr(outputs, "_keras_mask", None)
            inputs = outputs
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        kind = registry.kind("layer")
        return {"layers": [kind.serialize(la) for la in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers}.")
        kind = registry.kind("layer")
        config = {**config, "layers": [kind.deserialize(la, custom_objects) for la in layers]}
        return cls(**config)
