"""Issue 17, item 4: arguments that used to train nothing, return 0.0 or fail deep inside (a
zero or negative step count, a zero or list ``validation_freq``, booleans as sizes, a negative
``class_weight`` key) raise a clear ``ValueError`` naming the argument, before any step runs."""

import numpy as np
import pytest

import numdeep as nd

X = np.linspace(-1, 1, 64, dtype="float32").reshape(16, 4)
Y = np.array([0, 1, 2, 1] * 4)


def model():
    nd.utils.set_random_seed(0)
    m = nd.Sequential([nd.Input((4,)), nd.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


CASES = {
    "fit_steps_per_epoch_0": (lambda m: m.fit(X, Y, steps_per_epoch=0, verbose=0),
                              "`steps_per_epoch` must be a positive integer"),
    "fit_steps_per_epoch_-3": (lambda m: m.fit(X, Y, steps_per_epoch=-3, verbose=0),
                               "steps_per_epoch=-3"),
    "evaluate_steps_0": (lambda m: m.evaluate(X, Y, steps=0, verbose=0), "=0"),
    "predict_steps_0": (lambda m: m.predict(X, steps=0, verbose=0), "=0"),
    "validation_steps_0": (lambda m: m.fit(X, Y, validation_data=(X, Y), validation_steps=0,
                                           verbose=0), "=0"),
    "validation_freq_0": (lambda m: m.fit(X, Y, validation_split=0.25, validation_freq=0,
                                          epochs=2, verbose=0), "`validation_freq`"),
    "validation_freq_list": (lambda m: m.fit(X, Y, validation_split=0.25,
                                             validation_freq=[1, 2], epochs=2, verbose=0),
                             "validation_freq=[1, 2]"),
    "batch_size_true": (lambda m: m.fit(X, Y, batch_size=True, verbose=0), "`batch_size`"),
    "batch_size_0": (lambda m: m.fit(X, Y, batch_size=0, verbose=0), "`batch_size`"),
    "evaluate_batch_size_true": (lambda m: m.evaluate(X, Y, batch_size=True, verbose=0),
                                 "`batch_size`"),
    "predict_batch_size_true": (lambda m: m.predict(X, batch_size=True, verbose=0),
                                "`batch_size`"),
    "epochs_true": (lambda m: m.fit(X, Y, epochs=True, verbose=0), "`epochs`"),
    "epochs_1.5": (lambda m: m.fit(X, Y, epochs=1.5, verbose=0), "`epochs`"),
    "class_weight_key_-1": (lambda m: m.fit(X, Y, class_weight={0: 1.0, 1: 1.0, 2: 1.0,
                                                                -1: 5.0}, verbose=0),
                            "`class_weight` keys"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_loop_argument_raises_before_any_step(case):
    call, words = CASES[case]
    m = model()
    before = [w.copy() for w in m.get_weights()]
    with pytest.raises(ValueError) as e:
        call(m)
    assert words in str(e.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    assert int(m.optimizer.iterations) == 0


def test_class_weight_negative_key_does_not_overwrite_the_last_class():
    # Before: {-1: 5.0} wrote class 2's weight through NumPy's negative indexing.
    m = model()
    with pytest.raises(ValueError, match="-1"):
        m.fit(X, Y, class_weight={0: 1.0, 1: 1.0, 2: 1.0, -1: 5.0}, verbose=0)
