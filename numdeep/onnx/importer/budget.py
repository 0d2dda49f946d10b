"""How much memory an ONNX import may allocate: no more than the file justifies.

A file of a few hundred bytes can declare a graph input of ``(100000, 100000)``, a
``ConstantOfShape`` of a terabyte, or a broadcast ``Add`` whose result is the product of two
modest inputs. Building the numdeep graph allocates such arrays (folded constants, and the small
dummy arrays numdeep's shape tracing runs every op on, where free sizes count as
``FREE_SIZE``), so every size is checked before it is made: the shapes ONNX's own shape
inference predicts, all at once before anything is built, then each node's planned and actual
results while building. The limit per tensor, and for all folded constants together, is
``max(FLOOR, 4 x the file's size)`` unless ``max_tensor_bytes`` says otherwise.

Example:
    >>> from numdeep.onnx.importer.budget import ImportBudget
    >>> budget = ImportBudget(file_bytes=1000, max_tensor_bytes=4096)
    >>> budget.check((None, 32), 4, "input 'x'")  # 10 x 32 float32: 1,280 bytes
    >>> budget.check((1000, 1000), 4, "input 'x'")
    Traceback (most recent call last):
    ...
    numdeep.onnx.errors.OnnxFormatError: ONNX import: input 'x' would hold (1000, 1000) ...
"""

import numpy as np

from numdeep.onnx.errors import OnnxFormatError
from numdeep.onnx.importer.shapes import is_partial, resolve, to_spec

FLOOR = 64 * 2 ** 20
FREE_SIZE = 10  # the largest size numdeep's shape tracing gives a free axis (ops.operation)
_ITEMSIZE = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8,
             16: 2}


class ImportBudget:
    """The per-tensor limit of one import and the running total of folded constants.

    Args:
        file_bytes: the size of the ONNX file (plus the external data it was allowed).
        max_tensor_bytes: the limit; default ``max(FLOOR, 4 * file_bytes)``.
    """

    def __init__(self, file_bytes, max_tensor_bytes=None):
        self.limit = (max(FLOOR, 4 * int(file_bytes)) if max_tensor_bytes is None
                      else int(max_tensor_bytes))
        self.folded = 0

    def check(self, shape, itemsize, what):
        """Refuse a tensor of ``shape`` (``None`` for a free size) over the limit."""
        count = 1
        for d in shape:
            count *= FREE_SIZE if d is None else max(int(d), 0)
        if count * itemsize > self.limit:
            raise OnnxFormatError(
                f"ONNX import: {what} would hold {tuple(shape)} ({count * itemsize} bytes, free "
                f"sizes counted as {FREE_SIZE}), more than the {self.limit}-byte limit this file "
                f"justifies; refused before allocating. Pass max_tensor_bytes= to load_model "
                f"if the model is genuine.")

    def check_value(self, value, what, folded=False):
        """Check a built value (a symbolic tensor or a folded constant); folded constants also
        count against the limit all together."""
        if isinstance(value, np.ndarray):
            itemsize = 8 if value.dtype == object else value.dtype.itemsize
            self.check(value.shape, itemsize, what)
            if folded:
                self.folded += value.size * itemsize
                if self.folded > self.limit:
                    raise OnnxFormatError(
                        f"ONNX import: folded constants reach {self.folded} bytes at {what}, "
                        f"more than the {self.limit}-byte limit this file justifies; refused. "
                        f"Pass max_tensor_bytes= to load_model if the model is genuine.")
        elif getattr(value, "shape", None) is not None:
            self.check(value.shape, np.dtype(value.dtype).itemsize, what)


def predicted_shapes(onnx, proto):
    """``{name: (shape, itemsize)}`` of every value ONNX's shape inference can size.

    Inference runs on a light copy whose large initializers are declared inputs (their shapes
    matter, not their values), so it copies no weights. An empty dict where inference fails:
    the checks while building still apply.
    """
    light = onnx.ModelProto(ir_version=max(proto.ir_version, 4))
    light.opset_import.extend(proto.opset_import)
    graph = light.graph
    graph.node.extend(proto.graph.node)
    graph.input.extend(proto.graph.input)
    graph.output.extend(proto.graph.output)
    listed = {vi.name for vi in proto.graph.input}
    for init in proto.graph.initializer:
        if int(np.prod(init.dims, dtype=np.float64)) <= 64:
            graph.initializer.append(init)
        elif init.name not in listed:
            graph.input.append(onnx.helper.make_tensor_value_info(init.name, init.data_type,
                                                                  list(init.dims)))
    try:
        inferred = onnx.shape_inference.infer_shapes(light, check_type=False, strict_mode=False,
                                                     data_prop=True)
    except Exception:  # noqa: BLE001 - inference is advisory; building re-checks every value
        return {}
    shapes = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.output]:
        tensor = vi.type.tensor_type
        if not tensor.HasField("shape"):
            continue
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
        shapes[vi.name] = (dims, _ITEMSIZE.get(tensor.elem_type, 8))
    return shapes


def planned(op_type, values, attrs):
    """``(shape, itemsize)`` of the result of the ops that make large tensors out of small
    constants (``ConstantOfShape``, ``Expand``, ``Range``, ``Tile``), computed from their
    constant arguments before they run; ``None`` for other ops or non-constant arguments."""
    shape = planned_shape(op_type, values)
    if shape is None:
        return None
    if op_type == "ConstantOfShape":
        return shape, np.asarray(attrs.get("value", np.zeros(1, np.float32))).dtype.itemsize
    return shape, np.dtype(values[0].dtype).itemsize


def planned_shape(op_type, values):
    """The result shape of ``planned``'s ops, or ``None``."""
    def const(i):
        v = values[i] if len(values) > i else None
        if isinstance(v, np.ndarray) and v.dtype == object:
            return _at_free_size(v)
        return v if isinstance(v, np.ndarray) else None

    if op_type == "ConstantOfShape" and const(0) is not None:
        return tuple(int(d) for d in const(0).reshape(-1))
    if op_type == "Expand" and const(1) is not None and getattr(values[0], "shape", None):
        target = [int(d) for d in const(1).reshape(-1)]
        rank = max(len(target), len(values[0].shape))
        x = (1,) * (rank - len(values[0].shape)) + tuple(values[0].shape)
        t = [1] * (rank - len(target)) + target
        return tuple(a if b == 1 else (b if a in (1, None) else max(a, b)) for a, b in zip(x, t))
    if op_type == "Range" and all(const(i) is not None for i in range(3)):
        start, limit, delta = (float(const(i).reshape(-1)[0]) for i in range(3))
        count = (limit - start) / delta if delta else 0.0
        return (max(int(np.ceil(count)), 0) if np.isfinite(count) else 2 ** 62,)
    if op_type == "Tile" and const(1) is not None and getattr(values[0], "shape", None):
        reps = [int(r) for r in const(1).reshape(-1)]
        return tuple(None if d is None else d * r for d, r in zip(values[0].shape, reps))
    return None


def _at_free_size(value):
    """A shape holding free sizes (``shapes.Dim`` expressions) evaluated with every free size
    at ``FREE_SIZE``, as numdeep's shape tracing will run it."""
    if not is_partial(value):
        return value.astype(np.int64)
    spec, refs = to_spec(value.reshape(-1))
    # Views of one byte stand for the reference tensors: their shapes, no memory.
    fake = [np.broadcast_to(np.zeros((), np.int8), tuple(FREE_SIZE if d is None else d
                                                         for d in ref.shape)) for ref in refs]
    return np.asarray(resolve(spec, fake), dtype=np.int64)
