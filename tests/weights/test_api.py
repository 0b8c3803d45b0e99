"""timm's and torchvision's idioms: pretrained=, weights=, num_classes, reset_classifier, features_only."""

import pytest
import timm
import torch
import torchvision

import paperzoo
from tests.weights.local_weights import local_weights


def test_list_models_takes_patterns_and_pretrained():
    assert paperzoo.list_models(["mobilenet*", "ssd3*"]) == ["mobilenet_v1", "mobilenet_v2", "ssd300_vgg16"]
    assert paperzoo.list_models(pretrained=True) == [
        "mobilenet_v1",
        "mobilenet_v2",
        "resnet101",
        "resnet152",
        "resnet18",
        "resnet34",
        "resnet50",
        "ssd300_vgg16",
    ]
    assert paperzoo.list_models("*v2", pretrained=True, task="classification") == ["mobilenet_v2"]


def test_pretrained_without_published_weights_says_what_exists():
    with pytest.raises(ValueError, match=r"rfcn_resnet50 has no published weights .*mobilenet_v2"):
        paperzoo.create_model("rfcn_resnet50", pretrained=True)
    with pytest.raises(ValueError, match="needs weights=, pretrained=True or backbone_weights="):
        paperzoo.create_model("mobilenet_v2", weights_file="x.pth")


def test_another_class_count_keeps_the_backbone_and_resets_the_classifier(tmp_path):
    torch.manual_seed(0)
    state = torchvision.models.mobilenet_v2().state_dict()
    weights = local_weights(tmp_path, "mobilenet_v2", "IMAGENET1K_V1", state)
    model = paperzoo.create_model("mobilenet_v2", weights=weights, num_classes=10)
    assert torch.equal(model.features[18][0].weight, state["features.18.0.weight"])
    assert model.classifier[1].weight.shape == (10, 1280) and model.classifier[1].bias.abs().sum() == 0


def test_backbone_weights_of_detectors_via_create_model(tmp_path):
    torch.manual_seed(0)
    state = torchvision.models.resnet18().state_dict()
    weights = local_weights(tmp_path, "rfcn_resnet18", "IMAGENET1K_V1", state, "backbone")
    model = paperzoo.create_model(
        "rfcn_resnet18", backbone_weights=weights, min_size=96, max_size=160, train_min_sizes=(96,)
    )
    assert torch.equal(model.conv5[0].conv1.weight, state["layer4.0.conv1.weight"])
    with pytest.raises(ValueError, match="pass backbone_weights or weights_backbone, not both"):
        paperzoo.create_model("rfcn_resnet18", backbone_weights=weights, weights_backbone=weights)


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
def test_reset_classifier_as_timm(name):
    model = paperzoo.create_model(name, width_mult=0.25).eval()
    images = torch.rand(2, 3, 64, 64)
    model.reset_classifier(7)
    assert model(images).shape == (2, 7)
    model.reset_classifier(0)  # timm: pooled features
    assert torch.equal(model(images), model.forward_head(model.forward_features(images), pre_logits=True))
    with pytest.raises(ValueError, match="num_classes must be an int >= 0"):
        model.reset_classifier(-1)


@pytest.mark.parametrize(
    ("name", "timm_name"), [("mobilenet_v1", "mobilenetv1_100"), ("mobilenet_v2", "mobilenetv2_100")]
)
def test_features_only_lists_the_stages_as_timm(name, timm_name):
    ours = paperzoo.create_model(name, features_only=True)
    theirs = timm.create_model(timm_name, features_only=True)
    assert ours.feature_info.channels() == theirs.feature_info.channels()
    assert ours.feature_info.reduction() == theirs.feature_info.reduction() == [2, 4, 8, 16, 32]
    maps = ours(torch.rand(1, 3, 96, 96))
    assert [tuple(m.shape[1:]) for m in maps] == [
        (c, 96 // r, 96 // r)
        for c, r in zip(ours.feature_info.channels(), ours.feature_info.reduction(), strict=True)
    ]
    last_two = paperzoo.create_model(name, features_only=True, out_indices=(3, 4))
    assert last_two.feature_info.reduction() == [16, 32] and len(last_two(torch.rand(1, 3, 64, 64))) == 2
    with pytest.raises(ValueError, match="out_indices must be a non-empty subset of 0..4"):
        paperzoo.create_model(name, features_only=True, out_indices=(5,))
