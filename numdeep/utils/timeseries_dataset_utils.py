"""``timeseries_dataset_from_array``: batches of sliding windows over a series (Keras's).

Example:
    >>> import numpy as np
    >>> from numdeep.utils import timeseries_dataset_from_array
    >>> data = np.arange(10)
    >>> ds = timeseries_dataset_from_array(data[:-3], data[3:], sequence_length=3, batch_size=2)
    >>> x, y = ds[0]
    >>> x.tolist(), y.tolist(), len(ds)
    ([[0, 1, 2], [1, 2, 3]], [3, 4], 3)
"""

import numpy as np

from numdeep.utils import dataset_utils

__all__ = ["timeseries_dataset_from_array"]


def _check(data, start_index, end_index, sampling_rate, sequence_stride, format):
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                             f"{name}={value}, for data of length {n}")
    if format not in dataset_utils.FORMATS:
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Windows of ``sequence_length`` steps (every ``sampling_rate``-th sample), starting every
    ``sequence_stride`` samples; window ``i`` starting at ``data[s]`` has target ``targets[s]``.

    Args:
        data: array ``(timesteps, ...)``.
        targets: array indexed like ``data`` (``targets[s]`` for the window starting at ``s``),
            or ``None``.
        sequence_length, sequence_stride, sampling_rate: window length, start spacing, step.
        batch_size: windows per batch, or ``None`` for single windows.
        shuffle, seed: shuffle the windows (a private seeded generator).
        start_index, end_index: use ``data[start_index:end_index]`` only.
        format: ``"tf"`` (reshuffle every pass) or ``"grain"`` (one seeded order).

    Returns:
        A ``BatchedDataset`` of ``(windows, targets)`` (windows alone without targets).
    """
    _check(data, start_index, end_index, sampling_rate, sequence_stride, format)
    start_index = start_index or 0
    end_index = end_index or len(data)
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        seed = dataset_utils._fresh_seed() if seed is None else seed
        np.random.RandomState(seed).shuffle(starts)
    series = np.asarray(data[start_index:end_index])
    labels = None if targets is None else np.asarray(targets[start_index:end_index])
    offsets = np.arange(sequence_length) * sampling_rate

    def load(indices):
        chosen = starts[indices]
        windows = series[chosen[:, None] + offsets[None, :]]
        return windows if labels is None else (windows, labels[chosen])

    # Windows were placed in a seeded order above; batches are then drawn in order, reshuffled
    # per pass only for format="tf" (tf.data's per-iteration shuffle).
    return dataset_utils.BatchedDataset(len(starts), load, batch_size=batch_size,
                                        shuffle=shuffle and format == "tf", seed=seed,
                                        reshuffle_each_iteration=True)
