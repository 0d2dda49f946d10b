"""What the spatial reshaping layers share: Keras's argument normalization (``standardize_tuple``
and the per-axis pairs of cropping and padding) and the data-format handling."""

from numdeep.backend import standardize_data_format
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer

_ORDINALS = ("1st", "2nd", "3rd")


def standardize_tuple(value, n, name, allow_zero=False):
    """``n`` ints from an int or a sequence of ``n`` ints, each ``> 0`` (``>= 0`` with
    ``allow_zero``); anything else raises a ``ValueError`` naming the argument (Keras's
    wording)."""
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if isinstance(value, str) or len(values) != n:
            raise ValueError(message)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"{message}, including element {v!r} of type {type(v)}")
    bad = {v for v in values if v < 0 or (v == 0 and not allow_zero)}
    if bad:
        raise ValueError(f"{message}, including values {bad} that do not satisfy "
                         f"`value {'>= 0' if allow_zero else '> 0'}`")
    return tuple(int(v) for v in values)


def standardize_pairs(value, rank, name):
    """``rank`` ``(before, after)`` pairs from an int (everywhere), ``rank`` ints (symmetric
    per axis) or ``rank`` pairs (Keras's ``cropping``/``padding`` of the 2-D and 3-D layers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value),) * rank
    if isinstance(value, str) or not hasattr(value, "__len__"):
        raise ValueError(f"`{name}` should be either an int, a tuple of {rank} ints or a tuple "
                         f"of {rank} tuples of 2 ints. Received: {name}={value}.")
    if len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {name}={value}.")
    return tuple(standardize_tuple(v, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
                 for i, v in enumerate(value))


class Spatial(Layer):
    """Base of the spatial layers: ``rank`` spatial axes, channels last or first."""

    rank = 2

    def _init_spatial(self, data_format):
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def spatial_axes(self, ndim):
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
