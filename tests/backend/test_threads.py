"""numdeep's own thread pool: the split, the thread count's sources, and kernels that use it."""

import os
import threading

import numpy as np
import pytest

from numdeep.backend import threads
from numdeep.backend.kernels.optimizers import THREADED_SIZE, adam_update


@pytest.fixture
def two_threads():
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(None)


def test_parts_cover_the_range_in_order():
    for n in (1, 2, 7, 100):
        for count in (1, 2, 3, 8):
            split = threads.parts(n, n, min_part=1, count=count)
            covered = [i for s in split for i in range(n)[s]]
            assert covered == list(range(n))
            assert len(split) == min(n, count)


def test_small_work_is_not_split():
    assert threads.parts(1000, 1000, min_part=threads.MIN_PART, count=2) == [slice(0, 1000)]
    assert len(threads.parts(4, 4 * threads.MIN_PART, count=2)) == 2


def test_thread_count_sources(monkeypatch):
    monkeypatch.setenv("NUMDEEP_NUM_THREADS", "1")
    assert threads.get_num_threads() == 1
    monkeypatch.delenv("NUMDEEP_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.get_num_threads() == 1
    threads.set_num_threads(3)
    try:
        assert threads.get_num_threads() == 3
    finally:
        threads.set_num_threads(None)
    with pytest.raises(ValueError, match="set_num_threads"):
        threads.set_num_threads(0)


def test_parallel_for_runs_parts_on_two_threads_and_returns_in_order(two_threads):
    seen = []

    def work(part):
        seen.append(threading.current_thread().name)
        return part.start

    assert threads.parallel_for(10, work, min_part=1) == [0, 5]
    assert len(set(seen)) == 2


def test_nested_calls_run_inline(two_threads):
    def inner(part):
        return len(threads.parts(10, 10, min_part=1))

    def outer(part):
        return threads.parallel_for(10, inner, min_part=1)

    results = threads.parallel_for(10, outer, min_part=1)
    assert results[1] == [1]  # a pool thread does not fan out again


def test_errors_in_a_part_reach_the_caller(two_threads):
    def work(part):
        if part.start:
            raise RuntimeError("part failed")

    with pytest.raises(RuntimeError, match="part failed"):
        threads.parallel_for(10, work, min_part=1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_gets_a_fresh_pool(two_threads):
    threads.parallel_for(10, lambda part: None, min_part=1)  # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            ok = threads._state["pool"] is None and \
                threads.parallel_for(10, lambda part: part.start, min_part=1) == [0, 5]
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_threaded_adam_equals_one_thread_bit_for_bit(amsgrad):
    n = THREADED_SIZE + 7  # large enough to split, with an uneven tail
    results = []
    for count in (1, 2):
        threads.set_num_threads(count)
        try:
            p = np.random.default_rng(1).standard_normal((n,)).astype("float32")
            g = np.random.default_rng(2).standard_normal((n,)).astype("float32")
            m, v, buf = np.zeros_like(p), np.full_like(p, 0.5), np.empty_like(p)
            v_hat = np.full_like(p, 0.7) if amsgrad else None
            for _ in range(3):
                adam_update(p, g, m, v, buf, 0.9, 0.999, 1e-7, 0.01, v_hat)
            results.append((p, m, v))
        finally:
            threads.set_num_threads(None)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_threaded_relu_equals_the_plain_expressions_bit_for_bit():
    from numdeep.backend.kernels import activations

    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 130, 113)).astype("float32")  # uneven parts, > 2 * MIN_PART
    x[0, 0, :4] = [0.0, -0.0, np.nan, np.inf]
    gy = rng.standard_normal(x.shape).astype("float32")
    gy[1, 1, 1] = np.inf  # inf * 0 at an inactive unit: NaN, as the plain product gives
    x[1, 1, 1] = -1.0
    threads.set_num_threads(2)
    try:
        y = activations.relu(np, x)
        split = [y, activations.relu_grad(np, gy, y)]
        assert activations._split(np, x)  # the threaded path ran
    finally:
        threads.set_num_threads(None)
    plain = np.maximum(x, 0)
    np.testing.assert_array_equal(split[0], plain)
    np.testing.assert_array_equal(split[1], gy * (plain > 0))
    assert split[0].dtype == plain.dtype and split[1].dtype == np.float32
    small = np.array([[-1.0, 2.0]], "float32")  # too small: the plain path
    np.testing.assert_array_equal(activations.relu(np, small), [[0.0, 2.0]])


def test_single_threaded_blas_limits_and_restores():
    libs = threads._blas_libs()
    if not libs:
        pytest.skip("no BLAS library that threadpoolctl can control")
    before = [lib.num_threads for lib in libs]
    try:
        for lib in libs:
            lib.set_num_threads(2)
        a = np.random.default_rng(0).standard_normal((64, 64)).astype("float32")
        expected = a @ a
        with threads.single_threaded_blas():
            assert [lib.num_threads for lib in libs] == [1] * len(libs)
            with threads.single_threaded_blas():  # nested: still one, not restored early
                pass
            assert [lib.num_threads for lib in libs] == [1] * len(libs)
            np.testing.assert_allclose(a @ a, expected, rtol=1e-5, atol=1e-5)
        assert [lib.num_threads for lib in libs] == [2] * len(libs)
    finally:
        for lib, n in zip(libs, before):
            lib.set_num_threads(n)


@pytest.mark.parametrize("code,env,expected", [
    ("import numdeep", {}, "18"),  # numdeep first: it shortens OpenBLAS's spin
    ("import numdeep", {"OPENBLAS_THREAD_TIMEOUT": "22"}, "22"),  # the user's value stays
    ("import numpy; import numdeep", {}, "None"),  # too late once NumPy loaded OpenBLAS
])
def test_openblas_thread_timeout_is_set_only_before_numpy(code, env, expected):
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run(
        [sys.executable, "-c", code + "; import os; "
         "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"],
        env={**base, **env}, capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == expected


@pytest.mark.parametrize("shape, single", [
    ((32, 784, 128), True),  # a Dense layer's product at batch 32: one BLAS thread
    ((784, 128, 128), True),  # a weight gradient at batch 128
    ((1, 784, 128), False),  # under OpenBLAS's own threshold: left alone, no switch
    ((1024, 1600, 64), False),  # large: BLAS's threads
])
def test_small_products_run_on_one_blas_thread(monkeypatch, shape, single):
    from numdeep.autograd.primitives import linalg

    libs = threads._blas_libs()
    if not libs:
        pytest.skip("no BLAS library that threadpoolctl can control")
    before = [lib.num_threads for lib in libs]
    seen = []
    limit = threads.single_threaded_blas

    def spy():
        seen.append([lib.num_threads for lib in libs])
        return limit()

    monkeypatch.setattr(threads, "single_threaded_blas", spy)
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    try:
        for lib in libs:
            lib.set_num_threads(2)
        if not threads.blas_threaded():
            pytest.skip("BLAS cannot run two threads here")
        out = linalg.gemm(np, a, b)
        batched = linalg._matmul(np, a.reshape(1, m, k), b)  # (..., k) @ (k, n) too
        with threads.single_threaded_blas():
            assert not threads.blas_threaded()
    finally:
        for lib, n_before in zip(libs, before):
            lib.set_num_threads(n_before)
    assert len(seen) == 2 * single + 1  # the two products, then the explicit block
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(batched[0], a @ b, rtol=1e-12, atol=1e-12)
