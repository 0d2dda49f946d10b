"""``text_dataset_from_directory``: labelled text batches from a folder of class folders.

Files (``.txt``) are read as UTF-8 when a batch is requested and cut to ``max_length``
characters; batches are NumPy string arrays (``format="tf"``) or lists of ``str``
(``format="grain"``), in a ``BatchedDataset`` that ``fit`` takes as it is.

Example:
    >>> import os, tempfile
    >>> from numdeep.utils import text_dataset_from_directory
    >>> root = tempfile.mkdtemp()
    >>> for label, words in (("neg", ["bad", "awful"]), ("pos", ["good", "great"])):
    ...     os.mkdir(os.path.join(root, label))
    ...     for i, w in enumerate(words):
    ...         with open(os.path.join(root, label, f"{i}.txt"), "w") as f:
    ...             _ = f.write(f"a {w} film")
    >>> ds = text_dataset_from_directory(root, batch_size=4, shuffle=False, verbose=False)
    >>> texts, labels = ds[0]
    >>> texts.tolist(), labels.tolist(), ds.class_names
    (['a bad film', 'a awful film', 'a good film', 'a great film'], [0, 0, 1, 1], ['neg', 'pos'])
"""

import numpy as np

from numdeep.utils import dataset_utils

__all__ = ["text_dataset_from_directory"]


def _check_arguments(labels, label_mode, class_names, format):
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size as "
                "the number of text files in the target directory. If you wish to infer the "
                'labels from the subdirectory names in the target directory, pass `labels="'
                'inferred"`. If you wish to get a dataset that only contains text samples (no '
                f"labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")
    if format not in dataset_utils.FORMATS:
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                format="tf", verbose=True):
    """Batches of texts (and labels) from the ``.txt`` files under ``directory``.

    Args:
        directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose: as in
            ``image_dataset_from_directory`` (and Keras).
        max_length: cut each text to this many characters (``None``: whole files).
        format: ``"tf"`` (string arrays, reshuffled every pass) or ``"grain"`` (lists of
            ``str``, one seeded order).

    Returns:
        A ``BatchedDataset`` with ``class_names`` and ``file_paths``, or a list of two for
        ``subset="both"``.
    """
    _check_arguments(labels, label_mode, class_names, format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = dataset_utils._fresh_seed()
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=(".txt",), class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    datasets = []
    parts = dataset_utils.split_for_subset(paths, labels, validation_split, subset)
    for i, (part_paths, part_labels) in enumerate(parts):
        if not part_paths:
            which = ("training ", "validation ")[i] if subset == "both" else ""
            raise ValueError(f"No {which}text files found in directory {directory}. Allowed "
                             f"format: .txt")
        encoded = None if label_mode is None else dataset_utils.encode_labels(
            part_labels, label_mode, num_classes)
        ds = dataset_utils.BatchedDataset(
            len(part_paths), _loader(part_paths, encoded, max_length, format == "tf"),
            batch_size=batch_size, shuffle=shuffle and not (subset == "both" and i == 1),
            seed=seed, reshuffle_each_iteration=format == "tf")
        ds.class_names, ds.file_paths = class_names, part_paths
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]


def _read(path, max_length):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


def _loader(paths, labels, max_length, as_array):
    def load(indices):
        texts = [_read(paths[i], max_length) for i in indices]
        texts = np.array(texts, dtype=str) if as_array else texts
        return texts if labels is None else (texts, labels[indices])

    return load
