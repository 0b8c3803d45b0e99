"""VOC mAP on hand-computed cases, and agreement with pycocotools' AP50 where the two must agree."""

import math

import numpy as np
import pytest
import torch

from paperzoo.evaluation import coco_from_targets, evaluate_coco, evaluate_voc, voc_ap
from paperzoo.evaluation.voc import ELEVEN_POINT_RULES, matlab_colon


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


# --- VOC2007 11-point rules, against independent re-implementations of each reference ---------------


def _devkit_ap(rec: np.ndarray, prec: np.ndarray) -> float:
    # VOCevaldet.m: `for t=0:0.1:1`; MATLAB's colon makes the first half a + k*d and the second b - k*d.
    thresholds = [k * 0.1 for k in range(5)] + [0.5] + [1 - (10 - k) * 0.1 for k in range(6, 11)]
    ap = 0.0
    for t in thresholds:
        p = prec[rec >= t].max() if (rec >= t).any() else 0.0
        ap = ap + p / 11
    return float(ap)


def _python_port_ap(rec: np.ndarray, prec: np.ndarray) -> float:
    # voc_eval.py (py-faster-rcnn, mmdetection's eval_map with "11points").
    ap = 0.0
    for t in np.arange(0.0, 1.1, 0.1):
        p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
        ap = ap + p / 11.0
    return float(ap)


def _caffe_ssd_ap(tp: list[int], fp: list[int], num_pos: int) -> float:
    # weiliu89/caffe src/caffe/util/bbox_util.cpp, ComputeAP "11point": float rec/prec, j / 10. in double.
    tp_cumsum, fp_cumsum = np.cumsum(tp), np.cumsum(fp)
    prec = [np.float32(t) / np.float32(t + f) for t, f in zip(tp_cumsum, fp_cumsum, strict=True)]
    rec = [np.float32(t) / np.float32(num_pos) for t in tp_cumsum]
    max_precs = [np.float32(0)] * 11
    start_idx = len(rec) - 1
    for j in range(10, -1, -1):
        for i in range(start_idx, -1, -1):
            if float(rec[i]) < j / 10.0:
                start_idx = i
                if j > 0:
                    max_precs[j - 1] = max_precs[j]
                break
            if max_precs[j] < prec[i]:
                max_precs[j] = prec[i]
    ap = np.float32(0)
    for j in range(10, -1, -1):
        ap = np.float32(ap + max_precs[j] / np.float32(11))
    return float(ap)


def _curve(hits: str, num_pos: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Recall and precision (float64, as evaluate_voc computes them) of a ranked list of hits ("1") and misses."""
    tp = torch.tensor([c == "1" for c in hits], dtype=torch.float64).cumsum(0)
    fp = torch.tensor([c == "0" for c in hits], dtype=torch.float64).cumsum(0)
    return tp / num_pos, tp / (tp + fp)


# Recall lands exactly on 0.3, 0.6 or 0.7 (3, 6 or 7 of 10 positives); then precision drops to a
# later hit at recall 0.4 (first case) or the list ends (the other two).
EDGE_CASES = {"0.3": "111" + "0" * 7 + "1", "0.6": "111111" + "0" * 6, "0.7": "1111111" + "0" * 7}
# AP of each edge case under each rule (devkit, Python port, Caffe), checked below against the
# re-implementations: 0.3 is reached in Caffe only, 0.6 in the devkit and Caffe, 0.7 in the devkit only.
EDGE_AP = {
    "0.3": ((3 + 2 * 4 / 11) / 11, (3 + 2 * 4 / 11) / 11, (4 + 4 / 11) / 11),  # 0.3388, 0.3388, 0.3967
    "0.6": (7 / 11, 6 / 11, 7 / 11),  # 0.6364, 0.5455, 0.6364
    "0.7": (8 / 11, 7 / 11, 7 / 11),  # 0.7273, 0.6364, 0.6364
}


def test_matlab_colon_reproduces_matlab():
    # MATLAB Answers, "How does COLON work?": (0:0.1:0.3) - (0:0.1:0.4)(1:end-1) is 1e-16 * [0 0 -0.2776 -0.5551].
    short, long = matlab_colon(0.0, 0.1, 0.3), matlab_colon(0.0, 0.1, 0.4)
    differences = [a - b for a, b in zip(short, long[:-1], strict=True)]
    assert differences == pytest.approx([0.0, 0.0, -0.2776e-16, -0.5551e-16], abs=1e-20)
    assert short[-1] == 0.3 and long[3] == 3 * 0.1 != 0.3
    thresholds = matlab_colon(0.0, 0.1, 1.0)
    assert len(thresholds) == 11 and thresholds[5] == 0.5 and thresholds[-1] == 1.0
    assert thresholds[3] == 0.30000000000000004 and thresholds[6] == 0.6 and thresholds[7] == 0.7
    assert matlab_colon(1.0, -0.25, 0.0) == [1.0, 0.75, 0.5, 0.25, 0.0]
    with pytest.raises(ValueError, match="pointing from a to b"):
        matlab_colon(0.0, -0.1, 1.0)


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_eleven_point_rules_at_recall_0_3_0_6_0_7(case):
    hits = EDGE_CASES[case]
    recall, precision = _curve(hits)
    tp = [int(c == "1") for c in hits]
    expected = {
        "voc07_devkit": _devkit_ap(recall.numpy(), precision.numpy()),
        "python_port": _python_port_ap(recall.numpy(), precision.numpy()),
        "caffe_ssd": _caffe_ssd_ap(tp, [1 - t for t in tp], 10),
    }
    for rule in ELEVEN_POINT_RULES:
        assert voc_ap(recall, precision, use_07_metric=True, eleven_point=rule) == expected[rule], rule
    assert tuple(expected[r] for r in ELEVEN_POINT_RULES) == pytest.approx(EDGE_AP[case], abs=1e-7)
    assert voc_ap(recall, precision, use_07_metric=True) == expected["voc07_devkit"]  # the default


@pytest.mark.parametrize("seed", range(5))
def test_eleven_point_rules_agree_with_their_references_on_random_curves(seed):
    generator = torch.Generator().manual_seed(seed)
    num_pos = int(torch.randint(1, 40, (1,), generator=generator))
    tp = (torch.rand(60, generator=generator) < 0.4).int().tolist()
    tp = [t if sum(tp[: i + 1]) <= num_pos else 0 for i, t in enumerate(tp)]
    recall, precision = _curve("".join(map(str, tp)), num_pos)
    assert voc_ap(recall, precision, True, "voc07_devkit") == _devkit_ap(recall.numpy(), precision.numpy())
    assert voc_ap(recall, precision, True, "python_port") == _python_port_ap(
        recall.numpy(), precision.numpy()
    )
    assert voc_ap(recall, precision, True, "caffe_ssd") == _caffe_ssd_ap(tp, [1 - t for t in tp], num_pos)


def test_evaluate_voc_passes_the_rule_and_rejects_unknown_ones():
    # 10 objects of class 1; 3 found first, then 7 false positives, then a 4th: recall hits 0.3 exactly.
    targets = [gt([[10 * i, 0, 10 * i + 8, 8] for i in range(10)], [1] * 10)]
    boxes = [[10 * i, 0, 10 * i + 8, 8] for i in range(3)] + [[0, 50, 8, 58]] * 7 + [[30, 0, 38, 8]]
    predictions = [det(boxes, [1 - 0.01 * i for i in range(11)], [1] * 11)]
    maps = [
        evaluate_voc(predictions, targets, 2, use_07_metric=True, eleven_point=r)["map"]
        for r in ELEVEN_POINT_RULES
    ]
    assert maps == pytest.approx(EDGE_AP["0.3"], abs=1e-7)
    with pytest.raises(ValueError, match="eleven_point must be one of"):
        evaluate_voc(predictions, targets, 2, use_07_metric=True, eleven_point="voc2012")


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
