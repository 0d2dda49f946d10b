"""``Optimizer``: Keras 3's optimizer contract on numdeep ``Variable``s, updating arrays in place.

A subclass supplies the per-variable rule on arrays: ``init_state(param)`` returns the slot arrays
of one variable (``_slot_groups()`` gives their Keras creation order), ``update(param, grad,
state, lr)`` changes ``param`` and the slots in place, and ``begin_step(lr)`` (optional) computes
the per-step Python scalars (bias corrections) once. Each slot is also a ``Variable`` listed in
``optimizer.variables`` under its Keras name, so optimizer state moves between numdeep and Keras
files. Keras-style subclasses (``build`` with ``add_variable_from_reference``, ``update_step`` on
Variables) work as well.

Each ``apply`` runs Keras's pipeline: drop missing gradients (warning), overwrite variables that
ask for it, unscale by ``loss_scale_factor``, accumulate (``gradient_accumulation_steps``), clip,
decay weights, update, track the EMA, apply each variable's ``constraint``, count the step.
"""

import re
import warnings

import numpy as np

from numdeep.autograd import Tensor, Variable
from numdeep.backend import name_scope, unique_name, xp_of
from numdeep.optimizers import schedules as _schedules
from numdeep.optimizers._features import OptimizerFeatures, _check_number
from numdeep.optimizers._state import _FLUSH_EVERY, OptimizerState, _array_of, reference_name

__all__ = ["Optimizer"]

_OLD_KERAS_KEYS = ("jit_compile", "is_legacy_optimizer")  # in older Keras configs; no meaning


def _snake(name):
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class Optimizer(OptimizerFeatures, OptimizerState):
    """Base class of numdeep optimizers (Keras 3 semantics, in-place array updates).

    Args:
        learning_rate: a float, a ``schedules.LearningRateSchedule`` (evaluated at every
            ``apply`` count), or a callable of no arguments returning the rate.
        weight_decay: optional float; decoupled decay ``w -= w * weight_decay * lr`` before each
            update (``exclude_from_weight_decay`` exempts variables).
        clipnorm: optional float; clip each gradient to this L2 norm.
        clipvalue: optional float; clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: optional float; scale all gradients so their joint L2 norm is at most this.
        use_ema: keep an exponential moving average of the weights (``finalize_variable_values``
            copies it into them; ``fit`` does so at its end).
        ema_momentum: the EMA's momentum. Defaults to 0.99.
        ema_overwrite_frequency: copy the EMA into the weights every this many steps.
        loss_scale_factor: multiply the loss by this (``scale_loss``) and divide gradients by it.
        gradient_accumulation_steps: update every this many ``apply`` calls with the mean of
            the gradients since the last update (``iterations`` counts updates).
        name: the optimizer's name (default: the snake-case class name, made unique).

    Only one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` may be set.

    Example:
        >>> import numdeep as nd
        >>> class SignSGD(nd.optimizers.Optimizer):
        ...     def update(self, param, grad, state, lr):
        ...         param -= lr * nd.backend.xp_of(grad).sign(grad)
        >>> w = nd.Variable([1.0, -1.0])
        >>> opt = SignSGD(learning_rate=0.25)
        >>> opt.apply([[3.0, -0.1]], [w])
        >>> w.numpy(), int(opt.iterations)
        (array([ 0.75, -0.75], dtype=float32), 1)
    """

    _scratch = ("_buf",)
    _extra_state = ()  # optimizer-level 0-d Variables ``self._<name>`` (Nadam's u_product)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        owner = type(self).__name__
        self._check_features(clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                             ema_overwrite_frequency, gradient_accumulation_steps)
        self.name = name if name is not None else unique_name(_snake(owner))
        self.weight_decay = None if weight_decay is None else _check_number(
            weight_decay, "weight_decay", owner)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables, self._trainable_variables, self._index = [], [], {}
        self._states, self._slot_variables, self._pending = [], [], None
        self._has_overwrite, self._overwrite_flags = False, []
        self._exclude_from_weight_decay, self._exclude_from_weight_decay_pattern = set(), None
        self._decay_cache = {}
        self._keras_style = type(self).update is Optimizer.update
        with name_scope(self.name):
            self._iterations = self._track(Variable(0, name="iteration", dtype="int64",
                                                    trainable=False))
        self._lr_variable = None
        self._learning_rate = None
        self._set_learning_rate(learning_rate)

    # ----- iterations ---------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of updates applied (a ``Variable``; with gradient accumulation, a Tensor
        counting completed accumulation cycles)."""
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    def _step_count(self):
        it = int(self._iterations.data)
        steps = self.gradient_accumulation_steps
        return it // steps if steps else it

    # ----- building ---------------------------------------------------------------------------
    def init_state(self, param):
        """The dict of slot arrays for one parameter (overridden by subclasses)."""
        return {}

    def _init_state_of(self, variable, param):
        """``init_state`` for a rule that depends on the variable itself (Muon: its path)."""
        return self.init_state(param)

    def _slot_groups(self):
        """Keras slot creation order: each group is created for every variable, interleaved."""
        return ()

    def _base_slots(self, param, overwrite=False):
        xp = xp_of(param)
        slots = {"average": xp.zeros_like(param)} if self.use_ema and not overwrite else {}
        if self.gradient_accumulation_steps:
            slots["gradient_accumulator"] = xp.zeros_like(param)
        return slots

    def build(self, var_list):
        """Create the optimizer's variables for ``var_list`` (once; later calls do nothing)."""
        if self.built:
            return
        variables = list(var_list)
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        arrays = [_array_of(v) for v in variables]
        # Variables overwritten by their gradient get no slots but a gradient accumulator.
        skip = [bool(getattr(v, "overwrite_with_gradient", False)) for v in variables]
        initial = [self._base_slots(p, s) if s else
                   {**self._base_slots(p, s), **self._init_state_of(v, p)}
                   for s, v, p in zip(skip, variables, arrays)]
        groups = ((("average",),) if self.use_ema else ()) + (
            (("gradient_accumulator",),) if self.gradient_accumulation_steps else ())
        self._slot_variables = [{} for _ in variables]
        with name_scope(self.name):
            for group in groups + tuple(self._slot_groups()):
                for i, v in enumerate(variables):
                    for key in group:
                        if key in initial[i]:
                            self._slot_variables[i][key] = self._track(Variable(
                                initial[i][key], name=f"{reference_name(v, i)}_{key}",
                                trainable=False))
        self._states = [{k: var.data for k, var in slots.items()}
                        for slots in self._slot_variables]
        for state, p, s in zip(self._states, arrays, skip):
            if not s:
                state.update({key: xp_of(p).empty_like(p) for key in self._scratch})
        self._overwrite_flags = skip
        self._has_overwrite = any(skip)
        self._model_variables_moving_average = [s.get("average") for s in self._slot_variables]
        self._accumulated_gradients = [s.get("gradient_accumulator")
                                       for s in self._slot_variables]
        self._build_extra_state(arrays[0].dtype if arrays else None)
        self.built = True
        if type(self).build is Optimizer.build:
            self._load_pending()

    def _build_extra_state(self, dtype):
        """Create optimizer-level variables after the slots (Nadam's ``u_product``)."""

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    # ----- the update rule --------------------------------------------------------------------
    def begin_step(self, lr):
        """Compute per-step Python scalars once before the per-variable updates."""

    def update(self, param, grad, state, lr):
        """Update ``param`` and ``state`` in place from ``grad`` (overridden by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update() (arrays) or "
                                  f"update_step() (Variables).")

    def update_step(self, gradient, variable, learning_rate):
        """One update of ``variable`` (a built one) from ``gradient`` at ``learning_rate``."""
        i = self._get_variable_index(variable)
        lr = float(learning_rate)
        param = _array_of(variable)
        self.begin_step(lr)
        self.update(param, self._grad_array(gradient, param), self._states[i], lr)

    # ----- applying gradients -------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; returns the ``iteration`` variable."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Apply one step of ``grads`` to ``trainable_variables`` (updated in place).

        Args:
            grads: gradients (arrays or Tensors), one per variable; ``None`` skips a variable.
            trainable_variables: the variables (``Variable``s, Tensors or arrays). The first call
                builds the optimizer on them; later calls may pass any of them. Optional once
                built: the gradients then match the variables it was built with.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the "
                                 f"gradients must match `optimizer.variables` one-to-on. "
                                 f"Received a list of {len(grads)} gradients, but the optimizer "
                                 f"is tracking {len(self._trainable_variables)} trainable "
                                 f"variables.")
            indices = list(range(len(grads)))
        else:
            variables = list(trainable_variables)
            if len(variables) != len(grads):
                raise ValueError(f"{self.name}: received {len(grads)} gradients for "
                                 f"{len(variables)} variables.")
            if not self.built:
                self.build(variables)
                self.built = True
                self._load_pending()
            indices = self._indices_of(variables)
        self._apply_indexed(grads, indices)

    def _indices_of(self, variables):
        index = self._index
        try:
            return [index[id(v)] for v in variables]
        except KeyError:
            unknown = next(v for v in variables if id(v) not in index)
            raise ValueError(f"Unknown variable: {unknown}. This optimizer can only be called "
                             f"for the variables it was originally built with. When working "
                             f"with a new set of variables, you should recreate a new optimizer "
                             f"instance.") from None

    def _grad_array(self, grad, param):
        g = grad if type(grad) is np.ndarray else _array_of(grad)
        return g if g.dtype == param.dtype else g.astype(param.dtype)

    def _apply_indexed(self, grads, indices):
        variables = self._trainable_variables
        arrays = []
        for g, i in zip(grads, indices):
            if g is None:
                return self._apply_present(grads, indices)
            param = _array_of(variables[i])
            if type(g) is not np.ndarray:
                g = _array_of(g)
            arrays.append(g if g.dtype == param.dtype else g.astype(param.dtype))
        if self._has_overwrite:
            arrays, indices = self._overwrite_with_gradients(arrays, indices)
        if arrays:
            if self.loss_scale_factor is not None:
                arrays = [g / self.loss_scale_factor for g in arrays]
            self._backend_apply_gradients(indices, arrays)
            for i in indices:
                constraint = getattr(variables[i], "constraint", None)
                if constraint is not None:
                    variables[i].assign(constraint(variables[i]))
        self._iterations.data += 1
        if int(self._iterations.data) % _FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _backend_apply_gradients(self, indices, grads):
        steps = self.gradient_accumulation_steps
        if not steps:
            self._update_indexed(indices, grads)
        elif (int(self._iterations.data) + 1) % steps == 0:
            accumulated = [self._states[i]["gradient_accumulator"] for i in indices]
            self._update_indexed(indices, [(g + a) / steps for g, a in zip(grads, accumulated)])
            for acc in self._accumulated_gradients:
                if acc is not None:
                    acc.data[...] = 0
        else:
            for g, i in zip(grads, indices):
                acc = self._states[i]["gradient_accumulator"]
                xp_of(acc).add(acc, g, acc)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            frequency = self.ema_overwrite_frequency
            if frequency and (self._step_count() + 1) % frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _update_indexed(self, indices, grads):
        grads = self._clip_gradients(grads)
        if self.weight_decay is not None or type(self)._apply_weight_decay is not \
                Optimizer._apply_weight_decay:
            self._apply_weight_decay([self._trainable_variables[i] for i in indices])
        self._backend_update_step(indices, grads, self._get_current_learning_rate())

    def _backend_update_step(self, indices, grads, lr):
        variables, states = self._trainable_variables, self._states
        if self._keras_style:
            for i, g in zip(indices, grads):
                self.update_step(g, variables[i], lr)
            return
        self.begin_step(lr)
        update = self.update
        for i, g in zip(indices, grads):
            update(_array_of(variables[i]), g, states[i], lr)

    # ----- config -------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments with Keras's names (a schedule becomes its config dict)."""
        lr = self._learning_rate
        if isinstance(lr, float):
            lr = self._get_current_learning_rate()
        elif isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {
            "name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue, "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from ``get_config()`` output (Keras configs accepted too)."""
        config = dict(config)
        if "lr" in config:
            config.setdefault("learning_rate", config.pop("lr"))
        for key in _OLD_KERAS_KEYS:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects=custom_objects)
        return cls(**config)

    def __setstate__(self, state):
        # Variables are matched by identity: an unpickled copy indexes its own objects.
        self.__dict__.update(state)
        self._index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self._decay_cache = {}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={self._learning_rate!r})"
