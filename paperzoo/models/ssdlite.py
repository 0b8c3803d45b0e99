r"""SSDLite: SSD with depthwise-separable prediction layers on MobileNet backbones.

Sandler et al., 2018, *MobileNetV2: Inverted Residuals and Linear Bottlenecks*,
[arXiv:1801.04381](https://arxiv.org/abs/1801.04381), Sec. 6.2.

SSDLite replaces every regular convolution of SSD's prediction layers by a depthwise-separable one
(depthwise $3\times3$ + BN + ReLU6, then a $1\times1$ conv). On MobileNetV2 the first head reads the
expansion layer of the 15th layer (output stride 16, 576 channels at $\alpha = 1$), the second the last
layer (stride 32, 1280 channels); four extra inverted-residual-style blocks bring the maps to 512, 256,
256 and 128 channels (maps 19, 10, 5, 3, 2, 1 at 300x300). The detector itself, its loss and
post-processing are [`SSD`][paperzoo.models.ssd.SSD]'s.

**Input size.** Sec. 6.2 runs both SSDLite models of Table 6 on 320x320 images; the builders default
to 300x300 (maps 19, 10, 5, 3, 2, 1), the input of the authors' released TensorFlow config
(`ssdlite_mobilenet_v2_coco.config`) and of SSD300, whose default-box presets they reuse.
`size=(320, 320)` gives the paper's setting (maps 20, 10, 5, 3, 2, 1); the SSD page's claims count
Table 6's parameters and MAdds there, and Table 5's prediction layers with
`prediction_layers="ssd"` against the default `"ssdlite"`.

**Choices** (the paper states neither its boxes per location nor its exact extra layers):

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
from torchvision.ops.misc import Conv2dNormActivation

from paperzoo.detection.default_boxes import DefaultBoxConfig, num_boxes_per_location
from paperzoo.models._checks import check_num_classes
from paperzoo.models.mobilenet_v1 import MobileNetV1
from paperzoo.models.mobilenet_v2 import STRIDE16_EXPANSION_BLOCK, MobileNetV2, mobilenet_v2
from paperzoo.models.ssd import BOX_PRESETS, SSD, SSDHead, conv3x3_predictor, ssd_box_config
from paperzoo.registry import Paper, register_model
from paperzoo.weights import Weights, apply_weights, resolve_weights
from paperzoo.weights.catalog import IMAGENET_MEAN, IMAGENET_STD

__all__ = [
    "MobileNetV1Extractor",
    "MobileNetV2Extractor",
    "PREDICTION_LAYERS",
    "SSDLITE_FEATURE_MAPS",
    "separable_predictor",
    "ssdlite_box_config",
    "ssdlite_head",
    "ssdlite_mobilenet_v1",
    "ssdlite_mobilenet_v2",
]

PAPER = Paper("MobileNetV2: Inverted Residuals and Linear Bottlenecks", "1801.04381")

# Source maps at the default 300x300: output stride 16 and 32 of the backbone, then the four extra blocks.
SSDLITE_FEATURE_MAPS = (19, 10, 5, 3, 2, 1)
# Sec. 6.2: output channels of the extra layers after the last backbone layer.
EXTRA_CHANNELS = (512, 256, 256, 128)
# Default-box presets: SSD's, and torchvision's SSDLite one (scales 0.2-0.95, ratios 2 and 3 everywhere).
SSDLITE_BOX_PRESETS = (*BOX_PRESETS, "ssdlite")
# Table 5: SSDLite's separable prediction layers, or SSD's regular ones on the same backbone.
PREDICTION_LAYERS = ("ssdlite", "ssd")


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


def _extra_block(in_channels: int, out_channels: int, separable: bool = True) -> nn.Sequential:
    """1x1 to half the channels, depthwise 3x3 stride 2, 1x1 up: an inverted-residual-style block.

    `separable=False` gives SSD's regular block on the same backbone (Table 5): 1x1 to half the
    channels, then a full 3x3 stride-2 conv (TensorFlow's `use_depthwise: false`).
    """
    mid = out_channels // 2
    if not separable:
        return nn.Sequential(
            Conv2dNormActivation(in_channels, mid, kernel_size=1, activation_layer=nn.ReLU6),
            Conv2dNormActivation(mid, out_channels, kernel_size=3, stride=2, activation_layer=nn.ReLU6),
        )
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


def _extras(
    in_channels: int, width_mult: float, separable: bool = True, min_depth: int = 16
) -> tuple[nn.ModuleList, list[int]]:
    channels = [max(min_depth, int(c * width_mult)) for c in EXTRA_CHANNELS]
    pairs = zip([in_channels, *channels], channels, strict=False)
    blocks = nn.ModuleList(_extra_block(c_in, c_out, separable) for c_in, c_out in pairs)
    _normal_init(blocks)
    return blocks, channels


class MobileNetV2Extractor(nn.Module):
    """MobileNetV2's source maps for SSDLite: the stride-16 expansion, the last layer, and the extras.

    `features` is the backbone's, so torchvision's ImageNet `mobilenet_v2` weights load key for key.

    Args:
        backbone: A [`MobileNetV2`][paperzoo.models.mobilenet_v2.MobileNetV2] (its classifier is dropped).
        width_mult: Width multiplier $\\alpha$ of the extra layers (at least 16 channels each).
        separable: SSDLite's extra layers; `False` gives SSD's regular ones (Table 5).
    """

    def __init__(self, backbone: MobileNetV2, width_mult: float = 1.0, separable: bool = True) -> None:
        super().__init__()
        self.features = backbone.features
        block = self.features[STRIDE16_EXPANSION_BLOCK]
        assert not block.use_residual, "the stride-16 block must not have a shortcut to be split"
        self.extras, extra_channels = _extras(backbone.num_features, width_mult, separable)
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
        separable: SSDLite's extra layers; `False` gives SSD's regular ones.
    """

    STRIDE16_END = 12  # features[:12]: stem and the separable layers up to the last 512-channel one

    def __init__(self, backbone: MobileNetV1, width_mult: float = 1.0, separable: bool = True) -> None:
        super().__init__()
        self.features = backbone.features
        stride16_channels = self.features[self.STRIDE16_END - 1][1].out_channels
        self.extras, extra_channels = _extras(backbone.num_features, width_mult, separable)
        self.out_channels = [stride16_channels, backbone.num_features, *extra_channels]

    def forward(self, x: Tensor) -> list[Tensor]:
        stride16 = self.features[: self.STRIDE16_END](x)
        x = self.features[self.STRIDE16_END :](stride16)
        sources = [stride16, x]
        for extra in self.extras:
            x = extra(x)
            sources.append(x)
        return sources


def ssdlite_head(
    in_channels: Sequence[int], box_config: DefaultBoxConfig, num_classes: int, separable: bool = True
) -> SSDHead:
    """SSD's head with `separable_predictor`s (`separable=False`: SSD's 3x3 convs, for Table 5)."""
    predictor = separable_predictor if separable else conv3x3_predictor
    head = SSDHead(in_channels, num_boxes_per_location(box_config), num_classes, predictor=predictor)
    _normal_init(head)
    return head


def _check_prediction_layers(prediction_layers: str) -> bool:
    """Whether the prediction layers are SSDLite's separable ones (Table 5 compares both)."""
    if prediction_layers not in PREDICTION_LAYERS:
        raise ValueError(f"prediction_layers must be one of {PREDICTION_LAYERS}, got {prediction_layers!r}")
    return prediction_layers == "ssdlite"


def _ssdlite(
    extractor: nn.Module,
    num_classes: int,
    default_boxes: str,
    separable: bool,
    backbone_weights: Weights | None,
    progress: bool,
    kwargs: dict,
) -> SSD:
    check_num_classes(num_classes, background=True)
    box_config = ssdlite_box_config(default_boxes)
    head = ssdlite_head(extractor.out_channels, box_config, num_classes, separable)
    normalize = backbone_weights.preprocessing if backbone_weights is not None else None
    mean, std = (normalize.mean, normalize.std) if normalize else (IMAGENET_MEAN, IMAGENET_STD)
    model = SSD(
        extractor, num_classes, box_config, head=head, **{"image_mean": mean, "image_std": std, **kwargs}
    )
    if backbone_weights is not None:
        apply_weights(model, backbone_weights, progress=progress)
    return model


@register_model(paper=PAPER, task="detection", input_size=(300, 300), docs="object-detection/ssd/")
def ssdlite_mobilenet_v2(
    *,
    num_classes: int = 91,
    width_mult: float = 1.0,
    weights: None = None,
    weights_backbone: Weights | str | None = None,
    default_boxes: str = "paper",
    prediction_layers: str = "ssdlite",
    progress: bool = True,
    **kwargs: Any,
) -> SSD:
    r"""SSDLite on MobileNetV2 (Sec. 6.2), on 300x300 images by default; Table 6 uses `size=(320, 320)`.

    The default input is that of the authors' released TensorFlow SSDLite config and of SSD300; the
    paper's Table 6 counts (see the SSD page's claims) are taken at 320x320.

    Args:
        num_classes: Classes including the background (81 in the paper's COCO setting, 91 for
            torchvision's COCO ids).
        width_mult: Width multiplier $\alpha$ of the backbone and the extra layers.
        weights: Must be `None`: no SSDLite-MobileNetV2 weights are published in torchvision's API.
        weights_backbone: `None`, or torchvision's ImageNet MobileNetV2 weights: `"IMAGENET1K_V1"`,
            `"IMAGENET1K_V2"` or `"DEFAULT"` (see `paperzoo.list_weights("ssdlite_mobilenet_v2")`).
        default_boxes: `"paper"` (default), `"torchvision"`, `"caffe_voc"`, `"caffe_coco"` (SSD's
            sizes) or `"ssdlite"` (torchvision's SSDLite boxes, scales 0.2-0.95, 6 per location).
        prediction_layers: `"ssdlite"` (default: separable heads and extra layers) or `"ssd"` (regular
            3x3 convs on the same backbone, the SSD row of Table 5).
        progress: Show a progress bar if weights must be downloaded.
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD] (e.g. `size=(320, 320)`, thresholds).

    Returns:
        The detector, an [`SSD`][paperzoo.models.ssd.SSD].
    """
    if weights is not None:
        raise ValueError(f"no pretrained SSDLite-MobileNetV2 weights are available, got weights={weights!r}")
    separable = _check_prediction_layers(prediction_layers)
    backbone_weights = resolve_weights("ssdlite_mobilenet_v2", weights_backbone, "backbone")
    backbone = mobilenet_v2(width_mult=width_mult)
    extractor = MobileNetV2Extractor(backbone, width_mult, separable)
    return _ssdlite(extractor, num_classes, default_boxes, separable, backbone_weights, progress, kwargs)


@register_model(paper=PAPER, task="detection", input_size=(300, 300), docs="object-detection/ssd/")
def ssdlite_mobilenet_v1(
    *,
    num_classes: int = 91,
    width_mult: float = 1.0,
    weights: None = None,
    weights_backbone: Weights | str | None = None,
    default_boxes: str = "paper",
    prediction_layers: str = "ssdlite",
    progress: bool = True,
    **kwargs: Any,
) -> SSD:
    r"""SSDLite on MobileNetV1 (Sec. 6.2), on 300x300 images by default; Table 6 uses `size=(320, 320)`.

    The default input is that of the authors' released TensorFlow SSDLite config and of SSD300; the
    paper's Table 6 counts (see the SSD page's claims) are taken at 320x320.

    Args:
        num_classes: Classes including the background.
        width_mult: Width multiplier $\alpha$ of the backbone and the extra layers.
        weights: Must be `None`: no SSDLite-MobileNetV1 weights are published.
        weights_backbone: `None`, or timm's ImageNet MobileNetV1 weights (`"RA4_E3600_R224_IN1K"` /
            `"DEFAULT"`; their hash is not published, see `paperzoo.create_model(allow_unverified=True)`),
            which also switch the backbone to their ReLU6.
        progress: Show a progress bar if weights must be downloaded.
        default_boxes: `"paper"` (default), `"torchvision"`, `"caffe_voc"`, `"caffe_coco"` (SSD's
            sizes) or `"ssdlite"` (torchvision's SSDLite boxes, scales 0.2-0.95, 6 per location).
        prediction_layers: `"ssdlite"` (default: separable heads and extra layers) or `"ssd"` (regular
            3x3 convs on the same backbone, the SSD row of Table 5).
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD].

    Returns:
        The detector, an [`SSD`][paperzoo.models.ssd.SSD].
    """
    if weights is not None:
        raise ValueError(f"no pretrained SSDLite-MobileNetV1 weights are available, got weights={weights!r}")
    separable = _check_prediction_layers(prediction_layers)
    backbone_weights = resolve_weights("ssdlite_mobilenet_v1", weights_backbone, "backbone")
    activation = backbone_weights.builder_kwargs.get("activation", "relu") if backbone_weights else "relu"
    backbone = MobileNetV1(width_mult=width_mult, activation=activation)
    extractor = MobileNetV1Extractor(backbone, width_mult, separable)
    return _ssdlite(extractor, num_classes, default_boxes, separable, backbone_weights, progress, kwargs)
