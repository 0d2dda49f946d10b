"""``load_model``: an ONNX file as a numdeep functional model.

The file is read safely (``reader``), every operator is checked against the importers before
anything is built (one error lists all that are missing), constant sub-graphs fold at import
(shape arithmetic included), and each remaining node becomes numdeep layers or ops whose
weights are trainable numdeep weights.
"""

import numpy as np

from numdeep.layers.input_layer import Input
from numdeep.models.model import Model
from numdeep.onnx._deps import require_onnx
from numdeep.onnx.errors import OnnxImportError
from numdeep.onnx.importer import ops_math, ops_nn, ops_shape  # noqa: F401 - registration
from numdeep.onnx.importer.budget import ImportBudget, planned, predicted_shapes
from numdeep.onnx.importer.context import FOLDERS, IMPORTERS, ImportContext, clean_name, is_const
from numdeep.onnx.importer.reader import read_model, to_array
from numdeep.onnx.importer.shapes import Expr, is_partial, settle
from numdeep.ops.symbolic import KerasTensor

_ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
                9: "bool", 10: "float16", 11: "float64"}


def load_model(filepath, allow_external_data_dir=None, max_bytes=None, max_tensor_bytes=None):
    """Load an ONNX file as a numdeep functional model (inference and fine-tuning).

    Supported operators: Gemm, MatMul, Conv, ConvTranspose, BatchNormalization,
    LayerNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, Gelu, Erf, Elu,
    Selu, HardSigmoid, HardSwish, Softplus, Clip, MaxPool, AveragePool, GlobalAveragePool,
    GlobalMaxPool, Add, Sub, Mul, Div, Pow, Max, Min, comparisons, Where, Concat, Flatten,
    Reshape, Transpose, Squeeze, Unsqueeze, Pad, Split, Slice, Gather, Expand, Cast, Reduce*
    (Mean, Sum, Max, Min, Prod, L2, SumSquare), ArgMax/ArgMin, LSTM, GRU, and the constant
    ones (Constant, Identity, Dropout, Shape, ConstantOfShape, Range) folded at import.

    Args:
        filepath: the ``.onnx`` file.
        allow_external_data_dir: the folder external tensor data may be read from (refused
            otherwise; every file must stay inside it).
        max_bytes: the largest file accepted (default 2 GiB).
        max_tensor_bytes: the largest tensor the import may make (graph inputs and values as
            numdeep traces them, folded constants, and all folded constants together);
            default ``max(64 MiB, 4 x the file's size)``, see ``importer.budget``.

    Returns:
        A ``numdeep.models.Functional`` with the graph's input and output names; float
        weights are trainable ``Variable``s (``Dense``, convolution, normalization, embedding
        and recurrent layers, and ``ConstantOperand`` for other constant operands).

    Raises:
        OnnxFormatError: a damaged or unsafe file, or one that declares tensors larger than
            ``max_tensor_bytes``.
        OnnxImportError: unsupported operators (all listed at once) or attributes.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import numdeep as nd
        >>> from numdeep.onnx import export, load_model
        >>> model = nd.Sequential([nd.Input((3,), name="x"), nd.layers.Dense(2, name="y")])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
        >>> export(model, path)
        >>> loaded = load_model(path)
        >>> x = np.ones((4, 3), "float32")
        >>> bool(np.allclose(loaded(x).data, model(x).data, atol=1e-6))
        True
    """
    require_onnx()
    proto = read_model(filepath, allow_external_data_dir=allow_external_data_dir,
                       max_bytes=max_bytes)
    budget = ImportBudget(proto.ByteSize(), max_tensor_bytes)
    return model_from_proto(proto, name=clean_name(proto.graph.name or "onnx_model"),
                            budget=budget)


def model_from_proto(proto, name="onnx_model", budget=None):
    """A checked ``ModelProto`` (``reader.read_model``) as a numdeep functional model, making no
    tensor over ``budget`` (an ``ImportBudget``; default: sized from the proto)."""
    onnx = require_onnx()
    graph = proto.graph
    opset = _default_opset(proto)
    _check_supported(graph, proto)
    budget = budget or ImportBudget(proto.ByteSize())
    for vi in graph.input:
        dims = vi.type.tensor_type.shape.dim
        budget.check([d.dim_value if d.HasField("dim_value") else None for d in dims],
                     np.dtype(_ONNX_DTYPES.get(vi.type.tensor_type.elem_type, "float64")
                              ).itemsize, f"graph input {vi.name!r}")
    for value, (dims, itemsize) in predicted_shapes(onnx, proto).items():
        budget.check(dims, itemsize, f"value {value!r} (as ONNX shape inference sizes it)")
    ctx = ImportContext(graph, opset)
    for init in graph.initializer:
        ctx.values[init.name] = to_array(init)
    inputs = []
    for vi in graph.input:
        if vi.name in ctx.values:
            continue  # an initializer listed as an input (IR < 4)
        t = vi.type.tensor_type
        shape = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
        tensor = Input(batch_shape=shape, dtype=_ONNX_DTYPES.get(t.elem_type, "float32"),
                       name=ctx.unique(vi.name))
        ctx.values[vi.name] = tensor
        inputs.append(tensor)
    for node in graph.node:
        ctx.node = node
        if node.output and node.output[0] in ctx.skip:
            continue
        attrs = {a.name: _attribute(onnx, a) for a in node.attribute}
        values = [ctx.get(n) for n in node.input]
        present = [v for v in values if v is not None]
        plan = planned(node.op_type, values, attrs)
        if plan is not None:
            budget.check(*plan, f"the result of node {node.name!r} ({node.op_type})")
        folder = FOLDERS.get(node.op_type)
        partial_ok = getattr(folder, "partial_ok", False)
        fold = folder is not None and all(is_const(v) for v in present) and (
            (partial_ok(values) if callable(partial_ok) else partial_ok)
            or not any(is_partial(v) for v in present))
        if fold:
            outs = folder(values, attrs, op_type=node.op_type)
        else:
            outs = IMPORTERS[node.op_type](ctx, node, values, attrs)
        for out_name, value in zip(node.output, outs):
            if out_name:
                ctx.values[out_name] = _as_value(value)
                budget.check_value(ctx.values[out_name], f"value {out_name!r}", folded=fold)
    ctx.node = None
    outputs = [ctx.get(o.name) for o in graph.output]
    if any(is_const(v) for v in outputs):
        raise OnnxImportError("ONNX import: a graph output does not depend on the inputs (it "
                              "folded to a constant); numdeep models compute from inputs.")
    if not inputs:
        raise OnnxImportError("ONNX import: the graph has no inputs.")
    return Model(inputs[0] if len(inputs) == 1 else inputs,
                 outputs[0] if len(outputs) == 1 else outputs, name=name)


def _as_value(value):
    """Folded results as arrays (a free size gathered out of a shape stays an object array)."""
    if value is None or isinstance(value, KerasTensor | np.ndarray):
        return settle(value)
    return settle(np.asarray(value, dtype=object if isinstance(value, Expr) else None))


def _default_opset(proto):
    for op in proto.opset_import:
        if op.domain in ("", "ai.onnx"):
            return op.version
    raise OnnxImportError("ONNX import: the model declares no default-domain opset.")


def _check_supported(graph, proto):
    """All unsupported operators (and custom domains) in one error, before building."""
    missing = {}
    for node in graph.node:
        known = node.op_type in IMPORTERS or node.op_type in FOLDERS
        if node.domain not in ("", "ai.onnx") or not known:
            key = f"{node.domain}::{node.op_type}" if node.domain not in ("", "ai.onnx") \
                else node.op_type
            missing[key] = missing.get(key, 0) + 1
    if proto.functions:
        missing.update({f"function {f.domain}::{f.name}": 1 for f in proto.functions})
    if missing:
        listed = ", ".join(f"{k} (x{n})" for k, n in sorted(missing.items()))
        raise OnnxImportError(f"ONNX import: {len(missing)} unsupported operator(s): {listed}. "
                              f"Nothing was built. numdeep imports the operators listed in "
                              f"numdeep.onnx.load_model's documentation (custom domains and "
                              f"functions never, as they would need code).")


def _attribute(onnx, attr):
    value = onnx.helper.get_attribute_value(attr)
    if attr.type == onnx.AttributeProto.TENSOR:
        return to_array(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
        raise OnnxImportError(f"ONNX import: attribute {attr.name!r} holds a sub-graph, which "
                              f"numdeep does not import (control flow).")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8", "replace") for v in value]
    return value if not isinstance(value, np.ndarray) else value.copy()
