"""Geometric image sampling of ``keras.ops.image``: ``map_coordinates``, ``affine_transform``,
``perspective_transform`` and ``elastic_transform``, plus the inverse-affine sampler the
augmentation layers use (``affine_sample``).

Sampling gathers input values at (computed, constant) coordinates and blends them with constant
weights, so the result is differentiable in the images.

Example:
    >>> import numpy as np
    >>> from numdeep.ops import image
    >>> x = np.arange(4.0).reshape(2, 2)
    >>> image.map_coordinates(x, [[0.5], [0.5]], order=1).numpy()
    array([1.5])
"""

import itertools

import numpy as np

from numdeep.autograd.primitives import Add, GetItem, Mul
from numdeep.backend import (
    make_rng,
    standardize_data_format,
    standardize_dtype,
    to_numpy,
    xp_of,
)
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, convert_to_tensor, to_dtype

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")
MAP_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fold(index, size, fill_mode):
    """Integer positions folded into ``[0, size)`` by ``fill_mode`` (``constant`` leaves them)."""
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1)
    if fill_mode == "wrap":
        return np.mod(index, size)
    if fill_mode == "mirror":  # (d c b | a b c d | c b a)
        if size == 1:
            return np.zeros_like(index)
        period = 2 * (size - 1)
        index = np.mod(index, period)
        return np.where(index >= size, period - index, index)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2 * size
        index = np.mod(index, period)
        return np.where(index >= size, period - 1 - index, index)
    return index


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """``inputs`` sampled at ``coordinates`` (one row of positions per input axis), with
    nearest (``order=0``) or linear (``order=1``) interpolation; positions outside follow
    ``fill_mode`` ('constant' uses ``fill_value``; 'nearest', 'wrap', 'mirror', 'reflect' as in
    SciPy)."""
    x = convert_to_tensor(inputs)
    coords = to_numpy(_data(coordinates)).astype(np.float64)
    if coords.ndim < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input "
                         f"with shape: {coords.shape}")
    if coords.shape[0] != x.ndim:
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of "
                         f"`inputs`. Received inputs with shape: {x.shape} and coordinate "
                         f"leading dim of {coords.shape[0]}")
    if fill_mode not in MAP_FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of "
                         f"{set(MAP_FILL_MODES)}. Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. "
                         f"Received: order={order}")
    dtype = x.dtype
    work = to_dtype(x, result_type(standardize_dtype(dtype), "float32")) if dtype.kind != "f" \
        else x
    if order == 0:
        # Round half away from zero at .5 like SciPy's spline of order 0.
        corners = [[(np.floor(c + 0.5), np.ones_like(c))] for c in coords]
    else:
        corners = [[(np.floor(c), 1 - (c - np.floor(c))), (np.floor(c) + 1, c - np.floor(c))]
                   for c in coords]
    out, outside = None, np.zeros(coords.shape[1:])
    for combo in itertools.product(*corners):
        weight = np.prod([w for _, w in combo], axis=0)
        inside = np.ones(coords.shape[1:], dtype=bool)
        index = []
        for (pos, _), size in zip(combo, x.shape):
            pos = pos.astype(np.int64)
            if fill_mode == "constant":
                inside &= (pos >= 0) & (pos < size)
            index.append(np.clip(_fold(pos, size, fill_mode), 0, size - 1))
        if fill_mode == "constant":
            outside += weight * ~inside
            weight = weight * inside
        term = Mul.apply(GetItem.apply(work, index=tuple(index)), weight.astype(work.dtype))
        out = term if out is None else Add.apply(out, term)
    if fill_mode == "constant" and fill_value:
        out = Add.apply(out, (outside * fill_value).astype(work.dtype))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        rounded = np.clip(np.round(to_numpy(out.data)), info.min, info.max)
        return convert_to_tensor(rounded.astype(dtype))
    return to_dtype(out, dtype)


def _batched(images, data_format):
    x = convert_to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images). Received input with shape: images.shape={x.shape}")
    single = x.ndim == 3
    if single:
        x = x.reshape((1,) + x.shape)
    first = standardize_data_format(data_format) == "channels_first"
    if first:
        x = x.transpose((0, 2, 3, 1))
    return x, single, first


def _unbatched(x, single, first):
    if first:
        x = x.transpose((0, 3, 1, 2))
    return x.reshape(x.shape[1:]) if single else x


def _projective_sample(x, transforms, interpolation, fill_mode, fill_value):
    """Each output pixel ``(x, y)`` of image ``b`` reads input ``((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1`` (Keras's 8-vector convention)."""
    n, h, w, c = x.shape
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    outs = []
    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = transforms[b]
        k = c0 * xs + c1 * ys + 1.0
        src_x, src_y = (a0 * xs + a1 * ys + a2) / k, (b0 * xs + b1 * ys + b2) / k
        coords = np.stack([np.broadcast_to(src_y[..., None], (h, w, c)),
                           np.broadcast_to(src_x[..., None], (h, w, c)),
                           np.broadcast_to(np.arange(c, dtype=np.float64), (h, w, c))])
        outs.append(map_coordinates(x[b], coords, 0 if interpolation == "nearest" else 1,
                                    fill_mode, fill_value))
    from numdeep.ops.numpy_join import stack

    return stack(outs)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Apply projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one, or one per image)
    mapping output pixels to the input points they read (see ``_projective_sample``)."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{set(INTERPOLATIONS)}. Received: interpolation={interpolation}")
    if fill_mode not in MAP_FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one "
                         f"{set(MAP_FILL_MODES)}. Received: fill_mode={fill_mode}")
    t = to_numpy(_data(transform)).astype(np.float64)
    if t.ndim not in (1, 2):
        raise ValueError(f"Invalid transform rank: expected rank 1 (single transform) or rank 2 "
                         f"(batch of transforms). Received input with shape: "
                         f"transform.shape={t.shape}")
    x, single, first = _batched(images, data_format)
    t = np.broadcast_to(t.reshape(-1, 8), (x.shape[0], 8))
    out = _projective_sample(x, t, interpolation, fill_mode, fill_value)
    return _unbatched(out, single, first)


def _homography(start, end):
    """The 8 coefficients mapping each ``end`` point to its ``start`` point."""
    rows, rhs = [], []
    for (xs, ys), (xe, ye) in zip(start, end):
        rows.append([xe, ye, 1, 0, 0, 0, -xe * xs, -ye * xs])
        rows.append([0, 0, 0, xe, ye, 1, -xe * ys, -ye * ys])
        rhs += [xs, ys]
    return np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp images so the four ``start_points`` (``(x, y)`` corners, per image or shared) land
    on ``end_points``; uncovered pixels get ``fill_value``."""
    x, single, first = _batched(images, data_format)
    start = to_numpy(_data(start_points)).astype(np.float64)
    end = to_numpy(_data(end_points)).astype(np.float64)
    if start.shape[-2:] != (4, 2) or end.shape[-2:] != (4, 2) or start.ndim not in (2, 3):
        raise ValueError(f"Invalid start_points shape: expected (4, 2) for a single image or "
                         f"(N, 4, 2) for a batch. Received shapes: start_points.shape="
                         f"{start.shape}, end_points.shape={end.shape}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{set(INTERPOLATIONS)}. Received: interpolation={interpolation}")
    start = np.broadcast_to(start.reshape(-1, 4, 2), (x.shape[0], 4, 2))
    end = np.broadcast_to(end.reshape(-1, 4, 2), (x.shape[0], 4, 2))
    t = np.stack([_homography(s, e) for s, e in zip(start, end)])
    out = _projective_sample(x, t, interpolation, "constant", fill_value)
    return _unbatched(out, single, first)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace each pixel by a random field (uniform noise in ``[-1, 1]`` smoothed by a
    Gaussian of ``sigma``, scaled by ``alpha``) and resample."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{set(INTERPOLATIONS)}. Received: interpolation={interpolation}")
    if fill_mode not in MAP_FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one "
                         f"{set(MAP_FILL_MODES)}. Received: fill_mode={fill_mode}")
    x, single, first = _batched(images, data_format)
    n, h, w, c = x.shape
    rng = make_rng(seed)
    size = int(2 * np.ceil(3 * sigma) + 1)
    fields = rng.uniform(-1.0, 1.0, (n, h, w, 2))
    t = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    # The field is noise, not data: smooth it with NumPy (separable, zero padding).
    for axis in (1, 2):
        fields = np.apply_along_axis(
            lambda v: np.convolve(v, kernel)[(size - 1) // 2:(size - 1) // 2 + len(v)], axis,
            fields)
    smooth = fields * alpha
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    outs = []
    for b in range(n):
        coords = np.stack([np.broadcast_to((ys + smooth[b, ..., 0])[..., None], (h, w, c)),
                           np.broadcast_to((xs + smooth[b, ..., 1])[..., None], (h, w, c)),
                           np.broadcast_to(np.arange(c, dtype=np.float64), (h, w, c))])
        outs.append(map_coordinates(x[b], coords, 0 if interpolation == "nearest" else 1,
                                    fill_mode, fill_value))
    from numdeep.ops.numpy_join import stack

    return _unbatched(stack(outs), single, first)


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


def _same_as_images(images, start_points=None, end_points=None, *args, **kwargs):
    from numdeep.ops.symbolic import KerasTensor

    if len(images.shape) not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch "
                         f"of images). Received input with shape: images.shape={images.shape}")
    for name, points in (("start_points", start_points), ("end_points", end_points)):
        shape = tuple(np.shape(points)) if not isinstance(points, KerasTensor) else points.shape
        if len(shape) not in (2, 3) or shape[-2:] != (4, 2):
            raise ValueError(f"Invalid {name} shape: expected (4, 2) for a single image or "
                             f"(N, 4, 2) for a batch. Received shape: {shape}")
    return KerasTensor(images.shape, dtype=images.dtype)


perspective_transform.symbolic_spec = _same_as_images
