"""SSD's matching of default boxes to ground truth, for a whole batch at once.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2 "Matching strategy": each ground-truth box is first matched to the default box with the
best Jaccard overlap (so every object gets a prior), then every default box with overlap ≥ 0.5 to
some ground truth is matched to its best one. Same rule as torchvision's `SSDMatcher` and Caffe's
`PER_PREDICTION` + bipartite matching.

torchvision runs its matcher image by image; here the ground truth comes padded to `[B, G, 4]`
with a mask ([`pad_targets`][paperzoo.detection.targets.pad_targets]) and one IoU matrix of all the
batch's boxes against the priors serves the whole batch. The IoU is `torchvision.ops.box_iou`'s: a
hand-written one in cache-sized tiles was 3-6x faster on the CPU but saved about 3 ms per batch of 8
at SSD300 (0.2 ms at SSDLite's 3000 boxes), under 0.1 % of a training step, so it was removed.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import box_iou

__all__ = ["match_priors"]


def _first_best_slot(
    iou: Tensor, best: Tensor, image: Tensor, slot: Tensor, gt_mask: Tensor, positive: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """For each positive `(image, prior)`, the first ground-truth slot whose IoU equals the best.

    Only the positives (a few percent of the priors) are looked at: their `G` candidate IoUs are
    gathered into a small `[P, G]` table, so ties cost nothing on the `[M, A]` matrix.
    """
    batch, slots = gt_mask.shape
    row_of = torch.zeros((batch, slots), dtype=torch.long, device=iou.device)
    row_of[image, slot] = torch.arange(image.numel(), device=iou.device)  # (B, G): row of each real box
    pos_image, pos_prior = positive.nonzero(as_tuple=True)  # (P,) each
    candidates = iou[row_of[pos_image], pos_prior[:, None]]  # (P, G)
    hit = (candidates == best[pos_image, pos_prior, None]) & gt_mask[pos_image]  # (P, G)
    return pos_image, pos_prior, hit.byte().argmax(dim=1)  # argmax gives the first of equal maxima


def match_priors(
    gt_boxes: Tensor,
    gt_mask: Tensor,
    priors_xyxy: Tensor,
    iou_threshold: float = 0.5,
) -> Tensor:
    """Match every default box of every image to a ground-truth index, or -1 for background.

    When two ground-truth boxes have the same best prior, the later one (higher index) keeps it,
    as torchvision's in-place assignment does on CPU; here it is deterministic on any device. When
    a prior overlaps two boxes equally, the first one takes it (as `max` does in torchvision). The
    IoU is computed for the real boxes only (no work for padding slots) and reduced per image with
    one scatter, so no `[B, G, A]` tensor is built.

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
    batch, num_priors = gt_boxes.shape[0], priors_xyxy.shape[0]
    image, slot = gt_mask.nonzero(as_tuple=True)  # (M,) each: the real boxes, image by image
    iou = box_iou(gt_boxes[image, slot], priors_xyxy.to(gt_boxes.dtype))  # (M, A)

    # Threshold matches: each prior's best overlap within its image, positive from the threshold.
    rows = image[:, None].expand_as(iou)  # (M, 1) -> (M, A), a view
    best = iou.new_full((batch, num_priors), -1.0).scatter_reduce_(0, rows, iou, reduce="amax")
    matched = torch.full((batch, num_priors), -1, dtype=torch.long, device=iou.device)
    pos_image, pos_prior, pos_slot = _first_best_slot(iou, best, image, slot, gt_mask, best >= iou_threshold)
    matched[pos_image, pos_prior] = pos_slot

    # Forced matches: each real box claims its best prior (the first of equal maxima, as `max`
    # gives); among boxes of an image with the same best prior, `amax` makes the last one win
    # (torchvision's in-place assignment on the CPU). Only the M claimed entries of the scatter's
    # buffer are read, so it needs no initial fill.
    claimed = image * num_priors + iou.max(dim=1).indices  # (M,) flat (image, prior) index
    winner = torch.empty_like(matched).view(-1)  # (B, A) -> (B·A,)
    winner.scatter_reduce_(0, claimed, slot, reduce="amax", include_self=False)
    matched.view(-1)[claimed] = winner[claimed]  # duplicates of an index write the same value
    return matched
