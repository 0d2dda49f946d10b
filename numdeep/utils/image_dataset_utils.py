"""``image_dataset_from_directory``: labelled image batches from a folder of class folders.

Images are decoded with Pillow (the ``images`` extra) when a batch is read, converted to the
colour mode, resized with ``numdeep.ops.image.resize`` (optionally cropping or padding to the
target aspect ratio) and stacked as float32; the result is a ``BatchedDataset`` (a
``PyDataset``) that ``fit`` takes as it is.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from numdeep.utils import image_dataset_from_directory, save_img
    >>> root = tempfile.mkdtemp()
    >>> for label in ("cats", "dogs"):
    ...     os.mkdir(os.path.join(root, label))
    ...     for i in range(3):
    ...         image = np.full((8, 8, 3), i * 40.0)
    ...         save_img(os.path.join(root, label, f"{i}.png"), image, scale=False)
    >>> ds = image_dataset_from_directory(root, image_size=(4, 4), batch_size=4, seed=1)
    Found 6 files belonging to 2 classes.
    >>> x, y = ds[0]
    >>> ds.class_names, x.shape, x.dtype, y.dtype, len(ds)
    (['cats', 'dogs'], (4, 4, 4, 3), dtype('float32'), dtype('int32'), 2)
"""

import numpy as np

from numdeep.backend import standardize_data_format
from numdeep.utils import dataset_utils
from numdeep.utils.image_utils import pil_image

__all__ = ["image_dataset_from_directory", "load_image", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_MODES = {3: "RGB", 4: "RGBA"}


def load_image(path, image_size, num_channels, interpolation="bilinear",
               data_format="channels_last", crop_to_aspect_ratio=False,
               pad_to_aspect_ratio=False):
    """One image file as a float32 array of ``image_size`` with ``num_channels`` channels."""
    from numdeep.autograd import data_of
    from numdeep.ops import image as image_ops

    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    with pil_image().open(path) as img:
        if num_channels == 1:
            img = img if img.mode in ("L", "I;16", "I") else img.convert("L")
        elif img.mode != _MODES[num_channels]:
            img = img.convert(_MODES[num_channels])
        x = np.asarray(img, dtype="float32")
    if x.ndim == 2:
        x = x[:, :, None]
    # numdeep's resize has no gaussian/mitchellcubic kernels; the nearest ones stand in.
    method = {"gaussian": "bicubic", "mitchellcubic": "bicubic"}.get(interpolation,
                                                                     interpolation)
    if tuple(x.shape[:2]) != tuple(image_size) or crop_to_aspect_ratio or pad_to_aspect_ratio:
        x = np.asarray(data_of(image_ops.resize(
            x, tuple(image_size), interpolation=method, crop_to_aspect_ratio=crop_to_aspect_ratio,
            pad_to_aspect_ratio=pad_to_aspect_ratio, data_format="channels_last")),
            dtype="float32")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def _check_arguments(labels, label_mode, class_names, color_mode, image_size, interpolation,
                     format):
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size as "
                "the number of image files in the target directory. If you wish to infer the "
                'labels from the subdirectory names in the target directory, pass `labels="'
                'inferred"`. If you wish to get a dataset that only contains images (no labels), '
                f"pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, list | tuple) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    if interpolation.lower() not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if format not in dataset_utils.FORMATS:
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    return tuple(image_size)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """Batches of images (and labels) from ``directory``, Keras's arguments and behaviour.

    With ``labels="inferred"`` each sub-folder of ``directory`` is a class (sorted names, or
    ``class_names``' order), searched recursively; ``labels=None`` gives images only; a list
    gives one label per file in sorted path order.

    Args:
        directory, labels, label_mode, class_names, color_mode, batch_size, image_size,
        shuffle, seed, validation_split, subset, interpolation, follow_links,
        crop_to_aspect_ratio, pad_to_aspect_ratio, data_format, verbose: as in Keras;
            ``label_mode`` ``"int"`` (int32), ``"categorical"`` (one-hot float32),
            ``"binary"`` (float32 ``(n, 1)``) or ``None``; ``subset`` ``"training"``,
            ``"validation"`` or ``"both"`` (returns the two datasets).
        format: ``"tf"`` (reshuffle every pass) or ``"grain"`` (one seeded order); both give
            a ``BatchedDataset``.

    Returns:
        A ``BatchedDataset`` with ``class_names`` and ``file_paths``, or a list of two.
    """
    image_size = _check_arguments(labels, label_mode, class_names, color_mode, image_size,
                                  interpolation, format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    interpolation = interpolation.lower()
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = dataset_utils._fresh_seed()
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    options = dict(image_size=image_size, num_channels=_CHANNELS[color_mode],
                   interpolation=interpolation,
                   data_format=standardize_data_format(data_format),
                   crop_to_aspect_ratio=crop_to_aspect_ratio,
                   pad_to_aspect_ratio=pad_to_aspect_ratio)
    num_classes = len(class_names) if class_names else 0
    parts = dataset_utils.split_for_subset(paths, labels, validation_split, subset)
    datasets = []
    for i, (part_paths, part_labels) in enumerate(parts):
        if not part_paths:
            which = ("training ", "validation ")[i] if subset == "both" else ""
            raise ValueError(f"No {which}images found in directory {directory}. Allowed "
                             f"formats: {ALLOWLIST_FORMATS}")
        encoded = None if label_mode is None else dataset_utils.encode_labels(
            part_labels, label_mode, num_classes)
        ds = dataset_utils.BatchedDataset(
            len(part_paths), _loader(part_paths, encoded, options), batch_size=batch_size,
            shuffle=shuffle and not (subset == "both" and i == 1), seed=seed,
            reshuffle_each_iteration=format == "tf")
        ds.class_names, ds.file_paths = class_names, part_paths
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]


def _loader(paths, labels, options):
    def load(indices):
        images = np.stack([load_image(paths[i], **options) for i in indices])
        return images if labels is None else (images, labels[indices])

    return load
