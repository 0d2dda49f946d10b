"""``Bidirectional``: a recurrent layer run forwards and a copy of it backwards, outputs merged."""

from numdeep import registry
from numdeep.layers.layer import Layer
from numdeep.layers.recurrent.base_rnn import split_sequence_shape
from numdeep.ops import eager as ops

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    The backward copy is rebuilt from the layer's config with ``go_backwards`` flipped; its
    sequence outputs are flipped back so that step ``t`` of both directions lines up. Both
    copies get fresh weights (forward first in ``weights``), and with ``return_sequences``
    masked steps output zeros (``zero_output_for_mask``), as in Keras.

    Args:
        layer: an RNN layer (``LSTM``, ``GRU``, ``SimpleRNN``).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'``, or ``None`` to
            return ``[forward, backward]``.
        weights: optional initial weights, forward layer's then backward layer's.
        backward_layer: optional explicit backward layer (``go_backwards`` must differ).

    Call arguments:
        inputs: (batch, timesteps, features).
        training, mask: passed to both directions.
        initial_state: list of states, the forward layer's first half, the backward's second.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> lstm = nd.layers.LSTM(4, return_sequences=True, name="encoder")
        >>> layer = nd.layers.Bidirectional(lstm)
        >>> layer(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 5, 8)
        >>> layer.forward_layer.name, layer.backward_layer.name
        ('forward_encoder', 'backward_encoder')
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional needs a layer instance; received {layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional `merge_mode` must be one of {_MERGE_MODES}. "
                             f"Received: merge_mode={merge_mode!r}")
        super().__init__(**kwargs)
        config = layer.get_config()
        config["name"] = "forward_" + _without_prefix(layer.name, "forward_")
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = layer.get_config()
            config.update(go_backwards=not layer.go_backwards,
                          name="backward_" + _without_prefix(layer.name, "backward_"))
            backward_layer = type(layer).from_config(config)
        self.backward_layer = backward_layer
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(backward_layer, attr):
                raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers "
                                 f"must have the same `{attr}`.")
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers "
                             f"must have different `go_backwards`.")
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self._initial_weights = weights

    def build(self, input_shape):
        shape = split_sequence_shape(input_shape)
        self.forward_layer._maybe_build(shape)
        self.backward_layer._maybe_build(shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(self, inputs, training=None, initial_state=None, **kwargs):
        if initial_state is not None:
            inputs = [inputs, *initial_state]
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=False, mask=None):
        forward_state = backward_state = None
        if isinstance(inputs, list | tuple):
            inputs, states = inputs[0], list(inputs[1:])
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        y = self.forward_layer(inputs, training=training, mask=mask, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, mask=mask,
                                    initial_state=backward_state)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + states
        return output

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(split_sequence_shape(input_shape))
        states = []
        if self.return_state:
            shape, states = shape[0], shape[1:]
        if self.merge_mode == "concat":
            shape = (*shape[:-1], None if shape[-1] is None else 2 * shape[-1])
        out = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return out + states + states
        return out if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        """The input mask for ``return_sequences`` (twice with ``merge_mode=None``)."""
        if isinstance(mask, list | tuple):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + [None] * (2 * self.forward_layer._n_states)
        return outs if self.merge_mode is None else out

    def reset_states(self):
        """Zero both directions' states (``stateful`` layers)."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def get_config(self):
        config = super().get_config()
        layers = registry.kind("layer")
        config.update(layer=layers.serialize(self.forward_layer), merge_mode=self.merge_mode,
                      backward_layer=layers.serialize(self.backward_layer))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = registry.kind("layer").deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = registry.kind("layer").deserialize(config["backward_layer"])
        return cls(**config)
