"""``SpectralNormalization``: a wrapper that keeps the spectral norm (largest singular value) of a
layer's kernel at one (Miyato et al., 2018), the GAN-discriminator stabilizer."""

from numdeep.autograd import no_grad
from numdeep.backend import xp_of
from numdeep.initializers import TruncatedNormal
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.wrapper import Wrapper


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its spectral norm in
    training.

    The norm ``sigma`` of the kernel seen as a matrix ``(-1, kernel.shape[-1])`` is estimated by
    ``power_iterations`` steps of the power method from a vector ``vector_u`` (a non-trainable
    weight that carries the estimate between steps). In training (``training=True``) the kernel
    is replaced in place by ``kernel / sigma`` before the wrapped layer runs, as Keras does; in
    inference the layer runs unchanged. An all-zero kernel is left as it is.

    Args:
        layer: a layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or ``embeddings``
            (``Embedding``) weight.
        power_iterations: power-method steps per training call (> 0).

    Call arguments:
        inputs: the wrapped layer's inputs.
        training: whether to normalize the kernel first.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.SpectralNormalization(
        ...     nd.layers.Dense(1, use_bias=False, kernel_initializer="ones"),
        ...     power_iterations=4)
        >>> x = np.ones((1, 4), dtype="float32")
        >>> float(layer(x).numpy()[0, 0]), float(layer(x, training=True).numpy()[0, 0])
        (4.0, 2.0)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        # Underscored: the wrapped layer owns the weight (no second owner to save it twice).
        if _has(self.layer, "kernel"):
            self._kernel = self.layer.kernel
        elif _has(self.layer, "embeddings"):
            self._kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             f"nor 'embeddings'")
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight((1, self.kernel_shape[-1]),
                                        TruncatedNormal(stddev=0.02), dtype=self.kernel.dtype,
                                        trainable=False, name="vector_u")

    @property
    def kernel(self):
        """The wrapped layer's kernel (or embeddings) Variable, once built."""
        return self._kernel

    def call(self, inputs, training=False):
        if training and self.kernel.data.any():
            with no_grad():
                u, kernel = self.normalized_weights()
                self.vector_u.assign(u)
                self.kernel.assign(kernel)
        return self.layer(inputs)

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)``: the power method's new vector and the normalized
        kernel (arrays)."""
        kernel = self.kernel.data
        xp = xp_of(kernel)
        w = kernel.reshape(-1, self.kernel_shape[-1])
        u = self.vector_u.data
        for _ in range(self.power_iterations):
            v = _l2_normalize(xp, u @ w.T)
            u = _l2_normalize(xp, v @ w)
        sigma = (v @ w @ u.T).reshape(())
        return u.astype(self.vector_u.dtype), (kernel / sigma).astype(kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config


def _has(layer, name):
    try:
        return getattr(layer, name) is not None
    except AttributeError:
        return False


def _l2_normalize(xp, a):
    """``a / max(||a||, 1e-7)`` over all elements (Keras's ``normalize(axis=None)``)."""
    return a * xp.minimum(1.0 / xp.sqrt((a * a).sum()), 1e7)
