"""``numdeep.distribute.horovod``: Horovod's Keras API, on two ranks and on one."""

import json
import re

import numpy as np
import pytest

from tests.distribute.launch import run

pytestmark = pytest.mark.timeout(300)


def test_a_horovod_keras_script_runs_with_only_its_imports_changed(tmp_path):
    result = run("horovod_keras_digits.py", tmp_path, timeout=200)
    digests = dict(re.findall(r"rank (\d) weights ([0-9a-f]{16})", result.stdout))
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    accuracies = [float(a) for a in re.findall(r"Test accuracy: ([0-9.]+)", result.stdout)]
    # The script seeds nothing (as Horovod's): well above chance (0.1) is what 69 steps give.
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1] and accuracies[0] > 0.3, \
        result.stdout
    assert result.stdout.count("finished gradual learning rate warmup") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"checkpoint-{e}.h5"
                                                          for e in (1, 2, 3)]


def test_horovod_collectives_and_warmup_on_two_ranks():
    out = json.loads(run("collectives.py").stdout.strip().splitlines()[-1])
    assert out["size"] == 2 and out["local"][1] == 2
    assert out["average"] == [1.5, 3.0] and out["sum"] == [3.0, 6.0]
    assert out["scalar"] == 0.5 and out["tensor"] == [1.5, 3.0]
    assert out["broadcast"] == [1.0, 2.0] and out["gather"] == [0, 0, 1, 1]
    # Horovod's ramp: (1/size) * (epoch' * (size - 1) / warmup + 1), epoch' = epoch + 1/steps.
    expected = [0.5 * ((e + 0.25) / 2 + 1) for e in (0.0, 1.0, 1.75)]
    np.testing.assert_allclose(out["warmup"], expected)
    assert out["reduced"] == [[[1.5] * 3] * 2, None, [0.5], [0.0, 1.0]]
    assert 0.4 < out["waited"] < 30  # rank 0 waited for rank 1's half-second sleep


# ----- one process (no mpiexec needed, mpi4py is) ------------------------------------------------
@pytest.fixture
def hvd():
    pytest.importorskip("mpi4py")
    import numdeep.distribute.horovod as hvd

    hvd.init()
    return hvd


def _model(optimizer):
    import numdeep as nd

    nd.utils.set_random_seed(0)
    model = nd.Sequential([nd.layers.Dense(3, input_shape=(4,)), nd.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_distributed_optimizer_trains_like_the_plain_one_and_saves_as_it(hvd, tmp_path):
    import numdeep as nd

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    plain = _model(nd.optimizers.Adam(0.01))
    plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    opt = hvd.DistributedOptimizer(nd.optimizers.Adam(0.01))
    assert type(opt).__name__ == "Adam" and opt.get_config() == nd.optimizers.Adam(
        0.01, name=opt.name).get_config()
    wrapped = _model(opt)
    wrapped.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), wrapped.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrapped.save(tmp_path / "m.keras")
    loaded = nd.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is nd.optimizers.Adam
    assert int(loaded.optimizer.iterations) == 8
    again = hvd.load_model(tmp_path / "m.keras")
    assert type(again.optimizer).__name__ == "Adam" and int(again.optimizer.iterations) == 8
    assert type(again.optimizer) is not nd.optimizers.Adam


def test_distributed_optimizer_carries_the_state_of_a_built_optimizer(hvd):
    import numdeep as nd

    model = _model(nd.optimizers.Adam(0.01))
    model.fit(np.ones((8, 4)), np.ones((8, 1)), verbose=0)
    opt = hvd.DistributedOptimizer(model.optimizer)
    state, before = opt.state_dict(), model.optimizer.state_dict()
    assert state.keys() == before.keys() and state["iterations"] == 1
    for key in state:
        np.testing.assert_array_equal(state[key], before[key])


def test_unsupported_horovod_options_fail_clearly(hvd):
    import numdeep as nd

    with pytest.raises(NotImplementedError, match="Adasum"):
        hvd.DistributedOptimizer(nd.optimizers.SGD(), op=hvd.Adasum)
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        hvd.DistributedOptimizer(nd.optimizers.SGD(), backward_passes_per_step=2)
    with pytest.raises(ValueError, match="already a DistributedOptimizer"):
        hvd.DistributedOptimizer(hvd.DistributedOptimizer(nd.optimizers.SGD()))


def test_learning_rate_schedule_callback_sets_the_rate_per_epoch(hvd):
    import numdeep as nd

    model = _model(nd.optimizers.SGD(0.1, momentum=0.9))
    schedule = hvd.callbacks.LearningRateScheduleCallback(
        initial_lr=0.1, multiplier=lambda epoch: 0.5 ** epoch)
    history = model.fit(np.ones((8, 4)), np.ones((8, 1)), epochs=3, verbose=0,
                        callbacks=[schedule])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025])
    assert model.optimizer.momentum == 0.9  # the momentum correction is undone after a batch
