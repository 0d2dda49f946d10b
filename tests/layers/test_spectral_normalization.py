"""``SpectralNormalization``: the power method's estimate, the in-place kernel update in
training, the wrapper's weights, config and errors."""

import numpy as np
import pytest

import numdeep as nd
from tests.helpers import check_layer

L = nd.layers


@pytest.mark.parametrize("make, in_shape, out_shape, n_weights", [
    (lambda: L.SpectralNormalization(L.Dense(2)), (4, 3, 4), (4, 3, 2), 3),
    (lambda: L.SpectralNormalization(L.Conv2D(3, 2, padding="same"), power_iterations=2),
     (2, 5, 5, 3), (2, 5, 5, 3), 3),
])
def test_check_layer(make, in_shape, out_shape, n_weights):
    check_layer(make, in_shape, out_shape, n_weights)


def test_training_divides_the_kernel_by_its_spectral_norm():
    layer = L.SpectralNormalization(
        L.Conv2D(1, (2, 2), kernel_initializer=nd.initializers.Constant(1.0)),
        power_iterations=8)
    images = np.ones((1, 2, 2, 1), "float32")
    np.testing.assert_allclose(layer(images, training=False).data, [[[[4.0]]]])
    # The kernel seen as a (4, 1) matrix of ones has norm 2.
    np.testing.assert_allclose(layer(images, training=True).data, [[[[2.0]]]], rtol=1e-6)
    np.testing.assert_allclose(layer.layer.kernel.data, 0.5, rtol=1e-6)


def test_power_iterations_converge_to_the_largest_singular_value():
    nd.utils.set_random_seed(0)
    dense = L.Dense(4)
    layer = L.SpectralNormalization(dense, power_iterations=50)
    x = np.random.default_rng(0).standard_normal((2, 6)).astype("float32")
    layer(x)
    kernel = dense.kernel.numpy()
    layer(x, training=True)
    sigma = np.linalg.svd(kernel, compute_uv=False)[0]
    np.testing.assert_allclose(dense.kernel.numpy(), kernel / sigma, rtol=1e-4)
    assert np.linalg.svd(dense.kernel.numpy(), compute_uv=False)[0] == pytest.approx(1, 1e-4)


def test_weights_config_and_errors():
    layer = L.SpectralNormalization(L.Embedding(10, 4))
    layer(np.array([1, 2, 3]))
    assert [w.name for w in layer.trainable_weights] == ["embeddings"]
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]
    assert layer.vector_u.shape == (1, 4)
    config = L.SpectralNormalization(L.Dense(2), power_iterations=3).get_config()
    revived = L.SpectralNormalization.from_config(config)
    assert revived.power_iterations == 3 and isinstance(revived.layer, L.Dense)
    with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="has no attribute 'kernel' nor 'embeddings'"):
        L.SpectralNormalization(L.ReLU())(np.ones((4, 2), "float32"))
