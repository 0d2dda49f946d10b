"""WGAN-GP: a critic trained by ``fit`` with a custom ``train_step`` whose loss contains the norm
of the critic's gradient wrt its input (Gulrajani et al., 2017), compared with PyTorch.

The penalty needs the gradient of a gradient: the inner tape's input gradient is computed with
the primitives' differentiable backward, so the outer tape can differentiate it wrt the weights.
"""

import numpy as np
import pytest

import numdeep as nd

L = nd.layers
GP_WEIGHT = 10.0
LR = 0.01


class WGANCritic(nd.Sequential):
    """The critic's half of Keras's WGAN-GP example, as a ``train_step`` override."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeds = nd.random.SeedGenerator(7)
        self.alphas = []  # the interpolation weights drawn, replayed by the torch reference

    def gradient_penalty(self, real, fake):
        alpha = nd.random.uniform((real.shape[0],) + (1,) * (real.ndim - 1), seed=self.seeds)
        self.alphas.append(np.array(alpha))
        mixed = nd.Tensor(real * alpha + fake * (1.0 - alpha))
        with nd.GradientTape() as gp_tape:
            gp_tape.watch(mixed)
            pred = self(mixed, training=True)
        grads = gp_tape.gradient(pred, mixed)  # inside the outer tape: differentiable
        axes = tuple(range(1, grads.ndim))
        norm = nd.ops.sqrt(nd.ops.sum(nd.ops.square(grads), axis=axes))
        return nd.ops.mean(nd.ops.square(norm - 1.0))

    def train_step(self, data):
        real, fake = data
        with nd.GradientTape() as tape:
            gp = self.gradient_penalty(real, fake)
            wasserstein = nd.ops.mean(self(fake, training=True)) - nd.ops.mean(
                self(real, training=True))
            loss = wasserstein + GP_WEIGHT * gp
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return {"loss": float(loss.data), "gp": float(gp.data)}


def torch_reference(torch, critic, weights, real, fake, alphas, batch_size):
    """The same training with PyTorch's ``create_graph=True``; returns the final weights."""
    ws = [torch.tensor(np.array(w), requires_grad=True) for w in weights]
    opt = torch.optim.SGD(ws, lr=LR)
    for step, alpha in enumerate(alphas):
        start = step * batch_size % len(real)  # two epochs, unshuffled
        rows = slice(start, start + batch_size)
        r, f = torch.from_numpy(real[rows]), torch.from_numpy(fake[rows])
        a = torch.from_numpy(alpha)
        mixed = (r * a + f * (1.0 - a)).requires_grad_(True)
        (grads,) = torch.autograd.grad(critic(ws, mixed).sum(), mixed, create_graph=True)
        norm = torch.sqrt(torch.square(grads).flatten(1).sum(1))
        gp = torch.square(norm - 1.0).mean()
        loss = critic(ws, f).mean() - critic(ws, r).mean() + GP_WEIGHT * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [w.detach().numpy() for w in ws]


def _train(model, real, fake, batch_size):
    nd.utils.set_random_seed(0)
    model.build(real.shape)
    weights = [np.array(w.data) for w in model.trainable_weights]
    model.compile(optimizer=nd.optimizers.SGD(LR))
    history = model.fit(real, fake, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    assert len(model.alphas) == 2 * len(real) // batch_size
    assert np.isfinite(history.history["gp"]).all()
    return weights


def test_wgan_gp_dense_critic_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    real = rng.standard_normal((16, 3)).astype("float32")
    fake = (0.5 * rng.standard_normal((16, 3)) + 1.0).astype("float32")
    nd.utils.set_random_seed(1)
    model = WGANCritic([nd.Input((3,)), L.Dense(8), L.LeakyReLU(0.2),
                        L.Dense(8, activation="tanh"), L.Dense(8, activation="softplus"),
                        L.Dense(8, activation="sigmoid"), L.Dense(1)])
    before = _train(model, real, fake, batch_size=8)

    def critic(ws, x):
        h = F.leaky_relu(x @ ws[0] + ws[1], 0.2)
        h = torch.tanh(h @ ws[2] + ws[3])
        h = F.softplus(h @ ws[4] + ws[5])
        h = torch.sigmoid(h @ ws[6] + ws[7])
        return h @ ws[8] + ws[9]

    expected = torch_reference(torch, critic, before, real, fake, model.alphas, 8)
    for ours, theirs, start in zip(model.trainable_weights, expected, before):
        # Only the output bias cannot move: the Wasserstein term's gradient is 1 - 1 there.
        assert not np.allclose(theirs, start) or start.shape == (1,)
        np.testing.assert_allclose(ours.data, theirs, atol=2e-5, rtol=1e-4)


def test_wgan_gp_conv2d_critic_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(1)
    real = rng.standard_normal((8, 6, 6, 2)).astype("float32")
    fake = (0.5 * rng.standard_normal((8, 6, 6, 2)) + 0.5).astype("float32")
    nd.utils.set_random_seed(2)
    model = WGANCritic([nd.Input((6, 6, 2)),
                        L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                        L.Conv2D(3, 2, activation="tanh"), L.Flatten(), L.Dense(1)])
    before = _train(model, real, fake, batch_size=4)

    def critic(ws, x):
        h = x.permute(0, 3, 1, 2)  # NHWC -> NCHW; Keras kernels (kh, kw, in, out)
        # 'same' with stride 2 on 6 pixels and a 3-kernel pads 0 before and 1 after.
        h = F.relu(F.conv2d(F.pad(h, (0, 1, 0, 1)), ws[0].permute(3, 2, 0, 1), ws[1], stride=2))
        h = torch.tanh(F.conv2d(h, ws[2].permute(3, 2, 0, 1), ws[3]))
        return h.permute(0, 2, 3, 1).flatten(1) @ ws[4] + ws[5]

    expected = torch_reference(torch, critic, before, real, fake, model.alphas, 4)
    for ours, theirs, start in zip(model.trainable_weights, expected, before):
        # Only the output bias cannot move: the Wasserstein term's gradient is 1 - 1 there.
        assert not np.allclose(theirs, start) or start.shape == (1,)
        np.testing.assert_allclose(ours.data, theirs, atol=2e-5, rtol=1e-4)
