"""Recurrent layers as ONNX's ``RNN``/``LSTM``/``GRU`` operators (Keras's gate order and bias
layout converted), with a ``Scan`` over the cell's equations when a padding mask must hold the
state on masked steps (ONNX's operators only know trailing padding). ``Bidirectional`` runs both
directions and merges them; ``TimeDistributed`` folds time into the batch. An RNN of
``StackedRNNCells`` runs its cells one after the other over the whole sequence: each cell's
output sequence is the next cell's input, which is what the stacked step computes."""

from types import SimpleNamespace

import numpy as np

from numdeep import tree
from numdeep.layers.recurrent.base_rnn import FusedRNN
from numdeep.layers.recurrent.bidirectional import Bidirectional
from numdeep.layers.recurrent.gru import GRUCell
from numdeep.layers.recurrent.lstm import LSTMCell
from numdeep.layers.recurrent.rnn import RNN
from numdeep.layers.recurrent.simple_rnn import SimpleRNNCell
from numdeep.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from numdeep.layers.recurrent.time_distributed import TimeDistributed
from numdeep.onnx.exporter.context import call_takes, converts
from numdeep.onnx.exporter.converters.activations import activation_name
from numdeep.onnx.exporter.converters.core import ONNX_FLOAT, weight
from numdeep.onnx.exporter.scan import scan_cell
from numdeep.onnx.exporter.walk import convert_layer, keep_inbound_nodes
from numdeep.ops.symbolic import KerasTensor

# numdeep activation -> (ONNX RNN activation, alpha, beta)
_RNN_ACTIVATIONS = {"tanh": ("Tanh", None, None), "sigmoid": ("Sigmoid", None, None),
                    "relu": ("Relu", None, None), "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
                    "softsign": ("Softsign", None, None), "softplus": ("Softplus", None, None),
                    "linear": ("Affine", 1.0, 0.0)}
_LSTM_ORDER = [0, 3, 1, 2]  # Keras i, f, c, o -> ONNX i, o, f, c


def _blocks(a, n, order, axis=-1):
    parts = np.split(a, n, axis=axis)
    return np.concatenate([parts[i] for i in order], axis=axis)


def _kind(ctx, cell):
    for cls, kind in ((LSTMCell, "LSTM"), (GRUCell, "GRU"), (SimpleRNNCell, "RNN")):
        if type(cell) is cls:
            return kind
    ctx.fail(f"only RNNs of SimpleRNNCell, LSTMCell or GRUCell are exported; this one has a "
             f"{type(cell).__name__}.")


def _onnx_weights(cell, kind):
    """``W, R, B`` in ONNX's layout (one direction)."""
    k, rk = weight(cell.kernel), weight(cell.recurrent_kernel)
    units = cell.units
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    bias = weight(cell.bias) if cell.bias is not None else np.zeros(
        (2, gates * units) if kind == "GRU" and cell.reset_after else (gates * units,),
        np.float32)
    if bias.ndim == 2:  # GRU reset_after: input and recurrent biases
        wb, rb = bias[0], bias[1]
    else:
        wb, rb = bias, np.zeros_like(bias)
    if kind == "LSTM":
        k, rk = _blocks(k, 4, _LSTM_ORDER), _blocks(rk, 4, _LSTM_ORDER)
        wb, rb = _blocks(wb, 4, _LSTM_ORDER), _blocks(rb, 4, _LSTM_ORDER)
    return k.T[None], rk.T[None], np.concatenate([wb, rb])[None]


def _activation_attrs(ctx, cell, kind):
    fns = [cell.activation] if kind == "RNN" else [cell.recurrent_activation, cell.activation]
    if kind == "LSTM":
        fns.append(cell.activation)
    names, alphas, betas = [], [], []
    for fn in fns:
        spec = _RNN_ACTIVATIONS.get(activation_name(fn))
        if spec is None:
            ctx.fail(f"activation {getattr(fn, '__name__', fn)!r} has no ONNX RNN form.")
        names.append(spec[0])
        alphas.append(1.0 if spec[1] is None else spec[1])
        betas.append(0.0 if spec[2] is None else spec[2])
    extra = {}
    if any(n in ("HardSigmoid", "Affine") for n in names):
        extra = {"activation_alpha": alphas, "activation_beta": betas}
    return {"activations": names, **extra}


def _reverse_time(b, name):
    big = np.iinfo(np.int64).max
    return b.slice(name, [-1], [-big], [0], [-1])


def rnn_time_major(ctx, layer, x_tm, states=(), mask_tm=None):
    """Run ``layer`` (an RNN of a built-in cell) on a time-major input; returns the time-major
    output sequence ``(T, B, units)`` and the final states ``(B, units)``."""
    cell = layer.cell
    kind = _kind(ctx, cell)
    if layer.stateful:
        ctx.fail("stateful RNNs carry state between calls, which an ONNX graph cannot; export "
                 "a copy built with stateful=False.")
    b = ctx.b
    if layer.go_backwards:
        x_tm = _reverse_time(b, x_tm)
        mask_tm = None if mask_tm is None else _reverse_time(b, mask_tm)
    if mask_tm is not None:
        return scan_cell(ctx, kind, cell, x_tm, list(states), mask_tm,
                         layer.zero_output_for_mask)
    w, r, bias = _onnx_weights(cell, kind)
    inputs = [x_tm, b.const(w, f"{layer.name}_W"), b.const(r, f"{layer.name}_R"),
              b.const(bias, f"{layer.name}_B"), ""]
    inputs += [b.unsqueeze(s, [0]) for s in states]
    while inputs[-1] == "":
        inputs.pop()
    attrs = _activation_attrs(ctx, cell, kind)
    if kind == "GRU":
        attrs["linear_before_reset"] = int(cell.reset_after)
    n_out = 3 if kind == "LSTM" else 2
    outs = b.node(kind, inputs, outputs=n_out, name=layer.name, hidden_size=cell.units, **attrs)
    seq = b.squeeze(outs[0], [1])
    return seq, [b.squeeze(o, [0]) for o in outs[1:]]


def _state_names(ctx, initial_state):
    if initial_state is None:
        return []
    return [ctx.value(s) for s in tree.flatten(initial_state)]


def _split_call(node):
    seq = node.call_args[0]
    initial = node.call_kwargs.get("initial_state")
    if isinstance(seq, list | tuple):
        seq, initial = seq[0], list(seq[1:]) or initial
    return seq, initial


def _mask_tm(ctx, node, seq):
    mask = node.call_kwargs.get("mask")
    name = ctx.value(mask) if isinstance(mask, KerasTensor) else ctx.mask(seq)
    if name is None:
        return None
    b = ctx.b
    return b.unsqueeze(b.transpose(b.node("Cast", [name], to=ONNX_FLOAT), [1, 0]), [2])


def _outputs(ctx, layer, seq_tm, states, last):
    b = ctx.b
    if layer.return_sequences:
        out = b.transpose(seq_tm, [1, 0, 2])
    else:
        out = last
    return [out, *states] if layer.return_state else [out]


def _per_cell(initial, counts):
    """The initial states of each stacked cell: ``[[h, c], None, h3]`` (``None``: zeros) or
    the flat ``[h, c, h3]``."""
    if not initial:
        return [[] for _ in counts]
    if len(initial) == len(counts) and all(
            s is None or isinstance(s, list | tuple) or n == 1 for s, n in zip(initial, counts)):
        return [[] if s is None else list(tree.flatten(s)) for s in initial]
    flat, out = list(tree.flatten(initial)), []
    for n in counts:
        out.append(flat[:n])
        flat = flat[n:]
    return out


def _stacked_time_major(ctx, layer, x_tm, initial, mask_tm):
    """``rnn_time_major`` for an RNN of ``StackedRNNCells``: the time-major output of the last
    cell, every cell's final states (flat, in the cells' order) and the last cell's output."""
    b = ctx.b
    if layer.go_backwards:
        x_tm = _reverse_time(b, x_tm)
        mask_tm = None if mask_tm is None else _reverse_time(b, mask_tm)
    cells, finals = layer.cell.cells, []
    counts = [2 if type(cell) is LSTMCell else 1 for cell in cells]
    for i, (cell, given) in enumerate(zip(cells, _per_cell(initial, counts))):
        # Masked steps of an inner cell are skipped by the next cell, so only the last cell's
        # zero_output_for_mask shows in the output.
        run = SimpleNamespace(cell=cell, stateful=layer.stateful, go_backwards=False,
                              name=f"{layer.name}_cell{i}", zero_output_for_mask=(
                                  layer.zero_output_for_mask and i == len(cells) - 1))
        x_tm, cell_states = rnn_time_major(ctx, run, x_tm, [ctx.value(s) for s in given],
                                           mask_tm)
        finals += cell_states
    return x_tm, finals, cell_states[0]


@converts(RNN, FusedRNN)
def _rnn(ctx, layer, node):
    seq, initial = _split_call(node)
    x_tm = ctx.permuted(seq, (1, 0, 2))
    mask_tm = _mask_tm(ctx, node, seq)
    if isinstance(layer.cell, StackedRNNCells):
        seq_tm, states, last = _stacked_time_major(ctx, layer, x_tm, initial, mask_tm)
    else:
        seq_tm, states = rnn_time_major(ctx, layer, x_tm, _state_names(ctx, initial), mask_tm)
        last = states[0]
    outs = _outputs(ctx, layer, seq_tm, states, last)
    mask = ctx.mask(seq)
    if layer.return_sequences and mask is not None:
        ctx.set_mask(node.output_tensors[0], mask)
    return outs


_rnn.handles_mask = True


@converts(Bidirectional)
def _bidirectional(ctx, layer, node):
    seq, initial = _split_call(node)
    states = _state_names(ctx, initial)
    half = len(states) // 2
    x_tm = ctx.permuted(seq, (1, 0, 2))
    mask = _mask_tm(ctx, node, seq)
    fwd_seq, fwd_states = rnn_time_major(ctx, layer.forward_layer, x_tm, states[:half], mask)
    bwd_seq, bwd_states = rnn_time_major(ctx, layer.backward_layer, x_tm, states[half:], mask)
    b = ctx.b
    if layer.return_sequences:
        y = b.transpose(fwd_seq, [1, 0, 2])
        y_rev = b.transpose(_reverse_time(b, bwd_seq), [1, 0, 2])
    else:
        y, y_rev = fwd_states[0], bwd_states[0]
    mode = layer.merge_mode
    if mode == "concat":
        outs = [b.node("Concat", [y, y_rev], axis=-1, name=layer.name)]
    elif mode == "sum":
        outs = [b.node("Add", [y, y_rev], name=layer.name)]
    elif mode == "ave":
        outs = [b.node("Mul", [b.node("Add", [y, y_rev]), b.scalar(0.5)], name=layer.name)]
    elif mode == "mul":
        outs = [b.node("Mul", [y, y_rev], name=layer.name)]
    else:
        outs = [y, y_rev]
    if layer.return_state:
        outs += fwd_states + bwd_states
    if layer.return_sequences and ctx.mask(seq) is not None:
        for t in node.output_tensors[:1 if mode else 2]:
            ctx.set_mask(t, ctx.mask(seq))
    return outs


_bidirectional.handles_mask = True


@converts(TimeDistributed)
def _time_distributed(ctx, layer, node):
    x = node.call_args[0]
    if ctx.mask(x) is not None and call_takes(layer.layer, "mask"):
        ctx.fail("a masked TimeDistributed of a layer that uses masks is not exported yet.")
    b = ctx.b
    inner_shape = tuple(x.shape[2:])
    if any(d is None for d in inner_shape):
        ctx.fail(f"TimeDistributed needs known sizes after the time axis; received {x.shape}.")
    folded = b.reshape(ctx.value(x), [-1, *inner_shape])
    inner_in = KerasTensor((None, *inner_shape), dtype=x.dtype)
    ctx.set(inner_in, folded)
    with keep_inbound_nodes(layer.layer):
        inner_out = layer.layer(inner_in)
        values = convert_layer(ctx, layer.layer, inner_out.node)
    out = ctx.b.node("Identity", [values[0].name if values[0].perm is None else
                                  _logical(ctx, inner_out, values[0])])
    rest = list(node.output_tensors[0].shape[2:])
    lead = b.slice(b.node("Shape", [ctx.value(x)]), [0], [2], [0])
    shape = b.node("Concat", [lead, b.ints(rest)], axis=0)
    return [b.node("Reshape", [out, shape], name=layer.name)]


_time_distributed.handles_mask = True


def _logical(ctx, tensor, value):
    ctx.set(tensor, value)
    return ctx.value(tensor)

