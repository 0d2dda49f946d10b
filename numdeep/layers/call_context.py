"""How a layer's ``call`` is invoked: which arguments its signature takes (``CallSpec``) and the
``training`` mode (and other registered call-context arguments) an outer layer's call hands
down to the layers it calls (``CallContext``).

Keras passes ``training`` and ``mask`` to ``call`` only when ``call`` declares them, and a layer
called inside another layer's ``call`` without an explicit ``training=`` inherits the outer
call's mode, so a ``Dropout`` inside a custom block drops during ``fit`` without the block
passing ``training`` along.
"""

import functools
import inspect
import threading

_LOCAL = threading.local()


class CallSpec:
    """The parts of a ``call`` signature the layer machinery needs."""

    def __init__(self, call):
        params = list(inspect.signature(call).parameters.values())[1:]  # drop self
        self.names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL,
                                                               p.VAR_KEYWORD)]
        self.positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                               p.POSITIONAL_OR_KEYWORD)]
        self.var_positional = any(p.kind is p.VAR_POSITIONAL for p in params)
        self.var_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
        self.first = self.positional[0] if self.positional else None
        named = {p.name: p for p in params}
        self.has_training = "training" in named
        self.has_mask = "mask" in named
        training = named.get("training")
        self.training_default = None if training is None or training.default is \
            inspect.Parameter.empty else training.default
        # `<arg>_mask` parameters of a call with several tensor arguments (filled from masks).
        self.arg_masks = [n for n in self.names if n.endswith("_mask") and n != "mask" and
                          n[:-len("_mask")] in self.names]
        self.defaults = {p.name: p.default for p in params
                         if p.default is not inspect.Parameter.empty}

    def bind_names(self, n_args, kwargs):
        """The parameter name of each positional argument, then the keyword names."""
        names = self.positional[:n_args]
        names += [f"arg{i}" for i in range(len(names), n_args)]
        return names + list(kwargs)


@functools.cache
def call_spec(cls):
    """``CallSpec`` of ``cls.call`` (computed once per class)."""
    return CallSpec(cls.call)


def _stack():
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


class CallContext:
    """The layer calls in progress on this thread, outermost first."""

    def __init__(self, layer, training, values=None):
        self.layer, self.training = layer, training
        self.values = values  # other call-context arguments (`_register_call_context_args`)

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()
        return False


def current_training():
    """The ``training`` mode of the innermost call in progress that has one, else ``None``."""
    for ctx in reversed(_stack()):
        if ctx.training is not None:
            return ctx.training
    return None


def current_value(name):
    """The value of call-context argument ``name`` set by the innermost call in progress that
    has one, else ``None``."""
    for ctx in reversed(_stack()):
        if ctx.values and ctx.values.get(name) is not None:
            return ctx.values[name]
    return None


def in_call():
    """Whether a layer's ``call`` is running on this thread."""
    return bool(_stack())
