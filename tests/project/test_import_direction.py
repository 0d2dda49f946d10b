"""Imports flow one way through numdeep's floors, and no modules import each other in a circle.

The floors, lowest first (ARCHITECTURE.md draws them):

0. ``backend``, ``tree``, ``registry``: arrays, nested structures, the name registry
1. ``autograd``: Tensor, the engine, the primitives
2. ``ops``, ``activations``, ``initializers``, ``regularizers``, ``optimizers``, ``utils``
3. ``layers``, ``losses``, ``metrics``
4. ``callbacks``: the hooks the training loop drives (they reach the model only through
   ``self.model``, so they need nothing above them, as in Keras)
5. ``models``: Sequential, functional and subclassed models, compile/fit/evaluate/predict
6. ``saving``: files and configs of everything below
7. ``datasets``, ``pretrained``, ``applications``, ``onnx``, ``distribute``: built on all of it
8. ``keras``: the public API again under ``tf.keras``'s names

A module may import its own floor or lower ones. Every import counts, including the lazy ones
inside functions; the few upward edges that exist on purpose are listed in ``ALLOWED`` with the
reason. The package's own ``__init__`` (``import numdeep``) is the public face and may import
anything.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "numdeep"

FLOORS = {
    "backend": 0, "tree": 0, "registry": 0,
    "autograd": 1,
    "ops": 2, "activations": 2, "initializers": 2, "regularizers": 2, "optimizers": 2,
    "constraints": 2, "random": 2,
    "utils": 2, "preprocessing": 2,
    "layers": 3, "losses": 3, "metrics": 3,
    "callbacks": 4,
    "models": 5,
    "saving": 6,
    "datasets": 7, "pretrained": 7, "applications": 7, "onnx": 7, "distribute": 7,
    "keras": 8,  # numdeep's public API again, under tf.keras's names
}

# (importing module, imported module): why the upward edge exists. Each is a lazy import inside
# a method, taken only when the user asks for what the upper floor provides.
ALLOWED = {
    ("numdeep.models", "numdeep.saving"):
        "models.load_model is the Keras entry point; the reader lives in saving",
    ("numdeep.models.model", "numdeep.saving"):
        "Model.save / save_weights / load_weights / to_json hand the model to saving",
    ("numdeep.models.model", "numdeep.saving.serialization"):
        "Model.get_config of a functional model is the Keras graph config saving writes",
    ("numdeep.models.model", "numdeep.saving.api"):
        "Model.from_config rebuilds through the safe config reader",
    ("numdeep.models.model", "numdeep.onnx"):
        "Model.export(format='onnx') hands the model to the ONNX exporter",
    ("numdeep.models.sequential", "numdeep.saving.serialization"):
        "Sequential.get_config is the Keras layer-list config saving writes",
    ("numdeep.callbacks.backup_and_restore", "numdeep.saving"):
        "a damaged backup (CorruptFileError) is started over instead of crashing the run",
}


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(node, module, is_package, known):
    """The numdeep modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("numdeep")]
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    if not base.startswith("numdeep"):
        return []
    # `from pkg import sub` names the submodule when there is one.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_edges():
    known = _modules()
    edges = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _resolve(node, module, path.name == "__init__.py", known):
                    edges.append((module, target, node.lineno))
    return edges


def floor(module):
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def test_every_top_level_module_has_a_floor():
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert names - set(FLOORS) == set(), "give each new top-level module a floor in FLOORS"


def test_imports_never_point_up_a_floor():
    bad = []
    for src, dst, line in import_edges():
        if src == "numdeep" or (src, dst) in ALLOWED:
            continue
        a, b = floor(src), floor(dst)
        if a is not None and b is not None and b > a:
            bad.append(f"{src}:{line} imports {dst} (floor {a} -> {b})")
    assert bad == [], "imports against the direction:\n" + "\n".join(bad)


def test_allowed_upward_edges_still_exist():
    # An allow-list entry nobody needs any more would hide the next real violation.
    edges = {(s, d) for s, d, _ in import_edges()}
    assert set(ALLOWED) - edges == set()


def _cycles(edges):
    graph = {}
    for src, dst, _ in edges:
        if src != dst and not (src.startswith(dst + ".") or src == "numdeep"):
            graph.setdefault(src, set()).add(dst)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components, iteratively
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_between_modules():
    # A package importing its own submodules in __init__ is not a cycle (a submodule importing
    # its parent package is skipped above, since Python imports the parent first anyway). The
    # allowed upward edges are lazy, taken after everything is imported, and stay out.
    edges = [e for e in import_edges() if (e[0], e[1]) not in ALLOWED]
    assert _cycles(edges) == []


def test_the_checks_catch_planted_violations():
    edges = [("numdeep.layers.core", "numdeep.models.model", 1),
             ("numdeep.callbacks.base", "numdeep.callbacks.history", 2),
             ("numdeep.callbacks.history", "numdeep.callbacks.base", 3)]
    assert floor("numdeep.layers.core") < floor("numdeep.models.model")
    assert _cycles(edges) == [["numdeep.callbacks.base", "numdeep.callbacks.history"]]
