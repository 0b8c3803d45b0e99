"""The standard-operator pieces of the exported detectors equal what the eager models use."""

from __future__ import annotations

import onnxruntime as ort
import pytest
import torch
from torch import nn

from paperzoo.deploy.nms import onnx_nms, onnx_translation_table
from paperzoo.deploy.ps_pool import ps_roi_pool_integral
from paperzoo.detection.ps_roi import position_sensitive_roi_pool


def _random_boxes(generator: torch.Generator, shape: tuple[int, ...], extent: float) -> torch.Tensor:
    corner = torch.rand(*shape, 2, generator=generator) * extent
    return torch.cat([corner, corner + torch.rand(*shape, 2, generator=generator) * extent / 2], dim=-1)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_integral_pooling_equals_position_sensitive_roi_pool(k):
    generator = torch.Generator().manual_seed(0)
    maps = torch.randn(2, 3 * k * k, 13, 17, generator=generator)
    boxes = _random_boxes(generator, (300,), 17 * 16)
    boxes[:10] = torch.tensor([0.0, 0.0, 5.0, 5.0])  # smaller than a cell: forced to one cell
    boxes[10:20] = torch.tensor([260.0, 200.0, 400.0, 300.0])  # on and past the bottom-right border
    rois = torch.cat([torch.randint(0, 2, (300, 1), generator=generator).float(), boxes], dim=1)
    expected = position_sensitive_roi_pool(maps, rois, k, 1 / 16, mode="pool")
    torch.testing.assert_close(ps_roi_pool_integral(maps, rois, k, 1 / 16), expected, atol=1e-6, rtol=0)


class _NMS(nn.Module):
    def forward(self, boxes: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return onnx_nms(boxes, scores, 5, 0.5, 0.2)


def test_onnx_nms_eager_equals_onnx_runtime(tmp_path):
    generator = torch.Generator().manual_seed(0)
    boxes, scores = _random_boxes(generator, (2, 60), 100.0), torch.rand(2, 3, 60, generator=generator)
    expected = _NMS()(boxes, scores)
    counts = torch.bincount(expected[:, 0] * 3 + expected[:, 1], minlength=6)
    assert counts.max() == 5 and counts.min() > 0  # max_per_class binds
    batch = torch.export.Dim("batch")
    program = torch.export.export(_NMS(), (boxes, scores), dynamic_shapes=({0: batch}, {0: batch}))
    path = tmp_path / "nms.onnx"
    torch.onnx.export(program, dynamo=True, custom_translation_table=onnx_translation_table()).save(path)
    session = ort.InferenceSession(str(path))
    got = session.run(None, {"boxes": boxes.numpy(), "scores": scores.numpy()})[0]
    assert torch.equal(torch.from_numpy(got), expected)
