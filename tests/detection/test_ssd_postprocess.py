"""Tests of paperzoo.detection.ssd_postprocess: same detections as torchvision's postprocess_detections."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.ssd import SSD
from torchvision.ops import box_convert

import paperzoo.detection.ssd_postprocess as ssd_postprocess
from paperzoo.detection.default_boxes import PRESETS, default_boxes
from paperzoo.detection.ssd_postprocess import postprocess_detections

PRIORS = default_boxes(PRESETS["torchvision"])


def _torchvision(logits: torch.Tensor, deltas: torch.Tensor, priors: torch.Tensor, **kwargs) -> list[dict]:
    settings = {"score_thresh": 0.01, "topk_candidates": 400, "nms_thresh": 0.45, "detections_per_img": 200}
    ssd = SimpleNamespace(box_coder=BoxCoder(weights=(10.0, 10.0, 5.0, 5.0)), **(settings | kwargs))
    anchors = box_convert(priors, "cxcywh", "xyxy") * 300
    head_outputs = {"cls_logits": logits, "bbox_regression": deltas}
    return SSD.postprocess_detections(ssd, head_outputs, [anchors] * len(logits), [(300, 300)] * len(logits))


def _assert_same_detections(ours: list[dict], expected: list[dict]) -> None:
    assert len(ours) == len(expected)
    for mine, theirs in zip(ours, expected, strict=True):
        assert mine["labels"].dtype == torch.int64 and mine["boxes"].shape == (len(mine["scores"]), 4)
        assert len(mine["scores"]) == len(theirs["scores"])
        # Same set: order by (label, score) on both sides, then compare elementwise.
        key_mine = (mine["labels"] * 10 + mine["scores"]).argsort()
        key_theirs = (theirs["labels"] * 10 + theirs["scores"]).argsort()
        torch.testing.assert_close(mine["labels"][key_mine], theirs["labels"][key_theirs])
        torch.testing.assert_close(mine["scores"][key_mine], theirs["scores"][key_theirs])
        torch.testing.assert_close(mine["boxes"][key_mine], theirs["boxes"][key_theirs], atol=2e-3, rtol=0)
        assert mine["scores"].diff().le(0).all()  # sorted by decreasing score


def _count_nms_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = ssd_postprocess.batched_nms

    def counting(boxes: torch.Tensor, *args: object) -> torch.Tensor:
        calls.append(len(boxes))
        return original(boxes, *args)

    monkeypatch.setattr(ssd_postprocess, "batched_nms", counting)
    return calls


@pytest.mark.parametrize("seed", [0, 1])
def test_equals_torchvision_on_random_head_outputs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_nms_calls(monkeypatch)
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, len(PRIORS), 6, generator=generator) * 2
    deltas = torch.randn(3, len(PRIORS), 4, generator=generator)
    ours = postprocess_detections(logits, deltas, PRIORS, [(300, 300)] * 3)
    _assert_same_detections(ours, _torchvision(logits, deltas, PRIORS))
    assert [len(d["scores"]) for d in ours] == [200, 200, 200]
    assert calls == [3 * 400]  # one NMS over each image's 400 best candidates was enough


def test_equals_torchvision_when_suppression_needs_more_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_nms_calls(monkeypatch)
    # 600 copies of one box with the highest scores, then 400 spread boxes: among each image's 400
    # best candidates almost everything is suppressed, so the exact answer needs the candidates below.
    generator = torch.Generator().manual_seed(2)
    spread = torch.cat(
        (torch.rand(400, 2, generator=generator), 0.05 + 0.2 * torch.rand(400, 2, generator=generator)), 1
    )
    priors = torch.cat((torch.tensor([[0.5, 0.5, 0.3, 0.3]]).expand(600, 4), spread))
    logits = torch.randn(2, 1000, 3, generator=generator)
    logits[:, :600, 1:] += 6.0
    deltas = torch.zeros(2, 1000, 4)
    ours = postprocess_detections(logits, deltas, priors, [(300, 300)] * 2)
    expected = _torchvision(logits, deltas, priors)
    _assert_same_detections(ours, expected)
    assert 2 < len(ours[0]["scores"]) < 200  # one per class from the copies, plus spread boxes
    assert calls == [2 * 400, 2 * 800]  # the first round was not enough: all 800 candidates


def test_boxes_are_in_each_image_pixels() -> None:
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(2, len(PRIORS), 4, generator=generator) * 2
    deltas = torch.randn(2, len(PRIORS), 4, generator=generator)
    logits[1], deltas[1] = logits[0], deltas[0]
    square, wide = postprocess_detections(logits, deltas, PRIORS, [(300, 300), (200, 600)])
    # Scaling is per axis (IoU is unchanged by it), so the same detections come out, stretched.
    torch.testing.assert_close(wide["scores"], square["scores"])
    torch.testing.assert_close(wide["labels"], square["labels"])
    torch.testing.assert_close(wide["boxes"], square["boxes"] * torch.tensor([2.0, 2 / 3, 2.0, 2 / 3]))
    assert wide["boxes"][:, 0::2].max() <= 600 and wide["boxes"][:, 1::2].max() <= 200
    assert wide["boxes"].min() >= 0 and wide["boxes"][:, 2:].ge(wide["boxes"][:, :2]).all()


def test_nothing_above_threshold_gives_empty_results() -> None:
    logits = torch.zeros(2, 50, 3)
    logits[..., 0] = 20.0  # everything is background
    detections = postprocess_detections(logits, torch.zeros(2, 50, 4), PRIORS[:50], [(10, 10), (20, 30)])
    for d in detections:
        assert d["boxes"].shape == (0, 4) and d["scores"].shape == (0,) and d["labels"].dtype == torch.int64


def test_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match=r"expected box_deltas \[B, A, 4\] = \[2, 50, 4\]"):
        postprocess_detections(torch.zeros(2, 50, 3), torch.zeros(2, 49, 4), PRIORS[:50], [(1, 1)] * 2)
    with pytest.raises(ValueError, match="got 1 image_sizes for a batch of 2"):
        postprocess_detections(torch.zeros(2, 50, 3), torch.zeros(2, 50, 4), PRIORS[:50], [(1, 1)])
