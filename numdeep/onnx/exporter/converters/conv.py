"""Convolutions (plain, grouped, depthwise, separable, transposed) and pooling (windowed, global,
adaptive) as ONNX's channels-first operators; channels-last outputs stay channels-first until a
layer needs the logical layout, so a stack of convolutions has no transposes between layers."""

import numpy as np

from numdeep.layers.convolutional.base_conv import BaseConv
from numdeep.layers.convolutional.conv_transpose import BaseConvTranspose
from numdeep.layers.convolutional.depthwise_separable import BaseDepthwiseConv, BaseSeparableConv
from numdeep.layers.pooling.adaptive_pooling import BaseAdaptivePooling
from numdeep.layers.pooling.base_pooling import BasePooling
from numdeep.layers.pooling.global_pooling import BaseGlobalPooling, GlobalAveragePooling1D
from numdeep.onnx.exporter.context import Value, channels_first_perm, converts
from numdeep.onnx.exporter.converters.activations import apply_activation
from numdeep.onnx.exporter.converters.core import ONNX_FLOAT, weight
from numdeep.ops import conv_shapes


def _input_cf(ctx, layer, x):
    """The input as ONNX wants it (channels first) and the spatial sizes."""
    if layer.data_format == "channels_first":
        return ctx.value(x), tuple(x.shape[2:])
    return ctx.channels_first(x), tuple(x.shape[1:-1])


def _output(ctx, layer, name, rank):
    """Wrap a channels-first result in the layer's logical layout."""
    if layer.data_format == "channels_first":
        return Value(name)
    return Value(name, channels_first_perm(rank))


def _pads(padding, sizes, kernel, strides, dilation):
    """ONNX ``pads`` (all begins, then all ends), or None where 'same' meets an unknown size
    (then ``auto_pad='SAME_UPPER'``, TensorFlow's rule, does it at run time)."""
    if padding == "same" and any(n is None for n in sizes):
        return None
    pairs = [conv_shapes.conv_padding(padding, n or 1, k, s, d)
             for n, k, s, d in zip(sizes, kernel, strides, dilation)]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _pad_attrs(ctx, padding, sizes, kernel, strides, dilation):
    pads = _pads(padding, sizes, kernel, strides, dilation)
    if pads is None:
        if max(dilation) > 1:
            ctx.fail(f"'same' padding with dilation on free spatial sizes {sizes}: ONNX runtimes "
                     f"reject auto_pad with dilation. Give the model's Input fixed sizes.")
        return {"auto_pad": "SAME_UPPER"}
    return {"pads": pads}


def _onnx_kernel(kernel):
    """Keras ``(*k, in, out)`` to ONNX ``(out, in, *k)``."""
    n = kernel.ndim - 2
    return np.ascontiguousarray(np.transpose(kernel, (n + 1, n, *range(n))))


def _conv(ctx, name, kernel, bias, layer, sizes, group=1, strides=None, padding=None,
          dilation=None):
    b = ctx.b
    strides = layer.strides if strides is None else strides
    dilation = layer.dilation_rate if dilation is None else dilation
    padding = layer.padding if padding is None else padding
    inputs = [name, b.const(kernel, f"{layer.name}_kernel")]
    if bias is not None:
        inputs.append(b.const(bias, f"{layer.name}_bias"))
    return b.node("Conv", inputs, name=layer.name, group=group, strides=list(strides),
                  dilations=list(dilation), kernel_shape=list(kernel.shape[2:]),
                  **_pad_attrs(ctx, padding, sizes, kernel.shape[2:], strides, dilation))


@converts(BaseConv)
def _plain_conv(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, sizes = _input_cf(ctx, layer, x)
    bias = weight(layer.bias) if layer.bias is not None else None
    y = _conv(ctx, name, _onnx_kernel(weight(layer.kernel)), bias, layer, sizes,
              group=layer.groups)
    return [apply_activation(ctx, _output(ctx, layer, y, rank), layer.activation, rank)]


def _depthwise_kernel(kernel):
    """Keras ``(*k, C, m)`` to ONNX ``(C * m, 1, *k)`` for ``group=C``."""
    n = kernel.ndim - 2
    flat = kernel.reshape(*kernel.shape[:n], -1)
    return np.ascontiguousarray(np.transpose(flat, (n, *range(n))))[:, None]


@converts(BaseDepthwiseConv)
def _depthwise(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, sizes = _input_cf(ctx, layer, x)
    kernel = weight(layer.kernel)
    bias = weight(layer.bias) if layer.bias is not None else None
    y = _conv(ctx, name, _depthwise_kernel(kernel), bias, layer, sizes, group=kernel.shape[-2])
    return [apply_activation(ctx, _output(ctx, layer, y, rank), layer.activation, rank)]


@converts(BaseSeparableConv)
def _separable(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, sizes = _input_cf(ctx, layer, x)
    depthwise = weight(layer.depthwise_kernel)
    y = _conv(ctx, name, _depthwise_kernel(depthwise), None, layer, sizes,
              group=depthwise.shape[-2])
    bias = weight(layer.bias) if layer.bias is not None else None
    n = rank - 2
    y = _conv(ctx, y, _onnx_kernel(weight(layer.pointwise_kernel)), bias, layer, (None,) * n,
              strides=(1,) * n, padding="valid", dilation=(1,) * n)
    return [apply_activation(ctx, _output(ctx, layer, y, rank), layer.activation, rank)]


@converts(BaseConvTranspose)
def _conv_transpose(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, _ = _input_cf(ctx, layer, x)
    kernel = weight(layer.kernel)  # (*k, filters, in)
    n = rank - 2
    out_pad = layer.output_padding or (None,) * n
    begins, ends, extra = [], [], []
    for k, s, d, p in zip(kernel.shape[:n], layer.strides, layer.dilation_rate, out_pad):
        # numdeep's output is the full scatter ((size - 1) * s + k_eff long) cropped to
        # [crop, crop + length); both offsets turn out not to depend on the size.
        left, right = conv_shapes.conv_transpose_padding(k, s, d, layer.padding, p)
        k_eff = (k - 1) * d + 1
        crop, past_end = k_eff - 1 - left, right - k_eff + 1
        begins.append(crop)
        ends.append(max(-past_end, 0))
        extra.append(max(past_end, 0))
    b = ctx.b
    w = np.ascontiguousarray(np.transpose(kernel, (n + 1, n, *range(n))))
    inputs = [name, b.const(w, f"{layer.name}_kernel")]
    if layer.bias is not None:
        inputs.append(b.const(weight(layer.bias), f"{layer.name}_bias"))
    y = b.node("ConvTranspose", inputs, name=layer.name, strides=list(layer.strides),
               dilations=list(layer.dilation_rate), kernel_shape=list(kernel.shape[:n]),
               pads=begins + ends, output_padding=extra if any(extra) else None)
    return [apply_activation(ctx, _output(ctx, layer, y, rank), layer.activation, rank)]


# ----- pooling ----------------------------------------------------------------------------------
@converts(BasePooling)
def _pool(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, sizes = _input_cf(ctx, layer, x)
    ones = (1,) * (rank - 2)
    attrs = _pad_attrs(ctx, layer.padding, sizes, layer.pool_size, layer.strides, ones)
    if layer.pool_mode == "max":
        y = ctx.b.node("MaxPool", [name], name=layer.name, kernel_shape=list(layer.pool_size),
                       strides=list(layer.strides), **attrs)
    else:
        y = ctx.b.node("AveragePool", [name], name=layer.name, count_include_pad=0,
                       kernel_shape=list(layer.pool_size), strides=list(layer.strides), **attrs)
    return [_output(ctx, layer, y, rank)]


@converts(BaseGlobalPooling)
def _global_pool(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    b = ctx.b
    first = layer.data_format == "channels_first"
    v = ctx.physical(x)
    if not first and v.perm == channels_first_perm(rank):
        op = "GlobalMaxPool" if layer.pool_mode == "max" else "GlobalAveragePool"
        y = b.node(op, [v.name], name=layer.name)  # (N, C, 1, ...)
        if layer.keepdims:
            return [Value(y, v.perm)]
        return [b.squeeze(y, list(range(2, rank)))]
    axes = list(range(2, rank)) if first else list(range(1, rank - 1))
    op = "ReduceMax" if layer.pool_mode == "max" else "ReduceMean"
    return [b.reduce(op, ctx.value(x), axes, keepdims=layer.keepdims, name=layer.name)]


@converts(GlobalAveragePooling1D)
def _global_average_1d(ctx, layer, node):
    x = node.call_args[0]
    mask = node.call_kwargs.get("mask")
    mask = ctx.value(mask) if mask is not None else ctx.mask(x)
    if mask is None:
        return _global_pool(ctx, layer, node)
    b = ctx.b
    axis = 2 if layer.data_format == "channels_first" else 1
    keep = b.unsqueeze(b.node("Cast", [mask], to=ONNX_FLOAT), [1 if axis == 2 else 2])
    total = b.reduce("ReduceSum", b.node("Mul", [ctx.value(x), keep]), [axis], layer.keepdims)
    count = b.reduce("ReduceSum", keep, [axis], layer.keepdims)
    # A fully masked sample gives zeros, as numdeep does (not Keras's NaN).
    count = b.node("Max", [count, b.scalar(1.0)])
    return [b.node("Div", [total, count], name=layer.name)]


_global_average_1d.handles_mask = True


@converts(BaseAdaptivePooling)
def _adaptive_pool(ctx, layer, node):
    x = node.call_args[0]
    rank = len(x.shape)
    name, sizes = _input_cf(ctx, layer, x)
    if any(n is None for n in sizes):
        ctx.fail(f"adaptive pooling needs known spatial sizes; received input shape "
                 f"{x.shape}. Give the model's Input fixed sizes.")
    b = ctx.b
    windows = [conv_shapes.adaptive_windows(n, out) for n, out in zip(sizes, layer.output_size)]
    if all(len(set(lengths)) == 1 and starts == [i * lengths[0] for i in range(len(starts))]
           for starts, lengths in windows):
        kernel = [lengths[0] for _, lengths in windows]
        op = "MaxPool" if layer.pool_mode == "max" else "AveragePool"
        y = b.node(op, [name], name=layer.name, kernel_shape=kernel, strides=kernel)
        return [_output(ctx, layer, y, rank)]
    op = "ReduceMax" if layer.pool_mode == "max" else "ReduceMean"
    y = name
    for axis, (starts, lengths) in enumerate(windows, start=2):
        parts = [b.reduce(op, b.slice(y, [s], [s + n], [axis]), [axis], keepdims=True)
                 for s, n in zip(starts, lengths)]
        y = b.node("Concat", parts, axis=axis) if len(parts) > 1 else parts[0]
    return [_output(ctx, layer, y, rank)]
