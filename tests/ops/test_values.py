"""Values of the ``keras.ops`` functions without gradients (comparisons, indices, creation,
decompositions, decoding) against NumPy or hand-computed results, and their input validation."""

import numpy as np
import pytest

from numdeep import ops

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
INTS = np.array([[3, 1, 2], [5, 5, 0]])


@pytest.mark.parametrize("name,args", [
    ("floor_divide", (INTS, 2)), ("mod", (INTS, 3)), ("gcd", (INTS, 4)), ("lcm", (INTS, 4)),
    ("bitwise_and", (INTS, 6)), ("bitwise_xor", (INTS, 6)), ("left_shift", (INTS, 2)),
    ("round", (X,)), ("floor", (X,)), ("ceil", (X,)), ("trunc", (X,)), ("sign", (X,)),
    ("isclose", (X, X + 1e-9)), ("logical_xor", (X > 0, X > 1)), ("signbit", (X,)),
    ("argsort", (X,)), ("argpartition", (X, 2)), ("count_nonzero", (INTS,)),
    ("searchsorted", (np.arange(5), [1.5, 3])), ("digitize", (X, [-1.0, 0.0, 1.0])),
    ("nonzero", (INTS,)), ("unravel_index", (np.array([5, 7]), (3, 4))),
    ("heaviside", (X, 0.5)), ("nextafter", (X, 0.0)), ("i0", (X,)), ("tri", (3, 4, 1)),
    ("eye", (3, 4, -1)), ("linspace", (0.0, 1.0, 5)), ("geomspace", (1.0, 100.0, 3)),
    ("logspace", (0.0, 2.0, 3)), ("hamming", (5,)), ("kaiser", (5, 3.0)),
])
def test_matches_numpy(name, args):
    expected = getattr(np, name)(*args)
    ours = getattr(ops, name)(*args)
    if isinstance(expected, tuple):
        for a, b in zip(ours, expected):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-6)
    else:
        np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-6, atol=1e-7)


def test_statistics_match_numpy():
    x = RNG.standard_normal((4, 5))
    np.testing.assert_allclose(ops.quantile(x, [0.2, 0.9], axis=1, method="midpoint").numpy(),
                               np.quantile(x, [0.2, 0.9], axis=1, method="midpoint"),
                               rtol=1e-6)
    x[1, 2] = np.nan
    np.testing.assert_allclose(ops.nanmedian(x, axis=1).numpy(), np.nanmedian(x, axis=1))
    counts, edges = ops.histogram(X.ravel(), bins=4)
    np.testing.assert_array_equal(counts.numpy(), np.histogram(X.ravel(), bins=4)[0])
    values, counts = ops.unique(np.array([3, 1, 3, 2]), return_counts=True, size=4,
                                fill_value=-1)
    np.testing.assert_array_equal(values.numpy(), [1, 2, 3, -1])
    np.testing.assert_array_equal(counts.numpy(), [1, 1, 2, 0])
    np.testing.assert_array_equal(ops.bincount([0, 2, 2], minlength=4).numpy(), [1, 0, 2, 0])


def test_decompositions_reconstruct_their_input():
    a = RNG.standard_normal((2, 4, 3))
    q, r = ops.qr(a)
    np.testing.assert_allclose(np.matmul(q.numpy(), r.numpy()), a, atol=1e-10)
    u, s, vh = ops.svd(a, full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a,
                               atol=1e-10)
    square = RNG.standard_normal((4, 4))
    lu, piv = (t.numpy() for t in ops.lu_factor(square))
    lower, upper = np.tril(lu, -1) + np.eye(4), np.triu(lu)
    permuted = square.copy()
    for i, p in enumerate(piv):
        permuted[[i, p]] = permuted[[p, i]]
    np.testing.assert_allclose(lower @ upper, permuted, atol=1e-10)
    w, v = ops.eig(square)
    np.testing.assert_allclose(square @ v.numpy(), v.numpy() * w.numpy(), atol=1e-10)
    np.testing.assert_allclose(ops.lstsq(a[0], a[0] @ [1.0, 2, 3]).numpy(), [1, 2, 3],
                               atol=1e-10)
    np.testing.assert_allclose(ops.pinv(a[0]).numpy(), np.linalg.pinv(a[0]), atol=1e-10)
    assert ops.matrix_rank(np.ones((3, 3))).numpy() == 1


def test_norms_match_numpy():
    for ord_ in (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2):
        np.testing.assert_allclose(ops.norm(X, ord=ord_).numpy(), np.linalg.norm(X, ord=ord_),
                                   rtol=1e-6, err_msg=str(ord_))
    for ord_ in (0, 1, 2, 3, np.inf):
        np.testing.assert_allclose(ops.norm(X, ord=ord_, axis=1).numpy(),
                                   np.linalg.norm(X, ord=ord_, axis=1), rtol=1e-6)


def test_fourier_transforms_match_numpy():
    x = RNG.standard_normal((2, 8))
    real, imag = ops.rfft(x)
    np.testing.assert_allclose(real.numpy() + 1j * imag.numpy(), np.fft.rfft(x), atol=1e-10)
    np.testing.assert_allclose(ops.irfft((real, imag)).numpy(), x, atol=1e-10)
    real, imag = ops.fft2((x, x[::-1]))
    np.testing.assert_allclose(real.numpy() + 1j * imag.numpy(), np.fft.fft2(x + 1j * x[::-1]),
                               atol=1e-10)
    signal = RNG.standard_normal(32)
    spec = ops.stft(signal, 8, 4, 8)
    np.testing.assert_allclose(ops.istft(spec, 8, 4, 8, length=32).numpy(), signal, atol=1e-8)


def test_ctc_greedy_and_beam_search_decoding():
    logits = np.log(np.array([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1],
                               [0.1, 0.1, 0.8]]]))
    (paths,), scores = ops.ctc_decode(logits, [4], mask_index=0)
    np.testing.assert_array_equal(paths.numpy(), [[1, 2, -1, -1]])
    paths, scores = ops.ctc_decode(logits, [4], strategy="beam_search", beam_width=5,
                                   top_paths=2, mask_index=0)
    np.testing.assert_array_equal(paths.numpy()[0], [[1, 2, -1, -1]])
    assert scores.numpy()[0, 0] > scores.numpy()[0, 1]


def test_control_flow_and_scatter_values():
    assert int(ops.fori_loop(0, 5, lambda i, v: v + i, 0)) == 10
    carry, ys = ops.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    assert float(carry) == 6.0 and ys.numpy().tolist() == [6.0, 5.0, 3.0, 0.0]
    np.testing.assert_allclose(ops.associative_scan(ops.multiply, np.arange(1.0, 5.0)).numpy(),
                               [1, 2, 6, 24])
    out = ops.scatter_update(np.zeros((2, 3)), [[0, 1], [1, 2]], [5.0, 7.0], reduction="max")
    np.testing.assert_array_equal(out.numpy(), [[0, 5, 0], [0, 0, 7]])
    np.testing.assert_array_equal(ops.slice_update(np.zeros(4), [3], np.ones(2)).numpy(),
                                  [0, 0, 1, 1])  # clamped so the block fits
    assert ops.switch(7, [lambda: 0, lambda: 1]) == 1


@pytest.mark.parametrize("call,match", [
    (lambda: ops.reshape(np.zeros(20), (-2, 5)), "non-negative integer"),
    (lambda: ops.transpose(np.zeros((2, 3)), (0, 0)), "valid permutation"),
    (lambda: ops.swapaxes(np.zeros((2, 3)), 5, 0), "axis 5 is out of bounds"),
    (lambda: ops.concatenate([np.zeros((2, 3)), np.zeros((2, 2))]), "shape"),
    (lambda: ops.matmul(np.zeros((2, 3)), np.zeros((2, 3))), r"\(2, 3\)"),
    (lambda: ops.split(np.zeros(5), 2), "equal sections"),
    (lambda: ops.where(np.ones(2) > 0, np.ones(2)), "both should be `None`"),
    (lambda: ops.solve(np.zeros((3, 3)), np.zeros((2, 1))), "Incompatible shapes"),
    (lambda: ops.inv(np.zeros((2, 3))), "square"),
    (lambda: ops.glu(np.zeros((2, 3))), "divisible by 2"),
    (lambda: ops.depth_to_space(np.zeros((1, 2, 2, 4)), 1), "at least 2"),
    (lambda: ops.segment_sum(np.zeros((3, 2)), [0, 1]), "same leading dimension"),
    (lambda: ops.stft(np.zeros(8, "float32"), 4, 0, 4), "positive integer"),
    (lambda: ops.categorical_crossentropy(np.zeros((2, 3)), np.zeros((2, 4))), "same shape"),
    (lambda: ops.histogram(np.zeros((2, 2))), "1-dimensional"),
    (lambda: ops.slice(np.zeros((3, 3)), (1, 1, 1), (2, 2)), "`start_indices` must match"),
    (lambda: ops.concatenate([np.zeros((2, 3))] * 2, axis=4), "axis 4 is out of bounds"),
    (lambda: ops.batch_normalization(np.zeros((2, 3)), np.zeros(3), np.ones(3), axis=-1,
                                     offset=np.zeros(5)), "`offset` must be a vector"),
])
def test_bad_input_raises_a_named_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
