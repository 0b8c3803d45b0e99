r"""SSDLite: SSD with depthwise-separable prediction layers on MobileNet backbones.

Sandler et al., 2018, *MobileNetV2: Inverted Residuals and Linear Bottlenecks*,
[arXiv:1801.04381](https://arxiv.org/abs/1801.04381), Sec. 6.2.

SSDLite replaces every regular convolution of SSD's prediction layers by a depthwise-separable one
(depthwise $3\times3$ + BN + ReLU6, then a $1\times1$ conv). On MobileNetV2 the first head reads the
expansion layer of the 15th layer (output stride 16, 576 channels at $\alpha = 1$), the second the last
layer (stride 32, 1280 channels); four extra inverted-residual-style blocks bring the maps to 512, 256,
256 and 128 channels (maps 19, 10, 5, 3, 2, 1 at 300x300). The detector itself, its loss and
post-processing are [`SSD`][paperzoo.models.ssd.SSD]'s.

**Deviations** (counted with `paperzoo.analysis`: parameters including batch
norm, MAdds of the backbone, extra layers and heads; 81 classes, 300x300; default boxes 4, 6, 6, 6, 4, 4
per location as in SSD):

| model | params (paper, Table 6) | params (here) | MAdds (paper) | MAdds (here) |
|---|---|---|---|---|
| SSDLite-MobileNetV2 | 4.3M | 4.32M | 0.8B | 0.75B |
| SSDLite-MobileNetV1 | 5.1M | 5.08M | 1.3B | 1.22B |

- Parameters reproduce within 0.5 %. MAdds come out 6 % under the paper's (0.75B rounds to its 0.8B;
  1.22B does not round to 1.3B). The paper states neither its boxes per location nor the exact extra
  layers; 6 boxes everywhere gives 4.48M / 0.79B (MobileNetV2) and 5.23M / 1.25B (MobileNetV1), so
  the parameter match favours SSD's 4, 6, 6, 6, 4, 4 and the MAdd gap is recorded rather than tuned
  away. An independent recount (paper-facts) gave 4.29M / 0.73B for MobileNetV2.
- The MobileNetV1 head reads conv 11 (512 channels, stride 16) and conv 13 (1024, stride 32).
- Extra layers: 1x1 (half the output channels) → depthwise 3x3 stride 2 → 1x1, each with BN and
  ReLU6, as the TensorFlow reference (`use_depthwise`) and torchvision's SSDLite build them.
- Default boxes reuse SSD's presets on the SSDLite maps, with centres spread evenly (`steps=None`);
  the default is `"paper"` (0.1 for the first map, then 0.2 to 0.9), close to the TensorFlow config's
  0.2-0.95 with a 0.1 box on the lowest layer. `default_boxes="ssdlite"` gives torchvision's SSDLite
  boxes instead (0.2-0.95, ratios 2 and 3 on every map, 6 per location).
- Images are normalised with ImageNet's mean and std, as the MobileNet backbones expect.
- Weights of the SSDLite layers are drawn from N(0, 0.03), as the TensorFlow reference and torchvision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from torch import Tensor, nn
from torchvision.models import MobileNet_V2_Weights
from torchvision.ops.misc import Conv2dNormActivation

from paperzoo.detection.default_boxes import DefaultBoxConfig, num_boxes_per_location
from paperzoo.models._checks import check_num_classes
from paperzoo.models.mobilenet_v1 import MobileNetV1
from paperzoo.models.mobilenet_v2 import STRIDE16_EXPANSION_BLOCK, MobileNetV2, mobilenet_v2
from paperzoo.models.ssd import BOX_PRESETS, SSD, SSDHead, ssd_box_config
from paperzoo.registry import Paper, register_model

__all__ = [
    "MobileNetV1Extractor",
    "MobileNetV2Extractor",
    "SSDLITE_FEATURE_MAPS",
    "separable_predictor",
    "ssdlite_box_config",
    "ssdlite_head",
    "ssdlite_mobilenet_v1",
    "ssdlite_mobilenet_v2",
]

PAPER = Paper("MobileNetV2: Inverted Residuals and Linear Bottlenecks", "1801.04381")

# Source maps at 300x300: output stride 16 and 32 of the backbone, then the four extra blocks.
SSDLITE_FEATURE_MAPS = (19, 10, 5, 3, 2, 1)
# Sec. 6.2: output channels of the extra layers after the last backbone layer.
EXTRA_CHANNELS = (512, 256, 256, 128)
# Default-box presets: SSD's, and torchvision's SSDLite one (scales 0.2-0.95, ratios 2 and 3 everywhere).
SSDLITE_BOX_PRESETS = (*BOX_PRESETS, "ssdlite")
# ImageNet normalisation of torchvision's MobileNet weights.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _ssdlite_preset() -> DefaultBoxConfig:
    # torchvision's DefaultBoxGenerator(min_ratio=0.2, max_ratio=0.95): linear scales, then 1.0.
    scales = [0.2 + 0.75 * k / 5 for k in range(6)] + [1.0]
    return DefaultBoxConfig(
        feature_maps=SSDLITE_FEATURE_MAPS,
        steps=None,
        min_sizes=tuple(scales[:-1]),
        max_sizes=tuple(scales[1:]),
        aspect_ratios=((2, 3),) * len(SSDLITE_FEATURE_MAPS),
        clip=True,
    )


def ssdlite_box_config(preset: str = "paper", input_size: int = 300) -> DefaultBoxConfig:
    """A box preset (sizes and aspect ratios) on SSDLite's six maps, centres spread evenly.

    `"ssdlite"` is torchvision's `ssdlite320_mobilenet_v3_large` configuration (the TensorFlow
    config's scales 0.2 to 0.95, aspect ratios 2 and 3 on every map, 6 boxes per location, clipped);
    the other presets are SSD's (see `paperzoo.detection.default_boxes.PRESETS`).
    """
    if preset not in SSDLITE_BOX_PRESETS:
        raise ValueError(f"default_boxes must be one of {SSDLITE_BOX_PRESETS}, got {preset!r}")
    config = _ssdlite_preset() if preset == "ssdlite" else ssd_box_config(preset)
    return replace(config, feature_maps=SSDLITE_FEATURE_MAPS, steps=None, input_size=input_size)


def separable_predictor(in_channels: int, out_channels: int) -> nn.Module:
    """SSDLite's predictor (Sec. 6.2): depthwise 3x3 + BN + ReLU6, then a 1x1 conv."""
    return nn.Sequential(
        Conv2dNormActivation(
            in_channels, in_channels, kernel_size=3, groups=in_channels, activation_layer=nn.ReLU6
        ),
        nn.Conv2d(in_channels, out_channels, kernel_size=1),
    )


def _extra_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """1x1 to half the channels, depthwise 3x3 stride 2, 1x1 up: an inverted-residual-style block."""
    mid = out_channels // 2
    return nn.Sequential(
        Conv2dNormActivation(in_channels, mid, kernel_size=1, activation_layer=nn.ReLU6),
        Conv2dNormActivation(mid, mid, kernel_size=3, stride=2, groups=mid, activation_layer=nn.ReLU6),
        Conv2dNormActivation(mid, out_channels, kernel_size=1, activation_layer=nn.ReLU6),
    )


def _normal_init(module: nn.Module) -> None:
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def _extras(in_channels: int, width_mult: float, min_depth: int = 16) -> tuple[nn.ModuleList, list[int]]:
    channels = [max(min_depth, int(c * width_mult)) for c in EXTRA_CHANNELS]
    blocks = nn.ModuleList(
        _extra_block(c_in, c_out) for c_in, c_out in zip([in_channels, *channels], channels, strict=False)
    )
    _normal_init(blocks)
    return blocks, channels


class MobileNetV2Extractor(nn.Module):
    """MobileNetV2's source maps for SSDLite: the stride-16 expansion, the last layer, and the extras.

    `features` is the backbone's, so torchvision's ImageNet `mobilenet_v2` weights load key for key.

    Args:
        backbone: A [`MobileNetV2`][paperzoo.models.mobilenet_v2.MobileNetV2] (its classifier is dropped).
        width_mult: Width multiplier $\\alpha$ of the extra layers (at least 16 channels each).
    """

    def __init__(self, backbone: MobileNetV2, width_mult: float = 1.0) -> None:
        super().__init__()
        self.features = backbone.features
        block = self.features[STRIDE16_EXPANSION_BLOCK]
        assert not block.use_residual, "the stride-16 block must not have a shortcut to be split"
        self.extras, extra_channels = _extras(backbone.num_features, width_mult)
        self.out_channels = [block.conv[0].out_channels, backbone.num_features, *extra_channels]

    def forward(self, x: Tensor) -> list[Tensor]:
        block = self.features[STRIDE16_EXPANSION_BLOCK]
        x = self.features[:STRIDE16_EXPANSION_BLOCK](x)
        expansion = block.conv[0](x)  # (N, 576·α, H/16, W/16): the first head's input
        x = self.features[STRIDE16_EXPANSION_BLOCK + 1 :](block.conv[1:](expansion))
        sources = [expansion, x]
        for extra in self.extras:
            x = extra(x)
            sources.append(x)
        return sources


class MobileNetV1Extractor(nn.Module):
    """MobileNetV1's source maps for SSDLite: conv 11 (stride 16), conv 13 (stride 32), and the extras.

    Args:
        backbone: A [`MobileNetV1`][paperzoo.models.mobilenet_v1.MobileNetV1] (its classifier is dropped).
        width_mult: Width multiplier $\\alpha$ of the extra layers (at least 16 channels each).
    """

    STRIDE16_END = 12  # features[:12]: stem and the separable layers up to the last 512-channel one

    def __init__(self, backbone: MobileNetV1, width_mult: float = 1.0) -> None:
        super().__init__()
        self.features = backbone.features
        stride16_channels = self.features[self.STRIDE16_END - 1][1].out_channels
        self.extras, extra_channels = _extras(backbone.num_features, width_mult)
        self.out_channels = [stride16_channels, backbone.num_features, *extra_channels]

    def forward(self, x: Tensor) -> list[Tensor]:
        stride16 = self.features[: self.STRIDE16_END](x)
        x = self.features[self.STRIDE16_END :](stride16)
        sources = [stride16, x]
        for extra in self.extras:
            x = extra(x)
            sources.append(x)
        return sources


def ssdlite_head(in_channels: Sequence[int], box_config: DefaultBoxConfig, num_classes: int) -> SSDHead:
    """SSD's head with `separable_predictor`s."""
    head = SSDHead(
        in_channels, num_boxes_per_location(box_config), num_classes, predictor=separable_predictor
    )
    _normal_init(head)
    return head


def _ssdlite(extractor: nn.Module, num_classes: int, default_boxes: str, kwargs: dict) -> SSD:
    check_num_classes(num_classes, background=True)
    box_config = ssdlite_box_config(default_boxes)
    head = ssdlite_head(extractor.out_channels, box_config, num_classes)
    kwargs = {"image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, **kwargs}
    return SSD(extractor, num_classes, box_config, head=head, **kwargs)


@register_model(paper=PAPER, task="detection", input_size=(300, 300), docs="object-detection/ssd/")
def ssdlite_mobilenet_v2(
    *,
    num_classes: int = 91,
    width_mult: float = 1.0,
    weights: None = None,
    weights_backbone: MobileNet_V2_Weights | str | None = None,
    default_boxes: str = "paper",
    progress: bool = True,
    **kwargs: Any,
) -> SSD:
    r"""SSDLite on MobileNetV2 (Sec. 6.2): 4.32M parameters, 0.75B MAdds at 81 classes (Table 6: 4.3M, 0.8B).

    Args:
        num_classes: Classes including the background (81 in the paper's COCO setting, 91 for
            torchvision's COCO ids).
        width_mult: Width multiplier $\alpha$ of the backbone and the extra layers.
        weights: Must be `None`: no SSDLite-MobileNetV2 weights are published in torchvision's API.
        weights_backbone: `None`, or torchvision's `MobileNet_V2_Weights` (member or name).
        default_boxes: `"paper"` (default), `"torchvision"`, `"caffe_voc"`, `"caffe_coco"` (SSD's
            sizes) or `"ssdlite"` (torchvision's SSDLite boxes, scales 0.2-0.95, 6 per location).
        progress: Show a progress bar if weights must be downloaded.
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD] (e.g. `size=(320, 320)`, thresholds).

    Returns:
        The detector, an [`SSD`][paperzoo.models.ssd.SSD].
    """
    if weights is not None:
        raise ValueError(f"no pretrained SSDLite-MobileNetV2 weights are available, got weights={weights!r}")
    backbone = mobilenet_v2(width_mult=width_mult, weights=weights_backbone, progress=progress)
    return _ssdlite(MobileNetV2Extractor(backbone, width_mult), num_classes, default_boxes, kwargs)


@register_model(paper=PAPER, task="detection", input_size=(300, 300), docs="object-detection/ssd/")
def ssdlite_mobilenet_v1(
    *,
    num_classes: int = 91,
    width_mult: float = 1.0,
    weights: None = None,
    weights_backbone: None = None,
    default_boxes: str = "paper",
    **kwargs: Any,
) -> SSD:
    r"""SSDLite on MobileNetV1: 5.08M parameters, 1.22B MAdds at 81 classes (MobileNetV2 Table 6: 5.1M, 1.3B).

    Args:
        num_classes: Classes including the background.
        width_mult: Width multiplier $\alpha$ of the backbone and the extra layers.
        weights: Must be `None`: no SSDLite-MobileNetV1 weights are published.
        weights_backbone: Must be `None`: torchvision has no MobileNetV1 weights.
        default_boxes: `"paper"` (default), `"torchvision"`, `"caffe_voc"`, `"caffe_coco"` (SSD's
            sizes) or `"ssdlite"` (torchvision's SSDLite boxes, scales 0.2-0.95, 6 per location).
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD].

    Returns:
        The detector, an [`SSD`][paperzoo.models.ssd.SSD].
    """
    if weights is not None or weights_backbone is not None:
        raise ValueError(
            "no pretrained SSDLite-MobileNetV1 or MobileNetV1 weights are available, got "
            f"weights={weights!r}, weights_backbone={weights_backbone!r}"
        )
    backbone = MobileNetV1(width_mult=width_mult)
    return _ssdlite(MobileNetV1Extractor(backbone, width_mult), num_classes, default_boxes, kwargs)
