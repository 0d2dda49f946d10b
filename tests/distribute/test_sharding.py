"""How ``MPIStrategy`` splits the data and reduces gradients, checked in one process: the ranks'
parts of every step put together are exactly the global batch."""

import numpy as np
import pytest

pytest.importorskip("mpi4py")

import numdeep as nd  # noqa: E402
from numdeep.distribute.sharding import (  # noqa: E402
    ShardedArrays,
    ShardedBatches,
    epoch_order,
    part_bounds,
)
from numdeep.models.data_adapter import ArrayDataAdapter  # noqa: E402


def _adapter(n=70):
    x = np.arange(n * 2, dtype="float32").reshape(n, 2)
    return ArrayDataAdapter(x, np.arange(n), np.linspace(0.5, 1.5, n))


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
@pytest.mark.parametrize("size", [2, 3])
def test_the_ranks_parts_make_up_each_global_batch(shuffle, size):
    adapter = _adapter()
    whole = ShardedArrays(adapter, 0, 1, 16, shuffle, seed=5)
    ranks = [ShardedArrays(adapter, r, size, 16, shuffle, seed=5) for r in range(size)]
    for epoch in (0, 3):
        for s in [whole, *ranks]:
            s.epoch = epoch
        steps = list(zip(whole, *ranks))
        assert len(steps) == len(whole) == 5  # 70 = 4 x 16 + 6: the tail has >= size samples
        for batch, *parts in steps:
            for i in range(3):  # x, y and sample_weight
                np.testing.assert_array_equal(np.concatenate([p[i] for p in parts]), batch[i])
            sizes = [len(p[0]) for p in parts]
            assert max(sizes) - min(sizes) <= 1


def test_fractions_are_each_parts_share_of_the_global_batch():
    seen = []
    sharded = ShardedArrays(_adapter(), 1, 2, 33, False, 0, on_batch=seen.append)
    parts = [len(b[0]) for b in sharded]
    assert parts == [17, 17, 2] and seen == [17 / 33, 17 / 33, 2 / 4]


def test_a_tail_smaller_than_the_number_of_ranks_is_dropped_on_every_rank():
    adapter = _adapter(65)  # 2 x 32 + 1
    assert len(ShardedArrays(adapter, 0, 1, 32, False, 0)) == 3
    assert [len(ShardedArrays(adapter, r, 2, 32, False, 0)) for r in range(2)] == [2, 2]
    assert [len(list(ShardedArrays(adapter, r, 2, 32, True, 0))) for r in range(2)] == [2, 2]


def test_the_epoch_order_comes_from_the_shared_seed_and_the_epoch():
    np.testing.assert_array_equal(epoch_order(50, 3, 2, True), epoch_order(50, 3, 2, True))
    assert not np.array_equal(epoch_order(50, 3, 2, True), epoch_order(50, 3, 3, True))
    np.testing.assert_array_equal(epoch_order(5, 3, 2, False), np.arange(5))
    assert [part_bounds(7, r, 3) for r in range(3)] == [(0, 2), (2, 4), (4, 7)]


class _Batches(nd.utils.PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        n = 1 if i == 2 else 5  # the last batch has fewer samples than ranks
        return np.full((n, 2), i, "float32"), np.full((n,), i)


def test_dataset_batches_are_global_and_split_between_ranks():
    for source in (_Batches(), lambda: (_Batches()[i] for i in range(3))):
        parts = []
        for r in range(2):
            data = source if isinstance(source, nd.utils.PyDataset) else source()
            parts.append([b[0] for b in ShardedBatches(data, r, 2, False, 0)])
        assert [len(p) for p in parts] == [2, 2]  # the 1-sample batch is dropped
        assert [[len(b) for b in p] for p in parts] == [[2, 2], [3, 3]]
        np.testing.assert_array_equal(np.concatenate([parts[0][1], parts[1][1]]), 1)


def test_the_gradient_reducer_scales_keeps_missing_gradients_and_buckets():
    from numdeep.distribute import Communicator, GradientReducer

    variables = [nd.Variable(np.zeros((3, 4), "float32")), nd.Variable(np.zeros(5, "float32")),
                 nd.Variable(np.zeros(2, "float32"))]
    grads = [np.ones((3, 4), "float32"), None, np.arange(2, dtype="float32")]
    for bucket_bytes, compression in ((8, None), (1 << 20, None), (1 << 20, "fp16")):
        reducer = GradientReducer(Communicator(), bucket_bytes=bucket_bytes,
                                  compression=compression)
        out = reducer.reduce(grads, variables, 0.5)
        assert out[1] is None
        np.testing.assert_array_equal(out[0], np.full((3, 4), 0.5))
        np.testing.assert_array_equal(out[2], [0.0, 0.5])
        assert out[0].dtype == np.float32 and reducer.calls == 1
    assert len(GradientReducer(Communicator(), bucket_bytes=8).reduce(grads, variables, 1.0)) == 3
