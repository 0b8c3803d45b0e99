"""SSD and SSDLite as exportable graphs: the network core, and the whole detector end to end.

The eager [`SSD`][paperzoo.models.ssd.SSD] takes images of any size and returns Python lists; its
post-processing (`paperzoo.detection.ssd_postprocess`) grows the NMS input until the result is exact,
a data-dependent loop no exporter keeps. Here the same computation is written for one fixed input
size and a dynamic batch: resize (when the export size is not the network's), normalise, network, box
decoding (Eq. 2), softmax, the `topk_candidates` best boxes of every class, per-class NMS through ONNX
`NonMaxSuppression`, and the `detections_per_img` best survivors per image. Every step is the eager
model's own arithmetic, so the outputs match it (see `tests/deploy`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.deploy.detections import padded_top_detections
from paperzoo.deploy.nms import onnx_nms
from paperzoo.detection.box_coder import decode
from paperzoo.models.ssd import SSD

__all__ = ["SSDCore", "SSDEndToEnd"]


class SSDCore(nn.Module):
    """Normalised images `(N, 3, H, W)` at the network size -> `(cls_logits (N, A, C), bbox_regression (N, A, 4))`."""

    def __init__(self, model: SSD) -> None:
        super().__init__()
        self.backbone, self.head = model.backbone, model.head

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        outputs = self.head(self.backbone(images))
        return outputs["cls_logits"], outputs["bbox_regression"]


class SSDEndToEnd(nn.Module):
    """Images `(N, 3, H, W)` in [0, 1] at the export size -> padded detections in their pixels.

    Args:
        model: The eager detector (its weights are shared, not copied).
        input_size: `(H, W)` of the exported input; default: the network's `model.size`.

    Returns (from `forward`): see `paperzoo.deploy.detections`.
    """

    def __init__(self, model: SSD, input_size: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.core = SSDCore(model)
        self.size, self.antialias = tuple(model.size), model.antialias
        self.input_size = tuple(input_size) if input_size is not None else self.size
        self.register_buffer("image_mean", model.image_mean.clone())
        self.register_buffer("image_std", model.image_std.clone())
        self.register_buffer("priors", model.priors.clone())
        height, width = self.input_size
        self.register_buffer("scale", torch.tensor([width, height, width, height], dtype=torch.float32))
        self.score_thresh, self.nms_thresh = model.score_thresh, model.nms_thresh
        self.topk_candidates, self.detections_per_img = model.topk_candidates, model.detections_per_img

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if self.input_size != self.size:
            images = F.interpolate(images, self.size, mode="bilinear", antialias=self.antialias)
        cls_logits, deltas = self.core((images - self.image_mean) / self.image_std)
        scores = F.softmax(cls_logits, dim=-1)[..., 1:]  # (B, A, C) -> (B, A, C - 1): drop the background
        boxes = decode(deltas, self.priors) * self.scale  # (B, A, 4) in input pixels
        boxes = torch.minimum(boxes.clamp(min=0), self.scale)
        batch, num_priors, num_classes = scores.shape
        k = min(self.topk_candidates, num_priors)
        top_scores, top_priors = scores.transpose(1, 2).topk(k, dim=2)  # (B, A, C') -> (B, C', k)
        # The k candidates of each class have their own boxes: NMS runs on B·C' "images" of one class.
        index = top_priors.reshape(batch, -1, 1).expand(-1, -1, 4)  # (B, C'·k, 4)
        top_boxes = boxes.gather(1, index).view(batch, num_classes, k, 4)  # (B, C'·k, 4) -> (B, C', k, 4)
        selected = onnx_nms(
            top_boxes.view(-1, k, 4),  # (B·C', k, 4)
            top_scores.view(-1, 1, k),  # (B·C', 1, k)
            self.detections_per_img,
            self.nms_thresh,
            self.score_thresh,
        )
        image, group = selected[:, 0] // num_classes, selected[:, 0] % num_classes
        selected = torch.stack([image, group, selected[:, 2]], dim=1)  # (K, 3) as (image, class, candidate)
        det_boxes, det_scores, group, count = padded_top_detections(
            top_boxes, top_scores, selected, self.detections_per_img
        )
        return det_boxes, det_scores, torch.where(group >= 0, group + 1, -1), count
