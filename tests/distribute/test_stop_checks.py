"""How often the ranks agree on ``stop_training``: every step only when something can set it
during an epoch (a callback with batch hooks, a custom ``train_step``), else at the epoch's last
step (one collective per step fewer). Checked with a stand-in communicator that records each
collective; the multi-rank behaviour is in test_training.py."""

import numpy as np

import numdeep as nd
from numdeep.distribute import sync


class _Comm:
    size, rank = 2, 0

    def __init__(self):
        self.calls = []

    def allreduce(self, value, op="sum", what=""):
        self.calls.append(what)
        return value


class _BatchHook(nd.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


class _OwnStep(nd.Sequential):
    def train_step(self, data):
        return super().train_step(data)


def _model(cls=nd.Sequential):
    model = cls([nd.Input((3,)), nd.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    return model


def test_what_can_stop_a_fit_within_an_epoch():
    model = _model()
    assert not sync.may_stop_within_epoch(model, [])
    assert not sync.may_stop_within_epoch(model, [nd.callbacks.EarlyStopping(),
                                                  nd.callbacks.ReduceLROnPlateau()])
    assert sync.may_stop_within_epoch(model, [_BatchHook()])
    assert sync.may_stop_within_epoch(model, [nd.callbacks.TerminateOnNaN()])
    assert sync.may_stop_within_epoch(_model(_OwnStep), [])


def test_stop_checks_per_step_only_when_needed():
    model = _model()
    for batch_stops, expected in ((False, 1), (True, 4)):
        comm = _Comm()
        rank_sync = sync.RankSync(comm, sync._Shared(), verify_weights=False,
                                  batch_stops=batch_stops)
        rank_sync.set_model(model)
        rank_sync.set_params({"steps": 4})
        rank_sync._synced = True
        for batch in range(4):
            rank_sync.on_train_batch_end(batch, {})
        assert sum("stop check" in what for what in comm.calls) == expected
