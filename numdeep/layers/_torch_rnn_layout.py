"""PyTorch <-> Keras weight layouts of the recurrent layers, in one documented place.

PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` keep, per layer and direction (suffix ``_l0``, and
``_l0_reverse`` for the backward direction of a bidirectional module):
``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H), ``bias_ih`` (G*H,), ``bias_hh`` (G*H,), where G
is the number of gate blocks. Keras keeps ``kernel`` (in, G*units), ``recurrent_kernel``
(units, G*units) and ``bias``. So the matrices are transposed, and:

- LSTM: both use gate order i, f, c (PyTorch's g), o. Keras has one bias: ``bias = bias_ih +
  bias_hh``; going back, ``bias_ih = bias`` and ``bias_hh = 0``.
- GRU: PyTorch orders the gates r, z, n; Keras z, r, h, so the blocks are reordered.
  PyTorch computes ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``: the reset gate applied
  after the recurrent matmul, which is Keras's ``reset_after=True`` (its default), whose bias is
  (2, 3 units): row 0 the input bias ``bias_ih``, row 1 the recurrent bias ``bias_hh``, both
  reordered. A ``reset_after=False`` GRU has no PyTorch equivalent.
- SimpleRNN (PyTorch ``nn.RNN``, tanh or relu): ``bias = bias_ih + bias_hh``.

All functions take and return NumPy arrays (call ``.detach().numpy()`` on PyTorch tensors);
nothing here imports torch. The layer lists come in ``layer.get_weights()`` order.

Example:
    >>> import numpy as np
    >>> w_ih, w_hh = np.ones((12, 2)), np.zeros((12, 4))
    >>> kernel, recurrent, bias = gru_from_torch(w_ih, w_hh, np.arange(12.0), np.zeros(12))
    >>> kernel.shape, recurrent.shape, bias.shape
    ((2, 12), (4, 12), (2, 12))
    >>> bias[0, :4]  # Keras's z block is PyTorch's second block
    array([4., 5., 6., 7.])
"""

import numpy as np

_GRU_TORCH_TO_KERAS = (1, 0, 2)  # Keras block k is PyTorch block _GRU_TORCH_TO_KERAS[k]


def _blocks(w, order, axis):
    """Reorder the equal-sized gate blocks of ``w`` along ``axis``."""
    parts = np.split(np.asarray(w), len(order), axis=axis)
    return np.concatenate([parts[k] for k in order], axis=axis)


def _summed_bias(bias_ih, bias_hh, size):
    if bias_ih is None and bias_hh is None:
        return None
    zeros = np.zeros(size)
    return (zeros if bias_ih is None else np.asarray(bias_ih)) + (
        zeros if bias_hh is None else np.asarray(bias_hh))


def lstm_from_torch(weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``[kernel, recurrent_kernel, bias]`` of a Keras LSTM (no bias when PyTorch has none)."""
    bias = _summed_bias(bias_ih, bias_hh, len(weight_ih))
    out = [np.asarray(weight_ih).T, np.asarray(weight_hh).T]
    return out if bias is None else out + [bias]


def lstm_to_torch(kernel, recurrent_kernel, bias=None):
    """PyTorch ``{weight_ih, weight_hh, bias_ih, bias_hh}`` of a Keras LSTM's weights."""
    out = {"weight_ih": np.asarray(kernel).T, "weight_hh": np.asarray(recurrent_kernel).T}
    if bias is not None:
        out.update(bias_ih=np.asarray(bias), bias_hh=np.zeros_like(bias))
    return out


def simple_rnn_from_torch(weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``[kernel, recurrent_kernel, bias]`` of a Keras SimpleRNN from ``nn.RNN`` weights."""
    return lstm_from_torch(weight_ih, weight_hh, bias_ih, bias_hh)


def simple_rnn_to_torch(kernel, recurrent_kernel, bias=None):
    """PyTorch ``nn.RNN`` weights of a Keras SimpleRNN."""
    return lstm_to_torch(kernel, recurrent_kernel, bias)


def gru_from_torch(weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``[kernel, recurrent_kernel, bias]`` of a Keras ``GRU(reset_after=True)``; the bias is
    ``(2, 3 units)``: the input bias row, then the recurrent bias row."""
    order = _GRU_TORCH_TO_KERAS
    out = [_blocks(weight_ih, order, 0).T, _blocks(weight_hh, order, 0).T]
    if bias_ih is None and bias_hh is None:
        return out
    zeros = np.zeros(len(weight_ih))
    rows = [zeros if b is None else _blocks(b, order, 0) for b in (bias_ih, bias_hh)]
    return out + [np.stack(rows)]


def gru_to_torch(kernel, recurrent_kernel, bias=None):
    """PyTorch ``nn.GRU`` weights of a Keras GRU; it must use ``reset_after=True``."""
    if bias is not None and np.ndim(bias) != 2:
        raise ValueError(f"Only a GRU with reset_after=True (bias shape (2, 3 units)) matches "
                         f"PyTorch's nn.GRU; received a bias of shape {np.shape(bias)}.")
    inverse = tuple(_GRU_TORCH_TO_KERAS.index(k) for k in range(3))
    out = {"weight_ih": _blocks(np.asarray(kernel).T, inverse, 0),
           "weight_hh": _blocks(np.asarray(recurrent_kernel).T, inverse, 0)}
    if bias is not None:
        out.update(bias_ih=_blocks(bias[0], inverse, 0), bias_hh=_blocks(bias[1], inverse, 0))
    return out
