import numpy as np

import numdeep as nd
from tests.callbacks.common import data, model


def test_keras_signature_params_history_and_progbar(capsys):
    m = model()
    seen = nd.callbacks.LambdaCallback()
    callbacks = nd.callbacks.CallbackList([seen], add_history=True, add_progbar=True, model=m,
                                          epochs=2, steps=5, verbose=1)
    kinds = [type(cb).__name__ for cb in callbacks.callbacks]
    assert kinds == ["LambdaCallback", "History", "ProgbarLogger"]
    assert seen.params == {"epochs": 2, "steps": 5, "verbose": 1}
    assert seen.model is m and m.history is callbacks.callbacks[1]
    # An existing History is kept, not doubled.
    history = nd.callbacks.History()
    again = nd.callbacks.CallbackList([history], add_history=True)
    assert again.callbacks == [history]


def test_appended_callbacks_get_model_params_and_batch_hooks():
    m = model()
    callbacks = nd.callbacks.CallbackList([], model=m, steps=3)
    batches = []
    cb = nd.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    callbacks.append(cb)
    assert cb.model is m and cb.params == {"steps": 3}
    callbacks.on_train_batch_end(7, {})
    assert batches == [7]


def test_fit_still_fills_history():
    m = model()
    x, y = data()
    history = m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 2 and m.history is history
    assert np.isfinite(history.history["loss"]).all()
