"""load_img / img_to_array / array_to_img / save_img / smart_resize: values, modes, formats."""

import io

import numpy as np
import pytest

pytest.importorskip("PIL")

from numdeep.utils import array_to_img, img_to_array, load_img, save_img, smart_resize  # noqa: E402


def test_png_round_trip_keeps_values(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5, 7, 3)).astype("float32")
    save_img(tmp_path / "a.png", x, scale=False)
    img = load_img(tmp_path / "a.png")
    assert img.size == (7, 5) and img.mode == "RGB"
    back = img_to_array(img)
    assert back.dtype == np.float32 and back.shape == (5, 7, 3)
    np.testing.assert_array_equal(back, x)
    np.testing.assert_array_equal(img_to_array(img, data_format="channels_first"),
                                  x.transpose(2, 0, 1))


def test_color_modes_and_rgba_jpeg(tmp_path):
    x = np.zeros((4, 4, 4), "uint8")
    x[..., 0], x[..., 3] = 255, 128
    save_img(tmp_path / "a.jpg", x)  # RGBA -> RGB for JPEG, which has no alpha
    assert img_to_array(load_img(tmp_path / "a.jpg")).shape == (4, 4, 3)
    save_img(tmp_path / "a.png", x, scale=False)
    assert img_to_array(load_img(tmp_path / "a.png", color_mode="rgba"))[0, 0].tolist() == [
        255, 0, 0, 128]
    gray = img_to_array(load_img(tmp_path / "a.png", color_mode="grayscale"))
    assert gray.shape == (4, 4, 1) and abs(gray[0, 0, 0] - 76) <= 1  # ITU-R 601 luma of red
    with pytest.raises(ValueError, match="color_mode"):
        load_img(tmp_path / "a.png", color_mode="cmyk")


def test_scale_and_grayscale_arrays():
    img = array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]]))
    assert img.mode == "L"
    assert img_to_array(img)[:, :, 0].tolist() == [[0.0, 127.0], [255.0, 63.0]]
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channel number"):
        array_to_img(np.zeros((2, 2, 2)))


def test_target_size_interpolation_and_aspect_ratio(tmp_path):
    x = np.zeros((10, 20, 3), "uint8")
    x[:, 5:15] = 255  # a white centre band
    save_img(tmp_path / "w.png", x, scale=False)
    squashed = img_to_array(load_img(tmp_path / "w.png", target_size=(4, 4)))
    cropped = img_to_array(load_img(tmp_path / "w.png", target_size=(4, 4),
                                    keep_aspect_ratio=True))
    assert squashed.shape == cropped.shape == (4, 4, 3)
    assert squashed[:, 0].max() == 0 and cropped.min() == 255  # the crop keeps only the band
    buf = io.BytesIO()
    array_to_img(x).save(buf, format="png")
    assert load_img(buf).size == (20, 10)
    with pytest.raises(ValueError, match="interpolation"):
        load_img(tmp_path / "w.png", target_size=(4, 4), interpolation="magic")


def test_smart_resize_crops_to_the_aspect_ratio():
    x = np.zeros((10, 20, 1), "float32")
    x[:, 5:15] = 1.0
    out = smart_resize(x, (5, 5))
    assert out.shape == (5, 5, 1)
    np.testing.assert_allclose(out, 1.0)
    batch = smart_resize(np.stack([x, x]), (5, 5))
    assert batch.shape == (2, 5, 5, 1)
