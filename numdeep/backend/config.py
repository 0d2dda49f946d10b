"""Global settings with Keras's names (``keras.config``): default float type, fuzz factor,
image data format, backend name.

Example:
    >>> from numdeep.backend import config
    >>> config.floatx(), config.epsilon(), config.image_data_format(), config.backend()
    ('float32', 1e-07, 'channels_last', 'numdeep')
"""

_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
_FLOATS = ("float16", "float32", "float64")


def backend():
    """The name of the backend: ``'numdeep'`` (NumPy arrays, or CuPy's on a GPU)."""
    return "numdeep"


def floatx():
    """The default float dtype name of weights and inputs (``'float32'``)."""
    return _SETTINGS["floatx"]


def set_floatx(value):
    """Set the default float dtype: ``'float16'``, ``'float32'`` or ``'float64'``."""
    value = str(value)
    if value not in _FLOATS:
        raise ValueError(f"Unknown floatx {value!r}; expected one of {_FLOATS}.")
    _SETTINGS["floatx"] = value


def epsilon():
    """The fuzz factor losses and normalizations add to avoid dividing by zero (``1e-7``)."""
    return _SETTINGS["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor."""
    _SETTINGS["epsilon"] = float(value)


def image_data_format():
    """Where image layers expect channels: ``'channels_last'`` (default) or
    ``'channels_first'``."""
    return _SETTINGS["image_data_format"]


def set_image_data_format(data_format):
    """Set the default ``data_format`` of image layers."""
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: {data_format}")
    _SETTINGS["image_data_format"] = data_format


def standardize_data_format(data_format):
    """``data_format``, or the global default when ``None``, checked."""
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={data_format}")
    return data_format
