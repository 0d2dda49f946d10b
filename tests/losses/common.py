"""Shared data and NumPy references of the classic-loss tests."""

import numpy as np

RNG = np.random.default_rng(0)
N, C = 6, 4
F64 = "float64"  # a loss computes in its dtype (floatx by default): gradient checks ask for this


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _onehot(ids, c=C):
    return np.eye(c)[ids]


def _np_bce(t, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    return -(t * np.log(p)).sum(-1)


def _np_huber(t, p, d=1.0):
    e = np.abs(p - t)
    return np.where(e <= d, 0.5 * e**2, d * e - 0.5 * d * d).mean(-1)


def _np_cos(t, p):
    n = np.linalg.norm
    return -(t * p).sum(-1) / (n(t, axis=-1) * n(p, axis=-1))


Y_REG, P_REG = RNG.normal(size=(N, C)), RNG.normal(size=(N, C))
Y_POS, P_POS = RNG.uniform(0.1, 2, size=(N, C)), RNG.uniform(0.1, 2, size=(N, C))
Y_BIN, P_PROB = RNG.integers(0, 2, size=(N, C)).astype(float), RNG.uniform(0.05, 0.95, (N, C))
IDS = RNG.integers(0, C, size=N)
P_SOFT = _softmax(RNG.normal(size=(N, C)))
Y_DIST = _softmax(RNG.normal(size=(N, C)))
