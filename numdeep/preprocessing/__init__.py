"""``keras.preprocessing`` under numdeep: the image, sequence and dataset helpers by the names
Keras 3 exports there, so ``from keras.preprocessing import image`` becomes
``from numdeep.preprocessing import image`` and nothing else in a program changes.

Everything here is ``numdeep.utils``'s own function (one implementation, two names). These
are not the preprocessing *layers* (``numdeep.layers.Rescaling``, ``TextVectorization``...).

Example:
    >>> import numpy as np
    >>> from numdeep import preprocessing
    >>> preprocessing.sequence.pad_sequences([[1, 2], [3]], maxlen=3).tolist()
    [[0, 1, 2], [0, 0, 3]]
    >>> windows = preprocessing.timeseries_dataset_from_array(
    ...     np.arange(5), None, sequence_length=3, batch_size=8)
    >>> [batch.tolist() for batch in windows]
    [[[0, 1, 2], [1, 2, 3], [2, 3, 4]]]
"""

from numdeep.preprocessing import image, sequence
from numdeep.utils.image_dataset_utils import image_dataset_from_directory
from numdeep.utils.text_dataset_utils import text_dataset_from_directory
from numdeep.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
