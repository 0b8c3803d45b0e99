"""Faster R-CNN's machinery that R-FCN reuses from torchvision, configured as R-FCN trains and tests.

Dai et al., *R-FCN*, [arXiv 1605.06409](https://arxiv.org/abs/1605.06409), Sec. 4.1: the region
proposal network (RPN) of Faster R-CNN shares conv4 with the detector, and images are resized by their
shorter side. torchvision's `RegionProposalNetwork`, `RPNHead` and `GeneralizedRCNNTransform` do the
work; this module only sets what R-FCN and its official code set differently: a 512-channel RPN
conv, and training scales kept apart from the test scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead
from torchvision.models.detection.transform import GeneralizedRCNNTransform

__all__ = ["MultiScaleRCNNTransform", "region_proposal_network"]

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class MultiScaleRCNNTransform(GeneralizedRCNNTransform):
    """torchvision's `GeneralizedRCNNTransform` with separate training and test scales.

    torchvision picks a random training size from `min_size` and tests at `min_size[-1]`. R-FCN's
    main model trains and tests at a shorter side of 600; its multi-scale experiment (Sec. 4.1)
    trains at {400, 500, 600, 700, 800} and still tests at 600, so the training sizes are kept
    apart. Normalisation, resizing, padding to a multiple of 32 and mapping the detections back to
    the input pixels are torchvision's.

    Args:
        train_min_sizes: Shorter sides sampled uniformly in training.
        test_min_size: Shorter side at test time.
        max_size: Longest side allowed after resizing.
    """

    def __init__(self, train_min_sizes: Sequence[int], test_min_size: int, max_size: int) -> None:
        super().__init__(test_min_size, max_size, IMAGENET_MEAN, IMAGENET_STD)
        if not train_min_sizes or any(int(s) < 1 for s in train_min_sizes):
            raise ValueError(f"train_min_sizes must be positive sizes, got {train_min_sizes!r}")
        self.train_min_sizes = tuple(int(s) for s in train_min_sizes)

    def torch_choice(self, k: list[int]) -> int:
        """Sample a training size (torchvision calls this only in training mode)."""
        return super().torch_choice(list(self.train_min_sizes))


def _rpn_head(in_channels: int, num_anchors: int, mid_channels: int = 512) -> RPNHead:
    """torchvision's `RPNHead` with the official 3x3 `rpn_conv` of 512 channels.

    torchvision's head keeps the input width (1024 on conv4), which doubles the RPN's cost; its
    forward pass is reused unchanged, only the 3x3 conv is swapped for a 1024 -> 512 one.
    """
    head = RPNHead(mid_channels, num_anchors)
    head.conv = nn.Sequential(
        nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1), nn.ReLU(inplace=True)
    )
    nn.init.normal_(head.conv[0].weight, std=0.01)  # as torchvision's RPNHead initialises its convs
    nn.init.zeros_(head.conv[0].bias)
    return head


def region_proposal_network(
    in_channels: int, anchor_sizes: Sequence[int], pre_nms_top_n: int, post_nms_top_n: int
) -> RegionProposalNetwork:
    """torchvision's RPN with Faster R-CNN's settings, as R-FCN uses it (Sec. 4.1).

    3 scales x 3 aspect ratios = 9 anchors per position; anchors with IoU >= 0.7 are positive, < 0.3
    negative, 256 per image half positive; NMS at 0.7 over the proposals.

    Args:
        in_channels: Channels of conv4, the RPN's input.
        anchor_sizes: Anchor scales in input pixels ((128, 256, 512) in the paper).
        pre_nms_top_n: Proposals kept before NMS.
        post_nms_top_n: RoIs kept after NMS, in training (all go to OHEM, py-R-FCN's end-to-end
            setting) and testing (300 in the paper).
    """
    anchors = AnchorGenerator(sizes=(tuple(anchor_sizes),), aspect_ratios=((0.5, 1.0, 2.0),))
    return RegionProposalNetwork(
        anchors,
        _rpn_head(in_channels, anchors.num_anchors_per_location()[0]),
        fg_iou_thresh=0.7,
        bg_iou_thresh=0.3,
        batch_size_per_image=256,
        positive_fraction=0.5,
        pre_nms_top_n={"training": pre_nms_top_n, "testing": pre_nms_top_n},
        post_nms_top_n={"training": post_nms_top_n, "testing": post_nms_top_n},
        nms_thresh=0.7,
    )
