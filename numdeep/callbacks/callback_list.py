"""``CallbackList``: how the training loop calls the callbacks it was given."""

from numdeep.callbacks.base import BATCH_HOOKS, overrides
from numdeep.callbacks.history import History
from numdeep.callbacks.progbar import ProgbarLogger


class CallbackList:
    """Dispatches each hook to a list of callbacks; batch hooks go only to callbacks that
    override them, so an ordinary ``fit`` pays nothing per step for callbacks that don't care.

    Keras's signature: ``add_history``/``add_progbar`` append a ``History``/``ProgbarLogger``
    when the list has none, and the keyword arguments (``epochs``, ``steps``, ``verbose``...)
    are the ``params`` every callback sees.

    Example:
        >>> import numdeep as nd
        >>> seen = []
        >>> cb = nd.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs))
        >>> callbacks = nd.callbacks.CallbackList([cb], epochs=1, steps=3, verbose=0)
        >>> cb.params["steps"]
        3
        >>> callbacks.on_epoch_end(0, {"loss": 0.5})
        >>> seen
        [{'loss': 0.5}]
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        self.callbacks = list(callbacks or [])
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger(params.get("verbose", 1) or 1))
        self.model, self.params = None, params
        self.set_model(model)
        self.set_params(params)
        self._bind_batch_hooks()

    def set_model(self, model):
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._bind_batch_hooks()

    def _bind_batch_hooks(self):
        self._histories = [cb for cb in self.callbacks if isinstance(cb, History)]
        self._batch = {hook: [getattr(cb, hook) for cb in self.callbacks if overrides(cb, hook)]
                       for hook in BATCH_HOOKS}
        # Batch hooks run every step: bind each dispatcher once, as a plain attribute.
        for hook in BATCH_HOOKS:
            setattr(self, hook, _dispatch(self._batch[hook]))

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        indexed = hook in ("on_epoch_begin", "on_epoch_end")

        def call(*args, logs=None):
            # Callbacks always get a dict (Keras passes `{}` where there is nothing to log).
            if indexed:
                args = (args[0], args[1] if len(args) > 1 else logs)
            else:
                args = (args[0] if args else logs,)
            args = args[:-1] + ({} if args[-1] is None else args[-1],)
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
            if hook == "on_epoch_end":
                # History records an epoch first (so it survives a later callback failing) and
                # then picks up what other callbacks added to the logs (e.g. learning_rate).
                for h in self._histories:
                    h.record_late_keys(*args)

        return call


def _dispatch(handlers):
    if not handlers:
        return _ignore

    def batch_call(batch, logs=None):
        logs = {} if logs is None else logs
        for h in handlers:
            h(batch, logs)

    return batch_call


def _ignore(batch, logs=None):
    pass
