"""SSD and SSDLite as exportable graphs: the network core, and the whole detector end to end.

The eager [`SSD`][paperzoo.models.ssd.SSD] takes images of any size and returns Python lists; its
post-processing (`paperzoo.detection.ssd_postprocess`) grows the NMS input until the result is exact,
a data-dependent loop no exporter keeps. Here the same computation is written for one fixed input
size and a dynamic batch: resize (when the export size is not the network's), normalise, network, box
decoding (Eq. 2), softmax, per-class NMS through ONNX `NonMaxSuppression`, and the
`detections_per_img` best survivors per image. Every step is the eager model's own arithmetic, so the
outputs match it (see `tests/deploy`).

The NMS input is chosen as in eager, in two rounds instead of a loop. The first round runs NMS on
each image's `R = 2·detections_per_img` best (prior, class) pairs; NMS only compares a box with
higher-scored boxes of its class, so it decides exactly which of those `R` survive, and when
`detections_per_img` of them do (or there are no more candidates) nothing else can enter the result.
Otherwise a `torch.cond` (ONNX `If`) runs the second round on every class's `topk_candidates` best
boxes, the full computation. The first round is what makes the graph fast: on SSDLite-MobileNetV2 at
320 with 90 classes the second round's NMS and per-class top-k took 57 % of ONNX Runtime's time
(`benchmarks/bench_deploy.py`), the first round about 3 %.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.deploy.detections import padded_top_detections
from paperzoo.deploy.nms import onnx_nms
from paperzoo.detection.box_coder import decode
from paperzoo.models.ssd import SSD

__all__ = ["SSDCore", "SSDDetections", "SSDEndToEnd"]

Detections = tuple[Tensor, Tensor, Tensor, Tensor]


class SSDCore(nn.Module):
    """Normalised images `(N, 3, H, W)` at the network size -> `(cls_logits (N, A, C), bbox_regression (N, A, 4))`."""

    def __init__(self, model: SSD) -> None:
        super().__init__()
        self.backbone, self.head = model.backbone, model.head

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        outputs = self.head(self.backbone(images))
        return outputs["cls_logits"], outputs["bbox_regression"]


def _best_pairs(scores: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """The `k` best (prior, class) pairs of each image: `(scores (B, k), priors (B, k), classes (B, k))`.

    Equal to `scores.flatten(1).topk(k)`, but through each prior's best class first: a prior with one
    of the `k` best pairs has fewer than `k` priors with a higher best score, so the pairs are among
    the classes of the `k` best priors. Two TopKs over `A` and `k·C'` values instead of one over
    `A·C'` (SSDLite at 320 on COCO: 0.3 ms instead of 1.0 ms in ONNX Runtime, over 218k values).
    """
    num_classes = scores.shape[2]
    _, priors = scores.amax(dim=2).topk(k, dim=1)  # (B, A, C') -> (B, A) -> (B, k)
    rows = scores.gather(1, priors[..., None].expand(-1, -1, num_classes))  # (B, k, C')
    best_scores, best = rows.flatten(1).topk(k, dim=1)  # (B, k·C') -> (B, k)
    return best_scores, priors.gather(1, best // num_classes), best % num_classes


class SSDDetections(nn.Module):
    """Head outputs for images of one size -> padded detections, as `postprocess_detections` computes them.

    Args:
        priors: Default boxes `[A, 4]` (`cx, cy, w, h`, fractions of the image).
        image_size: `(H, W)`: the boxes are scaled to it and clipped.
        score_thresh, nms_thresh, topk_candidates, detections_per_img: As the eager
            [`SSD`][paperzoo.models.ssd.SSD]'s.

    Returns (from `forward(cls_logits [B, A, C], bbox_regression [B, A, 4])`): see
    `paperzoo.deploy.detections`.
    """

    def __init__(
        self,
        priors: Tensor,
        image_size: tuple[int, int],
        *,
        score_thresh: float,
        nms_thresh: float,
        topk_candidates: int,
        detections_per_img: int,
    ) -> None:
        super().__init__()
        self.register_buffer("priors", priors.clone())
        height, width = image_size
        self.register_buffer("scale", torch.tensor([width, height, width, height], dtype=torch.float32))
        self.score_thresh, self.nms_thresh = score_thresh, nms_thresh
        self.topk_candidates, self.detections_per_img = topk_candidates, detections_per_img

    def forward(self, cls_logits: Tensor, deltas: Tensor) -> Detections:
        scores = F.softmax(cls_logits, dim=-1)[..., 1:]  # (B, A, C) -> (B, A, C - 1): drop the background
        boxes = decode(deltas, self.priors) * self.scale  # (B, A, 4) in image pixels
        boxes = torch.minimum(boxes.clamp(min=0), self.scale)
        if self.num_best(*scores.shape[1:]) is None:
            return self._all_candidates(scores, boxes)
        # Always true: it only moves the first round's NMS into a subgraph. torch.onnx's type promotion
        # pass (torch 2.14) fails on an NMS output size that is created before a torch.cond.
        always = scores.new_ones((), dtype=torch.bool)
        return _cond(always, self._two_rounds, self._all_candidates, (scores, boxes))

    def num_best(self, num_priors: int, num_classes: int) -> int | None:
        """`R`, the candidates per image of the first round, or `None` where only the full round is exact.

        The first round needs `R <= topk_candidates` (then no class has more than `topk_candidates` of
        the `R` best, so the per-class top-k cannot drop one of them) and more priors than `R` (it
        looks at the `R + 1`-th best to know whether other candidates remain).
        """
        num_best = 2 * self.detections_per_img
        if num_best > self.topk_candidates or num_best >= num_priors:
            return None
        return num_best

    def _two_rounds(self, scores: Tensor, boxes: Tensor) -> Detections:
        num_best = self.num_best(*scores.shape[1:])
        best_scores, prior, label = _best_pairs(scores, num_best + 1)  # (B, R + 1) each
        detections = self._best_candidates(
            boxes, best_scores[:, :-1], prior[:, :-1], label[:, :-1], scores.shape[2]
        )
        # Exact when detections_per_img survive, or when the (R + 1)-th best is no candidate at all.
        exact = (detections[3] >= self.detections_per_img) | (best_scores[:, -1] <= self.score_thresh)
        return _cond(exact.all(), _copies, self._all_candidates_after, (scores, boxes, *detections))

    def _best_candidates(
        self, boxes: Tensor, best_scores: Tensor, prior: Tensor, label: Tensor, num_classes: int
    ) -> Detections:
        """NMS over the given (prior, class) pairs, `(B, R)` each."""
        best_boxes = boxes.gather(1, prior[..., None].expand(-1, -1, 4))  # (B, R, 4)
        # Each candidate scores in its own class only: (B, R) -> (B, C', R), -1 (below any threshold) elsewhere.
        class_scores = best_scores.new_full((len(prior), num_classes, prior.shape[1]), -1.0)
        class_scores = class_scores.scatter(1, label[:, None, :], best_scores[:, None, :])
        selected = onnx_nms(
            best_boxes, class_scores, self.detections_per_img, self.nms_thresh, self.score_thresh
        )
        det_boxes, det_scores, group, count = padded_top_detections(
            best_boxes[:, None], best_scores[:, None], selected, self.detections_per_img, labels=label
        )
        return det_boxes, det_scores, torch.where(group >= 0, group + 1, -1), count

    def _all_candidates_after(self, scores: Tensor, boxes: Tensor, *first_round: Tensor) -> Detections:
        return self._all_candidates(scores, boxes)

    def _all_candidates(self, scores: Tensor, boxes: Tensor) -> Detections:
        """NMS over every class's `topk_candidates` best boxes: the full computation."""
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


def _cond(pred: Tensor, true_fn: Callable, false_fn: Callable, operands: tuple[Tensor, ...]) -> Detections:
    """`torch.cond` while exporting or compiling; in eager mode a Python `if`, which runs no compiler."""
    if torch.compiler.is_compiling():
        return torch.cond(pred, true_fn, false_fn, operands)
    return true_fn(*operands) if bool(pred) else false_fn(*operands)


def _copies(scores: Tensor, boxes: Tensor, *detections: Tensor) -> Detections:
    return tuple(tensor.clone() for tensor in detections)  # a torch.cond branch may not return its inputs


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
        self.detections = SSDDetections(
            model.priors,
            self.input_size,
            score_thresh=model.score_thresh,
            nms_thresh=model.nms_thresh,
            topk_candidates=model.topk_candidates,
            detections_per_img=model.detections_per_img,
        )

    def forward(self, images: Tensor) -> Detections:
        if self.input_size != self.size:
            images = F.interpolate(images, self.size, mode="bilinear", antialias=self.antialias)
        return self.detections(*self.core((images - self.image_mean) / self.image_std))
