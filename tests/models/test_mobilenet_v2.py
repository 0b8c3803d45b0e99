"""MobileNetV2: torchvision compatibility, the paper's cost numbers (and its 1.4 deviation), API, bad input."""

from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models import MobileNet_V2_Weights
from torchvision.models._utils import _make_divisible
from torchvision.models.feature_extraction import create_feature_extractor

from paperzoo import create_model
from paperzoo.analysis import complexity, count_params
from paperzoo.models.mobilenet_v2 import STRIDE16_EXPANSION_BLOCK, make_divisible, mobilenet_v2
from paperzoo.weights import get_weights, resolve_weights
from tests.weights.local_weights import local_weights

REPO_ROOT = Path(__file__).resolve().parents[2]


def _report_at(width_mult: float, resolution: int = 224):
    with torch.device("meta"):
        model = mobilenet_v2(width_mult=width_mult).eval()
    return complexity(model, (1, 3, resolution, resolution)), model


@pytest.mark.parametrize("width_mult", [0.5, 1.0, 1.4])
def test_torchvision_weights_give_identical_logits(width_mult):
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2(width_mult=width_mult).eval()
    model = mobilenet_v2(width_mult=width_mult).eval()
    assert list(model.state_dict()) == list(reference.state_dict())
    model.load_state_dict(reference.state_dict())
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), atol=1e-5, rtol=0)


def test_paper_1_0_224_params_and_mult_adds_in_both_conventions():
    report, model = _report_at(1.0)
    # Paper: 300M Mult-Adds, 3.4M parameters.
    assert report.macs == 300_774_272
    assert report.macs == pytest.approx(300e6, rel=0.005)
    assert report.params == 3_504_872  # torchvision's count: BN scales/shifts included
    assert count_params(model, include_bn=False) == 3_470_760
    weights = sum(cost.weights for cost in report.breakdown.values())
    assert weights == 3_469_760  # the TF README's 3.47M
    assert int(weights / 1e5) / 10 == 3.4  # the paper truncates 3.47M to 3.4M


def test_paper_1_4_224_params_deviate_from_the_paper():
    report, model = _report_at(1.4)
    assert report.macs == 582_195_824
    assert report.macs == pytest.approx(585e6, rel=0.005)  # paper: 585M, within 0.5%
    assert report.params == 6_108_776
    assert count_params(model, include_bn=False) == 6_060_840
    # The paper's 6.9M parameters do not follow from Table 2: the recount is 6.1M (a deviation of the paper).
    assert round(report.params / 1e6, 1) == 6.1 != 6.9


def test_make_divisible_matches_torchvision():
    for value in [x / 4 for x in range(1, 2000)]:
        assert make_divisible(value) == _make_divisible(value, 8), value


def test_table_2_structure_and_residuals():
    model = mobilenet_v2()
    assert len(model.features) == 19
    assert sum(block.use_residual for block in model.features[1:18]) == 10
    assert model.num_features == 1280
    assert mobilenet_v2(width_mult=0.5).num_features == 1280  # 1280 * max(1, alpha)
    assert mobilenet_v2(width_mult=1.4).num_features == 1792


def test_forward_features_head_and_logits():
    torch.manual_seed(0)
    model = create_model("mobilenet_v2", width_mult=0.5, num_classes=10).eval()
    x = torch.rand(2, 3, 64, 96)
    features = model.forward_features(x)
    assert features.shape == (2, 1280, 2, 3)
    pooled = model.forward_head(features, pre_logits=True)
    torch.testing.assert_close(pooled, features.mean((2, 3)))
    torch.testing.assert_close(model(x), model.classifier(pooled))


def test_stride_16_expansion_of_block_15_for_ssdlite():
    torch.manual_seed(0)
    model = mobilenet_v2(width_mult=0.5).eval()
    x = torch.rand(1, 3, 128, 128)
    extractor = create_feature_extractor(model, {"features.14.conv.0": "c4", "features.18": "c5"})
    out = extractor(x)
    assert out["c4"].shape == (1, 288, 8, 8)  # 576·α channels at output stride 16
    assert out["c5"].shape == (1, 1280, 4, 4)
    block = model.features[STRIDE16_EXPANSION_BLOCK]
    with torch.no_grad():
        c4 = block.conv[0](model.features[:STRIDE16_EXPANSION_BLOCK](x))
        c5 = model.features[STRIDE16_EXPANSION_BLOCK + 1 :](block.conv[1:](c4))
    torch.testing.assert_close(c4, out["c4"])
    torch.testing.assert_close(c5, out["c5"])


@pytest.mark.parametrize(
    ("weights", "tag"),
    [
        (MobileNet_V2_Weights.IMAGENET1K_V1, "IMAGENET1K_V1"),
        ("IMAGENET1K_V2", "IMAGENET1K_V2"),
        ("MobileNet_V2_Weights.DEFAULT", "IMAGENET1K_V2"),
    ],
)
def test_torchvision_weight_names_resolve_to_the_catalog(weights, tag):
    assert resolve_weights("mobilenet_v2", weights) == get_weights("mobilenet_v2", tag)


def test_weights_load_key_for_key(tmp_path):
    torch.manual_seed(1)
    expected = torchvision.models.mobilenet_v2().state_dict()
    model = mobilenet_v2(weights=local_weights(tmp_path, "mobilenet_v2", "IMAGENET1K_V2", expected))
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


def test_weights_that_do_not_fit_are_rejected(tmp_path):
    torch.manual_seed(1)
    weights = local_weights(
        tmp_path, "mobilenet_v2", "IMAGENET1K_V2", torchvision.models.mobilenet_v2().state_dict()
    )
    with pytest.raises(ValueError, match="do not fit this configuration of mobilenet_v2"):
        mobilenet_v2(weights=weights, width_mult=0.5)
    with pytest.raises(ValueError, match="unknown weights='NO_SUCH_WEIGHTS' for mobilenet_v2"):
        mobilenet_v2(weights="NO_SUCH_WEIGHTS")


def test_torch_hub_loads_from_the_repository():
    model = torch.hub.load(str(REPO_ROOT), "mobilenet_v2", source="local", width_mult=0.5, num_classes=3)
    assert type(model).__name__ == "MobileNetV2"
    assert model.classifier[1].out_features == 3


def test_torch_export_matches_eager():
    torch.manual_seed(0)
    model = mobilenet_v2(width_mult=0.5, num_classes=5).eval()
    x = torch.rand(1, 3, 32, 32)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (torch.rand(2, 3, 64), ValueError, "3-D shape"),
        (torch.zeros(1, 3, 64, 64, dtype=torch.int64), TypeError, "torch.int64"),
        (torch.rand(1, 4, 64, 64), ValueError, "expected 3 input channels, got 4"),
        (torch.rand(1, 3, 64, 16), ValueError, ">= 32, got 64x16"),
    ],
)
def test_bad_input_is_rejected_with_clear_message(x, error, message):
    model = mobilenet_v2(width_mult=0.5)
    with pytest.raises(error, match=message):
        model(x)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"width_mult": 0}, ValueError, "width_mult must be > 0, got 0"),
        ({"width_mult": "1.0"}, TypeError, "width_mult must be a positive number, got '1.0'"),
        ({"num_classes": 0}, ValueError, "num_classes must be >= 1, got 0"),
        ({"num_classes": -3}, ValueError, "num_classes must be >= 1, got -3"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        mobilenet_v2(**kwargs)
