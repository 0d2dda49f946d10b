"""The row scatter-add kernel equals ``np.add.at``, and the gathers that use it keep their
gradients."""

import numpy as np
import pytest

from numdeep.autograd import Tensor
from numdeep.backend import scatter_add
from numdeep.backend.kernels import scatter


@pytest.mark.parametrize("rows, count, width", [
    (10000, 12800, 64),  # the embedding benchmark: ids repeat a few times each
    (7, 5000, 9),        # a tiny vocabulary: many repeats, the flat np.add.at path
    (300, 40, 3),        # all distinct most likely: one round
    (50, 1, 1),
    (5, 0, 4),           # no ids at all
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_add_rows_equals_add_at(rows, count, width, dtype):
    rng = np.random.default_rng(rows + count)
    ids = rng.integers(-rows, rows, count)  # negative ids count from the end
    values = rng.standard_normal((count, width)).astype(dtype)
    start = rng.standard_normal((rows, width)).astype(dtype)  # adds to what is there
    ref = scatter.scatter_add_reference(start.copy(), ids, values)
    out = scatter.scatter_add_rows(start.copy(), ids, values)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("rows, count", [(1000, 3000), (3, 3000)])
def test_scatter_add_rows_into_a_zeroed_table(rows, count):
    rng = np.random.default_rng(rows)
    ids = rng.integers(0, rows, count)
    values = rng.standard_normal((count, 5)).astype(np.float32)
    ref = scatter.scatter_add_reference(np.zeros((rows, 5), np.float32), ids, values)
    out = scatter.scatter_add_rows(np.zeros((rows, 5), np.float32), ids, values, zeroed=True)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_scatter_add_rows_takes_any_id_shape_and_trailing_axes():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 11, (6, 50))
    values = rng.standard_normal((6, 50, 3, 4)).astype(np.float32)
    ref = scatter.scatter_add_reference(np.zeros((11, 3, 4), np.float32), ids, values)
    out = scatter.scatter_add_rows(np.zeros((11, 3, 4), np.float32), ids.astype(np.uint16),
                                   values)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("base_shape", [
    (6, 1, 4),  # a mean-pooled gradient: the same row along the pooled axis
    (1, 30, 4),
    (1, 1, 4),
    (6, 30, 1),  # broadcast inside the rows
])
@pytest.mark.parametrize("zeroed", [False, True])
def test_scatter_add_rows_reads_broadcast_values_in_place(base_shape, zeroed):
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 50, (6, 30))
    values = np.broadcast_to(rng.standard_normal(base_shape).astype(np.float32), (6, 30, 4))
    start = np.zeros((50, 4), np.float32) if zeroed else \
        rng.standard_normal((50, 4)).astype(np.float32)
    ref = scatter.scatter_add_reference(start.copy(), ids, np.ascontiguousarray(values))
    out = scatter.scatter_add_rows(start.copy(), ids, values, zeroed=zeroed)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_scatter_add_rows_rejects_ids_out_of_range():
    with pytest.raises(IndexError):
        scatter.scatter_add_rows(np.zeros((4, 2)), np.array([1, 4]), np.ones((2, 2)))


@pytest.mark.parametrize("index_kind", ["bare", "tuple", "two axes", "broadcast values"])
def test_backend_scatter_add_dispatches_and_agrees(index_kind):
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 100, 3000)
    values = rng.standard_normal((3000, 8)).astype(np.float32)
    index = {"bare": ids, "tuple": (ids,), "two axes": (ids, ids % 8),
             "broadcast values": ids}[index_kind]
    if index_kind == "two axes":
        values = values[:, 0]
    if index_kind == "broadcast values":
        values = np.broadcast_to(values[:1], values.shape)
    ref = np.zeros((100, 8), np.float32)
    np.add.at(ref, index, values)
    out = scatter_add(np.zeros((100, 8), np.float32), index, values)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_take_rows_gradient_accumulates_repeats(dtype):
    from numdeep import ops

    rng = np.random.default_rng(3)
    table = Tensor(rng.standard_normal((40, 70)).astype(dtype), requires_grad=True)
    ids = rng.integers(0, 40, (9, 13))
    y = ops.take(table, ids, axis=0)
    np.testing.assert_array_equal(y.data, table.data[ids])
    weights = rng.standard_normal(y.shape).astype(dtype)
    (y * Tensor(weights)).sum().backward()
    want = np.zeros((40, 70), dtype)
    np.add.at(want, ids, weights)
    np.testing.assert_allclose(table.grad, want, rtol=1e-5, atol=1e-5)
