"""A conditional GAN that learns to draw handwritten digits, trained with a custom train_step.

The Keras "customizing fit" GAN pattern, unchanged but for the import: a ``Model`` subclass
holds a generator and a discriminator, ``compile`` takes two optimizers and a loss, and
``train_step`` updates the discriminator on real and fake images, then the generator through the
frozen discriminator, reporting ``d_loss``/``g_loss`` trackers that ``fit`` shows and resets.

Data: the 1,797 bundled 8x8 UCI digits (``--data mnist`` uses ``../shared/data/mnist`` at 28x28
when present). Each epoch a PNG grid of generated digits (one row per class) is written to
``--out`` when Pillow is installed (``pip install numdeep[images]``).

Run: ``python examples/gan_digits.py --epochs 60``.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import numdeep as nd
from numdeep import layers, ops

LATENT = 16
CLASSES = 10


def build_generator(side):
    z = nd.Input(shape=(LATENT + CLASSES,))
    x = layers.Dense(128)(z)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(256)(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(side * side, activation="sigmoid")(x)
    return nd.Model(z, layers.Reshape((side, side))(x), name="generator")


def build_discriminator(side):
    inp = nd.Input(shape=(side * side + CLASSES,))
    x = layers.GaussianNoise(0.05)(inp)
    x = layers.Dense(256)(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128)(x)
    x = layers.LeakyReLU(0.2)(x)
    return nd.Model(inp, layers.Dense(1)(x), name="discriminator")


class ConditionalGAN(nd.Model):
    """Generator and discriminator conditioned on the digit class (one-hot labels)."""

    def __init__(self, generator, discriminator, seed=0):
        super().__init__(name="conditional_gan")
        self.generator, self.discriminator = generator, discriminator
        self.rng = np.random.default_rng(seed)
        self.d_loss_tracker = nd.metrics.Mean(name="d_loss")
        self.g_loss_tracker = nd.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def generate(self, labels, training=False):
        onehot = ops.one_hot(labels, CLASSES)
        noise = self.rng.standard_normal((len(labels), LATENT)).astype("float32")
        return self.generator(np.concatenate([noise, onehot], axis=1), training=training)

    def judge(self, images, labels, training=False):
        flat = images.reshape(images.shape[0], -1)
        return self.discriminator(ops.concatenate([flat, ops.one_hot(labels, CLASSES)], axis=1),
                                  training=training)

    def train_step(self, data):
        images, labels = data
        n = len(images)
        fake_labels = self.rng.integers(0, CLASSES, n)
        with nd.no_grad():
            fakes = self.generate(fake_labels).data
        # Discriminator: real -> 1 (smoothed to 0.9), fake -> 0.
        with nd.GradientTape() as tape:
            real_logits = self.judge(images, labels, training=True)
            fake_logits = self.judge(fakes, fake_labels, training=True)
            d_loss = (self.loss_fn(np.full((n, 1), 0.9, "float32"), real_logits)
                      + self.loss_fn(np.zeros((n, 1), "float32"), fake_logits))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(tape.gradient(d_loss, weights), weights)
        # Generator: make the frozen discriminator say "real".
        self.discriminator.trainable = False
        with nd.GradientTape() as tape:
            g_labels = self.rng.integers(0, CLASSES, n)
            logits = self.judge(self.generate(g_labels, training=True), g_labels, training=True)
            g_loss = self.loss_fn(np.ones((n, 1), "float32"), logits)
        self.discriminator.trainable = True
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_loss, weights), weights)
        self.d_loss_tracker.update_state(float(d_loss.data))
        self.g_loss_tracker.update_state(float(g_loss.data))
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def load(data):
    if data == "mnist":
        here = Path(__file__).resolve().parents[1]
        (x, y), _ = nd.datasets.mnist.load_t10k_split(here.parent / "shared" / "data" / "mnist")
        return (x / 255.0).astype("float32"), y.astype("int64")
    x, y = nd.datasets.digits.load_digits()
    return (x / 16.0).astype("float32"), y.astype("int64")


def save_grid(gan, path, per_class=8):
    try:
        from PIL import Image
    except ImportError:
        return False
    labels = np.repeat(np.arange(CLASSES), per_class)
    with nd.no_grad():
        images = gan.generate(labels).data
    side = images.shape[1]
    grid = images.reshape(CLASSES, per_class, side, side).transpose(0, 2, 1, 3)
    grid = (grid.reshape(CLASSES * side, per_class * side) * 255).clip(0, 255).astype("uint8")
    Image.fromarray(grid).resize((per_class * 32, CLASSES * 32), Image.NEAREST).save(path)
    return True


def judge_samples(gan, x, y, per_class=30, seed=0):
    """Train a classifier on the real digits; score generated ones: how many it recognises
    confidently, and how many as the class the generator was asked for."""
    nd.utils.set_random_seed(seed)
    clf = nd.Sequential([layers.Flatten(input_shape=x.shape[1:]),
                         layers.Dense(128, activation="relu"),
                         layers.Dense(10, activation="softmax")])
    clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    clf.fit(x, y, epochs=20, verbose=0)
    labels = np.repeat(np.arange(CLASSES), per_class)
    with nd.no_grad():
        fakes = gan.generate(labels).data
    probs = clf.predict(fakes, verbose=0)
    noise = np.random.default_rng(seed).random(fakes.shape).astype("float32")
    noise_probs = clf.predict(noise, verbose=0)
    return {
        "confident": float((probs.max(1) > 0.9).mean()),
        "as_requested": float((probs.argmax(1) == labels).mean()),
        "noise_as_requested": float((noise_probs.argmax(1) == labels).mean()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--out", default="gan_samples", help="folder for the PNG grids")
    parser.add_argument("--json", action="store_true", help="print a JSON summary line")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    x, y = load(args.data)
    nd.utils.set_random_seed(0)
    side = x.shape[1]
    gan = ConditionalGAN(build_generator(side), build_discriminator(side))
    gan.compile(d_optimizer=nd.optimizers.Adam(args.lr, beta_1=0.5),
                g_optimizer=nd.optimizers.Adam(args.lr, beta_1=0.5),
                loss_fn=nd.losses.BinaryCrossentropy(from_logits=True))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wrote = []
    grid_cb = nd.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: wrote.append(
        save_grid(gan, out / f"epoch_{epoch + 1:03d}.png")))
    history = gan.fit(x, y, epochs=args.epochs, batch_size=args.batch_size,
                      verbose=0 if args.json else 2, callbacks=[grid_cb])
    scores = judge_samples(gan, x, y)
    print(f"generated digits recognised confidently: {scores['confident']:.0%}; "
          f"as the requested class: {scores['as_requested']:.0%} "
          f"(random noise: {scores['noise_as_requested']:.0%})")
    print(f"PNG grids: {out}/" if any(wrote) else "PNG grids skipped: install Pillow "
          "(pip install numdeep[images]) to write them")
    if args.json:
        print(json.dumps({"history": history.history, **scores, "pngs": sum(wrote)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
