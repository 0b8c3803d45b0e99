"""Training augmentations that plug into the datasets' `transforms` argument.

The datasets return plain tensors; torchvision's `transforms.v2` needs the boxes wrapped as
`tv_tensors.BoundingBoxes` to move them with the image. [`DetectionAugmentation`][paperzoo.data.augment.DetectionAugmentation]
wraps, applies a v2 pipeline, and unwraps, so any model's augmentation (SSD's photometric distortion,
zoom-out and IoU crop from `paperzoo.detection.ssd_transforms`) works with every dataset here. R-FCN's
multi-scale training needs nothing here: its model resizes each batch to a random scale itself.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor
from torchvision import tv_tensors

__all__ = ["AUGMENTATIONS", "DetectionAugmentation", "build_augmentation"]


class DetectionAugmentation:
    """Apply a `torchvision.transforms.v2` pipeline to a `(image, target)` pair of plain tensors.

    Args:
        transform: A v2 transform taking `(image, {"boxes": BoundingBoxes, "labels": ...})`.
    """

    def __init__(self, transform: Callable) -> None:
        self.transform = transform

    def __call__(self, image: Tensor, target: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        boxes = tv_tensors.BoundingBoxes(target["boxes"], format="XYXY", canvas_size=tuple(image.shape[-2:]))
        image, out = self.transform(tv_tensors.Image(image), {"boxes": boxes, "labels": target["labels"]})
        return image.as_subclass(Tensor), {"boxes": out["boxes"].as_subclass(Tensor), "labels": out["labels"]}

    def __repr__(self) -> str:
        return f"DetectionAugmentation({self.transform!r})"


def _ssd(size: tuple[int, int]) -> DetectionAugmentation:
    from paperzoo.detection.ssd_transforms import ssd_train_transforms

    return DetectionAugmentation(ssd_train_transforms(size))


# Recipe name of an augmentation -> builder taking the network input size (H, W).
AUGMENTATIONS: dict[str, Callable[[tuple[int, int]], DetectionAugmentation]] = {"ssd": _ssd}


def build_augmentation(name: str | None, size: tuple[int, int]) -> DetectionAugmentation | None:
    """The augmentation `name` (`None` for none) for a network input of `size` `(H, W)`.

    Raises:
        ValueError: If the name is unknown.
    """
    if name is None:
        return None
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; expected one of {sorted(AUGMENTATIONS)} or None")
    return AUGMENTATIONS[name](tuple(size))
