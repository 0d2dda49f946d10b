"""The steps every application shares: check the arguments, make the input, add the pooling,
wrap the graph in a model and load the weights."""

import os

from numdeep import backend, layers
from numdeep.applications import imagenet_utils
from numdeep.layers.input_layer import InputLayer
from numdeep.models import Functional
from numdeep.ops.symbolic import is_keras_tensor


def check_weights(weights, include_top, classes):
    """Keras's two checks of ``weights`` and ``classes``."""
    if not (weights in {"imagenet", None} or (isinstance(weights, str | os.PathLike)
                                              and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random "
                         "initialization), 'imagenet' (pre-training on ImageNet), or the path "
                         f"to the weights file to be loaded.  Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000.  Received classes={classes}")


def channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def bn_axis():
    """The channel axis as Keras's ResNet/DenseNet/EfficientNet spell it (3 or 1)."""
    return 1 if backend.image_data_format() == "channels_first" else 3


def input_shape_for(input_shape, default_size, min_size, include_top, weights):
    return imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)


def image_input(input_tensor, input_shape):
    """The tensor the network starts from: a new ``Input``, or ``input_tensor``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def source_inputs(tensor):
    """The ``Input`` tensors ``tensor`` was computed from (Keras's ``get_source_inputs``)."""
    found, stack, seen = [], [tensor], set()
    while stack:
        t = stack.pop()
        node = t.node
        if node is None or isinstance(node.operation, InputLayer):
            if id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        stack.extend(reversed(node.input_tensors))
    return found


def pool(x, pooling, names=("avg_pool", "max_pool")):
    """The optional global pooling of a headless model (``names=None``: automatic names)."""
    avg, mx = names if names else (None, None)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=mx)(x)
    return x


def dense_top(x, classes, classifier_activation, weights, **dense_kwargs):
    """``GlobalAveragePooling2D`` + ``Dense`` classifier named as Keras names them."""
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions",
                        **dense_kwargs)(x)


def finish(img_input, input_tensor, x, name, weights, imagenet_path):
    """The model from ``img_input`` (or ``input_tensor``'s sources) to ``x``, with its weights.

    Args:
        imagenet_path: a function giving the path of the ImageNet weights file, called only
            when ``weights == "imagenet"``.
    """
    inputs = source_inputs(input_tensor) if input_tensor is not None else img_input
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    model = Functional(inputs, x, name=name)
    if weights == "imagenet":
        model.load_weights(imagenet_path())
    elif weights is not None:
        model.load_weights(weights)
    return model
