r"""MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications.

Howard et al., 2017, [arXiv:1704.04861](https://arxiv.org/abs/1704.04861).

A standard $3\times3$ convolution is factorised into a depthwise $3\times3$ convolution (one filter per
input channel) and a pointwise $1\times1$ convolution that mixes channels (Sec. 3.1), which costs
$\frac{1}{N} + \frac{1}{D_K^2}$ of the original. A width multiplier $\alpha$ thins every layer and the input
resolution $\rho$ shrinks every feature map, trading accuracy for cost (Sec. 3.3-3.4, Tables 6-7).

**Paper vs code.** The paper's parameter and Mult-Add counts (Tables 2-7 and 9) are claims in
`docs/_cards/mobilenet-v1.yml`, computed from this module by `paperzoo.analysis` and checked by the
test suite and the site build; the numbers are on the MobileNetV1 page, not repeated here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
from torch import nn
from torchvision.ops.misc import Conv2dNormActivation

from paperzoo.models._checks import check_classifier_args, check_image_batch
from paperzoo.models._features import StageFeatures, new_classifier
from paperzoo.registry import Paper, register_model
from paperzoo.weights import Weights, apply_weights, resolve_weights

__all__ = ["DepthwiseSeparableConv", "MobileNetV1", "mobilenet_v1"]

# One opaque node in torch.fx graphs, so create_feature_extractor can trace the model.
torch.fx.wrap("check_image_batch")

PAPER = Paper(
    "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", "1704.04861"
)

# Table 1: the first layer is a full conv 3x3 with 32 filters and stride 2.
STEM_CHANNELS = 32

# Table 1 (s, c): stride of the depthwise 3x3 conv and output channels of the pointwise 1x1 conv of
# each of the 13 depthwise-separable layers. Table 1 prints stride 2 for the last depthwise conv;
# the authors' TF-slim code (`_CONV_DEFS`) uses 1, which gives the 7x7 map that "Avg Pool 7x7" needs.
SEPARABLE_LAYERS: tuple[tuple[int, int], ...] = (
    (1, 64),
    (2, 128),
    (1, 128),
    (2, 256),
    (1, 256),
    (2, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (2, 1024),
    (1, 1024),
)

# Table 5's "Shallow MobileNet" removes "the 5 layers of separable filters with feature size 14x14x512".
SHALLOW_REMOVED = slice(6, 11)

# TF-slim's `min_depth`: no layer is thinner than 8 channels at small alpha.
MIN_CHANNELS = 8

# `features_only`: (index in `features`, output stride) of the last layer of each resolution.
FEATURE_STAGES = ((1, 2), (3, 4), (5, 8), (11, 16), (13, 32))

# The paper's ReLU, or TF-slim's (and timm's) ReLU6, which timm's ImageNet weights were trained with.
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "relu6": nn.ReLU6}


def scaled_channels(channels: int, width_mult: float) -> int:
    r"""Channels of a layer under width multiplier $\alpha$ (Sec. 3.3), as TF-slim's `depth()` rounds them."""
    return max(int(channels * width_mult), MIN_CHANNELS)


class DepthwiseSeparableConv(nn.Sequential):
    """A depthwise-separable layer (Fig. 3, right): dw 3x3 + BN + ReLU, then pw 1x1 + BN + ReLU.

    Args:
        in_channels: Input channels $M$.
        out_channels: Output channels $N$ of the pointwise conv.
        stride: Stride of the depthwise conv.
        activation_layer: The non-linearity (ReLU in the paper).
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, activation_layer: type[nn.Module] = nn.ReLU
    ) -> None:
        super().__init__(
            Conv2dNormActivation(
                in_channels,
                in_channels,
                kernel_size=3,
                stride=stride,
                groups=in_channels,
                activation_layer=activation_layer,
            ),
            Conv2dNormActivation(in_channels, out_channels, kernel_size=1, activation_layer=activation_layer),
        )
        self.out_channels = out_channels


class MobileNetV1(nn.Module):
    r"""MobileNetV1 (Table 1) with width multiplier $\alpha$ and any input resolution >= 32.

    `features` is an `nn.Sequential`: `features[0]` is the stem conv, `features[1:14]` are the 13
    depthwise-separable layers (8 when `shallow`). The output stride is 16 after `features[11]` (512 channels, 19x19 at
    300x300: where SSDLite-MobileNetV1 attaches its first head) and 32 after `features[13]`.

    Args:
        width_mult: Width multiplier $\alpha$ (Sec. 3.3), e.g. 1.0, 0.75, 0.5, 0.25.
        num_classes: Number of output classes.
        dropout: Dropout rate before the classifier. The paper gives none; TF-slim keeps 0.999.
        full_conv: Table 4's "Conv MobileNet": a full 3x3 conv + BN + ReLU in place of each
            depthwise-separable layer.
        shallow: Table 5's "Shallow MobileNet": without the five separable layers on 14x14x512 maps.
        activation: `"relu"` (the paper) or `"relu6"` (TF-slim, timm).
    """

    def __init__(
        self,
        *,
        width_mult: float = 1.0,
        num_classes: int = 1000,
        dropout: float = 0.001,
        full_conv: bool = False,
        shallow: bool = False,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        check_classifier_args(width_mult=width_mult, num_classes=num_classes, dropout=dropout)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        act = ACTIVATIONS[activation]
        channels = scaled_channels(STEM_CHANNELS, width_mult)
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, channels, kernel_size=3, stride=2, activation_layer=act)
        ]
        table = list(SEPARABLE_LAYERS)
        if shallow:
            del table[SHALLOW_REMOVED]
        for stride, out_channels in table:
            out_channels = scaled_channels(out_channels, width_mult)
            if full_conv:
                layers.append(
                    Conv2dNormActivation(
                        channels, out_channels, kernel_size=3, stride=stride, activation_layer=act
                    )
                )
            else:
                layers.append(DepthwiseSeparableConv(channels, out_channels, stride, act))
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.num_features = channels
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(channels, num_classes))
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the FC layer by a fresh one with `num_classes` outputs (0: none, logits = pooled features)."""
        self.classifier[1] = new_classifier(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, `(N, 1024·α, H/32, W/32)`, from images `(N, 3, H, W)`."""
        check_image_batch(x, min_size=32)
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Global average pool and the FC layer; `pre_logits=True` stops after the pool."""
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)  # (N, C, H, W) -> (N, C)
        if pre_logits:
            return x
        return self.classifier(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits `(N, num_classes)` for images `(N, 3, H, W)`, H and W >= 32."""
        return self.forward_head(self.forward_features(x))


@register_model(
    paper=PAPER, task="classification", input_size=(224, 224), docs="object-detection/mobilenet-v1/"
)
def mobilenet_v1(
    *,
    width_mult: float = 1.0,
    num_classes: int = 1000,
    dropout: float = 0.001,
    full_conv: bool = False,
    shallow: bool = False,
    activation: str | None = None,
    weights: Weights | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> MobileNetV1:
    r"""MobileNetV1 of Table 1; Tables 6-7 vary `width_mult` and the input resolution.

    Args:
        width_mult: Width multiplier $\alpha$.
        num_classes: Number of output classes; with weights, another count gets a fresh classifier.
        dropout: Dropout rate before the classifier.
        full_conv: Table 4's "Conv MobileNet" (full 3x3 convs instead of separable layers).
        shallow: Table 5's "Shallow MobileNet" (without the five 14x14x512 separable layers).
        activation: `"relu"` (the paper, default without weights) or `"relu6"` (the weights' default).
        weights: `None`, or published weights: `"RA4_E3600_R224_IN1K"` / `"DEFAULT"` (timm's, whose hash
            is not published: load them with `paperzoo.create_model(..., allow_unverified=True)`).
        progress: Show a progress bar while downloading weights.
        features_only: Return a `StageFeatures` giving the
            maps at strides 2, 4, 8, 16, 32 (channels in its `feature_info`) instead of the classifier.
        out_indices: With `features_only`, the stages to return (default all five).

    Returns:
        The model (a `StageFeatures` with `features_only=True`).
    """
    resolved = resolve_weights("mobilenet_v1", weights)
    if resolved is not None and (full_conv or shallow):
        raise ValueError("published weights fit the paper's MobileNetV1, not full_conv or shallow variants")
    if activation is None:
        activation = resolved.builder_kwargs.get("activation", "relu") if resolved else "relu"
    classes = resolved.num_classes if resolved and features_only else num_classes
    model = MobileNetV1(
        width_mult=width_mult,
        num_classes=classes,
        dropout=dropout,
        full_conv=full_conv,
        shallow=shallow,
        activation=activation,
    )
    if resolved is not None:
        apply_weights(model, resolved, num_classes=classes, progress=progress)
    return StageFeatures(model.features, FEATURE_STAGES, out_indices) if features_only else model
