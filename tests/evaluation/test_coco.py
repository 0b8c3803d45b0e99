"""COCO metrics through pycocotools.COCOeval on hand-computed cases."""

import pytest
import torch

from paperzoo.evaluation import coco_from_targets, evaluate_coco


def test_iou_062_counts_at_050_055_060_only():
    targets = [{"boxes": torch.tensor([[0.0, 0, 100, 100]]), "labels": torch.tensor([1])}]
    # Width 62 of 100 inside the box: IoU = 6200 / 10000 = 0.62.
    prediction = {"boxes": torch.tensor([[0.0, 0, 62, 100]]), "scores": torch.tensor([0.9]),
                  "labels": torch.tensor([1])}  # fmt: skip
    result = evaluate_coco([prediction], coco_from_targets(targets, num_classes=2))
    assert result["ap50"] == pytest.approx(1.0) and result["ap75"] == pytest.approx(0.0)
    assert result["map"] == pytest.approx(3 / 10)  # thresholds .50, .55, .60 of the ten


def test_difficult_box_is_ignored_and_empty_predictions_score_zero():
    targets = [{"boxes": torch.tensor([[0.0, 0, 100, 100], [200, 200, 300, 300]]), "labels": torch.tensor([1, 1]),
                "difficult": torch.tensor([False, True])}]  # fmt: skip
    prediction = {"boxes": torch.tensor([[0.0, 0, 100, 100]]), "scores": torch.tensor([0.9]),
                  "labels": torch.tensor([1])}  # fmt: skip
    gt = coco_from_targets(targets, num_classes=2)
    assert evaluate_coco([prediction], gt)["map"] == pytest.approx(1.0)
    empty = {
        "boxes": torch.zeros(0, 4),
        "scores": torch.zeros(0),
        "labels": torch.zeros(0, dtype=torch.int64),
    }
    assert evaluate_coco([empty], gt)["map"] == 0.0


def test_original_ids_are_used():
    targets = [{"boxes": torch.tensor([[0.0, 0, 10, 10]]), "labels": torch.tensor([1])}]
    gt = coco_from_targets(targets, num_classes=2)
    prediction = {"boxes": torch.tensor([[0.0, 0, 10, 10]]), "scores": torch.tensor([0.9]),
                  "labels": torch.tensor([1])}  # fmt: skip
    assert evaluate_coco([prediction], gt, image_ids=[0], category_ids=[1])["ap50"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="got 2 image_ids for 1 predictions"):
        evaluate_coco([prediction], gt, image_ids=[0, 1])
