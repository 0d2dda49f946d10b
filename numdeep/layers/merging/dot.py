"""``Dot``: per-sample dot products of two tensors along chosen axes (Keras ``batch_dot``)."""

from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


class Dot(Layer):
    """Dot product of two tensors along ``axes``, per sample (Keras ``batch_dot``).

    For inputs of shapes ``(batch, n, d)`` and ``(batch, m, d)`` and ``axes=2`` the output is
    ``(batch, n, m)``; two ``(batch, d)`` inputs with ``axes=1`` give ``(batch, 1)``.

    Args:
        axes: an int (the same axis of both inputs) or a pair of ints.
        normalize: L2-normalize both inputs along ``axes`` first (the output is then the cosine
            similarity).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> a = np.array([[1.0, 2.0]], dtype="float32")
        >>> nd.layers.Dot(axes=1)([a, a]).numpy()
        array([[5.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = axes if isinstance(axes, list | tuple) else [axes]
        if len(pair) not in (1, 2) or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise ValueError(f"Dot `axes` must be an int or a list of two ints. "
                             f"Received: axes={axes!r}")
        self.axes = list(axes) if isinstance(axes, list | tuple) else axes
        self.normalize = bool(normalize)

    def _resolve(self, shapes):
        if not isinstance(shapes, list | tuple) or len(shapes) != 2 or not all(
                isinstance(s, tuple | list) for s in shapes):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Layer "
                             f"'{self.name}' received: input_shape={shapes}")
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        axes = []
        for a, shape in zip(pair, shapes):
            if len(shape) < 2 or not -len(shape) <= a < len(shape) or a % len(shape) == 0:
                raise ValueError(f"Dot layer '{self.name}': axis {a} is invalid for an input of "
                                 f"shape {format_shape(shape)} (the batch axis cannot be "
                                 f"contracted). Received input shapes "
                                 f"[{format_shape(list(shapes))}]")
            axes.append(a % len(shape))
        d1, d2 = shapes[0][axes[0]], shapes[1][axes[1]]
        b1, b2 = shapes[0][0], shapes[1][0]
        if (d1 is not None and d2 is not None and d1 != d2) or (
                b1 is not None and b2 is not None and b1 != b2):
            raise ValueError(f"Incompatible input shapes: axis values {d1} (at axis {axes[0]}) "
                             f"!= {d2} (at axis {axes[1]}), or different batch sizes. Dot layer "
                             f"'{self.name}' received input shapes [{format_shape(list(shapes))}]")
        return axes

    def build(self, input_shape):
        self._resolve(input_shape)

    def compute_output_shape(self, input_shape):
        a1, a2 = self._resolve(input_shape)
        s1 = [s for i, s in enumerate(input_shape[0]) if i != a1]
        s2 = [s for i, s in enumerate(input_shape[1]) if i not in (0, a2)]
        out = s1 + s2
        return tuple(out + [1] if len(out) == 1 else out)

    def call(self, inputs):
        a1, a2 = self._resolve([tuple(x.shape) for x in inputs])
        x, y = inputs
        if self.normalize:
            x = _l2_normalize(x, a1)
            y = _l2_normalize(y, a2)
        # x -> (batch, rest_x, d), y -> (batch, d, rest_y): one batched matmul.
        xt = ops.transpose(x, [0] + [i for i in range(1, x.ndim) if i != a1] + [a1])
        yt = ops.transpose(y, [0, a2] + [i for i in range(1, y.ndim) if i != a2])
        rest_x, rest_y = xt.shape[1:-1], yt.shape[2:]
        b, d = xt.shape[0], xt.shape[-1]
        out = ops.matmul(xt.reshape(b, -1, d), yt.reshape(b, d, -1))
        shape = (b, *rest_x, *rest_y)
        return out.reshape(shape if len(shape) > 1 else (b, 1))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def _l2_normalize(x, axis):
    sq = ops.sum(x * x, axis=axis, keepdims=True)
    return x * ops.power(ops.maximum(sq, 1e-24), -0.5)
