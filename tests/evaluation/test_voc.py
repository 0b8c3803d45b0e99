"""VOC mAP on hand-computed cases, and agreement with pycocotools' AP50 where the two must agree."""

import math

import pytest
import torch

from paperzoo.evaluation import coco_from_targets, evaluate_coco, evaluate_voc, voc_ap


def det(boxes, scores, labels):
    return {"boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "scores": torch.tensor(scores, dtype=torch.float32), "labels": torch.tensor(labels)}  # fmt: skip


def gt(boxes, labels, difficult=None):
    target = {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels),
    }
    if difficult is not None:
        target["difficult"] = torch.tensor(difficult)
    return target


def test_voc_ap_area_and_11_point_by_hand():
    recall, precision = torch.tensor([0.5, 0.5, 1.0, 1.0]), torch.tensor([1.0, 0.5, 2 / 3, 0.5])
    # Envelope: 1 up to recall 0.5, then 2/3 up to 1: area = 0.5 * 1 + 0.5 * 2/3.
    assert voc_ap(recall, precision) == pytest.approx(0.5 + 1 / 3)
    # 11 points: t = 0..0.5 (6 points) see 1, t = 0.6..1 (5 points) see 2/3.
    assert voc_ap(recall, precision, use_07_metric=True) == pytest.approx((6 + 5 * 2 / 3) / 11)


def test_duplicates_and_misses_by_hand():
    targets = [gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1])]
    predictions = [det([[0, 0, 10, 10], [1, 0, 10, 10], [20, 20, 30, 31], [40, 40, 50, 50]],
                       [0.9, 0.8, 0.7, 0.6], [1, 1, 1, 1])]  # fmt: skip
    # TP, duplicate FP, TP, FP: recall .5 .5 1 1, precision 1 .5 2/3 .5 (the curve above).
    result = evaluate_voc(predictions, targets, num_classes=2)
    assert result["map"] == pytest.approx(0.5 + 1 / 3)
    assert evaluate_voc(predictions, targets, 2, use_07_metric=True)["map"] == pytest.approx(
        (6 + 5 * 2 / 3) / 11
    )


def test_difficult_boxes_are_ignored_and_classes_without_ground_truth_skipped():
    targets = [gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1], difficult=[False, True])]
    predictions = [det([[20, 20, 30, 30], [0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.8, 0.7], [1, 1, 2])]
    result = evaluate_voc(predictions, targets, num_classes=3)
    # The hit on the difficult box is neither TP nor FP; class 2 has no ground truth (NaN, not averaged).
    assert result["ap"][0] == pytest.approx(1.0) and math.isnan(result["ap"][1])
    assert result["map"] == pytest.approx(1.0)
    counted = evaluate_voc(predictions, [gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1])], num_classes=3)
    assert counted["map"] == pytest.approx(1.0)  # both found when the box is not difficult
    missed = evaluate_voc(predictions[:1], [gt([[0, 0, 10, 10], [90, 90, 99, 99]], [1, 1])], num_classes=3)
    assert missed["map"] == pytest.approx(0.5 * 0.5)  # FP then TP: recall .5 reached at precision .5


def test_iou_must_exceed_the_threshold_and_classes_must_match():
    targets = [gt([[0, 0, 10, 10]], [1])]
    exactly_half = det([[0, 0, 10, 20]], [0.9], [1])  # IoU = 100 / 200 = 0.5, not above 0.5
    assert evaluate_voc([exactly_half], targets, 2)["map"] == 0.0
    wrong_class = det([[0, 0, 10, 10]], [0.9], [2])
    assert evaluate_voc([wrong_class], targets, 3)["map"] == 0.0
    assert evaluate_voc([wrong_class], targets, 3, use_07_metric=True)["map"] == 0.0  # class 1 never detected


def random_scene(generator, num_images=8, num_classes=4):
    """Ground truth in separate grid cells and jittered, duplicated and spurious detections.

    A detection only overlaps the box of its own cell, so VOC's and COCO's matching rules agree.
    """
    predictions, targets = [], []
    for _ in range(num_images):
        cells = torch.randperm(9, generator=generator)[: int(torch.randint(1, 5, (1,), generator=generator))]
        origin = torch.stack([cells % 3, cells // 3], dim=1).float() * 100
        boxes = torch.cat([origin + 10, origin + 50 + 30 * torch.rand(len(cells), 2, generator=generator)], 1)
        labels = torch.randint(1, num_classes, (len(cells),), generator=generator)
        copies = torch.randint(0, 3, (len(cells),), generator=generator)  # 0, 1 or 2 detections per box
        det_boxes = boxes.repeat_interleave(copies, 0)
        det_boxes = det_boxes + 7 * torch.randn(det_boxes.shape, generator=generator)
        det_boxes[:, 2:] = torch.maximum(det_boxes[:, 2:], det_boxes[:, :2] + 1)
        spurious = torch.tensor([[300.0, 300, 340, 340]]).repeat(
            int(torch.randint(0, 3, (1,), generator=generator)), 1
        )
        targets.append({"boxes": boxes, "labels": labels})
        predictions.append({
            "boxes": torch.cat([det_boxes, spurious]),
            "labels": torch.cat([labels.repeat_interleave(copies), torch.randint(1, num_classes, (len(spurious),), generator=generator)]),
            "scores": torch.rand(len(det_boxes) + len(spurious), generator=generator),
        })  # fmt: skip
    return predictions, targets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_voc_area_ap_agrees_with_pycocotools_ap50(seed):
    predictions, targets = random_scene(torch.Generator().manual_seed(seed))
    voc = evaluate_voc(predictions, targets, num_classes=4)["map"]
    coco = evaluate_coco(predictions, coco_from_targets(targets, num_classes=4))["ap50"]
    # Same matches and curves; COCO samples the curve at 101 recalls, VOC integrates it, so they may
    # differ by at most 2/100 (a 101-point average of a non-increasing function vs its integral).
    assert 0.2 < voc < 0.95
    assert voc == pytest.approx(coco, abs=0.02)


def test_perfect_detections_score_one_in_both():
    _, targets = random_scene(torch.Generator().manual_seed(5))
    perfect = [{**t, "scores": torch.linspace(1, 0.5, len(t["labels"]))} for t in targets]
    assert evaluate_voc(perfect, targets, num_classes=4)["map"] == pytest.approx(1.0)
    assert evaluate_coco(perfect, coco_from_targets(targets, 4))["map"] == pytest.approx(1.0)
