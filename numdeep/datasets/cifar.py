"""Reading CIFAR's Python batches (pickles written by Python 2) without executing them."""

import numpy as np

from numdeep.backend import image_data_format
from numdeep.datasets.safe_pickle import restricted_loads

__all__ = ["load_batch", "to_data_format"]


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one batch file: uint8 ``(N, 3, 32, 32)`` and a list of ints.

    Raises:
        ValueError: naming the file when it is not a CIFAR batch (or holds anything but arrays,
            lists, strings and numbers: such pickles are refused, never run).
    """
    with open(fpath, "rb") as f:
        raw = f.read()
    try:
        batch = restricted_loads(raw, encoding="bytes")
        batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data, labels = np.asarray(batch["data"]), list(batch[label_key])
    except Exception as e:  # noqa: BLE001 - every way a hostile pickle fails is reported alike
        raise ValueError(f"{fpath}: not a CIFAR batch file ({type(e).__name__}: {e}).") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(
            data):
        raise ValueError(f"{fpath}: expected uint8 data of shape (N, 3072) and N labels; found "
                         f"{data.dtype} {data.shape} and {len(labels)} labels.")
    return data.reshape(len(data), 3, 32, 32), labels


def to_data_format(x):
    """Channels-first CIFAR images in numdeep's ``image_data_format``."""
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x
