"""``CallbackList``: how the training loop calls the callbacks it was given."""

from numdeep.callbacks.base import BATCH_HOOKS, overrides
from numdeep.callbacks.history import History


class CallbackList:
    """Dispatches each hook to a list of callbacks; batch hooks go only to callbacks that
    override them, so an ordinary ``fit`` pays nothing per step for callbacks that don't care."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
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
