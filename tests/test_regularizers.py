import numpy as np
import pytest

from numdeep import regularizers
from numdeep.autograd import Tensor
from numdeep.autograd.gradcheck import gradcheck
from numdeep.regularizers import L1, L1L2, L2, OrthogonalRegularizer

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.75, -3.0]])


def _orth_ref(w, factor, mode):
    m = w if mode == "rows" else w.T
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    p = np.abs(u @ u.T)
    n = len(m)
    return factor * 0.5 * (p.sum() - np.trace(p)) / (n * (n - 1) / 2)


@pytest.mark.parametrize("reg,expected", [
    (L1(), 0.01 * np.abs(W).sum()), (L2(), 0.01 * (W**2).sum()), (L1(0.3), 0.3 * np.abs(W).sum()),
    (L2(0.2), 0.2 * (W**2).sum()), (L1L2(0.1, 0.2), 0.1 * np.abs(W).sum() + 0.2 * (W**2).sum()),
    (L1L2(l2=0.5), 0.5 * (W**2).sum()), (L1L2(l1=0.5), 0.5 * np.abs(W).sum()), (L1L2(), 0.0),
    (OrthogonalRegularizer(0.4), _orth_ref(W, 0.4, "rows")),
    (OrthogonalRegularizer(0.4, "columns"), _orth_ref(W, 0.4, "columns")),
], ids=lambda v: repr(v) if not isinstance(v, float) else "")
def test_values_grad_and_config(reg, expected):
    out = reg(Tensor(W.astype(np.float32)))
    assert isinstance(out, Tensor) and out.shape == () and out.dtype == np.float32
    assert float(out.item()) == pytest.approx(expected, rel=1e-6)
    assert float(reg(W).item()) == pytest.approx(expected, rel=1e-12)  # arrays accepted too
    if expected:
        assert gradcheck(reg, [Tensor(W, requires_grad=True)])
    cfg = regularizers.serialize(reg)
    assert cfg["module"] == "keras.regularizers" and cfg["class_name"] == type(reg).__name__
    clone = regularizers.get(cfg)
    assert type(clone) is type(reg) and clone.get_config() == reg.get_config()
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()


def test_gradients_by_hand():
    w = Tensor(W, requires_grad=True)
    L1L2(0.1, 0.2)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(W) + 0.4 * W)


def test_keras_configs_and_defaults():
    assert L1().get_config() == {"l1": 0.01}
    assert L2().get_config() == {"l2": 0.01}
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}
    assert L2(None).l2 == 0.01


def test_get_variants_and_errors():
    assert isinstance(regularizers.get("l1"), L1)
    assert isinstance(regularizers.get("l2"), L2)
    assert isinstance(regularizers.get("L2"), L2)
    assert isinstance(regularizers.get("l1_l2"), L1L2)
    assert isinstance(regularizers.get("orthogonal_regularizer"), OrthogonalRegularizer)
    assert isinstance(regularizers.get(L1), L1)
    assert regularizers.get(None) is None
    reg = L2(0.5)
    assert regularizers.get(reg) is reg

    def fn(w):
        return (w * w).sum()

    assert regularizers.get(fn) is fn
    with pytest.raises(ValueError, match="Unknown regularizer.*l1_l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError):
        regularizers.get(0.5)
    with pytest.raises(ValueError):
        regularizers.serialize(fn)
    for bad in [-0.1, float("nan"), "0.1", True]:
        with pytest.raises(ValueError, match="l2"):
            L2(bad)
    with pytest.raises(ValueError, match="mode"):
        OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match="2-D"):
        OrthogonalRegularizer()(Tensor(np.ones((2, 2, 2))))
