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


def enable_flash_attention():
    """Let attention layers use a flash-attention kernel where one applies (Keras's default).

    numdeep has no flash kernel: its attention layers always take the same exact path, so this
    flag only records the choice for code that reads ``is_flash_attention_enabled``.
    """
    _SETTINGS.pop("flash_attention", None)


def disable_flash_attention():
    """Keep attention layers off flash-attention kernels (``is_flash_attention_enabled()``
    then returns ``False``)."""
    _SETTINGS["flash_attention"] = False


def is_flash_attention_enabled():
    """``False`` after ``disable_flash_attention()``, else ``None`` ("use it when possible"),
    as in Keras."""
    return _SETTINGS.get("flash_attention")


def max_epochs():
    """The cap on the epochs of every ``fit`` (``None``: no cap), for quick debugging runs."""
    return _SETTINGS.get("max_epochs")


def set_max_epochs(max_epochs):
    """Cap the epochs of every ``fit`` call (``None`` removes the cap)."""
    _SETTINGS["max_epochs"] = None if max_epochs is None else int(max_epochs)


def max_steps_per_epoch():
    """The cap on the batches of each epoch (``None``: no cap)."""
    return _SETTINGS.get("max_steps_per_epoch")


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the batches of each epoch of ``fit``/``evaluate``/``predict`` (``None`` removes it).

    Example:
        >>> from numdeep.backend import config
        >>> config.set_max_steps_per_epoch(3)
        >>> config.max_steps_per_epoch()
        3
        >>> config.set_max_steps_per_epoch(None)
    """
    _SETTINGS["max_steps_per_epoch"] = None if max_steps_per_epoch is None else \
        int(max_steps_per_epoch)


def dtype_policy():
    """Keras's global dtype policy, as numdeep has it: the name of ``floatx()`` (numdeep computes
    and stores weights in one dtype; it has no mixed precision)."""
    return _SETTINGS["floatx"]


def set_dtype_policy(policy):
    """Set the global dtype policy: a float dtype name (``'float32'``...) sets ``floatx``; a
    mixed policy (``'mixed_float16'``) is refused, numdeep has no mixed precision."""
    name = getattr(policy, "name", policy)
    if isinstance(name, str) and name.startswith("mixed_"):
        raise ValueError(f"numdeep has no mixed precision: the dtype policy {name!r} is not "
                         f"supported. Use 'float16', 'float32' or 'float64'.")
    set_floatx(name)
