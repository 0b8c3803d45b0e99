"""The output of every exported detector: per-image top-k of NMS-selected candidates, padded.

Deployed detectors return fixed-shape, padded outputs, as TensorRT's `EfficientNMS` and TensorFlow's
`combined_non_max_suppression` do: `boxes [B, K, 4]`, `scores [B, K]`, `labels [B, K]` and
`num_detections [B]`, where image `b`'s detections are its first `num_detections[b]` rows, sorted by
decreasing score, and the padding rows hold zero boxes, zero scores and label -1. A fixed shape per
image batches cleanly and needs no batch-index column to split.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["OUTPUT_NAMES", "padded_top_detections"]

#: Names of the outputs of an end-to-end detector graph, in order.
OUTPUT_NAMES: tuple[str, ...] = ("boxes", "scores", "labels", "num_detections")


def padded_top_detections(
    boxes: Tensor,
    scores: Tensor,
    selected: Tensor,
    detections_per_img: int,
    *,
    box_major: bool = False,
    labels: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The `detections_per_img` best NMS survivors of each image, padded to a fixed shape.

    Equal scores keep the eager models' order (their candidates' order, through stable sorts):
    class by class for SSD (`box_major=False`), box by box for R-FCN (`box_major=True`), whose
    position-sensitive pooling gives RoIs that round to the same cells exactly equal scores.

    Args:
        boxes: `[B, G, A, 4]` candidate boxes of each class `g`, or `[B, 1, A, 4]` shared by all classes.
        scores: `[B, G, A]` candidate scores, all >= 0.
        selected: `[K, 3]` `(image, class, candidate)` from `onnx_nms`.
        detections_per_img: Rows per image.
        box_major: Order equal scores by candidate, then class (default: class, then candidate).
        labels: `[B, A]` class of each candidate, where every candidate has one class: then `boxes`
            is `[B, 1, A, 4]`, `scores` `[B, 1, A]`, the class column of `selected` is ignored, and
            the returned class is the candidate's label.

    Returns:
        `(boxes [B, K', 4], scores [B, K'], class [B, K'] (-1 for padding), num_detections [B])`,
            with `K' = min(detections_per_img, G·A)`.
    """
    _, groups, num = scores.shape
    image, group, box = selected.unbind(dim=1)
    if labels is not None:
        group = torch.zeros_like(group)
    # A scatter, not index_put: torch.onnx translates index_put with a spurious warning on stderr.
    flat = (image * groups + group) * num + box  # (K,) positions in (B, G, A), flattened
    kept = torch.full_like(scores, -1.0).flatten().scatter(0, flat, scores.flatten()[flat]).view_as(scores)
    kept = kept.transpose(1, 2) if box_major else kept  # (B, G, A) -> (B, A, G)
    # A stable sort, not topk: equal scores stay in index order (ONNX TopK's rule for ties too).
    sorted_scores, order = kept.flatten(1).sort(dim=1, descending=True, stable=True)
    count = min(detections_per_img, groups * num)
    top_scores, top = sorted_scores[:, :count], order[:, :count]  # (B, K')
    valid = top_scores >= 0
    top_group, top_box = (top % groups, top // groups) if box_major else (top // num, top % num)
    box_index = top_group * num + top_box if boxes.shape[1] == groups else top_box
    if labels is not None:
        top_group = labels.gather(1, top_box)
    top_boxes = boxes.flatten(1, 2).gather(1, box_index[..., None].expand(-1, -1, 4))  # (B, K', 4)
    top_boxes = torch.where(valid[..., None], top_boxes, 0.0)
    return top_boxes, torch.where(valid, top_scores, 0.0), torch.where(valid, top_group, -1), valid.sum(dim=1)
