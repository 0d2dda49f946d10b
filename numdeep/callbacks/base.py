"""``Callback``: hooks into ``fit``/``evaluate``/``predict`` with Keras's hook names."""

BATCH_HOOKS = (
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)
# Keras's backwards-compatible names of the training batch hooks.
BATCH_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class Callback:
    """Base class for callbacks: override the hooks you need.

    ``self.model`` is set by ``fit`` before ``on_train_begin``; ``self.params`` holds ``epochs``,
    ``steps`` and ``verbose``. Set ``self.model.stop_training = True`` to stop after this batch.
    Every hook receives a ``logs`` dict (empty where there is nothing to log): batch hooks the
    running results of the epoch so far, ``on_epoch_end`` the epoch's results (with ``val_``
    keys after validation), ``on_test_end`` the evaluation results, ``on_train_end`` the last
    epoch's logs. ``on_batch_begin``/``on_batch_end`` are Keras's older names of the training
    batch hooks and are called by them.

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
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)


def overrides(callback, hook):
    """Whether ``callback`` does something in ``hook`` (a method of its class, an attribute set
    on the instance such as ``LambdaCallback``'s, or the Keras alias of a batch hook)."""
    names = (hook, BATCH_ALIASES[hook]) if hook in BATCH_ALIASES else (hook,)
    for name in names:
        if name in getattr(callback, "__dict__", {}):
            return True
        if getattr(type(callback), name, None) is not getattr(Callback, name):
            return True
    return False
