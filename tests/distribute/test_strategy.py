"""``MPIStrategy`` in one process (what a script sees without mpiexec), and importing
``numdeep.distribute`` without mpi4py."""

import subprocess
import sys

import numpy as np
import pytest


def test_numdeep_imports_without_mpi4py_and_distribute_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import numdeep\n"
            "try:\n"
            "    import numdeep.distribute\n"
            "except ImportError as e:\n"
            "    print('ImportError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "ImportError: numdeep.distribute needs mpi4py" in out
    assert "pip install 'numdeep[mpi]'" in out


@pytest.fixture
def strategy():
    pytest.importorskip("mpi4py")
    from numdeep.distribute import MPIStrategy

    return MPIStrategy(seed=0, verbose=False)


def _model():
    import numdeep as nd

    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.layers.Dense(8, activation="relu", input_shape=(4,)),
                           nd.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=nd.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_one_process_strategy_fits_exactly_like_plain_fit(strategy):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 4)).astype("float32"), rng.integers(0, 3, 50)
    plain = _model()
    expected = plain.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                         validation_split=0.2)
    with strategy.scope():
        model = _model()
    assert model._distribute_strategy is strategy and _model()._distribute_strategy is None
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                        validation_split=0.2)
    assert history.history == expected.history
    for a, b in zip(plain.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert type(model.optimizer).__name__ == "Adam" and strategy.reducer.calls == 6


def test_strategy_rejects_what_it_cannot_split(strategy):
    with strategy.scope():
        model = _model()
    batches = (b for b in [(np.ones((4, 4)), np.zeros(4))])
    with pytest.raises(ValueError, match="`validation_split` is only supported for array"):
        model.fit(batches, validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(batches, np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        model.fit(np.ones((4, 4)), np.zeros(4), batch_size=0, verbose=0)


def test_strategy_trains_on_a_generator_of_global_batches(strategy):
    with strategy.scope():
        model = _model()
    x = np.random.default_rng(1).normal(size=(12, 4)).astype("float32")
    batches = ((x[i:i + 4], np.arange(4) % 3) for i in range(0, 12, 4))
    history = model.fit(batches, steps_per_epoch=3, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 3 and len(history.history["loss"]) == 1


def test_gradients_are_sent_during_backward_only_with_the_stock_train_step(strategy):
    import numdeep as nd

    class Custom(nd.Sequential):
        def train_step(self, data):  # may change the gradients between backward and apply
            return super().train_step(data)

    class Seen(nd.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.overlap = self.model.optimizer._overlap_backward

    x, y = np.ones((8, 4), "float32"), np.zeros(8)
    for cls, expected in ((nd.Sequential, True), (Custom, False)):
        with strategy.scope():
            model = cls([nd.layers.Dense(3, activation="softmax", input_shape=(4,))])
            model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        seen = Seen()
        model.fit(x, y, batch_size=4, verbose=0, callbacks=[seen])
        assert seen.overlap is expected and model.optimizer._overlap_backward is False
