"""SSD's data augmentation, composed from `torchvision.transforms.v2`.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2 "Data augmentation" and Sec. 3.6 (the "zoom out" behind the SSD300* / SSD512* models):

1. photometric distortion (brightness, contrast, saturation, hue, channel order), as Howard's
   "Some improvements on deep CNN based image classification";
2. zoom out: with probability 0.5 place the image on a canvas up to 4× as large (16× the area),
   filled with the dataset mean (the paper and the Caffe `expand_param`; the original notes fill
   with zeros instead; both are a `fill` argument here);
3. random crop: keep the whole image, or sample a patch whose IoU with some object is at least
   0.1, 0.3, 0.5, 0.7 or 0.9, or any patch; patch scale in [0.3, 1] of the side, aspect ratio in
   [0.5, 2]; only boxes whose centre lies in the patch are kept;
4. horizontal flip with probability 0.5, then resize to the network's square input.

Every step is torchvision's (`RandomPhotometricDistort`, `RandomZoomOut`, `RandomIoUCrop`,
`RandomHorizontalFlip`, `Resize`), which transform the image and its `tv_tensors.BoundingBoxes`
together; `SanitizeBoundingBoxes` then drops the boxes the crop marked invalid or the resize made
smaller than a pixel, with their labels. Targets follow torchvision's detection format:
`{"boxes": tv_tensors.BoundingBoxes (XYXY), "labels": int64 tensor}`.

`RandomIoUCrop` needs at least one box to accept a patch, so an image without objects is never
cropped (it still gets the other steps).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

__all__ = ["CAFFE_MEAN", "ssd_eval_transforms", "ssd_train_transforms", "to_target"]

#: Caffe SSD's per-channel mean (R, G, B) = (123, 117, 104) / 255, the zoom-out canvas of the paper.
CAFFE_MEAN: tuple[float, float, float] = (123 / 255, 117 / 255, 104 / 255)


def to_target(
    boxes: torch.Tensor, labels: torch.Tensor, canvas_size: tuple[int, int]
) -> dict[str, torch.Tensor]:
    """Wrap plain `x1, y1, x2, y2` pixel boxes and labels into the target the transforms expect.

    Args:
        boxes: `[G, 4]` boxes in pixels.
        labels: `[G]` int64 labels.
        canvas_size: `(H, W)` of the image the boxes belong to.
    """
    return {
        "boxes": tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=tuple(canvas_size)),
        "labels": labels,
    }


def ssd_train_transforms(
    size: int | tuple[int, int] = 300,
    *,
    fill: float | Sequence[float] = CAFFE_MEAN,
    max_zoom_out: float = 4.0,
    zoom_out_p: float = 0.5,
    hflip_p: float = 0.5,
) -> v2.Compose:
    """The paper's training augmentation, ending in a float `[3, H, W]` image in `[0, 1]`.

    Call it as `image, target = transform(image, target)`, with the image a tensor,
    `tv_tensors.Image` or PIL image and the target from
    [`to_target`][paperzoo.detection.ssd_transforms.to_target].

    Args:
        size: Network input side (or `(H, W)`).
        fill: Zoom-out canvas colour in `[0, 1]` per channel: the dataset mean as in the paper
            (default: Caffe's mean), or `0` as in the original notes.
        max_zoom_out: Largest canvas side relative to the image (4 in the paper).
        zoom_out_p: Probability of zooming out (0.5 in the Caffe configuration).
        hflip_p: Probability of a horizontal flip.
    """
    if max_zoom_out < 1:
        raise ValueError(f"max_zoom_out must be at least 1, got {max_zoom_out}")
    fill_values = [float(fill)] * 3 if isinstance(fill, (int, float)) else [float(v) for v in fill]
    if len(fill_values) != 3 or not all(0.0 <= v <= 1.0 for v in fill_values):
        raise ValueError(
            f"fill must be one value or 3 values in [0, 1] (the image is float there), got {fill}"
        )
    return v2.Compose(
        [
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),  # so `fill` and the distortions work in [0, 1]
            v2.RandomPhotometricDistort(p=0.5),
            v2.RandomZoomOut(
                fill={tv_tensors.Image: fill_values, "others": 0},
                side_range=(1.0, max_zoom_out),
                p=zoom_out_p,
            ),
            v2.RandomIoUCrop(min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0),
            v2.RandomHorizontalFlip(p=hflip_p),
            v2.Resize(_pair(size), antialias=True),
            v2.ClampBoundingBoxes(),
            v2.SanitizeBoundingBoxes(min_size=1.0),
        ]
    )


def ssd_eval_transforms(size: int | tuple[int, int] = 300) -> v2.Compose:
    """Evaluation preprocessing: resize to the network input and convert to float in `[0, 1]`."""
    return v2.Compose(
        [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Resize(_pair(size), antialias=True)]
    )


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
