"""``Model``: a layer graph (functional) or a subclass with its own ``call``, plus training."""

from numdeep import tree
from numdeep.layers.input_spec import InputSpec
from numdeep.layers.layer import Layer
from numdeep.models import plan
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

    _untracked_attrs = Trainer._untracked_attrs | {"_graph", "_seq", "_input_layer",
                                                   "_output_names"}

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
        self._layers = list(self._graph.layers)  # InputLayers too, as Keras tracks them
        self.built = True

    def __call__(self, *args, **kwargs):
        # Inference (no graph, training false) replays a traced plan once one is proven.
        outputs = plan.call(self, args, kwargs)
        return Layer.__call__(self, *args, **kwargs) if outputs is plan.NO_PLAN else outputs

    @property
    def _allow_non_tensor_positional_args(self):
        # A graph model hands each positional argument to its inputs; a subclassed model's
        # call follows the layer rule (tensors only).
        return self._graph is not None

    def _lock_state(self):
        # A functional model may take on layers outside its graph after it is built (as in
        # Keras); a subclassed one is locked like any layer.
        if self._graph is None:
            Layer._lock_state(self)

    @property
    def output_names(self):
        """The names of the layers that produce the outputs (what ``compile`` dicts and the
        per-output metric names refer to)."""
        if "_output_names" in self.__dict__:
            return self.__dict__["_output_names"]
        if self._graph is None:
            return []
        return [t.node.operation.name for t in self._graph.output_tensors]

    @output_names.setter
    def output_names(self, value):
        self.__dict__["_output_names"] = list(value) if value is not None else None

    @property
    def layers(self):
        if self._graph is not None:
            return list(self._graph.layers)
        return list(self._layers)

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. "
                             "Please use another name.")

    @property
    def inputs(self):
        return self._graph.input_tensors if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.output_tensors if self._graph is not None else None

    @property
    def input(self):
        """A functional model's inputs (as given to ``Model``); else the input of the model's
        first call inside another graph."""
        return self._graph.inputs if self._graph is not None else Layer.input.fget(self)

    @property
    def output(self):
        """A functional model's outputs (as given to ``Model``)."""
        return self._graph.outputs if self._graph is not None else Layer.output.fget(self)

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

    @property
    def input_spec(self):
        """What the model accepts: set by hand, or for a functional model one spec per input
        (its shape with a free batch size, named by its key or ``Input`` name)."""
        manual = self.__dict__.get("_manual_input_spec")
        if manual is not None or self._graph is None:
            return manual
        if self._graph.input_specs is None:
            self._graph.input_specs = _input_specs(self._graph.inputs)
        return self._graph.input_specs

    @input_spec.setter
    def input_spec(self, value):
        self.__dict__["_manual_input_spec"] = value

    @property
    def _operations(self):
        return list(self._graph.operations) if self._graph is not None else []

    @property
    def operations(self):
        return self._operations

    def compute_output_shape(self, input_shape):
        if self._graph is not None:
            return tree.map_structure(lambda t: t.shape, self._graph.outputs)
        symbolic = tree.map_structure(lambda s: KerasTensor(s, dtype=self.dtype),
                                      _shape_structure(input_shape), is_leaf=_is_shape)
        return tree.map_structure(lambda t: t.shape, self._traced_output_spec((symbolic,), {}))

    def compute_output_spec(self, *args, **kwargs):
        if self._graph is not None:
            return self._graph.output_spec(args[0] if args else kwargs.get("inputs"))
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

    def get_compile_config(self):
        """The arguments ``compile`` was called with, serialized (``None`` if not compiled)."""
        from numdeep.saving.api import get_compile_config

        return get_compile_config(self)

    def compile_from_config(self, config):
        """Compile from ``get_compile_config()`` output (a model that overrides ``compile``
        warns and stays uncompiled, as in Keras)."""
        from numdeep.saving.api import compile_from_config

        compile_from_config(self, config)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
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

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None, **kwargs):
        """Save the weights and, when compiled, the optimizer state to ``.weights.h5`` (Keras 3
        layout; ``max_shard_size`` GB per file with a ``.weights.json`` index) or legacy
        ``.h5``, atomically."""
        from numdeep.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size,
                     **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights (and optimizer state when compiled) from ``.weights.h5``, ``.keras`` or
        ``.h5``; nothing changes unless every variable matches (or ``skip_mismatch``)."""
        from numdeep.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None,
               opset_version=None, **kwargs):
        """Write the model for inference elsewhere: ``format="onnx"`` (onnxruntime, OpenCV's
        ``cv2.dnn``, TensorRT), through ``numdeep.onnx.export`` (the ``numdeep[onnx]`` extra).
        Keras's other formats need TensorFlow, OpenVINO or PyTorch and are refused.

        Example:
            >>> import os, tempfile
            >>> import numdeep as nd
            >>> model = nd.Sequential([nd.Input((4,), name="x"), nd.layers.Dense(2)])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
            >>> model.export(path, format="onnx")
            >>> os.path.exists(path)
            True
        """
        formats = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
        if format not in formats:
            raise ValueError(f"Unrecognized format={format}. Supported formats are: "
                             f"{list(formats)}.")
        if format != "onnx" or kwargs:
            raise ValueError(f"numdeep exports format='onnx' only (received format={format!r}"
                             f"{', options ' + str(sorted(kwargs)) if kwargs else ''}).")
        from numdeep.onnx import export

        export(self, filepath, input_signature=input_signature, opset_version=opset_version,
               verbose=verbose)


def _input_specs(inputs):
    """Keras's specs for a functional model's inputs: ``None`` for a nested dict (not
    checked), specs in sorted-key order for a dict of inputs."""
    def spec(t, name=None):
        shape = (None, *t.shape[1:]) if t.shape else ()
        return InputSpec(shape=shape, allow_last_axis_squeeze=True,
                         name=name or t.node.operation.name, optional=t.optional)

    if isinstance(inputs, dict):
        if all(isinstance(t, KerasTensor) for t in inputs.values()):
            return [spec(inputs[k], name=k) for k in sorted(inputs)]
        return None
    return [spec(t) for t in tree.flatten(inputs)]




def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _shape_structure(shape):
    if isinstance(shape, dict):
        return {k: _shape_structure(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and all(
            isinstance(s, list | tuple | dict) for s in shape):
        return [_shape_structure(s) for s in shape]
    return tuple(shape)


# Keras's class of `Model(inputs, outputs)`. numdeep has one model class: a functional model is
# a `Model` with a graph, so `isinstance(Model(inputs, outputs), Functional)` holds and
# `Functional(inputs, outputs)` builds one (Keras code and its tests use both spellings).
Functional = Model
