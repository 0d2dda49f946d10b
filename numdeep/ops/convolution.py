"""Functional convolution and pooling ops (Keras ``keras.ops`` names).

Thin wrappers over the primitives in ``numdeep.autograd.primitives.conv``/``pool``:
they resolve ``padding='valid'|'same'|'causal'`` to explicit pad widths (TensorFlow's rule: for
``'same'`` the output has ``ceil(size / stride)`` positions and an odd total padding puts the extra
element at the end), accept ints or tuples for sizes, and ``data_format='channels_first'`` by
transposing to channels-last and back. Kernels use Keras layouts: ``conv`` ``(*k, C // groups,
F)``, ``depthwise_conv`` ``(*k, C, multiplier)``, ``conv_transpose`` ``(*k, F, C)``.

Example:
    >>> import numpy as np
    >>> from numdeep import ops
    >>> x = np.ones((1, 5, 5, 1), dtype="float32")
    >>> ops.conv(x, np.ones((3, 3, 1, 2), dtype="float32"), padding="same").shape
    (1, 5, 5, 2)
    >>> ops.max_pool(x, 2).shape
    (1, 2, 2, 1)
"""

from numdeep.autograd.primitives import (
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
)
from numdeep.backend import standardize_data_format
from numdeep.ops.conv_shapes import (
    adaptive_windows,
    conv_padding,
    conv_transpose_geometry,
    normalize_tuple,
)
from numdeep.ops.core import _t
from numdeep.ops.numpy import concatenate, take

__all__ = [
    "conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool",
    "adaptive_max_pool", "adaptive_average_pool",
]

PADDINGS = ("valid", "same", "causal")


def _check_padding(padding, allowed=PADDINGS):
    """``padding`` lower-cased (Keras accepts ``"VALID"``, ``"Same"``), or a ValueError."""
    lowered = padding.lower() if isinstance(padding, str) else padding
    if lowered not in allowed:
        raise ValueError(f"`padding` must be one of {allowed}. Received: padding={padding!r}")
    return lowered


def _check_channels(channels, kernel_channels, data_format, grouped=False):
    """Keras's check of the input's channels against the kernel's, before the primitive's own
    (less readable) error; a grouped convolution takes a multiple of the kernel's channels."""
    if grouped and kernel_channels:
        bad = channels % kernel_channels != 0
    else:
        bad = channels != kernel_channels
    if bad:
        also = " (or be a multiple of them, for a grouped convolution)" if grouped else ""
        raise ValueError(
            f"The number of input channels must match the kernel's input channels{also}. "
            f"Received: input channels={channels}, kernel input channels={kernel_channels}, "
            f"data_format='{standardize_data_format(data_format)}'.")


def _to_last(x, data_format):
    if standardize_data_format(data_format) == "channels_last":
        return x
    return x.transpose(0, *range(2, x.ndim), 1)


def _from_last(x, data_format):
    if standardize_data_format(data_format) == "channels_first":
        return x.transpose(0, x.ndim - 1, *range(1, x.ndim - 1))
    return x


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
         bias=None):
    """N-d convolution (cross-correlation) with a Keras-layout kernel ``(*k, C // groups, F)``.

    The number of groups is ``C // kernel.shape[-2]``, as in ``keras.ops.conv``.

    Args:
        inputs: ``(N, *spatial, C)`` (or ``(N, C, *spatial)`` for ``'channels_first'``).
        kernel: ``(*k, C // groups, F)``.
        strides, dilation_rate: int or one int per spatial axis.
        padding: ``'valid'``, ``'same'`` or ``'causal'`` (1-D).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        bias: optional ``(F,)``, added inside the primitive (no extra pass over the output);
            keyword-only, a numdeep extension (Keras's ``conv`` has no bias).

    Returns:
        Tensor ``(N, *out, F)`` (channels-first when asked).

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> edge = np.array([[-1.0, 1.0]], dtype="float32").reshape(1, 2, 1, 1)
        >>> ops.conv(x, edge).data[0, :, :, 0]  # horizontal differences
        array([[1., 1., 1.],
               [1., 1., 1.],
               [1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """
    x, kernel = _to_last(_t(inputs), data_format), _t(kernel)
    nd = x.ndim - 2
    padding = _check_padding(padding)
    _check_channels(x.shape[-1], kernel.shape[-2], data_format, grouped=True)
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    ksize = kernel.shape[:nd]
    pads = tuple(conv_padding(padding, n, k, s, d)
                 for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation))
    groups = x.shape[-1] // max(kernel.shape[-2], 1)
    args = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv.apply(*args, strides=strides, dilation=dilation, padding=pads, groups=groups)
    return _from_last(y, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1, *, bias=None):
    """Depthwise convolution: each input channel gets its own ``multiplier`` filters.

    ``kernel`` is ``(*k, C, multiplier)`` (Keras's layout); output channel ``c * multiplier + m``
    is channel ``c`` filtered by ``kernel[..., c, m]``. Runs as ``conv`` with ``groups = C``.
    """
    kernel = _t(kernel)
    k = kernel.shape
    x = _t(inputs)
    channels = x.shape[-1 if standardize_data_format(data_format) == "channels_last" else 1]
    _check_channels(channels, k[-2], data_format)
    flat = kernel.reshape(*k[:-2], 1, k[-2] * k[-1])
    return conv(x, flat, strides, padding, data_format, dilation_rate, bias=bias)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, *, bias=None):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, bias=bias)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, *, bias=None):
    """Transposed convolution ("deconvolution"), kernel ``(*k, F, C)`` as Keras stores it.

    The output length and alignment per axis follow Keras (see
    ``numdeep.ops.conv_shapes.conv_transpose_geometry``): with ``padding='same'`` and
    ``output_padding`` the output keeps the start of the full scatter.

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> x, k = np.ones((1, 3, 1), "float32"), np.array([1.0, 2.0], "float32").reshape(2, 1, 1)
        >>> ops.conv_transpose(x, k, strides=2, padding="same", output_padding=1).data.ravel()
        array([1., 2., 1., 2., 1.], dtype=float32)
    """
    x, kernel = _to_last(_t(inputs), data_format), _t(kernel)
    nd = x.ndim - 2
    padding = _check_padding(padding, ("valid", "same"))
    _check_channels(x.shape[-1], kernel.shape[-1], data_format)
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    out_pad = (None,) * nd if output_padding is None else normalize_tuple(
        output_padding, nd, "output_padding", allow_zero=True)
    geo = [conv_transpose_geometry(n, k, padding, s, d, p) for n, k, s, d, p in
           zip(x.shape[1:-1], kernel.shape[:nd], strides, dilation, out_pad)]
    args = (x, kernel) if bias is None else (x, kernel, bias)
    y = ConvTranspose.apply(*args, strides=strides, dilation=dilation,
                            crop=tuple(c for c, _ in geo), size=tuple(n for _, n in geo))
    return _from_last(y, data_format)


def _pool(cls, inputs, pool_size, strides, padding, data_format, **params):
    x = _to_last(_t(inputs), data_format)
    nd = x.ndim - 2
    padding = _check_padding(padding, ("valid", "same"))
    pool = normalize_tuple(pool_size, nd, "pool_size")
    strides = pool if strides is None else normalize_tuple(strides, nd, "strides")
    pads = tuple(conv_padding(padding, n, k, s, 1)
                 for n, k, s in zip(x.shape[1:-1], pool, strides))
    y = cls.apply(x, pool=pool, strides=strides, padding=pads, **params)
    return _from_last(y, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Maximum over windows of ``pool_size`` (strides default to ``pool_size``)."""
    return _pool(MaxPool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None,
                 count_include_pad=False):
    """Mean over windows; with ``'same'`` padding only real elements are counted (Keras)."""
    return _pool(AvgPool, inputs, pool_size, strides, padding, data_format,
                 count_include_pad=count_include_pad)


def _adaptive_pool(cls, inputs, output_size, data_format):
    x = _to_last(_t(inputs), data_format)
    nd = x.ndim - 2
    if nd < 1:
        raise ValueError(f"Adaptive pooling expects a (batch, *spatial, channels) input; "
                         f"received shape {x.shape}.")
    sizes = normalize_tuple(output_size, nd, "output_size")
    for axis, out in enumerate(sizes, start=1):
        x = _adaptive_axis(cls, x, axis, out)
    return _from_last(x, data_format)


def _adaptive_axis(cls, x, axis, out):
    """Pool one axis to ``out`` adaptive windows: the windows have one or two lengths, so each
    length is one stride-1 pooling (its positions cover every start) and a gather picks each
    window's position. Separable because every window is a box."""
    shape, n = x.shape, x.shape[axis]
    if n == out:
        return x
    starts, lengths = adaptive_windows(n, out)
    lead = 1
    for s in shape[:axis]:
        lead *= s
    flat = x.reshape(lead, n, -1)
    pools, offset, index = [], 0, {}
    for k in sorted(set(lengths)):
        pools.append(cls.apply(flat, pool=(k,), strides=(1,), padding=((0, 0),)))
        index[k] = offset
        offset += n - k + 1
    pooled = pools[0] if len(pools) == 1 else concatenate(pools, axis=1)
    y = take(pooled, [index[k] + s for s, k in zip(starts, lengths)], axis=1)
    return y.reshape(shape[:axis] + (out,) + shape[axis + 1:])


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Maximum over ``output_size`` windows per spatial axis, whatever the input size: window
    ``i`` of an axis of length ``n`` spans ``[floor(i * n / out), ceil((i + 1) * n / out))``
    (PyTorch's ``AdaptiveMaxPool``).

    Args:
        inputs: ``(N, *spatial, C)`` (or ``(N, C, *spatial)`` for ``'channels_first'``).
        output_size: int or one int per spatial axis.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Returns:
        Tensor ``(N, *output_size, C)`` (channels-first when asked).

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> x = np.arange(5, dtype="float32").reshape(1, 5, 1)
        >>> ops.adaptive_max_pool(x, 3).data[0, :, 0]  # windows [0, 2), [1, 4), [3, 5)
        array([1., 3., 4.], dtype=float32)
    """
    return _adaptive_pool(MaxPool, inputs, output_size, data_format)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Mean over ``output_size`` windows per spatial axis (the windows of
    ``adaptive_max_pool``; PyTorch's ``AdaptiveAvgPool``).

    Example:
        >>> import numpy as np
        >>> from numdeep import ops
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> ops.adaptive_average_pool(x, 2).data[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)
    """
    return _adaptive_pool(AvgPool, inputs, output_size, data_format)
