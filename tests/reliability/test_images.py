"""Every mode Pillow opens decodes to the 8-bit RGB a viewer shows, or is refused with a sentence."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from paperzoo.data.files import read_image

WHITE = [255, 255, 255]


def _rgb(path):
    """The decoded image as an `(H, W, 3)` uint8 array."""
    return (read_image(path) * 255).round().byte().permute(1, 2, 0).numpy()  # (3, H, W) -> (H, W, 3)


def _grey16(path):
    Image.fromarray(np.array([[0, 65535], [32896, 257]], dtype=np.uint16)).save(path)  # mode I;16
    return [[0, 255], [128, 1]]


def _grey32(path):
    Image.fromarray(np.array([[0, 65535], [32896, 257]], dtype=np.int32)).save(path.with_suffix(".tif"))
    return [[0, 255], [128, 1]]


def _float(path):
    Image.fromarray(np.array([[0, 1], [0.5, 0.25]], dtype=np.float32)).save(path.with_suffix(".tif"))
    return [[0, 255], [128, 64]]


def _bilevel(path):
    Image.fromarray(np.array([[True, False], [False, True]])).convert("1").save(path)
    return [[255, 0], [0, 255]]


def _grey_alpha(path):
    Image.fromarray(np.array([[[0, 255], [0, 0]], [[100, 255], [100, 128]]], dtype=np.uint8), "LA").save(path)
    return [[0, 255], [100, 178]]  # transparent black shows the white background; 50 % of 100 over 255


@pytest.mark.parametrize(
    ("make", "mode"),
    [(_grey16, "I;16"), (_grey32, "I"), (_float, "F"), (_bilevel, "1"), (_grey_alpha, "LA")],
    ids=["I;16", "I", "F", "1", "LA"],
)
def test_grey_modes_decode_to_their_brightness(tmp_path, make, mode):
    path = tmp_path / "image.png"
    expected = make(path)
    path = path if path.exists() else path.with_suffix(".tif")
    assert Image.open(path).mode == mode
    decoded = _rgb(path)
    assert (decoded[..., 0] == decoded[..., 2]).all()
    np.testing.assert_allclose(decoded[..., 0], expected, atol=1)


def test_palette_with_a_transparent_index_shows_the_background(tmp_path):
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 0] + [0] * 762)  # index 0 red, index 1 black
    image.putdata([0, 1])
    image.save(tmp_path / "p.png", transparency=1)
    assert Image.open(tmp_path / "p.png").mode == "P"
    assert _rgb(tmp_path / "p.png").tolist() == [[[255, 0, 0], WHITE]]


def test_rgba_composites_over_white(tmp_path):
    Image.new("RGBA", (1, 1), (0, 0, 200, 0)).save(tmp_path / "a.png")
    assert _rgb(tmp_path / "a.png").tolist() == [[WHITE]]


def test_cmyk(tmp_path):
    image = Image.new("CMYK", (2, 1))
    image.putdata([(0, 0, 0, 0), (0, 255, 255, 0)])
    image.save(tmp_path / "c.jpg", quality=100)
    np.testing.assert_allclose(_rgb(tmp_path / "c.jpg"), [[WHITE, [255, 0, 0]]], atol=3)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (4, 2), (0, 0, 0))
    image.putpixel((0, 0), (255, 255, 255))  # the stored top-left pixel
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    decoded = _rgb(tmp_path / "rotated.jpg")
    assert decoded.shape == (4, 2, 3)  # displayed upright: 2 wide, 4 tall
    assert decoded[0, 1].min() > 200 and decoded[0, 0].max() < 50  # top-left went to the top-right


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: Image.new("LAB", (2, 2)).save(p.with_suffix(".tif")), "colour mode 'LAB'"),
        (
            lambda p: Image.fromarray(np.full((2, 2), 3.5, dtype=np.float32)).save(p.with_suffix(".tif")),
            r"'F' pixels in \[3.5, 3.5\], outside \[0, 1\]",
        ),
        (
            lambda p: Image.fromarray(np.full((2, 2), -5, dtype=np.int32)).save(p.with_suffix(".tif")),
            r"'I' pixels in \[-5, -5\], outside \[0, 65535\]",
        ),
    ],
    ids=["LAB", "F out of range", "I negative"],
)
def test_modes_without_a_known_rgb_are_refused_with_a_sentence(tmp_path, make, message):
    make(tmp_path / "x.png")
    with pytest.raises(ValueError, match=message):
        read_image(tmp_path / "x.tif")


def test_decompression_bomb_gets_a_sentence(tmp_path, monkeypatch):
    Image.new("L", (64, 64)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels: over, but below twice the limit
    with pytest.raises(ValueError, match=r"big\.png has more pixels than Pillow's decompression-bomb limit"):
        read_image(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # over twice the limit: Pillow raises
    with pytest.raises(ValueError, match="decompression-bomb limit"):
        read_image(tmp_path / "big.png")
