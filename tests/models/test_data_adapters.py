"""The data adapters: what each kind of source yields, batch by batch, and Keras's errors."""

import numpy as np
import pytest

from numdeep.models.data_adapters import (
    ArrayDataAdapter,
    DataAdapter,
    GeneratorDataAdapter,
    IterableDataAdapter,
    PyDatasetAdapter,
    TorchDataLoaderAdapter,
    get_data_adapter,
)
from numdeep.utils import PyDataset


def _ramp(n, width, dtype="float32"):
    return np.repeat(np.arange(n)[:, None], width, axis=1).astype(dtype)


# ----- arrays ------------------------------------------------------------------------------------
def test_array_batches_sizes_dtypes_and_order():
    adapter = ArrayDataAdapter(_ramp(34, 4, "float64"), _ramp(34, 2, "int32"), batch_size=16)
    assert (adapter.num_batches, adapter.batch_size) == (3, 16)
    assert adapter.has_partial_batch is True and adapter.partial_batch_size == 2
    batches = list(adapter.get_numpy_iterator())
    assert [bx.shape for bx, _ in batches] == [(16, 4), (16, 4), (2, 4)]
    assert all(bx.dtype == np.float32 and by.dtype == np.int32 for bx, by in batches)
    np.testing.assert_array_equal(np.concatenate([bx[:, 0] for bx, _ in batches]), np.arange(34))


def test_full_batches_have_no_partial_batch():
    adapter = ArrayDataAdapter(np.zeros((32, 1)), batch_size=16)
    assert adapter.has_partial_batch is False and adapter.partial_batch_size is None


def test_shuffle_true_permutes_all_samples_and_keeps_pairs():
    adapter = ArrayDataAdapter(_ramp(34, 4), _ramp(34, 2), batch_size=16, shuffle=True)
    batches = list(adapter.get_numpy_iterator())
    xs = np.concatenate([bx[:, 0] for bx, _ in batches])
    np.testing.assert_array_equal(xs, np.concatenate([by[:, 0] for _, by in batches]))
    assert sorted(xs) == list(range(34)) and list(xs) != list(range(34))


def test_shuffle_batch_shuffles_within_each_batch_only():
    adapter = ArrayDataAdapter(_ramp(34, 4), _ramp(34, 2), batch_size=16, shuffle="batch")
    batches = list(adapter.get_numpy_iterator())
    assert [len(bx) for bx, _ in batches] == [16, 16, 2]
    for i, (bx, by) in enumerate(batches):
        assert sorted(bx[:, 0]) == list(range(16 * i, 16 * i + len(bx)))
        np.testing.assert_array_equal(bx[:, 0], by[:, 0])
    assert list(np.concatenate([bx[:, 0] for bx, _ in batches])) != list(range(34))


def test_steps_without_batch_size_sets_the_batch_size():
    adapter = ArrayDataAdapter(np.zeros((10, 1)), steps=3)
    assert (adapter.batch_size, adapter.num_batches, adapter.partial_batch_size) == (4, 3, 2)
    assert ArrayDataAdapter(np.zeros((10, 1))).batch_size == 32


def test_multiple_inputs_and_outputs_share_one_sample_weight_array():
    sw = np.linspace(0.0, 1.0, 34)
    adapter = ArrayDataAdapter({"a": _ramp(34, 1), "b": _ramp(34, 2)},
                               [_ramp(34, 3), _ramp(34, 4)], sample_weight=sw, batch_size=16)
    batches = list(adapter.get_numpy_iterator())
    bx, by, bw = batches[2]
    assert set(bx) == {"a", "b"} and isinstance(by, list) and isinstance(bw, list)
    assert bx["b"].shape == (2, 2) and by[1].shape == (2, 4)
    np.testing.assert_allclose(bw[0], sw[32:])
    np.testing.assert_allclose(bw[1], sw[32:])


def test_class_weights_become_per_sample_weights():
    class_weight = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}
    for y in (np.arange(4)[:, None], np.eye(4, dtype="float32")):
        _, _, bw = next(ArrayDataAdapter(np.zeros((4, 2)), y, class_weight=class_weight)
                        .get_numpy_iterator())
        np.testing.assert_allclose(bw, [0.1, 0.2, 0.3, 0.4])


def test_array_errors_match_keras():
    x, y, sw = np.zeros((34, 1)), np.zeros((34, 3)), np.ones(34)
    cw = {0: 1.0, 1: 2.0}
    for kwargs in ({"x": "Invalid"}, {"x": x, "y": "Invalid"},
                   {"x": x, "y": y, "sample_weight": "Invalid"}):
        with pytest.raises(ValueError, match="Expected all elements of `x` to be array-like"):
            ArrayDataAdapter(**kwargs)
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight`"):
        ArrayDataAdapter(x, y, sample_weight=sw, class_weight=cw)
    nested_y = ({"x": x, "y": y},)
    with pytest.raises(ValueError, match="one `sample_weight` array per output"):
        ArrayDataAdapter(x, nested_y, sample_weight=[])
    with pytest.raises(ValueError, match="For a model with multiple outputs, when providing"):
        ArrayDataAdapter(x, nested_y, sample_weight=np.ones((34, 2)))
    with pytest.raises(ValueError, match="only supported for Models with a single output"):
        ArrayDataAdapter(x, nested_y, class_weight=cw)
    with pytest.raises(ValueError, match=r"same number of samples.*x: 34.*y: 33"):
        ArrayDataAdapter(x, y[:-1])


def test_torch_tensors_become_float32_numpy_batches():
    torch = pytest.importorskip("torch")
    x = torch.arange(12, dtype=torch.float64).reshape(6, 2).requires_grad_()
    adapter = ArrayDataAdapter(x, torch.arange(6, dtype=torch.int32), batch_size=4)
    (bx, by), _ = adapter.get_numpy_iterator()
    assert isinstance(bx, np.ndarray) and bx.dtype == np.float32 and by.dtype == np.int32
    np.testing.assert_array_equal(bx, np.arange(8).reshape(4, 2))


def test_array_torch_dataloader_yields_the_numpy_batches_as_tensors():
    torch = pytest.importorskip("torch")
    adapter = ArrayDataAdapter(_ramp(10, 2), np.arange(10), batch_size=4)
    batches = list(adapter.get_torch_dataloader())
    assert all(isinstance(t, torch.Tensor) for batch in batches for t in batch)
    assert [tuple(bx.shape) for bx, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(torch.cat([by for _, by in batches]).numpy(), np.arange(10))


# ----- dispatch ----------------------------------------------------------------------------------
def test_get_data_adapter_picks_the_adapter_and_rejects_the_rest():
    gen = (b for b in [(np.zeros((2, 1)), np.zeros(2))])
    assert isinstance(get_data_adapter(gen), GeneratorDataAdapter)
    assert isinstance(get_data_adapter([[1.0], [2.0]]), ArrayDataAdapter)
    assert isinstance(get_data_adapter(iter_only([np.zeros((2, 1))])), IterableDataAdapter)
    custom = ArrayDataAdapter(np.zeros((3, 1)))
    assert get_data_adapter(custom) is custom and isinstance(custom, DataAdapter)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        get_data_adapter("unsupported_data")
    with pytest.raises(ValueError, match="as a generator, `y` should not be passed"):
        get_data_adapter((b for b in [np.zeros(1)]), y=np.zeros(1))
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        get_data_adapter((b for b in [np.zeros(1)]), sample_weight=np.zeros(1))


class iter_only:  # noqa: N801 - a minimal re-iterable (no __getitem__, no __next__)
    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


# ----- generators --------------------------------------------------------------------------------
def test_generator_is_read_lazily_and_converts_torch_batches():
    torch = pytest.importorskip("torch")
    pulled = []

    def batches():
        for i in range(3):
            pulled.append(i)
            yield torch.full((2, 1), float(i)), torch.zeros(2)

    adapter = GeneratorDataAdapter(batches())
    assert pulled == [0]  # only the first batch, peeked to fail early on an empty generator
    out = list(adapter.get_numpy_iterator())
    assert [bx[0, 0] for bx, _ in out] == [0.0, 1.0, 2.0]
    assert all(isinstance(bx, np.ndarray) for bx, _ in out)


def test_empty_generator_is_a_clear_error():
    with pytest.raises(ValueError, match="the generator must yield at least one batch"):
        GeneratorDataAdapter(b for b in [])


# ----- PyDataset ---------------------------------------------------------------------------------
class Ramp(PyDataset):
    def __init__(self, n=4, fail_at=None, infinite=False, **kwargs):
        super().__init__(**kwargs)
        self.n, self.fail_at, self.infinite = n, fail_at, infinite

    @property
    def num_batches(self):
        return None if self.infinite else self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError("Expected exception")
        return np.full((2, 1), i % self.n, "float32"), np.array([i % 3, 0])


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_py_dataset_batches_in_order_with_any_number_of_workers(workers):
    adapter = PyDatasetAdapter(Ramp(workers=workers, max_queue_size=0))
    assert [bx[0, 0] for bx, _ in adapter.get_numpy_iterator()] == [0, 1, 2, 3]


def test_py_dataset_shuffle_and_exceptions():
    adapter = PyDatasetAdapter(Ramp(n=20), shuffle=True)
    order = [bx[0, 0] for bx, _ in adapter.get_numpy_iterator()]
    assert sorted(order) == list(range(20)) and order != list(range(20))
    for workers in (0, 2):
        it = PyDatasetAdapter(Ramp(fail_at=2, workers=workers)).get_numpy_iterator()
        next(it)
        next(it)
        with pytest.raises(ValueError, match="Expected exception"):
            next(it)


def test_py_dataset_class_weight_and_batch_forms():
    _, _, sw = next(PyDatasetAdapter(Ramp(), class_weight={0: 2.0, 1: 5.0, 2: 1.0})
                    .get_numpy_iterator())
    np.testing.assert_allclose(sw, [2.0, 2.0])

    class Forms(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return [{"x": np.zeros(1)}, np.zeros(1), "not a batch"][i]

    it = PyDatasetAdapter(Forms()).get_numpy_iterator()
    assert isinstance(next(it), dict) and isinstance(next(it), tuple)
    with pytest.raises(ValueError, match="must return a tuple or a dict"):
        next(it)


def test_py_dataset_iterates_itself_finite_and_endless():
    assert len(list(Ramp(n=3))) == 3
    endless = iter(Ramp(n=3, infinite=True))
    assert [int(next(endless)[0][0, 0]) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]


# ----- torch DataLoader --------------------------------------------------------------------------
def test_torch_data_loader_sizes_and_numpy_batches():
    torch = pytest.importorskip("torch")
    data = torch.utils.data.TensorDataset(torch.arange(34.0).reshape(34, 1), torch.zeros(34, 2))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    adapter = get_data_adapter(loader)
    assert isinstance(adapter, TorchDataLoaderAdapter) and adapter.get_torch_dataloader() is loader
    assert (adapter.num_batches, adapter.batch_size, adapter.partial_batch_size) == (3, 16, 2)
    assert adapter.has_partial_batch is True
    batches = list(adapter.get_numpy_iterator())
    assert all(isinstance(b, tuple) and isinstance(b[0], np.ndarray) for b in batches)
    np.testing.assert_array_equal(np.concatenate([bx for bx, _ in batches])[:, 0], np.arange(34))
    with pytest.raises(ValueError, match="as a torch DataLoader, `y` should not"):
        get_data_adapter(loader, y=np.zeros(34))


def test_torch_iterable_dataset_without_length_has_unknown_sizes():
    torch = pytest.importorskip("torch")

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            for i in range(10):
                yield torch.full((4,), float(i)), torch.zeros(2)

    adapter = TorchDataLoaderAdapter(torch.utils.data.DataLoader(Stream(), batch_size=3))
    assert adapter.num_batches is None and adapter.batch_size == 3
    assert adapter.has_partial_batch is None and adapter.partial_batch_size is None
    shapes = [bx.shape for bx, _ in adapter.get_numpy_iterator()]
    assert shapes == [(3, 4), (3, 4), (3, 4), (1, 4)]
    with pytest.raises(ValueError, match="to be an instance of"):
        TorchDataLoaderAdapter([1, 2])


def test_py_dataset_and_generator_torch_dataloaders_yield_tensors():
    torch = pytest.importorskip("torch")
    loader = PyDatasetAdapter(Ramp()).get_torch_dataloader()
    batches = list(loader)
    assert [float(bx[0, 0]) for bx, _ in batches] == [0.0, 1.0, 2.0, 3.0]
    assert all(isinstance(bx, torch.Tensor) and bx.dtype == torch.float32 for bx, _ in batches)
    gen = GeneratorDataAdapter((np.full((2, 1), i), np.zeros(2)) for i in range(3))
    assert [int(bx[0, 0]) for bx, _ in gen.get_torch_dataloader()] == [0, 1, 2]
