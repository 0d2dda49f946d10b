"""``plot_model``: a picture of a model's layers and connections (Keras's signature).

With ``pydot`` and Graphviz installed it draws through them, as Keras does. Otherwise numdeep's
own renderer lays the graph out in ranks (longest path from the inputs) and writes SVG with no
dependency at all, or PNG/PDF through matplotlib (the ``plots`` extra), so it works with pip
alone. A functional or ``Sequential`` model is drawn from its graph; a subclassed model as the
chain of its layers.

Example:
    >>> import os, tempfile
    >>> import numdeep as nd
    >>> model = nd.Sequential([nd.Input((4,)), nd.layers.Dense(8, activation="relu"),
    ...                        nd.layers.Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
    >>> nd.utils.plot_model(model, to_file=path, show_shapes=True)
    >>> svg = open(path).read()
    >>> svg.startswith("<svg") and "Dense" in svg and "(None, 8)" in svg
    True
"""

import os
import sys
from html import escape

__all__ = ["plot_model", "model_to_dot", "model_graph"]

_CHAR_W, _LINE_H, _PAD, _GAP_X, _GAP_Y = 7.2, 16, 10, 30, 40


def _shape_text(tensors):
    shapes = [tuple(getattr(t, "shape", ())) for t in tensors]
    return str(shapes[0] if len(shapes) == 1 else shapes)


def _label(layer, outputs, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes and outputs:
        lines.append(f"Output shape: {_shape_text(outputs)}")
    if show_dtype and outputs:
        lines.append(f"dtype: {getattr(outputs[0], 'dtype', '?')}")
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', str(activation))}")
    if show_trainable:
        lines.append(f"Trainable: {'Y' if getattr(layer, 'trainable', True) else 'N'}")
    return lines


def model_graph(model, show_shapes=False, show_dtype=False, show_layer_names=False,
                show_layer_activations=False, show_trainable=False):
    """``(boxes, edges)``: ``boxes`` maps an id to its text lines (in drawing order), ``edges``
    lists ``(from_id, to_id)``."""
    opts = (show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    graph = getattr(model, "_graph", None)
    boxes, edges = {}, []
    if graph is None:  # a subclassed model: its layers as a chain
        previous = None
        for layer in model.layers:
            boxes[id(layer)] = _label(layer, [], *opts)
            if previous is not None:
                edges.append((previous, id(layer)))
            previous = id(layer)
        return boxes, edges
    for t in graph.input_tensors:
        node = t.node
        boxes[id(node.operation)] = _label(node.operation, node.output_tensors, *opts)
    for node in graph.nodes:
        boxes[id(node.operation)] = _label(node.operation, node.output_tensors, *opts)
        for t in node.input_tensors:
            if t.node is not None:
                edge = (id(t.node.operation), id(node.operation))
                if edge not in edges:
                    edges.append(edge)
    return boxes, edges


def _layout(boxes, edges, rankdir):
    """Box centres and sizes: ranks by longest path, boxes centred within each rank."""
    rank = {b: 0 for b in boxes}
    for _ in range(len(boxes)):  # relax: a DAG settles in at most len(boxes) rounds
        changed = False
        for a, b in edges:
            if rank[b] < rank[a] + 1:
                rank[b], changed = rank[a] + 1, True
        if not changed:
            break
    size = {b: (max(len(s) for s in lines) * _CHAR_W + 2 * _PAD,
                len(lines) * _LINE_H + 2 * _PAD - 4) for b, lines in boxes.items()}
    ranks = {}
    for b in boxes:
        ranks.setdefault(rank[b], []).append(b)
    vertical = rankdir.upper() in ("TB", "BT")
    along = [max(size[b][1 if vertical else 0] for b in ranks[r]) for r in sorted(ranks)]
    across = [sum(size[b][0 if vertical else 1] for b in ranks[r]) + _GAP_X * (len(ranks[r]) - 1)
              for r in sorted(ranks)]
    width = max(across)
    pos, offset = {}, 0.0
    for r, extent, total in zip(sorted(ranks), along, across):
        cursor = (width - total) / 2
        for b in ranks[r]:
            w = size[b][0 if vertical else 1]
            centre_across, centre_along = cursor + w / 2, offset + extent / 2
            pos[b] = (centre_across, centre_along) if vertical else (centre_along, centre_across)
            cursor += w + _GAP_X
        offset += extent + _GAP_Y
    height = offset - _GAP_Y
    canvas = (width, height) if vertical else (height, width)
    if rankdir.upper() in ("BT", "RL"):
        flip = 1 if vertical else 0
        pos = {b: tuple(canvas[i] - p[i] if i == flip else p[i] for i in (0, 1))
               for b, p in pos.items()}
    return pos, size, canvas


def _edge_points(pos, size, a, b):
    (xa, ya), (xb, yb) = pos[a], pos[b]
    dx, dy = xb - xa, yb - ya
    if abs(dy) * size[a][0] >= abs(dx) * size[a][1]:  # leaves through top/bottom
        sa = (xa + dx * size[a][1] / 2 / abs(dy), ya + size[a][1] / 2 * (1 if dy > 0 else -1))
        sb = (xb - dx * size[b][1] / 2 / abs(dy), yb - size[b][1] / 2 * (1 if dy > 0 else -1))
    else:
        sa = (xa + size[a][0] / 2 * (1 if dx > 0 else -1), ya + dy * size[a][0] / 2 / abs(dx))
        sb = (xb - size[b][0] / 2 * (1 if dx > 0 else -1), yb - dy * size[b][0] / 2 / abs(dx))
    return sa, sb


def _svg(boxes, edges, rankdir):
    pos, size, (width, height) = _layout(boxes, edges, rankdir)
    m = 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 2 * m:.0f}" '
           f'height="{height + 2 * m:.0f}" font-family="Helvetica, Arial, sans-serif" '
           f'font-size="12"><defs><marker id="arrow" markerWidth="10" markerHeight="8" '
           f'refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#333"/>'
           f'</marker></defs><g transform="translate({m},{m})">']
    for a, b in edges:
        (x1, y1), (x2, y2) = _edge_points(pos, size, a, b)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="#333" marker-end="url(#arrow)"/>')
    for b, lines in boxes.items():
        (x, y), (w, h) = pos[b], size[b]
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" '
                   f'height="{h:.1f}" rx="4" fill="#eef3fb" stroke="#4a6fa5"/>')
        for i, text in enumerate(lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            ty = y - h / 2 + _PAD + 12 + i * _LINE_H
            out.append(f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle"{weight}>'
                       f'{escape(text)}</text>')
    out.append("</g></svg>")
    return "\n".join(out)


def _matplotlib_file(boxes, edges, rankdir, to_file, dpi):
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    except ImportError as e:
        raise ImportError(f"plot_model writes {os.path.splitext(to_file)[1] or 'this format'} "
                          f"through pydot + Graphviz or matplotlib; install one (pip install "
                          f"'numdeep[plots]'), or save as .svg, which needs nothing.") from e
    pos, size, (width, height) = _layout(boxes, edges, rankdir)
    scale = 72.0  # layout units are points
    fig = Figure(figsize=((width + 20) / scale, (height + 20) / scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-10, width + 10)
    ax.set_ylim(height + 10, -10)
    ax.axis("off")
    for a, b in edges:
        (x1, y1), (x2, y2) = _edge_points(pos, size, a, b)
        ax.add_patch(FancyArrowPatch((x1, y1), (x2, y2), arrowstyle="-|>", mutation_scale=10,
                                     color="#333"))
    for b, lines in boxes.items():
        (x, y), (w, h) = pos[b], size[b]
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,"
                                    "rounding_size=4", facecolor="#eef3fb", edgecolor="#4a6fa5"))
        for i, text in enumerate(lines):
            ax.text(x, y - h / 2 + _PAD + 8 + i * _LINE_H, text, ha="center", va="center",
                    fontsize=9, fontweight="bold" if i == 0 else "normal")
    fig.savefig(to_file, dpi=dpi)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """The model as a ``pydot.Dot`` graph (needs ``pydot``)."""
    try:
        import pydot
    except ImportError as e:
        raise ImportError("model_to_dot needs pydot (pip install pydot) and Graphviz; "
                          "plot_model draws without them.") from e
    boxes, edges = model_graph(model, show_shapes, show_dtype, show_layer_names,
                               show_layer_activations, show_trainable)
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=dpi)
    dot.set_node_defaults(shape="record")
    for b, lines in boxes.items():
        dot.add_node(pydot.Node(str(b), label="\\n".join(lines), shape="box"))
    for a, b in edges:
        dot.add_edge(pydot.Edge(str(a), str(b)))
    return dot


def _pydot_available():
    try:
        import pydot

        pydot.Dot.create(pydot.Dot())  # raises when the Graphviz programs are missing
    except Exception:  # noqa: BLE001 - any failure means "draw it ourselves"
        return False
    return True


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw ``model`` to ``to_file`` (``.png``, ``.svg``, ``.pdf``...).

    Args:
        model: a numdeep model.
        to_file: the image file; its extension picks the format.
        show_shapes, show_dtype: add each layer's output shape / dtype.
        show_layer_names: title boxes ``name (ClassName)`` instead of the class name.
        rankdir: ``"TB"`` (top to bottom), ``"BT"``, ``"LR"`` or ``"RL"``.
        expand_nested: accepted for Keras compatibility (nested models are single boxes).
        dpi: resolution of raster images.
        show_layer_activations, show_trainable: add the activation / trainable flag.

    Returns:
        An IPython image in a notebook, else ``None``.
    """
    if rankdir.upper() not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'BT', 'LR' or 'RL'; received {rankdir!r}.")
    if not model.layers:
        raise ValueError("plot_model: the model has no layers yet; build or call it first.")
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if _pydot_available():
        dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir,
                           expand_nested, dpi, show_layer_activations=show_layer_activations,
                           show_trainable=show_trainable)
        dot.write(to_file, format=extension)
    else:
        boxes, edges = model_graph(model, show_shapes, show_dtype, show_layer_names,
                                   show_layer_activations, show_trainable)
        if extension == "svg":
            with open(to_file, "w", encoding="utf-8") as f:
                f.write(_svg(boxes, edges, rankdir))
        else:
            _matplotlib_file(boxes, edges, rankdir, to_file, dpi)
    if "ipykernel" in sys.modules:
        from IPython import display

        return display.SVG(to_file) if extension == "svg" else display.Image(filename=to_file)
    return None
