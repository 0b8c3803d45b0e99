"""Every registered model exports with torch.export and to ONNX, and the exported files compute what
the eager model computes: identical labels, scores within 1e-4, boxes within 1e-3 pixels."""

from __future__ import annotations

import json

import onnx
import pytest
import torch

import paperzoo
from paperzoo.deploy import OnnxModel, export
from tests.deploy.models import FAST, build, images, set_score_thresh

MODELS = [
    name if name in FAST else pytest.param(name, marks=pytest.mark.slow) for name in paperzoo.list_models()
]


def _match(mine: dict, eager: dict) -> list[int]:
    """Indices of `mine` matching each eager detection: same label, scores within 1e-4, boxes within 1e-3.

    Detections whose scores differ by float rounding may come out in either order (a runtime that sums
    in another order can swap two scores 1e-7 apart), so each eager detection is matched to an unused
    one of `mine`, nearest in score first; the sets must be equal, not the orders.
    """
    labels, scores, boxes = (torch.as_tensor(mine[key]) for key in ("labels", "scores", "boxes"))
    close = (
        (labels.long()[None, :] == eager["labels"][:, None])
        & ((scores[None, :] - eager["scores"][:, None]).abs() <= 1e-4)
        & ((boxes[None, :, :] - eager["boxes"][:, None, :]).abs().amax(dim=2) <= 1e-3)
    )  # (D_eager, D_mine)
    used, matched = torch.zeros(len(labels), dtype=torch.bool), []
    for i in range(len(eager["labels"])):
        candidates = (close[i] & ~used).nonzero().flatten()
        if len(candidates) == 0:
            return matched
        used[candidates[0]] = True
        matched.append(int(candidates[0]))
    return matched


def assert_same_detections(got: list[dict], expected: list[dict]) -> None:
    assert len(got) == len(expected)
    for i, (mine, eager) in enumerate(zip(got, expected, strict=True)):
        assert len(mine["labels"]) == len(eager["labels"]), f"image {i}"
        matched = _match(mine, eager)
        assert len(matched) == len(eager["labels"]), (
            f"image {i}: eager detection {len(matched)} ({eager['labels'][len(matched)]}, "
            f"{eager['scores'][len(matched)]:.6f}, {eager['boxes'][len(matched)].tolist()}) has no equal"
        )


def assert_same(got, expected) -> None:
    if isinstance(expected, torch.Tensor):
        torch.testing.assert_close(torch.as_tensor(got), expected, atol=1e-4, rtol=0)
    else:
        assert_same_detections(got, expected)


@pytest.fixture(scope="module", params=MODELS)
def exported(request, tmp_path_factory):
    name = request.param
    model, size = build(name)
    batch = images(size)
    detector = paperzoo.get_model_info(name).task == "detection"
    if detector:
        set_score_thresh(model, batch[-1])
    folder = tmp_path_factory.mktemp(name)
    onnx_path = export(
        model,
        folder / f"{name}.onnx",
        input_size=size,
        categories=[f"c{i}" for i in range(1, 99)][: model.num_classes - 1] if detector else None,
    )
    pt2_path = export(model, folder / f"{name}.pt2", format="pt2", input_size=size)
    return name, model, size, onnx_path, pt2_path


def _eager(model, batch):
    with torch.no_grad():
        return model(batch)


def _split(outputs: tuple) -> list[dict]:
    boxes, scores, labels, counts = outputs
    return [
        {"boxes": boxes[i, :n], "scores": scores[i, :n], "labels": labels[i, :n]}
        for i, n in enumerate(counts.tolist())
    ]


def test_onnx_runtime_equals_eager(exported):
    name, model, size, onnx_path, _ = exported
    runtime = OnnxModel(onnx_path, threads=2)
    assert runtime.input_size == size
    for batch in (images(size), images(size, count=1, seed=2)):  # dynamic batch: 3 and 1
        expected = _eager(model, batch)
        assert_same(runtime(batch), expected)
    if isinstance(expected, list):
        counts = [len(d["labels"]) for d in _eager(model, images(size))]
        assert counts[-1] == 0 and min(counts[:-1]) > 0, counts  # the blank image has no detection


def test_torch_export_equals_eager(exported):
    name, model, size, _, pt2_path = exported
    program = torch.export.load(pt2_path).module()
    batch = images(size)
    with torch.no_grad():
        got = program(batch)
    expected = _eager(model, batch)
    assert_same(got if isinstance(got, torch.Tensor) else _split(got), expected)


def test_onnx_metadata_and_dynamic_batch(exported):
    name, model, size, onnx_path, _ = exported
    graph = onnx.load(str(onnx_path), load_external_data=False)
    metadata = {p.key: json.loads(p.value) for p in graph.metadata_props}
    assert metadata["input_size"] == list(size)
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [3, *size]
    if paperzoo.get_model_info(name).task == "detection":
        assert metadata["categories"][0] == "__background__" and metadata["categories"][1] == "c1"
        assert metadata["outputs"] == ["boxes", "scores", "labels", "num_detections"]
        assert any(node.op_type == "NonMaxSuppression" for node in graph.graph.node)
