r"""SSD's MultiBox loss: softmax confidence + Smooth-L1 localisation, with hard negative mining.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2 "Training objective", Eq. 1:

$$L(x, c, l, g) = \frac{1}{N}\left(L_{conf}(x, c) + \alpha L_{loc}(x, l, g)\right),$$

with $N$ the number of matched default boxes, $L_{conf}$ the softmax cross-entropy over the positives
and the mined negatives, $L_{loc}$ the Smooth-L1 loss of the encoded offsets of the positives and
$\alpha = 1$. "Hard negative mining": per image, the negatives with the highest confidence loss are
kept, at most 3 per positive.

Everything runs on `[B, A]` tensors, with no loop over images. One `log_softmax` over all logits
serves both uses of the confidence loss: its background column is every prior's loss as a negative
(what the mining ranks), and the positives' losses are gathered from it (torchvision runs a full
cross-entropy and then sorts the `[B, A]` losses twice). The mined negatives enter the loss through
the values of one `torch.topk`: a sum of the `k` largest values is the same whichever of several
equal values a sort happens to pick, so the result equals torchvision's whatever its tie order. (A
hand-written two-stage `topk`, over groups of 8 priors first, was removed: it saved 0.06 ms of a
1.5 ms loss at SSD300, batch 8, and nothing measurable at SSDLite's 3000 boxes.)

**Difference from torchvision.** An image without objects has no positives, so torchvision (and
ssd.pytorch, qfgaohao/pytorch-ssd) mine `3 · 0 = 0` negatives for it and it teaches nothing; such
images are exactly where a detector must learn to say "background". Here each image mines at least
`min_negatives` negatives (3 by default, as TensorFlow's object detection API does) whenever the batch
has a positive to normalise by. With `min_negatives=0` the loss equals torchvision's
`SSD.compute_loss`; for images with at least one positive the two always agree.

**A batch without positives** ($N = 0$) has loss 0, as the paper sets it ("If N = 0, we set the loss to
0", Sec. 2.2) and as Caffe's and torchvision's losses give (0 positives mine 0 negatives). Mining
`min_negatives` there would need a normaliser that Eq. 1 does not have: dividing by `max(1, N)`, as an
earlier paperzoo did, gives a raw sum of background losses on a scale unrelated to the per-positive
average of every other batch. Both terms stay in the autograd graph, so `backward()` works and gives
zero gradients (ssd.pytorch divides by 0 there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.detection.box_coder import VARIANCES, encode

__all__ = ["encode_targets", "mine_hard_negatives", "multibox_loss"]


def encode_targets(
    matched_index: Tensor,
    gt_boxes: Tensor,
    gt_labels: Tensor,
    priors_cxcywh: Tensor,
    variances: tuple[float, float, float, float] = VARIANCES,
) -> tuple[Tensor, Tensor]:
    """Per-prior class and offset targets from the matcher's output, for the whole batch.

    Args:
        matched_index: `[B, A]` from [`match_priors`][paperzoo.detection.matcher.match_priors],
            -1 for background.
        gt_boxes: Padded ground truth `[B, G, 4]` (`x1, y1, x2, y2`, the priors' units).
        gt_labels: Padded labels `[B, G]`.
        priors_cxcywh: Default boxes `[A, 4]`.
        variances: Box-coder variances.

    Returns:
        `(labels [B, A], deltas [B, A, 4])`: label 0 and zero offsets where unmatched.
    """
    # Only the positives (a few percent of the priors) are read and encoded; the rest stays 0.
    image, prior = (matched_index >= 0).nonzero(as_tuple=True)  # (P,) each
    slot = matched_index[image, prior]  # (P,)
    labels = torch.zeros_like(matched_index)
    labels[image, prior] = gt_labels[image, slot]
    deltas = gt_boxes.new_zeros((*matched_index.shape, 4))  # (B, A, 4)
    deltas[image, prior] = encode(gt_boxes[image, slot], priors_cxcywh[prior].to(gt_boxes.dtype), variances)
    return labels, deltas


def _num_negatives(num_positive: Tensor, num_priors: int, neg_pos_ratio: int, min_negatives: int) -> Tensor:
    """Negatives to mine per image `[B, 1]`: `max(neg_pos_ratio · positives, min_negatives)`, capped."""
    num_positive = num_positive[:, None]  # (B,) -> (B, 1)
    num_negatives = (neg_pos_ratio * num_positive).clamp(min=min_negatives)
    return torch.minimum(num_negatives, num_priors - num_positive)


def mine_hard_negatives(
    conf_loss: Tensor, positive: Tensor, neg_pos_ratio: int, min_negatives: int
) -> Tensor:
    """Select, per image, the `max(neg_pos_ratio · positives, min_negatives)` hardest negatives.

    [`multibox_loss`][paperzoo.detection.multibox_loss.multibox_loss] only needs the sum of their
    losses and takes it from `topk` values directly; this mask is for looking at which priors they are.

    Args:
        conf_loss: Per-prior confidence loss `[B, A]`.
        positive: `[B, A]` bool mask of matched priors.
        neg_pos_ratio: Negatives per positive (3 in the paper).
        min_negatives: Negatives kept even in an image with no positives.

    Returns:
        `[B, A]` bool mask of the selected negatives (never overlapping `positive`).
    """
    num_positive = torch.count_nonzero(positive, dim=1)  # (B,)
    num_negatives = _num_negatives(num_positive, positive.shape[1], neg_pos_ratio, min_negatives)
    # Only the `k` largest per row are ever needed: topk is cheaper than a full sort of [B, A].
    k = int(num_negatives.max())
    candidates = conf_loss.detach().masked_fill(positive, -torch.inf)
    _, order = candidates.topk(k, dim=1)  # (B, k), hardest first
    rank = torch.arange(k, device=conf_loss.device).expand_as(order)
    selected = torch.zeros_like(positive)
    return selected.scatter_(1, order, rank < num_negatives)  # rank r kept iff r < k_b of its image


def _hard_negative_loss(
    background_log_prob: Tensor, image: Tensor, prior: Tensor, num_negatives: Tensor
) -> Tensor:
    """Sum over the batch of the mined negatives' losses `-log p(background)` (hardest first).

    Args:
        background_log_prob: `[B, A]` log-probability of the background class for every prior.
        image: `(P,)` image index of each positive.
        prior: `(P,)` prior index of each positive.
        num_negatives: `[B, 1]` negatives to take per image.
    """
    # The hardest negatives have the smallest background log-probability; positives are +inf, so
    # they never qualify.
    candidates = background_log_prob.index_put((image, prior), background_log_prob.new_tensor(torch.inf))
    k = int(num_negatives.max())
    lowest = candidates.topk(k, dim=1, largest=False).values  # (B, A) -> (B, k), hardest first
    rank = torch.arange(lowest.shape[1], device=lowest.device)
    return -torch.where(rank < num_negatives, lowest, 0.0).sum()


def multibox_loss(
    cls_logits: Tensor,
    box_deltas: Tensor,
    gt_labels: Tensor,
    gt_deltas: Tensor,
    *,
    neg_pos_ratio: int = 3,
    alpha: float = 1.0,
    min_negatives: int = 3,
) -> dict[str, Tensor]:
    r"""The MultiBox loss of a batch (Eq. 1), split into its two terms.

    Args:
        cls_logits: Class scores `[B, A, C]` (C includes the background 0).
        box_deltas: Predicted offsets `[B, A, 4]`.
        gt_labels: Target class per prior `[B, A]`, 0 = background (every other label is a positive).
        gt_deltas: Encoded target offsets `[B, A, 4]` (read only where `gt_labels > 0`).
        neg_pos_ratio: Hard negatives kept per positive (3 in the paper).
        alpha: Weight $\alpha$ of the localisation term (1 in the paper).
        min_negatives: Negatives kept per image even without positives, in a batch with at least one
            positive (see the module notes; 0 reproduces torchvision).

    Returns:
        `{"bbox_regression": α·L_loc / N, "classification": L_conf / N}` with `N` the positives of the
            batch; both are 0 when `N = 0` (Sec. 2.2).
    """
    batch, num_priors, _ = cls_logits.shape
    if box_deltas.shape != (batch, num_priors, 4) or gt_deltas.shape != (batch, num_priors, 4):
        raise ValueError(
            f"box_deltas and gt_deltas must be [B, A, 4] = [{batch}, {num_priors}, 4], "
            f"got {list(box_deltas.shape)} and {list(gt_deltas.shape)}"
        )
    if gt_labels.shape != (batch, num_priors):
        raise ValueError(f"gt_labels must be [B, A] = [{batch}, {num_priors}], got {list(gt_labels.shape)}")
    image, prior = gt_labels.nonzero(as_tuple=True)  # (P,) each: the positives (label > 0)
    num_positive = max(image.numel(), 1)
    if image.numel() == 0:
        min_negatives = 0  # Sec. 2.2: "If N = 0, we set the loss to 0" (and 0 positives mine 0 negatives)
    loc_loss = F.smooth_l1_loss(  # only positives are regressed
        box_deltas[image, prior], gt_deltas[image, prior].to(box_deltas.dtype), reduction="sum"
    )

    # Softmax cross-entropy (L_conf) is -log p(label): one log-softmax gives it for any label.
    log_prob = F.log_softmax(cls_logits, dim=-1)  # (B, A, C)
    positive_loss = -log_prob[image, prior, gt_labels[image, prior]].sum()
    positives_per_image = torch.bincount(image, minlength=batch)  # (B,)
    num_negatives = _num_negatives(positives_per_image, num_priors, neg_pos_ratio, min_negatives)
    negative_loss = _hard_negative_loss(log_prob[..., 0], image, prior, num_negatives)
    conf_loss = positive_loss + negative_loss
    return {"bbox_regression": alpha * loc_loss / num_positive, "classification": conf_loss / num_positive}
