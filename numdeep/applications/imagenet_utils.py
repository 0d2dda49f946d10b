"""What every ImageNet model shares: input preprocessing, the decoding of predictions into
class names, the input-shape rules and the padding of strided convolutions (Keras's
``keras.applications.imagenet_utils``)."""

import json
import warnings

import numpy as np

from numdeep import activations, backend, ops
from numdeep.applications.weights import fetch

__all__ = ["preprocess_input", "decode_predictions", "obtain_input_shape", "correct_pad",
           "validate_activation", "CLASS_INDEX_PATH"]

CLASS_INDEX = None  # the class index, read once
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of images (or one image) with values in ``[0, 255]``.

    A float NumPy array is preprocessed in place (as in Keras; pass ``np.copy(x)`` to keep it);
    tensors and symbolic tensors give a new tensor.

    Args:
        x: 3D or 4D images with 3 color channels.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global setting).
        mode: ``"caffe"`` (RGB to BGR, then subtract the ImageNet mean of each channel),
            ``"tf"`` (scale to ``[-1, 1]``) or ``"torch"`` (scale to ``[0, 1]``, then
            normalize each channel with ImageNet's mean and standard deviation).

    Returns:
        The preprocessed images (``float32`` for integer input).

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[255.0, 0.0, 127.5]]]), mode="tf")
        array([[[ 1., -1.,  0.]]])
        >>> preprocess_input(np.array([[[0.0, 0.0, 0.0]]]), mode="caffe")
        array([[[-103.939, -116.779, -123.68 ]]])
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    data_format = _data_format(data_format)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_view(x, data_format, c):
    """Index of channel ``c`` of a 3D or 4D image array."""
    if data_format == "channels_last":
        return (Ellipsis, c)
    return (c,) if x.ndim == 3 else (slice(None), c)


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
        x = np.flip(x, axis=axis)  # RGB -> BGR
        mean, std = _CAFFE_MEAN, None
    for c in range(3):
        x[_channel_view(x, data_format, c)] -= mean[c]
        if std is not None:
            x[_channel_view(x, data_format, c)] /= std[c]
    return x


def _channel_shape(ndim, data_format):
    if data_format == "channels_last":
        return (1,) * (ndim - 1) + (3,)
    return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)


def _preprocess_tensor(x, data_format, mode):
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = -1 if data_format == "channels_last" else (0 if ndim == 3 else 1)
        x = ops.flip(x, axis=axis)  # RGB -> BGR
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(ndim, data_format)
    x = x - np.reshape(np.asarray(mean, x.dtype), shape)
    if std is not None:
        x = x / np.reshape(np.asarray(std, x.dtype), shape)
    return x


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        path = fetch("imagenet_class_index.json", CLASS_INDEX_PATH, file_hash=CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, as ``(class_id, name, score)``.

    The class index (``imagenet_class_index.json``) comes from Keras's cache, as the weights
    do (see ``numdeep.applications.weights.fetch``).

    Args:
        preds: predictions of shape ``(samples, 1000)``.
        top: how many classes to return per sample.

    Returns:
        One list of ``(class_id, class_name, score)`` tuples per sample, best first.

    Example:
        >>> import numpy as np
        >>> from numdeep.applications import imagenet_utils
        >>> saved, imagenet_utils.CLASS_INDEX = imagenet_utils.CLASS_INDEX, {
        ...     str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
        >>> preds = np.zeros((1, 1000), "float32")
        >>> preds[0, 7], preds[0, 3] = 0.75, 0.25
        >>> [(cid, name, float(s)) for cid, name, s in decode_predictions(preds, top=2)[0]]
        [('n00000007', 'class_7', 0.75), ('n00000003', 'class_3', 0.25)]
        >>> imagenet_utils.CLASS_INDEX = saved
    """
    preds = ops.convert_to_numpy(preds)
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array "
                         f"of shape (samples, 1000)). Received array with shape: {preds.shape}")
    index = _class_index()
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda r: r[2], reverse=True)
        results.append(result)
    return results


def _default_shape(input_shape, default_size, data_format, weights):
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if data_format == "channels_first" else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {channels} input channels.",
                          stacklevel=3)
        if data_format == "channels_first":
            return (input_shape[0], default_size, default_size)
        return (default_size, default_size, input_shape[-1])
    if data_format == "channels_first":
        return (3, default_size, default_size)
    return (default_size, default_size, 3)


def _check_shape(input_shape, min_size, data_format, weights):
    if len(input_shape) != 3:
        raise ValueError("`input_shape` must be a tuple of three integers.")
    channels, spatial = ((input_shape[0], input_shape[1:]) if data_format == "channels_first"
                         else (input_shape[-1], input_shape[:2]))
    if channels != 3 and weights == "imagenet":
        raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
    if any(s is not None and s < min_size for s in spatial):
        raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                         f"input_shape={input_shape}")


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """Validate a model's ``input_shape`` (or give its default), as Keras's applications do.

    Args:
        input_shape: ``None`` or the shape of one image.
        default_size: the image side the model was trained at.
        min_size: the smallest side the model accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: whether the classifier top is included (the shape must be static).
        weights: ``None``, ``"imagenet"`` (3 channels; with the top, the default shape) or a
            path.

    Returns:
        The input shape (it may hold ``None`` sides without the top).

    Example:
        >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
        (None, None, 3)
        >>> obtain_input_shape((64, 64, 3), 224, 32, "channels_last", require_flatten=True)
        (64, 64, 3)
    """
    default_shape = _default_shape(input_shape, default_size, data_format, weights)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  Received: "
                             f"input_shape={input_shape}")
        return default_shape
    if input_shape:
        _check_shape(input_shape, min_size, data_format, weights)
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if data_format == "channels_first" else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding before a stride-2 convolution with ``"valid"`` padding
    that reproduces TensorFlow's ``"same"`` padding (more on the bottom/right).

    Args:
        inputs: the (symbolic) tensor to pad.
        kernel_size: an int or a pair.

    Returns:
        ``((top, bottom), (left, right))``.

    Example:
        >>> import numdeep as nd
        >>> correct_pad(nd.Input((32, 32, 8)), 3)
        ((0, 1), (0, 1))
    """
    img_dim = 2 if backend.image_data_format() == "channels_first" else 1
    size = tuple(inputs.shape[img_dim:img_dim + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained tops only take ``None`` or ``"softmax"`` as the classifier activation.

    Example:
        >>> validate_activation("softmax", "imagenet")
        >>> try:
        ...     validate_activation("relu", "imagenet")
        ... except ValueError as e:
        ...     print(str(e)[:45])
        Only `None` and `softmax` activations are all
    """
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, with "
                         f"`include_top=True`; Received: classifier_activation={activation}")
