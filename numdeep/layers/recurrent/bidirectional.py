"""``Bidirectional``: a recurrent layer run forwards and a copy of it backwards, outputs merged."""

from numdeep import registry
from numdeep.layers.layer import Layer
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
            return ``(forward, backward)``.
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
            raise ValueError(f"Please initialize `Bidirectional` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             f'one of {{"sum", "mul", "ave", "concat", None}}')
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
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self._initial_weights = weights

    def _verify_layer_config(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards "
                             f"{fwd.go_backwards}, backward_layer.go_backwards="
                             f"{bwd.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(f"Forward layer and backward layer are expected to have the "
                                 f'same value for attribute "{attr}", got '
                                 f'"{getattr(fwd, attr)}" for forward layer and '
                                 f'"{getattr(bwd, attr)}" for backward layer')

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and \
                isinstance(sequences_shape[0], tuple | list):
            sequences_shape = sequences_shape[0]
        self.forward_layer._maybe_build(tuple(sequences_shape))
        self.backward_layer._maybe_build(tuple(sequences_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, list | tuple):  # [sequences, *initial_states]
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, training=training, mask=mask,
                               initial_state=forward_state)
        y_rev = self.backward_layer(sequences, training=training, mask=mask,
                                    initial_state=backward_state)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
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
            output = (y, y_rev)
        if self.return_state:
            return (output if self.merge_mode is None else (output,)) + states
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and \
                isinstance(sequences_shape[0], tuple | list):
            sequences_shape = sequences_shape[0]
        shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], None if shape[-1] is None else 2 * shape[-1])
        out = (shape, shape) if self.merge_mode is None else (shape,)
        if self.return_state:
            return out + states + states
        return out if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        """The input mask for ``return_sequences`` (twice with ``merge_mode=None``), None for
        the states."""
        if isinstance(mask, list | tuple):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "state_size", [None]))
            return outs + [None] * (2 * n_states)
        return outs if self.merge_mode is None else out

    @property
    def states(self):
        """Both directions' carried states (``stateful``), forward first, else None."""
        fwd, bwd = self.forward_layer.states, self.backward_layer.states
        if fwd and bwd:
            return tuple(fwd) + tuple(bwd)
        return None

    def reset_state(self):
        """Zero both directions' states (``stateful`` layers)."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self):
        config = super().get_config()
        layers = registry.kind("layer")
        config.update(layer=layers.serialize(self.forward_layer), merge_mode=self.merge_mode,
                      backward_layer=layers.serialize(self.backward_layer))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layers = registry.kind("layer")
        config["layer"] = layers.deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = layers.deserialize(config["backward_layer"],
                                                          custom_objects)
        return cls(**config)
