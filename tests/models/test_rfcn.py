"""R-FCN: architecture numbers, training behaviour (OHEM), detections, bad input."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn
from torchvision.ops import box_iou
from torchvision.ops.misc import FrozenBatchNorm2d

import paperzoo
from paperzoo.models import rfcn
from paperzoo.models.rfcn import (
    RFCNHead,
    atrous_resnet,
    ohem_select,
    rfcn_resnet18,
    rfcn_resnet101,
    roi_losses,
    score_map_channels,
)
from tests.weights.local_weights import local_weights

SMALL = {"min_size": 96, "max_size": 160, "train_min_sizes": (96,)}


def _small_model(**kwargs) -> rfcn.RFCN:
    torch.manual_seed(0)
    return rfcn_resnet18(**{**SMALL, **kwargs})


def _batch():
    images = [torch.rand(3, 96, 128), torch.rand(3, 80, 96)]
    targets = [
        {
            "boxes": torch.tensor([[10.0, 12.0, 70.0, 80.0], [60.0, 5.0, 120.0, 40.0]]),
            "labels": torch.tensor([3, 7]),
        },
        {"boxes": torch.tensor([[20.0, 20.0, 90.0, 70.0]]), "labels": torch.tensor([15])},
    ]
    return images, targets


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on the 2 shared cores, two threads per test process oversubscribe badly."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model() -> rfcn.RFCN:
    return _small_model(box_score_thresh=0.0)


# ------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("num_classes", [21, 81])  # C = 20 (VOC), 80 (COCO), plus the background
def test_score_map_channels(k, num_classes):
    cls_channels, box_channels = score_map_channels(num_classes, k)
    assert cls_channels == k * k * num_classes
    assert box_channels == 4 * k * k
    assert score_map_channels(num_classes, k, "agnostic8")[1] == 8 * k * k
    head = RFCNHead(2048, num_classes, k)
    assert (head.cls_maps.out_channels, head.box_maps.out_channels) == (cls_channels, box_channels)


def test_paper_channel_counts():
    assert score_map_channels(21, 7) == (1029, 196)  # the paper: k²(C+1) = 1029 for VOC, 4k² box maps
    assert score_map_channels(21, 7, "agnostic8") == (1029, 392)  # official `rfcn_bbox`: 8·7²


# ------------------------------------------------------------------------------------- architecture


def test_registered_builders():
    assert paperzoo.list_models("rfcn*") == ["rfcn_resnet101", "rfcn_resnet18", "rfcn_resnet50"]
    info = paperzoo.get_model_info("rfcn_resnet101")
    assert (info.task, info.docs, info.paper.arxiv) == ("detection", "object-detection/r-fcn/", "1605.06409")


def test_paper_defaults():
    with torch.device("meta"):
        model = rfcn.rfcn_resnet101()
    transform, rpn = model.transform, model.rpn
    # The 79.5 % model: one training scale, the test scale 600 (Sec. 4.1).
    assert (transform.train_min_sizes, transform.min_size, transform.max_size) == ((600,), (600,), 1000)
    assert rpn.anchor_generator.num_anchors_per_location() == [9]  # 3 scales x 3 aspect ratios
    assert (rpn._post_nms_top_n["testing"], rpn.nms_thresh) == (300, 0.7)
    # OHEM as the R-FCN paper and its official layer: top 128 RoIs by loss, no NMS (Sec. 3.1).
    assert (model.k, model.fg_iou_thresh, model.ohem_rois_per_image, model.ohem_nms_thresh) == (
        7,
        0.5,
        128,
        None,
    )
    assert model.box_nms_thresh == 0.3
    assert model.head.reduce.out_channels == 1024 and model.rpn.head.conv[0].out_channels == 512


def test_multi_scale_training_is_one_argument_away():
    with torch.device("meta"):
        multi = rfcn.rfcn_resnet101(train_min_sizes=rfcn.MULTI_SCALE_TRAIN_SIZES)
        other_scale = rfcn.rfcn_resnet101(min_size=800)
    assert (multi.transform.train_min_sizes, multi.transform.min_size) == ((400, 500, 600, 700, 800), (600,))
    assert (other_scale.transform.train_min_sizes, other_scale.transform.min_size) == ((800,), (800,))


@pytest.mark.parametrize("depth", [18, 50])
def test_atrous_backbone_keeps_stride_16(depth):
    torch.manual_seed(0)
    trunk, conv5 = atrous_resnet(depth)
    with torch.no_grad():
        conv4 = trunk(torch.rand(1, 3, 64, 96))
        out = conv5(conv4)
    assert conv4.shape[-2:] == out.shape[-2:] == (4, 6)
    assert out.shape[1] == (512 if depth == 18 else 2048)
    dilations = {m.dilation for m in conv5.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)}
    assert dilations == {(2, 2)}  # every 3x3 conv of res5, res5a included, as the official prototxt


def test_imagenet_weights_load_as_the_backbone(tmp_path):
    torch.manual_seed(1)
    state = torchvision.models.resnet18().state_dict()
    weights = local_weights(tmp_path, "rfcn_resnet18", "DEFAULT", state, "backbone")
    assert weights.tag == "IMAGENET1K_V1"
    model = rfcn_resnet18(weights_backbone=weights, **SMALL)
    torch.testing.assert_close(model.trunk.conv1.weight, state["conv1.weight"])
    torch.testing.assert_close(model.conv5[1].conv2.weight, state["layer4.1.conv2.weight"])
    assert isinstance(model.trunk.bn1, FrozenBatchNorm2d)
    assert not any(p.requires_grad for p in model.trunk.layer1.parameters())
    assert all(p.requires_grad for p in model.trunk.layer2.parameters())


# --------------------------------------------------------------------------------------- pooling/k


def test_k1_has_no_position_sensitivity():
    """With k = 1 a RoI's score is its plain average (global pooling): moving parts inside it is invisible."""
    torch.manual_seed(0)
    maps = torch.randn(1, 21 * 9, 6, 6)
    roi = torch.tensor([[0.0, 0.0, 0.0, 96.0, 96.0]])  # the whole 6x6 map at stride 16
    k1 = _small_model(k=1)
    k3 = _small_model(k=3)
    flipped = maps.flip(-1)
    vote_k1 = k1.vote(maps[:, :21], maps[:, :4], roi)[0]
    torch.testing.assert_close(vote_k1, maps[:, :21].mean(dim=(2, 3)))  # (1, 21, 6, 6) -> (1, 21)
    torch.testing.assert_close(k1.vote(flipped[:, :21], flipped[:, :4], roi)[0], vote_k1)
    vote_k3 = k3.vote(maps, maps[:, :36], roi)[0]
    assert not torch.allclose(k3.vote(flipped, flipped[:, :36], roi)[0], vote_k3)


def test_vote_reads_class_major_channels(model):
    """Class c, bin (i, j) is channel (c·k + i)·k + j: maps holding c + 1 at class c vote c + 1."""
    k, classes = model.k, model.num_classes
    cls_maps = torch.arange(1.0, classes + 1).repeat_interleave(k * k).view(1, -1, 1, 1).expand(1, -1, 6, 8)
    box_maps = torch.zeros(1, 4 * k * k, 6, 8)
    logits, deltas = model.vote(cls_maps, box_maps, torch.tensor([[0.0, 8.0, 8.0, 100.0, 90.0]]))
    torch.testing.assert_close(logits, torch.arange(1.0, classes + 1)[None])
    assert deltas.shape == (1, 4)


# ------------------------------------------------------------------------------------------ training


def test_train_forward_backward(model):
    model.train()
    images, targets = _batch()
    losses = model(images, targets)
    assert set(losses) == {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg"}
    assert all(torch.isfinite(v) for v in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    for param in (model.head.cls_maps.weight, model.head.box_maps.weight, model.rpn.head.conv[0].weight):
        assert param.grad is not None and param.grad.abs().sum() > 0


@pytest.mark.parametrize(("box_maps", "pool"), [("agnostic8", "ps_roi_pool"), ("agnostic4", "ps_roi_align")])
def test_options_train(box_maps, pool):
    model = _small_model(box_maps=box_maps, pool=pool, k=3)
    assert model.head.box_maps.out_channels == (8 if box_maps == "agnostic8" else 4) * 9
    losses = model(*_batch())
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())


def test_ohem_selects_top_b_by_loss_per_image():
    torch.manual_seed(0)
    # 2 images x 20 disjoint boxes (no NMS suppression) + one duplicate of each image's hardest RoI.
    corners = torch.arange(20.0)[:, None] * 10
    boxes = torch.cat([corners, corners, corners + 8, corners + 8], dim=1)  # (20, 4)
    losses = torch.rand(40)
    image = torch.arange(2).repeat_interleave(20)
    selected = ohem_select(losses, boxes.repeat(2, 1), image, rois_per_image=5)
    for i in range(2):
        expected = torch.topk(losses[image == i], 5).indices + 20 * i
        assert selected[image[selected] == i].tolist() == expected.tolist()  # in decreasing loss order
    hardest = int(losses[:20].argmax())
    boxes_dup = torch.cat([boxes.repeat(2, 1), boxes[hardest : hardest + 1]])
    losses_dup = torch.cat([losses, losses[hardest : hardest + 1] - 1e-6])
    image_dup = torch.cat([image, torch.tensor([0])])
    # The R-FCN paper's rule keeps the near-duplicate (second hardest of image 0); with the OHEM
    # paper's NMS at 0.7 it is suppressed.
    paper = ohem_select(losses_dup, boxes_dup, image_dup, rois_per_image=5)
    assert paper[:2].tolist() == [hardest, 40] and paper[2:5].tolist() == selected[1:4].tolist()
    with_nms = ohem_select(losses_dup, boxes_dup, image_dup, rois_per_image=5, nms_thresh=0.7)
    assert 40 not in with_nms.tolist()
    assert with_nms.tolist() == selected.tolist()


def test_ohem_default_has_no_nms(model):
    """300 copies of one box: the paper's rule keeps B of them, the OHEM paper's NMS keeps one."""
    losses = torch.linspace(1.0, 0.0, 300)
    rois = torch.tensor([[1.0, 10.0, 10.0, 60.0, 60.0]]).expand(300, 5)  # (R, 5), all in image 1
    assert model.select_hard_examples(losses, rois).tolist() == list(range(128))
    model.ohem_nms_thresh = 0.7
    try:
        assert model.select_hard_examples(losses, rois).tolist() == [0]
    finally:
        model.ohem_nms_thresh = None


def test_ohem_unselected_rois_get_zero_gradient(model, monkeypatch):
    model.train()
    model.ohem_rois_per_image = 8
    record = {}
    vote, select = model.vote, rfcn.ohem_select

    def recording_vote(*args):
        cls_logits, box_deltas = vote(*args)
        cls_logits.retain_grad()
        box_deltas.retain_grad()
        record.update(cls=cls_logits, box=box_deltas, rois=args[2])
        return cls_logits, box_deltas

    def recording_select(losses, boxes, image_index, *args):
        record.update(losses=losses, image=image_index)
        record["selected"] = select(losses, boxes, image_index, *args)
        return record["selected"]

    monkeypatch.setattr(model, "vote", recording_vote)
    monkeypatch.setattr(rfcn, "ohem_select", recording_select)
    try:
        losses = model(*_batch())
        (losses["loss_classifier"] + losses["loss_box_reg"]).backward()
    finally:
        model.ohem_rois_per_image = 128
    selected = torch.zeros(len(record["losses"]), dtype=torch.bool)
    selected[record["selected"]] = True
    assert selected.sum() == 16 < len(selected)  # 8 per image out of ~all proposals + ground truth
    got_gradient = record["cls"].grad.abs().sum(dim=1) > 0
    assert torch.equal(got_gradient, selected)
    assert record["box"].grad[~selected].abs().sum() == 0
    # No NMS (the R-FCN paper's rule): the selected RoIs are exactly the highest losses of their image.
    for i in range(2):
        mine = record["image"] == i
        assert record["losses"][selected & mine].min() >= record["losses"][~selected & mine].max()


def test_roi_losses_background_has_no_box_loss():
    cls_logits = torch.zeros(3, 4)
    deltas = torch.ones(3, 4)
    labels = torch.tensor([0, 2, 0])
    cls_loss, box_loss = roi_losses(cls_logits, deltas, labels, torch.zeros(3, 4))
    torch.testing.assert_close(cls_loss, torch.full((3,), torch.log(torch.tensor(4.0)).item()))
    torch.testing.assert_close(box_loss, torch.tensor([0.0, 2.0, 0.0]))  # 4 x smooth-L1(1) = 4 x 0.5


def test_assign_targets_iou_threshold(model):
    targets = [
        {"boxes": torch.tensor([[0.0, 0.0, 10.0, 10.0]]), "labels": torch.tensor([5])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    rois = torch.tensor(
        [
            [0, 0.0, 0.0, 10.0, 10.0],
            [0, 0.0, 0.0, 10.0, 20.0],
            [0, 0.0, 0.0, 10.0, 20.1],
            [1, 0.0, 0.0, 10.0, 10.0],
        ]
    )  # IoU 1, 0.5, < 0.5, other image
    labels, box_targets = model.assign_targets(rois, targets)
    assert labels.tolist() == [5, 5, 0, 0]
    assert box_targets[0].abs().sum() == 0 and box_targets[2:].abs().sum() == 0
    assert box_iou(rois[1:2, 1:], targets[0]["boxes"]).item() == 0.5


def test_a_few_steps_drive_the_loss_down():
    model = _small_model()
    images, targets = _batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = []
    for _ in range(10):
        losses = model(images, targets)
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append(total.item())
    assert history[-1] < 0.5 * history[0], history


def test_images_without_objects_train_without_nan(model):
    model.train()
    model.zero_grad()
    images, _ = _batch()
    empty = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}] * 2
    losses = model(images, empty)
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses["loss_box_reg"] == 0 and losses["loss_rpn_box_reg"] == 0
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_an_image_smaller_than_the_stride_trains(model):
    """The transform resizes every image to `min_size` first, so a 12x10 image is a 115x96 input."""
    model.train()
    target = {"boxes": torch.tensor([[2.0, 2.0, 9.0, 11.0]]), "labels": torch.tensor([4])}
    losses = model([torch.rand(3, 12, 10)], [target])
    assert all(torch.isfinite(v) for v in losses.values())


# -------------------------------------------------------------------------------------------- eval


def test_eval_detections_lie_inside_each_image(model):
    model.eval()
    images = [torch.rand(3, 70, 150), torch.rand(3, 120, 60), torch.rand(3, 9, 12)]  # last: under the stride
    with torch.no_grad():
        detections = model(images)
    assert len(detections) == 3
    for detection, image in zip(detections, images, strict=True):
        assert set(detection) == {"boxes", "scores", "labels"}
        boxes, height, width = detection["boxes"], image.shape[1], image.shape[2]
        assert len(boxes) > 0
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 1] >= 0).all()
        assert (boxes[:, 2] <= width).all() and (boxes[:, 3] <= height).all()
        assert ((detection["labels"] >= 1) & (detection["labels"] <= 20)).all()
        assert (detection["scores"][:-1] >= detection["scores"][1:]).all()
        assert len(boxes) <= model.detections_per_img


def test_eval_accepts_a_batched_tensor_and_nms_is_per_class(model):
    model.eval()
    with torch.no_grad():
        (detection,) = model(torch.rand(1, 3, 96, 128))
    for label in detection["labels"].unique():
        same = detection["boxes"][detection["labels"] == label]
        iou = box_iou(same, same).fill_diagonal_(0)
        assert (iou <= 0.3 + 1e-6).all()


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("boxes", "labels", "match"),
    [
        ([[10.0, 10.0, 10.0, 40.0]], [1], "degenerate"),
        ([[10.0, float("nan"), 30.0, 40.0]], [1], "NaN"),
        ([[10.0, 10.0, 30.0, 40.0]], [21], "outside"),
        ([[10.0, 10.0, 30.0, 40.0]], [0], "outside"),
        ([[10.0, 10.0, 30.0]], [1], r"\[G, 4\]"),
    ],
)
def test_bad_targets_raise(model, boxes, labels, match):
    model.train()
    images, targets = _batch()
    targets[1] = {"boxes": torch.tensor(boxes), "labels": torch.tensor(labels)}
    with pytest.raises(ValueError, match=match):
        model(images, targets)


def test_bad_images_and_arguments_raise(model):
    model.train()
    images, targets = _batch()
    with pytest.raises(ValueError, match="targets are required"):
        model(images)
    with pytest.raises(ValueError, match="2 images"):
        model(images, targets[:1])
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        model([torch.rand(1, 32, 32)], targets[:1])
    with pytest.raises(ValueError, match="batch"):
        model(torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="float"):
        model([torch.zeros(3, 32, 32, dtype=torch.uint8)], targets[:1])
    with pytest.raises(ValueError, match="no pretrained R-FCN weights"):
        rfcn_resnet18(weights="VOC")
    with pytest.raises(ValueError, match="unknown weights_backbone='IMAGENET' for rfcn_resnet18: expected"):
        rfcn_resnet18(weights_backbone="IMAGENET")
    with pytest.raises(ValueError, match="box_maps"):
        rfcn_resnet18(box_maps="class_aware")
    with pytest.raises(ValueError, match="pool"):
        rfcn_resnet18(pool="roi_pool")
    with pytest.raises(ValueError, match="k must be"):
        rfcn_resnet18(k=0)
    with pytest.raises(ValueError, match="num_classes"):
        rfcn_resnet18(num_classes=1)
    with pytest.raises(ValueError, match=r"ohem_nms_thresh must be None or in \(0, 1\], got 0"):
        rfcn_resnet18(ohem_nms_thresh=0)


# --------------------------------------------------------------------------------------- the paper


@pytest.mark.slow
def test_rfcn_resnet101_eval_forward_at_600px():
    torch.manual_seed(0)
    model = rfcn_resnet101(box_score_thresh=0.0)
    assert model.head.cls_maps.out_channels == 1029
    # Random weights with identity batch-norm statistics blow ResNet-101's activations up to ~1e5 and no
    # proposal survives; batch-norm statistics from one small image keep them O(1), as trained weights do.
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 1.0
    with torch.no_grad():
        model.conv5(model.trunk(torch.randn(1, 3, 160, 224)))
    model.eval()
    image = torch.rand(3, 375, 500)  # a typical VOC image, resized to 600 x 800
    with torch.no_grad():
        (detection,) = model([image])
    assert 0 < len(detection["boxes"]) <= 100
    assert (detection["boxes"][:, 2] <= 500).all() and (detection["boxes"][:, 3] <= 375).all()
