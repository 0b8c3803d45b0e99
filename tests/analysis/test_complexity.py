"""The complexity analyser: theory (MobileNetV1 Sec. 3.1) against measured layers, counting conventions."""

import json

import pytest
import torch
from torch import nn

from paperzoo.analysis import (
    complexity,
    count_macs,
    count_params,
    depthwise_conv_macs,
    layer_kind,
    separable_conv_macs,
    separable_cost_ratio,
    standard_conv_macs,
)
from paperzoo.models.mobilenet_v1 import DepthwiseSeparableConv

# (D_K, M, N, D_F)
LAYER_SHAPES = [(3, 32, 64, 112), (3, 512, 512, 14), (5, 16, 24, 9), (1, 8, 8, 4)]


@pytest.mark.parametrize(("D_K", "M", "N", "D_F"), LAYER_SHAPES)
def test_theory_equals_measured_standard_and_separable_layers(D_K, M, N, D_F):
    with torch.device("meta"):
        standard = nn.Conv2d(M, N, D_K, padding=D_K // 2, bias=False)
        separable = nn.Sequential(
            nn.Conv2d(M, M, D_K, padding=D_K // 2, groups=M, bias=False), nn.Conv2d(M, N, 1, bias=False)
        )
    shape = (1, M, D_F, D_F)
    measured_standard = count_macs(standard, shape)
    measured_separable = count_macs(separable, shape)
    assert measured_standard == standard_conv_macs(D_K, M, N, D_F)
    assert measured_separable == separable_conv_macs(D_K, M, N, D_F)
    assert count_macs(separable[0], shape) == depthwise_conv_macs(D_K, M, D_F)
    assert measured_separable / measured_standard == pytest.approx(separable_cost_ratio(N, D_K), rel=1e-12)


def test_mobilenet_v1_layer_is_8_to_9_times_cheaper_than_a_full_conv():
    # Sec. 3.1: "8 to 9 times less computation" for 3x3 kernels; exactly 1/N + 1/9.
    block = DepthwiseSeparableConv(256, 256, stride=1).to("meta").eval()
    full = nn.Conv2d(256, 256, 3, padding=1, bias=False).to("meta")
    ratio = count_macs(block, (1, 256, 28, 28)) / count_macs(full, (1, 256, 28, 28))
    assert ratio == pytest.approx(1 / 256 + 1 / 9, rel=1e-12)
    assert 8 < 1 / ratio < 9


def test_theory_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match="N must be a positive int, got 0"):
        separable_cost_ratio(0, 3)
    with pytest.raises(ValueError, match="D_F must be a positive int, got 2.5"):
        standard_conv_macs(3, 3, 3, 2.5)


def test_layer_kinds():
    assert layer_kind(nn.Conv2d(8, 16, 1)) == "conv1x1"
    assert layer_kind(nn.Conv2d(8, 8, 3, groups=8)) == "depthwise"
    assert layer_kind(nn.Conv2d(8, 16, 3, groups=8)) == "depthwise"  # channel multiplier 2
    assert layer_kind(nn.Conv2d(8, 16, 3)) == "conv"
    assert layer_kind(nn.Conv2d(8, 16, 1, groups=2)) == "conv"  # grouped, not pointwise
    assert layer_kind(nn.Linear(4, 2)) == "fc"
    assert layer_kind(nn.BatchNorm2d(4)) == "other"


class _TinyDetector(nn.Module):
    """Takes a list of images like torchvision detectors; has a functional matmul outside any layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        x = self.bn(self.conv(torch.stack(images)))  # list of (3, H, W) -> (B, 3, H, W)
        pooled = x.mean((2, 3))
        gram = pooled @ pooled.T  # (B, 4) @ (4, B): 4·B·B MACs outside any layer
        scores = self.fc(pooled)
        return [{"scores": scores[i], "gram": gram[i]} for i in range(len(images))]


def test_report_of_a_model_taking_a_list_and_a_callable():
    model = _TinyDetector().eval()
    images = [torch.rand(3, 8, 8), torch.rand(3, 8, 8)]
    report = complexity(model, lambda m: m(images))
    conv_macs = 2 * 9 * 3 * 4 * 8 * 8
    assert report.breakdown["conv"].macs == conv_macs
    assert report.breakdown["fc"].macs == 2 * 4 * 2
    assert report.breakdown["other"].macs == 4 * 2 * 2
    assert report.macs == conv_macs + 16 + 16 == count_macs(model, images)
    assert [layer.name for layer in report.layers] == ["conv", "fc"]
    assert report.output_shape == [{"scores": [2], "gram": [2]}] * 2
    assert report.params == 108 + 8 + 10
    assert sum(cost.weights_percent for cost in report.breakdown.values()) == pytest.approx(100)
    json.dumps(report.to_dict())


def test_shape_tensor_and_callable_inputs_agree():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.Flatten(), nn.LazyLinear(5))
    x = torch.rand(1, 3, 9, 9)
    model(x)  # materialise the lazy layer
    expected = 9 * 3 * 8 * 4 * 4 + 8 * 16 * 5
    assert (
        count_macs(model, (1, 3, 9, 9))
        == count_macs(model, x)
        == count_macs(model, lambda m: m(x))
        == expected
    )


def test_meta_counting_skips_batch_norms_and_activations_only_while_counting(monkeypatch):
    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(3, 8, 3),
            nn.BatchNorm2d(8),
            nn.ReLU6(inplace=True),
            nn.Conv2d(8, 4, 1),
            nn.BatchNorm2d(4),
            nn.Hardswish(),
        )

    ran_on = []
    for layer in (nn.BatchNorm2d, nn.Hardtanh, nn.Hardswish):  # ReLU6 is a Hardtanh
        monkeypatch.setattr(
            layer,
            "forward",
            lambda m, x, forward=layer.forward: ran_on.append(type(m).__name__) or forward(m, x),
        )
    real, meta = build().eval(), build().to("meta").eval()
    real_report = complexity(real, (2, 3, 10, 10))
    assert ran_on == ["BatchNorm2d", "ReLU6", "BatchNorm2d", "Hardswish"]  # a real model runs every layer
    meta_report = complexity(meta, (2, 3, 10, 10))
    assert ran_on == ["BatchNorm2d", "ReLU6", "BatchNorm2d", "Hardswish"]  # a meta one skips them
    assert meta_report.macs == real_report.macs == 2 * (27 * 8 * 64 + 8 * 4 * 64)
    assert meta_report.output_shape == real_report.output_shape == [2, 4, 8, 8]
    assert all("forward" not in m.__dict__ for m in meta.modules())  # restored after counting
    meta(torch.zeros(1, 3, 10, 10, device="meta"))
    assert ran_on[4:] == ["BatchNorm2d", "ReLU6", "BatchNorm2d", "Hardswish"]


def test_count_params_conventions():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.Linear(4, 2))
    assert count_params(model) == 108 + 8 + 10
    assert count_params(model, include_bn=False) == 108 + 10
    model[2].requires_grad_(False)
    assert count_params(model, trainable_only=True) == 108 + 8
    assert count_params(model, trainable_only=True, include_bn=False) == 108


def test_non_module_is_rejected():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got function"):
        count_macs(lambda x: x, (1, 3, 8, 8))
