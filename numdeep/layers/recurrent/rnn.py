"""``RNN``: a recurrent layer from a cell that computes one time step (Keras's cell API).

A cell is any object with ``call(inputs, states[, training])`` returning ``(output,
new_states)`` and a ``state_size`` (an int, or one entry per state); ``output_size`` and
``get_initial_state(batch_size)`` are optional. ``RNN`` runs the cell over the time axis with
masks, reversal, initial and carried (``stateful``) states, and returns the last output or the
whole sequence, and the final states.

The built-in cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, unsubclassed) run as one fused
op from ``numdeep.autograd.primitives.recurrent``: the whole loop and its backpropagation
through time in a single graph node. Any other cell, or a built-in one with an activation the
fused op lacks, is stepped in Python through ordinary differentiable ops.
"""

import numpy as np

from numdeep import registry, tree
from numdeep.autograd import Tensor, Variable, data_of
from numdeep.autograd.primitives.recurrent import ReadState, Unpack, WriteState, ZeroState
from numdeep.layers import call_context
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.layers.recurrent.stacked_rnn_cells import StackedRNNCells
from numdeep.ops import eager as ops
from numdeep.random.random import dropout_mask


def _nested(x):
    return isinstance(x, list | tuple)


def _tensor(x, dtype):
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(data_of(x), dtype=dtype))


class RNN(Layer):
    """Runs an RNN cell over the time axis of ``(batch, timesteps, ...)`` inputs.

    Args:
        cell: a cell instance, or a list of cells (stacked with ``StackedRNNCells``).
        return_sequences: return every step's output, ``(batch, timesteps, output_size)``,
            instead of the last one.
        return_state: also return the final states: ``(output, *states)``.
        go_backwards: process the sequence in reverse (and return the reversed sequence).
        stateful: each batch starts from the final states of the previous one
            (``reset_state()`` zeroes them); the batch size must stay the same.
        unroll: accepted for Keras compatibility (the loop is always a Python loop or one
            fused op); needs a known number of time steps, as in Keras.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call arguments:
        sequences: ``(batch, timesteps, features)`` (more axes for convolutional cells).
        initial_state: a state tensor or a list of them (gradients flow into them).
        mask: ``(batch, timesteps)`` booleans; False steps keep the previous states and repeat
            the previous output. Masks from ``Embedding(mask_zero=True)`` arrive by themselves.
        training: passed to the cell (dropout).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> layer = nd.layers.RNN(nd.layers.LSTMCell(4), return_state=True)
        >>> output, h, c = layer(np.ones((2, 5, 3), dtype="float32"))
        >>> output.shape, c.shape
        ((2, 4), (2, 4))
        >>> stacked = nd.layers.RNN([nd.layers.GRUCell(3), nd.layers.SimpleRNNCell(2)])
        >>> stacked(np.ones((2, 5, 3), dtype="float32")).shape
        (2, 2)
    """

    # The states of a stateful RNN are Variables, but not weights (as in Keras).
    _untracked_attrs = Layer._untracked_attrs | {"_states"}

    # Whether a built-in cell with one recurrent-dropout mask per gate may still run fused,
    # sharing one mask across its gates (the LSTM and GRU layers trade this for speed).
    _fused_shares_gate_masks = False

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: "
                             f"cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError(f"The RNN cell should have a `state_size` attribute (single integer "
                             f"or list of integers, one integer per RNN state). Received: "
                             f"cell={cell}")
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.supports_masking = True
        self._states = None
        self._expected_batch_size = None
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, list | tuple | int):
            raise ValueError("state_size must be an integer, or a list/tuple of integers "
                             "(one for each state tensor).")
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # ``states`` holds the carried states of a stateful layer (Variables, not weights).
    @property
    def states(self):
        return self._states

    @states.setter
    def states(self, value):
        self._states = value

    # ----- shapes, masks ------------------------------------------------------------------
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        states = []
        for size in self.state_size:
            if isinstance(size, int):
                states.append((batch, size))
            else:
                states.append([(batch, s) for s in size])
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = self.state_size[0]
        if not isinstance(output_size, int):
            raise ValueError("output_size must be an integer.")
        out = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        return (out, *states) if self.return_state else out

    def compute_mask(self, inputs, mask=None):
        """The input mask for ``return_sequences`` (reversed with ``go_backwards``, as the
        outputs are), else None; None for the returned states."""
        mask = tree.flatten(mask)[0] if _nested(mask) else mask
        out = None
        if mask is not None and self.return_sequences:
            out = np.asarray(data_of(mask))[:, ::-1] if self.go_backwards else mask
        return [out] + [None] * len(self.state_size) if self.return_state else out

    # ----- building -----------------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects inputs of "
                             f"shape (batch, timesteps, features); received input of shape "
                             f"{format_shape(sequences_shape)}.")
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(f"Cannot unroll a RNN if the time dimension is undefined (layer "
                             f"'{self.name}', input shape {format_shape(sequences_shape)}).")
        step_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True

    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state``, else zeros."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return [ZeroState.apply(shape=(batch_size, d), dtype=self.dtype)
                    for d in self.state_size]
        state = fn(batch_size=batch_size)
        return list(state) if _nested(state) else [state]

    def reset_state(self):
        """Zero the states a ``stateful`` layer carries from one batch to the next."""
        if self._states is not None:
            for v in tree.flatten(self._states):
                v.assign(np.zeros_like(v.data))

    reset_states = reset_state

    # ----- calling ------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if _nested(sequences):  # [sequences, *initial_states], numdeep's older call form
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        shape = tuple(sequences.shape)
        if shape[1] == 0:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' needs at least one "
                             f"time step; received input of shape {format_shape(shape)}.")
        mask = self._check_mask(mask, shape)
        fused = self._fused_op_args(training)
        initial_state = self._initial_state(initial_state, shape[0], zeros=fused is None)
        self._reset_dropout_masks(self.cell)
        try:
            if fused is not None:
                output, states = self._fused_scan(sequences, initial_state, mask, training,
                                                  fused)
            else:
                output, states = self._step_scan(sequences, initial_state, mask, training)
        finally:
            self._reset_dropout_masks(self.cell)
        if self.stateful:
            self._store_states(states)
        if self.return_state:
            return (output, *states)
        return output

    def _initial_state(self, initial_state, batch, zeros=True):
        """The given states as Tensors, else the carried states of a stateful layer, else the
        cell's initial states (``None`` for each, meaning zeros, unless ``zeros``: the fused
        op makes its own)."""
        if self.stateful and self._expected_batch_size is not None and \
                batch != self._expected_batch_size:
            raise ValueError(
                f"If an RNN is stateful, the batch size of the input sequences must be the same "
                f"as the batch size of the initial state (layer '{self.name}'). \n- Expected "
                f"batch size: {self._expected_batch_size}\n- Received batch size: {batch}")
        if initial_state is None:
            if self.stateful and self._states is not None:
                # Read by an op, so that a plan reads the Variables again at each replay.
                return tree.map_structure(lambda v: ReadState.apply(state=v.data),
                                          list(self._states))
            if not zeros:
                return [None] * len(self.state_size)
            return self.get_initial_state(batch)
        states = list(initial_state) if _nested(initial_state) else [initial_state]
        self._check_initial_state(states, batch)
        return tree.map_structure(lambda s: _tensor(s, self.dtype), states)

    def _check_initial_state(self, states, batch):
        expected = [(batch, s) for s in tree.flatten(self.state_size)
                    if isinstance(s, int) and s > 0]
        got = [tuple(np.shape(data_of(s))) for s in tree.flatten(states)]
        if len(expected) == len(tree.flatten(self.state_size)) and (
                len(got) != len(expected) or any(g != e for g, e in zip(got, expected))):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects {len(expected)} initial "
                f"state(s) of shape (batch, units) = {[format_shape(e) for e in expected]}; "
                f"initial_state has shapes {[format_shape(g) for g in got]}.")

    def _store_states(self, states):
        if self._states is None:
            arrays = tree.map_structure(lambda s: np.array(data_of(s)), list(states))
            with self._unlocked_state():  # the batch size is known only now
                self._states = tree.map_structure(
                    lambda a: Variable(a, trainable=False, name="rnn_state"), arrays)
        else:
            # Written in place by ops, which a plan replays at every step.
            for v, s in zip(tree.flatten(self._states), tree.flatten(list(states))):
                WriteState.apply(s, state=v.data)
        batch = tree.flatten(self._states)[0].shape[0]
        if self._expected_batch_size != batch:  # set once: a set counts as a config change
            self._expected_batch_size = batch

    def _check_mask(self, mask, shape):
        if _nested(mask):  # masks of [inputs, *initial_states]
            mask = mask[0]
        if mask is None:
            return None
        mask = np.asarray(data_of(mask))
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if mask.shape != tuple(shape[:2]):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' received a mask of shape "
                f"{format_shape(mask.shape)} for inputs of shape {format_shape(shape)}; expected "
                f"a boolean mask of shape (batch, timesteps) = {format_shape(shape[:2])}.")
        return mask.astype(bool, copy=False)

    def _reset_dropout_masks(self, cell):
        """Forget the cells' dropout masks: each sequence draws its own."""
        for c in getattr(cell, "cells", (cell,)):
            if getattr(c, "_dropout_mask", None) is not None or \
                    getattr(c, "_recurrent_dropout_mask", None) is not None:
                c.reset_dropout_mask()
                c.reset_recurrent_dropout_mask()

    # ----- the time loop ------------------------------------------------------------------
    def _fused_op_args(self, training):
        """The fused op's activation arguments when this call can use it, else None: the cell
        is exactly a built-in cell class (a subclass may change how a step computes), its
        activations are the op's, and its dropout masks are ones the op can apply."""
        cell = self.cell
        if getattr(type(cell), "_fused_op", None) is None or \
                "_fused_op" not in type(cell).__dict__:
            return None
        per_gate = not cell._shares_one_recurrent_mask()
        if training and per_gate and (cell.dropout or cell.recurrent_dropout) and \
                not self._fused_shares_gate_masks:
            return None
        return cell._fused_activations()

    def _fused_scan(self, sequences, states, mask, training, names):
        """``(output, final_states)`` from one fused op over the whole sequence."""
        cell = self.cell
        x = sequences
        n, steps = x.shape[:2]
        # The masks are drawn by ops (no batch-sized array of ones made with NumPy), so a
        # training plan draws new ones at every replayed step.
        if training and cell.dropout > 0:
            x = x * dropout_mask(x, cell.dropout, seed=cell.seed_generator,
                                 shape=(n, 1, x.shape[-1]))
        rmask = None
        if training and cell.recurrent_dropout > 0:
            rmask = dropout_mask(x, cell.recurrent_dropout, seed=cell.seed_generator,
                                 shape=(n, cell.units)).data
        y = cell._fused_op.apply(
            x, cell.kernel, cell.recurrent_kernel, cell.bias, *states, mask=mask,
            recurrent_mask=rmask, go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask, **names, **cell._fused_params())
        n_out = steps if self.return_sequences else 1
        index = (slice(None), slice(0, steps)) if self.return_sequences else (slice(None), 0)
        output = Unpack.apply(y, index=index)
        finals = [Unpack.apply(y, index=(slice(None), n_out + k)) for k in range(len(states))]
        return output, finals

    def _step_scan(self, sequences, states, mask, training):
        """``(output, final_states)`` from calling the cell at every step."""
        cell = self.cell
        kwargs = {}
        if isinstance(cell, Layer) and call_context.call_spec(type(cell)).has_training:
            kwargs["training"] = training
        step = cell if callable(cell) else cell.call
        steps = range(sequences.shape[1])
        outputs, prev = [], None
        for t in (reversed(steps) if self.go_backwards else steps):
            out, new_states = step(sequences[:, t], states, **kwargs)
            new_states = list(new_states) if _nested(new_states) else [new_states]
            if mask is not None:
                keep = mask[:, t]
                prev = Tensor(np.zeros(out.shape, out.dtype)) if prev is None else prev
                out = _where(keep, out, prev)
                new_states = tree.map_structure(lambda a, b, k=keep: _where(k, a, b), new_states,
                                                list(states))
            prev, states = out, new_states
            outputs.append(out)
        if self.zero_output_for_mask and mask is not None:
            order = mask[:, ::-1] if self.go_backwards else mask
            outputs = [_where(order[:, k], o, 0.0) for k, o in enumerate(outputs)]
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return output, states

    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                      zero_output_for_mask=self.zero_output_for_mask,
                      cell=registry.kind("layer").serialize(self.cell))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = registry.kind("layer").deserialize(config.pop("cell"), custom_objects)
        return cls(cell, **config)


def _where(keep, a, b):
    """``a`` on the rows where ``keep`` holds, else ``b`` (broadcast over the other axes)."""
    return ops.where(keep.reshape(keep.shape + (1,) * (a.ndim - 1)), a, b)

