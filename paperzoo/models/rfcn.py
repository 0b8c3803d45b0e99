r"""R-FCN: Object Detection via Region-based Fully Convolutional Networks (Dai et al., 2016).

Paper: [arXiv 1605.06409](https://arxiv.org/abs/1605.06409). Official code: daijifeng001/R-FCN (Caffe).

R-FCN keeps Faster R-CNN's region proposals but moves *all* per-region computation into shared
convolutions: the last layer predicts $k^2(C+1)$ position-sensitive score maps, and each RoI only
pools bin $(i, j)$ from map group $(i, j)$ and averages ("votes") the $k \times k$ bins.

Parts reused from torchvision: the ResNet backbone and its ImageNet weights, the RPN
(`RegionProposalNetwork`) and resizing and mapping back to input pixels (`GeneralizedRCNNTransform`),
both configured in `paperzoo.detection.rcnn`,
the box coder, `ps_roi_pool` / `ps_roi_align` (through
`paperzoo.detection.ps_roi.position_sensitive_roi_pool`, which fixes torchvision's border defect),
`box_iou` and `batched_nms`. Written here because R-FCN adds it: the
position-sensitive head and voting, class-agnostic boxes turned into per-class detections, RoI
targets and online hard example mining (OHEM, Sec. 3.1).

Score-map channel layout (class-major, the order of the official Caffe layer and of torchvision):

    channel (c·k + i)·k + j  =  class c, bin row i, bin column j     # (N, (C+1)·k·k, H, W)

Choices against torchvision's defaults, all documented where they happen: res5a's 3x3 conv is
dilated as in the official prototxt (torchvision keeps it at dilation 1); the RPN head is
torchvision's with its 3x3 conv narrowed to the official 512 channels (torchvision keeps the input's
1024); ResNet-18, whose torchvision `BasicBlock` refuses dilation, gets its atrous conv5 by editing
the conv strides and dilations after construction.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import (
    ResNet18_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    resnet18,
    resnet50,
    resnet101,
)
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.rpn import RegionProposalNetwork
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import batched_nms, box_iou, clip_boxes_to_image
from torchvision.ops.misc import FrozenBatchNorm2d

from paperzoo.detection.grouping import first_k_per_group
from paperzoo.detection.ps_roi import position_sensitive_roi_pool, rois_with_batch_index
from paperzoo.detection.rcnn import MultiScaleRCNNTransform, region_proposal_network
from paperzoo.detection.targets import pad_targets, validate_targets
from paperzoo.models._checks import check_num_classes
from paperzoo.registry import Paper, register_model
from paperzoo.weights import apply_weights, resolve_weights

__all__ = [
    "RFCN",
    "MULTI_SCALE_TRAIN_SIZES",
    "MultiScaleRCNNTransform",
    "RFCNHead",
    "atrous_resnet",
    "ohem_select",
    "rfcn_resnet18",
    "rfcn_resnet50",
    "rfcn_resnet101",
    "roi_losses",
    "score_map_channels",
]

PAPER = Paper("R-FCN: Object Detection via Region-based Fully Convolutional Networks", "1605.06409")
BoxMaps = Literal["agnostic4", "agnostic8"]
Pool = Literal["ps_roi_pool", "ps_roi_align"]
STRIDE = 16  # conv4 stride; conv5 keeps it with à trous convolution (Sec. 3.2)

# Shorter sides of R-FCN's multi-scale training (Sec. 4.1: 80.5 % instead of 79.5 % on VOC 2007 test);
# the main model trains at one scale, 600. Pass as `train_min_sizes=MULTI_SCALE_TRAIN_SIZES`.
MULTI_SCALE_TRAIN_SIZES = (400, 500, 600, 700, 800)

# ResNet depth -> (torchvision builder, ImageNet weights enum, conv4 channels, conv5 channels)
RESNETS: dict[int, tuple[Any, Any, int, int]] = {
    18: (resnet18, ResNet18_Weights, 256, 512),
    50: (resnet50, ResNet50_Weights, 1024, 2048),
    101: (resnet101, ResNet101_Weights, 1024, 2048),
}


def score_map_channels(num_classes: int, k: int, box_maps: BoxMaps = "agnostic4") -> tuple[int, int]:
    """Channels of the classification and box score maps: $k^2(C+1)$ and $4k^2$ (or $8k^2$).

    Args:
        num_classes: $C + 1$, the object classes plus the background.
        k: Bins per RoI side.
        box_maps: `"agnostic4"`: class-agnostic $4k^2$ maps as in the paper (Sec. 2);
            `"agnostic8"`: $8k^2$, background and foreground deltas as the official `rfcn_bbox`.
    """
    per_bin = {"agnostic4": 4, "agnostic8": 8}
    if box_maps not in per_bin:
        raise ValueError(f"box_maps must be 'agnostic4' or 'agnostic8', got {box_maps!r}")
    return k * k * num_classes, k * k * per_bin[box_maps]


# --------------------------------------------------------------------------------------------- backbone


def _atrous_conv5(layer4: nn.Sequential) -> None:
    """Make conv5 keep stride 16: stride 1 everywhere, dilation 2 (padding 2) on every 3x3 conv.

    This is the official prototxt's res5 (res5a_branch1/2a stride 1, all 3x3 convs dilation 2).
    Used for `BasicBlock` ResNets, which torchvision's `replace_stride_with_dilation` rejects.
    """
    for module in layer4.modules():
        if isinstance(module, nn.Conv2d):
            module.stride = (1, 1)
            if module.kernel_size == (3, 3):
                module.dilation, module.padding = (2, 2), (2, 2)


def atrous_resnet(
    depth: int, weights_backbone: Any = None, *, frozen_bn: bool = False
) -> tuple[nn.Sequential, nn.Sequential]:
    """A torchvision ResNet cut into the conv1-conv4 trunk (stride 16) and an atrous conv5.

    Args:
        depth: 18, 50 or 101.
        weights_backbone: torchvision ImageNet weights (`ResNet101_Weights.IMAGENET1K_V1`, its name,
            or `"DEFAULT"`), loaded through torchvision's weights API; `None` for random weights.
        frozen_bn: Use `FrozenBatchNorm2d`, as the official code does with ImageNet weights.

    Returns:
        `(trunk, conv5)`: the trunk maps `(N, 3, H, W)` to conv4 features at stride 16; conv5 keeps
            stride 16 with dilation 2 (Sec. 3.2, "à trous", +2.6 mAP in the paper).
    """
    if depth not in RESNETS:
        raise ValueError(f"ResNet depth must be one of {sorted(RESNETS)}, got {depth!r}")
    builder, weights_enum, _, _ = RESNETS[depth]
    try:
        weights = None if weights_backbone is None else weights_enum.verify(weights_backbone)
    except KeyError:
        known = ", ".join(weights_enum.__members__)
        raise ValueError(
            f"unknown weights_backbone {weights_backbone!r} for ResNet-{depth}; expected one of {known}"
        ) from None
    norm_layer = FrozenBatchNorm2d if frozen_bn else nn.BatchNorm2d
    if depth == 18:
        net = builder(weights=weights, norm_layer=norm_layer)
        _atrous_conv5(net.layer4)
    else:
        net = builder(
            weights=weights, norm_layer=norm_layer, replace_stride_with_dilation=[False, False, True]
        )
        # torchvision keeps res5a's 3x3 conv at dilation 1 (DeepLab's choice); the official R-FCN
        # prototxt dilates it too. Same weights either way.
        net.layer4[0].conv2.dilation, net.layer4[0].conv2.padding = (2, 2), (2, 2)
    names = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3")
    trunk = nn.Sequential(OrderedDict((name, getattr(net, name)) for name in names))
    return trunk, net.layer4


# ------------------------------------------------------------------------------------------------ head


class RFCNHead(nn.Module):
    r"""The R-FCN head: 1x1 conv to 1024 channels + ReLU, then the two banks of score maps (Sec. 2).

    Args:
        in_channels: Channels of conv5 (2048, or 512 for ResNet-18).
        num_classes: $C + 1$, including the background.
        k: Bins per RoI side.
        box_maps: `"agnostic4"` ($4k^2$, paper) or `"agnostic8"` ($8k^2$, official code).
    """

    def __init__(self, in_channels: int, num_classes: int, k: int, box_maps: BoxMaps = "agnostic4") -> None:
        super().__init__()
        cls_channels, box_channels = score_map_channels(num_classes, k, box_maps)
        self.reduce = nn.Conv2d(in_channels, 1024, kernel_size=1)  # official `conv_new_1`
        self.cls_maps = nn.Conv2d(1024, cls_channels, kernel_size=1)  # `rfcn_cls`
        self.box_maps = nn.Conv2d(1024, box_channels, kernel_size=1)  # `rfcn_bbox`
        for conv in (self.reduce, self.cls_maps, self.box_maps):
            nn.init.normal_(conv.weight, std=0.01)  # N(0, 0.01) as in the official prototxt
            nn.init.zeros_(conv.bias)

    def forward(self, conv5: Tensor) -> tuple[Tensor, Tensor]:
        """Map conv5 features `(N, 2048 or 512, H, W)` to `((N, k²(C+1), H, W), (N, 4k² or 8k², H, W))`."""
        features = F.relu(self.reduce(conv5))
        return self.cls_maps(features), self.box_maps(features)


# ------------------------------------------------------------------------------------- training pieces


def roi_losses(
    cls_logits: Tensor, box_deltas: Tensor, labels: Tensor, box_targets: Tensor
) -> tuple[Tensor, Tensor]:
    """Per-RoI classification and box losses, before any selection (Sec. 2, Eq. 2).

    Cross-entropy over $C + 1$ classes, plus smooth L1 (Fast R-CNN, beta 1) on the class-agnostic
    deltas of foreground RoIs only ($[c^* > 0]$ in Eq. 2).

    Args:
        cls_logits: `(R, C+1)` voted class scores.
        box_deltas: `(R, 4)` voted box deltas.
        labels: `(R,)` int64 class of each RoI, 0 for background.
        box_targets: `(R, 4)` encoded regression targets (ignored for background RoIs).

    Returns:
        `(cls_loss, box_loss)`, each `(R,)`.
    """
    cls_loss = F.cross_entropy(cls_logits, labels, reduction="none")
    box_loss = F.smooth_l1_loss(box_deltas, box_targets, beta=1.0, reduction="none")
    box_loss = box_loss.sum(dim=1)  # (R, 4) -> (R,)
    return cls_loss, torch.where(labels > 0, box_loss, torch.zeros_like(box_loss))


def ohem_select(
    losses: Tensor,
    boxes: Tensor,
    image_index: Tensor,
    rois_per_image: int = 128,
    nms_thresh: float | None = None,
) -> Tensor:
    """Online hard example mining (Sec. 3.1): the RoIs whose loss is back-propagated.

    The R-FCN paper's rule, and its official `BoxAnnotatorOHEM` layer: rank all RoIs of an image by
    their loss and keep the `rois_per_image` (B) highest, with no NMS. With `nms_thresh`, the OHEM
    paper's variant (Shrivastava et al. 2016): NMS at `nms_thresh` over the RoIs, scored by loss,
    first removes near-duplicates, so that one hard object does not take all the slots.

    Args:
        losses: `(R,)` per-RoI loss (classification + box), no gradient needed.
        boxes: `(R, 4)` RoIs, `x1, y1, x2, y2` (read only with `nms_thresh`).
        image_index: `(R,)` int64 image of each RoI.
        rois_per_image: B, 128 in the paper.
        nms_thresh: `None` (the R-FCN paper: no NMS), or the IoU threshold of the OHEM paper's NMS
            (0.7 there).

    Returns:
        `(S,)` int64 indices of the selected RoIs, per image in decreasing loss order.
    """
    losses = losses.detach()
    if nms_thresh is None:
        ranked = torch.argsort(losses, descending=True, stable=True)  # (R,), highest loss first
    else:
        ranked = batched_nms(boxes.detach(), losses, image_index, nms_thresh)  # sorted by decreasing loss
    positions, _ = first_k_per_group(image_index[ranked], rois_per_image)
    return ranked[positions]


def _check_head_args(num_classes: int, k: int, box_maps: str, pool: str) -> None:
    check_num_classes(num_classes, background=True)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int (1, 3, 7 in the paper), got {k!r}")
    score_map_channels(num_classes, k, box_maps)  # checks box_maps
    if pool not in ("ps_roi_pool", "ps_roi_align"):
        raise ValueError(f"pool must be 'ps_roi_pool' or 'ps_roi_align', got {pool!r}")


def _image_list(images: Sequence[Tensor] | Tensor) -> list[Tensor]:
    """Check the input images and return them as a list of `(3, H, W)` float tensors."""
    if isinstance(images, Tensor):
        if images.ndim != 4:
            raise ValueError(
                "images must be a list of (3, H, W) tensors or a (N, 3, H, W) batch, "
                f"got shape {list(images.shape)}"
            )
        images = list(images.unbind(0))  # (N, 3, H, W) -> N × (3, H, W)
    if not isinstance(images, Sequence) or len(images) == 0:
        raise ValueError(f"images must be a non-empty list of (3, H, W) tensors, got {type(images).__name__}")
    for index, image in enumerate(images):
        if not isinstance(image, Tensor) or not image.is_floating_point():
            raise ValueError(f"images[{index}] must be a float tensor with values in [0, 1]")
        if image.ndim != 3 or image.shape[0] != 3 or image.shape[1] < 1 or image.shape[2] < 1:
            raise ValueError(
                f"images[{index}] must have shape (3, H, W) with H, W >= 1, got {list(image.shape)}"
            )
    return list(images)


# ------------------------------------------------------------------------------------------------ model


class RFCN(nn.Module):
    r"""R-FCN detector (Dai et al., 2016) with torchvision's detection contract.

    Train mode: `model(images, targets)` returns `{"loss_objectness", "loss_rpn_box_reg"}` (RPN) and
    `{"loss_classifier", "loss_box_reg"}` (R-FCN, after OHEM). Eval mode: `model(images)` returns one
    `{"boxes", "scores", "labels"}` dict per image, boxes in that image's own pixel coordinates.

    Args:
        trunk: conv1-conv4 backbone, stride 16; the RPN runs on its output.
        conv5: Atrous conv5 (stride 16).
        conv5_channels: Output channels of `conv5`.
        rpn: torchvision `RegionProposalNetwork` on the conv4 features (key `"0"`).
        transform: Resizing and normalisation, e.g.
            `MultiScaleRCNNTransform`.
        num_classes: $C + 1$, including the background.
        k: Bins per RoI side (7 in the paper; 1 removes position sensitivity).
        box_maps: `"agnostic4"` (paper) or `"agnostic8"` (official code).
        pool: `"ps_roi_pool"` (paper) or `"ps_roi_align"`.
        sampling_ratio: Bilinear samples per bin side for `"ps_roi_align"`.
        fg_iou_thresh: RoIs with IoU >= this with a ground-truth box are foreground, the rest
            background (Sec. 3.1: 0.5).
        ohem_rois_per_image: B of OHEM (128).
        ohem_nms_thresh: `None` (default): OHEM ranks all RoIs by loss, as the R-FCN paper and its
            official layer do; a float such as 0.7: NMS over the RoIs first, as the OHEM paper does
            (see `ohem_select`).
        box_score_thresh: Detections scoring below are dropped at test time.
        box_nms_thresh: Per-class NMS at test time (0.3, Sec. 4.1).
        detections_per_img: Detections kept per image.
        bbox_reg_weights: Box coder weights (the usual (10, 10, 5, 5), i.e. target stds 0.1/0.2).
    """

    def __init__(
        self,
        trunk: nn.Module,
        conv5: nn.Module,
        conv5_channels: int,
        rpn: RegionProposalNetwork,
        transform: GeneralizedRCNNTransform,
        num_classes: int,
        *,
        k: int = 7,
        box_maps: BoxMaps = "agnostic4",
        pool: Pool = "ps_roi_pool",
        sampling_ratio: int = 2,
        fg_iou_thresh: float = 0.5,
        ohem_rois_per_image: int = 128,
        ohem_nms_thresh: float | None = None,
        box_score_thresh: float = 0.05,
        box_nms_thresh: float = 0.3,
        detections_per_img: int = 100,
        bbox_reg_weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0),
    ) -> None:
        super().__init__()
        _check_head_args(num_classes, k, box_maps, pool)
        if ohem_nms_thresh is not None and not 0 < ohem_nms_thresh <= 1:
            raise ValueError(f"ohem_nms_thresh must be None or in (0, 1], got {ohem_nms_thresh!r}")
        self.transform, self.trunk, self.conv5, self.rpn = transform, trunk, conv5, rpn
        self.head = RFCNHead(conv5_channels, num_classes, k, box_maps)
        self.num_classes, self.k, self.box_maps, self.pool = num_classes, k, box_maps, pool
        self.sampling_ratio, self.fg_iou_thresh = sampling_ratio, fg_iou_thresh
        self.ohem_rois_per_image, self.ohem_nms_thresh = ohem_rois_per_image, ohem_nms_thresh
        self.box_score_thresh, self.box_nms_thresh = box_score_thresh, box_nms_thresh
        self.detections_per_img = detections_per_img
        self.box_coder = BoxCoder(bbox_reg_weights)

    def forward(
        self, images: Sequence[Tensor] | Tensor, targets: Sequence[dict[str, Tensor]] | None = None
    ) -> dict[str, Tensor] | list[dict[str, Tensor]]:
        """Losses (train mode, `targets` required) or detections (eval mode), see the class docs."""
        images = _image_list(images)
        original_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        if self.training:
            if targets is None:
                raise ValueError("targets are required in training mode (call model.eval() for detections)")
            if len(targets) != len(images):
                raise ValueError(f"got {len(targets)} targets for {len(images)} images")
            validate_targets(targets, self.num_classes, original_sizes)
        image_list, targets = self.transform(list(images), None if targets is None else list(targets))
        conv4 = self.trunk(image_list.tensors)  # (N, 1024, H/16, W/16)
        proposals, rpn_losses = self.rpn(image_list, {"0": conv4}, targets)
        cls_maps, box_maps = self.head(self.conv5(conv4))  # (N, k²(C+1), h, w), (N, 4k², h, w)
        if self.training:
            return {**rpn_losses, **self.compute_loss(cls_maps, box_maps, proposals, targets)}
        detections = self.postprocess(cls_maps, box_maps, proposals, image_list.image_sizes)
        detections = self.transform.postprocess(detections, image_list.image_sizes, original_sizes)
        for detection, size in zip(detections, original_sizes, strict=True):
            # Undo the float error of rescaling so that boxes lie exactly inside the input image.
            detection["boxes"] = clip_boxes_to_image(detection["boxes"], size)
        return detections

    def vote(self, cls_maps: Tensor, box_maps: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
        """Position-sensitive pooling of every RoI, then voting by averaging the k x k bins (Eq. 1-2).

        Args:
            cls_maps: `(N, (C+1)·k·k, h, w)` class-major score maps.
            box_maps: `(N, 4·k·k, h, w)` (or `8·k·k`) box maps.
            rois: `(R, 5)` RoIs with their image index, input pixel coordinates.

        Returns:
            `(cls_logits (R, C+1), box_deltas (R, 4))`.
        """
        pool = functools.partial(
            position_sensitive_roi_pool,
            k=self.k,
            spatial_scale=1.0 / STRIDE,
            mode="pool" if self.pool == "ps_roi_pool" else "align",
            sampling_ratio=self.sampling_ratio,
        )
        cls_logits = pool(cls_maps, rois).mean(dim=(2, 3))  # (R, C+1, k, k) -> (R, C+1)
        box_deltas = pool(box_maps, rois).mean(dim=(2, 3))  # (R, 4 or 8, k, k) -> (R, 4 or 8)
        if self.box_maps == "agnostic8":
            box_deltas = box_deltas.view(-1, 2, 4)[:, 1]  # (R, 2·4) -> (R, 2, 4) -> (R, 4): foreground
        return cls_logits, box_deltas

    def assign_targets(self, rois: Tensor, targets: Sequence[dict[str, Tensor]]) -> tuple[Tensor, Tensor]:
        """Label every RoI: foreground if IoU >= 0.5 with a ground-truth box, else background (Sec. 3.1).

        Args:
            rois: `(R, 5)` RoIs with their image index.
            targets: Resized targets, one dict per image.

        Returns:
            `(labels (R,), box_targets (R, 4))`; background RoIs get zero box targets.
        """
        gt_boxes, gt_labels, gt_mask = pad_targets(targets)  # (B, G, 4), (B, G), (B, G)
        image, boxes = rois[:, 0].long(), rois[:, 1:]
        num_images, num_gt = gt_mask.shape
        iou = box_iou(boxes, gt_boxes.reshape(-1, 4)).view(-1, num_images, num_gt)  # (R, B·G) -> (R, B, G)
        iou = iou[torch.arange(len(rois), device=rois.device), image]  # (R, B, G) -> (R, G): own image
        best_iou, best = iou.masked_fill(~gt_mask[image], -1.0).max(dim=1)
        foreground = best_iou >= self.fg_iou_thresh
        labels = torch.where(foreground, gt_labels[image, best], torch.zeros_like(best))
        matched = torch.where(foreground[:, None], gt_boxes[image, best], boxes)  # background: zero deltas
        return labels, self.box_coder.encode_single(matched, boxes)

    def select_hard_examples(self, losses: Tensor, rois: Tensor) -> Tensor:
        """OHEM with this model's settings (Sec. 3.1): indices of the RoIs whose loss is back-propagated.

        Args:
            losses: `(R,)` per-RoI loss.
            rois: `(R, 5)` RoIs with their image index.
        """
        image = rois[:, 0].long()
        return ohem_select(losses, rois[:, 1:], image, self.ohem_rois_per_image, self.ohem_nms_thresh)

    def compute_loss(
        self,
        cls_maps: Tensor,
        box_maps: Tensor,
        proposals: list[Tensor],
        targets: Sequence[dict[str, Tensor]],
    ) -> dict[str, Tensor]:
        """R-FCN losses over the OHEM-selected RoIs (Sec. 3.1), averaged over the selected RoIs.

        The ground-truth boxes join the proposals as RoIs (as in Fast/Faster R-CNN training).
        """
        rois = rois_with_batch_index(
            [torch.cat([p, t["boxes"].to(p.dtype)]) for p, t in zip(proposals, targets, strict=True)]
        )  # (ΣR_i, 5)
        labels, box_targets = self.assign_targets(rois, targets)
        cls_logits, box_deltas = self.vote(cls_maps, box_maps, rois)
        cls_loss, box_loss = roi_losses(cls_logits, box_deltas, labels, box_targets)
        selected = self.select_hard_examples(cls_loss + box_loss, rois)
        # Only the selected RoIs enter the loss, so the others get exactly zero gradient.
        count = max(len(selected), 1)
        return {
            "loss_classifier": cls_loss[selected].sum() / count,
            "loss_box_reg": box_loss[selected].sum() / count,
        }

    def postprocess(
        self, cls_maps: Tensor, box_maps: Tensor, proposals: list[Tensor], image_sizes: list[tuple[int, int]]
    ) -> list[dict[str, Tensor]]:
        """Softmax scores, one shared box per RoI for every class, per-class NMS 0.3, batched.

        Returns detections in the resized images' coordinates (the transform maps them back).
        """
        rois = rois_with_batch_index(proposals)
        image = rois[:, 0].long()
        cls_logits, box_deltas = self.vote(cls_maps, box_maps, rois)
        scores = F.softmax(cls_logits, dim=1)[:, 1:]  # (R, C+1) -> (R, C): object classes
        boxes = self.box_coder.decode_single(box_deltas, rois[:, 1:])  # (R, 4)
        sizes = torch.tensor(image_sizes, dtype=boxes.dtype, device=boxes.device)[image]  # (R, 2) as (h, w)
        boxes = torch.minimum(boxes.clamp(min=0), sizes.flip(1).repeat(1, 2))  # clip to (w, h, w, h)
        num_object_classes = scores.shape[1]
        # Class-agnostic regression: every class of a RoI shares its box.
        boxes = boxes[:, None].expand(-1, num_object_classes, 4).reshape(-1, 4)  # (R, C, 4) -> (R·C, 4)
        labels = torch.arange(1, num_object_classes + 1, device=boxes.device).repeat(len(rois))  # (R·C,)
        image = image.repeat_interleave(num_object_classes)  # (R,) -> (R·C,)
        scores = scores.reshape(-1)  # (R, C) -> (R·C,)
        widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        candidates = torch.nonzero(
            (scores > self.box_score_thresh) & (widths > 1e-2) & (heights > 1e-2)
        ).flatten()
        keep = candidates[
            batched_nms(
                boxes[candidates],
                scores[candidates],
                image[candidates] * (num_object_classes + 1) + labels[candidates],
                self.box_nms_thresh,
            )
        ]  # per image and class, sorted by decreasing score
        keep = keep[first_k_per_group(image[keep], self.detections_per_img)[0]]
        counts = torch.bincount(image[keep], minlength=len(image_sizes)).tolist()
        return [
            {"boxes": b, "scores": s, "labels": c}
            for b, s, c in zip(
                boxes[keep].split(counts), scores[keep].split(counts), labels[keep].split(counts), strict=True
            )
        ]


# ---------------------------------------------------------------------------------------------- builders


def _rfcn(
    depth: int,
    weights: Any,
    weights_backbone: Any,
    *,
    num_classes: int,
    k: int = 7,
    box_maps: BoxMaps = "agnostic4",
    pool: Pool = "ps_roi_pool",
    min_size: int = 600,
    max_size: int = 1000,
    train_min_sizes: Sequence[int] | None = None,
    anchor_sizes: Sequence[int] = (128, 256, 512),
    rpn_pre_nms_top_n: int = 6000,
    rpn_post_nms_top_n: int = 300,
    **kwargs: Any,
) -> RFCN:
    """The one builder behind `rfcn_resnet{18,50,101}`; the arguments are documented on `rfcn_resnet101`."""
    if weights is not None:
        raise ValueError(
            f"no pretrained R-FCN weights are published, got weights={weights!r}; use weights=None and "
            "weights_backbone='DEFAULT' for ImageNet backbone weights (or load your own state_dict)"
        )
    _check_head_args(num_classes, k, box_maps, pool)  # before building the backbone
    backbone_weights = resolve_weights(f"rfcn_resnet{depth}", weights_backbone, "backbone")
    trunk, conv5 = atrous_resnet(depth, None, frozen_bn=backbone_weights is not None)
    if backbone_weights is not None:
        # The official code keeps conv1 and res2 fixed when fine-tuning from ImageNet.
        trunk.conv1.requires_grad_(False)
        trunk.layer1.requires_grad_(False)
    _, _, conv4_channels, conv5_channels = RESNETS[depth]
    rpn = region_proposal_network(conv4_channels, anchor_sizes, rpn_pre_nms_top_n, rpn_post_nms_top_n)
    train_min_sizes = (min_size,) if train_min_sizes is None else train_min_sizes  # single scale (Sec. 4.1)
    transform = MultiScaleRCNNTransform(train_min_sizes, min_size, max_size)
    model = RFCN(
        trunk, conv5, conv5_channels, rpn, transform, num_classes, k=k, box_maps=box_maps, pool=pool, **kwargs
    )
    return model if backbone_weights is None else apply_weights(model, backbone_weights)


_REGISTER = register_model(
    paper=PAPER, task="detection", input_size=(600, 1000), docs="object-detection/r-fcn/"
)


@_REGISTER
def rfcn_resnet101(
    *,
    weights: Any = None,
    weights_backbone: ResNet101_Weights | str | None = None,
    num_classes: int = 21,
    **kwargs: Any,
) -> RFCN:
    r"""R-FCN with an atrous ResNet-101, the paper's main model (79.5 mAP on VOC 07 test, 07+12 train).

    The defaults are that model's settings (Sec. 3.1, 4.1): images resized to a shorter side of 600
    in training and testing, and OHEM keeping the B = 128 RoIs of highest loss per image, without
    NMS. The paper's 80.5 % model adds multi-scale training:
    `train_min_sizes=MULTI_SCALE_TRAIN_SIZES` (shorter sides 400-800, still tested at 600);
    `ohem_nms_thresh=0.7` gives the OHEM paper's NMS before ranking.

    Args:
        weights: Must be `None`: no trained R-FCN weights are published.
        weights_backbone: torchvision ImageNet weights for the ResNet, e.g. `"DEFAULT"`.
        num_classes: $C + 1$ including the background (21 for VOC, 81 for COCO).
        **kwargs: `k` (bins per RoI side, 7), `box_maps` (`"agnostic4"`: $4k^2$ maps, paper;
            `"agnostic8"`: $8k^2$, official code), `pool` (`"ps_roi_pool"`, paper, or
            `"ps_roi_align"`), `min_size` (test scale, 600), `max_size` (1000), `train_min_sizes`
            (training scales sampled uniformly; `None`: `(min_size,)`), `anchor_sizes`
            ((128, 256, 512)), `rpn_pre_nms_top_n` (6000), `rpn_post_nms_top_n` (300), and the
            keyword arguments of `RFCN` (`ohem_rois_per_image` 128, `ohem_nms_thresh` `None`, ...).

    Returns:
        The detector, with random weights unless `weights_backbone` is given.
    """
    return _rfcn(101, weights, weights_backbone, num_classes=num_classes, **kwargs)


@_REGISTER
def rfcn_resnet50(
    *,
    weights: Any = None,
    weights_backbone: ResNet50_Weights | str | None = None,
    num_classes: int = 21,
    **kwargs: Any,
) -> RFCN:
    """R-FCN with an atrous ResNet-50 (77.4 mAP on VOC 07 test in the official README).

    Arguments as `rfcn_resnet101`.

    Returns:
        The detector, with random weights unless `weights_backbone` is given.
    """
    return _rfcn(50, weights, weights_backbone, num_classes=num_classes, **kwargs)


@_REGISTER
def rfcn_resnet18(
    *,
    weights: Any = None,
    weights_backbone: ResNet18_Weights | str | None = None,
    num_classes: int = 21,
    **kwargs: Any,
) -> RFCN:
    """R-FCN with an atrous ResNet-18: not in the paper, a small model for CPU experiments and tests.

    conv5 (512 channels) is made atrous by editing its strides and dilations (torchvision's
    `BasicBlock` refuses `replace_stride_with_dilation`); the 1x1 reduction maps 512 -> 1024.
    Arguments as `rfcn_resnet101`.

    Returns:
        The detector, with random weights unless `weights_backbone` is given.
    """
    return _rfcn(18, weights, weights_backbone, num_classes=num_classes, **kwargs)
