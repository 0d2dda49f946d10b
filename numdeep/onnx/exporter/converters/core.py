"""Dense and einsum layers, embeddings, the layers that vanish at inference (dropout, noise,
augmentation, activity regularization), masking, rescaling and feature normalization."""

import numpy as np

from numdeep.autograd import data_of
from numdeep.layers.core import Dense, Identity, Masking
from numdeep.layers.einsum_dense import EinsumDense
from numdeep.layers.embedding import Embedding
from numdeep.layers.preprocessing.augmentation import BaseAugmentation, RandomFlip
from numdeep.layers.preprocessing.color import RandomBrightness, RandomContrast, Solarization
from numdeep.layers.preprocessing.color_effects import (
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
)
from numdeep.layers.preprocessing.equalization import Equalization
from numdeep.layers.preprocessing.normalization import Normalization
from numdeep.layers.preprocessing.rescaling import Rescaling
from numdeep.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
)
from numdeep.onnx.exporter.context import Value, converts
from numdeep.onnx.exporter.converters.activations import apply_activation

ONNX_FLOAT, ONNX_INT64, ONNX_BOOL = 1, 7, 9


def weight(v, dtype=np.float32):
    """A weight (Variable, Tensor or array) as a NumPy array of ``dtype``."""
    return np.asarray(data_of(v), dtype=dtype)


def onnx_dtype(dtype):
    from numdeep.onnx._deps import require_onnx

    return require_onnx().helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


@converts(Dense)
def _dense(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    name = ctx.value(x)
    if x.dtype != layer.dtype:
        name = b.node("Cast", [name], to=onnx_dtype(layer.dtype))
    kernel = weight(layer.kernel, layer.dtype)
    bias = weight(layer.bias, layer.dtype) if layer.bias is not None else None
    if len(x.shape) == 2 and bias is not None:
        y = b.node("Gemm", [name, b.const(kernel, f"{layer.name}_kernel"),
                            b.const(bias, f"{layer.name}_bias")], name=layer.name)
    else:
        y = b.matmul_add(name, kernel, bias, name=layer.name)
    return [apply_activation(ctx, Value(y), layer.activation, len(x.shape))]


@converts(EinsumDense)
def _einsum_dense(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    equation = layer.equation.replace(" ", "")
    y = b.node("Einsum", [ctx.value(x), b.const(weight(layer.kernel), f"{layer.name}_kernel")],
               name=layer.name, equation=equation)
    if layer.bias is not None:
        y = b.node("Add", [y, b.const(weight(layer.bias), f"{layer.name}_bias")])
    return [apply_activation(ctx, Value(y), layer.activation, len(node.output_tensors[0].shape))]


def _identity(ctx, layer, node):
    return [ctx.physical(node.call_args[0])]


converts(Dropout, GaussianNoise, GaussianDropout, ActivityRegularization, Identity,
         BaseAugmentation, RandomFlip, RandomContrast, RandomBrightness, RandomInvert,
         RandomGrayscale, RandomColorDegeneration, RandomPosterization, Equalization,
         Solarization)(_identity)


@converts(Embedding)
def _embedding(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    ids = ctx.value(x)
    if np.dtype(x.dtype) not in (np.int32, np.int64):
        ids = b.node("Cast", [ids], to=ONNX_INT64)
    table = b.const(weight(layer.embeddings, layer.dtype), f"{layer.name}_embeddings")
    out = b.node("Gather", [table, ids], name=layer.name, axis=0)
    if layer.mask_zero:
        zero = b.const(np.zeros((), np.dtype(x.dtype) if x.dtype != "bool" else np.int64))
        ctx.set_mask(node.output_tensors[0], b.node("Not", [b.node("Equal", [ctx.value(x),
                                                                               zero])]))
    return [out]


_embedding.handles_mask = True


@converts(Masking)
def _masking(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    name = ctx.value(x)
    differs = b.node("Not", [b.node("Equal", [name, b.scalar(layer.mask_value,
                                                             np.dtype(x.dtype))])])
    keep = b.reduce("ReduceMax", b.node("Cast", [differs], to=ONNX_FLOAT), [-1],
                    keepdims=False)
    mask = b.node("Cast", [keep], to=ONNX_BOOL, name="mask")
    ctx.set_mask(node.output_tensors[0], mask)
    keep_b = b.unsqueeze(keep, [-1])
    if x.dtype != "float32":
        keep_b = b.node("Cast", [keep_b], to=onnx_dtype(x.dtype))
    return [b.node("Mul", [name, keep_b], name=layer.name)]


_masking.handles_mask = True


@converts(Rescaling)
def _rescaling(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    name = ctx.value(x)
    dtype = np.dtype(layer.dtype)
    if np.dtype(x.dtype) != dtype:
        name = b.node("Cast", [name], to=onnx_dtype(dtype))
    y = b.node("Mul", [name, b.const(np.asarray(layer.scale, dtype), "scale")])
    return [b.node("Add", [y, b.const(np.asarray(layer.offset, dtype), "offset")],
                   name=layer.name)]


@converts(Normalization)
def _normalization(ctx, layer, node):
    x = node.call_args[0]
    b = ctx.b
    name = ctx.value(x)
    if x.dtype != layer.dtype:
        name = b.node("Cast", [name], to=onnx_dtype(layer.dtype))
    mean = np.asarray(layer._broadcast(layer.mean), np.float32)
    std = np.maximum(np.sqrt(np.asarray(layer._broadcast(layer.variance))), 1e-7)
    std = std.astype(np.float32)
    if layer.invert:
        y = b.node("Mul", [name, b.const(std, "std")])
        return [b.node("Add", [y, b.const(mean, "mean")], name=layer.name)]
    y = b.node("Sub", [name, b.const(mean, "mean")])
    return [b.node("Mul", [y, b.const((1.0 / std).astype(np.float32), "inv_std")],
                   name=layer.name)]
