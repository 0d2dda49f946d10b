"""Helpers shared by the callbacks that read the loss or the optimizer's learning rate."""

import math


def finite_loss(logs):
    """False when ``logs['loss']`` is NaN or infinite (the weights are then not worth saving)."""
    loss = (logs or {}).get("loss")
    return loss is None or math.isfinite(float(loss))


def optimizers_of(model):
    """``[(name, optimizer)]`` whose learning rate callbacks manage: each sub-optimizer of a
    ``MultiOptimizer`` (named), else the model's optimizer (name ``''``)."""
    optimizer = model.optimizer
    if hasattr(optimizer, "optimizers"):
        return [(opt.name, opt) for opt in optimizer.optimizers]
    return [("", optimizer)]


def log_learning_rate(model, logs):
    """Add the current learning rate to an epoch's ``logs`` as Keras does (``learning_rate``, or
    ``learning_rate_<name>`` per sub-optimizer); ``History`` records it with the epoch."""
    if logs is None or getattr(model, "optimizer", None) is None:
        return
    for name, opt in optimizers_of(model):
        logs[f"learning_rate_{name}" if name else "learning_rate"] = \
            opt._get_current_learning_rate()
