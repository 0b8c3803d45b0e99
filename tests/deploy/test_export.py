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


def assert_same_detections(got: list[dict], expected: list[dict]) -> None:
    assert len(got) == len(expected)
    for i, (mine, eager) in enumerate(zip(got, expected, strict=True)):
        assert torch.equal(torch.as_tensor(mine["labels"]).long(), eager["labels"]), f"image {i}"
        torch.testing.assert_close(torch.as_tensor(mine["scores"]), eager["scores"], atol=1e-4, rtol=0)
        torch.testing.assert_close(torch.as_tensor(mine["boxes"]), eager["boxes"], atol=1e-3, rtol=0)


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
