"""Model complexity: parameters, multiply-adds (via `torch.utils.flop_counter`) and the theoretical
cost of standard vs depthwise-separable convolution (MobileNetV1 Sec. 3.1)."""

from paperzoo.analysis.complexity import (
    LAYER_KINDS,
    ComplexityReport,
    KindCost,
    LayerCost,
    complexity,
    count_macs,
    count_params,
    layer_kind,
    shape_preserving_layers_skipped,
)
from paperzoo.analysis.detection import network_macs
from paperzoo.analysis.separable import (
    depthwise_conv_macs,
    separable_conv_macs,
    separable_cost_ratio,
    standard_conv_macs,
)

__all__ = [
    "LAYER_KINDS",
    "ComplexityReport",
    "KindCost",
    "LayerCost",
    "complexity",
    "count_macs",
    "count_params",
    "depthwise_conv_macs",
    "layer_kind",
    "network_macs",
    "separable_conv_macs",
    "separable_cost_ratio",
    "shape_preserving_layers_skipped",
    "standard_conv_macs",
]
