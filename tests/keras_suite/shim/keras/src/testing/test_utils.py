"""Helpers Keras's tests import from ``keras.src.testing.test_utils`` (numdeep's own versions)."""

import itertools

import numpy as np


def named_product(*args, **kwargs):
    """Named parameter combinations for ``parameterized.named_parameters``: every combination of
    one dict from each positional sequence (each carrying a ``testcase_name``) and one value per
    keyword, named by joining the parts with ``_``."""
    groups = [list(a) for a in args]
    for key, values in kwargs.items():
        groups.append([{"testcase_name": _label(v), key: v} for v in values])
    out = []
    for combo in itertools.product(*groups):
        names = [d["testcase_name"] for d in combo if d.get("testcase_name")]
        merged = {}
        for d in combo:
            merged.update({k: v for k, v in d.items() if k != "testcase_name"})
        out.append({"testcase_name": "_".join(names), **merged})
    return out


def _label(value):
    return value.__name__.lower() if hasattr(value, "__name__") else str(value).lower()


def get_test_data(train_samples, test_samples, input_shape, num_classes, random_seed=None):
    """Class-balanced synthetic classification data: ``(x_train, y_train), (x_test, y_test)``.

    Each class is a random template plus unit Gaussian noise; both splits are shuffled.
    """
    rng = np.random.default_rng(random_seed)
    total = train_samples + test_samples
    y = np.arange(total) % num_classes
    templates = 2 * num_classes * rng.random((num_classes, *input_shape))
    x = (templates[y] + rng.standard_normal((total, *input_shape))).astype("float32")
    per_class = train_samples // num_classes
    train_idx, test_idx = [], []
    for c in range(num_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        train_idx += list(idx[:per_class])
        test_idx += list(idx[per_class:])
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])
