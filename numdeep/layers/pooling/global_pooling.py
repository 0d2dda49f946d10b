"""Global pooling: ``GlobalAveragePooling1D/2D/3D`` and ``GlobalMaxPooling1D/2D/3D`` reduce every
spatial axis (``keepdims=True`` keeps them with size 1). ``GlobalAveragePooling1D`` averages only
the unmasked steps when given a padding mask, as in Keras."""

from numdeep.autograd import data_of
from numdeep.backend import standardize_data_format, xp_of
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes with ``pool_mode`` (``'max'`` or ``'average'``)."""

    rank = 2
    pool_mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self, ndim):
        if ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects a "
                             f"{self.rank + 2}-D input; received a {ndim}-D input.")
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def call(self, inputs):
        reduce = ops.max if self.pool_mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes(inputs.ndim), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes(len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(input_shape))
        return tuple(n for i, n in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)`` -> ``(batch, channels)``.

    With a padding mask ``(batch, steps)`` (e.g. from ``Embedding(mask_zero=True)``, or passed
    as ``mask=``), only the unmasked steps are averaged, as in Keras; the mask ends here. A fully
    masked sample gives zeros (Keras: NaN).

    Call arguments:
        inputs: ``(batch, steps, features)`` (``(batch, features, steps)`` for
            ``'channels_first'``).
        mask: optional ``(batch, steps)`` booleans (or 0/1), True where a step is kept.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0], [3.0], [100.0]]], dtype="float32")
        >>> layer = nd.layers.GlobalAveragePooling1D()
        >>> layer(x).data, layer(x, mask=np.array([[True, True, False]])).data
        (array([[34.666668]], dtype=float32), array([[2.]], dtype=float32))
    """

    rank = 1

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = self._axes(inputs.ndim)
        keep = data_of(mask).astype(bool)
        keep = xp_of(keep).expand_dims(keep, -1 if self.data_format == "channels_last" else 1)
        count = keep.sum(axis=steps, keepdims=self.keepdims).astype(inputs.dtype)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=steps, keepdims=self.keepdims)
        return total / xp_of(count).maximum(count, 1)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.GlobalAveragePooling2D()(np.ones((2, 7, 7, 5), dtype="float32")).shape
        (2, 5)
    """

    rank = 2


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width of ``(batch, d, h, w, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GlobalAveragePooling3D(keepdims=True)
        >>> layer(np.ones((2, 3, 4, 5, 6), dtype="float32")).shape
        (2, 1, 1, 1, 6)
    """

    rank = 3


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over the steps of ``(batch, steps, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.array([[[1.0, 5.0], [3.0, 2.0]]], dtype="float32")
        >>> nd.layers.GlobalMaxPooling1D()(x).numpy()
        array([[3., 5.]], dtype=float32)
    """

    rank = 1
    pool_mode = "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    Ties split the gradient evenly (``numdeep.ops.max``), as TensorFlow's reduce_max does.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.GlobalMaxPooling2D()(np.ones((2, 7, 7, 5), dtype="float32")).shape
        (2, 5)
    """

    rank = 2
    pool_mode = "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over depth, height and width of ``(batch, d, h, w, channels)``.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.GlobalMaxPooling3D(data_format="channels_first")
        >>> layer(np.ones((2, 3, 4, 5, 6), dtype="float32")).shape
        (2, 3)
    """

    rank = 3
    pool_mode = "max"
