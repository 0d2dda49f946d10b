"""``MultiOptimizer``: different optimizers for different variables, chosen by path."""

import re
from collections.abc import MutableMapping

from numdeep import registry
from numdeep.optimizers.base import Optimizer

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _optimizer_kind():
    return registry.kind("optimizer")


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (exact, else ``re.fullmatch`` patterns) to optimizers.

    Args:
        default_optimizer: the optimizer of variables no key matches.
        optimizer_map: optional initial ``{pattern: optimizer}`` dict.

    Example:
        >>> from numdeep import optimizers
        >>> opt_map = optimizers.OptimizerMap(default_optimizer=optimizers.RMSprop())
        >>> opt_map["encoder/.*"] = optimizers.SGD()
        >>> type(opt_map["encoder/dense/kernel"]).__name__, type(opt_map["decoder/x"]).__name__
        ('SGD', 'RMSprop')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: "
                            f"{default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matching[0]] if matching else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value "
                             f"{self._optimizer_map[key]}. Please make sure to not use "
                             f"duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        _check_inner(optimizer, "optimizer cannot be {}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        kind = _optimizer_kind()
        return {"default_optimizer": kind.serialize(self._default_optimizer),
                "optimizer_map": {k: kind.serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        kind = _optimizer_kind()
        return cls(kind.deserialize(config["default_optimizer"], custom_objects),
                   {k: kind.deserialize(v, custom_objects)
                    for k, v in config["optimizer_map"].items()})


def _check_inner(optimizer, template):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
    if type(optimizer).__name__ == "LossScaleOptimizer":
        raise ValueError(template.format("LossScaleOptimizer"))
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(template.format("MultiOptimizer"))


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer an ``OptimizerMap`` (or a callable
    ``fn(variable) -> Optimizer``) picks for it.

    ``optimizers`` lists the sub-optimizers (map values, then the default, then any a callable
    returns); each keeps its own learning rate, state and iteration count. A MultiOptimizer has
    no learning rate of its own: set it on the sub-optimizers (``LearningRateScheduler`` and
    ``ReduceLROnPlateau`` do). ``variables`` lists its own followed by the sub-optimizers'.

    Args:
        optimizer_map: an ``OptimizerMap`` or a callable returning an optimizer for a variable.
        loss_scale_factor: overrides the sub-optimizers' loss scale factor.
        name: the optimizer's name.

    Example:
        >>> import numdeep as nd
        >>> with nd.backend.name_scope("encoder"):
        ...     w1 = nd.Variable([1.0], name="kernel")
        >>> w2 = nd.Variable([1.0], name="bias")
        >>> opt_map = nd.optimizers.OptimizerMap(nd.optimizers.SGD(1.0))
        >>> opt_map["encoder/.*"] = nd.optimizers.SGD(0.1)
        >>> opt = nd.optimizers.MultiOptimizer(opt_map)
        >>> opt.apply([[1.0], [1.0]], [w1, w2])
        >>> w1.numpy(), w2.numpy()
        (array([0.9], dtype=float32), array([0.], dtype=float32))
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        inner = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for opt in inner + ([default] if default is not None else []):
            if opt not in self._inner_optimizers:
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)

    @property
    def optimizers(self):
        """The sub-optimizers, in the order their variables were assigned."""
        return self._inner_optimizers

    @property
    def variables(self):
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out += opt.variables
        return out

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers instead.")

    @property
    def loss_scale_factor(self):
        return self._loss_scale_factor

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self._inner_optimizers:
            opt.loss_scale_factor = value

    @property
    def iterations(self):
        return self._iterations

    def build(self, var_list):
        if self.built:
            return
        variables = list(var_list)
        self._var_to_optimizer_idx = {}
        groups = [[] for _ in self._inner_optimizers]
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
            _check_inner(opt, "{} cannot be used inside an MultiOptimizer.")
            if opt not in self._inner_optimizers:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
                groups.append([])
            idx = self._inner_optimizers.index(opt)
            self._var_to_optimizer_idx[id(var)] = idx
            groups[idx].append(var)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.build(group)
        super().build(variables)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise ValueError(f"Gradients must match trainable variables one-to-one. Received "
                             f"{len(grads)} gradients and {len(self._trainable_variables)} "
                             f"variables.")
        groups = [([], []) for _ in self._inner_optimizers]
        for grad, var in zip(grads, trainable_variables):
            group = groups[self._var_to_optimizer_idx[id(var)]]
            group[0].append(grad)
            group[1].append(var)
        for opt, (sub_grads, sub_vars) in zip(self._inner_optimizers, groups):
            if sub_grads:
                opt.apply(sub_grads, sub_vars)
        self._iterations.data += 1

    def finalize_variable_values(self, var_list):
        groups = [[] for _ in self._inner_optimizers]
        for var in var_list:
            groups[self._var_to_optimizer_idx[id(var)]].append(var)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.finalize_variable_values(group)

    def set_weights(self, weights):
        if not self.built:
            super().set_weights(weights)  # raises the unbuilt error
        weights = list(weights)
        own = len(self._variables)
        super().set_weights(weights[:own])
        start = own
        for opt in self._inner_optimizers:
            count = len(opt.variables)
            if count:
                opt.set_weights(weights[start:start + count])
                start += count

    def set_variables(self, values):
        self.set_weights(values)

    def state_dict(self):
        """Its own iteration count and each sub-optimizer's ``state_dict`` (``opt/<i>/...``)."""
        out = {"iterations": int(self._iterations.data)}
        for i, opt in enumerate(self._inner_optimizers):
            out.update({f"opt/{i}/{k}": v for k, v in opt.state_dict().items()})
        return out

    def load_state_dict(self, state):
        self._iterations.assign(int(state["iterations"]))
        for i, opt in enumerate(self._inner_optimizers):
            prefix = f"opt/{i}/"
            opt.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                 if k.startswith(prefix)})

    def get_config(self):
        optimizer_map = self._optimizer_map
        if isinstance(optimizer_map, OptimizerMap):
            optimizer_map = {"module": "keras.optimizers", "class_name": "OptimizerMap",
                             "config": optimizer_map.get_config(), "registered_name": None}
        return {"optimizer_map": optimizer_map, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer_map = config["optimizer_map"]
        if isinstance(optimizer_map, dict) and optimizer_map.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(optimizer_map["config"],
                                                               custom_objects)
        return cls(**config)
