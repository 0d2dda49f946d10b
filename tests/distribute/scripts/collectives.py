"""Horovod's collectives and warm-up schedule on two ranks; rank 0 prints the results as JSON."""

import json
import time

import numpy as np


def main():
    import numdeep as nd
    import numdeep.distribute.horovod as hvd

    hvd.init()
    r = hvd.rank()
    value = np.array([1.0, 2.0], "float32") * (r + 1)
    warmup = hvd.callbacks.LearningRateWarmupCallback(initial_lr=0.2, warmup_epochs=2,
                                                      steps_per_epoch=4)
    out = {
        "size": hvd.size(), "local": [hvd.local_rank(), hvd.local_size()],
        "average": hvd.allreduce(value).tolist(),
        "sum": hvd.allreduce(value, op=hvd.Sum).tolist(),
        "scalar": hvd.allreduce(float(r)),
        "tensor": hvd.allreduce(nd.Tensor(value)).numpy().tolist(),
        "broadcast": hvd.broadcast(value, 0).tolist(),
        "gather": hvd.allgather(np.array([r, r])).tolist(),
        "warmup": [warmup.multiplier(e) for e in (0.0, 1.0, 1.75)],
    }
    # Gradients in many small buckets (16 bytes), one missing everywhere, one only on rank 1.
    from numdeep.distribute import GradientReducer

    variables = [nd.Variable(np.zeros((2, 3))), nd.Variable(np.zeros(4)), nd.Variable(np.zeros(1)),
                 nd.Variable(np.zeros(2))]
    grads = [np.full((2, 3), r + 1.0, "float32"), None, np.ones(1, "float32") if r else None,
             np.arange(2, dtype="float32")]
    reduced = GradientReducer(hvd.communicator(), bucket_bytes=16).reduce(grads, variables, 0.5)
    out["reduced"] = [None if g is None else g.tolist() for g in reduced]
    # The communicator counts the time spent waiting in collectives (rank 0 waits for rank 1).
    comm = hvd.communicator()
    before = comm.wait_seconds
    if r == 1:
        time.sleep(0.5)
    comm.barrier()
    out["waited"] = comm.wait_seconds - before
    if r == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
