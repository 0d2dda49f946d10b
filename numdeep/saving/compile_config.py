"""A model's ``compile_config``: written from the live model (``get_compile_config``) and
compiled from again (``compile_from_config``), in Keras's layout and through the allow-list."""

import warnings

from numdeep.saving.errors import CorruptFileError
from numdeep.saving.object_config import Reader
from numdeep.saving.serialization import function_entry, serialize

__all__ = ["get_compile_config", "compile_from_config"]


def _loss_entry(loss):
    from numdeep import losses

    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, list | tuple):
        return [_loss_entry(x) for x in loss]
    if isinstance(loss, dict):
        return {k: _loss_entry(v) for k, v in loss.items()}
    if isinstance(loss, losses.LossFunctionWrapper):
        return function_entry(loss.fn)
    return serialize(loss)


def _metric_entry(metric):
    from numdeep import metrics

    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, list | tuple):
        return [_metric_entry(x) for x in metric]
    if isinstance(metric, dict):
        return {k: _metric_entry(v) for k, v in metric.items()}
    if type(metric) is metrics.MeanMetricWrapper:
        return function_entry(metric._fn)
    return serialize(metric)


def get_compile_config(model):
    """The Keras ``compile_config`` of a compiled model (``None`` when not compiled). Reads the
    live model without changing it (Keras's legacy save pops the optimizer; numdeep does not).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.saving import get_compile_config
        >>> model = nd.Sequential([nd.Input((3,)), nd.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        >>> config = get_compile_config(model)
        >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
        ('Adam', 'mse', ['mae'])
    """
    cc = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or cc is None:
        return None
    return {
        "optimizer": serialize(model.optimizer),
        "loss": _loss_entry(cc.get("loss")),
        "loss_weights": serialize(cc.get("loss_weights")),
        "metrics": _metric_entry(cc.get("metrics")),
        "weighted_metrics": _metric_entry(cc.get("weighted_metrics")),
        "run_eagerly": bool(cc.get("run_eagerly", False)),
        "steps_per_execution": cc.get("steps_per_execution", 1),
        "jit_compile": False,
    }


def _resolve_names(reader, value, where, category):
    """Check (and build) loss/metric entries: strings must be known names."""
    from numdeep import losses, metrics

    if isinstance(value, str):
        try:
            (losses.get if category == "loss" else metrics.get)(value)
        except ValueError:
            if reader.custom_objects.get(value) is None:
                reader.fail(where, f"{category} {value!r} is not on the allow-list")
            return reader.custom_objects[value]
        return value
    if isinstance(value, list):
        return [_resolve_names(reader, v, f"{where}[{i}]", category)
                for i, v in enumerate(value)]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _resolve_names(reader, v, f"{where}.{k}", category) for k, v in value.items()}
    return reader.value(value, where, category)


def _compile_args(reader, cc, legacy):
    from numdeep import optimizers

    opt = cc.get("optimizer_config") if legacy else cc.get("optimizer")
    where = "training_config" if legacy else "compile_config"
    reader.check_keys(cc, where)
    if isinstance(opt, str):
        try:
            optimizers.get(opt)
        except ValueError:
            reader.fail(f"{where}.optimizer", f"optimizer {opt!r} is not on the allow-list")
        optimizer = optimizers.get(opt) if reader.build else None
    elif isinstance(opt, dict):
        optimizer = reader.value(opt, f"{where}.optimizer", "optimizer")
    else:
        optimizer = "rmsprop" if reader.build else None
    args = {"optimizer": optimizer}
    for key, cat in (("loss", "loss"), ("metrics", "metric"), ("weighted_metrics", "metric")):
        args[key] = _resolve_names(reader, cc.get(key), f"{where}.{key}", cat)
    args["loss_weights"] = reader.value(cc.get("loss_weights"), f"{where}.loss_weights")
    return args


def _compile_is_custom(model):
    from numdeep.models.training import Trainer

    return type(model).compile is not Trainer.compile


def compile_from_config(model, cc, custom_objects=None, legacy=False):
    """Compile ``model`` from a Keras compile (or legacy training) config, checked first, then
    built. A model whose class overrides ``compile`` is left uncompiled with Keras's warning
    (its ``compile`` may take other arguments)."""
    if not isinstance(cc, dict) or not cc:
        return
    if _compile_is_custom(model):
        warnings.warn("`compile()` was not called as part of model loading because the model's "
                      "`compile()` method is custom. All subclassed Models that have `compile()` "
                      "overridden should also override `get_compile_config()` and "
                      "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                      "manually after loading.", stacklevel=2)
        return
    _compile_args(Reader(custom_objects, build=False), cc, legacy)
    args = _compile_args(Reader(custom_objects, build=True), cc, legacy)
    outputs = model.outputs
    for key in ("metrics", "weighted_metrics"):
        value = args[key]
        if (outputs is None or len(outputs) == 1) and isinstance(value, list) and \
                len(value) == 1 and isinstance(value[0], list):
            args[key] = value[0]  # Keras 2 writes one metrics list per output
    try:
        model.compile(**args)
    except (ValueError, TypeError) as e:
        raise CorruptFileError(f"compile() from the saved config failed ({e})") from e
