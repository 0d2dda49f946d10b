"""Conversions between PyTorch and Keras convolution weight layouts, in one documented place.

numdeep stores kernels as Keras does (channels-last data):

==================  =====================================  ======================================
layer               numdeep / Keras kernel                 PyTorch ``weight``
==================  =====================================  ======================================
Conv1D/2D/3D        ``(*k, in // groups, out)``            ``(out, in // groups, *k)``
DepthwiseConv2D     ``(kh, kw, in, multiplier)``           ``(in * multiplier, 1, kh, kw)``
Conv*DTranspose     ``(*k, out, in)``                      ``(in, out, *k)`` (groups=1)
Dense               ``(in, out)``                          ``(out, in)``
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


def flatten_rows_from_torch(weight, channels, spatial):
    """PyTorch ``Linear.weight`` ``(out, c*h*w)`` after ``Flatten`` of NCHW -> Keras Dense
    kernel ``(h*w*c, out)`` after ``Flatten`` of NHWC."""
    w = np.asarray(weight)
    w = w.reshape((w.shape[0], channels) + tuple(spatial))
    w = np.moveaxis(w, 1, -1).reshape(w.shape[0], -1)
    return np.ascontiguousarray(w.T)
