"""COCO mAP, AP50 and AP75 computed by `pycocotools.COCOeval` itself (not a re-implementation).

Ground truth either comes from a COCO annotation file (a `pycocotools.coco.COCO` object, used as
is) or is built in memory from torchvision-format targets; in the latter case a VOC `difficult` box
becomes a COCO crowd box, which COCOeval ignores (neither matched nor missed), the nearest COCO
analogue of VOC's rule.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from paperzoo.extras import require

if TYPE_CHECKING:  # pycocotools is an optional dependency (the `coco` extra)
    from pycocotools.coco import COCO

__all__ = ["coco_from_targets", "evaluate_coco"]


def _xywh(boxes: Tensor) -> Tensor:
    return torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1)  # (N, 4) xyxy -> xywh


def coco_from_targets(targets: Sequence[dict[str, Tensor]], num_classes: int):
    """A `pycocotools.coco.COCO` ground truth built from targets (image id = index, category = label).

    A target may carry `"difficult"` (VOC) or `"iscrowd"` (COCO) flags; both become `iscrowd = 1`.
    """
    COCO = require("pycocotools.coco", "COCO mAP").COCO
    images, annotations = [], []
    for image_id, target in enumerate(targets):
        boxes = target["boxes"].float().reshape(-1, 4)
        flags = target.get("difficult", target.get("iscrowd", torch.zeros(len(boxes), dtype=torch.bool)))
        images.append({"id": image_id})
        for box, label, crowd in zip(
            _xywh(boxes).tolist(), target["labels"].tolist(), flags.tolist(), strict=True
        ):
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image_id, "category_id": int(label),
                 "bbox": box, "area": box[2] * box[3], "iscrowd": int(crowd)}
            )  # fmt: skip
    coco = COCO()
    coco.dataset = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c} for c in range(1, num_classes)],
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        coco.createIndex()
    return coco


def evaluate_coco(
    predictions: Sequence[dict[str, Tensor]],
    coco_gt: COCO,
    image_ids: Sequence[int] | None = None,
    category_ids: Sequence[int] | None = None,
) -> dict[str, float]:
    """COCO box metrics of detections, through `pycocotools.COCOeval`.

    Args:
        predictions: One dict per image (`"boxes"` xyxy, `"scores"`, `"labels"`), in the order of
            `image_ids`.
        coco_gt: A `pycocotools.coco.COCO` ground truth (e.g. from
            [`coco_from_targets`][paperzoo.evaluation.coco_from_targets]).
        image_ids: COCO image id of each prediction; default `0..N-1`.
        category_ids: COCO category id of each label `1..K` (`category_ids[label - 1]`); default
            the label itself.

    Returns:
        `{"map", "ap50", "ap75"}` (COCOeval's `stats[0:3]`: AP at IoU 0.50:0.95, 0.50 and 0.75,
            all areas, 100 detections per image), plus `"stats"`, all twelve numbers.
    """
    COCOeval = require("pycocotools.cocoeval", "COCO mAP").COCOeval

    image_ids = list(range(len(predictions))) if image_ids is None else list(image_ids)
    if len(image_ids) != len(predictions):
        raise ValueError(f"got {len(image_ids)} image_ids for {len(predictions)} predictions")
    results = []
    for image_id, prediction in zip(image_ids, predictions, strict=True):
        labels = prediction["labels"].tolist()
        categories = labels if category_ids is None else [category_ids[label - 1] for label in labels]
        boxes = _xywh(prediction["boxes"].float().reshape(-1, 4)).tolist()
        for box, score, category in zip(boxes, prediction["scores"].tolist(), categories, strict=True):
            results.append({"image_id": image_id, "category_id": category, "bbox": box, "score": score})
    if not results:  # loadRes cannot take an empty list; no detection means zero AP
        return {"map": 0.0, "ap50": 0.0, "ap75": 0.0, "stats": [0.0] * 12}
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), iouType="bbox")
        evaluator.params.imgIds = image_ids
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [float(s) for s in evaluator.stats]
    return {"map": stats[0], "ap50": stats[1], "ap75": stats[2], "stats": stats}
