"""``keras.preprocessing.image``: image files and arrays (``numdeep.utils``'s functions; Pillow,
the optional ``images`` extra, is needed only to read, write or convert an image).

Example:
    >>> import numpy as np
    >>> from numdeep.preprocessing import image
    >>> picture = image.array_to_img(np.zeros((2, 3, 3), "float32"))
    >>> image.img_to_array(picture).shape
    (2, 3, 3)
"""

from numdeep.utils.image_utils import (
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
