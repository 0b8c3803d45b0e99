"""SSD's matching of default boxes to ground truth, for a whole batch at once.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2 "Matching strategy": each ground-truth box is first matched to the default box with the
best Jaccard overlap (so every object gets a prior), then every default box with overlap ≥ 0.5 to
some ground truth is matched to its best one. Same rule as torchvision's `SSDMatcher` and Caffe's
`PER_PREDICTION` + bipartite matching.

torchvision runs its matcher image by image; here the ground truth is padded to `[B, G, 4]` with a
mask ([`pad_targets`][paperzoo.detection.targets.pad_targets]) and one `[B, G, A]` IoU tensor
serves the whole batch.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["match_priors", "pairwise_iou"]


def pairwise_iou(boxes: Tensor, priors: Tensor) -> Tensor:
    """IoU `[N, A]` of `x1, y1, x2, y2` boxes `[N, 4]` against priors `[A, 4]`, bit-identical to `box_iou`.

    Hand-written instead of `torchvision.ops.box_iou` for speed only: `box_iou` materialises
    `[N, A, 2]` corner tensors, this form works in place on `[N, A]` ones and, at SSD's sizes
    (256 × 8732), takes about 0.6 of the time on the CPU. The arithmetic is the same operation by
    operation, so the values are equal to the last bit (tested).
    """
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    prior_area = (priors[:, 2] - priors[:, 0]) * (priors[:, 3] - priors[:, 1])
    width = torch.minimum(boxes[:, None, 2], priors[:, 2]).sub_(
        torch.maximum(boxes[:, None, 0], priors[:, 0])
    )
    height = torch.minimum(boxes[:, None, 3], priors[:, 3]).sub_(
        torch.maximum(boxes[:, None, 1], priors[:, 1])
    )
    inter = width.clamp_(min=0).mul_(height.clamp_(min=0))  # (N, A)
    union = torch.add(area[:, None], prior_area).sub_(inter)  # (N, A)
    return inter.div_(union)


def match_priors(
    gt_boxes: Tensor,
    gt_mask: Tensor,
    priors_xyxy: Tensor,
    iou_threshold: float = 0.5,
) -> Tensor:
    """Match every default box of every image to a ground-truth index, or -1 for background.

    When two ground-truth boxes have the same best prior, the later one (higher index) keeps it,
    as torchvision's in-place assignment does on CPU; here it is deterministic on any device.

    Args:
        gt_boxes: Padded ground truth `[B, G, 4]`, `x1, y1, x2, y2`, same units as the priors.
        gt_mask: `[B, G]` bool, `True` for real boxes and `False` for padding.
        priors_xyxy: Default boxes `[A, 4]` as `x1, y1, x2, y2`.
        iou_threshold: Overlap from which a prior is positive (0.5 in the paper).

    Returns:
        `[B, A]` int64: index into `G` of each prior's ground truth, -1 for background.
    """
    if gt_boxes.ndim != 3 or gt_boxes.shape[-1] != 4:
        raise ValueError(f"gt_boxes must have shape [B, G, 4], got {list(gt_boxes.shape)}")
    if gt_mask.shape != gt_boxes.shape[:2] or gt_mask.dtype != torch.bool:
        raise ValueError(
            f"gt_mask must be bool [B, G] = {list(gt_boxes.shape[:2])}, got {gt_mask.dtype} "
            f"{list(gt_mask.shape)}"
        )
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    batch, slots, _ = gt_boxes.shape
    num_priors = priors_xyxy.shape[0]
    # IoU of the real boxes only (padding can be half of the slots), scattered into the padded
    # layout; padding slots keep IoU 0 with every prior, below any threshold.
    iou = gt_boxes.new_zeros((batch, slots, num_priors))
    iou[gt_mask] = pairwise_iou(gt_boxes[gt_mask], priors_xyxy.to(gt_boxes.dtype))  # (ΣG, A) into (B, G, A)

    best_iou, matched = iou.max(dim=1)  # (B, A): best ground truth of each prior
    matched = matched.masked_fill(best_iou < iou_threshold, -1)

    # Forced matches: each real ground truth claims its best prior. Padding slots write into a
    # spare column A that is dropped; `amax` makes the highest index win among ties.
    best_prior = iou.argmax(dim=2).masked_fill(~gt_mask, num_priors)  # (B, G)
    gt_index = torch.arange(slots, device=gt_boxes.device).expand(batch, slots)
    forced = torch.full((batch, num_priors + 1), -1, dtype=matched.dtype, device=matched.device)
    forced = forced.scatter_reduce(1, best_prior, gt_index, reduce="amax")[:, :num_priors]
    return torch.where(forced >= 0, forced, matched)
