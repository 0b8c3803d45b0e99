"""Pascal VOC mean average precision (the devkit's `VOCevaldet` / `voc_eval.py` rules), vectorised.

Rules, as in the devkit: detections of a class are ranked by score over the whole dataset; each
detection takes the ground-truth box of its class and image with the highest IoU; if that IoU is
above the threshold (strictly, `> 0.5`) the detection is a true positive when it is the first
(highest-scoring) detection to claim that box, a false positive otherwise; a detection whose box is
marked `difficult` counts as neither, and difficult boxes are not in the recall denominator.
AP is the area under the interpolated precision-recall curve (VOC2010+), or the 11-point average of
VOC2007 (`use_07_metric=True`).

Because each detection's box is its best-IoU box *regardless* of earlier matches (unlike COCO, which
moves on to the next free box), the matching needs no sequential loop: "first detection to claim the
box" is a scatter-min over the ranked detections.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchvision.ops import box_iou

__all__ = ["evaluate_voc", "voc_ap"]


def voc_ap(recall: Tensor, precision: Tensor, use_07_metric: bool = False) -> float:
    """Average precision from a precision-recall curve (detections ranked by decreasing score).

    Args:
        recall: Recall after each ranked detection, non-decreasing.
        precision: Precision after each ranked detection.
        use_07_metric: VOC2007's 11-point average (precision at recall 0, 0.1, ..., 1) instead of
            the area under the interpolated curve.

    Returns:
        The average precision, in `[0, 1]`.
    """
    if recall.numel() == 0:  # no detection of the class
        return 0.0
    recall, precision = recall.double(), precision.double()
    if use_07_metric:
        thresholds = torch.linspace(0, 1, 11, dtype=torch.float64)
        reached = recall[None, :] >= thresholds[:, None]  # (11, D)
        best = torch.where(reached, precision[None, :], torch.zeros((), dtype=torch.float64)).amax(dim=1)
        return float(best.mean())
    mrec = torch.cat([torch.zeros(1, dtype=torch.float64), recall, torch.ones(1, dtype=torch.float64)])
    mpre = torch.cat([torch.zeros(1, dtype=torch.float64), precision, torch.zeros(1, dtype=torch.float64)])
    # Interpolated precision: the best precision at any recall at least as high (a right-to-left cummax).
    mpre = mpre.flip(0).cummax(0).values.flip(0)
    changes = torch.nonzero(mrec[1:] != mrec[:-1]).flatten()
    return float(((mrec[changes + 1] - mrec[changes]) * mpre[changes + 1]).sum())


def _match(
    predictions: Sequence[dict[str, Tensor]], targets: Sequence[dict[str, Tensor]], iou_threshold: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Per detection: its class, its score, and its best ground-truth box (global index) or -1."""
    labels, scores, best_gt = [], [], []
    offset = 0
    # One IoU matrix per image (torchvision's box_iou is not batched); everything after is global.
    for prediction, target in zip(predictions, targets, strict=True):
        iou = box_iou(prediction["boxes"].float(), target["boxes"].float())  # (P_i, G_i)
        same_class = prediction["labels"][:, None] == target["labels"][None, :]
        iou = torch.where(same_class, iou, torch.full_like(iou, -1.0))
        if iou.shape[1] > 0:
            overlap, index = iou.max(dim=1)
        else:
            overlap = torch.full((iou.shape[0],), -1.0)
            index = torch.zeros(iou.shape[0], dtype=torch.int64)
        labels.append(prediction["labels"])
        scores.append(prediction["scores"].float())
        best_gt.append(torch.where(overlap > iou_threshold, index + offset, -1))
        offset += target["boxes"].shape[0]
    return torch.cat(labels).long(), torch.cat(scores), torch.cat(best_gt)


def evaluate_voc(
    predictions: Sequence[dict[str, Tensor]],
    targets: Sequence[dict[str, Tensor]],
    num_classes: int,
    iou_threshold: float = 0.5,
    use_07_metric: bool = False,
) -> dict[str, object]:
    """Pascal VOC mAP of detections against ground truth.

    Args:
        predictions: One dict per image with `"boxes"` `[P, 4]` (`x1, y1, x2, y2`), `"scores"` `[P]`
            and `"labels"` `[P]`, as a detector in eval mode returns them.
        targets: One dict per image with `"boxes"` `[G, 4]`, `"labels"` `[G]` and optionally
            `"difficult"` (bool `[G]`).
        num_classes: Number of classes including the background 0.
        iou_threshold: IoU a detection must exceed to match a box.
        use_07_metric: VOC2007's 11-point AP instead of the area under the curve.

    Returns:
        `{"map": float, "ap": list[float]}`, where `ap[c - 1]` is the AP of class `c` (NaN for a
            class with no non-difficult ground truth; such classes are left out of `map`).
    """
    if len(predictions) != len(targets):
        raise ValueError(f"got {len(predictions)} predictions for {len(targets)} targets")
    labels, scores, best_gt = _match(predictions, targets, iou_threshold)
    gt_labels = torch.cat([t["labels"].reshape(-1).long() for t in targets])
    difficult = torch.cat(
        [t.get("difficult", torch.zeros(t["labels"].shape[0], dtype=torch.bool)).reshape(-1) for t in targets]
    )
    # Rank by class, then by decreasing score (stable, as VOC and COCO use mergesort for ties).
    order = torch.sort(scores, descending=True, stable=True).indices
    order = order[torch.sort(labels[order], stable=True).indices]
    labels, best_gt = labels[order], best_gt[order]
    matched = best_gt >= 0
    # Index -1 (unmatched) reads the appended False, also when there is no ground truth at all.
    hits_difficult = torch.cat([difficult, difficult.new_zeros(1)])[best_gt]
    # The first ranked detection to claim a box is a true positive; later ones are duplicates.
    rank = torch.arange(len(order))
    first = torch.full((gt_labels.numel() + 1,), len(order), dtype=torch.int64)
    first = first.scatter_reduce(0, best_gt.clamp(min=-1) + 1, rank, reduce="amin")
    true_positive = matched & ~hits_difficult & (first[best_gt + 1] == rank)
    false_positive = ~true_positive & ~hits_difficult
    positives = torch.bincount(gt_labels[~difficult], minlength=num_classes)

    aps = []
    for cls in range(1, num_classes):  # per-class curves: K short cumsums
        in_class = labels == cls
        tp = true_positive[in_class].double().cumsum(0)
        fp = false_positive[in_class].double().cumsum(0)
        if positives[cls] == 0:
            aps.append(float("nan"))
            continue
        recall = tp / positives[cls]
        precision = tp / (tp + fp).clamp(min=torch.finfo(torch.float64).eps)
        aps.append(voc_ap(recall, precision, use_07_metric))
    valid = [ap for ap in aps if ap == ap]
    return {"map": sum(valid) / len(valid) if valid else 0.0, "ap": aps}
