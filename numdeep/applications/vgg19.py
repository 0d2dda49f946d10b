"""VGG19 (Simonyan and Zisserman, 2014) with Keras's layer names: VGG16 with four convolutions
in each of the last three blocks."""

from numdeep.applications.vgg16 import DOC, VGG, decode_predictions, preprocess_input

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    return VGG((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)


VGG19.__doc__ = DOC.format(name="VGG19", module="vgg19")
