"""Pascal VOC detection data in the `VOCdevkit/VOC2007` layout.

```
VOCdevkit/VOC2007/
    Annotations/000005.xml          one XML per image (objects, boxes, `difficult` flags)
    ImageSets/Main/trainval.txt     image ids of each split (train, val, trainval, test)
    JPEGImages/000005.jpg
```

All annotations of the split are parsed when the dataset is created, so a malformed file is reported
at once (with its path) instead of in the middle of training; images are decoded lazily. Boxes follow
the usual conversion of VOC's 1-based inclusive pixel coordinates to continuous ones:
`(xmin - 1, ymin - 1, xmax, ymax)`. Boxes outside the image are clipped with a warning.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from paperzoo.data.files import clip_boxes_to_image, read_image

__all__ = ["VOC_CLASSES", "VOCDetection", "find_voc_root"]

# The 20 Pascal VOC classes in the devkit's order; label i + 1 is VOC_CLASSES[i].
VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)  # fmt: skip


def find_voc_root(path: str | Path, year: str = "2007") -> Path:
    """The `VOC<year>` folder given it, its `VOCdevkit` parent, or the folder holding `VOCdevkit`.

    Raises:
        FileNotFoundError: If none of the three is found; the message names the paths tried.
    """
    path = Path(path)
    candidates = [path, path / f"VOC{year}", path / "VOCdevkit" / f"VOC{year}"]
    for candidate in candidates:
        if (candidate / "Annotations").is_dir() and (candidate / "ImageSets" / "Main").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"no Pascal VOC {year} folder (with Annotations/ and ImageSets/Main/) at {tried}")


def _text(node: ET.Element, tag: str, path: Path) -> str:
    child = node.find(tag)
    if child is None or child.text is None:
        raise ValueError(f"annotation file {path}: <{node.tag}> has no <{tag}>")
    return child.text.strip()


def _number(node: ET.Element, tag: str, path: Path) -> float:
    text = _text(node, tag, path)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"annotation file {path}: <{tag}> is {text!r}, not a number") from None


def parse_voc_xml(path: Path) -> dict[str, Tensor]:
    """Parse one VOC annotation file into `boxes`, `labels`, `difficult` and the image `size` `(H, W)`.

    Raises:
        ValueError: If the XML is malformed, a field is missing, a class is unknown or a box is
            degenerate; the message names the file.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"annotation file {path} is not well-formed XML: {exc}") from None
    size = root.find("size")
    if size is None:
        raise ValueError(f"annotation file {path}: no <size> element")
    height, width = int(_number(size, "height", path)), int(_number(size, "width", path))
    boxes, labels, difficult = [], [], []
    for obj in root.iter("object"):
        name = _text(obj, "name", path)
        if name not in VOC_CLASSES:
            raise ValueError(f"annotation file {path}: unknown class {name!r} (expected one of VOC_CLASSES)")
        box = obj.find("bndbox")
        if box is None:
            raise ValueError(f"annotation file {path}: object {name!r} has no <bndbox>")
        x1, y1, x2, y2 = (_number(box, tag, path) for tag in ("xmin", "ymin", "xmax", "ymax"))
        if x2 < x1 or y2 < y1:
            raise ValueError(f"annotation file {path}: object {name!r} has xmax < xmin or ymax < ymin")
        boxes.append([x1 - 1, y1 - 1, x2, y2])
        labels.append(VOC_CLASSES.index(name) + 1)
        flag = obj.find("difficult")
        difficult.append(flag is not None and (flag.text or "0").strip() == "1")
    boxes_t = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    boxes_t, keep = clip_boxes_to_image(boxes_t, height, width, f"annotation file {path}")
    return {
        "boxes": boxes_t,
        "labels": torch.tensor(labels, dtype=torch.int64)[keep],
        "difficult": torch.tensor(difficult, dtype=torch.bool)[keep],
        "size": torch.tensor([height, width]),
    }


class VOCDetection(torch.utils.data.Dataset):
    """Pascal VOC detection split; items are `(image, target)` in torchvision's format.

    `target` holds `"boxes"` (float `[G, 4]`), `"labels"` (int64 `[G]`, 1..20) and `"difficult"`
    (bool `[G]`). Training usually drops difficult objects (`keep_difficult=False`), evaluation keeps
    them so that the VOC metric can ignore them.

    Args:
        root: The `VOC2007` folder, its `VOCdevkit` parent, or the folder holding `VOCdevkit`.
        image_set: Split file in `ImageSets/Main/`, e.g. `"trainval"` or `"test"`.
        year: VOC year of the folder name.
        keep_difficult: Whether targets include objects marked `difficult`.
        transforms: Optional callable `(image, target) -> (image, target)`.

    Raises:
        FileNotFoundError: If the folder, the split file or an annotation file is missing.
        ValueError: If an annotation file is malformed (the message names it).
    """

    classes: tuple[str, ...] = VOC_CLASSES

    def __init__(
        self,
        root: str | Path,
        image_set: str = "trainval",
        year: str = "2007",
        keep_difficult: bool = True,
        transforms: Callable[[Tensor, dict[str, Tensor]], tuple[Tensor, dict[str, Tensor]]] | None = None,
    ) -> None:
        self.root = find_voc_root(root, year)
        split_file = self.root / "ImageSets" / "Main" / f"{image_set}.txt"
        if not split_file.is_file():
            raise FileNotFoundError(f"split file {split_file} does not exist")
        self.ids = [line.split()[0] for line in split_file.read_text().splitlines() if line.strip()]
        self.keep_difficult = keep_difficult
        self.transforms = transforms
        self.annotations = []
        for image_id in self.ids:
            xml_path = self.root / "Annotations" / f"{image_id}.xml"
            if not xml_path.is_file():
                raise FileNotFoundError(f"annotation file {xml_path} (listed in {split_file}) does not exist")
            self.annotations.append(parse_voc_xml(xml_path))

    @property
    def num_classes(self) -> int:
        """Number of classes including the background (label 0): 21."""
        return len(VOC_CLASSES) + 1

    def __len__(self) -> int:
        return len(self.ids)

    def image_files(self) -> list[Path]:
        """The image file of every item, in order."""
        return [self.root / "JPEGImages" / f"{image_id}.jpg" for image_id in self.ids]

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        image_path = self.root / "JPEGImages" / f"{self.ids[index]}.jpg"
        image = read_image(image_path)
        annotation = self.annotations[index]
        if tuple(image.shape[1:]) != tuple(annotation["size"].tolist()):
            raise ValueError(
                f"image file {image_path} has size (H, W) = {tuple(image.shape[1:])} but its annotation "
                f"says {tuple(annotation['size'].tolist())}"
            )
        keep = torch.ones_like(annotation["difficult"]) if self.keep_difficult else ~annotation["difficult"]
        target = {key: annotation[key][keep] for key in ("boxes", "labels", "difficult")}
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target
