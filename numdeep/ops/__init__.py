"""``numdeep.ops``: the functional API (Keras's ``keras.ops`` names), differentiable on Tensors.

Split by family as ``keras.ops`` is: ``numpy`` (arithmetic, reductions, shapes, products,
creation; itself split by family), ``math`` (special functions, segment reductions, FFTs),
``nn`` (activations, softmax, cross-entropies, normalization, attention), ``linalg`` (inverse,
solves, decompositions, norms), ``convolution`` (convolution and pooling), ``core`` (conversion,
casting, scatter/slice, control flow), ``einops`` (``rearrange``) and ``image``
(``ops.image.resize``...). Each function wraps primitives of ``numdeep.autograd.primitives`` or
composes them, so none has its own backward.
Inputs may be Tensors, arrays, lists or Python scalars; Python scalars stay weakly typed, so
``multiply(x32, 2.0)`` stays float32.

Every function also accepts symbolic ``KerasTensor`` inputs (then it records a graph node), and
has a Keras-style op class (``ops.Add()(x, y)``, ``ops.Append(axis=1)(x, y)``).

Example:
    >>> import numdeep as nd
    >>> x = nd.Tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    >>> y = nd.ops.sum(nd.ops.relu(x) * 2.0)
    >>> y.backward()
    >>> x.grad
    array([[2., 0., 2.]], dtype=float32)
"""

from numdeep.ops import control_flow as _control_flow
from numdeep.ops import convolution as _convolution
from numdeep.ops import core as _core
from numdeep.ops import einops as _einops
from numdeep.ops import image as image
from numdeep.ops import linalg as _linalg
from numdeep.ops import math as _math
from numdeep.ops import nn as _nn
from numdeep.ops import numpy as _numpy
from numdeep.ops.control_flow import *  # noqa: F403
from numdeep.ops.control_flow import Cond as Cond
from numdeep.ops.convolution import *  # noqa: F403
from numdeep.ops.core import *  # noqa: F403
from numdeep.ops.einops import *  # noqa: F403
from numdeep.ops.linalg import *  # noqa: F403
from numdeep.ops.linalg import Qr as Qr
from numdeep.ops.math import *  # noqa: F403
from numdeep.ops.nn import *  # noqa: F403
from numdeep.ops.nn_losses import CTCLoss as CTCLoss
from numdeep.ops.numpy import *  # noqa: F403
from numdeep.ops.operation import Operation as Operation
from numdeep.ops.operation import is_symbolic_call, operation_class, symbolic_call
from numdeep.ops.symbolic import KerasTensor
from numdeep.ops.symbolic import compute_output_spec as compute_output_spec

__all__ = [*_core.__all__, *_control_flow.__all__, *_numpy.__all__, *_math.__all__,
           *_nn.__all__, *_linalg.__all__, *_convolution.__all__, *_einops.__all__]

# Keras's op classes whose name is not the CamelCase of their function's (None: no class, where
# Keras's class of that name belongs to another function), and the arguments their calls take
# where those are not the function's leading arguments without defaults (from Keras's classes).
_CLASS_NAMES = {
    "allclose": "AllClose", "isin": "IsIn", "searchsorted": "SearchSorted", "cdist": "CDist",
    "fft": "FFT", "fft2": "FFT2", "ifft2": "IFFT2", "rfft": "RFFT", "irfft": "IRFFT",
    "stft": "STFT", "istft": "ISTFT", "ctc_loss": "CTCLoss", "ctc_decode": "CTCDecode",
    "psnr": "PSNR", "layer_normalization": "LayerNorm", "rms_normalization": "RMSNorm",
    "svd": "SVD", "jvp": "JVP", "getitem": "GetItem", "get_item": None, "batch_norm": None,
    "batch_normalization": "BatchNorm",
}
_TENSOR_ARGS = {
    "cast": ("x",), "saturate_cast": ("x",), "slice": ("inputs", "start_indices"),
    "scatter": ("indices", "values"), "switch": ("index", "branches", "operands"),
    "while_loop": ("loop_vars",), "fori_loop": ("init_val",), "scan": ("f", "init", "xs"),
    "vectorized_map": ("elements",), "where": ("condition", "x1", "x2"),
    "isclose": ("x1", "x2", "rtol", "atol"), "average": ("x", "weights"),
    "argpartition": ("x",), "reshape": ("x",), "broadcast_to": ("x",), "expand_dims": ("x",),
    "moveaxis": ("x",), "swapaxes": ("x",), "roll": ("x",), "tile": ("x",), "repeat": ("x",),
    "pad": ("x", "constant_values"), "meshgrid": ("x",), "split": ("x",),
    "array_split": ("x",), "hsplit": ("x",), "vsplit": ("x",), "dsplit": ("x",),
    "getitem": ("x", "key"), "select": ("condlist", "choicelist", "default"),
    "unravel_index": ("indices",), "einsum": ("operands",), "full": ("fill_value",),
    "arange": ("start", "stop", "step"), "top_k": ("x",), "in_top_k": ("targets", "predictions"),
    "extract_sequences": ("x",), "stft": ("x",), "istft": ("x",), "threshold": ("x",),
    "psnr": ("x1", "x2"), "batch_normalization": ("x", "mean", "variance", "offset", "scale"),
    "layer_normalization": ("x", "gamma", "beta"), "moments": ("x",),
    "rms_normalization": ("x", "scale"),
    "dot_product_attention": ("query", "key", "value", "bias", "mask", "scale"),
    "one_hot": ("x",), "depth_to_space": ("x",), "space_to_depth": ("x",), "unfold": ("x",),
    "fold": ("x",), "max_pool": ("inputs",), "average_pool": ("inputs",),
    "adaptive_max_pool": ("inputs",), "adaptive_average_pool": ("inputs",),
}


# Functions that return facts about their argument (not tensors), or functions: they read
# symbolic tensors directly instead of recording a node.
_NOT_RECORDED = {"shape", "dtype", "is_tensor", "ndim", "shape_equal", "broadcast_shapes",
                 "vectorize", "custom_gradient", "convert_to_numpy"}


def _symbolic_aware(fn):
    """``fn`` that records a graph node when given symbolic tensors (``Input`` and what layers
    make of it), as Keras's ops do; concrete arguments go straight to ``fn``."""

    def op(*args, **kwargs):
        for a in args:
            if type(a) is KerasTensor or (type(a) in (list, tuple) and is_symbolic_call(a, {})):
                return symbolic_call(fn, args, kwargs)
        if kwargs and is_symbolic_call((), kwargs):
            return symbolic_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    op.__name__, op.__qualname__, op.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    op.__module__, op.__wrapped__ = fn.__module__, fn
    return op


_IMAGE_TENSOR_ARGS = {
    "map_coordinates": ("inputs", "coordinates"), "extract_patches_3d": ("volumes",),
    "affine_transform": ("images", "transform"),
    "perspective_transform": ("images", "start_points", "end_points"),
    "scale_and_translate": ("images", "output_shape", "scale", "translation"),
    "ssim": ("images1", "images2"),
}
_IMAGE_CLASS_NAMES = {"rgb_to_grayscale": "RGBToGrayscale", "rgb_to_hsv": "RGBToHSV",
                      "hsv_to_rgb": "HSVToRGB", "ssim": "SSIM"}
for _name in image.__all__:
    _fn = getattr(image, _name)
    setattr(image, _name, _symbolic_aware(_fn))
    _cls = _IMAGE_CLASS_NAMES.get(_name) or "".join(p[:1].upper() + p[1:] for p in _name.split("_"))
    setattr(image, _cls, operation_class(_fn, _IMAGE_TENSOR_ARGS.get(_name, ("images",)), _cls))

for _name in __all__:
    _fn = globals()[_name]
    if _name not in _NOT_RECORDED:
        globals()[_name] = _symbolic_aware(_fn)
    _cls = _CLASS_NAMES.get(_name, "".join(p[:1].upper() + p[1:] for p in _name.split("_")))
    if _cls is not None and _cls not in globals():
        globals()[_cls] = operation_class(_fn, _TENSOR_ARGS.get(_name), name=_cls)
