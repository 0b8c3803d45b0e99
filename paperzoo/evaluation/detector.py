"""Run a detector over a dataset and score it with the VOC and COCO metrics."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from paperzoo.data import collate_detection
from paperzoo.evaluation.coco import coco_from_targets, evaluate_coco
from paperzoo.evaluation.voc import evaluate_voc
from paperzoo.extras import has_module

__all__ = ["evaluate_detector", "predict", "score_detections"]


@torch.inference_mode()
def predict(
    model: nn.Module,
    dataset: torch.utils.data.Dataset,
    device: str | torch.device = "cpu",
    batch_size: int = 8,
    num_workers: int = 0,
    progress: bool = False,
) -> tuple[list[dict[str, Tensor]], list[dict[str, Tensor]]]:
    """Detections of `model` (in eval mode) on every image of `dataset`, and the dataset's targets.

    Returns:
        `(predictions, targets)`, one dict per image, on the CPU, in dataset order.
    """
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, collate_fn=collate_detection
    )
    was_training = model.training
    model.eval()
    predictions, targets = [], []
    try:
        for images, batch_targets in tqdm(loader, desc="eval", disable=not progress, leave=False):
            outputs = model([image.to(device) for image in images])
            predictions.extend({key: value.cpu() for key, value in output.items()} for output in outputs)
            targets.extend(batch_targets)
    finally:  # an interrupted evaluation leaves the model in the mode it was given in
        model.train(was_training)
    return predictions, targets


def score_detections(
    predictions: Sequence[dict[str, Tensor]], targets: Sequence[dict[str, Tensor]], dataset
) -> dict[str, float]:
    """VOC mAP@0.5 (area and VOC2007 11-point) and COCO mAP / AP50 / AP75 of detections on `dataset`.

    A COCO-format dataset is scored against its own annotation file (crowd boxes included, with the
    original image and category ids), so the COCO numbers are the official ones. Without pycocotools
    (the `coco` extra) the COCO metrics are left out, with a warning, and the VOC ones still computed.
    """
    metrics = {
        "voc_map": evaluate_voc(predictions, targets, dataset.num_classes)["map"],
        "voc07_map": evaluate_voc(predictions, targets, dataset.num_classes, use_07_metric=True)["map"],
    }
    if not has_module("pycocotools"):
        warnings.warn(
            "COCO mAP skipped: pycocotools is not installed (pip install 'paperzoo[coco]')", stacklevel=2
        )
        return metrics
    if hasattr(dataset, "coco"):
        coco = evaluate_coco(predictions, dataset.coco, dataset.ids, dataset.category_ids)
    else:
        coco = evaluate_coco(predictions, coco_from_targets(targets, dataset.num_classes))
    metrics.update(coco_map=coco["map"], coco_ap50=coco["ap50"], coco_ap75=coco["ap75"])
    return metrics


def evaluate_detector(
    model: nn.Module,
    dataset: torch.utils.data.Dataset,
    device: str | torch.device = "cpu",
    batch_size: int = 8,
    num_workers: int = 0,
    progress: bool = False,
) -> dict[str, float]:
    """[`predict`][paperzoo.evaluation.predict] then [`score_detections`][paperzoo.evaluation.score_detections]."""
    predictions, targets = predict(model, dataset, device, batch_size, num_workers, progress)
    return score_detections(predictions, targets, dataset)
