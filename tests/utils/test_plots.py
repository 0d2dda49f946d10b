"""plot_model (the built-in SVG writer needs nothing; PNG through matplotlib) and plot_history /
History.plot (matplotlib)."""

import re

import numpy as np
import pytest

import numdeep as nd
from numdeep.utils import model_plot


def _branching_model():
    x = nd.Input((16,), name="features")
    a = nd.layers.Dense(32, activation="relu", name="left")(x)
    b = nd.layers.Dense(32, activation="tanh", name="right")(x)
    c = nd.layers.Concatenate(name="join")([a, b])
    return nd.Model(x, nd.layers.Dense(10, name="head")(c))


def test_graph_boxes_and_edges():
    boxes, edges = model_plot.model_graph(_branching_model(), show_shapes=True,
                                          show_layer_names=True, show_layer_activations=True)
    names = {key: lines[0] for key, lines in boxes.items()}
    by_name = {v.split()[0]: k for k, v in names.items()}
    assert set(by_name) == {"features", "left", "right", "join", "head"}
    assert boxes[by_name["join"]][1] == "Output shape: (None, 64)"
    assert boxes[by_name["left"]][2] == "Activation: relu"
    expected = {("features", "left"), ("features", "right"), ("left", "join"),
                ("right", "join"), ("join", "head")}
    inverse = {v: k.split()[0] for k, v in by_name.items()}
    assert {(inverse[a], inverse[b]) for a, b in edges} == expected


def test_svg_layout_ranks_and_no_dependencies(tmp_path, monkeypatch):
    monkeypatch.setattr(model_plot, "_pydot_available", lambda: False)
    path = tmp_path / "m.svg"
    assert nd.utils.plot_model(_branching_model(), to_file=path, show_layer_names=True) is None
    svg = path.read_text()
    assert svg.startswith("<svg") and svg.count("<rect") == 5 and svg.count("<line") == 5
    ys = {m.group(2): float(m.group(1)) for m in re.finditer(
        r'<text x="[\d.]+" y="([\d.]+)"[^>]*font-weight="bold">(\w+)', svg)}
    assert ys["features"] < ys["left"] == ys["right"] < ys["join"] < ys["head"]
    nd.utils.plot_model(_branching_model(), to_file=tmp_path / "lr.svg", rankdir="LR",
                        show_layer_names=True)
    xs = {m.group(2): float(m.group(1)) for m in re.finditer(
        r'<text x="([\d.]+)" y="[\d.]+"[^>]*font-weight="bold">(\w+)', (tmp_path / "lr.svg")
        .read_text())}
    assert xs["features"] < xs["left"] == xs["right"] < xs["join"] < xs["head"]
    with pytest.raises(ValueError, match="rankdir"):
        nd.utils.plot_model(_branching_model(), to_file=path, rankdir="XY")


def test_png_through_matplotlib_and_subclassed_models(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(model_plot, "_pydot_available", lambda: False)
    nd.utils.plot_model(_branching_model(), to_file=tmp_path / "m.png", show_shapes=True,
                        dpi=50)
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    class Net(nd.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = nd.layers.Dense(4), nd.layers.Dense(1)

        def call(self, x):
            return self.b(self.a(x))

    net = Net()
    net(np.ones((1, 3), "float32"))
    boxes, edges = model_plot.model_graph(net)
    assert list(boxes.values()) == [["Dense"], ["Dense"]] and len(edges) == 1


def test_plot_history_and_history_plot(tmp_path):
    pytest.importorskip("matplotlib")
    model = nd.Sequential([nd.Input((2,)), nd.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(np.ones((16, 2)), np.zeros((16, 1)), epochs=3, validation_split=0.25,
                        verbose=0)
    fig = history.plot(to_file=tmp_path / "curves.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    loss_ax = fig.axes[0]
    assert [line.get_label() for line in loss_ax.get_lines()] == ["training", "validation"]
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), history.history["loss"])
    assert (tmp_path / "curves.png").stat().st_size > 1000
    fig = nd.utils.plot_history(history.history, metrics="mae")
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="no logs named"):
        nd.utils.plot_history(history, metrics=["accuracy"])


def test_demo_prints_the_readme_accuracy_and_draws_the_readme_picture(tmp_path, monkeypatch,
                                                                       capsys):
    """``examples/demo.py`` prints the test accuracy the README states and writes the training
    curves the README shows (here to a temporary file, compared with docs/ by size and shape)."""
    import importlib.util
    import pathlib

    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    root = pathlib.Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("numdeep_demo", root / "examples" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    monkeypatch.setattr(demo, "CURVES", str(tmp_path / "curves.png"))
    accuracy = demo.run_mlp(30)
    out = capsys.readouterr().out
    stated = re.search(r"prints the test accuracy \((0\.\d+) with its fixed seed\)",
                       (root / "README.md").read_text()).group(1)
    assert f"Test accuracy: {accuracy:.4f}" in out
    assert round(accuracy, len(stated) - 2) == float(stated)
    assert "(docs/demo_training_curves.png)" in (root / "README.md").read_text()
    from PIL import Image

    ours, shipped = Image.open(tmp_path / "curves.png"), Image.open(
        root / "docs" / "demo_training_curves.png")
    assert ours.size == shipped.size
    difference = np.abs(np.asarray(ours.convert("L"), "float32")
                        - np.asarray(shipped.convert("L"), "float32"))
    assert difference.mean() < 1.0  # the same curves (fonts may render a little differently)
