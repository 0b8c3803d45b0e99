"""SSD's inference post-processing for a whole batch: score threshold, per-class top-k and NMS.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 3 (and `ssd_pascal.py`'s test settings): softmax scores, confidence threshold 0.01, the 400 best
boxes per class, non-maximum suppression at IoU 0.45 per class, 200 detections kept per image.

torchvision's `SSD.postprocess_detections` loops over images and, inside, over classes (a
threshold, a boolean index and a `topk` each). Here one `topk` along the prior axis gives every
(image, class) pair its candidates, and one `torchvision.ops.batched_nms` call with group index
`image·C + label` runs the suppression for the whole batch.

NMS only ever looks at higher-scored boxes of the same class, so running it on each image's
`R` best-scored candidates (all classes together) decides exactly which of those `R` survive. When
at least `detections_per_img` of them survive, the answer is found without the other candidates;
otherwise `R` doubles (the loop ends at the full set, so the result is always exact). With `R` twice
`detections_per_img` this cuts the boxes handed to NMS from up to `B·(C-1)·400` (256k for SSD300,
VOC, batch 32) to `B·400`: on the CPU `batched_nms` works group by group over all its boxes, so
the size of its input, not the number of calls, is what costs. Measured against the plain library
call (one `batched_nms` over every candidate; `benchmarks/bench_ssd.py --parts nms`), batch 8, 21
classes, untrained scores (all 64,000 candidates above the threshold), one CPU thread: 50-73 ms
instead of 243-472 ms at SSD300's 8732 boxes, 25-47 ms instead of 175-404 ms at SSDLite's 3000, i.e.
0.15-0.4 s saved per batch where SSDLite's whole forward pass takes 1.3 s. The kept detections are
the same (equal scores may come out in another order).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import batched_nms

from paperzoo.detection.box_coder import VARIANCES, decode
from paperzoo.detection.grouping import first_k_per_group

__all__ = ["postprocess_detections"]


def _class_candidates(
    scores: Tensor, score_thresh: float, topk_candidates: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The `k` best priors of every (image, class) pair, flattened per image to `(score, label, prior)`.

    Scores at or below the threshold become -inf: thresholding after the top k keeps the same boxes
    as thresholding before it, and one `topk` serves every pair.
    """
    k = min(topk_candidates, scores.shape[1])
    top_scores, top_priors = scores.transpose(1, 2).topk(k, dim=2)  # (B, A, C') -> (B, C', k)
    top_scores = top_scores.masked_fill(top_scores <= score_thresh, -torch.inf).flatten(1)  # (B, C'·k)
    top_priors = top_priors.flatten(1)  # (B, C', k) -> (B, C'·k)
    labels = torch.arange(1, scores.shape[2] + 1, device=scores.device).repeat_interleave(k)  # (C'·k,)
    return top_scores, labels.expand_as(top_priors), top_priors


def _nms_on_best(
    scores: Tensor,
    labels: Tensor,
    priors: Tensor,
    boxes: Tensor,
    num_best: int,
    nms_thresh: float,
    num_classes: int,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Batched NMS over each image's `num_best` best candidates; returns kept (image, label, prior, score)."""
    best_scores, best = scores.topk(num_best, dim=1)  # (B, N) -> (B, R), best first
    image, slot = torch.isfinite(best_scores).nonzero(as_tuple=True)  # (M,) each: the valid ones
    index = best[image, slot]
    label, prior, score = labels[image, index], priors[image, index], best_scores[image, slot]
    keep = batched_nms(boxes[image, prior], score, image * num_classes + label, nms_thresh)
    return image[keep], label[keep], prior[keep], score[keep]


def postprocess_detections(
    cls_logits: Tensor,
    box_deltas: Tensor,
    priors_cxcywh: Tensor,
    image_sizes: Sequence[tuple[int, int]],
    *,
    score_thresh: float = 0.01,
    topk_candidates: int = 400,
    nms_thresh: float = 0.45,
    detections_per_img: int = 200,
    variances: tuple[float, float, float, float] = VARIANCES,
) -> list[dict[str, Tensor]]:
    """Turn SSD head outputs into detections in each image's pixel coordinates.

    Args:
        cls_logits: Class scores `[B, A, C]`, class 0 the background.
        box_deltas: Predicted offsets `[B, A, 4]`.
        priors_cxcywh: Default boxes `[A, 4]` in fractions of the image.
        image_sizes: `(H, W)` of each image, the size the boxes are scaled and clipped to (the
            original image's: the fractions do not depend on the resize to the network input).
        score_thresh: Minimum class probability.
        topk_candidates: Boxes kept per class before NMS.
        nms_thresh: IoU above which NMS removes the lower-scored box of the same class.
        detections_per_img: Detections kept per image, highest scores first.
        variances: Box-coder variances.

    Returns:
        One dict per image with `"boxes"` `[D, 4]` (`x1, y1, x2, y2` pixels), `"scores"` `[D]` and
            `"labels"` `[D]` (int64, in `[1, C - 1]`), sorted by decreasing score.
    """
    batch, num_priors, num_classes = cls_logits.shape
    if box_deltas.shape != (batch, num_priors, 4) or priors_cxcywh.shape != (num_priors, 4):
        raise ValueError(
            f"expected box_deltas [B, A, 4] = [{batch}, {num_priors}, 4] and priors [A, 4], got "
            f"{list(box_deltas.shape)} and {list(priors_cxcywh.shape)}"
        )
    if len(image_sizes) != batch:
        raise ValueError(f"got {len(image_sizes)} image_sizes for a batch of {batch}")
    scores = F.softmax(cls_logits, dim=-1)[..., 1:]  # (B, A, C) -> (B, A, C - 1): drop the background
    sizes = torch.tensor(
        [[w, h, w, h] for h, w in image_sizes], dtype=box_deltas.dtype, device=box_deltas.device
    )
    boxes = decode(box_deltas, priors_cxcywh, variances) * sizes[:, None, :]  # (B, A, 4) in pixels
    boxes = torch.minimum(boxes.clamp(min=0), sizes[:, None, :])  # clip to each image

    top_scores, top_labels, top_priors = _class_candidates(scores, score_thresh, topk_candidates)
    num_candidates = torch.isfinite(top_scores).sum(dim=1)  # (B,)
    num_best = min(2 * detections_per_img, top_scores.shape[1])
    while True:  # at most log2(C'·k / R) + 1 rounds, usually one
        image, label, prior, score = _nms_on_best(
            top_scores, top_labels, top_priors, boxes, num_best, nms_thresh, num_classes
        )
        order, kept = first_k_per_group(image, detections_per_img, batch)
        exact = (kept >= detections_per_img) | (num_candidates <= num_best)  # (B,)
        if num_best == top_scores.shape[1] or bool(exact.all()):
            break
        num_best = min(2 * num_best, top_scores.shape[1])
    image, label, prior, score = image[order], label[order], prior[order], score[order]
    split = kept.clamp(max=detections_per_img).tolist()
    return [
        {"boxes": b, "scores": s, "labels": lab}
        for b, s, lab in zip(
            boxes[image, prior].split(split), score.split(split), label.split(split), strict=True
        )
    ]
