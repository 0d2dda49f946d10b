"""What Keras's optimizer pipeline does around the update rule: the learning rate (a float
variable, a schedule or a callable), weight-decay exclusions and decay, gradient clipping,
missing gradients, variables overwritten by their gradient, the moving average of the weights
(EMA), loss scaling and the checks of these arguments. A mixin of ``Optimizer``."""

import re
import warnings

import numpy as np

from numdeep.autograd import Tensor, Variable
from numdeep.backend import name_scope, xp_of
from numdeep.optimizers import _clipping
from numdeep.optimizers import schedules as _schedules
from numdeep.optimizers._state import _array_of


def _check_number(value, name, owner, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: `{name}` must be a number. Received: {name}={value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{owner}: `{name}` must be in [{low}, {high}]. Received: {name}={value}")
    return float(value)


class OptimizerFeatures:
    """Mixin of ``Optimizer``: the steps of ``apply`` other than the update rule itself."""

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (``loss`` unchanged without a factor)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from ``weight_decay``: the objects in ``var_list``, and those whose
        name contains (as a regex) any of ``var_names``. Call it before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_from_weight_decay = {id(v) for v in (var_list or ())}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None)
        self._decay_cache = {}

    def _use_weight_decay(self, variable):
        key = id(variable)
        use = self._decay_cache.get(key)
        if use is None:
            name = getattr(variable, "name", None)
            pattern = self._exclude_from_weight_decay_pattern
            use = key not in self._exclude_from_weight_decay and not (
                pattern is not None and name and pattern.search(str(name)))
            self._decay_cache[key] = use
        return use

    def _apply_present(self, grads, indices):
        """Drop the variables without a gradient (warning, as Keras), then apply the rest."""
        keep = [k for k, g in enumerate(grads) if g is not None]
        if not keep:
            raise ValueError("No gradients provided for any variable.")
        variables = self._trainable_variables
        missing = [getattr(variables[indices[k]], "path", indices[k])
                   for k, g in enumerate(grads) if g is None]
        warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                      f"loss. If using `model.compile()`, did you forget to provide a `loss` "
                      f"argument?", stacklevel=4)
        self._apply_indexed([grads[k] for k in keep], [indices[k] for k in keep])

    def _clip_gradients(self, grads):
        """Keras's clipping (``clipnorm``, then ``global_clipnorm``, then ``clipvalue``); returns
        new arrays, ``None`` entries kept."""
        if not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return grads
        arrays = [None if g is None else g if type(g) is np.ndarray else _array_of(g)
                  for g in grads]
        if self.clipnorm and self.clipnorm > 0:
            return [None if g is None else _clipping.clip_by_norm(g, self.clipnorm)
                    for g in arrays]
        if self.global_clipnorm and self.global_clipnorm > 0:
            present = [g for g in arrays if g is not None]
            clipped = iter(_clipping.clip_by_global_norm(present, self.global_clipnorm))
            return [None if g is None else next(clipped) for g in arrays]
        return [None if g is None else _clipping.clip_by_value(g, self.clipvalue)
                for g in arrays]

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        factor = 1.0 - self.weight_decay * self._get_current_learning_rate()
        for variable in variables:
            if self._use_weight_decay(variable):
                param = _array_of(variable)
                xp_of(param).multiply(param, factor, param)

    def _overwrite_with_gradients(self, grads, indices):
        """Variables with ``overwrite_with_gradient`` take their gradient as their value (the
        running maximum over an accumulation cycle); they leave the update."""
        variables, kept = self._trainable_variables, ([], [])
        steps = self.gradient_accumulation_steps
        for g, i in zip(grads, indices):
            if not self._overwrite_flags[i]:
                kept[0].append(g)
                kept[1].append(i)
                continue
            param = _array_of(variables[i])
            if not steps:
                param[...] = g
                continue
            acc = self._states[i]["gradient_accumulator"]
            if (int(self._iterations.data) + 1) % steps == 0:
                param[...] = xp_of(g).maximum(g, acc)
                acc[...] = 0
            else:
                acc[...] = xp_of(g).maximum(g, acc)
        return kept

    # ----- moving average of the weights ------------------------------------------------------
    def _update_model_variables_moving_average(self, trainable_variables):
        momentum = self.ema_momentum if self._step_count() != 0 else 0.0
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                avg = average.data
                avg *= momentum
                avg += (1.0 - momentum) * _array_of(var)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(f"The length of model variables ({len(trainable_variables)}) to "
                             f"override does not match the length of model variables stored in "
                             f"the optimizer ({len(averages)}). Please check if the optimizer "
                             f"was called on your model.")
        for var, average in zip(trainable_variables, averages):
            if average is not None:
                _array_of(var)[...] = average.data

    def finalize_variable_values(self, var_list):
        """Give the variables their final values: with ``use_ema``, their moving averages."""
        if self.use_ema and self.built:
            self._overwrite_model_variables_with_average_value(var_list)

    # ----- learning rate ------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate, as Keras gives it: the ``learning_rate`` Variable for a float rate
        (``float(opt.learning_rate)`` reads it), else a Tensor with the schedule's (or the
        callable's) current value. Settable to a float, a schedule or a callable."""
        lr = self._get_current_learning_rate()
        if isinstance(self._learning_rate, float):
            return self._lr_variable
        return Tensor(np.float32(lr))

    def _get_current_learning_rate(self):
        """The learning rate for the next step as a Python float (the exact value set, which the
        float32 ``learning_rate`` variable only approximates)."""
        lr = self._learning_rate
        if isinstance(lr, float):
            stored = self._lr_variable.data
            if stored != self._lr32:  # the variable was assigned directly (e.g. loaded)
                lr = float(stored)
                self._learning_rate, self._lr32 = lr, stored.copy()
            return lr
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(int(self._iterations.data)))
        return float(lr())

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_learning_rate(value)

    def _set_learning_rate(self, value):
        if isinstance(value, _schedules.LearningRateSchedule) or (
                callable(value) and not isinstance(value, Tensor)):
            self._learning_rate = value
            if self._lr_variable is not None:
                self._variables.remove(self._lr_variable)
                self._lr_variable = None
            return
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        if getattr(value, "ndim", None) == 0:
            value = value.item() if hasattr(value, "item") else float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"Argument `learning_rate` should be float, or an instance of "
                             f"LearningRateSchedule, or a callable (that takes in the current "
                             f"iteration value and returns the corresponding learning rate "
                             f"value). Received instead: learning_rate={value!r}")
        if self._lr_variable is None:
            with name_scope(self.name):
                self._lr_variable = Variable(np.float32(value), name="learning_rate",
                                             trainable=False)
            self._variables.insert(1, self._lr_variable)
        self._set_float_learning_rate(float(value))

    def _set_float_learning_rate(self, value):
        # The exact Python float drives the updates; the float32 variable is what files store.
        self._learning_rate = value
        self._lr_variable.assign(np.float32(value))
        self._lr32 = self._lr_variable.data.copy()

    # ----- checking the arguments -----------------------------------------------------------
    @staticmethod
    def _check_features(clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                        ema_overwrite_frequency, gradient_accumulation_steps):
        clips = (clipnorm, clipvalue, global_clipnorm)
        if sum(c is not None for c in clips) > 1:
            raise ValueError(f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        for key, value in zip(("clipnorm", "clipvalue", "global_clipnorm"), clips):
            if value is not None:
                _check_number(value, key, "Optimizer", low=0.0)
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(f"`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: "
                                 f"ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(f"`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
