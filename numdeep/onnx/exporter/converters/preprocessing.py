"""Preprocessing layers that belong in a served model. ``Resizing`` (ONNX ``Resize`` on the two
image axes, half-pixel centres as numdeep computes them; bilinear or nearest, without
antialiasing), ``CenterCrop`` (a slice, for images at least as large as the crop), ``RandomCrop``
at inference (the centred window of the target's aspect ratio, resized) and ``AutoContrast``
(per image and channel, the lowest value to the range's low end, the highest to its high end)
keep whatever layout the value already has. ``CategoryEncoding`` and ``Discretization`` compare
against the categories (one-hot), summed over the sample axis for multi-hot and counts. (The
other augmentation layers are the identity at inference: ``converters.core``.)"""

import numpy as np

from numdeep.layers.preprocessing.augmentation import RandomCrop
from numdeep.layers.preprocessing.category_encoding import CategoryEncoding
from numdeep.layers.preprocessing.color import AutoContrast
from numdeep.layers.preprocessing.discretization import Discretization
from numdeep.layers.preprocessing.image_resizing import CenterCrop, Resizing
from numdeep.onnx.exporter.context import Value, converts
from numdeep.onnx.exporter.converters.core import ONNX_INT64, onnx_dtype

# numdeep interpolation -> ONNX Resize attributes (half-pixel centres; nearest rounds halves up)
_MODES = {"bilinear": {"mode": "linear"},
          "nearest": {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}}


def _image_axes(ctx, layer, x):
    """The value of ``x`` and the physical positions of its height and width axes."""
    if len(x.shape) != 4:
        ctx.fail(f"only batches of images (rank 4) are exported; received shape {x.shape}.")
    hw = (2, 3) if layer.data_format == "channels_first" else (1, 2)
    v = ctx.physical(x)
    return v, [a if v.perm is None else v.perm.index(a) for a in hw]


@converts(Resizing)
def _resizing(ctx, layer, node):
    x = node.call_args[0]
    if layer.interpolation not in _MODES or layer.crop_to_aspect_ratio or \
            layer.pad_to_aspect_ratio or layer.antialias:
        # ONNX's antialiased Resize weighs the source pixels differently from numdeep's.
        ctx.fail(f"only bilinear and nearest resizing without crop_to_aspect_ratio, "
                 f"pad_to_aspect_ratio or antialias is exported; this one has interpolation="
                 f"{layer.interpolation!r}, crop_to_aspect_ratio={layer.crop_to_aspect_ratio},"
                 f" pad_to_aspect_ratio={layer.pad_to_aspect_ratio}, "
                 f"antialias={layer.antialias}.")
    if ctx.b.opset < 18:
        ctx.fail(f"Resizing needs opset_version >= 18 (Resize on chosen axes); received "
                 f"{ctx.b.opset}.")
    v, axes = _image_axes(ctx, layer, x)
    return [Value(_resize(ctx, v.name, axes, layer, layer.interpolation), v.perm)]


def _resize(ctx, name, axes, layer, interpolation):
    sizes = ctx.b.ints([layer.height, layer.width], "sizes")
    return ctx.b.node("Resize", [name, "", "", sizes], name=layer.name, axes=axes,
                      coordinate_transformation_mode="half_pixel", **_MODES[interpolation])


@converts(CenterCrop)
def _center_crop(ctx, layer, node):
    x = node.call_args[0]
    v, axes = _image_axes(ctx, layer, x)
    hw = (2, 3) if layer.data_format == "channels_first" else (1, 2)
    in_h, in_w = (x.shape[a] for a in hw)
    if in_h is None or in_w is None or in_h < layer.height or in_w < layer.width:
        ctx.fail(f"only crops of images of known size at least ({layer.height}, "
                 f"{layer.width}) are exported (smaller ones are resized up); received "
                 f"shape {x.shape}.")
    top, left = (in_h - layer.height) // 2, (in_w - layer.width) // 2
    starts = np.array([top, left])
    out = ctx.b.slice(v.name, starts.tolist(), (starts + [layer.height, layer.width]).tolist(),
                      axes, name=layer.name)
    return [Value(out, v.perm)]


@converts(RandomCrop)
def _random_crop(ctx, layer, node):
    x = node.call_args[0]
    v, axes = _image_axes(ctx, layer, x)
    hw = (2, 3) if layer.data_format == "channels_first" else (1, 2)
    in_h, in_w = (x.shape[a] for a in hw)
    if in_h is None or in_w is None:
        ctx.fail(f"only crops of images of known size are exported; received shape {x.shape}.")
    # Inference: the largest centred window with the target's aspect ratio, resized.
    crop_h = max(min(in_h, int(in_w * layer.height / layer.width)), 1)
    crop_w = max(min(in_w, int(in_h * layer.width / layer.height)), 1)
    top, left = (in_h - crop_h) // 2, (in_w - crop_w) // 2
    out = ctx.b.slice(v.name, [top, left], [top + crop_h, left + crop_w], axes)
    if (crop_h, crop_w) != (layer.height, layer.width):
        if ctx.b.opset < 18:
            ctx.fail(f"RandomCrop resizes its window, which needs opset_version >= 18; "
                     f"received {ctx.b.opset}.")
        out = _resize(ctx, out, axes, layer, "bilinear")
    return [Value(out, v.perm)]


def _encode(ctx, layer, indices, shape, mode, depth, dtype):
    """numdeep's ``categorical.encode`` of int64 ``indices`` of ``shape`` (batch first)."""
    b = ctx.b
    if mode == "int":
        return b.node("Cast", [indices], to=onnx_dtype(dtype), name=layer.name)
    if mode == "one_hot" and len(shape) > 1 and shape[-1] == 1:
        indices = b.squeeze(indices, [len(shape) - 1])
    elif mode != "one_hot" and len(shape) != 2:
        ctx.fail(f"{mode!r} encoding is exported for (batch, samples) inputs; received shape "
                 f"{shape}.")
    # Indices outside [0, depth) match no category, so they vanish as numdeep drops them.
    categories = b.const(np.arange(depth, dtype=np.int64), "categories")
    hot = b.node("Cast", [b.node("Equal", [b.unsqueeze(indices, [-1]), categories])],
                 to=onnx_dtype(dtype))
    if mode == "one_hot":
        return hot
    counts = b.reduce("ReduceSum", hot, [1], keepdims=False)
    if mode == "count":
        return counts
    if mode != "multi_hot":
        ctx.fail(f"output_mode={mode!r} is not exported.")
    return b.node("Cast", [b.node("Greater", [counts, b.scalar(0.0, np.dtype(dtype))])],
                  to=onnx_dtype(dtype), name=layer.name)


@converts(CategoryEncoding)
def _category_encoding(ctx, layer, node):
    x = node.call_args[0]
    if node.call_kwargs.get("count_weights") is not None or len(node.call_args) > 1:
        ctx.fail("count_weights are not exported.")
    ids = ctx.b.node("Cast", [ctx.value(x)], to=ONNX_INT64)
    return [_encode(ctx, layer, ids, tuple(x.shape), layer.output_mode, layer.num_tokens,
                    layer.dtype)]


@converts(Discretization)
def _discretization(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    if layer.bin_boundaries is None:
        ctx.fail("the layer has no bin_boundaries yet (adapt it first).")
    # np.digitize: the number of boundaries at or below each value.
    bounds = b.const(np.asarray(layer.bin_boundaries, np.dtype(x.dtype)), "bin_boundaries")
    above = b.node("Cast", [b.node("GreaterOrEqual", [b.unsqueeze(ctx.value(x), [-1]), bounds])],
                   to=ONNX_INT64)
    indices = b.reduce("ReduceSum", above, [-1], keepdims=False)
    return [_encode(ctx, layer, indices, tuple(x.shape), layer.output_mode,
                    len(layer.bin_boundaries) + 1, layer.output_dtype)]


@converts(AutoContrast)
def _auto_contrast(ctx, layer, node):
    x = node.call_args[0]
    v, axes = _image_axes(ctx, layer, x)
    b = ctx.b
    images = v.name
    if np.dtype(x.dtype) != np.dtype(layer.dtype):
        images = b.node("Cast", [images], to=onnx_dtype(layer.dtype))
    low = b.reduce("ReduceMin", images, axes)
    span = b.node("Sub", [b.reduce("ReduceMax", images, axes), low])
    # A constant (or NaN) channel keeps its values, as numdeep's layer does.
    flat = b.node("Not", [b.node("Greater", [span, b.scalar(0.0)])])
    lo, hi = (float(r) for r in layer.value_range)
    scale = b.node("Div", [b.scalar(hi - lo), b.node("Where", [flat, b.scalar(1.0), span])])
    stretched = b.node("Add", [b.node("Mul", [b.node("Sub", [images, low]), scale]),
                               b.scalar(lo)])
    clipped = b.node("Clip", [stretched, b.scalar(lo), b.scalar(hi)])
    return [Value(b.node("Where", [flat, images, clipped], name=layer.name), v.perm)]
