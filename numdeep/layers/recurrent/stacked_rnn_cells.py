"""``StackedRNNCells``: several cells acting as one, each feeding the next at every step."""

from numdeep import registry
from numdeep.autograd.primitives.recurrent import ZeroState
from numdeep.layers import call_context
from numdeep.layers.layer import Layer


def cell_output_size(cell):
    """A cell's output width: ``output_size``, else its (first) state size."""
    if getattr(cell, "output_size", None) is not None:
        return cell.output_size
    if isinstance(cell.state_size, list | tuple):
        return cell.state_size[0]
    return cell.state_size


class StackedRNNCells(Layer):
    """A stack of RNN cells used as one cell: at each step the first cell reads the input, each
    next cell reads the previous cell's output; the states are one entry per cell.

    Args:
        cells: a list of cells.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> cells = nd.layers.StackedRNNCells([nd.layers.LSTMCell(4), nd.layers.GRUCell(3)])
        >>> cells.state_size, cells.output_size
        ([[4, 4], 3], 3)
        >>> nd.layers.RNN(cells)(np.ones((2, 5, 2), dtype="float32")).shape
        (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(f"All cells must have a `call` method. Received cell without a "
                                 f"`call` method: {cell}")
            if "state_size" not in dir(cell):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell "
                                 f"without a `state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        """Each cell's initial states (zeros when the cell has no ``get_initial_state``)."""
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ZeroState.apply(shape=(batch_size, cell.state_size),
                                              dtype=self.dtype))
            else:
                states.append([ZeroState.apply(shape=(batch_size, d), dtype=self.dtype)
                               for d in cell.state_size])
        return states

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, state in zip(self.cells, states):
            is_list = isinstance(state, list | tuple)
            state = list(state) if is_list else [state]
            if isinstance(cell, Layer) and call_context.call_spec(type(cell)).has_training:
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
            step = cell if callable(cell) else cell.call
            inputs, state = step(inputs, state, **kwargs)
            state = list(state) if isinstance(state, list | tuple) else [state]
            if len(state) == 1 and not is_list:
                state = state[0]
            new_states.append(state)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], cell_output_size(cell))

    def get_config(self):
        config = super().get_config()
        config["cells"] = [registry.kind("layer").serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        kind = registry.kind("layer")
        cells = [kind.deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
