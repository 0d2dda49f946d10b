import numpy as np
import pytest

from numdeep.utils import normalize, pad_sequences, set_random_seed, to_categorical


def test_to_categorical_basic_and_shapes():
    out = to_categorical([1, 0, 3])
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    assert out.dtype == np.float32
    assert to_categorical(np.array([[1], [2]]), num_classes=4).shape == (2, 4)
    assert to_categorical(np.zeros((2, 3), dtype=int), num_classes=2).shape == (2, 3, 2)
    assert to_categorical([2.0, 1.0]).tolist() == [[0, 0, 1], [0, 1, 0]]
    assert to_categorical([1], num_classes=2, dtype="int64").dtype == np.int64
    assert to_categorical(np.uint8(3), num_classes=4).tolist() == [0, 0, 0, 1]
    assert to_categorical([], num_classes=3).shape == (0, 3)


@pytest.mark.parametrize("y,kw,match", [
    ([0, -1], {}, "non-negative"), ([0.5, 1], {}, "integer"), ([0, 3], {"num_classes": 3},
                                                              "out of range"),
    ([np.nan], {}, "integer"),
])
def test_to_categorical_errors(y, kw, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(y, **kw)


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0, 0], [1, 0]])
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [1, 0]])
    np.testing.assert_allclose(normalize(x, axis=0),
                               [[3 / np.sqrt(10), 1], [0, 0], [1 / np.sqrt(10), 0]])
    assert normalize([1, 1]).dtype == np.float64
    assert normalize(np.ones(2, np.float32)).dtype == np.float32


def test_normalize_tensor_is_differentiable():
    from numdeep.autograd import Tensor

    x = Tensor(np.array([[3.0, 4.0], [0.0, 0.0]]), requires_grad=True)
    y = normalize(x)
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8], [0.0, 0.0]])
    y[0, 0].backward()
    # d(x0 / |x|)/dx = (|x|^2 - x0 x) / |x|^3
    np.testing.assert_allclose(x.grad[0], [(25 - 9) / 125, -12 / 125])
    x.grad = None
    normalize(x, order=1).sum().backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad[1], [1.0, 1.0])  # zero rows pass through unchanged


def test_pad_sequences():
    seqs = [[1, 2, 3], [4, 5], [], [6]]
    np.testing.assert_array_equal(pad_sequences(seqs),
                                  [[1, 2, 3], [0, 4, 5], [0, 0, 0], [0, 0, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, padding="post"),
                                  [[1, 2, 3], [4, 5, 0], [0, 0, 0], [6, 0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[2, 3], [4, 5], [0, 0], [0, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[1, 2], [4, 5], [0, 0], [0, 6]])
    out = pad_sequences([[1.5]], maxlen=2, dtype="float32", value=-1.0)
    np.testing.assert_array_equal(out, [[-1.0, 1.5]])
    assert pad_sequences(seqs).dtype == np.int32
    assert pad_sequences(seqs, maxlen=0).shape == (4, 0)
    assert pad_sequences([]).shape == (0, 0)
    vec = pad_sequences([np.ones((2, 3)), np.ones((1, 3))])
    assert vec.shape == (2, 2, 3) and vec[1, 0].tolist() == [0, 0, 0]
    strs = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert strs.tolist() == [["<pad>", "a"], ["b", "c"]]


@pytest.mark.parametrize("args,kw", [
    (([[1]],), {"padding": "middle"}), (([[1]],), {"truncating": "x"}), ((5,), {}),
    (([1, 2],), {}), (([[1]],), {"value": "x"}),
    (([np.ones((1, 2)), np.ones((1, 3))],), {"dtype": "float32"}),
])
def test_pad_sequences_errors(args, kw):
    with pytest.raises(ValueError):
        pad_sequences(*args, **kw)


def test_set_random_seed_validates_and_leaves_global_state():
    np.random.seed(7)
    state = np.random.get_state()
    set_random_seed(3)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    for bad in [-1, 1.5, "1", True]:
        with pytest.raises(ValueError):
            set_random_seed(bad)
