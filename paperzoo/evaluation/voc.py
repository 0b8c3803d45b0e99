"""Pascal VOC mean average precision (the devkit's `VOCevaldet` / `voc_eval.py` rules), vectorised.

Rules, as in the devkit: detections of a class are ranked by score over the whole dataset; each
detection takes the ground-truth box of its class and image with the highest IoU; if that IoU is
above the threshold (strictly, `> 0.5`) the detection is a true positive when it is the first
(highest-scoring) detection to claim that box, a false positive otherwise; a detection whose box is
marked `difficult` counts as neither, and difficult boxes are not in the recall denominator.
AP is the area under the interpolated precision-recall curve (VOC2010+), or the 11-point average of
VOC2007 (`use_07_metric=True`), by default with the thresholds of the official MATLAB devkit (see
[`voc_ap`][paperzoo.evaluation.voc.voc_ap] for the three rules in use and where they disagree).

Because each detection's box is its best-IoU box *regardless* of earlier matches (unlike COCO, which
moves on to the next free box), the matching needs no sequential loop: "first detection to claim the
box" is a scatter-min over the ranked detections.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor
from torchvision.ops import box_iou

__all__ = ["ELEVEN_POINT_RULES", "evaluate_voc", "matlab_colon", "voc_ap"]

# The 11-point rules of VOC2007's three reference implementations (see `voc_ap`).
ELEVEN_POINT_RULES = ("voc07_devkit", "python_port", "caffe_ssd")


def matlab_colon(a: float, d: float, b: float) -> list[float]:
    """MATLAB's `a:d:b` for doubles, value for value (the algorithm of MathWorks' `colonop.m`).

    MATLAB does not add `d` repeatedly, nor compute `a + k·d` throughout: with `n` intervals, the first
    half of the points is `a + k·d` and the second half `b - (n - k)·d` (with `b` snapped to
    `a + n·d` when within 2 eps), and the middle point of an even `n` is `(a + b) / 2`. So in
    `0:0.1:1`, 0.3 is `3·0.1 = 0.30000000000000004` while 0.7 is `1 - 3·0.1`, the double nearest 0.7.
    """
    if d == 0 or not all(map(math.isfinite, (a, d, b))) or (b - a) * d < 0:
        raise ValueError(
            f"matlab_colon needs finite a, d, b with d != 0 pointing from a to b, got {a}, {d}, {b}"
        )
    tol = 2.0 * math.ulp(1.0) * max(abs(a), abs(b))
    sign = math.copysign(1.0, d)
    n = round((b - a) / d)
    if sign * (a + n * d - b) > tol:
        n -= 1
    c = b if sign * (a + n * d - b) > -tol else a + n * d
    v = [0.0] * (n + 1)
    for k in range(n // 2 + 1):
        v[k] = a + k * d
        v[n - k] = c - k * d
    if n % 2 == 0:
        v[n // 2] = (a + c) / 2
    return v


# Recall thresholds of each rule, in float64: MATLAB's `0:0.1:1`, numpy's `arange(0., 1.1, 0.1)`
# (`a + k·d` throughout) and Caffe's `j / 10.`.
_THRESHOLDS = {
    "voc07_devkit": matlab_colon(0.0, 0.1, 1.0),
    "python_port": [k * 0.1 for k in range(11)],
    "caffe_ssd": [j / 10.0 for j in range(11)],
}


def _eleven_point_ap(recall: Tensor, precision: Tensor, rule: str) -> float:
    if rule not in ELEVEN_POINT_RULES:
        raise ValueError(f"eleven_point must be one of {ELEVEN_POINT_RULES}, got {rule!r}")
    dtype = torch.float32 if rule == "caffe_ssd" else torch.float64  # Caffe keeps rec and prec in floats
    recall, precision = recall.to(dtype), precision.to(dtype)
    thresholds = torch.tensor(_THRESHOLDS[rule], dtype=torch.float64)
    reached = recall.double()[None, :] >= thresholds[:, None]  # (11, D); Caffe compares float to double
    best = torch.where(reached, precision[None, :], torch.zeros((), dtype=dtype)).amax(dim=1)  # (11,)
    # Summed as the reference loops do: `ap = ap + p/11` from t = 0 (MATLAB, Python), from j = 10 in
    # floats (Caffe); the order changes the last bits of the result.
    ap = torch.zeros((), dtype=dtype)
    for p in best.flip(0) if rule == "caffe_ssd" else best:
        ap = ap + p / 11
    return float(ap)


def voc_ap(
    recall: Tensor, precision: Tensor, use_07_metric: bool = False, eleven_point: str = "voc07_devkit"
) -> float:
    """Average precision from a precision-recall curve (detections ranked by decreasing score).

    VOC2007's 11-point AP averages the best precision at recall ≥ t for t = 0, 0.1, ..., 1. Its three
    reference implementations write those thresholds differently, and since 0.1 is not exact in
    binary they compare against different doubles:

    | `eleven_point` | implementation | 0.3 | 0.6 | 0.7 |
    |---|---|---|---|---|
    | `"voc07_devkit"` (default) | official MATLAB devkit, `for t=0:0.1:1` ([`matlab_colon`][paperzoo.evaluation.voc.matlab_colon]) | 0.30000000000000004 | 0.6 | 0.7 |
    | `"python_port"` | `voc_eval.py` (py-faster-rcnn, mmdetection): `np.arange(0., 1.1, 0.1)` | 0.30000000000000004 | 0.6000000000000001 | 0.7000000000000001 |
    | `"caffe_ssd"` | SSD's Caffe `ComputeAP`: `rec[i] < j / 10.`, recall in float32 | 0.3 (recall 0.3f = 0.30000001) | 0.6 (0.6f = 0.60000002) | 0.7 (0.7f = 0.69999999) |

    They disagree only when a class's recall lands exactly on 3/10, 6/10 or 7/10 of its positives:
    a recall of exactly 0.3 reaches t = 0.3 in Caffe only; 0.6 reaches t = 0.6 in the devkit and Caffe
    but not in the Python port; 0.7 reaches t = 0.7 in the devkit only. Where it does not, that point
    takes the precision of a later, higher recall, so the class's AP can differ by up to 1/11. Earlier
    paperzoo versions used `torch.linspace(0, 1, 11)`, whose doubles happen to equal the devkit's
    (PyTorch also fills the second half from the end), averaged with a mean rather than the devkit's
    running sum.

    Args:
        recall: Recall after each ranked detection, non-decreasing.
        precision: Precision after each ranked detection.
        use_07_metric: VOC2007's 11-point average instead of the area under the interpolated curve.
        eleven_point: Which implementation's 11-point rule to follow (see the table).

    Returns:
        The average precision, in `[0, 1]`.
    """
    if recall.numel() == 0:  # no detection of the class
        return 0.0
    if use_07_metric:
        return _eleven_point_ap(recall, precision, eleven_point)
    recall, precision = recall.double(), precision.double()
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
    eleven_point: str = "voc07_devkit",
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
        eleven_point: The 11-point rule: the official devkit's (default), `"python_port"` or
            `"caffe_ssd"` (see [`voc_ap`][paperzoo.evaluation.voc.voc_ap]).

    Returns:
        `{"map": float, "ap": list[float]}`, where `ap[c - 1]` is the AP of class `c` (NaN for a
            class with no non-difficult ground truth; such classes are left out of `map`).
    """
    if len(predictions) != len(targets):
        raise ValueError(f"got {len(predictions)} predictions for {len(targets)} targets")
    if eleven_point not in ELEVEN_POINT_RULES:
        raise ValueError(f"eleven_point must be one of {ELEVEN_POINT_RULES}, got {eleven_point!r}")
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
        aps.append(voc_ap(recall, precision, use_07_metric, eleven_point))
    valid = [ap for ap in aps if ap == ap]
    return {"map": sum(valid) / len(valid) if valid else 0.0, "ap": aps}
