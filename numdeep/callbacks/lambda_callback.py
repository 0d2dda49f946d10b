"""``LambdaCallback``: a callback from plain functions."""

from numdeep.callbacks.base import Callback


class LambdaCallback(Callback):
    """Build a callback from functions, e.g. ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``.
        **kwargs: any other hook (``on_test_begin=f``, ``on_predict_batch_end=f``, Keras's
            ``on_batch_end=f``...) or attribute, set on the callback as given.

    Example:
        >>> import numdeep as nd
        >>> seen = []
        >>> cb = nd.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit([[1.0]], [[2.0]], epochs=2, verbose=0, callbacks=[cb])
        >>> seen
        [0, 1]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
