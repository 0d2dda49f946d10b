"""``ConvLSTM1D/2D/3D`` as an ONNX ``Scan`` over time. The sequence goes time-major and
channels-first once; each step's body runs the cell's two convolutions (the input's with the
layer's strides, padding and dilation, the state's with 'same' padding) and Keras's gates in
their order ``i, f, c, o``, reading the weights from the enclosing graph."""

import numpy as np

from numdeep import tree
from numdeep.layers.recurrent.conv_lstm import ConvLSTM
from numdeep.onnx.exporter.builder import GraphBuilder
from numdeep.onnx.exporter.context import converts
from numdeep.onnx.exporter.converters.conv import _onnx_kernel, _pad_attrs
from numdeep.onnx.exporter.converters.core import ONNX_FLOAT, weight
from numdeep.onnx.exporter.scan import _act


def _conv_node(ctx, g, x, kernel, bias, sizes, strides, padding, dilation):
    inputs = [x, g.const(kernel, "kernel")] + ([] if bias is None else [g.const(bias, "bias")])
    return g.node("Conv", inputs, strides=list(strides), dilations=list(dilation),
                  kernel_shape=list(kernel.shape[2:]),
                  **_pad_attrs(ctx, padding, sizes, kernel.shape[2:], strides, dilation))


def _to_channels_first(rank):
    """The permutation of a channels-last ``(B, *spatial, C)`` tensor to ``(B, C, *spatial)``."""
    return (0, rank - 1, *range(1, rank - 1))


@converts(ConvLSTM)
def _conv_lstm(ctx, layer, node):
    cell, b = layer.cell, ctx.b
    seq = node.call_args[0]
    initial = node.call_kwargs.get("initial_state")
    if isinstance(seq, list | tuple):
        seq, initial = seq[0], list(seq[1:]) or initial
    if layer.stateful or ctx.mask(seq) is not None or node.call_kwargs.get("mask") is not None:
        ctx.fail("stateful or masked ConvLSTM layers are not exported.")
    full = len(seq.shape)  # (B, T, *spatial, C) or (B, T, C, *spatial)
    first = cell.data_format == "channels_first"
    x_tm = ctx.permuted(seq, (1, 0, *range(2, full)) if first else
                        (1, 0, full - 1, *range(2, full - 1)))
    if layer.go_backwards:
        x_tm = b.slice(x_tm, [-1], [-np.iinfo(np.int64).max], [0], [-1])
    sizes = tuple(seq.shape[3:] if first else seq.shape[2:-1])
    kernel = _onnx_kernel(weight(cell.kernel))
    r_kernel = _onnx_kernel(weight(cell.recurrent_kernel))
    bias = weight(cell.bias) if cell.bias is not None else None
    args = (sizes, cell.strides, cell.padding, cell.dilation_rate)
    n = cell.filters
    if initial is None:
        # Zeros of the step output's shape: the input convolution of step 0 gives it.
        step0 = b.node("Gather", [x_tm, b.const(np.array(0, np.int64))], axis=0)
        shape = b.node("Shape", [_conv_node(ctx, b, step0, kernel[:n], None, *args)])
        zeros = b.node("ConstantOfShape", [shape], value=b.onnx.numpy_helper.from_array(
            np.zeros(1, np.float32)))
        states = [zeros, zeros]
    else:
        states = [ctx.value(s) if first else ctx.permuted(s, _to_channels_first(len(s.shape)))
                  for s in tree.flatten(initial)]
    body = GraphBuilder(b.opset, parent=b)
    h, c, x_t = body.unique("h"), body.unique("c"), body.unique("x_t")
    z = body.node("Add", [_conv_node(ctx, body, x_t, kernel, bias, *args),
                          _conv_node(ctx, body, h, r_kernel, None, (1,) * cell.rank,
                                     (1,) * cell.rank, "same", (1,) * cell.rank)])
    i, f, g, o = body.split(z, [n] * 4, axis=1)
    ract, act = cell.recurrent_activation, cell.activation
    i, f, o = (_act(ctx, body, ract, v) for v in (i, f, o))
    c_new = body.node("Add", [body.node("Mul", [f, c]),
                              body.node("Mul", [i, _act(ctx, body, act, g)])])
    h_new = body.node("Mul", [o, _act(ctx, body, act, c_new)])
    out = body.node("Identity", [h_new])

    def vi(name):
        return body.onnx.helper.make_tensor_value_info(name, ONNX_FLOAT, None)

    graph = body.graph(f"{layer.name}_step", [vi(h), vi(c), vi(x_t)],
                       [vi(h_new), vi(c_new), vi(out)])
    h_last, c_last, ys = b.node("Scan", [*states, x_tm], outputs=3, name=layer.name,
                                body=graph, num_scan_inputs=1)
    rank = cell.rank + 2  # a state: (B, F, *spatial)
    back = (0, *range(2, rank), 1)  # channels-first -> channels-last
    h_last, c_last = ([s if first else b.transpose(s, back) for s in (h_last, c_last)])
    if layer.return_sequences:
        out = b.transpose(ys, (1, 0, *range(2, rank + 1)) if first else
                          (1, 0, *range(3, rank + 1), 2))
    else:
        out = h_last
    return [out, h_last, c_last] if layer.return_state else [out]
