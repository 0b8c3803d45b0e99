"""ONNX `NonMaxSuppression` as a PyTorch operator, so that exported detectors keep their NMS in the graph.

`torch.onnx.export` has no translation for `torchvision::nms`. `paperzoo::onnx_nms` is a custom operator
with exactly the semantics of ONNX's [`NonMaxSuppression`](https://onnx.ai/onnx/operators/onnx__NonMaxSuppression.html):
per batch item and per class, greedy suppression of boxes whose IoU with a higher-scored kept box is
above `iou_threshold`, only boxes scoring above `score_threshold`, at most `max_per_class` boxes kept,
and the result is `selected_indices [K, 3]` = `(batch, class, box)` sorted by batch, class, then
decreasing score. In eager mode it runs `torchvision.ops.batched_nms` (one call for every batch and
class); in ONNX it becomes the standard operator, which every runtime implements.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import batched_nms

__all__ = ["onnx_nms", "onnx_translation_table"]


@torch.library.custom_op("paperzoo::onnx_nms", mutates_args=())
def _onnx_nms(
    boxes: Tensor, scores: Tensor, max_per_class: int, iou_threshold: float, score_threshold: float
) -> Tensor:
    batch, num_classes, _ = scores.shape
    image, label, box = (scores > score_threshold).nonzero(as_tuple=True)
    group = image * num_classes + label
    kept = batched_nms(boxes[image, box], scores[image, label, box], group, iou_threshold)  # score order
    group_sorted, order = torch.sort(group[kept], stable=True)  # (batch, class) order, scores stay sorted
    kept = kept[order]
    counts = torch.bincount(group_sorted, minlength=batch * num_classes)
    rank = torch.arange(len(kept), device=kept.device) - (counts.cumsum(0) - counts)[group_sorted]
    kept = kept[rank < max_per_class]
    return torch.stack([image[kept], label[kept], box[kept]], dim=1)  # 3 × (K,) -> (K, 3)


@_onnx_nms.register_fake
def _onnx_nms_fake(
    boxes: Tensor, scores: Tensor, max_per_class: int, iou_threshold: float, score_threshold: float
) -> Tensor:
    count = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((count, 3), dtype=torch.int64)


def onnx_nms(
    boxes: Tensor, scores: Tensor, max_per_class: int, iou_threshold: float, score_threshold: float
) -> Tensor:
    """Per-class NMS with ONNX `NonMaxSuppression`'s inputs and output.

    Args:
        boxes: `[B, A, 4]` boxes `x1, y1, x2, y2` (shared by all classes of a batch item).
        scores: `[B, C, A]` scores.
        max_per_class: Boxes kept at most per batch item and class.
        iou_threshold: A box is suppressed when its IoU with a kept box is above this.
        score_threshold: Only boxes scoring above this are considered.

    Returns:
        `[K, 3]` int64 `(batch index, class index, box index)`, sorted by batch, class and decreasing score.
    """
    return torch.ops.paperzoo.onnx_nms(boxes, scores, max_per_class, iou_threshold, score_threshold)


def _nms_to_onnx(boxes, scores, max_per_class: int, iou_threshold: float, score_threshold: float):  # noqa: ANN001, ANN202
    from onnxscript import opset18 as op

    return op.NonMaxSuppression(
        boxes,
        scores,
        op.Constant(value_ints=[max_per_class]),
        op.Constant(value_floats=[iou_threshold]),
        op.Constant(value_floats=[score_threshold]),
    )


def _stable_sort_to_onnx(self, stable: bool = True, dim: int = -1, descending: bool = False):  # noqa: ANN001, ANN202
    from onnxscript import opset18 as op

    # TopK over the whole axis: ONNX defines its ties as lower index first, i.e. a stable sort.
    count = op.Reshape(op.Gather(op.Shape(self), dim), op.Constant(value_ints=[1]))
    return op.TopK(self, count, axis=dim, largest=1 if descending else 0, sorted=1)


def onnx_translation_table() -> dict:
    """`custom_translation_table` for `torch.onnx.export`.

    `paperzoo::onnx_nms` becomes `NonMaxSuppression`, and a stable `torch.sort` (which the exporter
    cannot translate) becomes `TopK` over the whole axis.
    """
    return {
        torch.ops.paperzoo.onnx_nms.default: _nms_to_onnx,
        torch.ops.aten.sort.stable: _stable_sort_to_onnx,
    }
