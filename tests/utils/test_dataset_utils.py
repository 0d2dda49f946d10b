"""image/text_dataset_from_directory, timeseries_dataset_from_array and split_dataset: batches,
labels, splits, shuffling (per pass for "tf", fixed for "grain") and training with fit."""

import os

import numpy as np
import pytest

import numdeep as nd
from numdeep.utils import (
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)


def _images(root, counts, size=(6, 8)):
    from numdeep.utils import save_img

    values = {}
    for label, n in counts.items():
        os.makedirs(root / label)
        for i in range(n):
            v = 10.0 * len(values)
            save_img(root / label / f"img_{i}.png", np.full(size + (3,), v), scale=False)
            values[str(root / label / f"img_{i}.png")] = v
    return values


def test_image_dataset_labels_values_and_modes(tmp_path):
    pytest.importorskip("PIL")
    from numdeep.utils import image_dataset_from_directory

    values = _images(tmp_path, {"a": 3, "b": 2})
    ds = image_dataset_from_directory(tmp_path, image_size=(3, 4), batch_size=2, shuffle=False,
                                      verbose=False)
    assert ds.class_names == ["a", "b"] and len(ds) == 3
    x, y = ds[0]
    assert x.shape == (2, 3, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    xs = np.concatenate([b[0] for b in ds])
    ys = np.concatenate([b[1] for b in ds])
    assert ys.tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(xs[:, 0, 0, 0], [values[p] for p in ds.file_paths], atol=1e-4)
    binary = image_dataset_from_directory(tmp_path, image_size=(3, 4), label_mode="binary",
                                          verbose=False, seed=0)
    assert binary[0][1].shape == (5, 1) and binary[0][1].dtype == np.float32
    cat = image_dataset_from_directory(tmp_path, image_size=(3, 4), label_mode="categorical",
                                       color_mode="grayscale", shuffle=False, verbose=False)
    x, y = cat[0]
    assert x.shape == (5, 3, 4, 1) and y.tolist()[3] == [0.0, 1.0]
    first = image_dataset_from_directory(tmp_path, image_size=(3, 4), data_format="channels_first",
                                         verbose=False, seed=1, batch_size=None)
    assert first[0][0].shape == (3, 3, 4)


def test_image_dataset_validation_split_is_disjoint_and_trains(tmp_path):
    pytest.importorskip("PIL")
    from numdeep.utils import image_dataset_from_directory

    _images(tmp_path, {"a": 5, "b": 5})
    train, val = image_dataset_from_directory(tmp_path, image_size=(6, 8), batch_size=4,
                                              validation_split=0.3, subset="both", seed=7,
                                              verbose=False)
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    model = nd.Sequential([nd.Input((6, 8, 3)), nd.layers.Rescaling(1 / 255),
                           nd.layers.Flatten(), nd.layers.Dense(2)])
    model.compile("adam", nd.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="must provide a `seed`"):
        image_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="match the number of files"):
        image_dataset_from_directory(tmp_path, labels=[0, 1])


def test_shuffle_tf_reshuffles_grain_repeats(tmp_path):
    for i in range(12):
        (tmp_path / f"t{i:02d}.txt").write_text(f"text number {i}")
    orders = {}
    for fmt in ("tf", "grain"):
        ds = text_dataset_from_directory(tmp_path, labels=None, batch_size=4, seed=3,
                                         format=fmt, verbose=False)
        passes = [sum((list(b) for b in ds), []) for _ in range(2)]
        assert sorted(passes[0]) == sorted(passes[1])
        orders[fmt] = passes
    assert orders["tf"][0] != orders["tf"][1]
    assert orders["grain"][0] == orders["grain"][1]
    again = text_dataset_from_directory(tmp_path, labels=None, batch_size=4, seed=3,
                                        verbose=False)
    assert sum((list(b) for b in again), []) == orders["tf"][0]  # the seed fixes the passes


def test_text_dataset_labels_and_max_length(tmp_path):
    for label, texts in (("neg", ["awful film", "bad"]), ("pos", ["great fun", "good", "nice"])):
        os.makedirs(tmp_path / label)
        for i, t in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(t, encoding="utf-8")
    ds = text_dataset_from_directory(tmp_path, batch_size=8, max_length=4, shuffle=False,
                                     label_mode="categorical", verbose=False)
    texts, labels = ds[0]
    assert texts.tolist() == ["awfu", "bad", "grea", "good", "nice"]
    assert labels.tolist() == [[1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]
    grain = text_dataset_from_directory(tmp_path, batch_size=None, shuffle=False,
                                        format="grain", verbose=False)
    text, label = grain[2]
    assert text == "great fun" and int(label) == 1
    with pytest.raises(ValueError, match="No text files found"):
        text_dataset_from_directory(tmp_path / "neg", verbose=False)  # no class folders


def test_timeseries_windows_targets_and_shuffle():
    data = np.arange(20)
    ds = timeseries_dataset_from_array(data, data * 10, sequence_length=4, sampling_rate=2,
                                       sequence_stride=3, batch_size=2)
    windows = np.concatenate([b[0] for b in ds])
    targets = np.concatenate([b[1] for b in ds])
    assert windows.tolist() == [[0, 2, 4, 6], [3, 5, 7, 9], [6, 8, 10, 12], [9, 11, 13, 15],
                                [12, 14, 16, 18]]
    assert targets.tolist() == [0, 30, 60, 90, 120]
    shuffled = timeseries_dataset_from_array(data, data, sequence_length=3, batch_size=None,
                                             shuffle=True, seed=1)
    firsts = [int(w[0][0]) for w in shuffled]
    assert sorted(firsts) == list(range(18)) and firsts != list(range(18))
    assert all(int(w[1]) == int(w[0][0]) for w in shuffled)
    with pytest.raises(ValueError, match="`sampling_rate` must be higher than 0"):
        timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_split_dataset_sizes_structures_and_shuffle():
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    left, right = split_dataset((x, y), left_size=0.7)
    assert len(left) == 7 and len(right) == 3
    assert [int(s[1]) for s in right] == [7, 8, 9]
    left, right = split_dataset({"a": x, "b": y}, right_size=4, shuffle=True, seed=0)
    seen = sorted(int(s["b"]) for s in list(left) + list(right))
    assert seen == list(range(10)) and [int(s["b"]) for s in left] != [0, 1, 2, 3, 4, 5]
    left, right = split_dataset(x, left_size=2, right_size=3)
    assert len(left) == 2 and len(right) == 3 and right[0].tolist() == [7.0]
    with pytest.raises(ValueError, match="At least one of the `left_size`"):
        split_dataset(x)
    with pytest.raises(ValueError, match="left_size"):
        split_dataset(x, left_size=1.5)
    with pytest.raises(ValueError, match="different lengths"):
        split_dataset([x, y[:3]], left_size=0.5)
