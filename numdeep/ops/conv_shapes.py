"""Sizes and paddings of convolutions, transposed convolutions and pooling: integer arithmetic
shared by ``numdeep.ops.convolution`` and the layers, with Keras's rules and error messages.

``'same'`` follows TensorFlow: the output has ``ceil(size / stride)`` positions and an odd total
padding puts the extra element at the end. A transposed convolution is the convolution of the
input dilated by the stride with the flipped kernel, padded by ``(left, right)`` per axis
(Keras's rule, ``conv_transpose_padding``); equivalently, the full scatter of every input pixel
(``(size - 1) * stride + k_eff`` long) cropped to ``[crop, crop + length)``.

Example:
    >>> from numdeep.ops import conv_shapes
    >>> conv_shapes.conv_padding("same", 5, 3, 2, 1)
    (1, 1)
    >>> conv_shapes.conv_transpose_geometry(3, 2, "same", 2, 1, 1)  # (crop, length)
    (0, 5)
"""

__all__ = ["normalize_tuple", "conv_padding", "conv_output_length", "conv_output_shape",
           "conv_transpose_padding", "conv_transpose_geometry",
           "compute_conv_transpose_padding_args_for_jax", "compute_conv_transpose_output_shape",
           "adaptive_windows"]


def normalize_tuple(value, n, name, owner="", allow_zero=False):
    """``value`` (int or sequence of ``n`` ints) as a tuple of ``n`` positive ints (non-negative
    with ``allow_zero``); Keras's ``standardize_tuple`` messages, prefixed by ``owner``."""
    if type(value) is tuple and len(value) == n and all(type(v) is int and v > 0 for v in value):
        return value  # already normalized (the layers' own tuples): the per-call fast path
    message = f"{owner}The `{name}` argument must be a tuple of {n} integers. " \
              f"Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        items = (value,) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(items) != n or any(isinstance(v, bool) or not _is_int(v) for v in items):
            raise ValueError(message)
    items = tuple(int(v) for v in items)
    bad = {v for v in items if v < 0 or (v == 0 and not allow_zero)}
    if bad:
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{message}, including values {bad} that do not satisfy "
                         f"`value {rule}`")
    return items


def _is_int(v):
    try:
        return int(v) == v
    except (TypeError, ValueError):
        return False


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


def conv_output_shape(input_shape, filters, kernel_size, strides, padding, data_format,
                      dilation_rate, owner=""):
    """The output shape of a convolution layer; raises Keras's error (prefixed by ``owner``)
    when a 'valid' window does not fit (``Computed output size would be zero or negative``)."""
    first = data_format == "channels_first"
    spatial = tuple(input_shape[2:] if first else input_shape[1:-1])
    out = tuple(conv_output_length(n, k, padding, s, d) for n, k, s, d in
                zip(spatial, kernel_size, strides, dilation_rate))
    if any(o is not None and o <= 0 for o in out):
        channels = input_shape[1] if first else input_shape[-1]
        raise ValueError(
            f"{owner}Computed output size would be zero or negative. Received `inputs shape="
            f"{tuple(input_shape)}`, `kernel shape={tuple(kernel_size) + (channels, filters)}`, "
            f"`dilation_rate={tuple(dilation_rate)}`, `strides={tuple(strides)}`, "
            f"`padding={padding}`.")
    if first:
        return (input_shape[0], filters, *out)
    return (input_shape[0], *out, filters)


def conv_transpose_padding(k, stride, dilation, padding, output_padding=None):
    """``(left, right)`` padding of the stride-dilated input for the equivalent convolution with
    the flipped kernel (Keras's rule). Without ``output_padding`` the output length is
    ``size * stride`` for 'same' and ``(size - 1) * stride + max(k_eff, stride)`` for 'valid'."""
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. "
                         f"Received: padding={padding}")
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return k_eff - 1, k_eff - 1 + extra
    if output_padding is None:
        total = stride + k_eff - 2
    else:
        total = k_eff + k_eff % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, k_eff - 1)
    return left, total - left


def conv_transpose_geometry(size, k, padding, stride, dilation=1, output_padding=None):
    """``(crop, length)`` of a transposed convolution along one axis: the output is the full
    scatter cropped to ``[crop, crop + length)`` (zeros past its end)."""
    left, right = conv_transpose_padding(k, stride, dilation, padding, output_padding)
    k_eff = (k - 1) * dilation + 1
    return k_eff - 1 - left, (size - 1) * stride + left + right - k_eff + 2


def _per_axis(value, n):
    return (value,) * n if value is None or isinstance(value, int) else tuple(value)


def compute_conv_transpose_padding_args_for_jax(input_shape, kernel_shape, strides, padding,
                                                output_padding, dilation_rate):
    """Keras's helper: one ``conv_transpose_padding`` pair per spatial axis (kernel
    ``(*k, F, C)``)."""
    n = len(input_shape) - 2
    return [conv_transpose_padding(k, s, d, padding, p) for k, s, d, p in zip(
        kernel_shape[:-2], _per_axis(strides, n), _per_axis(dilation_rate, n),
        _per_axis(output_padding, n))]


def compute_conv_transpose_output_shape(input_shape, kernel_size, filters, strides, padding,
                                        output_padding=None, data_format="channels_last",
                                        dilation_rate=1):
    """Keras's output shape of a transposed convolution (``None`` sizes stay ``None``).

    Example:
        >>> compute_conv_transpose_output_shape((None, 3, 4, 2), (3, 3), 5, 2, "same")
        (None, 6, 8, 5)
    """
    n = len(input_shape) - 2
    first = data_format == "channels_first"
    spatial = input_shape[2:] if first else input_shape[1:-1]
    out = tuple(None if size is None else conv_transpose_geometry(size, k, padding, s, d, p)[1]
                for size, k, s, d, p in zip(spatial, kernel_size, _per_axis(strides, n),
                                            _per_axis(dilation_rate, n),
                                            _per_axis(output_padding, n)))
    if first:
        return (input_shape[0], filters, *out)
    return (input_shape[0], *out, filters)


def adaptive_windows(size, out):
    """Start of each of ``out`` adaptive-pooling windows over ``size`` elements, and their
    length: window ``i`` is ``[floor(i * size / out), ceil((i + 1) * size / out))`` (PyTorch's
    and Keras's rule), so lengths differ by at most one."""
    starts = [i * size // out for i in range(out)]
    ends = [-(-(i + 1) * size // out) for i in range(out)]
    return starts, [e - s for s, e in zip(starts, ends)]
