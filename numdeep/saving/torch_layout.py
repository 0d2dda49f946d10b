"""Conversions between PyTorch and Keras (numdeep) weight layouts, in one documented place.

Used by the pretrained-checkpoint readers (``numdeep.pretrained``) and by the PyTorch parity
tests. Nothing here imports torch: functions take and return NumPy arrays.

Convolution and dense layers.

numdeep stores kernels as Keras does (channels-last data):

==================  =====================================  ======================================
layer               numdeep / Keras kernel                 PyTorch ``weight``
==================  =====================================  ======================================
Conv1D/2D/3D        ``(*k, in // groups, out)``            ``(out, in // groups, *k)``
DepthwiseConv2D     ``(kh, kw, in, multiplier)``           ``(in * multiplier, 1, kh, kw)``
Conv*DTranspose     ``(*k, out, in)``                      ``(in, out, *k)`` (groups=1)
Dense               ``(in, out)``                          ``(out, in)``
MultiHeadAttention  q/k/v ``(in, heads, head_dim)``,          ``(heads * head_dim, in)``,
                    output ``(heads, head_dim, out)``      ``(out, heads * head_dim)``
==================  =====================================  ======================================

Kernels are used for cross-correlation in both libraries, so no spatial flip is needed. Data must
also move from NCHW to NHWC, and a ``Flatten`` before a ``Dense`` then orders features
``(h, w, c)`` instead of ``(c, h, w)``: permute that Dense's input rows with
``flatten_rows_from_torch``.

Example:
    >>> import numpy as np
    >>> w = np.zeros((8, 3, 5, 5), dtype="float32")  # torch Conv2d(3, 8, 5).weight
    >>> conv_kernel_from_torch(w).shape
    (5, 5, 3, 8)
    >>> conv_kernel_to_torch(conv_kernel_from_torch(w)).shape
    (8, 3, 5, 5)

Recurrent layers.

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


def conv_kernel_from_torch(weight):
    """PyTorch ``Conv{1,2,3}d.weight`` ``(out, in/groups, *k)`` -> Keras
    ``(*k, in/groups, out)``."""
    w = np.asarray(weight)
    return np.ascontiguousarray(np.moveaxis(w, (0, 1), (-1, -2)))


def conv_kernel_to_torch(kernel):
    """Keras ``(*k, in/groups, out)`` -> PyTorch ``(out, in/groups, *k)``."""
    k = np.asarray(kernel)
    return np.ascontiguousarray(np.moveaxis(k, (-1, -2), (0, 1)))


def depthwise_kernel_from_torch(weight, multiplier=1):
    """PyTorch depthwise ``Conv2d(groups=in).weight`` ``(in * m, 1, kh, kw)`` ->
    Keras ``(kh, kw, in, m)``."""
    w = np.asarray(weight)
    k = conv_kernel_from_torch(w)  # (kh, kw, 1, in * m)
    return k.reshape(k.shape[:-2] + (w.shape[0] // multiplier, multiplier))


def depthwise_kernel_to_torch(kernel):
    """Keras ``(kh, kw, in, m)`` -> PyTorch ``(in * m, 1, kh, kw)``."""
    k = np.asarray(kernel)
    return conv_kernel_to_torch(k.reshape(k.shape[:-2] + (1, k.shape[-2] * k.shape[-1])))


def conv_transpose_kernel_from_torch(weight):
    """PyTorch ``ConvTranspose*d.weight`` ``(in, out, *k)`` -> Keras ``(*k, out, in)``."""
    w = np.asarray(weight)
    return np.ascontiguousarray(np.moveaxis(w, (0, 1), (-1, -2)))


def conv_transpose_kernel_to_torch(kernel):
    """Keras ``(*k, out, in)`` -> PyTorch ``(in, out, *k)``."""
    k = np.asarray(kernel)
    return np.ascontiguousarray(np.moveaxis(k, (-1, -2), (0, 1)))


def dense_kernel_from_torch(weight):
    """PyTorch ``Linear.weight`` ``(out, in)`` -> Keras ``Dense`` kernel ``(in, out)``."""
    return np.ascontiguousarray(np.asarray(weight).T)


def dense_kernel_to_torch(kernel):
    """Keras ``Dense`` kernel ``(in, out)`` -> PyTorch ``Linear.weight`` ``(out, in)``."""
    return np.ascontiguousarray(np.asarray(kernel).T)


def attention_kernel_from_torch(weight, heads, head_dim):
    """A query/key/value ``Linear.weight`` ``(heads * head_dim, in)`` -> ``MultiHeadAttention``'s
    projection kernel ``(in, heads, head_dim)``."""
    w = np.asarray(weight)
    return np.ascontiguousarray(w.T.reshape(w.shape[1], heads, head_dim))


def attention_bias_from_torch(bias, heads, head_dim):
    """A query/key/value ``Linear.bias`` ``(heads * head_dim,)`` -> ``(heads, head_dim)``."""
    return np.asarray(bias).reshape(heads, head_dim)


def attention_output_kernel_from_torch(weight, heads, head_dim):
    """The output ``Linear.weight`` ``(out, heads * head_dim)`` -> ``MultiHeadAttention``'s
    output kernel ``(heads, head_dim, out)``."""
    w = np.asarray(weight)
    return np.ascontiguousarray(w.T.reshape(heads, head_dim, w.shape[0]))


def flatten_rows_from_torch(weight, channels, spatial):
    """PyTorch ``Linear.weight`` ``(out, c*h*w)`` after ``Flatten`` of NCHW -> Keras Dense
    kernel ``(h*w*c, out)`` after ``Flatten`` of NHWC."""
    w = np.asarray(weight)
    w = w.reshape((w.shape[0], channels) + tuple(spatial))
    w = np.moveaxis(w, 1, -1).reshape(w.shape[0], -1)
    return np.ascontiguousarray(w.T)


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
