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
from numdeep.ops.core import _t

__all__ = [
    "conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool",
]

PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value, n, name, owner="", allow_zero=False):
    """``value`` (int or sequence of ``n`` ints) as a tuple of ``n`` positive ints."""
    items = (value,) * n if isinstance(value, int) else tuple(value)
    low = 0 if allow_zero else 1
    if len(items) != n or any(isinstance(v, bool) or int(v) != v or v < low for v in items):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{owner}`{name}` must be a {what} int or a tuple of {n} {what} ints. "
                         f"Received: {name}={value!r}")
    return tuple(int(v) for v in items)


def conv_padding(padding, size, k, stride, dilation):
    """``(before, after)`` zero padding of one axis for ``padding`` 'valid'/'same'/'causal'."""
    k_eff = dilation * (k - 1) + 1
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (k_eff - 1, 0)
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return (total // 2, total - total // 2)


def conv_output_length(size, k, padding, stride, dilation=1):
    """Output length along one axis (``None`` stays ``None``)."""
    if size is None:
        return None
    lo, hi = conv_padding(padding, size, k, stride, dilation)
    return (size + lo + hi - dilation * (k - 1) - 1) // stride + 1


def conv_transpose_geometry(size, k, padding, stride, dilation=1, output_padding=None):
    """``(crop, length)`` of a transposed convolution along one axis, Keras's rule: without
    ``output_padding`` the length is ``size * stride`` for 'same' and
    ``size * stride + max(k_eff - stride, 0)`` for 'valid'."""
    k_eff = dilation * (k - 1) + 1
    if output_padding is None:
        if padding == "same":
            return max(k_eff - stride, 0) // 2, size * stride
        return 0, size * stride + max(k_eff - stride, 0)
    pad = k_eff // 2 if padding == "same" else 0
    return pad, (size - 1) * stride + k_eff - 2 * pad + output_padding


def _check_padding(padding, allowed=PADDINGS):
    if padding not in allowed:
        raise ValueError(f"`padding` must be one of {allowed}. Received: padding={padding!r}")


def _to_last(x, data_format):
    if data_format in (None, "channels_last"):
        return x
    if data_format != "channels_first":
        raise ValueError(f"`data_format` must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return x.transpose(0, *range(2, x.ndim), 1)


def _from_last(x, data_format):
    if data_format == "channels_first":
        return x.transpose(0, x.ndim - 1, *range(1, x.ndim - 1))
    return x


def conv(inputs, kernel, bias=None, strides=1, padding="valid", data_format=None,
         dilation_rate=1):
    """N-d convolution (cross-correlation) with a Keras-layout kernel ``(*k, C // groups, F)``.

    The number of groups is ``C // kernel.shape[-2]``, as in ``keras.ops.conv``.

    Args:
        inputs: ``(N, *spatial, C)`` (or ``(N, C, *spatial)`` for ``'channels_first'``).
        kernel: ``(*k, C // groups, F)``.
        bias: optional ``(F,)``, added inside the primitive (no extra pass over the output).
        strides, dilation_rate: int or one int per spatial axis.
        padding: ``'valid'``, ``'same'`` or ``'causal'`` (1-D).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

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
    _check_padding(padding)
    strides = normalize_tuple(strides, nd, "strides")
    dilation = normalize_tuple(dilation_rate, nd, "dilation_rate")
    ksize = kernel.shape[:nd]
    pads = tuple(conv_padding(padding, n, k, s, d)
                 for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation))
    groups = x.shape[-1] // max(kernel.shape[-2], 1)
    args = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv.apply(*args, strides=strides, dilation=dilation, padding=pads, groups=groups)
    return _from_last(y, data_format)


def depthwise_conv(inputs, kernel, bias=None, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution: each input channel gets its own ``multiplier`` filters.

    ``kernel`` is ``(*k, C, multiplier)`` (Keras's layout); output channel ``c * multiplier + m``
    is channel ``c`` filtered by ``kernel[..., c, m]``. Runs as ``conv`` with ``groups = C``.
    """
    kernel = _t(kernel)
    k = kernel.shape
    flat = kernel.reshape(*k[:-2], 1, k[-2] * k[-1])
    return conv(inputs, flat, bias, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, bias=None, strides=1,
                   padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, None, strides, padding, data_format,
                       dilation_rate)
    return conv(y, pointwise_kernel, bias, 1, "valid", data_format)


def conv_transpose(inputs, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution ("deconvolution"), kernel ``(*k, F, C)`` as Keras stores it.

    The output length per axis follows Keras (see ``conv_transpose_geometry``).
    """
    x, kernel = _to_last(_t(inputs), data_format), _t(kernel)
    nd = x.ndim - 2
    _check_padding(padding, ("valid", "same"))
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
    _check_padding(padding, ("valid", "same"))
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
