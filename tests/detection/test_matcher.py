"""Tests of paperzoo.detection.matcher: equal to torchvision's SSDMatcher image by image."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.detection._utils import SSDMatcher
from torchvision.ops import box_convert, box_iou

from paperzoo.detection.default_boxes import PRESETS, default_boxes
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.targets import pad_targets


def _random_targets(counts: list[int], generator: torch.Generator, size: float = 300.0) -> list[dict]:
    targets = []
    for n in counts:
        xy = torch.rand(n, 2, generator=generator) * size * 0.8
        wh = 2 + torch.rand(n, 2, generator=generator) * size * 0.5
        boxes = torch.cat((xy, (xy + wh).clamp(max=size)), dim=1)
        targets.append({"boxes": boxes, "labels": torch.randint(1, 21, (n,), generator=generator)})
    return targets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_torchvision_ssd_matcher_per_image(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, 9, (6,), generator=generator).tolist()
    counts[0] = 0  # always one image with no objects
    targets = _random_targets(counts, generator)
    priors = box_convert(default_boxes(PRESETS["torchvision"]), "cxcywh", "xyxy") * 300
    boxes, _, mask = pad_targets(targets)
    matched = match_priors(boxes, mask, priors)
    assert matched.shape == (6, 8732) and matched.dtype == torch.int64
    reference = SSDMatcher(0.5)
    for i, target in enumerate(targets):
        if counts[i] == 0:
            assert matched[i].eq(-1).all()
            continue
        expected = reference(box_iou(target["boxes"], priors))
        torch.testing.assert_close(matched[i], expected, rtol=0, atol=0)
        assert matched[i].ge(0).sum() >= counts[i]


def test_small_box_is_forced_onto_its_best_prior() -> None:
    priors = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 30.0, 30.0]])
    gt = torch.tensor([[[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 30.0, 29.0], [0.0, 0.0, 0.0, 0.0]]])
    mask = torch.tensor([[True, True, False]])
    matched = match_priors(gt, mask, priors)
    # Box 0 overlaps prior 0 with IoU 0.04 < 0.5 but is forced; box 1 takes prior 2 (IoU 0.97);
    # prior 1 overlaps box 1 with IoU 90/880 < 0.5: background. The padding slot matches nothing.
    assert matched.tolist() == [[0, -1, 1]]


def test_tied_best_prior_goes_to_the_last_box() -> None:
    priors = torch.tensor([[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]])
    gt = torch.tensor([[[0.0, 0.0, 9.0, 9.0], [0.0, 0.0, 8.0, 8.0]]])
    matched = match_priors(gt, torch.ones(1, 2, dtype=torch.bool), priors)
    assert matched.tolist() == [[1, -1]]


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"gt_boxes must have shape \[B, G, 4\], got \[3, 4\]"):
        match_priors(torch.zeros(3, 4), torch.ones(3, dtype=torch.bool), torch.zeros(5, 4))
    with pytest.raises(ValueError, match="gt_mask must be bool"):
        match_priors(torch.zeros(1, 3, 4), torch.ones(1, 3), torch.zeros(5, 4))


def test_rejects_threshold_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"iou_threshold must be in \(0, 1\], got 0"):
        match_priors(
            torch.zeros(1, 1, 4), torch.ones(1, 1, dtype=torch.bool), torch.ones(5, 4), iou_threshold=0
        )


def test_duplicate_boxes_break_ties_like_torchvision() -> None:
    priors = box_convert(default_boxes(PRESETS["torchvision"]), "cxcywh", "xyxy") * 300
    box = torch.tensor([[40.0, 50.0, 160.0, 170.0]])
    targets = [{"boxes": torch.cat((box, box, box + 1)), "labels": torch.tensor([1, 2, 3])}]
    boxes, _, mask = pad_targets(targets)
    matched = match_priors(boxes, mask, priors)
    expected = SSDMatcher(0.5)(box_iou(targets[0]["boxes"], priors))
    torch.testing.assert_close(matched[0], expected, rtol=0, atol=0)
    # Equal IoUs go to the first duplicate (0), never to box 1; box 2, shifted by a pixel, takes the
    # priors it overlaps best.
    assert set(matched[0][matched[0] >= 0].tolist()) == {0, 2}
