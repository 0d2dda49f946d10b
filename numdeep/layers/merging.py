"""Merge layers: combine a list of tensors (residual ``Add``, ``Concatenate``, ``Dot``, ...).

Elementwise merges follow Keras's broadcasting rule: the per-sample shapes (batch axis excluded)
are aligned on the right and sizes must match or be 1; an input of lower rank gets size-1 axes
inserted after the batch axis. Incompatible shapes raise a ``ValueError`` naming the layer and
every input shape. Padding masks are merged as Keras does: the elementwise merges OR the masks
(none when any input has none), ``Maximum``/``Minimum`` also leave masked entries out of the
comparison, and ``Concatenate`` concatenates the masks.
"""

from numdeep.backend import xp_of
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.ops import eager as ops


def _shapes_text(shapes):
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


class _Merge(Layer):
    """Base of the elementwise merges: validation, broadcasting, masks."""

    supports_masking = True
    min_inputs, max_inputs = 1, None

    def _check_list(self, input_shape):
        ok = isinstance(input_shape, list | tuple) and input_shape and all(
            isinstance(s, tuple | list) for s in input_shape)
        n = len(input_shape) if ok else 0
        if not ok or n < self.min_inputs or (self.max_inputs and n > self.max_inputs):
            count = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                     else f"at least {self.min_inputs}")
            raise ValueError(
                f"A `{type(self).__name__}` layer ('{self.name}') should be called on a list of "
                f"{count} input(s). Received: input_shape={input_shape}"
            )

    def build(self, input_shape):
        self._check_list(input_shape)
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        batch = {s[0] for s in input_shape if s[0] is not None}
        if len(batch) > 1:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' cannot merge tensors with different "
                f"batch sizes. Received input shapes {_shapes_text(input_shape)}"
            )
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = self._broadcast(out, tuple(shape[1:]), input_shape)
        return (batch.pop() if batch else None, *out)

    def _broadcast(self, a, b, all_shapes):
        if len(a) < len(b):
            a, b = b, a
        # A lower-rank input gets its new axes right after the batch axis (as in Keras), so the
        # per-sample shapes align on the right, as in NumPy broadcasting.
        b = (1,) * (len(a) - len(b)) + b
        out = []
        for i, j in zip(a, b):
            if i is None or j is None:
                out.append(j if i == 1 else i if j == 1 else None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f"{type(self).__name__} layer '{self.name}': inputs have incompatible "
                    f"shapes. Received input shapes {_shapes_text(all_shapes)}"
                )
        return tuple(out)

    def call(self, inputs, training=False):
        if not isinstance(inputs, list | tuple):
            raise ValueError(f"A `{type(self).__name__}` layer ('{self.name}') should be called "
                             f"on a list of inputs. Received: {type(inputs).__name__}")
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        ndim = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == ndim else x.reshape(x.shape[:1] + (1,) * (ndim - x.ndim)
                                                      + x.shape[1:])
                  for x in inputs]
        return self._merge(inputs)

    def _merge(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, list | tuple):
            return None
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = out | m
        return out


class Add(_Merge):
    """Adds a list of tensors elementwise (the residual connection ``x + f(x)``).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> x = np.ones((2, 3), dtype="float32")
        >>> nd.layers.Add()([x, 2 * x]).numpy()
        array([[3., 3., 3.],
               [3., 3., 3.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """Subtracts the second of exactly two tensors from the first.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Subtract()([np.full((1, 2), 5.0), np.ones((1, 2))]).numpy()
        array([[4., 4.]], dtype=float32)
    """

    min_inputs = max_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of tensors elementwise.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).numpy()
        array([[6., 6.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """Averages a list of tensors elementwise.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).numpy()
        array([[2., 2.]], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))


class _Extremum(_Merge):
    """Maximum/Minimum: masked entries never win (Keras's ``_apply_merge_op_and_or_mask``)."""

    fn = None

    def call(self, inputs, training=False):
        out = super().call(inputs, training)
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        if any(m is not None for m in masks) and all(x.shape == out.shape for x in inputs):
            out = self._masked(inputs, masks)
        return out

    def _masked(self, inputs, masks):
        out, out_mask = None, None
        for x, m in zip(inputs, masks):
            m = None if m is None else xp_of(m).broadcast_to(m[..., None], x.shape)
            if out is None:
                out, out_mask = x, m
                continue
            if m is not None:
                x = ops.where(m, x, out)
            if out_mask is not None:
                out = ops.where(out_mask, out, x)
            out_mask = None if m is None or out_mask is None else out_mask | m
            out = type(self).fn(out, x)
        return out

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = type(self).fn(out, x)
        return out


class Maximum(_Extremum):
    """Elementwise maximum of a list of tensors (ties share the gradient equally).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[3., 5.]], dtype=float32)
    """

    fn = staticmethod(ops.maximum)


class Minimum(_Extremum):
    """Elementwise minimum of a list of tensors (ties share the gradient equally).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
        array([[1., 2.]], dtype=float32)
    """

    fn = staticmethod(ops.minimum)


class Concatenate(Layer):
    """Joins a list of tensors along ``axis``; all other sizes must match.

    Args:
        axis: the concatenation axis (not the batch axis).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> nd.layers.Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
        (2, 4)
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate `axis` must be an int. Received: axis={axis!r}")
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        if (not isinstance(input_shape, list | tuple) or not input_shape
                or not all(isinstance(s, tuple | list) for s in input_shape)):
            raise ValueError(f"A `Concatenate` layer ('{self.name}') should be called on a list "
                             f"of at least 1 input. Received: input_shape={input_shape}")
        ranks = {len(s) for s in input_shape}
        rank = ranks.pop()
        if ranks or not -rank <= self.axis < rank or self.axis % rank == 0:
            raise self._error(input_shape)
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise self._error(input_shape)
        return tuple(out)

    def _error(self, shapes):
        return ValueError(
            f"A `Concatenate` layer ('{self.name}', axis={self.axis}) requires inputs of the same "
            f"rank with matching shapes except for the concatenation axis. Received input "
            f"shapes {_shapes_text(shapes)}"
        )

    def call(self, inputs, training=False):
        if not isinstance(inputs, list | tuple):
            raise ValueError(f"A `Concatenate` layer ('{self.name}') should be called on a list "
                             f"of inputs. Received: {type(inputs).__name__}")
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, list | tuple) or all(m is None for m in mask):
            return None
        xp = xp_of(*[m for m in mask if m is not None])
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = xp.ones(x.shape, dtype=bool)
            elif m.ndim < x.ndim:
                m = xp.broadcast_to(m[..., None], x.shape)
            full.append(m)
        return xp.concatenate(full, axis=self.axis).any(axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


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
            raise ValueError(f"A `Dot` layer ('{self.name}') should be called on a list of 2 "
                             f"inputs. Received: input_shape={shapes}")
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        axes = []
        for a, shape in zip(pair, shapes):
            if not -len(shape) <= a < len(shape) or a % len(shape) == 0 or len(shape) < 2:
                raise ValueError(f"Dot layer '{self.name}': axis {a} is invalid for an input of "
                                 f"shape {format_shape(shape)} (the batch axis cannot be "
                                 f"contracted). Received input shapes {_shapes_text(shapes)}")
            axes.append(a % len(shape))
        d1, d2 = shapes[0][axes[0]], shapes[1][axes[1]]
        b1, b2 = shapes[0][0], shapes[1][0]
        if (d1 is not None and d2 is not None and d1 != d2) or (
                b1 is not None and b2 is not None and b1 != b2):
            raise ValueError(f"Dot layer '{self.name}': incompatible input shapes: axis values "
                             f"{d1} (at axis {axes[0]}) != {d2} (at axis {axes[1]}), or different "
                             f"batch sizes. Received input shapes {_shapes_text(shapes)}")
        return axes

    def build(self, input_shape):
        self._resolve(input_shape)

    def compute_output_shape(self, input_shape):
        a1, a2 = self._resolve(input_shape)
        s1 = [s for i, s in enumerate(input_shape[0]) if i != a1]
        s2 = [s for i, s in enumerate(input_shape[1]) if i not in (0, a2)]
        out = s1 + s2
        return tuple(out + [1] if len(out) == 1 else out)

    def call(self, inputs, training=False):
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
