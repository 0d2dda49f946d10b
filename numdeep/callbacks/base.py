"""``Callback``: hooks into ``fit``/``evaluate``/``predict`` with Keras's hook names."""

_BATCH_HOOKS = (
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class for callbacks: override the hooks you need.

    ``self.model`` is set by ``fit`` before ``on_train_begin``; ``self.params`` holds ``epochs``,
    ``steps`` and ``verbose``. Set ``self.model.stop_training = True`` to stop after this epoch.

    Example:
        >>> import numdeep as nd
        >>> class PrintLoss(nd.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(f"epoch {epoch}: loss is a {type(logs['loss']).__name__}")
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(2,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit([[1.0, 2.0]], [[1.0]], epochs=1, verbose=0, callbacks=[PrintLoss()])
        epoch 0: loss is a float
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


class CallbackList:
    """Dispatches each hook to a list of callbacks; batch hooks go only to callbacks that
    override them, so an ordinary ``fit`` pays nothing per step for callbacks that don't care."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        from numdeep.callbacks.history import History

        self._histories = [cb for cb in self.callbacks if isinstance(cb, History)]
        self._batch = {
            hook: [getattr(cb, hook) for cb in self.callbacks
                   if getattr(type(cb), hook) is not getattr(Callback, hook)]
            for hook in _BATCH_HOOKS
        }
        # Batch hooks run every step: bind each dispatcher once, as a plain attribute.
        for hook in _BATCH_HOOKS:
            setattr(self, hook, _dispatch(self._batch[hook]))

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
            if hook == "on_epoch_end":
                # History records an epoch first (so it survives a later callback failing) and
                # then picks up what other callbacks added to the logs (e.g. learning_rate).
                for h in self._histories:
                    h.record_late_keys(*args, **kwargs)

        return call


def _dispatch(handlers):
    if not handlers:
        return _ignore

    def batch_call(batch, logs=None):
        for h in handlers:
            h(batch, logs)

    return batch_call


def _ignore(batch, logs=None):
    pass
