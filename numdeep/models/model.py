"""``Model``: a layer graph (functional) or a subclass with its own ``call``, plus training."""

from numdeep import tree
from numdeep.layers.input_layer import InputLayer
from numdeep.layers.input_spec import format_shape
from numdeep.layers.layer import Layer
from numdeep.models.functional import Graph
from numdeep.models.training import Trainer
from numdeep.ops.symbolic import KerasTensor


class Model(Trainer, Layer):
    """A trainable group of layers.

    Functional use: ``Model(inputs, outputs)`` with tensors from ``Input`` and layer calls.
    Subclassing: define layers in ``__init__`` and the forward pass in ``call``.

    Args:
        inputs: the ``Input`` tensor(s) (a tensor, list or dict).
        outputs: the output tensor(s) computed from them.
        name: model name.

    Example:
        >>> import numdeep as nd
        >>> inputs = nd.Input(shape=(3,))
        >>> hidden = nd.layers.Dense(4, activation="relu")(inputs)
        >>> outputs = nd.layers.Dense(1)(hidden)
        >>> model = nd.Model(inputs, outputs)
        >>> model.count_params()
        21
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        Layer.__init__(self, name=name, **kwargs)
        self._init_trainer()
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs) needs both `inputs` and `outputs`.")
            self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        self._graph = Graph(inputs, outputs)
        self._layers = [la for la in self._graph.layers if not isinstance(la, InputLayer)]
        self.built = True

    @property
    def layers(self):
        if self._graph is not None:
            return list(self._graph.layers)
        return list(self._layers)

    @property
    def inputs(self):
        return self._graph.input_tensors if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.output_tensors if self._graph is not None else None

    def get_layer(self, name=None, index=None):
        """Return a layer by ``name`` or by ``index`` in ``model.layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers: "
                         f"{[la.name for la in self.layers]}")

    def build(self, input_shape=None):
        """Create the weights: a functional model has them already; a subclassed model is
        traced once on symbolic inputs of ``input_shape``, which builds its layers."""
        if self._graph is not None:
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}' needs an `input_shape` to build: call it on "
                             f"data or pass build(input_shape).")
        symbolic = tree.map_structure(lambda s: KerasTensor(s, dtype=self.dtype),
                                      _shape_structure(input_shape), is_leaf=_is_shape)
        self._traced_output_spec((symbolic,), {})

    def _can_call(self):
        return self._graph is not None or type(self).call is not Model.call

    def call(self, inputs, training=False):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}' has no graph: pass Model(inputs, outputs) or subclass "
                f"Model and implement call()."
            )
        return self._graph.run(inputs, training=training)

    def __call__(self, inputs, training=None, **kwargs):
        if self._graph is not None:
            shape = getattr(inputs, "shape", None)
            if shape is None or shape != self._checked_shapes:
                if not _symbolic(inputs):
                    self._check_input_shapes(inputs)
                self._checked_shapes = shape
        return super().__call__(inputs, training=training, **kwargs)

    def _check_input_shapes(self, inputs):
        expected = [t.shape for t in self._graph.input_tensors]
        received = [getattr(v, "shape", None) for v in self._graph.flatten_inputs(inputs)]
        for exp, got in zip(expected, received):
            if got is None:
                continue
            if len(exp) != len(got) or any(e is not None and e != g for e, g in zip(exp, got)):
                raise ValueError(
                    f"Model '{self.name}' expects input of shape {format_shape(exp)} but received "
                    f"input with shape {format_shape(got)}."
                )

    def compute_output_shape(self, input_shape):
        if self._graph is not None:
            return tree.map_structure(lambda t: t.shape, self._graph.outputs)
        symbolic = tree.map_structure(lambda s: KerasTensor(s, dtype=self.dtype),
                                      _shape_structure(input_shape), is_leaf=_is_shape)
        return tree.map_structure(lambda t: t.shape, self._traced_output_spec((symbolic,), {}))

    def compute_output_spec(self, *args, **kwargs):
        if self._graph is not None:
            return tree.map_structure(lambda t: KerasTensor(t.shape, dtype=t.dtype),
                                      self._graph.outputs)
        return self._traced_output_spec(args, kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers, their output shapes and parameter counts."""
        from numdeep.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn,
                      show_trainable=show_trainable)

    # ----- saving (implemented in numdeep.saving, imported lazily) -------------------------
    def get_config(self):
        """The Keras config: ``layers`` with ``inbound_nodes``, ``input_layers`` and
        ``output_layers`` for a functional model; the constructor arguments when subclassed."""
        if self._graph is None:
            return Layer.get_config(self)
        from numdeep.saving.serialization import model_get_config

        return model_get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from ``get_config()`` output (Keras 3 or Keras 2 dialect)."""
        from numdeep.saving.api import model_class_from_config

        return model_class_from_config(cls, config, custom_objects)

    def to_json(self, **kwargs):
        """The model's Keras config (``{'module', 'class_name', 'config', ...}``) as JSON."""
        import json

        from numdeep.saving import serialize

        return json.dumps(serialize(self), **kwargs)

    def save(self, filepath, overwrite=True, zipped=None):
        """Save the whole model (architecture, weights, compile state and optimizer slots) to
        ``.keras`` or legacy ``.h5``, atomically; see ``numdeep.saving.save_model``.

        Example:
            >>> import os, tempfile
            >>> import numdeep as nd
            >>> model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(1)])
            >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
            >>> model.save(path)
            >>> nd.models.load_model(path).count_params()
            3
        """
        from numdeep.saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights and, when compiled, the optimizer state to ``.weights.h5`` (Keras 3
        layout) or legacy ``.h5``, atomically."""
        from numdeep.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights (and optimizer state when compiled) from ``.weights.h5``, ``.keras`` or
        ``.h5``; nothing changes unless every variable matches (or ``skip_mismatch``)."""
        from numdeep.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)


def _symbolic(x):
    from numdeep.ops.symbolic import any_symbolic

    return any_symbolic(x)




def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _shape_structure(shape):
    if isinstance(shape, dict):
        return {k: _shape_structure(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and all(
            isinstance(s, list | tuple | dict) for s in shape):
        return [_shape_structure(s) for s in shape]
    return tuple(shape)
