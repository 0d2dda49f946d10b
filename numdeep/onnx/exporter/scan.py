"""A recurrent cell as an ONNX ``Scan`` whose body holds the state on masked steps, as numdeep's
recurrent layers do with a padding mask (ONNX's ``LSTM``/``GRU``/``RNN`` only know trailing
padding through ``sequence_lens``). The body reads the weights from the enclosing graph."""

import numpy as np

from numdeep.onnx.exporter.builder import GraphBuilder
from numdeep.onnx.exporter.converters.activations import ELEMENTWISE, activation_name

ONNX_FLOAT, ONNX_BOOL = 1, 9


def _act(ctx, body, fn, x):
    name = activation_name(fn)
    if name not in ELEMENTWISE:
        ctx.fail(f"activation {getattr(fn, '__name__', fn)!r} has no ONNX form.")
    return ELEMENTWISE[name](body, x)


def _weights(cell):
    from numdeep.onnx.exporter.converters.core import weight

    bias = weight(cell.bias) if cell.bias is not None else None
    return weight(cell.kernel), weight(cell.recurrent_kernel), bias


def _lstm_step(ctx, body, cell, x, states):
    h, c = states
    k, rk, bias = _weights(cell)
    z = body.node("Add", [body.node("MatMul", [x, body.const(k, "kernel")]),
                          body.node("MatMul", [h, body.const(rk, "recurrent_kernel")])])
    if bias is not None:
        z = body.node("Add", [z, body.const(bias, "bias")])
    i, f, g, o = body.split(z, [cell.units] * 4, axis=1)
    ract, act = cell.recurrent_activation, cell.activation
    i, f, o = (_act(ctx, body, ract, v) for v in (i, f, o))
    c_new = body.node("Add", [body.node("Mul", [f, c]), body.node("Mul", [i, _act(ctx, body,
                                                                                 act, g)])])
    return [body.node("Mul", [o, _act(ctx, body, act, c_new)]), c_new]


def _gru_step(ctx, body, cell, x, states):
    (h,) = states
    k, rk, bias = _weights(cell)
    u = cell.units
    ract, act = cell.recurrent_activation, cell.activation
    xz = body.node("MatMul", [x, body.const(k, "kernel")])
    if cell.reset_after:
        hz = body.node("MatMul", [h, body.const(rk, "recurrent_kernel")])
        if bias is not None:
            xz = body.node("Add", [xz, body.const(bias[0], "input_bias")])
            hz = body.node("Add", [hz, body.const(bias[1], "recurrent_bias")])
        x_z, x_r, x_h = body.split(xz, [u] * 3, axis=1)
        h_z, h_r, h_h = body.split(hz, [u] * 3, axis=1)
        z = _act(ctx, body, ract, body.node("Add", [x_z, h_z]))
        r = _act(ctx, body, ract, body.node("Add", [x_r, h_r]))
        hh = _act(ctx, body, act, body.node("Add", [x_h, body.node("Mul", [r, h_h])]))
    else:
        if bias is not None:
            xz = body.node("Add", [xz, body.const(bias, "bias")])
        x_z, x_r, x_h = body.split(xz, [u] * 3, axis=1)
        rk_zr, rk_h = body.const(rk[:, :2 * u], "recurrent_zr"), body.const(rk[:, 2 * u:],
                                                                               "recurrent_h")
        h_z, h_r = body.split(body.node("MatMul", [h, rk_zr]), [u, u], axis=1)
        z = _act(ctx, body, ract, body.node("Add", [x_z, h_z]))
        r = _act(ctx, body, ract, body.node("Add", [x_r, h_r]))
        hh = _act(ctx, body, act, body.node("Add", [x_h, body.node(
            "MatMul", [body.node("Mul", [r, h]), rk_h])]))
    one_minus_z = body.node("Sub", [body.scalar(1.0), z])
    return [body.node("Add", [body.node("Mul", [z, h]), body.node("Mul", [one_minus_z, hh])])]


def _rnn_step(ctx, body, cell, x, states):
    (h,) = states
    k, rk, bias = _weights(cell)
    z = body.node("Add", [body.node("MatMul", [x, body.const(k, "kernel")]),
                          body.node("MatMul", [h, body.const(rk, "recurrent_kernel")])])
    if bias is not None:
        z = body.node("Add", [z, body.const(bias, "bias")])
    return [_act(ctx, body, cell.activation, z)]


_STEPS = {"LSTM": _lstm_step, "GRU": _gru_step, "RNN": _rnn_step}


def _zero_states(b, x_tm, units, n):
    batch = b.slice(b.node("Shape", [x_tm]), [1], [2], [0])
    shape = b.node("Concat", [batch, b.ints([units])], axis=0)
    zeros = b.node("ConstantOfShape", [shape], value=b.onnx.numpy_helper.from_array(
        np.zeros(1, np.float32)))
    return [zeros] * n


def scan_cell(ctx, kind, cell, x_tm, states, mask_tm, zero_output):
    """Run ``cell`` over time-major ``x_tm`` with a ``(T, B, 1)`` float mask; returns the output
    sequence ``(T, B, units)`` and the final states."""
    b = ctx.b
    n_states = 2 if kind == "LSTM" else 1
    if not states:
        states = _zero_states(b, x_tm, cell.units, n_states)
    body = GraphBuilder(b.opset, parent=b)
    prev = [body.unique(f"state_{i}") for i in range(n_states)]
    x_t, m_t = body.unique("x_t"), body.unique("mask_t")
    cand = _STEPS[kind](ctx, body, cell, x_t, prev)
    keep = body.node("Cast", [m_t], to=ONNX_BOOL)
    new = [body.node("Where", [keep, c, p]) for c, p in zip(cand, prev)]
    new = [body.node("Identity", [n]) for n in new]
    out = body.node("Where", [keep, cand[0], body.scalar(0.0)]) if zero_output \
        else body.node("Identity", [new[0]])

    def vi(name):
        return body.onnx.helper.make_tensor_value_info(name, ONNX_FLOAT, None)

    graph = body.graph(f"{cell.name}_step", [vi(n) for n in prev + [x_t, m_t]],
                       [vi(n) for n in new + [out]])
    outs = b.node("Scan", list(states) + [x_tm, mask_tm], outputs=n_states + 1,
                  name=f"{cell.name}_scan", body=graph, num_scan_inputs=2)
    return outs[-1], outs[:n_states]
