"""Reading detection data from disk: image decoding and box clipping with errors that name the file.

Both the Pascal VOC and the COCO loaders go through these two functions, so a broken file gives the
same kind of message whichever format it came from.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torchvision.transforms.v2.functional import pil_to_tensor

__all__ = ["clip_boxes_to_image", "read_image"]


def read_image(path: Path) -> Tensor:
    """Decode an image file into a float `[3, H, W]` tensor in `[0, 1]`.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file cannot be decoded as an image; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file {path} does not exist")
    # Pillow (a torchvision dependency) decodes: torchvision.io's decoders are deprecated since 0.29.
    try:
        with Image.open(path) as pil_image:
            image = pil_to_tensor(pil_image.convert("RGB"))
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
