"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite."""

import numpy as np

from numdeep.callbacks.base import Callback
from numdeep.utils.io_utils import print_msg


class TerminateOnNaN(Callback):
    """Stop training at the batch whose loss is NaN or infinite; no further step is taken.

    The epoch then ends as usual (its logs show the invalid loss) and ``on_train_end`` runs, but
    ``ModelCheckpoint`` and ``BackupAndRestore`` never write a model whose loss is not finite
    and ``BackupAndRestore`` keeps its backup, so earlier checkpoints survive.

    Args:
        raise_error: raise ``RuntimeError`` instead of stopping gracefully; the exception leaves
            ``fit`` without calling ``on_train_end`` (so no callback cleans up).

    Example:
        >>> import numpy as np
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.layers.Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> y = np.ones((8, 1))
        >>> y[2] = np.nan  # a bad label: the loss of the third batch is NaN
        >>> history = model.fit(np.ones((8, 1)), y, batch_size=2, epochs=3, shuffle=False,
        ...                     verbose=0, callbacks=[nd.callbacks.TerminateOnNaN()],
        ...                     check_finite=False)
        Batch 1: Invalid loss, terminating training
        >>> len(history.history["loss"])
        1
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
