"""A small Transformer encoder, trained from scratch, classifies generated review sentences.

Each sentence praises or pans a product with an adjective that may be negated ("the battery is
not bad" is positive), sometimes after an opening clause that contains "not" itself ("i did not
expect much but the screen is great"). Neither the words present nor the presence of "not"
decides the label: the model must see which adjective the negation applies to, which is what
self-attention with position embeddings can do. A ``[cls]`` token starts every sentence and its
final vector feeds the classifier, as in BERT. Padding (id 0) is masked out of the attention by
``Embedding(mask_zero=True)``.

    ids -> Embedding + PositionEmbedding -> 2 x [MultiHeadAttention -> Add -> LayerNormalization
        -> Dense(relu) -> Dense -> Add -> LayerNormalization] -> [cls] vector -> Dense(sigmoid)

Usage:
    python examples/transformer_classifier.py           # 8 epochs on 4,000 sentences
    python examples/transformer_classifier.py --quick   # a few seconds (used by the tests)
"""

import argparse
import sys

import numpy as np

import numdeep as nd
from numdeep import layers

SUBJECTS = ["the battery", "the screen", "this phone", "the camera", "the keyboard",
            "the speaker", "the case", "the charger"]
VERBS = ["is", "was", "seems", "felt"]
INTENSIFIERS = ["really", "very", "quite", "so"]
POSITIVE = ["good", "great", "excellent", "solid", "fantastic", "reliable", "sharp", "fast"]
NEGATIVE = ["bad", "poor", "awful", "flimsy", "terrible", "slow", "weak", "dim"]
OPENINGS = ["honestly", "i did not expect much but", "i was not sure but", "after a week",
            "not gonna lie"]


def make_sentences(n, rng):
    """``n`` word lists (starting with ``[cls]``) and labels: 1 positive, 0 negative."""
    sentences, labels = [], []
    for _ in range(n):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        words = ["[cls]"]
        if rng.random() < 0.4:
            words += rng.choice(OPENINGS).split()
        words += rng.choice(SUBJECTS).split() + [rng.choice(VERBS)]
        if negated:
            words.append("not")
        if rng.random() < 0.5:
            words.append(rng.choice(INTENSIFIERS))
        words.append(rng.choice(POSITIVE if positive else NEGATIVE))
        sentences.append(words)
        labels.append(int(positive != negated))
    return sentences, np.array(labels, dtype="float32")


def vocabulary():
    words = {"[cls]", "not"}
    for group in (SUBJECTS, VERBS, INTENSIFIERS, POSITIVE, NEGATIVE, OPENINGS):
        for phrase in group:
            words.update(phrase.split())
    return {w: i + 1 for i, w in enumerate(sorted(words))}  # 0 is padding


def encode(sentences, vocab, length):
    """Word ids, zero-padded at the end to ``length`` (0 is the padding id the mask skips)."""
    return nd.utils.pad_sequences([[vocab[w] for w in words] for words in sentences],
                                  maxlen=length, padding="post", dtype="int64")


class FirstToken(layers.Layer):
    """The ``[cls]`` position's vector: ``(batch, steps, dim) -> (batch, dim)``."""

    def call(self, inputs, training=False):
        return inputs[:, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def encoder_block(x, dim, heads, rate):
    attended = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(rate)(attended)]))
    hidden = layers.Dense(2 * dim, activation="relu")(x)
    hidden = layers.Dense(dim)(hidden)
    return layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(rate)(hidden)]))


def build_model(vocab_size, length, dim=32, heads=4, blocks=2, rate=0.1):
    ids = nd.Input(shape=(None,), dtype="int64", name="token_ids")
    x = layers.Embedding(vocab_size, dim, mask_zero=True)(ids)
    x = layers.Add()([x, layers.PositionEmbedding(sequence_length=length)(x)])
    for _ in range(blocks):
        x = encoder_block(x, dim, heads, rate)
    out = layers.Dense(1, activation="sigmoid")(FirstToken()(x))
    return nd.Model(ids, out, name="transformer_classifier")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4000, help="training sentences")
    parser.add_argument("--quick", action="store_true", help="a short run for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.samples = 6, 1500

    rng = np.random.default_rng(0)
    vocab = vocabulary()
    train_words, y_train = make_sentences(args.samples, rng)
    test_words, y_test = make_sentences(1000, rng)
    length = max(len(s) for s in train_words + test_words)
    x_train, x_test = encode(train_words, vocab, length), encode(test_words, vocab, length)
    print(f"{len(vocab)} words, {len(x_train)} training and {len(x_test)} test sentences of up "
          f"to {length} tokens; e.g. '{' '.join(train_words[0][1:])}' -> {int(y_train[0])}")

    nd.utils.set_random_seed(0)
    model = build_model(len(vocab) + 1, length)
    model.compile(optimizer=nd.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.1,
              verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    probe = [["[cls]"] + s.split() for s in (
        "the battery is not bad", "the battery is not good",
        "i did not expect much but the screen is great", "honestly this phone was so slow")]
    for words, p in zip(probe, model.predict(encode(probe, vocab, length), verbose=0)[:, 0]):
        print(f"  {' '.join(words[1:]):48s} -> {'positive' if p > 0.5 else 'negative'} ({p:.2f})")
    print(f"test accuracy: {accuracy:.4f} (chance 0.50), loss {loss:.4f}")
    return 0 if accuracy > 0.75 else 1


if __name__ == "__main__":
    sys.exit(main())
