import os
import struct
import sys

import numpy as np
import pytest

import numdeep as nd
from tests.callbacks.common import data, model

tensorboardX = pytest.importorskip("tensorboardX")
from tensorboardX.proto import event_pb2  # noqa: E402
from tensorboardX.record_writer import masked_crc32c  # noqa: E402


def read_events(folder):
    """Every event in ``folder``'s event files, checking the TFRecord framing and CRCs."""
    events = []
    for name in sorted(os.listdir(folder)):
        assert name.startswith("events.out.tfevents.")
        buf = open(os.path.join(folder, name), "rb").read()
        pos = 0
        while pos < len(buf):
            header = buf[pos:pos + 8]
            (length,) = struct.unpack("<Q", header)
            assert struct.unpack("<I", buf[pos + 8:pos + 12])[0] == masked_crc32c(header)
            body = buf[pos + 12:pos + 12 + length]
            assert struct.unpack("<I", buf[pos + 12 + length:pos + 16 + length])[0] == \
                masked_crc32c(body)
            events.append(event_pb2.Event.FromString(body))
            pos += 16 + length
    return events


def scalars(folder):
    out = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def run(logdir, epochs=3, **kwargs):
    m = model()
    x, y = data()
    history = m.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.25,
                    callbacks=[nd.callbacks.TensorBoard(logdir, **kwargs)])
    return m, history.history


def test_epoch_scalars_in_train_and_validation_runs(tmp_path):
    _, history = run(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = scalars(tmp_path / "train"), scalars(tmp_path / "validation")
    assert sorted(train) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]
    assert sorted(val) == ["epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                           "evaluation_loss_vs_iterations"]
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]], history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [1e-3] * 3)


def test_batch_scalars_and_histograms(tmp_path):
    m, _ = run(tmp_path, epochs=2, histogram_freq=1, update_freq=2)
    train = read_events(tmp_path / "train")
    batch_steps = sorted({e.step for e in train for v in e.summary.value
                          if v.tag == "batch_loss"})
    assert batch_steps == [2, 4, 6]  # 48 training samples / 16 = 3 steps per epoch
    histograms = {v.tag for e in train for v in e.summary.value if v.HasField("histo")}
    assert len(histograms) == len(m.weights) == 4


def test_write_graph_writes_the_summary_text(tmp_path):
    run(tmp_path, epochs=1, write_graph=True)
    tags = {v.tag for e in read_events(tmp_path / "train") for v in e.summary.value}
    assert any("model_summary" in tag for tag in tags)


def test_tensorboard_itself_reads_the_files(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _, history = run(tmp_path, epochs=2)
    acc = accumulator.EventAccumulator(str(tmp_path / "train"))
    acc.Reload()
    values = [s.value for s in acc.Scalars("epoch_loss")]
    np.testing.assert_allclose(values, history["loss"], rtol=1e-6)


def test_missing_tensorboardx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"numdeep\[tensorboard\]"):
        nd.callbacks.TensorBoard()


def test_rejects_bad_frequencies(tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        nd.callbacks.TensorBoard(tmp_path, update_freq="often")
    with pytest.raises(ValueError, match="histogram_freq"):
        nd.callbacks.TensorBoard(tmp_path, histogram_freq=-1)


def test_validation_curve_against_optimizer_steps(tmp_path):
    _, history = run(tmp_path, epochs=2)
    val = scalars(tmp_path / "validation")
    # 48 training samples / batch 16 = 3 optimizer steps per epoch.
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6]
    np.testing.assert_allclose([v for _, v in val["evaluation_loss_vs_iterations"]],
                               history["val_loss"], rtol=1e-6)


def test_steps_per_second_per_epoch_and_batch(tmp_path):
    run(tmp_path, epochs=2, update_freq=1, write_steps_per_second=True)
    train = scalars(tmp_path / "train")
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert [s for s, _ in train["batch_steps_per_second"]] == [1, 2, 3, 4, 5, 6]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"] +
               train["batch_steps_per_second"])


def test_weights_as_images(tmp_path):
    m, _ = run(tmp_path, epochs=1, histogram_freq=1, write_images=True)
    events = read_events(tmp_path / "train")
    images = {}
    for e in events:
        for v in e.summary.value:
            if v.HasField("image"):
                images.setdefault(v.tag, []).append(v.image)
    # Every Dense kernel and bias is one picture, the kernel's long side across.
    assert len(images) == len(m.weights)
    for w in m.weights:
        (img,) = images[w.path.replace(":", "_") + "/image"]
        shape = w.shape if len(w.shape) == 2 else (w.shape[0], 1)
        expected = (min(shape), max(shape)) if len(w.shape) == 2 else shape
        assert (img.height, img.width) == expected


def test_projector_config_and_embedding_checkpoints(tmp_path):
    m = nd.Sequential([nd.layers.Input((4,)), nd.layers.Embedding(10, 3, name="words"),
                       nd.layers.Flatten(), nd.layers.Dense(1)])
    m.compile("sgd", "mse")
    x = np.arange(8).reshape(2, 4) % 10
    tb = nd.callbacks.TensorBoard(tmp_path, embeddings_freq=1,
                                  embeddings_metadata={"words": "labels.tsv"})
    m.fit(x, np.ones((2, 1)), epochs=2, verbose=0, callbacks=[tb])
    text = (tmp_path / "projector_config.pbtxt").read_text()
    assert text == ('embeddings {\n  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
                    'VARIABLE_VALUE"\n  metadata_path: "labels.tsv"\n}\n')
    saved = nd.models.clone_model(m)
    saved.load_weights(tmp_path / "train" / "keras_embedding.ckpt-1.weights.h5")
    for a, b in zip(saved.get_weights(), m.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names"):
        m.fit(x, np.ones((2, 1)), epochs=1, verbose=0, callbacks=[
            nd.callbacks.TensorBoard(tmp_path, embeddings_freq=1,
                                     embeddings_metadata={"nope": "x.tsv"})])


def test_profile_batch_is_refused_unless_zero(tmp_path):
    for ok in (0, "0", (0, 0), "0,0"):
        nd.callbacks.TensorBoard(tmp_path, profile_batch=ok)
    with pytest.raises(ValueError, match="profiling is not available"):
        nd.callbacks.TensorBoard(tmp_path, profile_batch=5)
    for bad in (-1, "a,b", (3, 1), (1, 2, 3), True):
        with pytest.raises(ValueError, match="profile_batch"):
            nd.callbacks.TensorBoard(tmp_path, profile_batch=bad)


def test_tensor_valued_logs_are_written(tmp_path):
    m = model()
    m.optimizer = nd.optimizers.Adam()
    tb = nd.callbacks.TensorBoard(tmp_path)
    callbacks = nd.callbacks.CallbackList([tb], model=m, epochs=1, steps=1, verbose=0)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"metric": nd.ops.convert_to_tensor(0.25)})
    callbacks.on_train_end()
    assert scalars(tmp_path / "train")["epoch_metric"] == [(0, 0.25)]
