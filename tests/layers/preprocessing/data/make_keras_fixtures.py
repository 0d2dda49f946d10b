"""Regenerate the reference files of ``tests/layers/preprocessing`` with the real Keras 3.15.1 and
TensorFlow (not needed to run the tests): ``python make_keras_fixtures.py OUT_DIR``.

- ``hash_reference.json``: TensorFlow's FarmHash fingerprints and SipHash buckets of strings of
  every length class FarmHash distinguishes (0..16, 17..32, 33..64, longer).
- ``keras_text_classifier_{int,tf_idf}.keras``: text classifiers trained from raw strings with
  ``TextVectorization`` as their first layer, saved by Keras; ``keras_text_classifier.json``:
  their vocabularies, vectorized probes and predictions as Keras computes them.
"""

import json
import os
import random
import sys

import numpy as np

TEXTS = ["a great movie", "what a great film", "great acting, great story", "I loved it!",
         "a terrible movie", "what a bad film", "bad acting and a bad story", "I hated it..."]
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0], "float32")
PROBE = ["great great film", "bad movie", "an unknown word", "Loved IT"]
KEYS = ([133, 137], [211, 137], [137, 42], [0, 0])


def hash_reference():
    import tensorflow as tf  # the oracle, imported only when regenerating

    rng = random.Random(0)
    strings = ["", "a", "omar", "stringer", "marlo", "wire", "skywalker", "0", "-1", "é漢字"]
    for n in list(range(140)) + [191, 192, 193, 256, 300]:
        strings.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ")
                               for _ in range(n)))
    fingerprints = tf.fingerprint(tf.constant(strings), method="farmhash64").numpy()
    return {"strings": strings,
            "fingerprint64": [int.from_bytes(bytes(r), "little") for r in fingerprints],
            "siphash_mod_1000003": {
                json.dumps(k): tf.strings.to_hash_bucket_strong(strings, 1000003,
                                                                key=k).numpy().tolist()
                for k in KEYS}}


def text_classifier(mode, path):
    import keras  # the oracle, imported only when regenerating
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    extra = {"output_sequence_length": 6} if mode == "int" else {}
    vectorizer = keras.layers.TextVectorization(max_tokens=30, output_mode=mode, **extra)
    vectorizer.adapt(TEXTS)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = vectorizer(inputs)
    if mode == "int":
        x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(30, 8)(x))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    model.fit(tf.constant([[t] for t in TEXTS]), LABELS, epochs=30, verbose=0)
    model.save(path)
    return {"vocabulary": [str(v) for v in vectorizer.get_vocabulary()],
            "vectorized": np.asarray(vectorizer(tf.constant(PROBE))).tolist(),
            "predictions": np.asarray(model(tf.constant([[t] for t in PROBE]))).ravel().tolist()}


def main(out):
    with open(os.path.join(out, "hash_reference.json"), "w") as f:
        json.dump(hash_reference(), f)
    results = {"texts": TEXTS, "probe": PROBE}
    for mode in ("int", "tf_idf"):
        results[mode] = text_classifier(mode, os.path.join(out,
                                                           f"keras_text_classifier_{mode}.keras"))
    with open(os.path.join(out, "keras_text_classifier.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = "tensorflow"
    main(sys.argv[1])
