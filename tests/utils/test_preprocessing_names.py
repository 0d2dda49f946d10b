"""``numdeep.preprocessing`` answers to Keras 3's ``keras.preprocessing`` names with
``numdeep.utils``'s functions, so ``from keras.preprocessing import image`` programs run with
the import line changed."""

import numpy as np
import pytest

import numdeep as keras
from numdeep import utils


def test_keras_preprocessing_names_are_the_utils_functions():
    from numdeep.preprocessing import image, sequence

    for name in ("load_img", "img_to_array", "array_to_img", "save_img", "smart_resize"):
        assert getattr(image, name) is getattr(utils, name)
    assert sequence.pad_sequences is utils.pad_sequences
    for name in ("image_dataset_from_directory", "text_dataset_from_directory",
                 "timeseries_dataset_from_array"):
        assert getattr(keras.preprocessing, name) is getattr(utils, name)
    assert keras.preprocessing.image is image


def test_image_round_trip_through_keras_preprocessing_names(tmp_path):
    pytest.importorskip("PIL")
    from numdeep.preprocessing import image

    pixels = np.arange(4 * 6 * 3, dtype="uint8").reshape(4, 6, 3)
    image.save_img(tmp_path / "a.png", pixels, scale=False)
    array = image.img_to_array(image.load_img(tmp_path / "a.png"))
    np.testing.assert_array_equal(array, pixels.astype("float32"))
    small = image.img_to_array(image.load_img(tmp_path / "a.png", target_size=(2, 3),
                                              interpolation="nearest"))
    assert small.shape == (2, 3, 3) and small.dtype == np.float32
    np.testing.assert_array_equal(keras.preprocessing.sequence.pad_sequences(
        [[1, 2, 3], [4]], maxlen=2), [[2, 3], [0, 4]])
