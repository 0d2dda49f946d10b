"""``Wrapper``: the base of layers that take another layer and augment it (``TimeDistributed``,
``Bidirectional``, user wrappers)."""

from numdeep import registry
from numdeep.layers.layer import Layer


class Wrapper(Layer):
    """Abstract base of wrappers: holds the wrapped ``layer`` (tracked, so its weights are the
    wrapper's), builds it on the wrapper's input shape, and saves it inside the config.

    Subclasses implement ``call`` (usually calling ``self.layer``).

    Args:
        layer: the layer to wrap.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> class Doubled(nd.layers.Wrapper):
        ...     def call(self, inputs):
        ...         return self.layer(inputs) * 2.0
        >>> layer = Doubled(nd.layers.Dense(2, kernel_initializer="ones"))
        >>> layer(np.ones((1, 3), dtype="float32")).data
        array([[6., 6.]], dtype=float32)
        >>> len(layer.weights)
        2
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                             f"Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)

    def get_config(self):
        config = super().get_config()
        config["layer"] = registry.kind("layer").serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = registry.kind("layer").deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)
