"""Layers on the residual branch of a block: ``LayerScale`` (a learned per-channel scale,
Touvron et al., 2021) and ``StochasticDepth`` (drop the whole branch for some samples during
training, Huang et al., 2016). Keras defines both in ``keras.applications.convnext``; their
configs and weights follow Keras's."""

import numpy as np

from numdeep import initializers, random, registry
from numdeep.layers.layer import Layer

__all__ = ["LayerScale", "StochasticDepth"]


class LayerScale(Layer):
    """Multiplies the last axis of its input by a learned vector ``gamma`` initialized to
    ``init_values`` (small, so a new residual branch starts close to the identity map).

    Args:
        init_values: the initial value of every entry of ``gamma``.
        projection_dim: the size of the last axis (the length of ``gamma``).

    Call arguments:
        x: a tensor whose last axis has ``projection_dim`` entries.

    Example:
        >>> import numpy as np
        >>> layer = LayerScale(0.5, 3)
        >>> layer(np.ones((2, 3), "float32")).data
        array([[0.5, 0.5, 0.5],
               [0.5, 0.5, 0.5]], dtype=float32)
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.projection_dim:
            raise ValueError(f"LayerScale '{self.name}' has projection_dim="
                             f"{self.projection_dim} but received an input of shape "
                             f"{tuple(input_shape)} (its last axis must match).")
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values),
                                     trainable=True)

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config


class StochasticDepth(Layer):
    """During training, zeroes the whole input of a sample with probability
    ``drop_path_rate`` and scales the kept samples by ``1 / (1 - drop_path_rate)``; the
    identity at inference. Placed on a residual branch, it drops the block for that sample.

    Args:
        drop_path_rate: the probability of dropping a sample, in ``[0, 1)``.
        seed: seed of the layer's ``SeedGenerator`` (reproducible masks).

    Call arguments:
        x: a tensor whose first axis is the batch.
        training: whether to drop.

    Example:
        >>> import numpy as np
        >>> layer = StochasticDepth(0.5, seed=0)
        >>> x = np.ones((4, 2), "float32")
        >>> bool((layer(x).data == x).all())
        True
        >>> sorted(set(layer(x, training=True).data.ravel().tolist())) in (
        ...     [0.0, 2.0], [0.0], [2.0])
        True
    """

    def __init__(self, drop_path_rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"StochasticDepth `drop_path_rate` must be in [0, 1). Received: "
                             f"drop_path_rate={drop_path_rate}")
        self.drop_path_rate = drop_path_rate
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.drop_path_rate == 0:
            return x
        keep_prob = 1.0 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (len(x.shape) - 1)
        draws = random.uniform(shape, seed=self.seed_generator).data
        # floor(keep_prob + U[0, 1)) is 1 with probability keep_prob: one mask per sample.
        mask = np.floor(keep_prob + draws).astype(x.dtype) / np.asarray(keep_prob, x.dtype)
        return x * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(drop_path_rate=self.drop_path_rate)
        if self.seed is not None:
            config.update(seed=self.seed)
        return config


# Keras's configs name them without a package (they live in keras.applications.convnext).
registry.kind("layer").register(LayerScale)
registry.kind("layer").register(StochasticDepth)
