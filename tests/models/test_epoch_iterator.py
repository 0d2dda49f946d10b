"""``EpochIterator``: steps per epoch, both iteration protocols, and the epoch hooks."""

import warnings

import numpy as np
import pytest

from numdeep.models.epoch_iterator import EpochIterator
from numdeep.utils import PyDataset


@pytest.mark.parametrize("protocol", ["iterator", "enumerate_epoch"])
def test_one_epoch_of_array_batches(protocol):
    x, y, sw = np.zeros((100, 16)), np.zeros((100, 4)), np.ones(100)
    iterator = EpochIterator(x, y, sw, batch_size=16, shuffle=True)
    source = iterator if protocol == "iterator" else iterator.enumerate_epoch()
    steps = []
    for begin, end, batches in source:
        assert begin == end and len(batches) == 1 and len(batches[0]) == 3
        steps.append(begin)
    assert steps == list(range(7)) and iterator.num_batches == 7


def test_steps_per_execution_groups_batches():
    iterator = EpochIterator(np.arange(7.0)[:, None], batch_size=1, steps_per_execution=3)
    got = [(begin, end, [float(b[0, 0]) for b in batches]) for begin, end, batches in iterator]
    assert got == [(0, 2, [0.0, 1.0, 2.0]), (3, 5, [3.0, 4.0, 5.0]), (6, 6, [6.0])]


def test_running_out_of_data_warns_once_and_stops():
    x = np.arange(32.0)[:, None]
    iterator = EpochIterator(x, x * 2, batch_size=8, steps_per_epoch=6)
    with pytest.warns(UserWarning, match="Your input ran out of data") as record:
        for _ in range(2):
            assert [step for step, _, _ in iterator] == [0, 1, 2, 3]
    assert sum("ran out of data" in str(r.message) for r in record) == 1


def test_generator_epochs_continue_where_the_last_one_stopped():
    batches = ((np.full((1, 1), i), np.zeros(1)) for i in range(100))
    iterator = EpochIterator(batches, steps_per_epoch=3)
    firsts = [[int(b[0][0][0, 0]) for _, _, b in iterator] for _ in range(2)]
    assert firsts == [[0, 1, 2], [3, 4, 5]]


class Tracked(PyDataset):
    def __init__(self, infinite):
        super().__init__()
        self.infinite, self.tracker = infinite, []

    @property
    def num_batches(self):
        return None if self.infinite else 4

    def __getitem__(self, i):
        return np.full((2, 1), i, "float32")

    def on_epoch_begin(self):
        self.tracker.append(1)

    def on_epoch_end(self):
        self.tracker.append(2)


@pytest.mark.parametrize("infinite", [True, False])
def test_epoch_hooks_bracket_every_epoch(infinite):
    ds = Tracked(infinite)
    iterator = EpochIterator(ds, steps_per_epoch=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the finite one runs out after 4 of the 10 steps
        counts = [len(list(iterator)) for _ in range(3)]
    assert counts == ([10] * 3 if infinite else [4] * 3)
    assert ds.tracker == [1, 2] * 3


def test_an_epoch_left_early_still_ends():
    ds = Tracked(infinite=False)
    iterator = EpochIterator(ds)
    for _ in iterator.enumerate_epoch():
        break
    assert ds.tracker == [1, 2]
    iter(iterator)
    next(iterator)
    iterator.reset()
    assert ds.tracker == [1, 2, 1, 2]


def test_invalid_steps_and_unknown_data_are_errors():
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="steps_per_epoch"):
            EpochIterator(np.zeros((4, 1)), steps_per_epoch=bad)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        EpochIterator("unsupported_data")


def test_torch_data_loader_epochs():
    torch = pytest.importorskip("torch")

    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return 64

        def __getitem__(self, i):
            return np.full(2, i, "float32"), np.full(1, i, "float32")

    loader = torch.utils.data.DataLoader(Pairs(), batch_size=8, shuffle=True)
    iterator = EpochIterator(loader)
    seen = []
    for _, _, batches in iterator:
        bx, by = batches[0]
        assert bx.shape == (8, 2) and by.shape == (8, 1) and isinstance(bx, np.ndarray)
        seen.extend(by[:, 0].tolist())
    assert sorted(seen) == list(range(64)) and iterator.num_batches == 8
    with pytest.raises(ValueError, match="torch DataLoader, `sample_weights`"):
        EpochIterator(loader, sample_weight=np.ones(64))
