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
    assert sorted(val) == ["epoch_accuracy", "epoch_loss"]
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
