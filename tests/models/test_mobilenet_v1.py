"""MobileNetV1: Table 1 structure, the cost numbers of Tables 2, 6 and 7, the API and bad input."""

import pytest
import torch
from torchvision.models.feature_extraction import create_feature_extractor

from paperzoo import create_model
from paperzoo.analysis import complexity, count_params
from paperzoo.models.mobilenet_v1 import MobileNetV1, mobilenet_v1


def _report_at(width_mult: float, resolution: int):
    with torch.device("meta"):
        model = mobilenet_v1(width_mult=width_mult).eval()
    return complexity(model, (1, 3, resolution, resolution))


# Tables 6 and 7: (alpha, resolution, million Mult-Adds, million parameters) as printed.
PAPER_COSTS = [
    (1.0, 224, 569, 4.2),
    (0.75, 224, 325, 2.6),
    (0.5, 224, 149, 1.3),
    (0.25, 224, 41, 0.5),
    (1.0, 192, 418, 4.2),
    (1.0, 160, 290, 4.2),
    (1.0, 128, 186, 4.2),
]


@pytest.mark.parametrize(("width_mult", "resolution", "paper_macs_m", "paper_params_m"), PAPER_COSTS)
def test_tables_6_and_7_mult_adds_and_params(width_mult, resolution, paper_macs_m, paper_params_m):
    report = _report_at(width_mult, resolution)
    assert report.macs == pytest.approx(paper_macs_m * 1e6, rel=0.005)
    # The paper counts conv and FC weights (TF-slim: no biases, BN folded away).
    weights = sum(cost.weights for cost in report.breakdown.values())
    assert round(weights / 1e6, 1) == paper_params_m


def test_exact_counts_match_tf_slim_reference():
    # TF-slim's mobilenet_v1.py docstring: 3,185,088 conv weights and 567,716,352 MACs without the FC.
    report = _report_at(1.0, 224)
    fc = report.breakdown["fc"]
    assert report.macs - fc.macs == 567_716_352
    assert sum(cost.weights for cost in report.breakdown.values()) - fc.weights == 3_185_088
    assert report.params == 4_231_976  # with BN scales/shifts and the FC bias, as PyTorch counts


def test_table_4_conv_mobilenet_and_table_5_shallow_mobilenet():
    with torch.device("meta"):
        full, shallow = mobilenet_v1(full_conv=True), mobilenet_v1(shallow=True)
    # Table 4, Conv MobileNet: 4866M Mult-Adds, 29.3M parameters; every layer a full 3x3 conv.
    assert not any(m.groups > 1 for m in full.modules() if isinstance(m, torch.nn.Conv2d))
    assert round(count_params(full, include_bn=False) / 1e6, 1) == 29.3
    macs = complexity(full, (1, 3, 224, 224)).macs
    # 4867.29M: the paper's 4866M is the count without the FC layer's 1.024M (4866.27M).
    assert round((macs - 1024 * 1000) / 1e6) == 4866
    # Table 5, Shallow MobileNet: 307M Mult-Adds, 2.9M parameters; 8 separable layers, not 13.
    assert len(shallow.features) == 1 + 8
    assert round(count_params(shallow, include_bn=False) / 1e6, 1) == 2.9
    assert round(complexity(shallow, (1, 3, 224, 224)).macs / 1e6) == 307


def test_table_2_breakdown_by_layer_kind():
    breakdown = _report_at(1.0, 224).breakdown
    paper = {  # Table 2: (Mult-Adds %, parameters %)
        "conv1x1": (94.86, 74.59),
        "depthwise": (3.06, 1.06),
        "conv": (1.91, 0.02),
        "fc": (0.18, 24.33),
    }
    assert set(breakdown) == set(paper)
    for kind, (macs_percent, weights_percent) in paper.items():
        assert round(breakdown[kind].macs_percent, 2) == macs_percent, kind
        assert round(breakdown[kind].weights_percent, 2) == weights_percent, kind


def test_table_1_strides_and_the_last_depthwise_stride_is_one():
    model = mobilenet_v1()
    assert len(model.features) == 14
    depthwise_strides = [block[0][0].stride[0] for block in model.features[1:]]
    assert depthwise_strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    with torch.device("meta"):
        assert model.to("meta").forward_features(torch.empty(1, 3, 224, 224)).shape == (1, 1024, 7, 7)


def test_width_multiplier_scales_channels_with_tf_slim_minimum():
    model = mobilenet_v1(width_mult=0.25, num_classes=7)
    assert model.features[0][0].out_channels == 8
    assert model.num_features == 256
    assert model.classifier[1].out_features == 7
    assert count_params(model) < count_params(mobilenet_v1(width_mult=0.5))


def test_forward_features_head_and_logits():
    torch.manual_seed(0)
    model = create_model("mobilenet_v1", width_mult=0.25, num_classes=10).eval()
    x = torch.rand(2, 3, 64, 48)
    features = model.forward_features(x)
    assert features.shape == (2, 256, 2, 2)
    pooled = model.forward_head(features, pre_logits=True)
    torch.testing.assert_close(pooled, features.mean((2, 3)))
    logits = model(x)
    assert logits.shape == (2, 10)
    torch.testing.assert_close(logits, model.classifier(pooled))


def test_stride_16_features_are_reachable_for_ssdlite():
    model = mobilenet_v1(width_mult=0.25).eval()
    extractor = create_feature_extractor(model, {"features.11": "c4", "features.13": "c5"})
    out = extractor(torch.rand(1, 3, 96, 96))
    assert out["c4"].shape == (1, 128, 6, 6)
    assert out["c5"].shape == (1, 256, 3, 3)


def test_torch_export_matches_eager():
    torch.manual_seed(0)
    model = mobilenet_v1(width_mult=0.25, num_classes=5).eval()
    x = torch.rand(1, 3, 32, 32)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (torch.rand(3, 64, 64), ValueError, "4-D"),
        (torch.zeros(1, 3, 64, 64, dtype=torch.uint8), TypeError, "torch.uint8"),
        (torch.rand(1, 1, 64, 64), ValueError, "expected 3 input channels, got 1"),
        (torch.rand(1, 3, 31, 64), ValueError, ">= 32, got 31x64"),
        ([[0.0]], TypeError, "list"),
    ],
)
def test_bad_input_is_rejected_with_clear_message(x, error, message):
    model = mobilenet_v1(width_mult=0.25)
    with pytest.raises(error, match=message):
        model(x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width_mult": 0.0}, "width_mult must be > 0, got 0.0"),
        ({"width_mult": -0.5}, "width_mult must be > 0, got -0.5"),
        ({"num_classes": 0}, "num_classes must be >= 1, got 0"),
        ({"dropout": 1.5}, r"dropout must be in \[0, 1\), got 1.5"),
        ({"weights": "IMAGENET1K_V1"}, "unknown weights='IMAGENET1K_V1' for mobilenet_v1"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mobilenet_v1(**kwargs)


def test_non_integer_class_count_is_a_type_error():
    with pytest.raises(TypeError, match="num_classes must be an int"):
        MobileNetV1(num_classes=10.0)
