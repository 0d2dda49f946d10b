import csv

import pytest

import numdeep as nd
from tests.callbacks.common import Interrupt, data, model

CB = nd.callbacks


def rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def run(m, epochs, *callbacks, **kwargs):
    x, y = data()
    kwargs.setdefault("validation_split", 0.25)
    return m.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=list(callbacks),
                 **kwargs)


def test_writes_a_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = run(model(), 3, CB.CSVLogger(path))
    table = rows(path)
    assert table[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in table[1:]] == ["0", "1", "2"]
    assert [float(r[2]) for r in table[1:]] == history.history["loss"]


def test_separator(tmp_path):
    path = tmp_path / "log.tsv"
    run(model(), 1, CB.CSVLogger(path, separator="\t"))
    assert rows(path, "\t")[0][:2] == ["epoch", "accuracy"]


def test_append_continues_without_repeating_the_header(tmp_path):
    path = tmp_path / "log.csv"
    m = model()
    run(m, 2, CB.CSVLogger(path, append=True))
    run(m, 2, CB.CSVLogger(path, append=True))
    table = rows(path)
    assert table[0][0] == "epoch" and sum(r[0] == "epoch" for r in table) == 1
    assert len(table) == 5


def test_overwrite_without_append(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old,content\n1,2\n")
    run(model(), 1, CB.CSVLogger(path))
    assert rows(path)[0][0] == "epoch" and len(rows(path)) == 2


def test_each_epoch_is_on_disk_when_training_is_interrupted(tmp_path):
    path = tmp_path / "log.csv"
    with pytest.raises(KeyboardInterrupt):
        run(model(), 5, CB.CSVLogger(path), Interrupt(2))
    assert [r[0] for r in rows(path)] == ["epoch", "0", "1"]


def test_validation_columns_reserved_when_validation_runs_later(tmp_path):
    path = tmp_path / "log.csv"
    run(model(), 2, CB.CSVLogger(path), validation_freq=2)
    table = rows(path)
    assert table[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert table[1][3:] == ["NA", "NA"] and table[2][3] != "NA"
