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
from torchvision.ops import box_iou

__all__ = ["match_priors"]


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
    batch, slots, _ = gt_boxes.shape
    num_priors = priors_xyxy.shape[0]
    iou = box_iou(gt_boxes.reshape(-1, 4), priors_xyxy.to(gt_boxes.dtype))  # (B·G, 4), (A, 4) -> (B·G, A)
    iou = iou.reshape(batch, slots, num_priors)  # (B·G, A) -> (B, G, A)
    iou = iou.masked_fill(~gt_mask[:, :, None], -1.0)  # padding never wins a prior

    best_iou, matched = iou.max(dim=1)  # (B, A): best ground truth of each prior
    matched = matched.masked_fill(best_iou < iou_threshold, -1)

    # Forced matches: each real ground truth claims its best prior. Padding slots write into a
    # spare column A that is dropped; `amax` makes the highest index win among ties.
    best_prior = iou.argmax(dim=2).masked_fill(~gt_mask, num_priors)  # (B, G)
    gt_index = torch.arange(slots, device=gt_boxes.device).expand(batch, slots)
    spare = torch.full((batch, 1), -1, dtype=matched.dtype, device=matched.device)
    forced = torch.full_like(torch.cat((matched, spare), dim=1), -1)  # (B, A) -> (B, A + 1)
    forced = forced.scatter_reduce(1, best_prior, gt_index, reduce="amax")[:, :num_priors]
    return torch.where(forced >= 0, forced, matched)
