"""R-FCN as exportable graphs: the network core, and the whole two-stage detector end to end.

The eager [`RFCN`][paperzoo.models.rfcn.RFCN] runs torchvision's `GeneralizedRCNNTransform` and
`RegionProposalNetwork`, which loop over images in Python and return lists of proposals. For one fixed
input size everything the loops compute is a constant or a batched tensor op, so the end-to-end graph
is written out here with the eager model's own modules and arithmetic:

1. normalise, resize as `GeneralizedRCNNTransform` would (shorter side `min_size`, longer at most
   `max_size`; the size is a constant of the export), pad to a multiple of 32;
2. conv1-conv4, the RPN head, anchors (a constant buffer), box decoding, the `pre_nms_top_n` best
   anchors, clipping, small boxes removed, NMS 0.7 (ONNX `NonMaxSuppression`) and the
   `post_nms_top_n` best proposals, kept as a fixed `(B, P)` block with the missing ones masked;
3. conv5, the score maps, position-sensitive pooling as an integral image (`paperzoo.deploy.ps_pool`)
   and voting, softmax, class-agnostic box decoding, per-class NMS 0.3 and the
   `detections_per_img` best detections, scaled back to the input pixels.

Only `pool="ps_roi_pool"` (the paper's) is exported; `ps_roi_align`'s bilinear sampling has no
standard-operator version here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import concat_box_prediction_layers

from paperzoo.deploy.detections import padded_top_detections
from paperzoo.deploy.nms import onnx_nms
from paperzoo.deploy.ps_pool import ps_roi_pool_integral
from paperzoo.models.rfcn import RFCN, STRIDE

__all__ = ["RFCNCore", "RFCNEndToEnd"]

_INVALID = -1.0  # score of masked candidates: below every NMS score threshold used here


class RFCNCore(nn.Module):
    """Normalised, padded images `(N, 3, H, W)` -> RPN `(objectness, deltas)` and the score maps."""

    def __init__(self, model: RFCN) -> None:
        super().__init__()
        self.trunk, self.rpn_head, self.conv5, self.head = (
            model.trunk,
            model.rpn.head,
            model.conv5,
            model.head,
        )

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        conv4 = self.trunk(images)  # (N, 1024, H/16, W/16)
        objectness, deltas = self.rpn_head([conv4])
        cls_maps, box_maps = self.head(self.conv5(conv4))  # (N, k²(C+1), h, w), (N, 4k², h, w)
        return objectness[0], deltas[0], cls_maps, box_maps


class RFCNEndToEnd(nn.Module):
    """Images `(N, 3, H, W)` in [0, 1] at the export size -> padded detections in their pixels.

    Args:
        model: The eager detector, `pool="ps_roi_pool"` (weights shared, not copied).
        input_size: `(H, W)` of the exported input.

    Raises:
        ValueError: For `pool="ps_roi_align"`.
    """

    def __init__(self, model: RFCN, input_size: tuple[int, int]) -> None:
        super().__init__()
        if model.pool != "ps_roi_pool":
            raise ValueError(f"only pool='ps_roi_pool' exports to standard operators, got {model.pool!r}")
        self.core = RFCNCore(model)
        self.input_size = tuple(input_size)
        transform, rpn = model.transform, model.rpn
        self.register_buffer("image_mean", torch.tensor(transform.image_mean).view(1, 3, 1, 1))
        self.register_buffer("image_std", torch.tensor(transform.image_std).view(1, 3, 1, 1))
        probe, _ = transform.eval()([torch.zeros(3, *self.input_size)])  # the sizes the eager model uses
        self.resized, self.padded = tuple(probe.image_sizes[0]), tuple(probe.tensors.shape[-2:])
        with torch.no_grad():
            conv4 = model.trunk(probe.tensors)
        self.register_buffer(
            "anchors", rpn.anchor_generator(ImageList(probe.tensors, probe.image_sizes), [conv4])[0]
        )
        height, width = self.resized
        self.register_buffer("clip", torch.tensor([width, height, width, height], dtype=torch.float32))
        ratios = torch.tensor(self.input_size, dtype=torch.float32) / torch.tensor(
            self.resized, dtype=torch.float32
        )
        self.register_buffer("to_input", ratios.flip(0).repeat(2))  # (h, w) -> (w, h, w, h), as resize_boxes
        self.register_buffer("input_clip", torch.tensor(self.input_size[::-1] * 2, dtype=torch.float32))
        self.rpn_box_coder, self.box_coder = rpn.box_coder, model.box_coder
        self.rpn_min_size, self.rpn_score_thresh, self.rpn_nms_thresh = (
            rpn.min_size,
            rpn.score_thresh,
            rpn.nms_thresh,
        )
        self.pre_nms_top_n, self.post_nms_top_n = (
            rpn._pre_nms_top_n["testing"],
            rpn._post_nms_top_n["testing"],
        )
        self.k, self.agnostic8 = model.k, model.box_maps == "agnostic8"
        self.score_thresh, self.nms_thresh = model.box_score_thresh, model.box_nms_thresh
        self.detections_per_img = model.detections_per_img

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        images = (images - self.image_mean) / self.image_std  # GeneralizedRCNNTransform normalises first
        if self.resized != self.input_size:
            images = F.interpolate(images, self.resized, mode="bilinear", align_corners=False)
        pad = (0, self.padded[1] - self.resized[1], 0, self.padded[0] - self.resized[0])
        objectness, deltas, cls_maps, box_maps = self.core(F.pad(images, pad))
        rois, roi_valid = self.proposals(objectness, deltas)  # (B, P, 4), (B, P)
        return self.detect(cls_maps, box_maps, rois, roi_valid)

    def proposals(self, objectness: Tensor, deltas: Tensor) -> tuple[Tensor, Tensor]:
        """The RPN's `filter_proposals` for a batch: `(B, P, 4)` RoIs and which of them exist."""
        batch = objectness.shape[0]
        objectness, deltas = concat_box_prediction_layers([objectness], [deltas])  # (B·A, 1), (B·A, 4)
        anchors = self.anchors.expand(batch, -1, -1).reshape(-1, 4)  # (A, 4) -> (B·A, 4)
        boxes = self.rpn_box_coder.decode_single(deltas, anchors).view(batch, -1, 4)  # (B, A, 4)
        logits = objectness.view(batch, -1)  # (B·A, 1) -> (B, A)
        top_logits, top = logits.topk(min(self.pre_nms_top_n, logits.shape[1]), dim=1)  # (B, n)
        boxes = boxes.gather(1, top[..., None].expand(-1, -1, 4))  # (B, n, 4)
        boxes = torch.minimum(boxes.clamp(min=0), self.clip)  # clip_boxes_to_image
        scores = torch.sigmoid(top_logits)
        size = boxes[..., 2:] - boxes[..., :2]  # (B, n, 2) as (w, h)
        keep = (size >= self.rpn_min_size).all(dim=2) & (scores >= self.rpn_score_thresh)
        scores = torch.where(keep, scores, _INVALID)
        selected = onnx_nms(boxes, scores[:, None], self.post_nms_top_n, self.rpn_nms_thresh, _INVALID / 2)
        image, box = selected[:, 0], selected[:, 2]
        # A scatter, not index_put: torch.onnx translates index_put with a spurious warning on stderr.
        flat = image * scores.shape[1] + box  # (K,) positions in (B, n), flattened
        kept = (
            torch.full_like(scores, _INVALID)
            .flatten()
            .scatter(0, flat, scores.flatten()[flat])
            .view_as(scores)
        )
        top_scores, top = kept.sort(dim=1, descending=True, stable=True)  # best first, ties in order
        count = min(self.post_nms_top_n, kept.shape[1])
        top_scores, top = top_scores[:, :count], top[:, :count]  # (B, P)
        return boxes.gather(1, top[..., None].expand(-1, -1, 4)), top_scores >= 0

    def detect(
        self, cls_maps: Tensor, box_maps: Tensor, rois: Tensor, roi_valid: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Voting, decoding and per-class NMS of `RFCN.postprocess`, then back to input pixels."""
        batch, num_rois = roi_valid.shape
        image = torch.arange(batch, device=rois.device).repeat_interleave(num_rois)  # (B·P,)
        flat_rois = torch.cat([image[:, None].to(rois.dtype), rois.reshape(-1, 4)], dim=1)  # (B·P, 1 + 4)
        cls_logits = ps_roi_pool_integral(cls_maps, flat_rois, self.k, 1.0 / STRIDE).mean(dim=(2, 3))
        box_deltas = ps_roi_pool_integral(box_maps, flat_rois, self.k, 1.0 / STRIDE).mean(dim=(2, 3))
        if self.agnostic8:
            box_deltas = box_deltas.view(-1, 2, 4)[:, 1]  # (R, 2·4) -> (R, 2, 4) -> (R, 4): foreground
        scores = F.softmax(cls_logits, dim=1)[:, 1:].view(batch, num_rois, -1)  # (B, P, C): objects
        boxes = self.box_coder.decode_single(box_deltas, flat_rois[:, 1:]).view(batch, num_rois, 4)
        boxes = torch.minimum(boxes.clamp(min=0), self.clip)
        size = boxes[..., 2:] - boxes[..., :2]  # (B, P, 2) as (w, h)
        valid = roi_valid & (size > 1e-2).all(dim=2)
        scores = torch.where(valid[..., None], scores, _INVALID).transpose(1, 2)  # (B, P, C) -> (B, C, P)
        selected = onnx_nms(boxes, scores, self.detections_per_img, self.nms_thresh, self.score_thresh)
        det_boxes, det_scores, group, count = padded_top_detections(
            boxes[:, None], scores, selected, self.detections_per_img, box_major=True
        )
        det_boxes = torch.minimum((det_boxes * self.to_input).clamp(min=0), self.input_clip)
        return det_boxes, det_scores, torch.where(group >= 0, group + 1, -1), count
