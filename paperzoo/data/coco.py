"""COCO-format detection data (an instances JSON plus an image folder), read through `pycocotools`.

COCO's category ids are sparse (1..90 for COCO itself); they are mapped to contiguous labels
`1..K` in increasing id order, and [`COCODetection.category_ids`][paperzoo.data.coco.COCODetection]
maps them back for `pycocotools.COCOeval`. Crowd annotations (`iscrowd = 1`) are kept in the
`"iscrowd"` field and left out of training targets by default, as in torchvision's references.
Boxes outside the image are clipped with a warning; zero-area boxes are dropped. Every entry is
checked when the dataset is created, so a malformed one stops at once with the file, the entry and
the problem, not in the middle of an epoch.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from paperzoo.data.files import clip_boxes_to_image, read_image
from paperzoo.extras import require

__all__ = ["COCODetection", "find_coco_split"]


def find_coco_split(root: str | Path, split: str) -> tuple[Path, Path]:
    """`(image_folder, annotation_file)` of a split in the COCO layout.

    The layout is `ROOT/annotations/instances_<split>.json` with images in `ROOT/<split>/`, e.g.
    `split="val2017"`.

    Raises:
        FileNotFoundError: If the folder or the annotation file is missing.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"COCO dataset folder {root} does not exist")
    annotation_file = root / "annotations" / f"instances_{split}.json"
    if not annotation_file.is_file():
        raise FileNotFoundError(f"COCO annotation file {annotation_file} does not exist")
    return root / split, annotation_file


def _load_coco(annotation_file: Path):
    COCO = require("pycocotools.coco", "COCO-format data").COCO

    try:
        data = json.loads(annotation_file.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"annotation file {annotation_file} is not valid JSON: {exc}") from None
    missing = [key for key in ("images", "annotations", "categories") if key not in data]
    if not isinstance(data, dict) or missing:
        raise ValueError(f"annotation file {annotation_file} is not COCO instances JSON (missing {missing})")
    _check_entries(data, annotation_file)
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        try:
            coco.createIndex()
        except (KeyError, TypeError) as exc:
            raise ValueError(f"annotation file {annotation_file} has a malformed entry: {exc!r}") from None
    return coco


def _check_entries(data: dict, annotation_file: Path) -> None:
    """Check the fields paperzoo reads of every image, category and annotation entry.

    Raises:
        ValueError: Naming the file, the first bad entry and what is wrong with it.
    """

    def fail(kind: str, index: int, problem: str) -> None:
        raise ValueError(f"annotation file {annotation_file}: {kind}[{index}] {problem}")

    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    for key in ("images", "annotations", "categories"):
        if not isinstance(data[key], list) or not all(isinstance(entry, dict) for entry in data[key]):
            raise ValueError(f"annotation file {annotation_file}: {key!r} is not a list of objects")
    image_ids = set()
    for index, image in enumerate(data["images"]):
        if not is_int(image.get("id")) or not isinstance(image.get("file_name"), str):
            fail("images", index, "needs an integer 'id' and a string 'file_name'")
        if not all(is_int(image.get(key)) and image[key] > 0 for key in ("width", "height")):
            fail("images", index, "needs positive integer 'width' and 'height'")
        image_ids.add(image["id"])
    category_ids = set()
    for index, category in enumerate(data["categories"]):
        if not is_int(category.get("id")) or not isinstance(category.get("name"), str):
            fail("categories", index, "needs an integer 'id' and a string 'name'")
        category_ids.add(category["id"])
    for index, annotation in enumerate(data["annotations"]):
        if annotation.get("image_id") not in image_ids:
            fail("annotations", index, f"names image_id {annotation.get('image_id')!r}, not in 'images'")
        if annotation.get("category_id") not in category_ids:
            fail(
                "annotations",
                index,
                f"names category_id {annotation.get('category_id')!r}, not in 'categories'",
            )
        box = annotation.get("bbox")
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in box)
            or min(box[2:]) < 0
        ):
            fail("annotations", index, f"has bbox {box!r}; expected [x, y, width, height], finite, width and height >= 0")  # fmt: skip


class COCODetection(torch.utils.data.Dataset):
    """A COCO-format detection split; items are `(image, target)` in torchvision's format.

    `target` holds `"boxes"` (float `[G, 4]`, `x1, y1, x2, y2`), `"labels"` (int64 `[G]`, 1..K),
    `"iscrowd"` (bool `[G]`) and `"image_id"` (the COCO image id).

    Args:
        image_folder: Folder of the image files named in the JSON's `file_name` fields.
        annotation_file: The COCO instances JSON.
        keep_crowd: Whether targets include crowd annotations.
        transforms: Optional callable `(image, target) -> (image, target)`.

    Raises:
        FileNotFoundError: If the folder or the JSON is missing.
        ValueError: If the JSON is malformed (the message names the file).
    """

    def __init__(
        self,
        image_folder: str | Path,
        annotation_file: str | Path,
        keep_crowd: bool = False,
        transforms: Callable[[Tensor, dict[str, Tensor]], tuple[Tensor, dict[str, Tensor]]] | None = None,
    ) -> None:
        self.image_folder = Path(image_folder)
        self.annotation_file = Path(annotation_file)
        if not self.image_folder.is_dir():
            raise FileNotFoundError(f"COCO image folder {self.image_folder} does not exist")
        if not self.annotation_file.is_file():
            raise FileNotFoundError(f"COCO annotation file {self.annotation_file} does not exist")
        self.coco = _load_coco(self.annotation_file)
        self.category_ids: list[int] = sorted(self.coco.getCatIds())
        names = {c["id"]: c["name"] for c in self.coco.loadCats(self.category_ids)}
        self.classes: tuple[str, ...] = tuple(names[i] for i in self.category_ids)
        self.ids: list[int] = sorted(self.coco.getImgIds())
        self.keep_crowd = keep_crowd
        self.transforms = transforms

    @property
    def num_classes(self) -> int:
        """Number of classes including the background (label 0)."""
        return len(self.category_ids) + 1

    def __len__(self) -> int:
        return len(self.ids)

    def image_files(self) -> list[Path]:
        """The image file of every item, in order."""
        return [self.image_folder / self.coco.imgs[image_id]["file_name"] for image_id in self.ids]

    def annotation(self, index: int) -> dict[str, Tensor]:
        """The target of image `index` without decoding the image (boxes clipped to the image)."""
        image_id = self.ids[index]
        info = self.coco.imgs[image_id]
        records = self.coco.imgToAnns.get(image_id, [])
        source = f"annotation file {self.annotation_file} (image id {image_id})"
        try:
            xywh = torch.tensor([r["bbox"] for r in records], dtype=torch.float32).reshape(-1, 4)
            labels = torch.tensor([self.category_ids.index(r["category_id"]) + 1 for r in records])
            crowd = torch.tensor([bool(r.get("iscrowd", 0)) for r in records], dtype=torch.bool)
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{source}: malformed annotation: {exc!r}") from None
        boxes = torch.cat([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], dim=1)  # (G, 4) xywh -> xyxy
        boxes, keep = clip_boxes_to_image(boxes, int(info["height"]), int(info["width"]), source)
        return {
            "boxes": boxes,
            "labels": labels.reshape(-1)[keep].long(),
            "iscrowd": crowd[keep],
            "image_id": torch.tensor(image_id),
        }

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        target = self.annotation(index)
        image_path = self.image_folder / self.coco.imgs[self.ids[index]]["file_name"]
        image = read_image(image_path)
        info = self.coco.imgs[self.ids[index]]
        if tuple(image.shape[1:]) != (info["height"], info["width"]):
            raise ValueError(
                f"image file {image_path} has size (H, W) = {tuple(image.shape[1:])} but {self.annotation_file} "
                f"says {(info['height'], info['width'])} (after EXIF orientation)"
            )
        if not self.keep_crowd:
            keep = ~target["iscrowd"]
            target = {**target, "boxes": target["boxes"][keep], "labels": target["labels"][keep],
                      "iscrowd": target["iscrowd"][keep]}  # fmt: skip
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target
