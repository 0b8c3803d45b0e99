"""Detection datasets: the generated `shapes` set (the default, no download), Pascal VOC and COCO.

Every dataset yields `(image, target)` with `image` a float `[3, H, W]` tensor in `[0, 1]` and
`target` a dict with `"boxes"` (float `[G, 4]`, absolute `x1, y1, x2, y2`) and `"labels"` (int64
`[G]`, 0 is the background), the format of torchvision's detection models; each has `classes` (the
object class names, label `i + 1` is `classes[i]`) and `num_classes` (including the background).

The command line names datasets with a short spec, read by
[`dataset_from_spec`][paperzoo.data.dataset_from_spec]: `shapes`, `voc:PATH` or `coco:PATH`.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torch.utils.data import Dataset

from paperzoo.data.coco import COCODetection, find_coco_split
from paperzoo.data.shapes import CLASSES, ShapesDataset
from paperzoo.data.voc import VOC_CLASSES, VOCDetection
from paperzoo.extras import require

__all__ = [
    "CLASSES",
    "COCODetection",
    "ShapesDataset",
    "VOCDetection",
    "VOC_CLASSES",
    "collate_detection",
    "dataset_from_spec",
]

# Split names of each on-disk format for the "train" and "val" roles.
VOC_SPLITS = {"train": "trainval", "val": "test"}
COCO_SPLITS = {"train": "train2017", "val": "val2017"}


def collate_detection(batch: list[tuple[Tensor, dict[str, Tensor]]]) -> tuple[list[Tensor], list[dict]]:
    """Collate `(image, target)` pairs into a list of images and a list of targets.

    Detection images may differ in size and targets in box count, so nothing is stacked: the
    models take lists, as in torchvision.
    """
    images, targets = zip(*batch, strict=True)
    return list(images), list(targets)


def dataset_from_spec(spec: str, split: str, **shapes_options: Any) -> Dataset:
    """Build a dataset from a command-line spec.

    Args:
        spec: `"shapes"`, `"voc:PATH"` (a `VOCdevkit/VOC2007` tree; train = `trainval`,
            val = `test`) or `"coco:PATH"` (`PATH/annotations/instances_train2017.json` and
            `PATH/train2017/`, likewise `val2017`).
        split: `"train"` or `"val"`.
        **shapes_options: Keyword arguments of [`ShapesDataset`][paperzoo.data.ShapesDataset]
            (`num_images`, `image_size`, `seed`, ...); ignored for VOC and COCO.

    Returns:
        The dataset (VOC training sets leave out `difficult` objects; evaluation sets keep them).

    Raises:
        ValueError: If the spec or split is not understood.
        FileNotFoundError: If the dataset folder is missing.
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    kind, _, path = spec.partition(":")
    if kind == "shapes" and not path:
        return ShapesDataset(split=split, **shapes_options)
    if kind in ("voc", "coco") and not path:
        raise ValueError(f"data spec {spec!r} needs a path, e.g. '{kind}:/data/{kind}'")
    if kind == "voc":
        return VOCDetection(path, image_set=VOC_SPLITS[split], keep_difficult=split == "val")
    if kind == "coco":
        require("pycocotools", "COCO-format data")  # before looking for files: say what to install first
        return COCODetection(*find_coco_split(path, COCO_SPLITS[split]))
    raise ValueError(f"unknown data spec {spec!r}; expected 'shapes', 'voc:PATH' or 'coco:PATH'")
