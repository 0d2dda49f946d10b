"""Classify the sentiment of generated sentences with negation: Embedding -> Bidirectional(LSTM).

Each sentence says something about a film with a positive or negative adjective, sometimes
negated ("the plot was not really boring" is positive), sometimes after an opening clause that
itself contains "not" ("i did not expect much but the cast was great"). So neither the words
present nor the presence of "not" gives the label: the model has to see which adjective the
negation applies to. Sentences have different lengths; they are padded with id 0 at the end
and the embedding's ``mask_zero=True`` makes the LSTMs skip the padding.

    Embedding(vocab, 16, mask_zero=True) -> Bidirectional(LSTM(16)) -> Dense(1, sigmoid)

Usage:
    python examples/text_classifier.py            # 12 epochs on 3,000 sentences
    python examples/text_classifier.py --quick    # a few seconds (used by the test suite)
"""

import argparse
import sys

import numpy as np

import numdeep as nd
from numdeep import layers

SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the ending", "the story",
            "the cast", "the soundtrack"]
VERBS = ["was", "is", "felt", "seemed"]
INTENSIFIERS = ["really", "very", "quite", "truly", "so"]
POSITIVE = ["good", "great", "wonderful", "brilliant", "enjoyable", "fun", "moving", "excellent"]
NEGATIVE = ["bad", "boring", "awful", "dull", "terrible", "weak", "poor", "tedious"]
OPENINGS = ["honestly", "to be fair", "i did not expect much but", "i was not sure but",
            "after all the hype", "i must say"]
ENDINGS = ["overall", "in the end", "to me", "if you ask me"]


def make_sentences(n, rng):
    """``n`` sentences (lists of words) and labels: 1 positive, 0 negative."""
    sentences, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        negated = rng.random() < 0.5
        words = []
        if rng.random() < 0.4:
            words += rng.choice(OPENINGS).split()
        words += rng.choice(SUBJECTS).split() + [rng.choice(VERBS)]
        if negated:
            words.append("not")
        if rng.random() < 0.5:
            words.append(rng.choice(INTENSIFIERS))
        words.append(rng.choice(POSITIVE if positive else NEGATIVE))
        if rng.random() < 0.3:
            words += rng.choice(ENDINGS).split()
        sentences.append(words)
        labels.append(int(positive != negated))
    return sentences, np.array(labels, dtype="float32")


def build_vocabulary():
    words = set()
    for group in (SUBJECTS, VERBS, INTENSIFIERS, POSITIVE, NEGATIVE, OPENINGS, ENDINGS):
        for phrase in group:
            words.update(phrase.split())
    words.add("not")
    return {w: i + 1 for i, w in enumerate(sorted(words))}  # 0 is the padding id


def encode(sentences, vocab, length):
    """Word ids, zero-padded at the end to ``length`` (0 is the padding id the mask skips)."""
    return nd.utils.pad_sequences([[vocab[w] for w in words] for words in sentences],
                                  maxlen=length, padding="post", dtype="int64")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--samples", type=int, default=3000, help="training sentences")
    parser.add_argument("--quick", action="store_true", help="6 epochs on 1,200 sentences")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.samples = 6, 1200

    rng = np.random.default_rng(0)
    vocab = build_vocabulary()
    train_words, y_train = make_sentences(args.samples, rng)
    test_words, y_test = make_sentences(1000, rng)
    length = max(len(s) for s in train_words + test_words)
    x_train, x_test = encode(train_words, vocab, length), encode(test_words, vocab, length)
    print(f"{len(vocab)} words, {len(x_train)} training and {len(x_test)} test sentences of up "
          f"to {length} words; e.g. '{' '.join(train_words[0])}' -> {int(y_train[0])}")

    nd.utils.set_random_seed(0)
    model = nd.Sequential([
        layers.Embedding(len(vocab) + 1, 16, mask_zero=True, input_shape=(None,)),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=nd.optimizers.Adam(learning_rate=1e-2),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.1,
              verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    probe = [s.split() for s in ("the movie was not good", "the movie was not bad",
                                 "i did not expect much but the cast was great",
                                 "honestly the plot was so dull")]
    for words, p in zip(probe, model.predict(encode(probe, vocab, length), verbose=0)[:, 0]):
        print(f"  {' '.join(words):48s} -> {'positive' if p > 0.5 else 'negative'} ({p:.2f})")
    print(f"test accuracy: {accuracy:.4f} (chance 0.50), loss {loss:.4f}")
    return 0 if accuracy > 0.75 else 1


if __name__ == "__main__":
    sys.exit(main())
