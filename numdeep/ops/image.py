"""Image functions (``keras.ops.image``): differentiable bilinear/nearest resize and
inverse-affine sampling of channels-last batches.

Used by ``UpSampling2D``, ``RandomCrop`` and the affine augmentation layers. Both are compositions
of existing primitives (matmul, integer-array indexing, multiply, add), so they need no backward of
their own; the coordinate arithmetic runs on plain arrays.
"""

from numdeep.backend import xp_of
from numdeep.ops import eager as ops

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def resize_matrix(xp, n_in, n_out, dtype, interpolation="bilinear"):
    """``(n_out, n_in)`` matrix resampling one axis with half-pixel centers (TF2 ``resize``)."""
    src = (xp.arange(n_out, dtype="float64") + 0.5) * (n_in / n_out) - 0.5
    m = xp.zeros((n_out, n_in), dtype=dtype)
    rows = xp.arange(n_out)
    if interpolation == "nearest":
        idx = xp.clip(xp.floor((xp.arange(n_out) + 0.5) * (n_in / n_out)), 0, n_in - 1)
        m[rows, idx.astype("int64")] = 1
        return m
    src = xp.clip(src, 0, n_in - 1)
    lo = xp.floor(src).astype("int64")
    hi = xp.minimum(lo + 1, n_in - 1)
    frac = (src - lo).astype(dtype)
    m[rows, lo] += 1 - frac
    m[rows, hi] += frac
    return m


def resize(images, height, width, interpolation="bilinear"):
    """Resize a ``(N, H, W, C)`` Tensor to ``(N, height, width, C)`` with two matmuls."""
    xp = xp_of(images.data)
    n, h, w, c = images.shape
    out = images
    if h != height:
        a = resize_matrix(xp, h, height, images.dtype, interpolation)
        out = ops.matmul(a, out.reshape(n, h, w * c)).reshape(n, height, w, c)
    if w != width:
        b = resize_matrix(xp, w, width, images.dtype, interpolation)
        out = ops.matmul(out.transpose(0, 1, 3, 2), b.T).transpose(0, 1, 3, 2)
    return out


def _map_coords(xp, coords, size, fill_mode):
    """Fold coordinates outside ``[0, size - 1]`` back in (``constant`` is handled by masks)."""
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2 * size
        coords = xp.mod(coords, period)
        coords = xp.where(coords >= size, period - 1 - coords, coords)
    elif fill_mode == "wrap":  # (a b c d | a b c d | a b c d)
        coords = xp.mod(coords, size)
    if fill_mode == "constant":
        return coords
    return xp.clip(coords, 0, size - 1)


def affine_sample(images, transforms, interpolation="bilinear", fill_mode="reflect",
                  fill_value=0.0):
    """Sample ``(N, H, W, C)`` images at inverse-affine coordinates.

    ``transforms`` ``(N, 6)`` holds ``[a0, a1, a2, b0, b1, b2]`` per image: output pixel
    ``(x, y)`` reads input ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` (Keras's convention, the
    first six entries of its 8-vector). Points outside the image follow ``fill_mode``.
    """
    xp = xp_of(images.data)
    n, h, w, c = images.shape
    t = xp.asarray(transforms, dtype="float64").reshape(n, 6, 1, 1)
    ys, xs = xp.meshgrid(xp.arange(h, dtype="float64"), xp.arange(w, dtype="float64"),
                         indexing="ij")
    src_x = _map_coords(xp, t[:, 0] * xs + t[:, 1] * ys + t[:, 2], w, fill_mode)
    src_y = _map_coords(xp, t[:, 3] * xs + t[:, 4] * ys + t[:, 5], h, fill_mode)
    batch = xp.arange(n).reshape(n, 1, 1)
    if interpolation == "nearest":
        corners = [(xp.floor(src_y + 0.5), xp.floor(src_x + 0.5), 1.0)]
    else:
        y0, x0 = xp.floor(src_y), xp.floor(src_x)
        dy, dx = src_y - y0, src_x - x0
        corners = [(y0, x0, (1 - dy) * (1 - dx)), (y0, x0 + 1, (1 - dy) * dx),
                   (y0 + 1, x0, dy * (1 - dx)), (y0 + 1, x0 + 1, dy * dx)]
    out = None
    outside = 0.0
    for cy, cx, weight in corners:
        inside = (cy >= 0) & (cy <= h - 1) & (cx >= 0) & (cx <= w - 1)
        iy = xp.clip(cy, 0, h - 1).astype("int64")
        ix = xp.clip(cx, 0, w - 1).astype("int64")
        weight = weight * xp.ones((n, h, w))
        if fill_mode == "constant":
            outside = outside + weight * ~inside
            weight = weight * inside
        term = images[batch, iy, ix] * weight[..., None].astype(images.dtype)
        out = term if out is None else out + term
    if fill_mode == "constant" and fill_value:
        out = out + (outside * fill_value)[..., None].astype(images.dtype)
    return out
