"""Reading detection data from disk: image decoding and box clipping with errors that name the file.

Both the Pascal VOC and the COCO loaders go through these two functions, so a broken file gives the
same kind of message whichever format it came from.

Pillow opens many pixel formats, and `Image.convert("RGB")` is right only for some: it clips 16-bit
grey to 255, and drops transparency, showing whatever colour hides under transparent pixels.
[`read_image`][paperzoo.data.files.read_image] decodes each mode to the 8-bit RGB a viewer shows: EXIF
orientation applied, 16-bit and 32-bit grey scaled from their full range, float grey read as `[0, 1]`,
transparency composited over white, CMYK, palette, 1-bit and YCbCr converted by Pillow. Modes without
a well-defined RGB (LAB, HSV, multi-channel floats) and images above Pillow's decompression-bomb limit
are refused with a sentence.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor
from torchvision.transforms.v2.functional import pil_to_tensor

__all__ = ["clip_boxes_to_image", "read_image", "to_rgb"]

# Modes whose conversion to RGB Pillow gets right (alpha-less, 8 bits per channel or fewer).
_PILLOW_CONVERTS = {"1", "L", "P", "RGB", "CMYK", "YCbCr", "RGBX"}
# Grey modes with more than 8 bits: the largest value each can hold.
_WIDE_GREY = {"I;16": 65535, "I;16L": 65535, "I;16B": 65535, "I;16N": 65535, "I": 65535}
TRANSPARENT_BACKGROUND = (255, 255, 255)


def _wide_grey_to_l(image: Image.Image, path: Path) -> Image.Image:
    """Scale 16/32-bit integer or float grey to 8 bits (integers from `[0, 65535]`, floats from `[0, 1]`)."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        low, high, scale = 0.0, 1.0, 255.0
    else:  # 'I' is how Pillow opens 16-bit PNGs and TIFFs; wider values have no known range
        low, high, scale = 0.0, 65535.0, 255.0 / 65535.0
    if values.size and (values.min() < low or values.max() > high or not np.isfinite(values).all()):
        raise ValueError(
            f"image file {path} has {image.mode!r} pixels in [{values.min():g}, {values.max():g}], outside "
            f"[{low:g}, {high:g}], so their brightness is unknown; save it as an 8- or 16-bit image"
        )
    return Image.fromarray(np.rint(values * scale).astype(np.uint8))  # 2-D uint8: mode L


def to_rgb(image: Image.Image, path: Path) -> Image.Image:
    """An opened Pillow image as 8-bit RGB, as a viewer shows it (see the module docstring).

    Raises:
        ValueError: If the mode has no well-defined RGB; the message names the file and the mode.
    """
    image = ImageOps.exif_transpose(image)
    if image.mode in _WIDE_GREY or image.mode == "F":
        return _wide_grey_to_l(image, path).convert("RGB")
    if image.has_transparency_data:  # an alpha band, or a transparent palette index or colour
        rgba = image.convert("RGBA")  # also premultiplied 'RGBa'/'La' and palette or RGB transparency
        background = Image.new("RGBA", rgba.size, (*TRANSPARENT_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in _PILLOW_CONVERTS:
        return image.convert("RGB")
    raise ValueError(
        f"image file {path} has colour mode {image.mode!r}, which paperzoo cannot convert to RGB "
        "reliably; save it as RGB"
    )


def read_image(path: Path) -> Tensor:
    """Decode an image file into a float `[3, H, W]` tensor in `[0, 1]` (see the module docstring).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file cannot be decoded as an image, has a mode without a well-defined RGB,
            or is larger than Pillow's decompression-bomb limit; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file {path} does not exist")
    # Pillow (a torchvision dependency) decodes: torchvision.io's decoders are deprecated since 0.29.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as pil_image:
                image = pil_to_tensor(to_rgb(pil_image, path))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(
            f"image file {path} has more pixels than Pillow's decompression-bomb limit "
            f"({Image.MAX_IMAGE_PIXELS:,}), so it is not decoded; resize it first"
        ) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"image file {path} could not be decoded: {exc}") from None
    return image.float() / 255


def clip_boxes_to_image(boxes: Tensor, height: int, width: int, source: str) -> tuple[Tensor, Tensor]:
    """Clip boxes that stick out of the image, with a warning naming `source`.

    Annotation tools sometimes store boxes a pixel or two outside the image; clipping keeps them
    usable. A box with no area left inside the image is dropped (also with a warning).

    Args:
        boxes: Float `[G, 4]` boxes, `x1, y1, x2, y2` pixels.
        height: Image height.
        width: Image width.
        source: The annotation file (or file and object), quoted in the warnings.

    Returns:
        `(clipped_boxes, keep)`: the clipped boxes `[G', 4]` and the boolean mask `[G]` of kept boxes.
    """
    limits = torch.tensor([width, height, width, height], dtype=boxes.dtype)
    clipped = torch.minimum(boxes.clamp(min=0), limits)
    outside = (clipped != boxes).any(dim=1)
    keep = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    if outside.any():
        indices = torch.nonzero(outside & keep).flatten().tolist()
        dropped = torch.nonzero(~keep).flatten().tolist()
        warnings.warn(
            f"{source}: clipped boxes {indices} to the image (W, H) = ({width}, {height})"
            + (f"; dropped boxes {dropped} that lie entirely outside it" if dropped else ""),
            stacklevel=2,
        )
    return clipped[keep], keep
