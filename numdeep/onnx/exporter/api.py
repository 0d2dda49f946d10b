"""``export``/``to_onnx``: a numdeep model as an ONNX graph with the model's input and output
names, a free batch axis (and every other axis the model leaves free), checked by
``onnx.checker`` before it is written."""

import os

import numpy as np

from numdeep import tree
from numdeep.layers.input_spec import InputSpec
from numdeep.onnx.errors import OnnxExportError
from numdeep.onnx.exporter import converters  # noqa: F401 - registers the converters
from numdeep.onnx.exporter.builder import GraphBuilder, check_opset
from numdeep.onnx.exporter.context import DEFAULT_SIGNATURES, ExportContext
from numdeep.onnx.exporter.walk import convert_layer, keep_inbound_nodes
from numdeep.ops.symbolic import KerasTensor


def to_onnx(model, input_signature=None, opset_version=None):
    """The ONNX ``ModelProto`` of ``model`` (see ``export``).

    Example:
        >>> import numdeep as nd
        >>> from numdeep.onnx import to_onnx
        >>> model = nd.Sequential([nd.Input((3,), name="x"), nd.layers.Dense(2, name="y")])
        >>> proto = to_onnx(model)
        >>> [i.name for i in proto.graph.input], [o.name for o in proto.graph.output]
        (['x'], ['y'])
    """
    opset = check_opset(opset_version)
    builder = GraphBuilder(opset)
    ctx = ExportContext(builder)
    inputs = _signature(model, input_signature)
    flat = tree.flatten(inputs)
    in_names = _unique(_input_names(model, inputs, flat))
    with keep_inbound_nodes(model):
        out = _symbolic_call(model, inputs, flat)
        out_flat = tree.flatten(out)
        out_names = _unique(_output_names(model, out, len(out_flat)), taken=in_names)
        builder._names.update(in_names + out_names)  # the graph's own names stay exact
        graph_inputs = []
        for t, name in zip(flat, in_names):
            ctx.set(t, name)
            dims = ["batch" if i == 0 and d is None else (f"{name}_dim{i}" if d is None else d)
                    for i, d in enumerate(t.shape)]
            graph_inputs.append(builder.value_info(name, t.dtype, dims))
        node = out_flat[0].node
        values = convert_layer(ctx, model, node)
    for t, v in zip(node.output_tensors, values):
        ctx.set(t, v)
    graph_outputs = []
    for t, name in zip(out_flat, out_names):
        builder.node("Identity", [ctx.value(t)], outputs=[name], name="output")
        dims = ["batch" if i == 0 and d is None else d for i, d in enumerate(t.shape)]
        graph_outputs.append(builder.value_info(name, t.dtype, dims))
    proto = builder.model(builder.graph(model.name, graph_inputs, graph_outputs),
                          doc=f"numdeep model '{model.name}'")
    builder.onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model, filepath, input_signature=None, opset_version=None, verbose=None):
    """Write ``model`` to ``filepath`` as an ONNX file (what ``Model.export(format='onnx')``
    does).

    Sequential, functional and subclassed models built from numdeep layers and ``numdeep.ops``
    are exported: each layer becomes the ONNX operators that compute it at inference (dropout
    and noise layers vanish, batch normalization uses its moving statistics), recurrent layers
    become ONNX ``RNN``/``LSTM``/``GRU`` nodes (a ``Scan`` for masked sequences and
    ``ConvLSTM``), ``Resizing``/``CenterCrop`` become ``Resize``/``Slice``. An activation given
    as a Python function of ``numdeep.ops`` calls is traced. The batch axis is free, as is
    every axis the model's inputs leave as ``None`` (a sequence axis, image sizes).

    Args:
        model: a numdeep model (built, or given an ``input_signature``).
        filepath: the ``.onnx`` file to write.
        input_signature: the inputs (``InputSpec``, ``KerasTensor``, shape tuple or array, or
            a list/dict of them); by default a functional model's inputs, or the shapes a
            subclassed model was built with.
        opset_version: the ONNX opset (default 18).
        verbose: accepted for Keras compatibility.

    Raises:
        OnnxExportError: a layer or op cannot be exported; the message names it.
        ImportError: the ``onnx`` package is missing (``pip install 'numdeep[onnx]'``).

    Example:
        >>> import os, tempfile
        >>> import numdeep as nd
        >>> model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3, activation="relu")])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
        >>> model.export(path, format="onnx")
        >>> os.path.getsize(path) > 0
        True
    """
    proto = to_onnx(model, input_signature=input_signature, opset_version=opset_version)
    directory = os.path.dirname(os.path.abspath(os.fspath(filepath)))
    os.makedirs(directory, exist_ok=True)
    with open(filepath, "wb") as f:
        f.write(proto.SerializeToString())


# ----- inputs and names ----------------------------------------------------------------------
def _symbolic_call(model, inputs, flat):
    single = isinstance(inputs, list) and len(inputs) == 1 and not _is_multi(model)
    try:
        return model(inputs[0] if single else inputs)
    except OnnxExportError:
        raise
    except Exception as err:  # noqa: BLE001 - report which model could not be traced
        raise OnnxExportError(f"ONNX export: model '{model.name}' could not run on symbolic "
                              f"inputs {flat}: {type(err).__name__}: {err}") from err


def _unique(names, taken=()):
    out, seen = [], set(taken)
    for name in names:
        base, i = name, 1
        while name in seen:
            name, i = f"{base}_{i}", i + 1
        seen.add(name)
        out.append(name)
    return out


def _is_multi(model):
    graph = getattr(model, "_graph", None)
    return graph is not None and not isinstance(graph.inputs, KerasTensor)


def _spec_tensor(spec, default_name=None):
    if isinstance(spec, KerasTensor):
        return KerasTensor((None, *spec.shape[1:]) if spec.shape else (), dtype=spec.dtype,
                           name=spec.name or default_name)
    if isinstance(spec, InputSpec):
        if spec.shape is None:
            raise OnnxExportError(f"ONNX export: input_signature InputSpec {spec} has no shape.")
        return KerasTensor(spec.shape, dtype=spec.dtype, name=spec.name or default_name)
    if hasattr(spec, "shape") and hasattr(spec, "dtype"):
        a = np.asarray(getattr(spec, "data", spec))
        return KerasTensor((None, *a.shape[1:]), dtype=a.dtype.name, name=default_name)
    if isinstance(spec, tuple | list) and all(d is None or isinstance(d, int) for d in spec):
        return KerasTensor(tuple(spec), name=default_name)
    raise OnnxExportError(f"ONNX export: cannot read input_signature entry {spec!r}; give an "
                          f"InputSpec, a KerasTensor, a shape tuple or an array.")


def _signature(model, signature):
    """A list (or dict) of fresh symbolic inputs."""
    if signature is None:
        signature = _default_signature(model)
    if isinstance(signature, dict):
        return {k: _spec_tensor(v, k) for k, v in signature.items()}
    if not isinstance(signature, list | tuple) or _is_shape(signature):
        signature = [signature]
    return [_spec_tensor(s) for s in signature]


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _default_signature(model):
    for cls in type(model).__mro__:
        if cls in DEFAULT_SIGNATURES:
            return DEFAULT_SIGNATURES[cls](model)
    graph = getattr(model, "_graph", None)
    if graph is not None:
        return tree.map_structure(lambda t: KerasTensor((None, *t.shape[1:]), dtype=t.dtype,
                                                        name=t.name), graph.inputs)
    shapes = getattr(model, "_build_shapes", None)
    if shapes is None:
        raise OnnxExportError(f"ONNX export: model '{model.name}' has no known input shape. "
                              f"Call it on data first or pass input_signature=[InputSpec("
                              f"shape=(None, ...), dtype=...)].")
    if isinstance(shapes, dict):
        shapes = list(shapes.values())[0] if len(shapes) == 1 else shapes
    dtype = model.input_dtype if hasattr(model, "input_dtype") else None
    return tree.map_structure(lambda s: KerasTensor((None, *s[1:]), dtype=dtype), shapes,
                              is_leaf=_is_shape)


def _input_names(model, inputs, flat):
    if isinstance(inputs, dict):
        return [str(k) for k in sorted(inputs)]
    names = [t.name for t in flat]
    if all(names) and len(set(names)) == len(names):
        return names
    return ["inputs"] if len(flat) == 1 else [f"input_{i}" for i in range(len(flat))]


def _output_names(model, out, n):
    if isinstance(out, dict):
        return [".".join(str(p) for p in path) for path, _ in tree.flatten_with_path(out)]
    if getattr(model, "_graph", None) is not None:
        names = list(model.output_names)
        if len(names) == n and len(set(names)) == n:
            return names
    return ["output"] if n == 1 else [f"output_{i}" for i in range(n)]
