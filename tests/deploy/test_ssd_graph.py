"""The exported SSD post-processing equals the eager one in both of its rounds (`paperzoo.deploy.ssd_graph`).

Each case is built so that one way of reaching the exact answer is needed, and checks that it is:
enough of the `R` best pairs survive NMS; too few survive and other candidates remain (only the
second round is exact); too few candidates exist at all.
"""

from __future__ import annotations

import logging

import onnx
import onnxruntime as ort
import pytest
import torch
from torchvision.ops import batched_nms

from paperzoo.deploy.nms import onnx_translation_table
from paperzoo.deploy.ssd_graph import SSDDetections
from paperzoo.detection.box_coder import decode
from paperzoo.detection.ssd_postprocess import postprocess_detections
from tests.deploy.test_export import assert_same_detections

NUM_PRIORS, NUM_CLASSES, SIZE = 600, 6, (200, 300)
SETTINGS = {"nms_thresh": 0.45, "topk_candidates": 40, "detections_per_img": 20}
NUM_BEST = 2 * SETTINGS["detections_per_img"]


def _priors(generator: torch.Generator) -> torch.Tensor:
    centres = torch.rand(NUM_PRIORS, 2, generator=generator)
    sizes = 0.05 + 0.25 * torch.rand(NUM_PRIORS, 2, generator=generator)
    priors = torch.cat([centres, sizes], dim=1)
    priors[:100] = torch.tensor([0.5, 0.5, 0.2, 0.2])  # one box, a hundred times
    return priors


def _case(name: str, seed: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """`(cls_logits (2, A, C), deltas (2, A, 4), score_thresh)` for one of the three cases."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, NUM_PRIORS, NUM_CLASSES, generator=generator)
    deltas = 0.5 * torch.randn(2, NUM_PRIORS, 4, generator=generator)
    deltas[:, :100] = 0.0
    if name == "few survive":  # the 40 best pairs: class 1 on the repeated box, one survivor
        logits[:, :100, 1] += 8.0
    if name == "few candidates":
        logits[:, 100:110, 2] += 10.0
        return logits, deltas, 0.9
    return logits, deltas, 0.05


def _first_round(logits: torch.Tensor, deltas: torch.Tensor, priors: torch.Tensor, score_thresh: float):
    """Per image: survivors of NMS among the `R` best pairs, and the candidates above the threshold."""
    scores = logits.softmax(dim=-1)[..., 1:]
    boxes = decode(deltas, priors)
    survivors, candidates = [], []
    for image_scores, image_boxes in zip(scores, boxes, strict=True):
        best, pair = image_scores.flatten().topk(NUM_BEST)
        prior, label = pair // (NUM_CLASSES - 1), pair % (NUM_CLASSES - 1)
        valid = best > score_thresh
        kept = batched_nms(image_boxes[prior[valid]], best[valid], label[valid], SETTINGS["nms_thresh"])
        survivors.append(len(kept))
        candidates.append(int((image_scores > score_thresh).sum()))
    return survivors, candidates


def _padded_to_list(outputs) -> list[dict]:
    boxes, scores, labels, counts = (torch.as_tensor(output) for output in outputs)
    return [
        {"boxes": boxes[i, :n], "scores": scores[i, :n], "labels": labels[i, :n]}
        for i, n in enumerate(counts.tolist())
    ]


@pytest.fixture(scope="module")
def priors() -> torch.Tensor:
    return _priors(torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("case", "first_round_is_exact"),
    [("many survive", True), ("few survive", False), ("few candidates", True)],
)
def test_each_round_equals_eager_in_onnx_runtime(priors, case, first_round_is_exact, tmp_path, caplog):
    logits, deltas, score_thresh = _case(case, seed=1)
    survivors, candidates = _first_round(logits, deltas, priors, score_thresh)
    exact = [
        s >= SETTINGS["detections_per_img"] or c <= NUM_BEST
        for s, c in zip(survivors, candidates, strict=True)
    ]
    assert exact == [first_round_is_exact] * 2, (survivors, candidates)  # the case is what it says
    graph = SSDDetections(priors, SIZE, score_thresh=score_thresh, **SETTINGS).eval()
    assert graph.num_best(NUM_PRIORS, NUM_CLASSES - 1) == NUM_BEST
    expected = postprocess_detections(
        logits, deltas, priors, [SIZE] * 2, score_thresh=score_thresh, **SETTINGS
    )
    assert_same_detections(_padded_to_list(graph(logits, deltas)), expected)

    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(graph, (logits, deltas), dynamic_shapes=({0: batch}, {0: batch}))
    path = tmp_path / "detections.onnx"
    with caplog.at_level(logging.WARNING):
        torch.onnx.export(program, dynamo=True, custom_translation_table=onnx_translation_table()).save(path)
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert not warnings  # `paperzoo export` prints only its own line
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"cls_logits": logits.numpy(), "deltas": deltas.numpy()})
    assert_same_detections(_padded_to_list(outputs), expected)
    assert any(node.op_type == "If" for node in onnx.load(str(path)).graph.node)


def test_mixed_batch_and_small_models_take_the_full_round(priors):
    """One image that needs the second round sends the batch there; too few priors skip the first."""
    many, _, _ = _case("many survive", seed=2)
    few, deltas, score_thresh = _case("few survive", seed=2)
    logits = torch.stack([many[0], few[0]])
    graph = SSDDetections(priors, SIZE, score_thresh=score_thresh, **SETTINGS).eval()
    expected = postprocess_detections(
        logits, deltas, priors, [SIZE] * 2, score_thresh=score_thresh, **SETTINGS
    )
    assert_same_detections(_padded_to_list(graph(logits, deltas)), expected)
    for num_priors in (30, NUM_BEST):  # R = 40 > A = 30; R = A = 40 (no (R + 1)-th best)
        small = SSDDetections(priors[:num_priors], SIZE, score_thresh=score_thresh, **SETTINGS).eval()
        assert small.num_best(num_priors, NUM_CLASSES - 1) is None
        few = logits[:, :num_priors], deltas[:, :num_priors]
        expected = postprocess_detections(
            *few, priors[:num_priors], [SIZE] * 2, score_thresh=score_thresh, **SETTINGS
        )
        assert_same_detections(_padded_to_list(small(*few)), expected)
