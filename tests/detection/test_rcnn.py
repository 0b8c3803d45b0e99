"""The R-CNN pieces R-FCN reuses: separate training and test scales, and the 512-channel RPN conv."""

from __future__ import annotations

import pytest
import torch

from paperzoo.detection.rcnn import MultiScaleRCNNTransform, region_proposal_network


def test_multiscale_transform_train_and_test_sizes():
    torch.manual_seed(0)
    transform = MultiScaleRCNNTransform((32, 48), 64, 1000)
    image = [torch.rand(3, 20, 30)]
    sizes = {transform(image)[0].image_sizes[0][0] for _ in range(12)}
    assert sizes == {32, 48}
    transform.eval()
    assert transform(image)[0].image_sizes[0] == (64, 96)


def test_bad_training_sizes_raise():
    with pytest.raises(ValueError, match="train_min_sizes must be positive sizes"):
        MultiScaleRCNNTransform((), 600, 1000)


def test_rpn_has_nine_anchors_and_the_official_512_channel_conv():
    rpn = region_proposal_network(1024, (128, 256, 512), pre_nms_top_n=6000, post_nms_top_n=300)
    assert rpn.anchor_generator.num_anchors_per_location() == [9]
    conv = rpn.head.conv[0]
    assert (conv.in_channels, conv.out_channels) == (1024, 512)
    assert (rpn.head.cls_logits.in_channels, rpn.head.cls_logits.out_channels) == (512, 9)
    assert (rpn._pre_nms_top_n["training"], rpn._post_nms_top_n["testing"], rpn.nms_thresh) == (
        6000,
        300,
        0.7,
    )
