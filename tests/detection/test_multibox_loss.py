"""Tests of paperzoo.detection.multibox_loss: equals torchvision compute_loss, finite on empty images."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torchvision.models.detection._utils import BoxCoder, SSDMatcher
from torchvision.models.detection.ssd import SSD
from torchvision.ops import box_convert, box_iou

from paperzoo.detection.default_boxes import PRESETS, default_boxes
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.multibox_loss import (
    encode_targets,
    mine_hard_negatives,
    multibox_loss,
)
from paperzoo.detection.targets import pad_targets

NUM_CLASSES = 21
PRIORS = default_boxes(PRESETS["torchvision"])  # (8732, 4) cx, cy, w, h in [0, 1]
ANCHORS = box_convert(PRIORS, "cxcywh", "xyxy") * 300  # torchvision's per-image anchors, pixels


def _case(counts: list[int], seed: int) -> tuple[list[dict], dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    targets = []
    for n in counts:
        xy = torch.rand(n, 2, generator=generator) * 240
        wh = 4 + torch.rand(n, 2, generator=generator) * 150
        boxes = torch.cat((xy, (xy + wh).clamp(max=300)), dim=1)
        targets.append({"boxes": boxes, "labels": torch.randint(1, NUM_CLASSES, (n,), generator=generator)})
    head_outputs = {
        "cls_logits": torch.randn(len(counts), PRIORS.shape[0], NUM_CLASSES, generator=generator),
        "bbox_regression": torch.randn(len(counts), PRIORS.shape[0], 4, generator=generator),
    }
    return targets, head_outputs


def _torchvision_loss(targets: list[dict], head_outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    matcher = SSDMatcher(0.5)
    matched = [
        matcher(box_iou(t["boxes"], ANCHORS)) if len(t["boxes"]) else torch.full((len(ANCHORS),), -1)
        for t in targets
    ]
    ssd = SimpleNamespace(box_coder=BoxCoder(weights=(10.0, 10.0, 5.0, 5.0)), neg_to_pos_ratio=3)
    return SSD.compute_loss(ssd, targets, head_outputs, [ANCHORS] * len(targets), matched)


def _our_loss(
    targets: list[dict], head_outputs: dict[str, torch.Tensor], **kwargs
) -> dict[str, torch.Tensor]:
    # Identical inputs: the same pixel anchors as torchvision. (In fractions of the image, a few IoUs
    # that sit exactly on 0.5 or tie for a box's best prior round the other way.)
    boxes, labels, mask = pad_targets(targets)
    matched = match_priors(boxes, mask, ANCHORS)
    gt_labels, gt_deltas = encode_targets(matched, boxes, labels, box_convert(ANCHORS, "xyxy", "cxcywh"))
    return multibox_loss(
        head_outputs["cls_logits"], head_outputs["bbox_regression"], gt_labels, gt_deltas, **kwargs
    )


@pytest.mark.parametrize(("counts", "seed"), [([1, 3, 8, 2], 0), ([0, 5, 1, 0, 7], 1)])
def test_equals_torchvision_compute_loss_without_min_negatives(counts: list[int], seed: int) -> None:
    targets, head_outputs = _case(counts, seed)
    expected = _torchvision_loss(targets, head_outputs)
    ours = _our_loss(targets, head_outputs, min_negatives=0)
    for key in ("bbox_regression", "classification"):
        torch.testing.assert_close(ours[key], expected[key], rtol=1e-5, atol=1e-5)


def test_default_equals_torchvision_when_every_image_has_objects() -> None:
    targets, head_outputs = _case([2, 1, 6], seed=2)
    expected = _torchvision_loss(targets, head_outputs)
    ours = _our_loss(targets, head_outputs)  # min_negatives=3 changes nothing here
    for key in ("bbox_regression", "classification"):
        torch.testing.assert_close(ours[key], expected[key], rtol=1e-5, atol=1e-5)


def test_empty_image_mines_min_negatives_unlike_torchvision() -> None:
    targets, head_outputs = _case([0, 4], seed=3)
    expected = _torchvision_loss(targets, head_outputs)
    ours = _our_loss(targets, head_outputs, min_negatives=3)
    # The empty image adds its 3 hardest background losses, divided by the batch's positives.
    background_loss = F.cross_entropy(
        head_outputs["cls_logits"][0], torch.zeros(len(PRIORS), dtype=torch.long), reduction="none"
    )
    boxes, _, mask = pad_targets(targets)
    num_positive = int((match_priors(boxes, mask, ANCHORS) >= 0).sum())
    extra = background_loss.topk(3).values.sum() / num_positive
    torch.testing.assert_close(
        ours["classification"], expected["classification"] + extra, rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(ours["bbox_regression"], expected["bbox_regression"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("min_negatives", [0, 3])
def test_batch_without_positives_has_zero_loss_as_the_paper_says(min_negatives: int) -> None:
    # Sec. 2.2: "If N = 0, we set the loss to 0". min_negatives used to add 3 background losses per
    # image divided by max(1, N) = 1, a positive loss.
    targets, head_outputs = _case([0, 0, 0], seed=4)
    logits = head_outputs["cls_logits"].requires_grad_()
    deltas = head_outputs["bbox_regression"].requires_grad_()
    losses = _our_loss(
        targets, {"cls_logits": logits, "bbox_regression": deltas}, min_negatives=min_negatives
    )
    assert losses["bbox_regression"].item() == 0 and losses["classification"].item() == 0
    (losses["bbox_regression"] + losses["classification"]).backward()  # still in the graph
    assert not logits.grad.any() and not deltas.grad.any()


def test_hard_negative_mining_by_hand() -> None:
    conf_loss = torch.tensor(
        [[5.0, 1.0, 4.0, 3.0, 2.0, 0.5, 9.0, 0.1], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]
    )
    positive = torch.tensor([[0, 0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0]], dtype=torch.bool)
    negative = mine_hard_negatives(conf_loss, positive, neg_pos_ratio=3, min_negatives=2)
    # Image 0: 1 positive -> 3 hardest negatives (5, 4, 3), never the positive (9).
    # Image 1: no positive -> the 2 hardest (8, 7).
    assert negative.int().tolist() == [[1, 0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1]]


def test_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"gt_labels must be \[B, A\] = \[2, 5\], got \[2, 4\]"):
        multibox_loss(
            torch.zeros(2, 5, 3),
            torch.zeros(2, 5, 4),
            torch.zeros(2, 4, dtype=torch.long),
            torch.zeros(2, 5, 4),
        )
    with pytest.raises(ValueError, match=r"box_deltas and gt_deltas must be \[B, A, 4\]"):
        multibox_loss(
            torch.zeros(2, 5, 3),
            torch.zeros(2, 5, 2),
            torch.zeros(2, 5, dtype=torch.long),
            torch.zeros(2, 5, 4),
        )


def test_encode_targets_gathers_labels_and_encodes_positives_only() -> None:
    gt_boxes = torch.tensor(
        [[[0.1, 0.1, 0.3, 0.5], [0.5, 0.5, 0.9, 0.7]], [[0.2, 0.2, 0.4, 0.4], [0.0, 0.0, 0.0, 0.0]]]
    )
    gt_labels = torch.tensor([[4, 9], [2, 0]])
    priors = torch.tensor([[0.2, 0.3, 0.2, 0.4], [0.7, 0.6, 0.4, 0.2], [0.5, 0.5, 0.1, 0.1]])
    matched = torch.tensor([[0, 1, -1], [-1, -1, 0]])
    labels, deltas = encode_targets(matched, gt_boxes, gt_labels, priors)
    assert labels.tolist() == [[4, 9, 0], [0, 0, 2]]
    # Box 0 of image 0 equals prior 0 exactly, so its offsets are 0; image 1's box vs prior 2:
    # centre (0.3, 0.3) vs (0.5, 0.5), size 0.2 vs 0.1 -> (-0.2/0.01, -0.2/0.01, log 2/0.2, log 2/0.2).
    expected_1 = torch.tensor([-20.0, -20.0, math.log(2) / 0.2, math.log(2) / 0.2])
    torch.testing.assert_close(deltas[1, 2], expected_1)
    torch.testing.assert_close(deltas[0, :2], torch.zeros(2, 4), atol=1e-6, rtol=0)
    assert deltas[0, 2].eq(0).all() and deltas[1, :2].eq(0).all()


def test_tied_negative_losses_sum_like_torchvision_sorts() -> None:
    # Whole blocks of priors with identical logits: many negatives share the same confidence loss,
    # so which of them torchvision's two sorts pick is arbitrary; the sum must not depend on it.
    targets, head_outputs = _case([3, 1, 5, 2], seed=6)
    generator = torch.Generator().manual_seed(6)
    levels = torch.randn(4, 6, NUM_CLASSES, generator=generator)  # 6 distinct logit rows per image
    logits = levels.repeat_interleave(len(PRIORS) // 6 + 1, dim=1)[:, : len(PRIORS)]  # (4, A, C)
    head_outputs["cls_logits"] = logits.contiguous()
    expected = _torchvision_loss(targets, head_outputs)
    ours = _our_loss(targets, head_outputs)
    for key in ("bbox_regression", "classification"):
        torch.testing.assert_close(ours[key], expected[key], rtol=1e-5, atol=1e-5)
