"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

import numpy as np

from numdeep.callbacks.base import Callback


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's moving averages around evaluation.

    For an optimizer with ``use_ema=True`` (or a ``MultiOptimizer`` with such sub-optimizers):
    ``on_test_begin``/``on_predict_begin`` put the averages into the model and keep the trained
    weights in the optimizer; ``on_test_end``/``on_predict_end`` swap them back. The swap is in
    place (no copy of the model is kept).

    Args:
        swap_on_epoch: also swap at each epoch end (and back at the next epoch start), so that
            later callbacks, such as ``ModelCheckpoint``, see the averaged weights.

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, use_bias=False, input_shape=(1,))])
        >>> model.compile(optimizer=nd.optimizers.SGD(0.1, use_ema=True), loss="mse")
        >>> model.fit(np.ones((2, 1)), np.zeros((2, 1)), epochs=2, verbose=0)  # doctest: +ELLIPSIS
        <numdeep.callbacks.history.History object at ...>
        >>> swap = nd.callbacks.SwapEMAWeights()
        >>> swap.set_model(model)
        >>> model.optimizer._model_variables_moving_average[0].assign([[0.5]])
        ... # doctest: +ELLIPSIS
        Tensor(...)
        >>> trained = model.get_weights()[0].copy()
        >>> swap.on_test_begin()
        >>> float(model.get_weights()[0][0, 0])
        0.5
        >>> swap.on_test_end()
        >>> bool(np.array_equal(model.get_weights()[0], trained))
        True
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        if hasattr(optimizer, "optimizers"):
            found = [opt for opt in optimizer.optimizers if getattr(opt, "use_ema", False)]
            if not found:
                raise ValueError("SwapEMAWeights must be used when at least one inner optimizer "
                                 "has `use_ema=True` set. Received a MultiOptimizer with all "
                                 "inner optimizers having `use_ema=False`.")
        else:
            found = [optimizer]
        for opt in found:
            if not getattr(opt, "use_ema", False) or \
                    not hasattr(opt, "_model_variables_moving_average"):
                raise ValueError(f"SwapEMAWeights must be used when `use_ema=True` is set on the "
                                 f"optimizer. Received: use_ema={opt.use_ema}")
        return found

    def _swap_variables(self):
        for opt in self._ema_optimizers():
            for var, average in zip(opt._trainable_variables,
                                    opt._model_variables_moving_average):
                if average is not None:
                    trained = np.array(var.numpy(), copy=True)
                    var.assign(average)
                    average.assign(trained)

    def _finalize_ema_values(self):
        for opt in self._ema_optimizers():
            for var, average in zip(opt._trainable_variables,
                                    opt._model_variables_moving_average):
                if average is not None:
                    average.assign(var)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            # fit() ends by copying the averages into the model: they must hold them again.
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end
