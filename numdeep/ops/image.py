"""Image functions (``keras.ops.image``) on channels-last (or ``data_format='channels_first'``)
images, single (rank 3) or batched (rank 4): color conversions, resizing, padding and cropping,
patches, filters and SSIM; geometric sampling lives in ``image_geometry`` and is re-exported.

Resizing multiplies each image axis by a resampling matrix, and filters are sums of shifted
slices, so everything here is differentiable in the images; coordinate arithmetic runs on plain
arrays.

Example:
    >>> import numpy as np
    >>> from numdeep.ops import image
    >>> image.resize(np.ones((1, 4, 4, 3), "float32"), (2, 6)).shape
    (1, 2, 6, 3)
"""

import numpy as np

from numdeep.autograd.primitives import Add, Clip, GetItem, MatMul, Maximum, Minimum, Mul, Sub
from numdeep.backend import standardize_data_format, standardize_dtype, to_numpy, xp_of
from numdeep.backend.promotion import result_type
from numdeep.ops.core import _data, convert_to_tensor, to_dtype
from numdeep.ops.image_geometry import (  # noqa: F401 - re-exported
    FILL_MODES,
    INTERPOLATIONS,
    affine_sample,
    affine_transform,
    elastic_transform,
    map_coordinates,
    perspective_transform,
)
from numdeep.ops.image_patches import (  # noqa: F401 - re-exported
    crop_images,
    extract_patches,
    extract_patches_3d,
    pad_images,
)

__all__ = [
    "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "resize", "affine_transform",
    "perspective_transform", "map_coordinates", "elastic_transform", "pad_images", "crop_images",
    "extract_patches", "extract_patches_3d", "gaussian_blur", "sobel_edges",
    "scale_and_translate", "ssim",
]
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _keys_cubic(d):
    # Keys's cubic convolution with a = -0.5 (TF's and JAX's "bicubic").
    return xp_of(d).where(d <= 1, (1.5 * d - 2.5) * d * d + 1,
                          ((-0.5 * d + 2.5) * d - 4) * d + 2)


def _lanczos(a):
    return lambda d: xp_of(d).sinc(d) * xp_of(d).sinc(d / a)


def _triangle(d):
    return xp_of(d).maximum(0.0, 1.0 - d)


# kernel, support (half-width in input pixels)
_KERNELS = {"bicubic": (_keys_cubic, 2.0), "lanczos3": (_lanczos(3), 3.0),
            "lanczos5": (_lanczos(5), 5.0), "bilinear": (_triangle, 1.0)}


def resize_matrix(xp, n_in, n_out, dtype, interpolation="bilinear", antialias=False):
    """``(n_out, n_in)`` matrix resampling one axis with half-pixel centers (TF2 ``resize``);
    the kernel interpolations weight the input pixels within their support, renormalized to
    sum to one at the borders (as JAX's ``scale_and_translate``). With ``antialias`` a
    downsampling kernel is stretched by the size ratio, so it averages what it skips."""
    src = (xp.arange(n_out, dtype="float64") + 0.5) * (n_in / n_out) - 0.5
    stretch = n_in / n_out if antialias and n_out < n_in else 1.0
    if interpolation == "area":
        interpolation, stretch = "bilinear", max(n_in / n_out, 1.0)
    if interpolation in _KERNELS and (interpolation != "bilinear" or stretch > 1):
        kernel, support = _KERNELS[interpolation]
        dist = xp.abs(src[:, None] - xp.arange(n_in, dtype="float64")[None, :]) / stretch
        w = xp.where(dist < support, kernel(dist), 0.0)
        total = w.sum(axis=1, keepdims=True)
        return (w / xp.where(total == 0, 1.0, total)).astype(dtype)
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


def _batch(images, data_format):
    x = convert_to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images). Received input with shape: images.shape={x.shape}")
    single = x.ndim == 3
    if single:
        x = x.reshape((1,) + x.shape)
    first = standardize_data_format(data_format) == "channels_first"
    return (x.transpose((0, 2, 3, 1)) if first else x), single, first


def _unbatch(x, single, first):
    if first:
        x = x.transpose((0, 3, 1, 2))
    return x.reshape(x.shape[1:]) if single else x


def _resample(x, height, width, interpolation, antialias=False):
    """Resize an ``(N, H, W, C)`` float Tensor with two matrix products."""
    xp = xp_of(x.data)
    n, h, w, c = x.shape
    if h != height or interpolation != "nearest" and antialias:
        a = resize_matrix(xp, h, height, x.dtype, interpolation, antialias)
        x = MatMul.apply(a, x.reshape((n, h, w * c))).reshape((n, height, w, c))
    if w != width or interpolation != "nearest" and antialias:
        b = resize_matrix(xp, w, width, x.dtype, interpolation, antialias)
        x = MatMul.apply(x.transpose((0, 1, 3, 2)), b.T).transpose((0, 1, 3, 2))
    return x


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size = (height, width)``.

    Args:
        images: ``(H, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
        size: the output height and width.
        interpolation: 'bilinear', 'nearest', 'bicubic', 'lanczos3', 'lanczos5' or 'area'.
        antialias: stretch the kernel when downsampling (averages the skipped pixels).
        crop_to_aspect_ratio: first crop the largest centred window of the target aspect ratio.
        pad_to_aspect_ratio: first pad (with ``fill_value``) to the target aspect ratio.
        fill_mode: only 'constant'.
        fill_value: the padding value.
        data_format: 'channels_last' or 'channels_first' (default from the config).

    Returns:
        The resized images; integer images are rounded and clipped to their dtype's range.
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one "
                         f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is "
                         f"supported. Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                         "`True`.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). "
                         f"Received: size={size}")
    height, width = (int(s) for s in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    x, single, first = _batch(images, data_format)
    dtype = x.dtype
    x = to_dtype(x, result_type(standardize_dtype(dtype), "float32")) if dtype.kind != "f" else x
    _, h, w, _ = x.shape
    if crop_to_aspect_ratio:
        ch = max(min(h, int(w * height / width)), 1)
        cw = max(min(w, int(h * width / height)), 1)
        top, left = (h - ch) // 2, (w - cw) // 2
        x = GetItem.apply(x, index=(slice(None), slice(top, top + ch), slice(left, left + cw)))
    elif pad_to_aspect_ratio:
        ph = max(h, int(w * height / width))
        pw = max(w, int(h * width / height))
        top, left = (ph - h) // 2, (pw - w) // 2
        from numdeep.ops.numpy_shape import pad

        x = pad(x, [(0, 0), (top, ph - h - top), (left, pw - w - left), (0, 0)],
                constant_values=fill_value)
    out = _resample(x, height, width, interpolation, antialias)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        data = np.clip(np.round(to_numpy(out.data)), info.min, info.max).astype(dtype)
        out = convert_to_tensor(data)
    return _unbatch(out, single, first)


def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` as a single channel (one-channel images pass)."""
    x, single, first = _batch(images, data_format)
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received "
                         f"input with shape: images.shape={convert_to_tensor(images).shape}")
    if x.shape[-1] == 1:
        return _unbatch(x, single, first)
    dtype = x.dtype
    x = to_dtype(x, result_type(standardize_dtype(dtype), float))
    weights = np.array([[0.2989], [0.5870], [0.1140]], dtype=x.dtype)
    return _unbatch(to_dtype(MatMul.apply(x, weights), dtype), single, first)


def _channels(x):
    return [GetItem.apply(x, index=(Ellipsis, slice(i, i + 1))) for i in range(3)]


def _float_images(images, data_format):
    x, single, first = _batch(images, data_format)
    if x.dtype.kind != "f":
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: "
                         f"images.dtype={standardize_dtype(x.dtype)}")
    if x.shape[-1] != 3:
        raise ValueError(f"Input images must have 3 channels, but received images with "
                         f"{x.shape[-1]} channels.")
    return x, single, first


def rgb_to_hsv(images, data_format=None):
    """RGB in ``[0, 1]`` to hue, saturation and value in ``[0, 1]`` (float images)."""
    from numdeep.ops.numpy_join import concatenate

    x, single, first = _float_images(images, data_format)
    eps = np.finfo(x.dtype).eps
    x = Mul.apply(x, (np.abs(x.data) >= eps).astype(x.dtype))
    r, g, b = _channels(x)
    value = Maximum.apply(Maximum.apply(r, g), b)
    span = Sub.apply(value, Minimum.apply(Minimum.apply(r, g), b))
    sd, vd = span.data, value.data
    from numdeep.autograd.primitives import Div, Where

    saturation = Where.apply(vd > 0, Div.apply(span, Where.apply(vd > 0, value, 1.0)), 0.0)
    sixth_span = Mul.apply(Where.apply(sd > 0, span, 1.0), 6.0)
    hue_r = Div.apply(Sub.apply(g, b), sixth_span)
    hue_g = Add.apply(Div.apply(Sub.apply(b, r), sixth_span), x.dtype.type(2 / 6))
    hue_b = Add.apply(Div.apply(Sub.apply(r, g), sixth_span), x.dtype.type(4 / 6))
    hue = Where.apply(vd == r.data, hue_r, Where.apply(vd == g.data, hue_g, hue_b))
    hue = Where.apply(sd > 0, hue, 0.0)
    hue = Add.apply(hue, (hue.data < 0).astype(x.dtype))
    return _unbatch(concatenate([hue, saturation, value], axis=-1), single, first)


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation and value in ``[0, 1]`` to RGB (float images)."""
    from numdeep.ops.numpy_join import concatenate

    x, single, first = _float_images(images, data_format)
    h, s, v = _channels(x)
    dh = Mul.apply(Sub.apply(h, np.floor(h.data)), x.dtype.type(6))

    def ramp(center, sign):
        d = Sub.apply(dh, x.dtype.type(center))
        d = Mul.apply(d, np.sign(d.data))  # |dh - center|
        return Clip.apply(Sub.apply(d, 1.0) if sign > 0 else Sub.apply(2.0, d), lo=0.0, hi=1.0)

    one_minus_s = Sub.apply(1.0, s)
    planes = [Mul.apply(v, Add.apply(one_minus_s, Mul.apply(s, ramp(c, sign))))
              for c, sign in ((3.0, 1), (2.0, -1), (4.0, -1))]
    return _unbatch(concatenate(planes, axis=-1), single, first)


def _depthwise(x, kernel):
    """Same-size 2-D correlation of ``(N, H, W, C)`` with one ``(kh, kw)`` kernel per channel
    (zero padding), as a sum of shifted slices."""
    from numdeep.ops.numpy_shape import pad

    kh, kw = kernel.shape[:2]
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = pad(x, [(0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)])
    _, h, w, _ = x.shape
    out = None
    for i in range(kh):
        for j in range(kw):
            window = GetItem.apply(padded, index=(slice(None), slice(i, i + h),
                                                  slice(j, j + w)))
            term = Mul.apply(window, kernel[i, j].astype(x.dtype))
            out = term if out is None else Add.apply(out, term)
    return out


def _gaussian_1d(size, sigma):
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur with a ``kernel_size`` Gaussian of standard deviations ``sigma`` (zero padding)."""
    x, single, first = _batch(images, data_format)
    dtype = x.dtype
    x = to_dtype(x, result_type(standardize_dtype(dtype), "float32"))
    ks = [int(k) for k in to_numpy(_data(kernel_size)).reshape(-1)]
    sg = [float(s) for s in to_numpy(_data(sigma)).reshape(-1)]
    kernel = np.outer(_gaussian_1d(ks[1], sg[1]), _gaussian_1d(ks[0], sg[0]))
    kernel = np.broadcast_to(kernel[..., None], kernel.shape + (x.shape[-1],))
    return _unbatch(to_dtype(_depthwise(x, kernel), dtype), single, first)


def sobel_edges(images, data_format=None):
    """Sobel gradients: ``(..., C, 2)`` with the vertical (dy) then horizontal (dx) response
    per channel (zero padding)."""
    from numdeep.ops.numpy_join import stack

    x, single, first = _batch(images, data_format)
    dtype = x.dtype
    x = to_dtype(x, result_type(standardize_dtype(dtype), "float32"))
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)
    c = x.shape[-1]
    dy = _depthwise(x, np.broadcast_to(ky[..., None], (3, 3, c)))
    dx = _depthwise(x, np.broadcast_to(ky.T[..., None], (3, 3, c)))
    out = stack([dy, dx], axis=-1)
    if first:
        out = out.transpose((0, 3, 1, 2, 4))
    return to_dtype(out.reshape(out.shape[1:]) if single else out, dtype)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """JAX's ``scale_and_translate``: resample the ``spatial_dims`` of ``images`` so input
    position ``p`` lands at ``p * scale + translation`` (pixel centres at half-integers), with a
    'linear', 'cubic', 'lanczos3' or 'lanczos5' kernel (stretched when downsampling with
    ``antialias``)."""
    kinds = {"linear": "bilinear", "bilinear": "bilinear", "trilinear": "bilinear",
             "cubic": "bicubic", "bicubic": "bicubic", "tricubic": "bicubic",
             "lanczos3": "lanczos3", "lanczos5": "lanczos5"}
    if method not in kinds:
        raise ValueError(f"Invalid value for argument `method`. Expected one of "
                         f"{set(kinds)}. Received: method={method}")
    kernel, support = _KERNELS[kinds[method]]
    x = convert_to_tensor(images)
    dtype = x.dtype
    x = to_dtype(x, result_type(standardize_dtype(dtype), "float32"))
    scales = to_numpy(_data(scale)).astype(np.float64).reshape(-1)
    shifts = to_numpy(_data(translation)).astype(np.float64).reshape(-1)
    for k, dim in enumerate(spatial_dims):
        n_in, n_out = x.shape[dim], int(output_shape[dim])
        s, t = scales[k], shifts[k]
        stretch = max(1.0 / s, 1.0) if antialias else 1.0
        centres = (np.arange(n_out) + 0.5 - t) / s - 0.5
        dist = np.abs(centres[:, None] - np.arange(n_in)[None, :]) / stretch
        w = np.where(dist < support, kernel(dist), 0.0)
        total = w.sum(axis=1, keepdims=True)
        w = np.where(np.abs(total) > 1000 * np.finfo(np.float32).eps, w / np.where(
            total == 0, 1, total), 0.0)
        moved = x.transpose(tuple(i for i in range(x.ndim) if i != dim) + (dim,))
        moved = MatMul.apply(moved, w.T.astype(x.dtype))
        order = list(range(x.ndim - 1))
        order.insert(dim, x.ndim - 1)
        x = moved.transpose(tuple(order))
    return to_dtype(x, dtype)


def ssim(images1, images2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False, data_format=None):
    """Structural similarity of two image batches with a Gaussian window (Wang et al., 2004),
    averaged over the valid window positions and channels (or the index map)."""
    a, single, first = _batch(images1, data_format)
    b, _, _ = _batch(images2, data_format)
    if a.shape != b.shape:
        raise ValueError(f"`images1` and `images2` must have the same shape. Received shapes "
                         f"{a.shape} and {b.shape}.")
    dtype = result_type(standardize_dtype(a.dtype), "float32")
    a, b = to_dtype(a, dtype), to_dtype(b, dtype)
    g = _gaussian_1d(filter_size, filter_sigma)
    window = np.outer(g, g)

    def blur(t):
        full = _depthwise(t, np.broadcast_to(window[..., None], window.shape + (t.shape[-1],)))
        lo = (filter_size - 1) // 2
        hi = filter_size - 1 - lo
        h, w = t.shape[1:3]
        return GetItem.apply(full, index=(slice(None), slice(lo, h - hi), slice(lo, w - hi)))

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu_a, mu_b = blur(a), blur(b)
    var_a = Sub.apply(blur(Mul.apply(a, a)), Mul.apply(mu_a, mu_a))
    var_b = Sub.apply(blur(Mul.apply(b, b)), Mul.apply(mu_b, mu_b))
    cov = Sub.apply(blur(Mul.apply(a, b)), Mul.apply(mu_a, mu_b))
    num = Mul.apply(Add.apply(Mul.apply(Mul.apply(mu_a, mu_b), 2.0), c1),
                    Add.apply(Mul.apply(cov, 2.0), c2))
    den = Mul.apply(Add.apply(Add.apply(Mul.apply(mu_a, mu_a), Mul.apply(mu_b, mu_b)), c1),
                    Add.apply(Add.apply(var_a, var_b), c2))
    from numdeep.ops.numpy_math import divide
    from numdeep.ops.numpy_reduce import mean

    index = divide(num, den)
    if return_index_map:
        return _unbatch(index, single, first)
    out = mean(index, axis=(1, 2, 3))
    return out.reshape(()) if single else out


