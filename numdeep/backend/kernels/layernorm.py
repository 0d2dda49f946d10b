"""Last-axis layer normalization of NumPy arrays in row blocks.

Each block of rows is centered, scaled and shifted in turn, and the row sums are ``einsum``
reductions (``'ij->i'``, ``'ij,ij->i'``: no squared temporary, and about three times faster
than ``mean`` / ``square().mean()`` over a short last axis). Measured on BERT's
``(32, 128, 384)`` float32 activations (cache-cold, as in the model): 3.9 -> 2.9 ms per call at
one thread. Row blocks are independent: with several threads they are handed out over the pool
(``blockwise``).
Reference: ``layer_norm_reference`` in ``numdeep/autograd/primitives/normalization.py``.
"""

import math

import numpy as np

from numdeep.backend.kernels.blockwise import for_each_block

BLOCK = 1 << 17  # elements per row block: einsum's call overhead dominates smaller ones


def layer_norm_last_axis(x, gamma, beta, epsilon):
    """``(y, x_hat, inv_std)`` of the layer normalization of ``x`` over its last axis.

    ``x_hat = (x - mean) / sqrt(var + epsilon)`` (biased variance), ``y = x_hat * gamma +
    beta`` (``gamma`` / ``beta`` of shape ``x.shape[-1:]`` or None), ``inv_std`` of shape
    ``x.shape[:-1] + (1,)``. The last axis must not be empty.

    Example:
        >>> import numpy as np
        >>> y, xhat, inv_std = layer_norm_last_axis(np.array([[1.0, 3.0]]), None, None, 0.0)
        >>> y, inv_std
        (array([[-1.,  1.]]), array([[1.]]))
    """
    d = x.shape[-1]
    rows = math.prod(x.shape[:-1])
    flat = x.reshape(rows, d)
    xhat = np.empty(flat.shape, x.dtype)
    affine = gamma is not None or beta is not None
    y = np.empty(flat.shape, x.dtype) if affine else xhat
    inv_std = np.empty((rows, 1), x.dtype)
    step = max(1, BLOCK // d)
    inv_d = x.dtype.type(1.0 / d)
    eps = x.dtype.type(epsilon)

    def block(b, _):
        i, j = b * step, min(b * step + step, rows)
        _rows(flat[i:j], xhat[i:j], y[i:j], inv_std[i:j], gamma, beta, inv_d, eps)

    for_each_block(-(-rows // step), block, flat.size)
    if not affine:
        y = xhat.copy()  # the caller may keep x_hat for its backward: never hand out one array
    shape = x.shape[:-1] + (1,)
    return y.reshape(x.shape), xhat.reshape(x.shape), inv_std.reshape(shape)


def _rows(x, xhat, y, inv_std, gamma, beta, inv_d, eps):
    mean = np.einsum("ij->i", x)[:, None]
    mean *= inv_d
    np.subtract(x, mean, out=xhat)
    var = np.einsum("ij,ij->i", xhat, xhat)[:, None]
    var *= inv_d
    var += eps
    np.sqrt(var, out=var)
    np.reciprocal(var, out=inv_std)
    xhat *= inv_std
    if gamma is not None:
        np.multiply(xhat, gamma, out=y)
        if beta is not None:
            y += beta
    elif beta is not None:
        np.add(xhat, beta, out=y)
