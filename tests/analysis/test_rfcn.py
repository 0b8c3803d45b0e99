"""R-FCN's cost breakdown against Faster R-CNN's per-RoI head (by hand and on a forward pass), and its
training settings measured by running the built model."""

from __future__ import annotations

import torch
import torchvision

from paperzoo.analysis import count_macs, count_params
from paperzoo.analysis.rfcn import ohem_kept_of_duplicates, rfcn_cost_breakdown, training_shorter_sides
from paperzoo.models.rfcn import MULTI_SCALE_TRAIN_SIZES, rfcn_resnet18, rfcn_resnet101


def test_cost_breakdown_resnet101_voc():
    cost = rfcn_cost_breakdown()
    # Parameters cross-checked against torchvision: ResNet-101 without its fc, plus RPN and R-FCN heads.
    with torch.device("meta"):
        resnet = torchvision.models.resnet101()
    rpn = (1024 * 512 * 9 + 512) + (512 * 9 + 9) + (512 * 36 + 36)
    head = (2048 * 1024 + 1024) + (1024 * 1029 + 1029) + (1024 * 196 + 196)
    assert cost.params == count_params(resnet) - count_params(resnet.fc) + rpn + head == 50_596_150
    # Faster R-CNN per RoI: conv5 (stride 2) on a 14x14x1024 RoI feature + fc 2048 -> 21 + 80.
    res5a = 1024 * 512 * 14**2 + 512 * 512 * 9 * 7**2 + 512 * 2048 * 7**2 + 1024 * 2048 * 7**2
    res5bc = 2 * (2048 * 512 + 512 * 512 * 9 + 512 * 2048) * 7**2
    assert cost.faster_rcnn_per_roi_macs == res5a + res5bc + 2048 * (21 + 80) == 809_445_376
    # R-FCN at stride 16 on 600x1000: a 38x63 map; conv5 (dilated, once per image) and the 1x1 head.
    cells = 38 * 63
    assert cost.head_macs == cells * 1024 * (2048 + 1029 + 196)
    assert cost.conv5_macs == (res5a + res5bc) * cells // 7**2 - 1024 * 512 * (14**2 - 7**2) * cells // 7**2
    assert cost.per_roi_macs == 0
    assert cost.total_macs == 140_034_736_128
    assert cost.faster_rcnn_total_macs == 339_073_087_488
    assert 2.4 < cost.faster_rcnn_total_macs / cost.total_macs < 2.5
    assert cost.to_dict()["total_macs"] == cost.total_macs and cost.to_dict()["image_size"] == [600, 1000]


def test_cost_breakdown_matches_the_whole_model():
    """The components add up to `count_macs` of a real eval forward, whatever the number of RoIs."""
    torch.manual_seed(0)
    image = [torch.rand(3, 96, 128)]  # min_size 96: no resize, already a multiple of 32
    model = rfcn_resnet18(min_size=96, max_size=160, train_min_sizes=(96,)).eval()
    cost = rfcn_cost_breakdown(18, image_size=(96, 128))
    assert count_macs(model, image) == cost.total_macs
    model.rpn._post_nms_top_n["testing"] = 5
    assert count_macs(model, image) == cost.total_macs  # per-RoI work has no MACs


def test_training_settings_run_from_a_meta_built_model():
    """The card's claims: what the built model does in training, not what its constructor was told."""
    with torch.device("meta"):
        paper = rfcn_resnet101()
        multi = rfcn_resnet101(train_min_sizes=MULTI_SCALE_TRAIN_SIZES, ohem_nms_thresh=0.7)
    paper.eval()
    state = torch.random.get_rng_state()
    assert training_shorter_sides(paper) == [600]
    assert training_shorter_sides(multi) == [400, 500, 600, 700, 800]
    assert torch.equal(torch.random.get_rng_state(), state)  # the global random state is untouched
    assert not paper.transform.training  # the model's own transform is left in eval mode: a copy ran
    assert ohem_kept_of_duplicates(paper) == 128
    assert ohem_kept_of_duplicates(multi) == 1
