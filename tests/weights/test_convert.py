"""Conversions: the publisher's model with random weights and paperzoo's converted copy agree exactly."""

import copy

import pytest
import timm
import torch
import torchvision
from torch import nn

import paperzoo
from paperzoo.weights import convert_state_dict, get_weights
from tests.detection.test_ssd_postprocess import _assert_same_detections

IMAGES = torch.Generator().manual_seed(0)


def _randomise_batch_norm(model: nn.Module) -> nn.Module:
    """Random BN statistics and affine terms, so that a wrong BN mapping cannot go unnoticed."""
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            for tensor, low, high in (
                (module.running_mean, -0.5, 0.5),
                (module.running_var, 0.5, 2.0),
                (module.weight.data, 0.5, 1.5),
                (module.bias.data, -0.5, 0.5),
            ):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)
    return model.eval()


@pytest.mark.parametrize(
    ("name", "source", "reference"),
    [
        ("mobilenet_v2", "torchvision_mobilenet_v2", lambda: torchvision.models.mobilenet_v2()),
        ("mobilenet_v1", "timm_mobilenetv1_100", lambda: timm.create_model("mobilenetv1_100")),
        ("resnet18", "torchvision_resnet", lambda: torchvision.models.resnet18()),
        ("resnet50", "torchvision_resnet", lambda: torchvision.models.resnet50()),  # built as v1.5
    ],
)
def test_classifier_logits_are_identical(name, source, reference):
    torch.manual_seed(2)
    theirs = _randomise_batch_norm(reference())
    weights = get_weights(name, "DEFAULT")
    ours = paperzoo.create_model(name, **weights.builder_kwargs).eval()
    ours.load_state_dict(convert_state_dict(name, theirs.state_dict(), source))
    images = torch.randn(2, 3, 224, 224, generator=IMAGES)
    with torch.no_grad():
        difference = (ours(images) - theirs(images)).abs().max().item()
    assert difference == 0.0


def test_timm_weights_need_relu6_which_the_paper_model_does_not_have():
    torch.manual_seed(2)
    theirs = _randomise_batch_norm(timm.create_model("mobilenetv1_100"))
    paper = paperzoo.create_model("mobilenet_v1").eval()  # ReLU, as the paper
    paper.load_state_dict(convert_state_dict("mobilenet_v1", theirs.state_dict(), "timm_mobilenetv1_100"))
    images = torch.randn(2, 3, 224, 224, generator=IMAGES) * 4
    with torch.no_grad():
        assert (paper(images) - theirs(images)).abs().max() > 1e-3


@pytest.fixture(scope="module")
def scaled_ssd300(torchvision_ssd300) -> nn.Module:
    """torchvision's SSD300 with random weights and head logits of order 1: distinct scores, no ties."""
    model = copy.deepcopy(torchvision_ssd300)
    with torch.no_grad():
        for layer in model.head.modules():
            if isinstance(layer, nn.Conv2d):
                layer.weight.mul_(0.01)
    return model


def _coco_ssd300(torchvision_ssd300: nn.Module, **kwargs) -> nn.Module:
    weights = get_weights("ssd300_vgg16", "COCO_V1")
    pre = weights.preprocessing
    model = paperzoo.create_model(
        "ssd300_vgg16", image_mean=pre.mean, image_std=pre.std, antialias=pre.antialias, **kwargs
    )
    state_dict = convert_state_dict("ssd300_vgg16", torchvision_ssd300.state_dict(), weights.source)
    model.load_state_dict(state_dict)
    assert model.transform == pre
    return model.eval()


def test_ssd300_head_outputs_and_detections_are_identical(scaled_ssd300):
    ours = _coco_ssd300(scaled_ssd300)
    images = [torch.rand(3, 300, 300, generator=IMAGES), torch.rand(3, 375, 500, generator=IMAGES)]
    with torch.no_grad():
        batch, _ = ours.preprocess(images)
        head_ours = ours.head(ours.backbone(batch))
        head_theirs = scaled_ssd300.head(list(scaled_ssd300.backbone(batch).values()))
        for key in ("cls_logits", "bbox_regression"):
            assert (head_ours[key] - head_theirs[key]).abs().max() < 1e-4
        detections_ours, detections_theirs = ours(images), scaled_ssd300(images)
    assert all(len(d["scores"]) > 10 for d in detections_theirs)
    _assert_same_detections(detections_ours, detections_theirs)


def test_ssd300_needs_the_weights_preprocessing_to_match(torchvision_ssd300):
    # paperzoo's default resize antialiases; torchvision's detection transform does not. The COCO_V1
    # entry records `antialias=False`, which is what makes the outputs equal above.
    antialiased = _coco_ssd300(torchvision_ssd300)
    antialiased.antialias = True
    image = torch.rand(3, 600, 800, generator=IMAGES)
    with torch.no_grad():
        ours, _ = antialiased.preprocess([image])
        theirs = torchvision_ssd300.transform([image])[0].tensors
    assert (ours - theirs).abs().max() > 1.0  # in Caffe's 0-255 units


def test_resnet_backbone_gives_torchvision_conv4_and_conv5_weights():
    torch.manual_seed(4)
    theirs = _randomise_batch_norm(torchvision.models.resnet18())
    ours = paperzoo.create_model("rfcn_resnet18", min_size=96, max_size=160, train_min_sizes=(96,)).eval()
    converted = convert_state_dict("rfcn_resnet18", theirs.state_dict(), "torchvision_resnet")
    assert not any(key.startswith("fc.") or ".fc." in key for key in converted)
    assert not ours.load_state_dict(converted, strict=False).unexpected_keys
    images = torch.randn(1, 3, 96, 96, generator=IMAGES)
    with torch.no_grad():
        reference = theirs.layer3(
            theirs.layer2(theirs.layer1(theirs.maxpool(theirs.relu(theirs.bn1(theirs.conv1(images))))))
        )
        assert torch.equal(ours.trunk(images), reference)
    assert all(torch.equal(v, theirs.layer4.state_dict()[k]) for k, v in ours.conv5.state_dict().items())


def test_mobilenet_v2_backbone_of_ssdlite_is_torchvision_features():
    torch.manual_seed(5)
    theirs = torchvision.models.mobilenet_v2().state_dict()
    converted = convert_state_dict("ssdlite_mobilenet_v2", theirs, "torchvision_mobilenet_v2")
    assert set(converted) == {f"backbone.{k}" for k in theirs if k.startswith("features.")}
    model = paperzoo.create_model("ssdlite_mobilenet_v2", num_classes=21)
    assert not model.load_state_dict(converted, strict=False).unexpected_keys


def test_unknown_conversions_are_refused():
    with pytest.raises(ValueError, match="no conversion from 'timm_mobilenetv1_100' to 'mobilenet_v2'"):
        convert_state_dict("mobilenet_v2", {}, "timm_mobilenetv1_100")
    with pytest.raises(ValueError, match="unexpected key 'head.weight' in a timm mobilenetv1_100"):
        convert_state_dict("mobilenet_v1", {"head.weight": torch.zeros(1)}, "timm_mobilenetv1_100")
