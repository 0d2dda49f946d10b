"""``model.summary()``: the Keras layer table with output shapes and parameter counts."""

from numdeep.layers.input_layer import InputLayer
from numdeep.layers.input_spec import format_shape


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def _rows(model):
    graph = getattr(model, "_graph", None)
    layers = model.layers
    rows = []
    for layer in layers:
        if isinstance(layer, InputLayer) and graph is not None and layers is not graph.layers:
            continue
        shape = None
        connected = []
        if layer._inbound_nodes:
            node = layer._inbound_nodes[-1]
            outs = [t.shape for t in node.output_tensors]
            shape = outs[0] if len(outs) == 1 else outs
            connected = [f"{t.node.layer.name}[0][0]" for t in node.input_tensors]
        params = layer.count_params() if layer.built else 0
        if not layer.built:
            params = "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", format_shape(shape),
                     f"{params:,}" if isinstance(params, int) else params, ", ".join(connected)))
    return rows


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    """Print (or pass to ``print_fn``) the summary table of ``model``."""
    print_fn = print_fn or print
    functional = type(model).__name__ != "Sequential" and getattr(model, "_graph", None)
    rows = _rows(model)
    headers = ("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if functional
                                                              else ())
    rows = [r if functional else r[:3] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(headers)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - len(widths) - 1)

    def line(cells):
        return "│" + "│".join(f" {c:<{w - 1}}" for c, w in zip(cells, widths)) + "│"

    def rule(left, mid, right):
        return left + mid.join("─" * w for w in widths) + right

    out = [f'Model: "{model.name}"', rule("┏", "┳", "┓").replace("─", "━").replace("┏", "┏"),
           line(headers).replace("│", "┃"), rule("┡", "╇", "┩").replace("─", "━")]
    for i, r in enumerate(rows):
        out.append(line(r))
        out.append(rule("├", "┼", "┤") if i < len(rows) - 1 else rule("└", "┴", "┘"))
    if not rows:
        out.append(rule("└", "┴", "┘"))
    trainable = sum(w.size for w in model.trainable_weights)
    total = model.count_params() if model.built else 0
    non_trainable = total - trainable
    out.append(f" Total params: {total:,} ({_fmt_bytes(total * 4)})")
    out.append(f" Trainable params: {trainable:,} ({_fmt_bytes(trainable * 4)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({_fmt_bytes(non_trainable * 4)})")
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "iterations", 0):
        n = sum(int(getattr(v, "size", 1)) for v in opt.variables)
        out.append(f" Optimizer params: {n:,} ({_fmt_bytes(n * 4)})")
    for text in out:
        print_fn(text)
