"""The weights catalog: every entry is the publisher's own URL, hash, count and metrics, and loads."""

import subprocess
import sys

import pytest
import torch
import torchvision.models as tvm
from torchvision.models import detection

import paperzoo
from paperzoo.weights import get_weights, list_weights
from paperzoo.weights.convert import SOURCES

# (model, tag, part) -> the torchvision enum member the entry copies
TORCHVISION = {
    ("mobilenet_v2", "IMAGENET1K_V1"): tvm.MobileNet_V2_Weights.IMAGENET1K_V1,
    ("mobilenet_v2", "IMAGENET1K_V2"): tvm.MobileNet_V2_Weights.IMAGENET1K_V2,
    ("ssd300_vgg16", "COCO_V1"): detection.SSD300_VGG16_Weights.COCO_V1,
    ("ssd300_vgg16", "IMAGENET1K_V1"): tvm.VGG16_Weights.IMAGENET1K_V1,
    ("ssd300_vgg16", "IMAGENET1K_FEATURES"): tvm.VGG16_Weights.IMAGENET1K_FEATURES,
    **{
        (f"resnet{depth}", member.name): member
        for depth in (18, 34, 50, 101, 152)
        for member in getattr(tvm, f"ResNet{depth}_Weights")
    },
}
ALL = list_weights()


@pytest.mark.parametrize("weights", ALL, ids=lambda w: f"{w.name}-{w.part}")
def test_entries_copy_the_publishers_metadata(weights):
    assert (weights.source, weights.model) in SOURCES
    assert weights.model in paperzoo.list_models()
    key = (
        weights.model.replace("ssd512", "ssd300").replace("ssdlite_", "").replace("rfcn_", ""),
        weights.tag,
    )
    reference = TORCHVISION.get(key)
    if weights.url.startswith("https://download.pytorch.org/"):
        assert reference is not None and weights.url == reference.url
        assert weights.sha256 == reference.url.rsplit("-", 1)[1].split(".")[0] and len(weights.sha256) == 8
        assert weights.num_params == reference.meta["num_params"]
        assert weights.file_size_mb == reference.meta["_file_size"]
        published = next(iter(reference.meta["_metrics"].values()))
        assert weights.metrics == {k: v for k, v in published.items() if v == v}  # NaN: no metric
        if weights.part == "model":
            assert weights.categories == reference.meta["categories"]
    else:  # timm's MobileNetV1 on the Hugging Face hub: no published hash found, so none is claimed
        assert weights.url.startswith("https://huggingface.co/timm/mobilenetv1_100.ra4_e3600_r224_in1k/")
        assert weights.sha256 is None and weights.builder_kwargs == {"activation": "relu6"}


@pytest.mark.parametrize("weights", [w for w in ALL if w.part == "model"], ids=lambda w: w.name)
def test_whole_model_entries_count_the_publishers_parameters(weights):
    with torch.device("meta"):
        model = paperzoo.create_model(weights.model, **weights.builder_kwargs)
    assert sum(p.numel() for p in model.parameters()) == weights.num_params
    assert weights.num_classes == len(weights.categories)


def test_each_model_and_part_has_exactly_one_default():
    for model, part in {(w.model, w.part) for w in ALL}:
        assert sum(w.default for w in list_weights(model, part=part)) == 1, (model, part)
    assert get_weights("mobilenet_v2", "DEFAULT").tag == "IMAGENET1K_V2"  # torchvision's DEFAULT
    assert get_weights("ssd300_vgg16", "DEFAULT", "backbone").tag == "IMAGENET1K_V1"  # the paper's fc6/fc7


def test_lookups_list_what_exists():
    assert [w.tag for w in paperzoo.list_weights("mobilenet_v2")] == ["IMAGENET1K_V1", "IMAGENET1K_V2"]
    assert paperzoo.list_weights("rfcn_resnet50", part="model") == []
    with pytest.raises(ValueError, match=r"unknown weights='IMAGENET1K_V3' .*did you mean 'IMAGENET1K_V2'"):
        get_weights("mobilenet_v2", "IMAGENET1K_V3")
    with pytest.raises(ValueError, match="no published model weights are available for rfcn_resnet50"):
        get_weights("rfcn_resnet50", "VOC")
    with pytest.raises(ValueError, match="unknown model 'mobilenetv2'"):
        paperzoo.list_weights("mobilenetv2")


def test_listing_weights_does_not_import_torch():
    code = "import sys, paperzoo.weights as w; w.list_weights(part='model'); print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )
