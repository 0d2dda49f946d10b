"""Optimizer state never drifts into subnormal floats (which make every pass much slower)."""

import numpy as np
import pytest

from numdeep import optimizers


@pytest.mark.parametrize("make", [
    lambda: optimizers.Adam(1e-3),
    lambda: optimizers.SGD(0.01, momentum=0.9),
    lambda: optimizers.RMSprop(1e-3, momentum=0.9),
    lambda: optimizers.Nadam(1e-3),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_moments_of_dead_units_reach_zero_not_subnormals(make, dtype):
    opt = make()
    w = np.ones(64, dtype=dtype)
    g = np.full(64, 1e-3, dtype=dtype)
    opt.apply([g], [w])
    zero = np.zeros_like(g)  # a dead unit: its gradient stays exactly zero from now on
    tiny = np.finfo(dtype).tiny
    for _ in range(8000 if dtype == "float64" else 1000):
        opt.apply([zero], [w])
        for key, slot in opt._states[0].items():
            if key.startswith("_"):
                continue
            nonzero = np.abs(slot[slot != 0])
            assert nonzero.size == 0 or nonzero.min() >= tiny, (key, nonzero.min())


def test_flushing_does_not_change_live_updates():
    a, b = optimizers.Adam(1e-3), optimizers.Adam(1e-3)
    wa = np.linspace(-1, 1, 50).astype("float32")
    wb = wa.copy()
    rng = np.random.default_rng(0)
    for _ in range(100):
        g = rng.standard_normal(50).astype("float32")
        a.apply([g], [wa])
        b.apply([g], [wb])
        b._flush_subnormals()  # flushing on every step: nothing in normal use is that small
    np.testing.assert_array_equal(wa, wb)
