"""R-FCN measured from a built model: its cost against a Faster R-CNN per-RoI head (Sec. 2, Table 3),
and the training settings its code actually runs (scale, Sec. 4.1; OHEM rule, Sec. 3.1).

Imported on its own (`from paperzoo.analysis.rfcn import rfcn_cost_breakdown`), not from
`paperzoo.analysis`: it builds R-FCN models, and the rest of `paperzoo.analysis` stays free of them.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from paperzoo.analysis.complexity import count_macs, count_params
from paperzoo.models.rfcn import RESNETS, RFCN, rfcn_resnet18, rfcn_resnet50, rfcn_resnet101

__all__ = ["RFCNCost", "ohem_kept_of_duplicates", "rfcn_cost_breakdown", "training_shorter_sides"]

_BUILDERS = {18: rfcn_resnet18, 50: rfcn_resnet50, 101: rfcn_resnet101}


@dataclass(frozen=True)
class RFCNCost:
    """Parameters and multiply-accumulates of R-FCN vs a Faster R-CNN per-RoI head (Sec. 2, Table 1).

    MACs are counted by `paperzoo.analysis.count_macs` on a `meta`
    device model (shapes only). Faster R-CNN with ResNet (He et al. 2016) shares conv1-conv4 and the
    RPN with R-FCN but runs conv5 (stride 2 on 14x14 RoI features) and the fc classifier/regressor
    once per RoI; R-FCN runs conv5 and its 1x1 convs once per image, and its per-RoI work (pooling
    and averaging) has no multiply-accumulates.

    Attributes:
        depth: ResNet depth.
        image_size: `(H, W)` of the network input.
        num_rois: RoIs per image (300 at test time).
        num_classes: $C + 1$.
        k: Bins per RoI side.
        params: Parameters of the R-FCN model (batch norm included).
        trunk_macs: conv1-conv4 on the image.
        rpn_macs: RPN head on conv4.
        conv5_macs: Atrous conv5 on the whole conv4 map (stride 16).
        head_macs: 1x1 reduction and the two banks of score maps.
        per_roi_macs: R-FCN's cost per RoI: 0.
        faster_rcnn_per_roi_macs: conv5 on one 14x14 RoI + fc (C + 1 scores, 4C class-specific deltas).
    """

    depth: int
    image_size: tuple[int, int]
    num_rois: int
    num_classes: int
    k: int
    params: int
    trunk_macs: int
    rpn_macs: int
    conv5_macs: int
    head_macs: int
    per_roi_macs: int
    faster_rcnn_per_roi_macs: int

    @property
    def total_macs(self) -> int:
        """R-FCN: everything, independent of the number of RoIs."""
        return (
            self.trunk_macs
            + self.rpn_macs
            + self.conv5_macs
            + self.head_macs
            + self.num_rois * self.per_roi_macs
        )

    @property
    def faster_rcnn_total_macs(self) -> int:
        """Faster R-CNN (ResNet, conv5 per RoI): shared trunk and RPN + the per-RoI head for every RoI."""
        return self.trunk_macs + self.rpn_macs + self.num_rois * self.faster_rcnn_per_roi_macs

    def to_dict(self) -> dict[str, Any]:
        """All fields and the two totals as plain JSON-serialisable data."""
        return {
            **asdict(self),
            "image_size": list(self.image_size),
            "total_macs": self.total_macs,
            "faster_rcnn_total_macs": self.faster_rcnn_total_macs,
        }


def rfcn_cost_breakdown(
    depth: int = 101,
    *,
    num_classes: int = 21,
    k: int = 7,
    image_size: tuple[int, int] = (600, 1000),
    num_rois: int = 300,
) -> RFCNCost:
    """Cost of R-FCN (`rfcn_resnet{depth}`) at `image_size` with `num_rois` RoIs, and of the
    equivalent Faster R-CNN per-RoI head, for the docs (the paper: 0.17 s vs 0.42 s per image, K40).

    Returns:
        The breakdown; see `RFCNCost`.
    """
    builder, _, conv4_channels, conv5_channels = RESNETS[depth]
    with torch.device("meta"):  # shapes only: no memory, no compute
        model = _BUILDERS[depth](num_classes=num_classes, k=k, box_maps="agnostic4", pool="ps_roi_pool")
        image = torch.zeros(1, 3, *image_size)
        faster_conv5 = builder().layer4  # stride 2, no dilation: ResNet Faster R-CNN's per-RoI conv5
        faster_fc = nn.Linear(conv5_channels, 5 * num_classes - 4)  # C + 1 scores and 4C deltas
        conv4 = model.trunk(image)  # (1, 3, H, W) -> (1, 1024, H/16, W/16)
        conv5 = model.conv5(conv4)
    per_roi = count_macs(faster_conv5, (1, conv4_channels, 14, 14)) + count_macs(
        faster_fc, (1, conv5_channels)
    )
    return RFCNCost(
        depth=depth,
        image_size=tuple(image_size),
        num_rois=num_rois,
        num_classes=num_classes,
        k=k,
        params=count_params(model),
        trunk_macs=count_macs(model.trunk, image),
        rpn_macs=count_macs(model.rpn.head, [conv4]),
        conv5_macs=count_macs(model.conv5, conv4),
        head_macs=count_macs(model.head, conv5),
        per_roi_macs=0,
        faster_rcnn_per_roi_macs=per_roi,
    )


def training_shorter_sides(model: RFCN, draws: int = 64) -> list[int]:
    """The shorter sides the model resizes its training images to, found by running its transform.

    A copy of `model.transform` in training mode resizes a 64 x 64 image `draws` times (seeded, the
    global random state untouched): one value for single-scale training, all the sampled scales
    otherwise. Runs on the CPU whatever the default device (the transform has no weights), so it works
    for a model built on the `meta` device too.
    """
    transform = copy.deepcopy(model.transform).train()
    with torch.device("cpu"), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        image = torch.zeros(3, 64, 64)  # square, 2^6: every scale up to max_size is reached exactly
        return sorted({min(transform([image])[0].image_sizes[0]) for _ in range(draws)})


def ohem_kept_of_duplicates(model: RFCN, num_rois: int = 300) -> int:
    """How many of `num_rois` RoIs on one object the model's OHEM back-propagates, by running it.

    The RoIs are copies of one box with distinct losses, in one image. The R-FCN paper's rule (rank
    by loss, no NMS) keeps B = `model.ohem_rois_per_image` of them; the OHEM paper's NMS keeps one.
    """
    with torch.device("cpu"):
        losses = torch.linspace(1.0, 0.0, num_rois)
        rois = torch.tensor([[0.0, 10.0, 10.0, 110.0, 110.0]]).expand(num_rois, 5)  # (R, 5): image 0
        return len(model.select_hard_examples(losses, rois))
