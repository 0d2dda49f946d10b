"""Sentiment of raw review strings, Keras's text-classification tutorial on a generated corpus:
``TextVectorization`` is the model's first layer, so strings go in and predictions come out,
and the vocabulary travels inside the saved ``.keras`` file.

    Input(dtype="string") -> TextVectorization(max_tokens, output_sequence_length)
      -> Embedding(mask_zero=True) -> GlobalAveragePooling1D -> Dense(1, sigmoid)

The reviews mix letter case and punctuation ("GREAT acting!!", "a dull, tedious plot."), which
``standardize='lower_and_strip_punctuation'`` folds away; ``adapt`` learns the vocabulary from
the training strings. The trained model is saved, reloaded, and must predict exactly the same
on strings it has never seen. The same file loads in Keras 3 (``--keras``: Keras's
``TextVectorization`` needs TensorFlow installed, whatever the backend) and predicts the same.

Usage:
    python examples/text_classification.py            # 2,000 reviews, 10 epochs
    python examples/text_classification.py --quick    # a few seconds (used by the test suite)
    python examples/text_classification.py --keras    # also reload the file in Keras 3
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import numdeep as keras

POSITIVE = ["great", "wonderful", "brilliant", "moving", "excellent", "fun", "charming"]
NEGATIVE = ["awful", "boring", "dull", "tedious", "terrible", "weak", "clumsy"]
NOUNS = ["acting", "plot", "soundtrack", "ending", "script", "cast", "pacing", "dialogue"]
FILLERS = ["honestly,", "to be fair", "all in all", "i think", "overall", "for me"]


def make_reviews(n, rng):
    """``n`` review strings and their labels (1 positive, 0 negative)."""
    texts, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = list(rng.choice(FILLERS).split()) if rng.random() < 0.5 else []
        for _ in range(rng.integers(1, 4)):
            adjective = rng.choice(POSITIVE if positive else NEGATIVE)
            if rng.random() < 0.3:
                adjective = adjective.upper()
            words += ["the" if rng.random() < 0.5 else "a", adjective, rng.choice(NOUNS)]
            words[-1] += rng.choice([",", ".", "!", "!!", ""])
        texts.append(" ".join(words).capitalize())
        labels.append(float(positive))
    return np.array(texts), np.array(labels, dtype="float32")


def build_model(train_texts, max_tokens=64, sequence_length=12):
    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens,
                                                output_sequence_length=sequence_length)
    vectorizer.adapt(train_texts)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = vectorizer(inputs)
    x = keras.layers.Embedding(max_tokens, 16, mask_zero=True)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model, vectorizer


# Run in a fresh interpreter: Keras picks its backend once, at import. With the torch backend a
# Keras Functional model cannot take string tensors (it converts inputs to torch), so there the
# layers run one by one, as Keras's docs do it; the TensorFlow backend predicts whole.
KERAS_SCRIPT = """
import json, sys
import numpy as np
import keras
path, texts = sys.argv[1], np.array(json.loads(sys.argv[2]), dtype=object)[:, None]
model = keras.saving.load_model(path)
vectorizer = model.layers[1]
tokens = keras.ops.convert_to_numpy(vectorizer(texts))
if keras.backend.backend() == "torch":
    x = texts
    for layer in model.layers[1:]:
        x = layer(x)
    predictions = keras.ops.convert_to_numpy(x)
else:
    import tensorflow as tf

    predictions = model.predict(tf.constant(texts.astype(str)), verbose=0)
print(json.dumps({"vocabulary": vectorizer.get_vocabulary(), "tokens": tokens.tolist(),
                  "predictions": predictions.tolist()}))
"""


def keras_python():
    """The Python that runs Keras 3: ``NUMDEEP_KERAS_TF_PYTHON`` (CI keeps TensorFlow, which
    Keras's TextVectorization needs, in an environment of its own) or this one."""
    return os.environ.get("NUMDEEP_KERAS_TF_PYTHON") or sys.executable


def predict_in_keras(path, texts, backend="torch"):
    """Load the ``.keras`` file at ``path`` with Keras 3 (``KERAS_BACKEND=backend``) in a
    subprocess; return its vocabulary, the token ids and the predictions for ``texts``."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([keras_python(), "-c", KERAS_SCRIPT, path, json.dumps(list(texts))],
                         capture_output=True, text=True, timeout=600, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"Keras could not load {path}:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["predictions"] = np.array(result["predictions"], dtype="float32")
    return result


def missing_for_keras(backend="tensorflow"):
    """Which of the modules Keras needs here are missing from ``keras_python()``."""
    wanted = ["keras", "tensorflow"] + (["torch"] if backend == "torch" else [])
    probe = ("import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] "
             "if importlib.util.find_spec(m) is None))")
    out = subprocess.run([keras_python(), "-c", probe, *wanted], capture_output=True,
                         text=True, timeout=120)
    return out.stdout.split() if out.returncode == 0 else wanted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run for the tests")
    parser.add_argument("--keras", action="store_true",
                        help="also load the saved file in Keras 3 (needs keras, tensorflow)")
    args = parser.parse_args(argv)
    if args.keras:
        missing = missing_for_keras()
        if missing:
            parser.error(f"--keras needs {' and '.join(missing)} installed (Keras's "
                         f"TextVectorization runs on TensorFlow whatever the backend)")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, epochs = (400, 6) if args.quick else (2000, 10)
    texts, labels = make_reviews(n, rng)
    split = int(0.8 * n)
    model, vectorizer = build_model(texts[:split])
    print(f"vocabulary ({vectorizer.vocabulary_size()} tokens): "
          f"{vectorizer.get_vocabulary()[:10]} ...")
    print(f"{str(texts[0])!r} -> {vectorizer([texts[0]]).data[0].tolist()}")
    model.fit(texts[:split, None], labels[:split], epochs=epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(texts[split:, None], labels[split:], verbose=0)
    print(f"test accuracy: {accuracy:.3f}")

    new = np.array(["What a BRILLIANT script!", "a tedious, clumsy plot..."])
    predictions = model.predict(new[:, None], verbose=0).ravel()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "sentiment.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
        in_keras = predict_in_keras(path, new.tolist()) if args.keras else None
    again = reloaded.predict(new[:, None], verbose=0).ravel()
    for text, p in zip(new, predictions):
        print(f"  {str(text)!r}: {p:.3f}")
    same = bool(np.array_equal(predictions, again))
    print(f"reloaded model predicts the same: {same}")
    if in_keras is not None:
        keras_same = bool(np.allclose(in_keras["predictions"].ravel(), predictions, atol=1e-6))
        print(f"Keras 3 predicts the same: {keras_same}")
        same = same and keras_same
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
