"""``DropoutRNNCell``: the dropout masks of a recurrent cell, drawn once per sequence."""

from numdeep.autograd import data_of
from numdeep.random.random import dropout_mask


class DropoutRNNCell:
    """Mixin giving an RNN cell Keras's dropout masks: one mask per sequence for the inputs and
    one for the recurrent state, reused at every step (variational dropout, Gal and Ghahramani,
    2016), and cleared by ``RNN`` after each call.

    The cell must have ``dropout``, ``recurrent_dropout`` (rates) and ``seed_generator``
    (a ``numdeep.random.SeedGenerator``); with ``dropout_mask_count = k`` each getter returns
    ``k`` independent masks (one per gate).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> cell = nd.layers.SimpleRNNCell(3, dropout=0.5, seed=1)
        >>> x = np.ones((2, 4), dtype="float32")
        >>> mask = cell.get_dropout_mask(x)
        >>> mask is cell.get_dropout_mask(x), sorted(set(mask.numpy().ravel().tolist()))
        (True, [0.0, 2.0])
        >>> cell.reset_dropout_mask()
    """

    # Per-call state, not configuration: a cell that lists these in ``_untracked_attrs`` (the
    # built-in cells) keeps its plans valid when a call draws and forgets its masks.
    MASK_ATTRS = frozenset({"_dropout_mask", "_recurrent_dropout_mask"})

    def _create_dropout_mask(self, step_input, dropout_rate):
        # The mask itself, drawn by an op (what dropout of a tensor of ones gives, bit for
        # bit): a mask made with NumPy would be a constant to a training plan, which then
        # refuses the step rather than replay one sequence's mask for every batch.
        like = data_of(step_input)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return dropout_mask(like, dropout_rate, seed=self.seed_generator)
        return [dropout_mask(like, dropout_rate, seed=self.seed_generator)
                for _ in range(count)]

    def get_dropout_mask(self, step_input):
        """The inputs' mask (or masks) for this sequence; ``None`` without ``dropout``."""
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent state's mask (or masks); ``None`` without ``recurrent_dropout``."""
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input,
                                                                     self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        """Forget the inputs' mask: the next sequence draws a new one."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        """Forget the recurrent state's mask."""
        self._recurrent_dropout_mask = None
