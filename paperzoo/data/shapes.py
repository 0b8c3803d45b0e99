"""`shapes`: a procedurally generated object-detection dataset that needs no download.

Every image is drawn on demand from a seed, so the dataset is deterministic (the same `seed`, `split`
and index always give the same image), costs no disk and works in any number of DataLoader workers.
An image holds 1 to `max_objects` shapes (circle, square, triangle, cross; see `CLASSES`) of random
size, colour and aspect ratio on a cluttered background (a smooth colour field plus texture and
noise). Later shapes occlude earlier ones; a shape left with less than half of its area visible is not
drawn at all, so every labelled object is clearly recognisable, and each box is the tight box of the
shape's *visible* pixels (as in Pascal VOC).

The drawing is vectorised: the masks of all shapes of an image are computed in one broadcast over the
pixel grid, and the front-most shape at each pixel is found with one `amax`, with no loop over shapes
or pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import masks_to_boxes

__all__ = ["CLASSES", "ShapesDataset"]

# Object classes; label i + 1 is CLASSES[i] (label 0 is the background, as in torchvision).
CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross")

_SPLITS = ("train", "val")
# A shape keeps its label only if at least this fraction of its pixels stays visible.
_MIN_VISIBLE_FRACTION = 0.5


def _shape_masks(classes: Tensor, centres: Tensor, radii: Tensor, height: int, width: int) -> Tensor:
    """Boolean masks `[N, H, W]` of N shapes of the given classes, centres (x, y) and radii (rx, ry)."""
    ys = torch.arange(height, dtype=torch.float32) + 0.5
    xs = torch.arange(width, dtype=torch.float32) + 0.5
    # Normalised pixel coordinates relative to each shape: (N, 1, 1) against (H, 1) / (1, W) -> (N, H, W).
    u = (xs[None, None, :] - centres[:, 0, None, None]) / radii[:, 0, None, None]
    v = (ys[None, :, None] - centres[:, 1, None, None]) / radii[:, 1, None, None]
    inside = (u.abs() <= 1) & (v.abs() <= 1)
    circle = u**2 + v**2 <= 1
    square = inside
    # Apex at the top (v = -1), base at the bottom (v = 1): the half-width grows linearly with v.
    triangle = inside & (u.abs() <= (v + 1) / 2)
    cross = inside & ((u.abs() <= 1 / 3) | (v.abs() <= 1 / 3))
    every_class = torch.stack([circle, square, triangle, cross])  # (K, N, H, W)
    return every_class[classes, torch.arange(len(classes))]  # (N, H, W)


def _background(generator: torch.Generator, height: int, width: int) -> Tensor:
    """A cluttered background: a smooth colour field, a finer texture and pixel noise, `[3, H, W]`."""
    coarse = torch.rand(1, 3, 3, 3, generator=generator)
    fine = torch.rand(1, 3, 12, 12, generator=generator) - 0.5
    image = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    image = image + 0.35 * F.interpolate(fine, size=(height, width), mode="nearest")
    image = image + 0.05 * torch.randn(1, 3, height, width, generator=generator)
    return image[0]  # (1, 3, H, W) -> (3, H, W)


class ShapesDataset(torch.utils.data.Dataset):
    """Deterministic, procedurally generated detection images of simple shapes.

    `dataset[i]` returns `(image, target)`: `image` is a float `[3, H, W]` tensor in `[0, 1]` and
    `target` holds `"boxes"` (float `[G, 4]`, absolute `x1, y1, x2, y2` pixels) and `"labels"` (int64
    `[G]` in `[1, len(CLASSES)]`), torchvision's detection format.

    Args:
        split: `"train"` or `"val"`; the two splits draw from disjoint seeds.
        num_images: Number of images in the split.
        image_size: Side of the square images, or `(height, width)`.
        seed: Seed of the whole dataset; the same seed always gives the same images.
        max_objects: Most shapes drawn per image (at least one is always kept).
        min_size: Smallest shape side as a fraction of the shorter image side.
        max_size: Largest shape side as a fraction of the shorter image side.
        transforms: Optional callable `(image, target) -> (image, target)` applied after drawing
            (e.g. a model's training augmentation).

    Example:
        ```python
        from paperzoo.data import ShapesDataset
        image, target = ShapesDataset(split="val", num_images=8, image_size=128)[0]
        ```
    """

    classes: tuple[str, ...] = CLASSES

    def __init__(
        self,
        split: str = "train",
        num_images: int = 1000,
        image_size: int | tuple[int, int] = 128,
        seed: int = 0,
        max_objects: int = 4,
        min_size: float = 0.15,
        max_size: float = 0.5,
        transforms: Callable[[Tensor, dict[str, Tensor]], tuple[Tensor, dict[str, Tensor]]] | None = None,
    ) -> None:
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
        if not isinstance(num_images, int) or num_images < 1:
            raise ValueError(f"num_images must be a positive int, got {num_images!r}")
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(size) != 2 or min(size) < 16:
            raise ValueError(
                f"image_size must be an int or (height, width) of at least 16, got {image_size!r}"
            )
        if not isinstance(max_objects, int) or max_objects < 1:
            raise ValueError(f"max_objects must be a positive int, got {max_objects!r}")
        if not 0 < min_size <= max_size <= 1:
            raise ValueError(
                f"need 0 < min_size <= max_size <= 1, got min_size={min_size}, max_size={max_size}"
            )
        self.split = split
        self.num_images = num_images
        self.image_size: tuple[int, int] = (int(size[0]), int(size[1]))
        self.seed = seed
        self.max_objects = max_objects
        self.min_size = min_size
        self.max_size = max_size
        self.transforms = transforms

    @property
    def num_classes(self) -> int:
        """Number of classes including the background (label 0)."""
        return len(CLASSES) + 1

    def __len__(self) -> int:
        return self.num_images

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        if not -self.num_images <= index < self.num_images:
            raise IndexError(f"index {index} out of range for {self.num_images} images")
        image, target = self.draw(index % self.num_images)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def draw(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        """Draw image `index` (without `transforms`)."""
        height, width = self.image_size
        generator = torch.Generator().manual_seed(
            (self.seed * 1_000_003 + index) * 2 + _SPLITS.index(self.split)
        )
        count = int(torch.randint(1, self.max_objects + 1, (1,), generator=generator))
        classes = torch.randint(0, len(CLASSES), (count,), generator=generator)
        side = min(height, width) * (
            self.min_size + (self.max_size - self.min_size) * torch.rand(count, generator=generator)
        )
        aspect = torch.exp((torch.rand(count, generator=generator) - 0.5) * 2 * 0.5)  # w/h in [e^-0.5, e^0.5]
        radii = torch.stack([side * aspect.sqrt(), side / aspect.sqrt()], dim=1) / 2  # (N, 2) half-sizes
        low, high = radii, torch.tensor([width, height]) - radii
        centres = low + (high - low).clamp(min=0) * torch.rand(count, 2, generator=generator)
        colours = torch.rand(count, 3, generator=generator)
        image = _background(generator, height, width)

        masks = _shape_masks(classes, centres, radii, height, width)
        front = self._front_index(masks)
        visible = front[None] == torch.arange(1, count + 1)[:, None, None]  # (N, H, W)
        keep = visible.sum((1, 2)) >= _MIN_VISIBLE_FRACTION * masks.sum((1, 2)).clamp(min=1)
        # Dropping a shape only uncovers the others, so one recomputation settles visibility.
        front = self._front_index(masks & keep[:, None, None])
        visible = front[None] == torch.arange(1, count + 1)[keep][:, None, None]  # (G, H, W)

        shading = 1 + 0.1 * torch.randn(3, height, width, generator=generator)
        painted = colours[(front - 1).clamp(min=0)].permute(2, 0, 1) * shading  # (H, W, 3) -> (3, H, W)
        image = torch.where(front[None] > 0, painted, image).clamp(0, 1)
        boxes = masks_to_boxes(visible)
        boxes[:, 2:] += 1  # masks_to_boxes gives the last pixel index; a box ends after that pixel
        return image, {"boxes": boxes, "labels": classes[keep] + 1}

    @staticmethod
    def _front_index(masks: Tensor) -> Tensor:
        """1-based index of the front-most (last drawn) shape at each pixel, 0 for background, `[H, W]`."""
        order = torch.arange(1, masks.shape[0] + 1)[:, None, None]
        return (masks * order).amax(dim=0)

    def __repr__(self) -> str:
        return (
            f"ShapesDataset(split={self.split!r}, num_images={self.num_images}, "
            f"image_size={self.image_size}, seed={self.seed}, max_objects={self.max_objects})"
        )
