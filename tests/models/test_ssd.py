"""SSD300/SSD512 on VGG16: paper architecture, torchvision parity, the detection contract, bad input."""

import math

import pytest
import torch
from torch import nn
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_convert, box_iou
from torchvision.transforms.v2 import functional as TF

from paperzoo.analysis import count_macs
from paperzoo.detection.default_boxes import PRESETS
from paperzoo.models.ssd import (
    CAFFE_MEAN,
    CAFFE_STD,
    SSD,
    L2Norm,
    VGG16Reduced,
    ssd300_vgg16,
    ssd512_vgg16,
    ssd_box_config,
)
from paperzoo.weights import convert_state_dict
from paperzoo.weights.convert import convert_torchvision_ssd300_state_dict
from tests.weights.local_weights import local_weights


def _num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def ssd300(torchvision_ssd300) -> SSD:
    """paperzoo's SSD300 (91 classes) holding torchvision's random weights."""
    model = ssd300_vgg16(num_classes=91)
    model.load_state_dict(convert_torchvision_ssd300_state_dict(torchvision_ssd300.state_dict()))
    return model.eval()


def _on_meta(builder, **kwargs) -> SSD:
    with torch.device("meta"):  # structure only: no weights are initialised
        return builder(**kwargs)


def test_parameter_counts_match_the_paper_configuration_and_torchvision(ssd300, torchvision_ssd300):
    assert _num_params(_on_meta(ssd300_vgg16, num_classes=21)) == 26_285_486
    assert _num_params(ssd300) == _num_params(torchvision_ssd300) == 35_641_826
    # SSD512-VOC recomputed in paper-facts §1.4 (27.19M): Caffe's extras with the final 4x4 conv.
    assert _num_params(_on_meta(ssd512_vgg16, num_classes=21)) == 27_188_676


@pytest.mark.parametrize(
    ("builder", "size", "num_classes", "macs", "reference"),
    [
        (ssd300_vgg16, 300, 91, 34_858_153_472, 34.858e9),  # torchvision COCO_V1 meta "_ops" (GFLOPS = GMACs)
        (ssd300_vgg16, 300, 81, 34_360_351_232, 35.2e9),  # MobileNetV2 paper Table 6, SSD300
        (ssd512_vgg16, 512, 81, 98_628_936_704, 99.5e9),  # MobileNetV2 paper Table 6, SSD512
    ],
)
def test_multiply_adds_against_torchvision_and_the_mobilenet_v2_paper(
    builder, size, num_classes, macs, reference
):
    model = _on_meta(builder, num_classes=num_classes).eval()
    images = torch.zeros(1, 3, size, size, device="meta")
    assert count_macs(model, lambda m: m.head(m.backbone(images))) == macs
    assert abs(macs / reference - 1) < 0.025  # Table 6 prints 3 significant digits; 2.4 % is the gap


def test_default_boxes_number_8732_for_ssd300_and_24564_for_ssd512(ssd300):
    assert ssd300.feature_map_sizes == [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
    assert ssd300.priors.shape == (8732, 4)
    ssd512 = _on_meta(ssd512_vgg16, num_classes=21)
    assert ssd512.feature_map_sizes == [(s, s) for s in (64, 32, 16, 8, 4, 2, 1)]
    assert ssd512.priors.shape == (24564, 4)
    assert ssd512.default_boxes.config == PRESETS["caffe_coco_512"]


@pytest.mark.parametrize("preset", ["torchvision", "paper", "caffe_voc", "caffe_coco"])
def test_box_presets_reach_the_model(preset):
    model = _on_meta(ssd300_vgg16, num_classes=3, default_boxes=preset)
    assert model.default_boxes.config == PRESETS[preset]
    assert model.priors.shape == (8732, 4)
    assert ssd_box_config(preset, 512).feature_maps == (64, 32, 16, 8, 4, 2, 1)


def test_ssd512_paper_preset_follows_footnote_3():
    # Footnote 3: SSD512 puts 0.07 on conv4_3 and s_min = 0.15, then the formula up to 0.9.
    model = ssd512_vgg16(num_classes=3, default_boxes="paper")
    widths = model.priors[:, 2]
    assert widths.min() * 512 == pytest.approx(0.07 / 2**0.5 * 512)  # the conv4_3 box of ratio 2, 25.3 px
    assert model.priors[0, 2] * 512 == pytest.approx(35.84)  # the first box: conv4_3's s_1 = 0.07
    expected = [0.07, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9]
    assert ssd_box_config("paper", 512).min_sizes == pytest.approx(expected)
    assert ssd_box_config("paper", 512).max_sizes == pytest.approx([*expected[1:], 1.05])


def test_reduced_vgg16_and_heads_follow_the_paper():
    ssd300 = _on_meta(ssd300_vgg16, num_classes=21)
    backbone = ssd300.backbone
    assert (backbone.pool5.kernel_size, backbone.pool5.stride, backbone.pool5.padding) == (3, 1, 1)
    fc6, fc7 = backbone.fc6, backbone.fc7
    assert (fc6.out_channels, fc6.kernel_size, fc6.dilation, fc6.padding) == (1024, (3, 3), (6, 6), (6, 6))
    assert (fc7.out_channels, fc7.kernel_size) == (1024, (1, 1))
    assert backbone.l2norm.weight.shape == (512,)
    assert backbone.out_channels == [512, 1024, 512, 256, 256, 256]
    # Boxes per location 4, 6, 6, 6, 4, 4 (Fig. 2) times (21 classes | 4 offsets), all 3x3 convs.
    assert [h.out_channels for h in ssd300.head.classification] == [84, 126, 126, 126, 84, 84]
    assert [h.out_channels for h in ssd300.head.regression] == [16, 24, 24, 24, 16, 16]
    assert all(h.kernel_size == (3, 3) for h in [*ssd300.head.classification, *ssd300.head.regression])


def test_l2norm_starts_at_20_and_normalises_each_location_then_scales():
    torch.manual_seed(0)
    l2norm = L2Norm(512)
    assert torch.equal(l2norm.weight, torch.full((512,), 20.0))
    y = l2norm(torch.randn(2, 512, 3, 3))
    assert torch.allclose(y.norm(dim=1), torch.full((2, 3, 3), 20.0), atol=1e-4)


def test_converted_torchvision_weights_give_the_same_head_outputs(ssd300, torchvision_ssd300):
    torch.manual_seed(2)
    batch, _ = ssd300.preprocess([torch.rand(3, 300, 300)])
    with torch.no_grad():
        ours = ssd300.head(ssd300.backbone(batch))
        features = list(torchvision_ssd300.backbone(batch).values())
        theirs = torchvision_ssd300.head(features)
    torch.testing.assert_close(ours["cls_logits"], theirs["cls_logits"], atol=1e-4, rtol=0)
    torch.testing.assert_close(ours["bbox_regression"], theirs["bbox_regression"], atol=1e-4, rtol=0)
    # Same default boxes, in the same order (torchvision's are in pixels of the 300x300 input).
    anchors = torchvision_ssd300.anchor_generator(ImageList(batch, [(300, 300)]), features)[0]
    priors = box_convert(ssd300.priors, "cxcywh", "xyxy") * 300
    torch.testing.assert_close(priors, anchors, atol=1e-4, rtol=0)


def test_torchvision_coco_weights_load_with_their_preprocessing(tmp_path, torchvision_ssd300):
    state_dict = torchvision_ssd300.state_dict()
    weights = local_weights(tmp_path, "ssd300_vgg16", "COCO_V1", state_dict)
    model = ssd300_vgg16(weights=weights)
    assert torch.equal(model.backbone.l2norm.weight, state_dict["backbone.scale_weight"])
    assert torch.equal(model.backbone.fc6.weight, state_dict["backbone.extra.0.7.1.weight"])
    assert model.transform == weights.preprocessing  # Caffe normalisation, no antialiasing
    assert not model.antialias

    # Another class count keeps everything but the classification head (timm's behaviour).
    voc = ssd300_vgg16(weights=weights, num_classes=21)
    assert voc.head.classification[0].out_channels == 4 * 21
    assert torch.equal(voc.head.regression[0].weight, state_dict["head.regression_head.module_list.0.weight"])
    assert torch.equal(voc.backbone.fc7.weight, model.backbone.fc7.weight)
    with pytest.raises(ValueError, match="fit default_boxes='torchvision'"):
        ssd300_vgg16(weights=weights, default_boxes="paper")


def _random_vgg16_state_dict() -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    with torch.device("meta"):
        shapes = {f"features.{k}": v.shape for k, v in VGG16Reduced().features.state_dict().items()}
    shapes |= {"classifier.0.weight": (4096, 512 * 7 * 7), "classifier.3.weight": (4096, 4096)}
    shapes |= {"classifier.0.bias": (4096,), "classifier.3.bias": (4096,)}
    # Each entry out + in: distinct along both axes, and cheaper than drawing 120M random numbers.
    return {
        key: torch.rand(shape[0], *[1] * (len(shape) - 1)) + torch.rand(shape[1:])
        for key, shape in shapes.items()
    }


def test_imagenet_vgg16_conversion_subsamples_fc6_and_fc7():
    state_dict = _random_vgg16_state_dict()
    converted = convert_state_dict("ssd300_vgg16", state_dict, "torchvision_vgg16")
    assert torch.equal(converted["backbone.features.28.weight"], state_dict["features.28.weight"])  # conv5_3
    fc6 = state_dict["classifier.0.weight"].view(4096, 512, 7, 7)
    assert torch.equal(converted["backbone.fc6.weight"], fc6[::4, :, ::3, ::3])
    assert torch.equal(
        converted["backbone.fc7.weight"][:, :, 0, 0], state_dict["classifier.3.weight"][::4, ::4]
    )
    assert torch.equal(converted["backbone.fc7.bias"], state_dict["classifier.3.bias"][::4])
    model = ssd300_vgg16(num_classes=21)
    assert not model.load_state_dict(converted, strict=False).unexpected_keys

    # torchvision's IMAGENET1K_FEATURES (Caffe's VGG) has an empty (NaN) classifier: no fc6/fc7.
    state_dict["classifier.0.weight"].fill_(math.nan)
    converted = convert_state_dict("ssd512_vgg16", state_dict, "torchvision_vgg16")
    assert set(converted) == {f"backbone.{k}" for k in state_dict if k.startswith("features.")}


def test_imagenet_backbone_weights_load_and_set_the_normalisation(tmp_path):
    features = {k: v for k, v in _random_vgg16_state_dict().items() if k.startswith("features.")}
    weights = local_weights(tmp_path, "ssd300_vgg16", "IMAGENET1K_FEATURES", features, "backbone")
    model = ssd300_vgg16(num_classes=21, weights_backbone=weights)
    assert torch.equal(model.backbone.features[0].weight, features["features.0.weight"])
    assert model.normalization == (CAFFE_MEAN, CAFFE_STD)
    default = ssd300_vgg16(num_classes=21, weights_backbone=None)
    assert default.transform.mean == CAFFE_MEAN  # the paper's (Caffe) normalisation without weights too


def _random_head_outputs(batch: int, num_classes: int, seed: int = 4) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        "cls_logits": torch.randn(batch, 8732, num_classes, generator=generator),
        "bbox_regression": torch.randn(batch, 8732, 4, generator=generator),
    }


def test_compute_loss_equals_torchvision_for_resized_targets(ssd300, torchvision_ssd300, monkeypatch):
    # Targets in each original image's pixels; torchvision sees them after its resize to 300x300.
    image_sizes = [(150, 600), (300, 300), (480, 240)]
    targets = [
        {
            "boxes": torch.tensor([[30.0, 10.0, 200.0, 90.0], [400.0, 50.0, 590.0, 140.0]]),
            "labels": torch.tensor([5, 7]),
        },
        {"boxes": torch.tensor([[100.0, 120.0, 140.0, 190.0]]), "labels": torch.tensor([90])},
        {"boxes": torch.tensor([[10.0, 10.0, 230.0, 470.0]]), "labels": torch.tensor([1])},
    ]
    head_outputs = _random_head_outputs(3, 91)
    monkeypatch.setattr(ssd300, "min_negatives", 0)  # torchvision's negatives rule
    ours = ssd300.compute_loss(head_outputs, targets, image_sizes)

    resized = []
    for (h, w), t in zip(image_sizes, targets, strict=True):
        resized.append(
            {"boxes": t["boxes"] * torch.tensor([300 / w, 300 / h, 300 / w, 300 / h]), "labels": t["labels"]}
        )
    anchors = [box_convert(ssd300.priors, "cxcywh", "xyxy") * 300] * 3
    matched = [
        torchvision_ssd300.proposal_matcher(box_iou(t["boxes"], a))
        for t, a in zip(resized, anchors, strict=True)
    ]
    theirs = torchvision_ssd300.compute_loss(resized, head_outputs, anchors, matched)
    for key in ("bbox_regression", "classification"):
        torch.testing.assert_close(ours[key], theirs[key], rtol=1e-5, atol=1e-5)


def test_images_without_objects_give_finite_losses_and_gradients(ssd300):
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    one = {"boxes": torch.tensor([[20.0, 30.0, 200.0, 220.0]]), "labels": torch.tensor([3])}
    for targets, empty_image_learns in (([empty, empty], False), ([one, empty], True)):
        head_outputs = {k: v.requires_grad_() for k, v in _random_head_outputs(2, 91).items()}
        losses = ssd300.compute_loss(head_outputs, targets)
        assert all(torch.isfinite(v) for v in losses.values())
        sum(losses.values()).backward()
        grad = head_outputs["cls_logits"].grad
        assert torch.isfinite(grad).all()
        # With a positive in the batch, the empty image still learns "background" (hard negatives);
        # a batch without any positive has loss 0 (Sec. 2.2, N = 0).
        assert bool(grad[1].any()) is empty_image_learns
    assert losses["classification"] > 0


def test_train_mode_returns_the_two_losses(ssd300):
    ssd300.train()
    images = [torch.rand(3, 240, 320)]
    targets = [{"boxes": torch.tensor([[20.0, 30.0, 200.0, 220.0]]), "labels": torch.tensor([3])}]
    with torch.no_grad():
        losses = ssd300(images, targets)
    assert set(losses) == {"bbox_regression", "classification"}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())


def test_eval_detections_are_in_each_images_own_pixels(ssd300):
    ssd300.eval()
    torch.manual_seed(5)
    wide = torch.rand(3, 150, 600)
    # The same network input twice: once resized by the model, once resized here beforehand.
    same_input = TF.resize(wide[None], [300, 300], antialias=True)[0]
    with torch.no_grad():
        wide_out, square_out = ssd300([wide, same_input])
    for out, (h, w) in ((wide_out, (150, 600)), (square_out, (300, 300))):
        assert set(out) == {"boxes", "scores", "labels"}
        assert 0 < len(out["boxes"]) <= 200 and out["labels"].dtype == torch.int64
        assert out["labels"].min() >= 1 and out["labels"].max() <= 90
        assert (out["boxes"][:, 2:] <= torch.tensor([w, h])).all() and (out["boxes"] >= 0).all()
        assert (out["scores"][:-1] >= out["scores"][1:]).all()
    torch.testing.assert_close(wide_out["scores"], square_out["scores"])
    torch.testing.assert_close(wide_out["boxes"], square_out["boxes"] * torch.tensor([2.0, 0.5, 2.0, 0.5]))


BAD_TARGETS = [
    ({"boxes": torch.tensor([[50.0, 10.0, 40.0, 20.0]]), "labels": torch.tensor([1])}, "degenerate"),
    ({"boxes": torch.tensor([[5.0, 10.0, 40.0, 10.0]]), "labels": torch.tensor([1])}, "degenerate"),
    ({"boxes": torch.tensor([[5.0, math.nan, 40.0, 20.0]]), "labels": torch.tensor([1])}, "NaN or infinite"),
    ({"boxes": torch.tensor([[5.0, 1.0, math.inf, 20.0]]), "labels": torch.tensor([1])}, "NaN or infinite"),
    ({"boxes": torch.tensor([[5.0, 1.0, 40.0, 20.0]]), "labels": torch.tensor([0])}, r"outside \[1, 90\]"),
    ({"boxes": torch.tensor([[5.0, 1.0, 40.0, 20.0]]), "labels": torch.tensor([91])}, r"outside \[1, 90\]"),
    ({"boxes": torch.tensor([[5, 1, 40, 20]]), "labels": torch.tensor([1])}, "float tensor"),
    (
        {"boxes": torch.tensor([[5.0, 1.0, 40.0, 20.0]]), "labels": torch.tensor([1], dtype=torch.int32)},
        "int64",
    ),
    ({"boxes": torch.tensor([5.0, 1.0, 40.0, 20.0]), "labels": torch.tensor([1])}, r"shape \[G, 4\]"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_TARGETS)
def test_bad_targets_raise_naming_the_image_and_box(ssd300, bad, message):
    ssd300.train()
    good = {"boxes": torch.tensor([[1.0, 2.0, 30.0, 40.0]]), "labels": torch.tensor([2])}
    with pytest.raises(ValueError, match=message) as error:
        ssd300([torch.rand(3, 64, 64), torch.rand(3, 64, 64)], [good, bad])
    assert "targets[1]" in str(error.value)
    if "boxes'][" in str(error.value) or "labels'][" in str(error.value):
        assert "][0]" in str(error.value)


def test_bad_images_and_missing_targets_raise(ssd300):
    ssd300.train()
    with pytest.raises(ValueError, match="targets are required"):
        ssd300([torch.rand(3, 64, 64)])
    target = {"boxes": torch.tensor([[1.0, 2.0, 30.0, 40.0]]), "labels": torch.tensor([2])}
    with pytest.raises(ValueError, match="got 1 targets for 2 images"):
        ssd300(torch.rand(2, 3, 64, 64), [target])
    ssd300.eval()
    with pytest.raises(ValueError, match=r"images\[1\] must be a \[3, H, W\] tensor, got \[1, 64, 64\]"):
        ssd300([torch.rand(3, 64, 64), torch.rand(1, 64, 64)])
    with pytest.raises(TypeError, match="float tensor"):
        ssd300([torch.zeros(3, 64, 64, dtype=torch.uint8)])
    with pytest.raises(ValueError, match="non-empty list"):
        ssd300([])


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="default_boxes must be one of"):
        ssd300_vgg16(default_boxes="yolo")
    with pytest.raises(
        ValueError, match=r"num_classes must be >= 2 \(the object classes plus the background"
    ):
        ssd300_vgg16(num_classes=1)
    with pytest.raises(TypeError, match="num_classes must be an int, got 21.0"):
        ssd300_vgg16(num_classes=21.0)
    with pytest.raises(ValueError, match="no pretrained SSD512 weights"):
        ssd512_vgg16(weights="COCO_V1")
