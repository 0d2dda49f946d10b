"""``BatchNormalization``: batch statistics in training (one fused primitive, masks honoured),
moving averages in inference, batch renormalization, Keras's arguments and weight order (gamma,
beta, moving_mean, moving_variance[, moving_stddev, renorm_mean, renorm_stddev])."""

from numdeep import constraints, initializers, regularizers
from numdeep.autograd import data_of, no_grad
from numdeep.autograd.primitives.normalization import BatchNorm
from numdeep.backend import xp_of
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer

_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


class BatchNormalization(Layer):
    """Normalizes each channel to zero mean and unit variance, then scales and shifts it.

    In training (``training=True`` and a trainable layer) it uses the batch's mean and (biased)
    variance over every axis but ``axis`` and updates the moving averages in place:
    ``moving = moving * momentum + batch_stat * (1 - momentum)``. With a mask (one dimension
    less than the inputs, e.g. the padding mask of a sequence), only the unmasked positions make
    the batch statistics, as in Keras. At inference it uses the moving averages. As in Keras, a
    layer with ``trainable=False`` always runs in inference mode.

    Weights, in Keras's order: ``gamma`` and ``beta`` (trainable, present when ``scale`` /
    ``center``), then ``moving_mean`` and ``moving_variance`` (non-trainable, saved with the
    model like any weight); with ``renorm`` also ``moving_stddev``, ``renorm_mean`` and
    ``renorm_stddev``.

    Args:
        axis: the feature axis (or list of axes), default ``-1`` (channels-last); use ``1`` after
            ``channels_first`` convolutions.
        momentum: moving-average momentum (Keras 0.99 = PyTorch ``momentum=0.01``).
        epsilon: added to the variance (Keras 1e-3; PyTorch uses 1e-5).
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers (zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer: optional penalties.
        beta_constraint, gamma_constraint: optional projections after each update.
        renorm: batch renormalization (Ioffe, 2017): in training the normalized batch is
            corrected by ``r = std / renorm_std`` and ``d = (mean - renorm_mean) / renorm_std``
            (no gradient through them), so training sees the moving statistics' scale.
        renorm_clipping: optional dict with ``rmax``, ``rmin``, ``dmax`` bounding ``r`` and
            ``d``.
        renorm_momentum: momentum of ``renorm_mean`` / ``renorm_stddev``.
        synchronized: only ``False`` (one device).

    Call arguments:
        inputs: tensor of any rank >= 2.
        training: whether to use (and update with) the batch statistics.
        mask: optional booleans of the inputs' shape without the last axis.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> bn = nd.layers.BatchNormalization()
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype="float32")
        >>> bn(x, training=True).data.round(2)
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> [w.name for w in bn.weights]
        ['gamma', 'beta', 'moving_mean', 'moving_variance']
        >>> bn.moving_mean.data.round(4)  # 0.99 * 0 + 0.01 * batch mean
        array([0.02, 0.2 ], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        owner = f"BatchNormalization layer '{self.name}'"
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow "
                             "backend.")
        self.axis = axis if isinstance(axis, int) else tuple(int(a) for a in axis)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{owner}: `momentum` must be in [0, 1]. Received: {momentum}")
        if epsilon <= 0:
            raise ValueError(f"{owner}: `epsilon` must be positive. Received: {epsilon}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = bool(renorm)
        if self.renorm:
            _check_clipping(renorm_clipping or {})
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.synchronized = False
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def _axes(self, ndim):
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        if any(not -ndim <= a < ndim for a in axes) or any(a % ndim == 0 for a in axes):
            raise ValueError(f"BatchNormalization layer '{self.name}': invalid axis "
                             f"{self.axis} for a {ndim}-D input (the batch axis 0 cannot be "
                             f"a feature axis).")
        return tuple(sorted(a % ndim for a in axes))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"BatchNormalization layer '{self.name}' needs known sizes on axis "
                             f"{self.axis}; received input shape {tuple(input_shape)}.")
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        if self.renorm:
            # Both standard deviations start at the square root of the variance initializer.
            std = xp_of(self.moving_variance.data).sqrt(self.moving_variance.data)
            self.moving_stddev = self.add_weight(shape, "ones", trainable=False,
                                                 name="moving_stddev")
            self.renorm_mean = self.add_weight(shape, self.moving_mean_initializer,
                                               trainable=False, name="renorm_mean")
            self.renorm_stddev = self.add_weight(shape, "ones", trainable=False,
                                                 name="renorm_stddev")
            self.moving_stddev.assign(std)
            self.renorm_stddev.assign(std)
        self._kept = axes
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: n for a, n in zip(axes, shape)})

    def call(self, inputs, training=False, mask=None):
        if mask is not None and len(mask.shape) != inputs.ndim - 1:
            raise ValueError(f"The mask provided should be one dimension less than the inputs. "
                             f"Received: mask.shape={tuple(mask.shape)}, "
                             f"inputs.shape={tuple(inputs.shape)}")
        if inputs.dtype != self.dtype:
            inputs = inputs.astype(self.dtype)
        if not (training and self.trainable):
            return self._inference(inputs)
        keep = None
        if mask is not None:
            keep = data_of(mask)
            keep = keep.reshape(keep.shape + (1,)).astype(inputs.dtype)
        if self.renorm:
            return self._renorm_call(inputs, keep)
        return BatchNorm.apply(inputs, self.gamma, self.beta, axis=self._kept,
                               epsilon=self.epsilon, momentum=self.momentum,
                               moving_mean=self.moving_mean.data,
                               moving_variance=self.moving_variance.data, mask=keep)

    def _stat_shape(self, ndim):
        shape = [1] * ndim
        for a, n in zip(self._kept, self.moving_mean.shape):
            shape[a] = n
        return tuple(shape)

    def _inference(self, inputs):
        shape = self._stat_shape(inputs.ndim)
        # Inference is an affine map per channel: fold the statistics into one scale and shift.
        # Through the primitives (not raw arrays) so that an inference plan can trace it.
        inv = (self.moving_variance + self.epsilon) ** -0.5
        scale = inv if self.gamma is None else self.gamma * inv
        shift = -self.moving_mean * scale
        if self.beta is not None:
            shift = shift + self.beta
        return inputs * scale.reshape(shape) + shift.reshape(shape)

    def _renorm_call(self, inputs, keep):
        x = data_of(inputs)
        xp = xp_of(x)
        axes = tuple(a for a in range(x.ndim) if a not in self._kept)
        w = xp.ones_like(x) if keep is None else xp.broadcast_to(keep, x.shape)
        count = xp.maximum(w.sum(axis=axes), 1)
        mean = (x * w).sum(axis=axes) / count
        var = (w * (x - mean.reshape(self._stat_shape(x.ndim))) ** 2).sum(axis=axes) / count
        std = xp.sqrt(var + self.epsilon)
        renorm_std = xp.maximum(self.renorm_stddev.data, xp.sqrt(self.epsilon))
        r = std / renorm_std
        d = (mean - self.renorm_mean.data) / renorm_std
        clip = self.renorm_clipping or {}
        if clip.get("rmin") is not None:
            r = xp.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = xp.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = xp.clip(d, -clip["dmax"], clip["dmax"])
        r, d = r.astype(x.dtype), d.astype(x.dtype)
        # NOTE: r and d are constants (Keras's stop_gradient); the gradient reaches gamma and
        # beta through the composed scale and offset.
        gamma = r if self.gamma is None else self.gamma * r
        beta = d if self.gamma is None else self.gamma * d
        if self.beta is not None:
            beta = beta + self.beta
        y = BatchNorm.apply(inputs, gamma, beta, axis=self._kept, epsilon=self.epsilon,
                            mask=keep)
        self._update_renorm(mean, std)
        return y

    def _update_renorm(self, mean, std):
        with no_grad():
            rm, m = self.renorm_momentum, self.momentum
            self.renorm_mean.assign(self.renorm_mean.data * rm + mean * (1 - rm))
            self.renorm_stddev.assign(self.renorm_stddev.data * rm + std * (1 - rm))
            self.moving_mean.assign(self.moving_mean.data * m + mean * (1 - m))
            moving_std = self.moving_stddev.data * m + std * (1 - m)
            self.moving_stddev.assign(moving_std)
            xp = xp_of(moving_std)
            self.moving_variance.assign(xp.maximum(moving_std * moving_std - self.epsilon, 0))

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis if isinstance(self.axis, int) else list(self.axis),
            momentum=self.momentum, epsilon=self.epsilon, center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
            synchronized=self.synchronized, renorm=self.renorm,
            renorm_clipping=self.renorm_clipping, renorm_momentum=self.renorm_momentum,
        )
        return config


def _check_clipping(clipping):
    unknown = set(clipping) - set(_CLIPPING_KEYS)
    if unknown:
        raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {clipping}. "
                         f"Supported values: {list(_CLIPPING_KEYS)}.")
    rmax, rmin, dmax = (clipping.get(k) for k in _CLIPPING_KEYS)
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(f"rmax should be greater than rmin in the `renorm_clipping` argument. "
                         f"Received: rmax={rmax}, rmin={rmin}.")
    if dmax is not None and dmax < 0:
        raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. "
                         f"Received: dmax={dmax}.")
