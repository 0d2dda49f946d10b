"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016: identity mappings, with batch
normalization and ReLU before each convolution), with Keras's layer names."""

from numdeep.applications import imagenet_utils
from numdeep.applications.resnet import DOC, ResNet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input",
           "decode_predictions"]


def _v2(blocks, weights_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=weights_name):
        def stack_fn(x):
            for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
                x = stack_residual_blocks_v2(x, filters, n, stride1=1 if i == 3 else 2,
                                             name=f"conv{i + 2}")
            return x
        return ResNet(stack_fn, True, True, include_top=include_top, weights=weights,
                      input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                      classes=classes, classifier_activation=classifier_activation,
                      name=name, weights_name=weights_name)
    return build


ResNet50V2 = _v2((3, 4, 6, 3), "resnet50v2")
ResNet101V2 = _v2((3, 4, 23, 3), "resnet101v2")
ResNet152V2 = _v2((3, 8, 36, 3), "resnet152v2")
for _fn, _name in ((ResNet50V2, "ResNet50V2"), (ResNet101V2, "ResNet101V2"),
                   (ResNet152V2, "ResNet152V2")):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = DOC.format(name=_name, module="resnet_v2", features=2048).replace(
        "Deep Residual Learning for Image Recognition (He et al., CVPR 2015)",
        "Identity Mappings in Deep Residual Networks (He et al., ECCV 2016)")


def preprocess_input(x, data_format=None):
    """ResNetV2's preprocessing (``"tf"``: pixels scaled to ``[-1, 1]``); see
    ``imagenet_utils.preprocess_input``.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]))
        array([[[-1.,  0.,  1.]]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
